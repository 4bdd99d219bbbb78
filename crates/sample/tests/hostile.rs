//! Hostile arguments to every public entry point of `sample`: maps with NaN,
//! infinite, huge and singular coefficients, grids with NaN and infinite
//! positions, non-finite padding constants and value affines, channel and
//! size mismatches, planar buffers of the wrong length. Each case returns the
//! typed error that names the bad value or, where it is accepted, writes
//! every output element (and no stride gap) the same way on every kernel
//! path. A non-finite grid position reads the padding fill (step 1 of the
//! reference in `src/kernels/scalar.rs`; ARCHITECTURE.md, "Conventions").

use geom::{Affine, Element, Grid, Image, ImageView, ImageViewMut, Isa, Map, Padding, Projective};
use proptest::prelude::*;
use sample::{ChannelAffine, Error, Interpolation, WarpOptions};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Coefficients: ordinary, huge, tiny, zero and non-finite.
fn coefficient() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -4.0f64..4.0,
        1 => Just(0.0),
        1 => Just(1e300),
        1 => Just(-1e300),
        1 => Just(1e-300),
        1 => Just(f64::MAX),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
    ]
}

/// Grid positions: inside and around a small source, far away, non-finite.
fn position() -> impl Strategy<Value = f32> {
    prop_oneof![
        6 => -3.0f32..9.0,
        1 => Just(1e30f32),
        1 => Just(-1e30f32),
        1 => Just(f32::MAX),
        1 => Just(f32::NAN),
        1 => Just(f32::INFINITY),
        1 => Just(f32::NEG_INFINITY),
    ]
}

/// Paddings, with a constant that may be NaN, infinite or out of range.
fn padding() -> impl Strategy<Value = Padding> {
    prop_oneof![
        prop_oneof![
            -10.0f32..300.0,
            Just(f32::NAN),
            Just(f32::INFINITY),
            Just(f32::NEG_INFINITY),
            Just(1e30f32),
        ]
        .prop_map(Padding::Constant),
        Just(Padding::Zeros),
        Just(Padding::Border),
        Just(Padding::Reflect),
        Just(Padding::Reflect101),
        Just(Padding::Wrap),
    ]
}

/// A value affine that may hold a non-finite coefficient.
fn values() -> impl Strategy<Value = Option<ChannelAffine>> {
    let value = prop_oneof![
        4 => -2.0f32..2.0,
        1 => Just(f32::NAN),
        1 => Just(f32::INFINITY),
        1 => Just(1e30f32),
    ];
    proptest::option::of(
        (
            proptest::array::uniform4(value.clone()),
            proptest::array::uniform4(value),
        )
            .prop_map(|(scale, offset)| ChannelAffine { scale, offset }),
    )
}

#[derive(Debug, Clone)]
enum MapSpec {
    Affine([f64; 6]),
    Projective([f64; 9]),
    /// Grid of `(width, height)` (may differ from the output) and positions.
    Grid((usize, usize), Vec<f32>),
}

fn map_spec() -> impl Strategy<Value = MapSpec> {
    prop_oneof![
        proptest::array::uniform6(coefficient()).prop_map(MapSpec::Affine),
        proptest::array::uniform9(coefficient()).prop_map(MapSpec::Projective),
        (
            prop_oneof![4 => Just(None), 1 => Just(Some((3usize, 2usize)))],
            proptest::collection::vec(position(), 2 * 8 * 8),
        )
            .prop_map(|(size, xy)| MapSpec::Grid(size.unwrap_or((0, 0)), xy)),
    ]
}

/// The map, and whether the sampler must accept it for a `width x height` output.
fn build_map(spec: &MapSpec, width: usize, height: usize) -> Result<(Map, bool), geom::Error> {
    Ok(match spec {
        MapSpec::Affine(m) => {
            let [a, b, c, d, e, f] = *m;
            (
                Map::Affine(Affine::new(a, b, c, d, e, f)),
                m.iter().all(|v| v.is_finite()),
            )
        }
        MapSpec::Projective(m) => {
            let rows = [[m[0], m[1], m[2]], [m[3], m[4], m[5]], [m[6], m[7], m[8]]];
            match Projective::new(rows) {
                Ok(p) => (Map::Projective(p), true),
                // Not constructible: the sampler never sees it; use identity.
                Err(_) => (Map::Affine(Affine::IDENTITY), true),
            }
        }
        MapSpec::Grid(size, xy) => {
            let (gw, gh) = if *size == (0, 0) {
                (width, height)
            } else {
                *size
            };
            let grid = Grid::new(gw, gh, xy[..2 * gw * gh].to_vec())?;
            (Map::Grid(grid), (gw, gh) == (width, height))
        }
    })
}

