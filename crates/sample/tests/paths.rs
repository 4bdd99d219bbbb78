//! Every kernel path this CPU has against the scalar reference, bit for bit,
//! over random sizes, strides, channels, maps, padding modes and values.

use geom::{Affine, Element, Grid, Image, ImageView, Isa, Map, Padding, Projective};
use proptest::prelude::*;
use sample::{ChannelAffine, Interpolation, WarpOptions};

fn paddings() -> impl Strategy<Value = Padding> {
    prop_oneof![
        (-10.0f32..300.0).prop_map(Padding::Constant),
        // A negative zero fill: the reference's blend of it with itself
        // is +0, its non-finite positions -0.
        Just(Padding::Constant(-0.0)),
        Just(Padding::Zeros),
        Just(Padding::Border),
        Just(Padding::Reflect),
        Just(Padding::Reflect101),
        Just(Padding::Wrap),
    ]
}

/// Pull maps of every kind: near identity, rotation with zoom, mirrored,
/// huge and tiny scales, landing entirely outside, axis-aligned,
/// projective, and grids with non-finite entries.
fn maps(ow: usize, oh: usize) -> impl Strategy<Value = Map> {
    let general = (
        -3.0f64..3.0,
        -3.0f64..3.0,
        -300.0f64..300.0,
        -3.0f64..3.0,
        -3.0f64..3.0,
        -300.0f64..300.0,
    )
        .prop_map(|(a, b, c, d, e, f)| Map::Affine(Affine::new(a, b, c, d, e, f)));
    let rotation = (
        -180.0f64..180.0,
        0.1f64..5.0,
        -50.0f64..250.0,
        -50.0f64..250.0,
    )
        .prop_map(|(deg, s, cx, cy)| {
            Map::Affine(
                Affine::rotate_about(deg, (cx, cy)).then(&Affine::scale_about(s, s, (cx, cy))),
            )
        });
    let extreme = (
        prop_oneof![
            Just(1e-9f64),
            Just(-1e-3),
            Just(1.0),
            Just(-1.0),
            Just(77.0),
            Just(1e9)
        ],
        prop_oneof![Just(0.0f64), -1e12f64..1e12, -1e3f64..1e3],
        prop_oneof![Just(0.0f64), -1e12f64..1e12, -1e3f64..1e3],
    )
        .prop_map(|(s, tx, ty)| Map::Affine(Affine::new(s, 0.0, tx, 0.0, s.abs(), ty)));
    // Axis-aligned (resizes, crops, flips): the AVX-512 path plans their
    // columns once per call, so `b` and `d` are zeros of either sign.
    let zero = || prop_oneof![Just(0.0f64), Just(-0.0f64)];
    let axis = (
        prop_oneof![-3.0f64..-0.1, 0.1f64..3.0],
        zero(),
        -300.0f64..300.0,
        zero(),
        prop_oneof![-3.0f64..-0.1, 0.1f64..3.0],
        -300.0f64..300.0,
    )
        .prop_map(|(a, b, c, d, e, f)| Map::Affine(Affine::new(a, b, c, d, e, f)));
    let projective = (
        -2.0f64..2.0,
        -2.0f64..2.0,
        -100.0f64..100.0,
        -2.0f64..2.0,
        -2.0f64..2.0,
        -100.0f64..100.0,
        -0.02f64..0.02,
        -0.02f64..0.02,
    )
        .prop_filter_map("finite", |(a, b, c, d, e, f, g, h)| {
            Projective::new([[a, b, c], [d, e, f], [g, h, 1.0]])
                .ok()
                .map(Map::Projective)
        });
    let grid = (proptest::collection::vec(
        prop_oneof![
            8 => -40.0f32..300.0,
            1 => Just(f32::NAN),
            1 => Just(f32::INFINITY),
            1 => -1e30f32..1e30,
        ],
        2 * ow * oh,
    ))
    .prop_filter_map("grid", move |xy| Grid::new(ow, oh, xy).ok().map(Map::Grid));
    prop_oneof![3 => general, 3 => rotation, 1 => extreme, 3 => axis, 2 => projective, 2 => grid]
}

