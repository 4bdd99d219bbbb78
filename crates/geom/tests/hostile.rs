//! Hostile arguments to every public entry point of `geom`: zero, huge and
//! overflowing sizes and strides, short and long buffers, unsupported
//! channel counts, non-finite and singular matrices, grids with NaN and
//! infinite positions. Each case must return the typed error that names the
//! bad value (no panic: proptest reports one as a failure), refuse huge sizes
//! before allocating, and, where it succeeds, give output of the right size.

use geom::{
    Affine, DEFAULT_MAX_PIXELS, Error, Grid, Homography, Image, ImageView, ImageViewMut, LimitUnit,
    MAX_SIDE, Map, Padding, Projective, Rect, Shape,
};
use proptest::prelude::*;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Peak heap bytes a refused request may use (an error message at most).
const REFUSAL_BYTES: u64 = 4096;

/// Sides: empty, small, at and past the limits, overflowing.
fn side() -> impl Strategy<Value = usize> {
    prop_oneof![
        Just(0usize),
        1usize..24,
        Just(MAX_SIDE),
        Just(MAX_SIDE + 1),
        Just(1usize << 20),
        Just(1usize << 32),
        Just(usize::MAX / 2 + 1),
        Just(usize::MAX),
        any::<usize>(),
    ]
}

/// Channel counts: the three supported and the usual wrong ones.
fn channels() -> impl Strategy<Value = usize> {
    prop_oneof![
        Just(0usize),
        Just(1),
        Just(2),
        Just(3),
        Just(4),
        Just(5),
        Just(255),
        Just(usize::MAX),
    ]
}

/// Strides: zero, plausible, and overflowing when multiplied by the height.
fn stride() -> impl Strategy<Value = usize> {
    prop_oneof![
        Just(0usize),
        0usize..100,
        Just(usize::MAX / 2),
        Just(usize::MAX),
        any::<usize>(),
    ]
}

/// Coefficients: ordinary, huge, tiny and non-finite.
fn coefficient() -> impl Strategy<Value = f64> {
    prop_oneof![
        -10.0f64..10.0,
        Just(0.0),
        Just(1e300),
        Just(-1e300),
        Just(1e-300),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(f64::MAX),
    ]
}

/// What `Shape::new` must answer, worked out independently.
fn expected_shape(width: usize, height: usize, channels: usize) -> Result<usize, Error> {
    if width == 0 || height == 0 {
        return Err(Error::EmptyImage { width, height });
    }
    if !matches!(channels, 1 | 3 | 4) {
        return Err(Error::UnsupportedChannels(channels));
    }
    let too_large = Error::TooLarge {
        width,
        height,
        channels,
        limit: MAX_SIDE,
        unit: LimitUnit::PixelsPerSide,
    };
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(too_large);
    }
    // Sides of at most 2^24 and 4 channels: at most 2^50 elements, no overflow.
    Ok(width * height * channels)
}

