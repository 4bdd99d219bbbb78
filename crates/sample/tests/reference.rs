//! The scalar sampler against an exact `f64` bilinear written here, and the
//! exact cases (identity, integer shifts, quarter turns, each padding mode)
//! that a resampler must get right to the bit.

use geom::{Affine, Grid, Image, ImageView, Map, Padding, Projective};
use proptest::prelude::*;
use sample::{ChannelAffine, Error, Interpolation, WarpOptions};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Index `i` on an axis of `n` under `padding`, by folding step by step
/// (independent of `geom::Padding::index`). `None`: the constant.
fn fold(padding: Padding, mut i: i64, n: i64) -> Option<i64> {
    match padding {
        Padding::Constant(_) | Padding::Zeros => (0..n).contains(&i).then_some(i),
        Padding::Border => Some(i.clamp(0, n - 1)),
        Padding::Wrap => Some(i.rem_euclid(n)),
        Padding::Reflect => {
            i = i.rem_euclid(2 * n);
            Some(if i < n { i } else { 2 * n - 1 - i })
        }
        Padding::Reflect101 => {
            if n == 1 {
                return Some(0);
            }
            i = i.rem_euclid(2 * n - 2);
            Some(if i < n { i } else { 2 * n - 2 - i })
        }
    }
}

fn fill(padding: Padding) -> f64 {
    f64::from(padding.constant().unwrap_or(0.0))
}

/// The source value at integer tap `(x, y)` through the padding rule, in f64.
fn tap<T: geom::Element>(
    src: &ImageView<'_, T>,
    padding: Padding,
    x: i64,
    y: i64,
    c: usize,
) -> f64 {
    match (
        fold(padding, x, src.width() as i64),
        fold(padding, y, src.height() as i64),
    ) {
        (Some(x), Some(y)) => f64::from(src.pixel(x as usize, y as usize)[c].to_f32()),
        _ => fill(padding),
    }
}

/// Exact bilinear (or nearest) at `(x, y)`, in f64.
fn exact<T: geom::Element>(
    src: &ImageView<'_, T>,
    padding: Padding,
    interpolation: Interpolation,
    x: f64,
    y: f64,
    c: usize,
) -> f64 {
    if !(x.is_finite() && y.is_finite()) {
        return fill(padding);
    }
    let far = f64::from(1u32 << 30);
    let (x, y) = (x.clamp(-far, far), y.clamp(-far, far));
    match interpolation {
        Interpolation::Nearest => tap(
            src,
            padding,
            (x + 0.5).floor() as i64,
            (y + 0.5).floor() as i64,
            c,
        ),
        Interpolation::Bilinear => {
            let (x0, y0) = (x.floor(), y.floor());
            let (fx, fy) = (x - x0, y - y0);
            let (x0, y0) = (x0 as i64, y0 as i64);
            let t = |dx, dy| tap(src, padding, x0 + dx, y0 + dy, c);
            (1.0 - fy) * ((1.0 - fx) * t(0, 0) + fx * t(1, 0))
                + fy * ((1.0 - fx) * t(0, 1) + fx * t(1, 1))
        }
    }
}

fn options(interpolation: Interpolation, padding: Padding) -> WarpOptions {
    WarpOptions {
        interpolation,
        padding,
        values: None,
    }
}

fn paddings() -> impl Strategy<Value = Padding> {
    prop_oneof![
        (-10.0f32..300.0).prop_map(Padding::Constant),
        Just(Padding::Zeros),
        Just(Padding::Border),
        Just(Padding::Reflect),
        Just(Padding::Reflect101),
        Just(Padding::Wrap),
    ]
}

fn interpolations() -> impl Strategy<Value = Interpolation> {
    prop_oneof![Just(Interpolation::Nearest), Just(Interpolation::Bilinear)]
}