#[derive(Debug, Clone)]
struct Case<T> {
    data: Vec<T>,
    w: usize,
    h: usize,
    c: usize,
    stride: usize,
    ow: usize,
    oh: usize,
    map: Map,
    options: WarpOptions,
}

/// Source and output shapes: width, height, channels, values of padding
/// after each source row, output width and height.
fn shapes(
    w: std::ops::Range<usize>,
    h: std::ops::Range<usize>,
    ow: std::ops::Range<usize>,
    oh: std::ops::Range<usize>,
) -> impl Strategy<Value = (usize, usize, usize, usize, usize, usize)> {
    (
        w,
        h,
        prop_oneof![Just(1usize), Just(3), Just(4)],
        prop_oneof![Just(0usize), 1usize..9],
        ow,
        oh,
    )
}

/// The row stride and buffer length of a `w x h` source of `c` channels
/// with `extra` values after each row (none after the last).
fn layout(w: usize, h: usize, c: usize, extra: usize) -> (usize, usize) {
    let stride = w * c + extra;
    (stride, stride * (h - 1) + w * c)
}

fn cases<T: Element>(
    values: impl Strategy<Value = T> + Clone + 'static,
) -> impl Strategy<Value = Case<T>> {
    // Outputs up to 139 wide: affine rows of 64 pixels or more look for
    // the span the x86 kernel's blocks skip their tests in.
    shapes(1..300, 1..40, 1..140, 1..12).prop_flat_map(move |(w, h, c, extra, ow, oh)| {
        let (stride, len) = layout(w, h, c, extra);
        (
            proptest::collection::vec(values.clone(), len),
            maps(ow, oh),
            paddings(),
            prop_oneof![Just(Interpolation::Nearest), Just(Interpolation::Bilinear)],
            proptest::option::of((
                proptest::array::uniform4(-3.0f32..3.0),
                proptest::array::uniform4(-100.0f32..100.0),
            )),
        )
            .prop_map(move |(data, map, padding, interpolation, values)| Case {
                data,
                w,
                h,
                c,
                stride,
                ow,
                oh,
                map,
                options: WarpOptions {
                    interpolation,
                    padding,
                    values: values.map(|(scale, offset)| ChannelAffine { scale, offset }),
                },
            })
    })
}

/// Bit-identical, except that with `nan_equal` any two NaNs of `f32` data
/// match: where two NaNs meet, which payload survives depends on operand
/// order, which the reference does not fix.
fn same<T: Element>(a: &[T], b: &[T], nan_equal: bool) -> bool {
    if nan_equal && size_of::<T>() == 4 {
        let (a, b) = (
            bytemuck::cast_slice::<T, f32>(a),
            bytemuck::cast_slice::<T, f32>(b),
        );
        return a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()));
    }
    bytemuck::cast_slice::<T, u8>(a) == bytemuck::cast_slice::<T, u8>(b)
}

fn check<T: Element>(case: &Case<T>) -> Result<(), TestCaseError> {
    check_with(case, false)
}