/// The error's message names `value`.
fn names(err: &impl std::fmt::Display, value: impl std::fmt::Display) -> bool {
    err.to_string().contains(&value.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Shape, Image::new_limited and Image::from_fn: zero, huge and
    /// overflowing sides, bad channel counts. Refusals allocate nothing
    /// large; successes allocate exactly the image.
    #[test]
    fn shapes_and_owned_images(width in side(), height in side(), channels in channels()) {
        let expected = expected_shape(width, height, channels);
        let shape = Shape::new(width, height, channels);
        match (&expected, &shape) {
            (Ok(len), Ok(s)) => prop_assert_eq!(s.len(), *len),
            (Err(want), Err(got)) => {
                prop_assert_eq!(want, got);
                match got {
                    Error::EmptyImage { .. } | Error::TooLarge { .. } => {
                        prop_assert!(names(got, format!("{width}x{height}")), "{}", got);
                    }
                    Error::UnsupportedChannels(_) => prop_assert!(names(got, channels), "{}", got),
                    other => prop_assert!(false, "unexpected variant {:?}", other),
                }
            }
            _ => prop_assert!(false, "expected {:?}, got {:?}", expected, shape),
        }

        // A small pixel limit: huge requests are refused before allocating.
        let limit = 1024;
        let mut made = None;
        let info = allocation_counter::measure(|| {
            made = Some(Image::<f32>::new_limited(width, height, channels, limit));
        });
        let made = made.ok_or_else(|| TestCaseError::fail("not run"))?;
        match expected.clone() {
            Ok(len) if len / channels <= limit => {
                let img = made?;
                prop_assert_eq!(img.as_slice().len(), len);
                prop_assert!(info.bytes_max <= (len * 4) as u64 + REFUSAL_BYTES);
            }
            Ok(_) => {
                prop_assert_eq!(
                    made,
                    Err(Error::TooLarge { width, height, channels, limit, unit: LimitUnit::Pixels })
                );
                prop_assert!(info.bytes_max < REFUSAL_BYTES, "{:?}", info);
            }
            Err(want) => {
                prop_assert_eq!(made, Err(want));
                prop_assert!(info.bytes_max < REFUSAL_BYTES, "{:?}", info);
            }
        }

        // from_fn under the default limit: never calls `f` for a refused size.
        if expected.as_ref().map_or(true, |len| len / channels > DEFAULT_MAX_PIXELS) {
            let mut calls = 0usize;
            let mut result = None;
            let info = allocation_counter::measure(|| {
                result = Some(Image::<u8>::from_fn(width, height, channels, |_, _, _| {
                    calls += 1;
                    0
                }));
            });
            prop_assert!(matches!(result, Some(Err(_))), "{:?}", result);
            prop_assert_eq!(calls, 0);
            prop_assert!(info.bytes_max < REFUSAL_BYTES, "{:?}", info);
        }
    }

    /// Borrowed views: stride shorter than a row, stride times height
    /// overflowing, buffers too short; accepted views read every row.
    #[test]
    fn views_check_stride_and_length(
        width in side(),
        height in side(),
        channels in channels(),
        stride in stride(),
        len in 0usize..200,
        extra in 0usize..3,
    ) {
        let data = vec![7u8; len];
        let view = ImageView::with_stride(&data, width, height, channels, stride);
        let mut data_mut = vec![7u8; len];
        let view_mut = ImageViewMut::with_stride(&mut data_mut, width, height, channels, stride);
        let expected = match expected_shape(width, height, channels) {
            Err(e) => Err(e),
            Ok(_) if stride < width * channels => Err(Error::StrideTooShort {
                stride,
                row: width * channels,
            }),
            Ok(_) => match stride
                .checked_mul(height - 1)
                .and_then(|n| n.checked_add(width * channels))
            {
                None => Err(Error::TooLarge {
                    width,
                    height,
                    channels,
                    limit: usize::MAX,
                    unit: LimitUnit::Elements,
                }),
                Some(needed) if len < needed => Err(Error::BufferTooShort { len, needed }),
                Some(_) => Ok(()),
            },
        };
        match (&expected, &view, &view_mut) {
            (Ok(()), Ok(v), Ok(vm)) => {
                // Every row is reachable and the copy is tightly packed.
                for y in 0..height {
                    prop_assert_eq!(v.row(y).len(), width * channels);
                }
                prop_assert_eq!(v.to_image().as_slice().len(), width * height * channels);
                prop_assert_eq!(vm.as_view().rows().count(), height);
            }
            (Err(want), Err(got), Err(got_mut)) => {
                prop_assert_eq!(want, got);
                prop_assert_eq!(want, got_mut);
                match got {
                    Error::StrideTooShort { .. } => prop_assert!(names(got, stride), "{}", got),
                    Error::BufferTooShort { .. } => prop_assert!(names(got, len), "{}", got),
                    _ => {}
                }
            }
            _ => prop_assert!(false, "expected {:?}, got {:?} / {:?}", expected, view, view_mut),
        }

        // Tightly packed: a buffer of exactly the image, or one short.
        if let Ok(n) = expected_shape(width, height, channels)
            && n <= 200
        {
            let exact = vec![1u8; n + extra];
            let v = ImageView::new(&exact, width, height, channels)?;
            prop_assert_eq!(v.to_image().as_slice().len(), n);
            let short = vec![1u8; n - 1];
            prop_assert_eq!(
                ImageView::new(&short, width, height, channels).err(),
                Some(Error::BufferTooShort { len: n - 1, needed: n })
            );
            let mut short_mut = vec![1u8; n - 1];
            prop_assert_eq!(
                ImageViewMut::new(&mut short_mut, width, height, channels).err(),
                Some(Error::BufferTooShort { len: n - 1, needed: n })
            );
        }
    }

    /// `Image::from_vec` takes exactly `width * height * channels` elements.
    #[test]
    fn from_vec_takes_exactly_the_image(
        width in 1usize..9,
        height in 1usize..9,
        channels in channels(),
        delta in -3isize..4,
    ) {
        let Ok(n) = expected_shape(width, height, channels) else {
            let got = Image::from_vec(width, height, channels, vec![0u8; 4]);
            prop_assert_eq!(got.err(), Some(Error::UnsupportedChannels(channels)));
            return Ok(());
        };
        let len = n.saturating_add_signed(delta);
        let got = Image::from_vec(width, height, channels, vec![3u8; len]);
        let err = match len.cmp(&n) {
            std::cmp::Ordering::Equal => {
                prop_assert_eq!(got?.as_slice().len(), n);
                return Ok(());
            }
            std::cmp::Ordering::Less => Error::BufferTooShort { len, needed: n },
            std::cmp::Ordering::Greater => Error::BufferTooLong { len, expected: n },
        };
        prop_assert!(names(&err, len) && names(&err, n), "{}", err);
        prop_assert_eq!(got.err(), Some(err));
    }

    /// Crops anywhere, of any size, out of a strided view: inside they share
    /// the pixels, otherwise they are refused (never a panic or a read past
    /// the buffer).
    #[test]
    fn crops_anywhere(
        (width, height, x, y) in (1usize..8, 1usize..8).prop_flat_map(|(w, h)| {
            let at = |side: usize| prop_oneof![0..=side + 1, Just(side), Just(usize::MAX)];
            (Just(w), Just(h), at(w), at(h))
        }),
        channels in prop_oneof![Just(1usize), Just(3), Just(4)],
        pad in 0usize..3,
        w in prop_oneof![Just(0usize), 0usize..10, Just(usize::MAX)],
        h in prop_oneof![Just(0usize), 0usize..10, Just(usize::MAX)],
    ) {
        let stride = width * channels + pad;
        // The buffer ends right after the last row (no trailing padding).
        let len = stride * (height - 1) + width * channels;
        let data: Vec<u8> = (0..len).map(|k| k as u8).collect();
        let view = ImageView::with_stride(&data, width, height, channels, stride)?;
        let inside = |start: usize, size: usize, full: usize| {
            size > 0 && start.checked_add(size).is_some_and(|end| end <= full)
        };
        match view.crop(x, y, w, h) {
            Ok(c) => {
                prop_assert!(inside(x, w, width) && inside(y, h, height));
                prop_assert_eq!((c.width(), c.height()), (w, h));
                for i in 0..h {
                    for j in 0..w {
                        prop_assert_eq!(c.pixel(j, i), view.pixel(x + j, y + i));
                    }
                }
            }
            Err(e) => {
                prop_assert!(!(inside(x, w, width) && inside(y, h, height)), "{}", e);
                prop_assert!(
                    matches!(e, Error::ShapeMismatch { .. } | Error::EmptyImage { .. }),
                    "{:?}", e
                );
                prop_assert!(names(&e, format!("{w}x{h}")), "{}", e);
            }
        }
    }

    /// Affine maps with NaN, infinite, huge or singular coefficients:
    /// `check_finite`, `from_opencv` and `inverse` refuse them by name; an
    /// inverse that is returned is finite and undoes the map.
    #[test]
    fn affine_coefficients(m in proptest::array::uniform6(coefficient())) {
        let [a, b, c, d, e, f] = m;
        let affine = Affine::new(a, b, c, d, e, f);
        let non_finite = m.iter().copied().find(|v| !v.is_finite());
        for result in [affine.check_finite(), Affine::from_opencv(affine.rows())] {
            match non_finite {
                Some(bad) => match result {
                    Err(Error::NonFinite { value, .. }) => {
                        prop_assert!(value.is_nan() && bad.is_nan() || value == bad);
                    }
                    other => prop_assert!(false, "{:?}", other),
                },
                None => prop_assert_eq!(result?, affine),
            }
        }
        match affine.inverse() {
            Ok(inv) => {
                prop_assert!(non_finite.is_none());
                prop_assert!(inv.rows().iter().flatten().all(|v| v.is_finite()));
                let det = affine.determinant();
                prop_assert!(det.is_finite() && det.abs() >= geom::SINGULAR_DETERMINANT);
            }
            Err(Error::NonFinite { what, .. }) => {
                // The coefficients, or an inverse that overflows.
                prop_assert!(what.contains("affine"), "{}", what);
            }
            Err(Error::Singular { determinant }) => {
                prop_assert!(non_finite.is_none());
                let det = affine.determinant();
                prop_assert!(!det.is_finite() || det.abs() < geom::SINGULAR_DETERMINANT);
                prop_assert!(determinant.is_nan() && det.is_nan() || determinant == det);
            }
            Err(other) => prop_assert!(false, "{:?}", other),
        }
        // Builders take any angle or factor without panicking.
        for v in m {
            let _ = Affine::rotate(v).inverse();
            let _ = Affine::shear(v, -v).inverse();
            let _ = Affine::scale_about(v, v, (v, v)).inverse();
            let _ = Affine::rotate_about(v, (v, -v)).apply(v, v);
        }
    }

    /// Projective matrices: non-finite entries refused by `new`, singular
    /// ones by `inverse`, hostile points by `from_points`; `apply` never
    /// panics and gives `None` or a point.
    #[test]
    fn projective_matrices(
        m in proptest::array::uniform9(coefficient()),
        points in proptest::array::uniform8(coefficient()),
        x in coefficient(),
        y in coefficient(),
    ) {
        let rows = [[m[0], m[1], m[2]], [m[3], m[4], m[5]], [m[6], m[7], m[8]]];
        let non_finite = m.iter().any(|v| !v.is_finite());
        match Projective::new(rows) {
            Ok(p) => {
                prop_assert!(!non_finite);
                let _ = p.apply(x, y);
                match p.inverse() {
                    Ok(inv) => prop_assert!(inv.matrix().iter().flatten().all(|v| v.is_finite())),
                    Err(e) => prop_assert!(
                        matches!(e, Error::Singular { .. } | Error::NonFinite { .. }),
                        "{:?}", e
                    ),
                }
                let _ = p.then(&p).inverse();
            }
            Err(e) => {
                prop_assert!(non_finite);
                prop_assert!(matches!(e, Error::NonFinite { .. }), "{:?}", e);
            }
        }
        let from = [(points[0], points[1]), (points[2], points[3]), (points[4], points[5]), (points[6], points[7])];
        let square = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)];
        for result in [Projective::from_points(from, square), Projective::from_points(square, from)] {
            match result {
                Ok(p) => prop_assert!(p.matrix().iter().flatten().all(|v| v.is_finite())),
                Err(e) => prop_assert!(
                    matches!(e, Error::Singular { .. } | Error::NonFinite { .. }),
                    "{:?}", e
                ),
            }
        }
    }

    /// Homographies and `Map::then_affine` with hostile coefficients and
    /// grid positions: inverses answer as the affine or projective inverse
    /// does (a finite map or a typed error), composition and `apply` never
    /// panic, and `then_affine` keeps the kind and size of the map.
    #[test]
    fn homographies_and_then_affine(
        m in proptest::array::uniform6(coefficient()),
        n in proptest::array::uniform6(coefficient()),
        positions in proptest::collection::vec(coefficient(), 12),
        x in coefficient(),
        y in coefficient(),
    ) {
        let a = Affine::new(m[0], m[1], m[2], m[3], m[4], m[5]);
        let next = Affine::new(n[0], n[1], n[2], n[3], n[4], n[5]);
        let square = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)];
        let to = [(m[0], m[1]), (m[2], m[3]), (m[4], m[5]), (n[0], n[1])];
        let p = Projective::from_points(square, to).ok();
        let mut chain = vec![Homography::from(a), Homography::from(next)];
        chain.extend(p.map(Homography::from));
        for h in &chain {
            let _ = h.apply(x, y);
            let _ = h.then(h).apply(x, y);
            match (h, h.inverse()) {
                (Homography::Affine(a), Ok(Homography::Affine(inv))) => {
                    prop_assert_eq!(a.inverse()?, inv);
                }
                (Homography::Projective(p), Ok(Homography::Projective(inv))) => {
                    prop_assert_eq!(p.inverse()?, inv);
                }
                (_, Ok(other)) => prop_assert!(false, "form changed: {:?}", other),
                (_, Err(e)) => prop_assert!(
                    matches!(e, Error::Singular { .. } | Error::NonFinite { .. }),
                    "{:?}", e
                ),
            }
            // Bit for bit, NaN for NaN (the coefficients may be NaN).
            let same = |a: &[[f64; 3]], b: &[[f64; 3]]| {
                a.iter().flatten().zip(b.iter().flatten()).all(|(x, y)| {
                    x.to_bits() == y.to_bits() || x.is_nan() && y.is_nan()
                })
            };
            match h.to_map().then_affine(&next) {
                Map::Affine(b) => {
                    let Homography::Affine(want) = h.then(&next.into()) else {
                        return Err(TestCaseError::fail("affine then affine left the affine form"));
                    };
                    prop_assert!(same(&b.rows(), &want.rows()), "{:?} {:?}", b, want);
                }
                Map::Projective(q) => {
                    prop_assert!(!h.is_affine());
                    let want = h.to_projective().then(&Projective::from(next));
                    prop_assert!(same(&q.matrix(), &want.matrix()), "{:?} {:?}", q, want);
                }
                Map::Grid(_) => prop_assert!(false, "a homography became a grid"),
            }
        }
        let xy: Vec<f32> = positions.iter().map(|&v| v as f32).collect();
        let grid = Grid::new(3, 2, xy)?;
        match Map::from(grid.clone()).then_affine(&next) {
            Map::Grid(g) => {
                prop_assert_eq!((g.width(), g.height()), (3, 2));
                for (k, (to, from)) in g.as_slice().chunks_exact(2).zip(grid.as_slice().chunks_exact(2)).enumerate() {
                    let (x, y) = (f64::from(from[0]), f64::from(from[1]));
                    let [[a, b, c], [d, e, f]] = next.rows();
                    let want = if b == 0.0 && d == 0.0 {
                        ((a * x + c) as f32, (e * y + f) as f32)
                    } else {
                        let (u, v) = next.apply(x, y);
                        (u as f32, v as f32)
                    };
                    let same = |g: f32, w: f32| g.to_bits() == w.to_bits() || g.is_nan() && w.is_nan();
                    prop_assert!(same(to[0], want.0) && same(to[1], want.1), "position {}", k);
                }
            }
            other => prop_assert!(false, "a grid became {:?}", other),
        }
    }

    /// Output windows: NaN, infinite, zero and negative sides, zero outputs.
    #[test]
    fn output_windows(
        left in coefficient(),
        top in coefficient(),
        w in coefficient(),
        h in coefficient(),
        out_w in side(),
        out_h in side(),
    ) {
        let rect = Rect { left, top, width: w, height: h };
        match rect.to_output(out_w, out_h) {
            Ok(a) => {
                prop_assert!(out_w > 0 && out_h > 0);
                prop_assert!([left, top, w, h].iter().all(|v| v.is_finite()));
                prop_assert!(w > 0.0 && h > 0.0);
                prop_assert!(a.rows().iter().flatten().all(|v| v.is_finite()));
            }
            Err(Error::EmptyImage { width, height }) => {
                prop_assert!(out_w == 0 || out_h == 0);
                prop_assert_eq!((width, height), (out_w, out_h));
            }
            Err(Error::NonFinite { value, .. }) => prop_assert!(!value.is_finite()),
            Err(e @ Error::OutOfRange { value, .. }) => {
                prop_assert!(value <= 0.0);
                prop_assert!(names(&e, value), "{}", e);
            }
            Err(other) => prop_assert!(false, "{:?}", other),
        }
    }

    /// PyTorch theta conversions with empty, one-pixel and huge sides and
    /// non-finite thetas.
    #[test]
    fn torch_theta_conversions(
        theta in proptest::array::uniform6(coefficient()),
        src in (side(), side()),
        out in (side(), side()),
        align_corners in any::<bool>(),
    ) {
        let [a, b, c, d, e, f] = theta;
        let pull = Affine::new(a, b, c, d, e, f);
        let min_side = if align_corners { 2 } else { 1 };
        let sizes_ok = [src.0, src.1, out.0, out.1].iter().all(|&s| s >= min_side);
        let finite = theta.iter().all(|v| v.is_finite());
        match Affine::from_torch_theta(pull.rows(), src, out, align_corners) {
            Ok(_) => prop_assert!(finite && sizes_ok),
            Err(Error::NonFinite { .. }) => prop_assert!(!finite),
            Err(Error::EmptyImage { .. } | Error::OutOfRange { .. }) => prop_assert!(!sizes_ok),
            Err(Error::Singular { .. }) => {}
            Err(other) => prop_assert!(false, "{:?}", other),
        }
        match pull.to_torch_theta(src, out, align_corners) {
            Ok(_) => prop_assert!(sizes_ok),
            Err(Error::EmptyImage { .. } | Error::OutOfRange { .. }) => prop_assert!(!sizes_ok),
            Err(Error::Singular { .. }) => {}
            Err(other) => prop_assert!(false, "{:?}", other),
        }
    }

    /// `Padding::index` for any index on any axis length, including 0 and
    /// lengths past `i64::MAX`: `None` or an index inside the axis.
    #[test]
    fn padding_index_any_axis(
        i in prop_oneof![any::<i64>(), Just(i64::MIN), Just(i64::MAX), -5i64..5],
        len in prop_oneof![
            Just(0usize),
            1usize..8,
            Just(MAX_SIDE),
            Just(1usize << 62),
            Just((1usize << 62) + 1),
            Just(i64::MAX as usize),
            Just(i64::MAX as usize + 1),
            Just(usize::MAX),
            any::<usize>(),
        ],
        constant in coefficient(),
    ) {
        for padding in Padding::all(constant as f32) {
            let got = padding.index(i, len);
            if len == 0 {
                prop_assert_eq!(got, None);
                continue;
            }
            let inside = usize::try_from(i).is_ok_and(|u| u < len);
            if inside {
                prop_assert_eq!(got, usize::try_from(i).ok());
            }
            match got {
                Some(k) => prop_assert!(k < len, "{:?} {} {} -> {}", padding, i, len, k),
                None => prop_assert!(padding.constant().is_some() && !inside),
            }
        }
    }

    /// Grids: wrong lengths and hostile sizes refused; NaN and infinite
    /// positions read as padding (`source_of` gives `None`), never as a
    /// position; out-of-grid pixels give `None`.
    #[test]
    fn grids(
        width in side(),
        height in side(),
        len in 0usize..100,
        values in proptest::collection::vec(coefficient(), 0..64),
        j in 0usize..10,
        i in 0usize..10,
    ) {
        let xy: Vec<f32> = (0..len).map(|k| values.get(k).copied().unwrap_or(0.5) as f32).collect();
        let expected = match expected_shape(width, height, 1) {
            Err(e) => Err(e),
            Ok(pixels) if len < 2 * pixels => Err(Error::BufferTooShort { len, needed: 2 * pixels }),
            Ok(pixels) if len > 2 * pixels => Err(Error::BufferTooLong { len, expected: 2 * pixels }),
            Ok(_) => Ok(()),
        };
        let grid = Grid::new(width, height, xy.clone());
        match (&expected, grid) {
            (Ok(()), Ok(g)) => {
                let map = Map::Grid(g.clone());
                let got = map.source_of(j, i);
                match g.get(j, i) {
                    None => {
                        prop_assert!(j >= width || i >= height);
                        prop_assert_eq!(got, None);
                    }
                    Some((x, y)) if x.is_finite() && y.is_finite() => {
                        prop_assert_eq!(got, Some((f64::from(x), f64::from(y))));
                    }
                    Some(_) => prop_assert_eq!(got, None),
                }
            }
            (Err(want), Err(got)) => prop_assert_eq!(want, &got),
            (want, got) => prop_assert!(false, "expected {:?}, got {:?}", want, got),
        }

        // from_fn refuses a huge grid before allocating or calling `f`.
        let big = expected_shape(width, height, 1).map_or(true, |p| p > DEFAULT_MAX_PIXELS);
        if big {
            let mut calls = 0usize;
            let mut result = None;
            let info = allocation_counter::measure(|| {
                result = Some(Grid::from_fn(width, height, |_, _| {
                    calls += 1;
                    (0.0, 0.0)
                }));
            });
            prop_assert!(matches!(result, Some(Err(_))), "{:?}", result);
            prop_assert_eq!(calls, 0);
            prop_assert!(info.bytes_max < REFUSAL_BYTES, "{:?}", info);
        }
    }
}