/// Affine pull maps of every kind: near identity, rotations with zoom,
/// mirrored, huge and tiny scales, and maps landing far outside the source.
fn affines() -> impl Strategy<Value = Affine> {
    let general = (
        -3.0f64..3.0,
        -3.0f64..3.0,
        -60.0f64..60.0,
        -3.0f64..3.0,
        -3.0f64..3.0,
        -60.0f64..60.0,
    )
        .prop_map(|(a, b, c, d, e, f)| Affine::new(a, b, c, d, e, f));
    let rotation = (
        -180.0f64..180.0,
        0.2f64..4.0,
        -20.0f64..20.0,
        -20.0f64..20.0,
    )
        .prop_map(|(deg, s, cx, cy)| {
            Affine::rotate_about(deg, (cx, cy)).then(&Affine::scale_about(s, s, (cx, cy)))
        });
    let extreme = (
        prop_oneof![
            Just(1e-6f64),
            Just(-1e-3),
            Just(50.0),
            Just(-400.0),
            Just(1e6)
        ],
        -1e7f64..1e7,
        -1e7f64..1e7,
    )
        .prop_map(|(s, tx, ty)| Affine::new(s, 0.3, tx, -0.2, s, ty));
    prop_oneof![4 => general, 4 => rotation, 1 => extreme]
}