/// One warp into a strided destination whose gaps hold a sentinel; checks
/// the refusal or that every output element was written and no gap touched,
/// and returns the tight output.
fn warp_checked<T: Element>(
    isa: Option<Isa>,
    src: ImageView<'_, T>,
    (width, height, pad): (usize, usize, usize),
    map: &Map,
    options: &WarpOptions,
    sentinel: T,
) -> Result<Result<Vec<T>, Error>, TestCaseError> {
    let channels = src.channels();
    let stride = width * channels + pad;
    let mut data = vec![sentinel; stride * height];
    let dst = ImageViewMut::with_stride(&mut data, width, height, channels, stride)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let result = match isa {
        Some(isa) => sample::warp_into_with_isa(isa, src, dst, map, options),
        None => sample::testing::warp_generic(4, src, dst, map, options),
    };
    if let Err(e) = result {
        // A refused warp writes nothing.
        prop_assert!(data.iter().all(|v| *v == sentinel), "refused but wrote");
        return Ok(Err(e));
    }
    let mut out = Vec::with_capacity(width * height * channels);
    for row in data.chunks(stride) {
        out.extend_from_slice(&row[..width * channels]);
        prop_assert!(
            row[width * channels..].iter().all(|v| *v == sentinel),
            "gap written"
        );
    }
    Ok(Ok(out))
}

/// The value a non-finite position must produce in channel `c`.
fn fill_value<T: Element>(options: &WarpOptions, c: usize) -> T {
    let fill = options.padding.constant().unwrap_or(0.0);
    T::from_f32(match options.values {
        Some(a) => fill * a.scale[c] + a.offset[c],
        None => fill,
    })
}

