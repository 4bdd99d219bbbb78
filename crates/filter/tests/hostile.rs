//! Hostile arguments to every public entry point of `filter`: σ, box sides,
//! lengths and angles that are NaN, infinite, negative, zero, huge or just
//! past the radius limit; kernels of even length, with non-finite weights or
//! taps out of reach; NaN and infinite padding constants; shapes that
//! differ. Each case returns the typed error naming the bad value, refuses
//! huge kernels before allocating them, and where it is accepted writes an
//! output of the input's shape.

use filter::{Blur, Error, Kernel, Kernel2d, MAX_RADIUS, MAX_TAPS, Tap};
use geom::{Image, Padding};
use proptest::prelude::*;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Peak heap bytes a refused request may use.
const REFUSAL_BYTES: u64 = 4096;

/// σ: usable, tiny, zero, negative, non-finite, past the radius limit.
fn sigma() -> impl Strategy<Value = f32> {
    prop_oneof![
        4 => 0.1f32..4.0,
        1 => Just(1e-30f32),
        1 => Just(0.0f32),
        1 => Just(-1.0f32),
        1 => Just(f32::NAN),
        1 => Just(f32::INFINITY),
        1 => Just(f32::NEG_INFINITY),
        1 => Just(1e30f32),
        1 => Just(f32::MAX),
        1 => Just(MAX_RADIUS as f32 / 3.0 + 1.0),
    ]
}

/// Box sides: zero, small, at and past the limit, `usize::MAX`.
fn box_side() -> impl Strategy<Value = usize> {
    prop_oneof![
        Just(0usize),
        1usize..9,
        Just(2 * MAX_RADIUS + 1),
        Just(2 * MAX_RADIUS + 2),
        Just(usize::MAX),
    ]
}

/// Motion lengths.
fn length() -> impl Strategy<Value = f32> {
    prop_oneof![
        4 => 0.0f32..20.0,
        1 => Just(-1.0f32),
        1 => Just(f32::NAN),
        1 => Just(f32::INFINITY),
        1 => Just(1e30f32),
        1 => Just(2.0 * MAX_RADIUS as f32 + 2.0),
    ]
}

/// Angles in degrees.
fn angle() -> impl Strategy<Value = f32> {
    prop_oneof![
        4 => -720.0f32..720.0,
        1 => Just(1e30f32),
        1 => Just(f32::NAN),
        1 => Just(f32::INFINITY),
        1 => Just(f32::NEG_INFINITY),
    ]
}

fn padding() -> impl Strategy<Value = Padding> {
    prop_oneof![
        4 => prop::sample::select(Padding::all(3.0).to_vec()),
        1 => prop_oneof![Just(f32::NAN), Just(f32::INFINITY), Just(f32::NEG_INFINITY)]
            .prop_map(Padding::Constant),
    ]
}

fn blur() -> impl Strategy<Value = Blur> {
    prop_oneof![
        (sigma(), sigma()).prop_map(|(sigma_x, sigma_y)| Blur::Gaussian { sigma_x, sigma_y }),
        (box_side(), box_side()).prop_map(|(width, height)| Blur::Box { width, height }),
        (length(), angle()).prop_map(|(length, angle_degrees)| Blur::Motion {
            length,
            angle_degrees
        }),
        (sigma(), sigma(), angle()).prop_map(|(sigma_along, sigma_across, angle_degrees)| {
            Blur::Directional {
                sigma_along,
                sigma_across,
                angle_degrees,
            }
        }),
    ]
}

fn usable_sigma(s: f32) -> bool {
    s.is_finite() && s > 0.0
}