/// A request for 2^40 pixels (2^20 x 2^20) is refused with `TooLarge`
/// naming the size, with less than a page of heap touched.
#[test]
fn two_to_the_forty_pixels_are_refused_unallocated() -> TestResult {
    let side = 1usize << 20;
    let mut result = None;
    let info = allocation_counter::measure(|| {
        result = Some(Image::<f32>::new(side, side, 3));
    });
    let err = result
        .ok_or("not run")?
        .err()
        .ok_or("a 2^40-pixel image was allocated")?;
    assert_eq!(
        err,
        Error::TooLarge {
            width: side,
            height: side,
            channels: 3,
            limit: DEFAULT_MAX_PIXELS,
            unit: LimitUnit::Pixels,
        }
    );
    assert_eq!(
        err.to_string(),
        "image size 1048576x1048576x3 exceeds the limit of 268435456 pixels"
    );
    assert!(info.bytes_max < REFUSAL_BYTES, "{info:?}");
    Ok(())
}

/// The README rows: each bad input and the message it gets.
#[test]
fn readme_rows() -> TestResult {
    // width 0
    let e = Image::<u8>::new(0, 10, 3).err().ok_or("accepted width 0")?;
    assert_eq!(
        e,
        Error::EmptyImage {
            width: 0,
            height: 10
        }
    );
    assert!(e.to_string().contains("0x10"), "{e}");
    // 2 channels
    let e = Shape::new(4, 4, 2).err().ok_or("accepted 2 channels")?;
    assert_eq!(e, Error::UnsupportedChannels(2));
    assert!(e.to_string().starts_with("2 channels"), "{e}");
    // stride shorter than a row
    let data = [0u8; 64];
    let e = ImageView::with_stride(&data, 4, 4, 3, 11)
        .err()
        .ok_or("accepted a short stride")?;
    assert_eq!(
        e,
        Error::StrideTooShort {
            stride: 11,
            row: 12
        }
    );
    // buffer one element short
    let e = ImageView::new(&data[..47], 4, 4, 3)
        .err()
        .ok_or("accepted a short buffer")?;
    assert_eq!(
        e,
        Error::BufferTooShort {
            len: 47,
            needed: 48
        }
    );
    assert!(
        e.to_string().contains("47") && e.to_string().contains("48"),
        "{e}"
    );
    // stride * height overflowing usize
    let e = ImageView::with_stride(&data, 1, 3, 1, usize::MAX)
        .err()
        .ok_or("accepted an overflowing stride")?;
    assert!(matches!(e, Error::TooLarge { .. }), "{e:?}");
    // NaN in an affine matrix
    let e = Affine::new(1.0, f64::NAN, 0.0, 0.0, 1.0, 0.0)
        .inverse()
        .err()
        .ok_or("inverted NaN")?;
    assert!(
        matches!(e, Error::NonFinite { value, .. } if value.is_nan()),
        "{e:?}"
    );
    assert!(e.to_string().contains("NaN"), "{e}");
    // determinant 0
    let e = Affine::new(1.0, 2.0, 0.0, 2.0, 4.0, 0.0)
        .inverse()
        .err()
        .ok_or("inverted a singular matrix")?;
    assert_eq!(e, Error::Singular { determinant: 0.0 });
    assert!(e.to_string().contains("determinant 0"), "{e}");
    // infinity in a homography
    let e = Projective::new([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [f64::INFINITY, 0.0, 1.0]])
        .err()
        .ok_or("accepted inf")?;
    assert!(e.to_string().contains("inf"), "{e}");
    // grid coordinate NaN: no source position, so padding
    let grid = Grid::new(2, 1, vec![f32::NAN, 0.0, 0.0, f32::INFINITY])?;
    let map = Map::Grid(grid);
    assert_eq!(map.source_of(0, 0), None);
    assert_eq!(map.source_of(1, 0), None);
    // Padding::index on an axis longer than i64::MAX
    assert_eq!(Padding::Border.index(-1, usize::MAX), Some(0));
    Ok(())
}

/// `Image::pixel` one past the end of a row panics, as documented, rather
/// than reading the first pixel of the next row.
#[test]
#[should_panic(expected = "range")]
fn image_pixel_past_the_row_end_panics() {
    if let Ok(img) = Image::<u8>::from_fn(2, 2, 3, |x, y, _| (x + 2 * y) as u8) {
        let _ = img.pixel(2, 0);
    }
}

/// `Image::pixel_mut` likewise.
#[test]
#[should_panic(expected = "range")]
fn image_pixel_mut_past_the_row_end_panics() {
    if let Ok(mut img) = Image::<u8>::new(2, 2, 1) {
        img.pixel_mut(2, 0)[0] = 1;
    }
}