fn hostile_warp<T: Element>(
    src: &Image<T>,
    (width, height, pad): (usize, usize, usize),
    spec: &MapSpec,
    options: &WarpOptions,
    sentinel: T,
) -> Result<(), TestCaseError> {
    let (map, map_ok) =
        build_map(spec, width, height).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let padding_ok = options.padding.constant().is_none_or(f32::is_finite);
    let values_ok = options
        .values
        .is_none_or(|a| a.scale.iter().chain(&a.offset).all(|v| v.is_finite()));
    let should_accept = map_ok && padding_ok && values_ok;
    let size = (width, height, pad);
    let reference = warp_checked(Some(Isa::Scalar), src.view(), size, &map, options, sentinel)?;
    match &reference {
        Ok(out) => {
            prop_assert!(should_accept, "accepted a bad request");
            prop_assert_eq!(out.len(), width * height * src.channels());
            // Non-finite grid positions read the padding fill.
            if let Map::Grid(grid) = &map {
                for i in 0..height {
                    for j in 0..width {
                        let Some((x, y)) = grid.get(j, i) else {
                            continue;
                        };
                        if x.is_finite() && y.is_finite() {
                            continue;
                        }
                        for c in 0..src.channels() {
                            let got = out[(i * width + j) * src.channels() + c];
                            let want = fill_value::<T>(options, c);
                            prop_assert!(
                                got == want || (got.to_f32().is_nan() && want.to_f32().is_nan()),
                                "pixel ({}, {}) channel {}: {:?}, padding gives {:?}",
                                j,
                                i,
                                c,
                                got,
                                want
                            );
                        }
                    }
                }
            }
        }
        Err(e) => {
            prop_assert!(!should_accept, "refused a good request: {}", e);
            let message = e.to_string();
            match e {
                Error::NonFinite { value, .. } => {
                    prop_assert!(!value.is_finite() || !values_ok, "{}", message);
                    prop_assert!(message.contains(&value.to_string()), "{}", message);
                }
                Error::Geometry(geom::Error::NonFinite { value, .. }) => {
                    prop_assert!(!map_ok);
                    prop_assert!(message.contains(&value.to_string()), "{}", message);
                }
                Error::GridSizeMismatch {
                    grid_width,
                    grid_height,
                    ..
                } => {
                    prop_assert!(!map_ok);
                    let size = format!("{grid_width}x{grid_height}");
                    prop_assert!(message.contains(&size), "{}", message);
                }
                other => prop_assert!(false, "unexpected variant {:?}", other),
            }
        }
    }
    // Every path gives the same answer, to the bit.
    let bits = |v: &Result<Vec<T>, Error>| {
        v.as_ref()
            .map(|o| bytemuck::cast_slice::<T, u8>(o).to_vec())
            .map_err(Clone::clone)
    };
    let mut paths: Vec<Option<Isa>> = Isa::available().into_iter().map(Some).collect();
    paths.push(None);
    for isa in paths {
        let got = warp_checked(isa, src.view(), size, &map, options, sentinel)?;
        match (&bits(&reference), &bits(&got)) {
            (Ok(a), Ok(b)) => prop_assert!(a == b, "{:?} differs from scalar", isa),
            (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
            _ => prop_assert!(
                false,
                "{:?}: scalar {:?}, path {:?}",
                isa,
                reference.is_ok(),
                got.is_ok()
            ),
        }
    }
    Ok(())
}

fn image<T: Element>(
    w: usize,
    h: usize,
    c: usize,
    f: impl Fn(usize) -> T,
) -> Result<Image<T>, TestCaseError> {
    Image::from_fn(w, h, c, |x, y, ch| f(x * 7 + y * 13 + ch * 29))
        .map_err(|e| TestCaseError::fail(e.to_string()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Hostile maps, paddings and value affines, `u8` and `f32`, every
    /// channel count, interpolation and kernel path.
    #[test]
    fn hostile_warps(
        src_size in (1usize..6, 1usize..6),
        channels in prop_oneof![Just(1usize), Just(3), Just(4)],
        out in (1usize..9, 1usize..9, 0usize..3),
        spec in map_spec(),
        padding in padding(),
        values in values(),
        nearest in any::<bool>(),
    ) {
        let interpolation = if nearest { Interpolation::Nearest } else { Interpolation::Bilinear };
        let options = WarpOptions { interpolation, padding, values };
        let src8 = image(src_size.0, src_size.1, channels, |k| (k * 37 % 256) as u8)?;
        hostile_warp(&src8, out, &spec, &options, 0xA5u8)?;
        let src32 = image(src_size.0, src_size.1, channels, |k| (k % 17) as f32 * 0.25 - 1.0)?;
        hostile_warp(&src32, out, &spec, &options, -12345.5f32)?;
    }

    /// Planar output: wrong buffer lengths, zero and huge sizes are refused
    /// by name before anything large is allocated.
    #[test]
    fn planar_sizes(
        width in prop_oneof![Just(0usize), 1usize..6, Just(1usize << 20), Just(usize::MAX)],
        height in prop_oneof![Just(0usize), 1usize..6, Just(1usize << 20), Just(usize::MAX)],
        channels in prop_oneof![Just(1usize), Just(3), Just(4)],
        delta in -2isize..3,
    ) {
        let src = image(4, 3, channels, |k| k as u8)?;
        let wanted = width.checked_mul(height).and_then(|p| p.checked_mul(channels));
        // Only small buffers: the refusal must not depend on the buffer.
        let len = wanted.filter(|&n| n < 1000).unwrap_or(7).saturating_add_signed(delta);
        let mut dst = vec![0.0f32; len];
        let map = Map::Affine(Affine::IDENTITY);
        let mut result = None;
        let info = allocation_counter::measure(|| {
            result = Some(sample::warp_planar_into(
                src.view(), &mut dst, width, height, &map, &WarpOptions::default(),
            ));
        });
        let result = result.ok_or_else(|| TestCaseError::fail("not run"))?;
        match result {
            Ok(()) => prop_assert_eq!(Some(len), wanted),
            Err(Error::PlanarLength { len: l, needed, .. }) => {
                prop_assert_eq!(l, len);
                prop_assert_eq!(Some(needed), wanted);
                prop_assert!(needed != len);
            }
            Err(Error::Geometry(e @ (geom::Error::EmptyImage { .. } | geom::Error::TooLarge { .. }))) => {
                prop_assert!(width == 0 || height == 0 || width > geom::MAX_SIDE || height > geom::MAX_SIDE, "{}", e);
                let size = format!("{width}x{height}");
                prop_assert!(e.to_string().contains(&size), "{}", e);
            }
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
        prop_assert!(info.bytes_max < 4096, "{:?}", info);
    }
}

/// Source and destination channel counts differ: refused by name.
#[test]
fn channel_mismatch_is_refused() -> TestResult {
    let src = Image::<u8>::new(4, 4, 3)?;
    let mut dst = Image::<u8>::new(4, 4, 4)?;
    let e = sample::warp_into(
        src.view(),
        dst.view_mut(),
        &Map::Affine(Affine::IDENTITY),
        &WarpOptions::default(),
    )
    .err()
    .ok_or("accepted 3 -> 4 channels")?;
    assert_eq!(
        e,
        Error::ChannelMismatch {
            source_channels: 3,
            destination: 4
        }
    );
    assert!(
        e.to_string().contains('3') && e.to_string().contains('4'),
        "{e}"
    );
    Ok(())
}

/// The README rows: a grid coordinate NaN samples as padding, a grid of the
/// wrong size and a NaN padding constant are refused.
#[test]
fn readme_rows() -> TestResult {
    let src = Image::<u8>::from_fn(4, 4, 1, |x, y, _| (10 * x + y + 1) as u8)?;
    let grid = Grid::new(3, 1, vec![f32::NAN, 1.0, 2.0, f32::INFINITY, 1.0, 1.0])?;
    let mut dst = Image::<u8>::new(3, 1, 1)?;
    for padding in [Padding::Constant(77.0), Padding::Border, Padding::Wrap] {
        let options = WarpOptions {
            padding,
            ..WarpOptions::default()
        };
        sample::warp_into(
            src.view(),
            dst.view_mut(),
            &Map::Grid(grid.clone()),
            &options,
        )?;
        let fill = padding.constant().unwrap_or(0.0) as u8;
        assert_eq!(
            dst.as_slice(),
            &[fill, fill, src.pixel(1, 1)[0]],
            "{padding:?}"
        );
    }
    let mut small = Image::<u8>::new(2, 1, 1)?;
    let e = sample::warp_into(
        src.view(),
        small.view_mut(),
        &Map::Grid(grid),
        &WarpOptions::default(),
    )
    .err()
    .ok_or("accepted a 3x1 grid for a 2x1 output")?;
    assert!(
        matches!(e, Error::GridSizeMismatch { grid_width: 3, .. }),
        "{e:?}"
    );
    let e = sample::warp_into(
        src.view(),
        dst.view_mut(),
        &Map::Affine(Affine::IDENTITY),
        &WarpOptions {
            padding: Padding::Constant(f32::NAN),
            ..WarpOptions::default()
        },
    )
    .err()
    .ok_or("accepted a NaN padding constant")?;
    assert!(
        matches!(
            e,
            Error::NonFinite {
                what: "padding constant",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("NaN"), "{e}");
    Ok(())
}

/// A map that lands 1e300 pixels away reads padding and allocates nothing
/// in proportion to the distance.
#[test]
fn far_maps_allocate_nothing_large() -> TestResult {
    let src = Image::<u8>::from_fn(8, 8, 3, |x, y, c| (x + y + c) as u8)?;
    let mut dst = Image::<u8>::new(64, 64, 3)?;
    let map = Map::Affine(Affine::new(1e300, 0.0, 1e300, 0.0, -1e300, 0.0));
    let options = WarpOptions {
        padding: Padding::Constant(9.0),
        ..WarpOptions::default()
    };
    let mut result = None;
    let info = allocation_counter::measure(|| {
        result = Some(sample::warp_into(
            src.view(),
            dst.view_mut(),
            &map,
            &options,
        ));
    });
    result.ok_or("not run")??;
    assert!(info.bytes_max < 64 * 1024, "{info:?}");
    // Column 0 reads x = 1e300 (padding); so does every other pixel.
    assert!(
        dst.as_slice().iter().all(|&v| v == 9),
        "far reads are padding"
    );
    Ok(())
}