/// Whether the blur's parameters are usable, and whether one is too large
/// (a radius past `MAX_RADIUS` or too many taps) rather than out of range.
fn judge(blur: &Blur) -> (bool, bool) {
    let radius_ok = |s: f32| (3.0 * f64::from(s)).ceil() <= MAX_RADIUS as f64;
    match *blur {
        Blur::Gaussian { sigma_x, sigma_y } => {
            let usable = usable_sigma(sigma_x) && usable_sigma(sigma_y);
            (usable && radius_ok(sigma_x) && radius_ok(sigma_y), usable)
        }
        Blur::Box { width, height } => {
            let usable = width > 0 && height > 0;
            (
                usable && width / 2 <= MAX_RADIUS && height / 2 <= MAX_RADIUS,
                usable,
            )
        }
        Blur::Motion {
            length,
            angle_degrees,
        } => {
            let usable = length.is_finite() && length >= 0.0 && angle_degrees.is_finite();
            (usable && (length / 2.0).ceil() <= MAX_RADIUS as f32, usable)
        }
        Blur::Directional {
            sigma_along,
            sigma_across,
            angle_degrees,
        } => {
            let usable = usable_sigma(sigma_along)
                && usable_sigma(sigma_across)
                && angle_degrees.is_finite();
            // The exact tap count depends on the angle; only the clear cases
            // are predicted (both σ small: accepted).
            let small = sigma_along <= 4.0 && sigma_across <= 4.0;
            (usable && small, usable)
        }
    }
}

/// The value an `InvalidParameter` must name, if the blur has one that is
/// out of range (not merely too large).
fn bad_values(blur: &Blur) -> Vec<f64> {
    let bad = |v: f32, ok: bool| (!ok).then_some(f64::from(v));
    match *blur {
        Blur::Gaussian { sigma_x, sigma_y } => [
            bad(sigma_x, usable_sigma(sigma_x)),
            bad(sigma_y, usable_sigma(sigma_y)),
        ]
        .into_iter()
        .flatten()
        .collect(),
        Blur::Box { width, height } => [width, height]
            .into_iter()
            .filter(|&s| s == 0)
            .map(|_| 0.0)
            .collect(),
        Blur::Motion {
            length,
            angle_degrees,
        } => [
            bad(length, length.is_finite() && length >= 0.0),
            bad(angle_degrees, angle_degrees.is_finite()),
        ]
        .into_iter()
        .flatten()
        .collect(),
        Blur::Directional {
            sigma_along,
            sigma_across,
            angle_degrees,
        } => [
            bad(sigma_along, usable_sigma(sigma_along)),
            bad(sigma_across, usable_sigma(sigma_across)),
            bad(angle_degrees, angle_degrees.is_finite()),
        ]
        .into_iter()
        .flatten()
        .collect(),
    }
}

fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Every blur with hostile parameters and paddings, through `Blur::apply_into`
    /// and the allocating `*_blurred` functions.
    #[test]
    fn hostile_blurs(
        blur in blur(),
        padding in padding(),
        width in 1usize..7,
        height in 1usize..7,
        channels in prop_oneof![Just(1usize), Just(3), Just(4)],
    ) {
        let src = Image::<u8>::from_fn(width, height, channels, |x, y, c| (x * 40 + y * 7 + c) as u8)?;
        let mut dst = Image::<u8>::new(width, height, channels)?;
        let (predicted_ok, usable) = judge(&blur);
        let padding_ok = padding.constant().is_none_or(f32::is_finite);
        let mut result = None;
        let info = allocation_counter::measure(|| {
            result = Some(blur.apply_into(src.view(), dst.view_mut(), padding));
        });
        let result = result.ok_or_else(|| TestCaseError::fail("not run"))?;
        match &result {
            Ok(()) => {
                prop_assert!(padding_ok && usable, "accepted {:?} {:?}", blur, padding);
                if !matches!(blur, Blur::Directional { .. }) {
                    prop_assert!(predicted_ok, "accepted {:?}", blur);
                }
            }
            Err(e) => {
                prop_assert!(!(predicted_ok && padding_ok), "refused {:?} {:?}: {}", blur, padding, e);
                // Refusals allocate nothing large (the kernel is never built).
                prop_assert!(info.bytes_max < REFUSAL_BYTES, "{:?}: {:?}", e, info);
                let message = e.to_string();
                match e {
                    Error::InvalidParameter { what, value, .. } => {
                        prop_assert!(message.contains(what), "{}", message);
                        prop_assert!(message.contains(&value.to_string()), "{}", message);
                        if *what == "padding constant" {
                            prop_assert!(!padding_ok);
                        } else {
                            prop_assert!(
                                bad_values(&blur).iter().any(|&b| same(b, *value)),
                                "{:?} names {} but the bad values are {:?}",
                                blur, value, bad_values(&blur)
                            );
                        }
                    }
                    Error::RadiusTooLarge { radius, max, value, .. } => {
                        // Checks run parameter by parameter: a huge σ may be
                        // reported before a bad one.
                        prop_assert_eq!(*max, MAX_RADIUS);
                        prop_assert!(message.contains(&value.to_string()), "{}", message);
                        prop_assert!(*radius > MAX_RADIUS as u64, "{}", message);
                        prop_assert!(message.contains(&radius.to_string()), "{}", message);
                    }
                    Error::TooManyTaps { taps, max, .. } => {
                        prop_assert!(matches!(blur, Blur::Directional { .. }), "{:?}", blur);
                        prop_assert!(*taps > *max as u64, "{}", message);
                    }
                    other => prop_assert!(false, "unexpected variant {:?}", other),
                }
            }
        }
        // The allocating forms agree and return the input's shape.
        let owned = match blur {
            Blur::Gaussian { sigma_x, sigma_y } => filter::gaussian_blur(src.view(), sigma_x, sigma_y, padding),
            Blur::Box { width: bw, height: bh } => filter::box_blur(src.view(), bw, bh, padding),
            Blur::Motion { length, angle_degrees } => filter::motion_blur(src.view(), length, angle_degrees, padding),
            Blur::Directional { sigma_along, sigma_across, angle_degrees } => {
                let mut out = Image::<u8>::new(width, height, channels)?;
                filter::directional_blur_into(src.view(), out.view_mut(), sigma_along, sigma_across, angle_degrees, padding)
                    .map(|()| out)
            }
        };
        match (result, owned) {
            (Ok(()), Ok(out)) => {
                prop_assert_eq!(out.shape(), src.shape());
                prop_assert!(out == dst, "blurred differs from blur into");
            }
            (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
            (a, b) => prop_assert!(false, "{:?} vs {:?}", a, b.map(|i| i.shape())),
        }
    }

    /// 1-D kernels: even lengths, non-finite weights, lengths past the
    /// radius limit; Gaussian kernels with any σ and radius.
    #[test]
    fn one_dimensional_kernels(
        len in prop_oneof![0usize..8, Just(2 * MAX_RADIUS + 1), Just(2 * MAX_RADIUS + 3)],
        bad in prop_oneof![Just(None), (0usize..8, prop_oneof![Just(f32::NAN), Just(f32::INFINITY)]).prop_map(Some)],
        sigma in sigma(),
        radius in prop_oneof![Just(None), (0usize..6).prop_map(Some), Just(Some(MAX_RADIUS + 1)), Just(Some(usize::MAX))],
    ) {
        let mut weights = vec![0.25f32; len];
        if let Some((at, v)) = bad && at < len {
            weights[at] = v;
        }
        match Kernel::new(weights.clone()) {
            Ok(k) => {
                prop_assert!(len % 2 == 1 && len / 2 <= MAX_RADIUS);
                prop_assert!(k.iter().all(|w| w.is_finite()));
                prop_assert_eq!(k.radius(), len / 2);
            }
            Err(Error::KernelLength { len: l, .. }) => {
                prop_assert_eq!(l, len);
                prop_assert!(len % 2 == 0);
            }
            Err(Error::RadiusTooLarge { radius, .. }) => prop_assert_eq!(radius, (len / 2) as u64),
            Err(e @ Error::NonFiniteWeight { index, value, .. }) => {
                prop_assert_eq!(Some((index, value.to_bits())), bad.map(|(a, v)| (a, v.to_bits())));
                prop_assert!(e.to_string().contains(&value.to_string()), "{}", e);
            }
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
        // The same weights through separable_convolve: the same verdict.
        let src = Image::<f32>::from_fn(5, 4, 1, |x, y, _| (x + y) as f32)?;
        let mut dst = Image::<f32>::new(5, 4, 1)?;
        let direct = filter::separable_convolve_into(src.view(), dst.view_mut(), &weights, &[1.0], Padding::Reflect);
        prop_assert_eq!(direct.is_ok(), Kernel::new(weights).is_ok());

        let mut result = None;
        let info = allocation_counter::measure(|| result = Some(filter::gaussian_kernel(sigma, radius)));
        match result.ok_or_else(|| TestCaseError::fail("not run"))? {
            Ok(k) => {
                prop_assert!(usable_sigma(sigma));
                let r = radius.unwrap_or_else(|| filter::default_radius(sigma));
                prop_assert_eq!(k.len(), 2 * r + 1);
                prop_assert!(k.iter().all(|w| w.is_finite()));
            }
            Err(Error::InvalidParameter { value, .. }) => {
                prop_assert!(!usable_sigma(sigma));
                prop_assert!(same(value, f64::from(sigma)));
                prop_assert!(info.bytes_max < REFUSAL_BYTES, "{:?}", info);
            }
            Err(Error::RadiusTooLarge { radius: r, .. }) => {
                prop_assert!(r > MAX_RADIUS as u64);
                prop_assert!(info.bytes_max < REFUSAL_BYTES, "{:?}", info);
            }
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
    }

    /// Sparse 2-D kernels: taps out of reach, non-finite weights, weights
    /// whose sum overflows when duplicates merge, dense kernels of hostile
    /// sizes; accepted kernels hold finite weights and convolve any image.
    #[test]
    fn two_dimensional_kernels(
        taps in proptest::collection::vec(
            (
                prop_oneof![4 => -3i32..4, 1 => Just(i32::MIN), 1 => Just(i32::MAX), 1 => Just(MAX_RADIUS as i32 + 1)],
                prop_oneof![4 => -3i32..4, 1 => Just(i32::MIN), 1 => Just(MAX_RADIUS as i32)],
                prop_oneof![
                    4 => -2.0f32..2.0,
                    1 => Just(f32::MAX),
                    1 => Just(f32::NAN),
                    1 => Just(f32::INFINITY),
                ],
            ),
            0..6,
        ),
        dense in (
            prop_oneof![Just(0usize), 1usize..6, Just(2 * MAX_RADIUS + 3), Just(usize::MAX)],
            prop_oneof![Just(0usize), 1usize..6, Just(usize::MAX)],
            0usize..30,
        ),
        padding in padding(),
    ) {
        let taps: Vec<Tap> = taps.into_iter().map(|(dx, dy, weight)| Tap { dx, dy, weight }).collect();
        let reach_ok = taps.iter().all(|t| t.dx.unsigned_abs().max(t.dy.unsigned_abs()) as usize <= MAX_RADIUS);
        let finite = taps.iter().all(|t| t.weight.is_finite());
        match Kernel2d::from_taps(taps.clone()) {
            Ok(k) => {
                prop_assert!(reach_ok && finite && !taps.is_empty());
                prop_assert!(k.taps().iter().all(|t| t.weight.is_finite()), "{:?}", k);
                let src = Image::<u8>::from_fn(4, 3, 3, |x, y, c| (x * 50 + y * 9 + c) as u8)?;
                let mut dst = Image::<u8>::new(4, 3, 3)?;
                match filter::convolve_2d_into(src.view(), dst.view_mut(), &k, padding) {
                    Ok(()) => prop_assert!(padding.constant().is_none_or(f32::is_finite)),
                    Err(e) => prop_assert!(matches!(e, Error::InvalidParameter { what: "padding constant", .. }), "{:?}", e),
                }
            }
            Err(Error::InvalidParameter { .. }) => prop_assert!(taps.is_empty()),
            Err(Error::RadiusTooLarge { radius, .. }) => {
                prop_assert!(!reach_ok);
                prop_assert!(radius > MAX_RADIUS as u64);
            }
            Err(Error::NonFiniteWeight { .. }) => {
                // A non-finite weight given, or duplicates summing past f32::MAX.
            }
            Err(Error::TooManyTaps { .. }) => prop_assert!(taps.len() > MAX_TAPS),
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }

        let (w, h, n) = dense;
        let weights = vec![0.5f32; n];
        let mut result = None;
        let info = allocation_counter::measure(|| result = Some(Kernel2d::from_dense(w, h, &weights)));
        match result.ok_or_else(|| TestCaseError::fail("not run"))? {
            Ok(k) => {
                prop_assert!(w % 2 == 1 && h % 2 == 1 && n == w * h);
                prop_assert_eq!((2 * k.radius_x() + 1, 2 * k.radius_y() + 1), (w, h));
            }
            Err(e) => {
                prop_assert!(info.bytes_max < REFUSAL_BYTES, "{:?}", info);
                match e {
                    Error::KernelLength { len, .. } => prop_assert!(len % 2 == 0 && (len == w || len == h)),
                    Error::RadiusTooLarge { .. } => prop_assert!(w / 2 > MAX_RADIUS || h / 2 > MAX_RADIUS),
                    e @ Error::InvalidParameter { .. } => {
                        prop_assert!(n != w * h);
                        prop_assert!(e.to_string().contains(&n.to_string()), "{}", e);
                    }
                    other => prop_assert!(false, "unexpected {:?}", other),
                }
            }
        }
    }
}

/// Input and output of different shapes: refused, both shapes named.
#[test]
fn shape_mismatch_is_refused() -> TestResult {
    let src = Image::<u8>::new(8, 6, 3)?;
    let mut dst = Image::<u8>::new(6, 8, 3)?;
    let e = filter::gaussian_blur_into(src.view(), dst.view_mut(), 1.0, 1.0, Padding::Border)
        .err()
        .ok_or("accepted 8x6 into 6x8")?;
    assert!(matches!(e, Error::ShapeMismatch { .. }), "{e:?}");
    let message = e.to_string();
    assert!(
        message.contains("8x6x3") && message.contains("6x8x3"),
        "{message}"
    );
    Ok(())
}

/// The README rows.
#[test]
fn readme_rows() -> TestResult {
    let src = Image::<u8>::new(8, 8, 3)?;
    let mut dst = Image::<u8>::new(8, 8, 3)?;
    // σ = -1
    let e = filter::gaussian_blur_into(src.view(), dst.view_mut(), -1.0, 1.0, Padding::Border)
        .err()
        .ok_or("accepted sigma -1")?;
    assert_eq!(
        e,
        Error::InvalidParameter {
            what: "sigma_x",
            value: -1.0,
            expected: "a finite number greater than 0"
        }
    );
    assert!(e.to_string().starts_with("sigma_x = -1 "), "{e}");
    // σ = 1e30: refused before the kernel is built
    let mut result = None;
    let info = allocation_counter::measure(|| {
        result = Some(filter::gaussian_blur_into(
            src.view(),
            dst.view_mut(),
            1e30,
            1.0,
            Padding::Border,
        ));
    });
    let e = result
        .ok_or("not run")?
        .err()
        .ok_or("accepted sigma 1e30")?;
    assert!(
        matches!(
            e,
            Error::RadiusTooLarge {
                what: "sigma_x",
                max: MAX_RADIUS,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .starts_with("sigma_x = 1000000015047466200000000000000 needs a radius of "),
        "{e}"
    );
    assert!(info.bytes_max < REFUSAL_BYTES, "{info:?}");
    // box radius usize::MAX
    let e = filter::box_blur_into(src.view(), dst.view_mut(), usize::MAX, 3, Padding::Border)
        .err()
        .ok_or("accepted a box of usize::MAX")?;
    assert!(
        matches!(e, Error::RadiusTooLarge { radius, .. } if radius == (usize::MAX / 2) as u64),
        "{e:?}"
    );
    // motion length NaN
    let e = filter::motion_blur_into(src.view(), dst.view_mut(), f32::NAN, 0.0, Padding::Border)
        .err()
        .ok_or("accepted length NaN")?;
    assert!(e.to_string().contains("motion blur length = NaN"), "{e}");
    // angle inf
    let e = filter::motion_blur_into(
        src.view(),
        dst.view_mut(),
        5.0,
        f32::INFINITY,
        Padding::Border,
    )
    .err()
    .ok_or("accepted angle inf")?;
    assert!(e.to_string().contains("angle (degrees) = inf"), "{e}");
    // Padding::Constant(NaN)
    let e = filter::box_blur_into(
        src.view(),
        dst.view_mut(),
        3,
        3,
        Padding::Constant(f32::NAN),
    )
    .err()
    .ok_or("accepted a NaN padding constant")?;
    assert!(e.to_string().contains("padding constant = NaN"), "{e}");
    // even kernel
    let e = filter::separable_convolve_into(
        src.view(),
        dst.view_mut(),
        &[0.5, 0.5],
        &[1.0],
        Padding::Border,
    )
    .err()
    .ok_or("accepted an even kernel")?;
    assert!(matches!(e, Error::KernelLength { len: 2, .. }), "{e:?}");
    Ok(())
}

/// Two taps at one offset whose weights sum past `f32::MAX`: the merged
/// weight would be infinite, so the kernel is refused.
#[test]
fn merged_weights_that_overflow_are_refused() -> TestResult {
    let tap = Tap {
        dx: 1,
        dy: 0,
        weight: f32::MAX,
    };
    let e = Kernel2d::from_taps([tap, Tap { dx: 0, ..tap }, tap])
        .err()
        .ok_or("accepted weights summing to infinity")?;
    assert!(
        matches!(e, Error::NonFiniteWeight { value, .. } if value.is_infinite()),
        "{e:?}"
    );
    assert!(e.to_string().contains("inf"), "{e}");
    Ok(())
}

/// Two taps at opposite corners of the radius limit make a valid kernel of
/// two weights whose dense form would be 32769² floats (4 GiB): `to_dense`
/// refuses it with the size instead of allocating, and still expands a
/// kernel of the same reach on one axis.
#[test]
fn dense_form_of_a_far_reaching_kernel_is_refused() -> TestResult {
    let far = MAX_RADIUS as i32;
    let corner = |d: i32| Tap {
        dx: d,
        dy: d,
        weight: 0.5,
    };
    let kernel = Kernel2d::from_taps([corner(-far), corner(far)])?;
    let side = 2 * MAX_RADIUS + 1;
    let e = kernel
        .to_dense()
        .err()
        .ok_or("a 4 GiB dense kernel was allocated")?;
    assert!(
        matches!(e, Error::Geometry(geom::Error::TooLarge { width, height, .. }) if width == side && height == side),
        "{e:?}"
    );
    assert!(e.to_string().contains(&format!("{side}x{side}")), "{e}");
    let line = Kernel2d::from_taps([
        Tap {
            dy: 0,
            ..corner(-far)
        },
        Tap {
            dy: 0,
            ..corner(far)
        },
    ])?;
    let (w, h, dense) = line.to_dense()?;
    assert_eq!((w, h, dense.len()), (side, 1, side));
    assert_eq!(
        (dense[0], dense[side / 2], dense[side - 1]),
        (0.5, 0.0, 0.5)
    );
    Ok(())
}

/// Box downscale factors: zero, not a power of two, past the side rounded
/// up to a power of two, huge; refused with the factor named, before
/// anything is allocated. Non-finite padding constants likewise.
#[test]
fn box_downscale_refuses_bad_factors_and_constants() -> TestResult {
    let src = Image::<u8>::new(20, 9, 3)?;
    let cases = [
        (0usize, 1usize, "kx", 0.0),
        (1, 0, "ky", 0.0),
        (3, 1, "kx", 3.0),
        (2, 6, "ky", 6.0),
        (64, 1, "kx", 64.0),
        (1, 32, "ky", 32.0),
        (usize::MAX, 1, "kx", usize::MAX as f64),
        (1 << 40, 1, "kx", (1u64 << 40) as f64),
        (1, 1 << 63, "ky", (1u64 << 63) as f64),
    ];
    for (kx, ky, axis, value) in cases {
        let (mut out, mut scratch) = (Vec::new(), filter::DownscaleScratch::new());
        let mut result = None;
        let info = allocation_counter::measure(|| {
            result = Some(filter::box_downscale_into(
                src.view(),
                kx,
                ky,
                Padding::Border,
                None,
                &mut out,
                &mut scratch,
            ));
        });
        let e = result
            .ok_or("not run")?
            .err()
            .ok_or(format!("accepted {kx}x{ky}"))?;
        let what = format!("box downscale {axis}");
        assert!(
            matches!(e, Error::InvalidParameter { what: w, value: v, .. } if w == what && v == value),
            "{kx}x{ky}: {e:?}"
        );
        assert!(info.bytes_max < REFUSAL_BYTES, "{info:?}");
        assert!(filter::box_downscale(src.view(), kx, ky, Padding::Border).is_err());
    }
    // The largest factors accepted: the side rounded up to a power of two.
    let level = filter::box_downscale(src.view(), 32, 16, Padding::Wrap)?;
    assert_eq!((level.width(), level.height()), (1, 1));
    for value in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let e = filter::box_downscale(src.view(), 2, 2, Padding::Constant(value))
            .err()
            .ok_or("accepted a non-finite constant")?;
        assert!(e.to_string().contains("padding constant"), "{e}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any region (reversed, empty, past the output, near `usize::MAX`) is
    /// clipped, never a panic, and writes what the whole output holds.
    #[test]
    fn box_downscale_takes_any_region(
        (w, h) in (1usize..40, 1usize..40),
        (lx, ly) in (0u32..4, 0u32..4),
        bounds in proptest::collection::vec(
            prop_oneof![0usize..30, Just(usize::MAX), Just(usize::MAX / 2), Just(usize::MAX / 3 + 1)],
            4,
        ),
    ) {
        let (kx, ky) = (1usize << lx, 1usize << ly);
        prop_assume!(kx <= w.next_power_of_two() && ky <= h.next_power_of_two());
        let src = Image::<u8>::from_fn(w, h, 3, |x, y, c| (x * 3 + y * 7 + c) as u8)?;
        let whole = filter::box_downscale(src.view(), kx, ky, Padding::Reflect101)?;
        let region = filter::BlockRegion {
            columns: bounds[0]..bounds[1],
            rows: bounds[2]..bounds[3],
        };
        let (mut out, mut scratch) = (Vec::new(), filter::DownscaleScratch::new());
        let shape = filter::box_downscale_into(
            src.view(), kx, ky, Padding::Reflect101, Some(&region), &mut out, &mut scratch,
        )?;
        prop_assert_eq!(shape, whole.shape());
        let rows = region.rows.start.min(shape.height)..region.rows.end.min(shape.height);
        for i in rows {
            let row = &out[i * shape.row_len()..(i + 1) * shape.row_len()];
            let want = &whole.as_slice()[i * shape.row_len()..(i + 1) * shape.row_len()];
            for (j, (got, want)) in row.chunks(3).zip(want.chunks(3)).enumerate() {
                let all_columns = region.columns.is_empty()
                    || region.columns.end.checked_mul(kx).is_none_or(|e| e > w);
                if all_columns || region.columns.contains(&j) {
                    prop_assert_eq!(got, want, "({}, {})", j, i);
                }
            }
        }
    }
}

/// Area axes with a non-finite or out-of-range centre, step or width, and
/// widths whose rectangle would be too heavy for the exact `u8` mean:
/// refused with the axis named, before anything is allocated; a count of
/// 0, an output too large for an image, a mismatched output and a
/// non-finite padding constant likewise.
#[test]
fn area_downscale_refuses_bad_axes() -> TestResult {
    use filter::{AreaAxis, AreaScratch};
    let src = Image::<u8>::from_fn(20, 9, 3, |x, y, c| (x * 9 + y * 5 + c) as u8)?;
    let good = AreaAxis::new(4, 2.0, 2.5, 2.75);
    let bad = [
        (
            AreaAxis::new(4, f64::NAN, 2.5, 2.75),
            "area axis x",
            f64::NAN,
        ),
        (
            AreaAxis::new(4, 2.0, f64::INFINITY, 2.75),
            "area axis x",
            f64::INFINITY,
        ),
        (
            AreaAxis::new(4, 2.0, 2.5, f64::NAN),
            "area axis x",
            f64::NAN,
        ),
        (AreaAxis::new(4, 2.0, 2.5, 0.0), "area axis x", 0.0),
        (AreaAxis::new(4, 2.0, 2.5, -3.0), "area axis x", -3.0),
        (AreaAxis::new(4, 2.0, 2.5, 0.06), "area axis x", 0.06),
        (AreaAxis::new(4, 1e13, 2.5, 2.75), "area axis x", 1e13),
        (
            AreaAxis::new(4, 2.0, -1e300, 2.75),
            "area axis x",
            2.0 - 3e300,
        ),
        (
            AreaAxis::new(4, 2.0, 2.5, 1e300),
            "area widths",
            1e300 * 2.75,
        ),
        (
            AreaAxis::new(4, 2.0, 2.5, 300.0),
            "area widths",
            300.0 * 2.75,
        ),
    ];
    let same =
        |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-9 * b.abs();
    for (x, what, value) in bad {
        let mut out = Image::<u8>::new(x.count, good.count, 3)?;
        let mut scratch = AreaScratch::new();
        let mut result = None;
        let info = allocation_counter::measure(|| {
            result = Some(filter::area_downscale_into(
                src.view(),
                out.view_mut(),
                x,
                good,
                Padding::Border,
                &mut scratch,
            ));
        });
        let e = result
            .ok_or("not run")?
            .err()
            .ok_or(format!("accepted {x:?}"))?;
        assert!(
            matches!(e, Error::InvalidParameter { what: w, value: v, .. } if w == what && same(v, value)),
            "{x:?}: {e:?}"
        );
        assert!(info.bytes_max < REFUSAL_BYTES, "{info:?}");
        // The same axis as y is named as y (the weight check is joint).
        let e = filter::area_downscale(src.view(), good, x, Padding::Border)
            .err()
            .ok_or("accepted as y")?;
        let what_y = if what == "area widths" {
            what
        } else {
            "area axis y"
        };
        assert!(e.to_string().contains(what_y), "{e}");
    }
    // Just inside the weight limit: 15 x 15 pixels, (16·15 + 1)² = 58081.
    let wide = AreaAxis::new(2, 5.0, 8.0, 15.0);
    let out = filter::area_downscale(src.view(), wide, wide, Padding::Wrap)?;
    assert_eq!((out.width(), out.height()), (2, 2));
    // Count 0, an output past the pixel limit: the image error, no allocation.
    for count in [0usize, 1 << 30] {
        let mut result = None;
        let info = allocation_counter::measure(|| {
            let axis = AreaAxis::new(count, 0.0, 1.0, 1.0);
            result = Some(filter::area_downscale(
                src.view(),
                axis,
                axis,
                Padding::Border,
            ));
        });
        let e = result.ok_or("not run")?.err().ok_or("accepted")?;
        assert!(matches!(e, Error::Geometry(_)), "{e:?}");
        assert!(info.bytes_max < REFUSAL_BYTES, "{info:?}");
    }
    let mut small = Image::<u8>::new(3, 4, 3)?;
    let e = filter::area_downscale_into(
        src.view(),
        small.view_mut(),
        good,
        good,
        Padding::Border,
        &mut AreaScratch::new(),
    )
    .err()
    .ok_or("accepted a mismatched output")?;
    assert!(
        matches!(e, Error::Geometry(geom::Error::ShapeMismatch { .. })),
        "{e:?}"
    );
    for value in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let e = filter::area_downscale(src.view(), good, good, Padding::Constant(value))
            .err()
            .ok_or("accepted a non-finite constant")?;
        assert!(e.to_string().contains("padding constant"), "{e}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any accepted axes, however far outside the source they read and in
    /// whatever direction, write every output value and nothing past a row.
    #[test]
    fn area_downscale_takes_any_axes(
        (w, h) in (1usize..30, 1usize..30),
        (count_x, count_y) in (1usize..12, 1usize..12),
        (first_x, first_y) in (-1e6f64..1e6, -50.0f64..50.0),
        (step_x, step_y) in (-1e5f64..1e5, -7.0f64..7.0),
        (width_x, width_y) in (0.0625f64..15.0, 0.0625f64..15.0),
        padding in padding(),
    ) {
        let src = Image::<u8>::from_fn(w, h, 3, |x, y, c| (x * 3 + y * 7 + c) as u8)?;
        let x = filter::AreaAxis::new(count_x, first_x, step_x, width_x);
        let y = filter::AreaAxis::new(count_y, first_y, step_y, width_y);
        let stride = count_x * 3 + 2;
        let mut buf = vec![77u8; stride * count_y];
        let dst = geom::ImageViewMut::with_stride(&mut buf, count_x, count_y, 3, stride)?;
        let result = filter::area_downscale_into(
            src.view(), dst, x, y, padding, &mut filter::AreaScratch::new(),
        );
        let heavy = ((16.0 * width_x + 1.0).floor() * (16.0 * width_y + 1.0).floor()) > 65535.0;
        match result {
            Ok(()) => {
                prop_assert!(!heavy);
                for row in buf.chunks(stride) {
                    prop_assert_eq!(&row[count_x * 3..], &[77, 77]);
                }
            }
            Err(e) => prop_assert!(heavy || padding.constant().is_some_and(|v| !v.is_finite()), "{e}"),
        }
    }
}