/// A random image with a row stride of at least one row.
fn images<T: geom::Element + std::fmt::Debug>(
    values: impl Strategy<Value = T> + Clone + 'static,
) -> impl Strategy<Value = (Vec<T>, usize, usize, usize, usize)> {
    (
        1usize..24,
        1usize..24,
        prop_oneof![Just(1usize), Just(3), Just(4)],
        0usize..5,
    )
        .prop_flat_map(move |(w, h, c, extra)| {
            let stride = w * c + extra;
            let len = stride * (h - 1) + w * c;
            (
                proptest::collection::vec(values.clone(), len),
                Just(w),
                Just(h),
                Just(c),
                Just(stride),
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// u8: the exact value correctly rounded, within 0.5 LSB plus float noise;
    /// nearest picks exactly the tap the rule names.
    #[test]
    fn u8_matches_exact_f64(
        (data, w, h, c, stride) in images(any::<u8>()),
        map in affines(),
        padding in paddings(),
        interpolation in interpolations(),
        (ow, oh) in (1usize..20, 1usize..20),
    ) {
        let src = ImageView::with_stride(&data, w, h, c, stride)?;
        let mut dst = Image::<u8>::new(ow, oh, c)?;
        sample::warp_into(src, dst.view_mut(), &Map::Affine(map), &options(interpolation, padding))?;
        let [[a, b, cc], [d, e, f]] = map.rows();
        for i in 0..oh {
            for j in 0..ow {
                let (x, y) = (a * j as f64 + (b * i as f64 + cc), d * j as f64 + (e * i as f64 + f));
                for ch in 0..c {
                    let want = exact(&src, padding, interpolation, x, y, ch).clamp(0.0, 255.0);
                    let got = f64::from(dst.pixel(j, i)[ch]);
                    // Nearest reads a tap: exact unless the fill constant is fractional.
                    let tolerance = if want.fract() == 0.0 { 0.0 } else { 0.501 };
                    prop_assert!((got - want).abs() <= tolerance,
                        "({j},{i}) ch {ch} at ({x}, {y}): got {got}, exact {want}");
                }
            }
        }
    }

    /// f32: within 1e-5 of the value range.
    #[test]
    fn f32_matches_exact_f64(
        (data, w, h, c, stride) in images(-1.0f32..1.0),
        map in affines(),
        padding in paddings(),
        interpolation in interpolations(),
        (ow, oh) in (1usize..20, 1usize..20),
    ) {
        let src = ImageView::with_stride(&data, w, h, c, stride)?;
        let mut dst = Image::<f32>::new(ow, oh, c)?;
        sample::warp_into(src, dst.view_mut(), &Map::Affine(map), &options(interpolation, padding))?;
        let [[a, b, cc], [d, e, f]] = map.rows();
        let range = 2.0f64.max(fill(padding).abs() + 1.0);
        for i in 0..oh {
            for j in 0..ow {
                let (x, y) = (a * j as f64 + (b * i as f64 + cc), d * j as f64 + (e * i as f64 + f));
                for ch in 0..c {
                    let want = exact(&src, padding, interpolation, x, y, ch);
                    let got = f64::from(dst.pixel(j, i)[ch]);
                    prop_assert!((got - want).abs() <= 1e-5 * range,
                        "({j},{i}) ch {ch} at ({x}, {y}): got {got}, exact {want}");
                }
            }
        }
    }

    /// The identity map returns the input exactly, whatever the padding.
    #[test]
    fn identity_is_exact(
        (data, w, h, c, stride) in images(any::<u8>()),
        padding in paddings(),
        interpolation in interpolations(),
    ) {
        let src = ImageView::with_stride(&data, w, h, c, stride)?;
        let mut dst = Image::<u8>::new(w, h, c)?;
        sample::warp_into(src, dst.view_mut(), &Map::Affine(Affine::IDENTITY), &options(interpolation, padding))?;
        prop_assert_eq!(dst, src.to_image());
    }

    /// Integer translations copy pixels, and padding fills exactly what the rule says.
    #[test]
    fn integer_translations_are_exact(
        (data, w, h, c, stride) in images(-50.0f32..50.0),
        (tx, ty) in (-30i64..30, -30i64..30),
        padding in paddings(),
        interpolation in interpolations(),
    ) {
        let src = ImageView::with_stride(&data, w, h, c, stride)?;
        let mut dst = Image::<f32>::new(w, h, c)?;
        let pull = Affine::translate(tx as f64, ty as f64);
        sample::warp_into(src, dst.view_mut(), &Map::Affine(pull), &options(interpolation, padding))?;
        for i in 0..h {
            for j in 0..w {
                for ch in 0..c {
                    let want = tap(&src, padding, j as i64 + tx, i as i64 + ty, ch) as f32;
                    prop_assert_eq!(dst.pixel(j, i)[ch], want);
                }
            }
        }
    }
}

#[test]
fn quarter_turns_are_exact() -> TestResult {
    // A square image turned about its centre maps pixel centres onto pixel centres.
    let src = Image::<u8>::from_fn(7, 7, 3, |x, y, c| (x * 31 + y * 7 + c * 80) as u8)?;
    for (degrees, expected) in [
        (
            90.0,
            (|x, y| (6 - y, x)) as fn(usize, usize) -> (usize, usize),
        ),
        (180.0, |x, y| (6 - x, 6 - y)),
        (270.0, |x, y| (y, 6 - x)),
        (-90.0, |x, y| (y, 6 - x)),
    ] {
        let pull = Affine::rotate_about(degrees, (3.0, 3.0)).inverse()?;
        for interpolation in [Interpolation::Nearest, Interpolation::Bilinear] {
            let mut dst = Image::<u8>::new(7, 7, 3)?;
            sample::warp_into(
                src.view(),
                dst.view_mut(),
                &Map::Affine(pull),
                &options(interpolation, Padding::Zeros),
            )?;
            for y in 0..7 {
                for x in 0..7 {
                    let (sx, sy) = expected(x, y);
                    assert_eq!(
                        dst.pixel(x, y),
                        src.pixel(sx, sy),
                        "{degrees}° at ({x},{y})"
                    );
                }
            }
        }
    }
    Ok(())
}

/// One row `10 20 30 40`, read at half-pixel steps from x = -2 to 5: every
/// padding mode against values worked out by hand.
#[test]
fn each_padding_mode_by_hand() -> TestResult {
    let src = Image::<f32>::from_vec(4, 1, 1, vec![10.0, 20.0, 30.0, 40.0])?;
    let positions: Vec<f64> = (0..15).map(|k| -2.0 + 0.5 * k as f64).collect();
    let grid = Grid::from_fn(15, 1, |j, _| (positions[j] as f32, 0.0))?;
    let cases: [(Padding, [f32; 15]); 5] = [
        // x:          -2   -1.5   -1   -0.5   0   0.5   1   1.5   2   2.5   3   3.5   4   4.5   5
        (
            Padding::Constant(100.0),
            [
                100., 100., 100., 55., 10., 15., 20., 25., 30., 35., 40., 70., 100., 100., 100.,
            ],
        ),
        (
            Padding::Border,
            [
                10., 10., 10., 10., 10., 15., 20., 25., 30., 35., 40., 40., 40., 40., 40.,
            ],
        ),
        // Reflect: 20 10 | 10 20 30 40 | 40 30
        (
            Padding::Reflect,
            [
                20., 15., 10., 10., 10., 15., 20., 25., 30., 35., 40., 40., 40., 35., 30.,
            ],
        ),
        // Reflect101: 30 20 | 10 20 30 40 | 30 20
        (
            Padding::Reflect101,
            [
                30., 25., 20., 15., 10., 15., 20., 25., 30., 35., 40., 35., 30., 25., 20.,
            ],
        ),
        // Wrap: 30 40 | 10 20 30 40 | 10 20
        (
            Padding::Wrap,
            [
                30., 35., 40., 25., 10., 15., 20., 25., 30., 35., 40., 25., 10., 15., 20.,
            ],
        ),
    ];
    for (padding, want) in cases {
        let mut dst = Image::<f32>::new(15, 1, 1)?;
        sample::warp_into(
            src.view(),
            dst.view_mut(),
            &Map::Grid(grid.clone()),
            &options(Interpolation::Bilinear, padding),
        )?;
        assert_eq!(dst.as_slice(), &want, "{padding:?}");
    }
    Ok(())
}

#[test]
fn non_finite_positions_read_the_fill_value() -> TestResult {
    let src = Image::<u8>::from_fn(4, 4, 1, |_, _, _| 200)?;
    let grid = Grid::new(
        4,
        1,
        vec![
            f32::NAN,
            0.0,
            1.0,
            f32::INFINITY,
            1.0,
            1.0,
            f32::NEG_INFINITY,
            2.0,
        ],
    )?;
    for (padding, fill) in [
        (Padding::Constant(7.0), 7),
        (Padding::Border, 0),
        (Padding::Wrap, 0),
    ] {
        for interpolation in [Interpolation::Nearest, Interpolation::Bilinear] {
            let mut dst = Image::<u8>::new(4, 1, 1)?;
            sample::warp_into(
                src.view(),
                dst.view_mut(),
                &Map::Grid(grid.clone()),
                &options(interpolation, padding),
            )?;
            assert_eq!(
                dst.as_slice(),
                &[fill, fill, 200, fill],
                "{padding:?} {interpolation:?}"
            );
        }
    }
    Ok(())
}

#[test]
fn projective_with_unit_w_equals_affine_and_behind_the_viewer_is_padding() -> TestResult {
    let src = Image::<u8>::from_fn(30, 20, 3, |x, y, c| (x * 5 + y * 9 + c * 60) as u8)?;
    let affine = Affine::rotate_about(23.0, (14.5, 9.5)).then(&Affine::scale(1.3, 0.8));
    let run = |map: Map| -> Result<Image<u8>, Error> {
        let mut dst = Image::<u8>::new(25, 25, 3)?;
        sample::warp_into(
            src.view(),
            dst.view_mut(),
            &map,
            &options(Interpolation::Bilinear, Padding::Reflect),
        )?;
        Ok(dst)
    };
    assert_eq!(
        run(Map::Affine(affine))?,
        run(Map::Projective(Projective::from(affine)))?
    );
    // w = 1 - x/10: columns from x = 10 on are behind the viewer.
    let p = Projective::new([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [-0.1, 0.0, 1.0]])?;
    let mut dst = Image::<u8>::new(25, 25, 3)?;
    sample::warp_into(
        src.view(),
        dst.view_mut(),
        &Map::Projective(p),
        &options(Interpolation::Nearest, Padding::Constant(9.0)),
    )?;
    for i in 0..25 {
        for j in 10..25 {
            assert_eq!(dst.pixel(j, i), &[9, 9, 9]);
        }
    }
    Ok(())
}

#[test]
fn planar_output_equals_interleaved_before_rounding() -> TestResult {
    let src = Image::<f32>::from_fn(17, 13, 3, |x, y, c| (x * y + c) as f32 * 0.01)?;
    let map = Map::Affine(Affine::rotate_about(11.0, (8.0, 6.0)));
    let values = ChannelAffine {
        scale: [2.0, 0.5, -1.0, 1.0],
        offset: [0.1, 0.2, 0.3, 0.0],
    };
    let opts = WarpOptions {
        values: Some(values),
        ..options(Interpolation::Bilinear, Padding::Reflect101)
    };
    let mut interleaved = Image::<f32>::new(11, 9, 3)?;
    sample::warp_into(src.view(), interleaved.view_mut(), &map, &opts)?;
    let mut planar = vec![0.0f32; 3 * 11 * 9];
    sample::warp_planar_into(src.view(), &mut planar, 11, 9, &map, &opts)?;
    for i in 0..9 {
        for j in 0..11 {
            for c in 0..3 {
                assert_eq!(planar[c * 99 + i * 11 + j], interleaved.pixel(j, i)[c]);
            }
        }
    }
    Ok(())
}

#[test]
fn value_affine_is_applied_before_one_rounding() -> TestResult {
    let src = Image::<u8>::from_vec(3, 1, 1, vec![100, 101, 250])?;
    let mut dst = Image::<u8>::new(3, 1, 1)?;
    let opts = WarpOptions {
        values: Some(ChannelAffine::uniform(1.5, 0.25)),
        ..WarpOptions::default()
    };
    sample::warp_into(
        src.view(),
        dst.view_mut(),
        &Map::Affine(Affine::IDENTITY),
        &opts,
    )?;
    // 150.25 -> 150, 151.75 -> 152, 375.25 -> saturates.
    assert_eq!(dst.as_slice(), &[150, 152, 255]);
    Ok(())
}

#[test]
fn bad_requests_are_typed_errors() -> TestResult {
    let src = Image::<u8>::new(4, 4, 3)?;
    let id = Map::Affine(Affine::IDENTITY);
    let mut gray = Image::<u8>::new(4, 4, 1)?;
    assert!(matches!(
        sample::warp_into(src.view(), gray.view_mut(), &id, &WarpOptions::default()),
        Err(Error::ChannelMismatch {
            source_channels: 3,
            destination: 1
        })
    ));
    let mut dst = Image::<u8>::new(4, 4, 3)?;
    let grid = Map::Grid(Grid::from_fn(3, 4, |j, i| (j as f32, i as f32))?);
    assert!(matches!(
        sample::warp_into(src.view(), dst.view_mut(), &grid, &WarpOptions::default()),
        Err(Error::GridSizeMismatch { grid_width: 3, .. })
    ));
    let nan = Map::Affine(Affine::new(f64::NAN, 0.0, 0.0, 0.0, 1.0, 0.0));
    assert!(matches!(
        sample::warp_into(src.view(), dst.view_mut(), &nan, &WarpOptions::default()),
        Err(Error::Geometry(geom::Error::NonFinite { .. }))
    ));
    let bad_values = WarpOptions {
        values: Some(ChannelAffine::uniform(f32::INFINITY, 0.0)),
        ..WarpOptions::default()
    };
    assert!(matches!(
        sample::warp_into(src.view(), dst.view_mut(), &id, &bad_values),
        Err(Error::NonFinite { .. })
    ));
    let bad_padding = WarpOptions {
        padding: Padding::Constant(f32::NAN),
        ..WarpOptions::default()
    };
    assert!(matches!(
        sample::warp_into(src.view(), dst.view_mut(), &id, &bad_padding),
        Err(Error::NonFinite { .. })
    ));
    let mut short = vec![0.0f32; 47];
    assert!(matches!(
        sample::warp_planar_into(src.view(), &mut short, 4, 4, &id, &WarpOptions::default()),
        Err(Error::PlanarLength {
            len: 47,
            needed: 48,
            ..
        })
    ));
    Ok(())
}