fn check_with<T: Element>(case: &Case<T>, nan_equal: bool) -> Result<(), TestCaseError> {
    let src = ImageView::with_stride(&case.data, case.w, case.h, case.c, case.stride)?;
    let run = |isa| -> Result<Image<T>, TestCaseError> {
        let mut dst = Image::<T>::new(case.ow, case.oh, case.c)?;
        sample::warp_into_with_isa(isa, src, dst.view_mut(), &case.map, &case.options)?;
        Ok(dst)
    };
    let planar = |isa| -> Result<Vec<f32>, TestCaseError> {
        let mut dst = vec![0.0f32; case.ow * case.oh * case.c];
        sample::warp_planar_into_with_isa(
            isa,
            src,
            &mut dst,
            case.ow,
            case.oh,
            &case.map,
            &case.options,
        )?;
        Ok(dst)
    };
    let reference = run(Isa::Scalar)?;
    let reference_planar = planar(Isa::Scalar)?;
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    for isa in Isa::available() {
        let out = run(isa)?;
        prop_assert!(
            same(out.as_slice(), reference.as_slice(), nan_equal),
            "{isa} differs from scalar"
        );
        let out_planar = planar(isa)?;
        prop_assert!(
            same(&out_planar, &reference_planar, nan_equal),
            "{isa} planar differs: {:?} vs {:?}",
            bits(&out_planar),
            bits(&reference_planar)
        );
    }
    // The generic code at every lane width (NEON's 4 and AVX-512's 16 among them).
    for lanes in [1, 4, 8, 16] {
        let mut out = Image::<T>::new(case.ow, case.oh, case.c)?;
        sample::testing::warp_generic(lanes, src, out.view_mut(), &case.map, &case.options)?;
        prop_assert!(
            same(out.as_slice(), reference.as_slice(), nan_equal),
            "generic code at {lanes} lanes differs from scalar"
        );
        let mut planar_out = vec![0.0f32; case.ow * case.oh * case.c];
        sample::testing::warp_planar_generic(
            lanes,
            src,
            &mut planar_out,
            case.ow,
            case.oh,
            &case.map,
            &case.options,
        )?;
        prop_assert!(
            same(&planar_out, &reference_planar, nan_equal),
            "generic planar at {lanes} lanes differs: {:?} vs {:?}",
            bits(&planar_out),
            bits(&reference_planar)
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn u8_paths_equal_scalar(case in cases(any::<u8>())) {
        check(&case)?;
    }

    /// Sources of only 0, 1, 254 and 255: blends pressed against both ends
    /// of the byte range, where a path that skips the reference's clamp
    /// (the AVX-512 colour path does, without a value affine) would show
    /// any overshoot.
    #[test]
    fn u8_extreme_paths_equal_scalar(case in cases(prop_oneof![Just(0u8), Just(1), Just(254), Just(255)])) {
        check(&case)?;
    }

    /// Sources with infinities and NaN: a tap the reference gives zero
    /// weight still changes the result when it is infinite (0 * inf is NaN),
    /// so a fast path that reads a tap the reference does not (or the
    /// reverse) shows here, where finite values would hide it.
    #[test]
    fn f32_non_finite_paths_equal_scalar(case in cases(prop_oneof![
        6 => -1e3f32..1e3,
        1 => Just(f32::INFINITY),
        1 => Just(f32::NEG_INFINITY),
        1 => Just(f32::NAN),
    ])) {
        check_with(&case, true)?;
    }

    #[test]
    fn f32_paths_equal_scalar(case in cases(prop_oneof![9 => -1e3f32..1e3, 1 => Just(0.0f32)])) {
        check(&case)?;
    }
}

/// `u8` sources under `Border` with rows that cross the source's last row
/// at a shallow slope: blocks wholly on or below it blend that row alone
/// (the x86 `plan_flat`), and the blocks beside them hold lanes just above
/// it, which must still blend the row above with their own weight.
fn last_row_crossings() -> impl Strategy<Value = Case<u8>> {
    shapes(8..90, 2..24, 8..72, 1..6).prop_flat_map(|(w, h, c, extra, ow, oh)| {
        let (stride, len) = layout(w, h, c, extra);
        let last = (h - 1) as f64;
        (
            proptest::collection::vec(any::<u8>(), len),
            0.3f64..2.0,
            -10.0f64..w as f64,
            prop_oneof![-0.4f64..-0.01, 0.01f64..0.4],
            -0.5f64..0.5,
            last - 12.0..last + 4.0,
            proptest::option::of(Just(ChannelAffine {
                scale: [0.5, -1.0, 2.0, 1.0],
                offset: [3.0, 250.0, -7.0, 0.0],
            })),
        )
            .prop_map(move |(data, a, c0, d, e, f, values)| Case {
                data,
                w,
                h,
                c,
                stride,
                ow,
                oh,
                map: Map::Affine(Affine::new(a, 0.1, c0, d, e, f)),
                options: WarpOptions {
                    interpolation: Interpolation::Bilinear,
                    padding: Padding::Border,
                    values,
                },
            })
    })
}

/// `f32` sources of mostly negative zeros under maps whose positions are
/// often whole: a whole position's fraction is the reference's `x -
/// floor(x)` = +0, and the blend of a -0 tap keeps the reference's sign
/// only where a path's fraction is +0 too (a floor or fraction rounded
/// downward gives -0 there). Steps of 0, ±0.5, ±1 and 2 and whole or half
/// shifts; outputs up to 139 wide, so affine rows look for their span.
fn signed_zero_cases() -> impl Strategy<Value = Case<f32>> {
    shapes(2..40, 2..24, 1..139, 1..6).prop_flat_map(|(w, h, c, extra, ow, oh)| {
        let (stride, len) = layout(w, h, c, extra);
        let value = prop_oneof![
            3 => Just(-0.0f32),
            1 => Just(0.0f32),
            1 => (-2i8..3).prop_map(f32::from),
        ];
        let step = || {
            prop_oneof![
                Just(1.0f64),
                Just(-1.0),
                Just(0.5),
                Just(-0.5),
                Just(2.0),
                Just(0.0),
                Just(-0.0),
            ]
        };
        let shift = || {
            prop_oneof![
                (-8i32..48).prop_map(f64::from),
                (-16i32..96).prop_map(|halves| f64::from(halves) / 2.0),
                Just(-0.0f64),
            ]
        };
        (
            proptest::collection::vec(value, len),
            (step(), step(), shift(), step(), step(), shift()),
            paddings(),
        )
            .prop_map(move |(data, (a, b, c0, d, e, f), padding)| Case {
                data,
                w,
                h,
                c,
                stride,
                ow,
                oh,
                map: Map::Affine(Affine::new(a, b, c0, d, e, f)),
                options: WarpOptions {
                    interpolation: Interpolation::Bilinear,
                    padding,
                    values: None,
                },
            })
    })
}

/// Sources under a fill (`Constant`, `Zeros`) seen through fine steps
/// (0.02 to 0.3 source pixels per output pixel, any angle): long runs of
/// blocks wholly outside the source, which the x86 paths store as one
/// value (`outside_fill`, and `outside_run`'s bisection along affine
/// rows), ending a pixel or many before the first pixel whose taps reach
/// the source.
fn fills_seen_finely<T: Element>(
    values: impl Strategy<Value = T> + Clone + 'static,
) -> impl Strategy<Value = Case<T>> {
    (
        1usize..40,
        1usize..12,
        prop_oneof![Just(1usize), Just(3), Just(4)],
        8usize..120,
        1usize..5,
    )
        .prop_flat_map(move |(w, h, c, ow, oh)| {
            (
                proptest::collection::vec(values.clone(), w * c * h),
                -180.0f64..180.0,
                0.02f64..0.3,
                (-3.0f64..3.0, -3.0f64..3.0),
                prop_oneof![
                    (-10.0f32..300.0).prop_map(Padding::Constant),
                    Just(Padding::Constant(-0.0)),
                    Just(Padding::Zeros),
                ],
            )
                .prop_map(move |(data, deg, step, (tx, ty), padding)| {
                    let (cos, sin) = (deg.to_radians().cos(), deg.to_radians().sin());
                    // Output pixel (i, j) reads source (x, y): centred on
                    // the source, with the output's middle at (tx, ty).
                    let (mx, my) = (ow as f64 / 2.0, oh as f64 / 2.0);
                    let (a, b, d, e) = (step * cos, -step * sin, step * sin, step * cos);
                    let cx = w as f64 / 2.0 + tx - a * mx - b * my;
                    let cy = h as f64 / 2.0 + ty - d * mx - e * my;
                    Case {
                        data,
                        w,
                        h,
                        c,
                        stride: w * c,
                        ow,
                        oh,
                        map: Map::Affine(Affine::new(a, b, cx, d, e, cy)),
                        options: WarpOptions {
                            interpolation: Interpolation::Bilinear,
                            padding,
                            values: None,
                        },
                    }
                })
        })
}

/// Axis-aligned resizes, crops and flips, which every vector path
/// samples separably (`kernels::separable`) up to a step between output
/// rows that depends on the element type and channel count: output rows
/// share the blended rows of the source rows they read, `u8` crops copy
/// bytes, and the taps reach past every edge (a scale of `1e300` sends a
/// row's columns so far apart that the route declines it; steps up to 3
/// cross every type's limit). Under nearest they take the lookup route
/// (`kernels::lookup`) instead, where no value affine is asked for: a
/// table of columns, upscaled rows copied from the row before, and the
/// fill under `Constant` and `Zeros` (a scale of `1e300` makes `x`
/// infinite from the second column on).
fn axis_resizes<T: Element>(
    values: impl Strategy<Value = T> + Clone + 'static,
    interpolation: Interpolation,
) -> impl Strategy<Value = Case<T>> {
    shapes(1..60, 1..30, 1..90, 1..40).prop_flat_map(move |(w, h, c, extra, ow, oh)| {
        let (stride, len) = layout(w, h, c, extra);
        let zero = || prop_oneof![Just(0.0f64), Just(-0.0f64)];
        let step = |most: f64| prop_oneof![-most..-0.02, 0.02..most, Just(1.0), Just(-1.0)];
        // Whole offsets too: with a step of 1 they make crops, which
        // copy the source's bytes.
        let offset = |n: usize| {
            let n = n as i32;
            prop_oneof![
                (-n as f64 - 5.0)..(2 * n) as f64 + 5.0,
                (-n - 5..2 * n + 5).prop_map(f64::from),
            ]
        };
        (
            proptest::collection::vec(values.clone(), len),
            prop_oneof![8 => step(3.0), 1 => Just(1e-9), 1 => Just(1e300)],
            zero(),
            offset(w),
            zero(),
            prop_oneof![6 => step(1.0), 3 => step(3.0), 1 => Just(0.5), 1 => Just(-1e-9)],
            offset(h),
            paddings(),
            proptest::option::of((
                proptest::array::uniform4(-3.0f32..3.0),
                proptest::array::uniform4(-100.0f32..100.0),
            )),
        )
            .prop_map(move |(data, a, b, cx, d, e, cy, padding, values)| Case {
                data,
                w,
                h,
                c,
                stride,
                ow,
                oh,
                map: Map::Affine(Affine::new(a, b, cx, d, e, cy)),
                options: WarpOptions {
                    interpolation,
                    padding,
                    values: values.map(|(scale, offset)| ChannelAffine { scale, offset }),
                },
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn u8_last_row_crossings_equal_scalar(case in last_row_crossings()) {
        check(&case)?;
    }

    #[test]
    fn f32_signed_zeros_equal_scalar(case in signed_zero_cases()) {
        check(&case)?;
    }

    #[test]
    fn u8_axis_resizes_equal_scalar(case in axis_resizes(any::<u8>(), Interpolation::Bilinear)) {
        check(&case)?;
    }

    #[test]
    fn u8_axis_nearest_equal_scalar(case in axis_resizes(any::<u8>(), Interpolation::Nearest)) {
        check(&case)?;
    }

    /// Looked up, `f32` values keep their bits: infinities, NaN and -0.
    #[test]
    fn f32_axis_nearest_equal_scalar(case in axis_resizes(prop_oneof![
        6 => -1e3f32..1e3,
        1 => Just(-0.0f32),
        1 => Just(f32::INFINITY),
        1 => Just(f32::NAN),
    ], Interpolation::Nearest)) {
        check_with(&case, true)?;
    }

    /// `f32` sources blend on the separable route too (they copy nothing:
    /// a blend with `fx = 0` turns an infinite neighbour into NaN and -0
    /// into +0, which a copy would not), infinities and NaN included.
    #[test]
    fn f32_axis_resizes_equal_scalar(case in axis_resizes(prop_oneof![
        6 => -1e3f32..1e3,
        1 => Just(-0.0f32),
        1 => Just(f32::INFINITY),
        1 => Just(f32::NAN),
    ], Interpolation::Bilinear)) {
        check_with(&case, true)?;
    }

    #[test]
    fn u8_fills_seen_finely_equal_scalar(case in fills_seen_finely(any::<u8>())) {
        check(&case)?;
    }

    #[test]
    fn f32_fills_seen_finely_equal_scalar(case in fills_seen_finely(-1e3f32..1e3)) {
        check(&case)?;
    }
}

/// Crops (`u8`, whole offsets, scale 1) that end on the source's last
/// column, and one column past it: the first copy the source's bytes, the
/// second must not (its last column reads through the padding rule).
#[test]
fn crops_to_the_last_column_and_past_it_equal_scalar() -> Result<(), Box<dyn std::error::Error>> {
    for c in [1, 3, 4] {
        for (w, ow, cx) in [(10, 4, 6.0), (10, 4, 7.0), (10, 10, 0.0), (10, 10, 1.0)] {
            let case = Case {
                data: (0..w * c * 5).map(|v| (v * 37 % 251) as u8).collect(),
                w,
                h: 5,
                c,
                stride: w * c,
                ow,
                oh: 3,
                map: Map::Affine(Affine::new(1.0, 0.0, cx, 0.0, 1.0, 2.0)),
                options: WarpOptions {
                    interpolation: Interpolation::Bilinear,
                    padding: Padding::Border,
                    values: None,
                },
            };
            check(&case).map_err(|e| format!("c {c}, w {w}, ow {ow}, cx {cx}: {e}"))?;
        }
    }
    Ok(())
}

/// Pixels on the last column (x = w - 1 exactly) take zero weight from a
/// right tap the reference pads, but a fast path that took them in would
/// read the next row's first element instead. That element is infinite
/// here, so such a read would turn the pixel into NaN (0 * inf) where the
/// reference keeps it finite; likewise for the last row.
#[test]
fn taps_past_the_last_column_and_row_are_not_read() -> Result<(), Box<dyn std::error::Error>> {
    for c in [1usize, 3, 4] {
        let (w, h) = (24, 6);
        let data: Vec<f32> = (0..w * h * c)
            .map(|k| {
                if k % (w * c) < c {
                    f32::INFINITY
                } else {
                    (k % 97) as f32
                }
            })
            .collect();
        let src = ImageView::new(&data, w, h, c)?;
        // Identity and a whole-pixel shift, so positions land exactly on
        // the last column and row.
        for map in [
            Map::Affine(Affine::IDENTITY),
            Map::Affine(Affine::new(1.0, 0.0, 1.0, 0.0, 1.0, 1.0)),
        ] {
            for padding in [Padding::Constant(7.0), Padding::Border, Padding::Wrap] {
                let options = WarpOptions {
                    interpolation: Interpolation::Bilinear,
                    padding,
                    values: None,
                };
                let run = |isa| -> Result<Image<f32>, Box<dyn std::error::Error>> {
                    let mut dst = Image::<f32>::new(w, h, c)?;
                    sample::warp_into_with_isa(isa, src, dst.view_mut(), &map, &options)?;
                    Ok(dst)
                };
                let reference = run(Isa::Scalar)?;
                for isa in Isa::available() {
                    assert!(
                        same(run(isa)?.as_slice(), reference.as_slice(), false),
                        "{isa}, {c} channels, {padding:?}, {map:?}"
                    );
                }
            }
        }
    }
    Ok(())
}

#[test]
fn the_selected_path_is_available_and_named() {
    let isa = Isa::selected();
    assert!(Isa::available().contains(&isa));
    assert!(!isa.name().is_empty());
}
