//! Hand-checked borders, kernel properties, and bad input.

use filter::{Blur, Error, Kernel2d, Method, Tap};
use geom::{Image, Isa, Padding};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const ROW: [f32; 4] = [0.0, 4.0, 8.0, 16.0];

/// Filters `ROW` laid out along x (a 4x1 image) and along y (1x4) with the
/// same 1-D kernel, every method and path, and checks both against `want`.
fn along_both_axes(kernel: &[f32], padding: Padding, want: [f32; 4]) -> TestResult {
    let row = Image::from_vec(4, 1, 1, ROW.to_vec())?;
    let column = Image::from_vec(1, 4, 1, ROW.to_vec())?;
    for isa in Isa::available() {
        for method in [Method::Direct, Method::Fft] {
            let tol = if method == Method::Fft { 1e-4 } else { 0.0 };
            let mut out = Image::<f32>::new(4, 1, 1)?;
            filter::separable_convolve_into_with_isa(
                isa,
                method,
                row.view(),
                out.view_mut(),
                kernel,
                &[1.0],
                padding,
            )?;
            for (got, want) in out.as_slice().iter().zip(want) {
                assert!(
                    (got - want).abs() <= tol,
                    "{padding:?} {method:?} {isa} rows: {:?} vs {want:?}",
                    out.as_slice()
                );
            }
            let mut out = Image::<f32>::new(1, 4, 1)?;
            filter::separable_convolve_into_with_isa(
                isa,
                method,
                column.view(),
                out.view_mut(),
                &[1.0],
                kernel,
                padding,
            )?;
            for (got, want) in out.as_slice().iter().zip(want) {
                assert!(
                    (got - want).abs() <= tol,
                    "{padding:?} {method:?} {isa} columns: {:?}",
                    out.as_slice()
                );
            }
        }
    }
    Ok(())
}

#[test]
fn smoothing_at_each_border_by_hand() -> TestResult {
    // a b c d = 0 4 8 16; out[x] = P[x-1]/4 + P[x]/2 + P[x+1]/4.
    let k = [0.25, 0.5, 0.25];
    along_both_axes(&k, Padding::Border, [1.0, 4.0, 9.0, 14.0])?; // P[-1] = a, P[4] = d
    along_both_axes(&k, Padding::Reflect, [1.0, 4.0, 9.0, 14.0])?; // P[-1] = a, P[4] = d
    along_both_axes(&k, Padding::Reflect101, [2.0, 4.0, 9.0, 12.0])?; // P[-1] = b, P[4] = c
    along_both_axes(&k, Padding::Wrap, [5.0, 4.0, 9.0, 10.0])?; // P[-1] = d, P[4] = a
    along_both_axes(&k, Padding::Constant(8.0), [3.0, 4.0, 9.0, 12.0])?;
    along_both_axes(&k, Padding::Zeros, [1.0, 4.0, 9.0, 10.0])
}

#[test]
fn shifts_two_pixels_past_each_border_by_hand() -> TestResult {
    // [1, 0, 0, 0, 0] reads P[x-2]; [0, 0, 0, 0, 1] reads P[x+2].
    let left = [1.0, 0.0, 0.0, 0.0, 0.0];
    let right = [0.0, 0.0, 0.0, 0.0, 1.0];
    along_both_axes(&left, Padding::Border, [0.0, 0.0, 0.0, 4.0])?;
    along_both_axes(&left, Padding::Reflect, [4.0, 0.0, 0.0, 4.0])?; // b a | a b
    along_both_axes(&left, Padding::Reflect101, [8.0, 4.0, 0.0, 4.0])?; // c b | a b
    along_both_axes(&left, Padding::Wrap, [8.0, 16.0, 0.0, 4.0])?; // c d | a b
    along_both_axes(&left, Padding::Constant(7.0), [7.0, 7.0, 0.0, 4.0])?;
    along_both_axes(&right, Padding::Border, [8.0, 16.0, 16.0, 16.0])?;
    along_both_axes(&right, Padding::Reflect, [8.0, 16.0, 16.0, 8.0])?; // c d | d c
    along_both_axes(&right, Padding::Reflect101, [8.0, 16.0, 8.0, 4.0])?; // c d | c b
    along_both_axes(&right, Padding::Wrap, [8.0, 16.0, 0.0, 4.0])?; // c d | a b
    along_both_axes(&right, Padding::Constant(7.0), [8.0, 16.0, 7.0, 7.0])
}

#[test]
fn constant_padding_fills_corners_too() -> TestResult {
    // A 1x1 image of 10 with a 3x3 box and Constant(1): one pixel of the
    // nine is the image, eight (corners included) are padding.
    let src = Image::from_vec(1, 1, 1, vec![10u8])?;
    let mut out = Image::<u8>::new(1, 1, 1)?;
    filter::box_blur_into(src.view(), out.view_mut(), 3, 3, Padding::Constant(1.0))?;
    assert_eq!(out.as_slice(), &[2]); // (10 + 8) / 9
    let mut out = Image::<u8>::new(1, 1, 1)?;
    let flat = [1.0 / 3.0; 3];
    filter::separable_convolve_into(
        src.view(),
        out.view_mut(),
        &flat,
        &flat,
        Padding::Constant(1.0),
    )?;
    assert_eq!(out.as_slice(), &[2]);
    Ok(())
}

#[test]
fn constant_images_stay_constant() -> TestResult {
    let src = Image::<u8>::from_fn(37, 23, 3, |_, _, _| 200)?;
    for padding in [
        Padding::Border,
        Padding::Reflect,
        Padding::Reflect101,
        Padding::Wrap,
        Padding::Constant(200.0),
    ] {
        for blur in [
            Blur::Gaussian {
                sigma_x: 0.7,
                sigma_y: 3.0,
            },
            Blur::Gaussian {
                sigma_x: 25.0,
                sigma_y: 20.0,
            },
            Blur::Box {
                width: 6,
                height: 61,
            },
            Blur::Motion {
                length: 15.0,
                angle_degrees: 30.0,
            },
            Blur::Directional {
                sigma_along: 6.0,
                sigma_across: 0.8,
                angle_degrees: -70.0,
            },
        ] {
            let mut out = Image::<u8>::new(37, 23, 3)?;
            blur.apply_into(src.view(), out.view_mut(), padding)?;
            assert!(
                out.as_slice().iter().all(|&v| v == 200),
                "{blur:?} {padding:?}"
            );
        }
    }
    Ok(())
}

#[test]
fn gaussian_kernel_has_standard_deviation_sigma() -> TestResult {
    // The common mistake exp(-(x / 2σ)²) would give σ·√2 and fail both bounds.
    for sigma in [1.0f32, 1.3, 2.0, 3.0, 5.5, 10.0, 30.0] {
        let std = |k: &[f32]| {
            let r = (k.len() / 2) as f64;
            let var: f64 = k
                .iter()
                .enumerate()
                .map(|(i, &w)| f64::from(w) * (i as f64 - r).powi(2))
                .sum();
            var.sqrt()
        };
        // Truncation at 3σ takes 0.2 % (σ = 1) to 1.3 % (large σ) off.
        let k = filter::gaussian_kernel(sigma, None)?;
        assert_eq!(k.radius(), (3.0 * sigma).ceil() as usize);
        let s = std(&k);
        assert!((s / f64::from(sigma) - 1.0).abs() < 0.015, "σ {sigma}: {s}");
        // With the tails kept, the sampled Gaussian's deviation is σ itself.
        let k = filter::gaussian_kernel(sigma, Some((8.0 * sigma).ceil() as usize))?;
        let s = std(&k);
        assert!((s / f64::from(sigma) - 1.0).abs() < 1e-5, "σ {sigma}: {s}");
        assert!((k.iter().map(|&w| f64::from(w)).sum::<f64>() - 1.0).abs() < 1e-5);
        let r = k.radius();
        assert!(
            (0..r).all(|i| k[i] == k[2 * r - i] && k[i] <= k[i + 1]),
            "symmetric, peaked"
        );
    }
    Ok(())
}

#[test]
fn anisotropic_gaussian_blurs_each_axis_by_its_own_sigma() -> TestResult {
    // An impulse becomes the outer product of the two kernels.
    let src = Image::<f32>::from_fn(
        41,
        41,
        1,
        |x, y, _| if (x, y) == (20, 20) { 1.0 } else { 0.0 },
    )?;
    let mut out = Image::<f32>::new(41, 41, 1)?;
    filter::gaussian_blur_into(src.view(), out.view_mut(), 4.0, 1.0, Padding::Zeros)?;
    let (kx, ky) = (
        filter::gaussian_kernel(4.0, None)?,
        filter::gaussian_kernel(1.0, None)?,
    );
    for (dy, &wy) in ky.iter().enumerate() {
        for (dx, &wx) in kx.iter().enumerate() {
            let got = out.view().pixel(20 + dx - 12, 20 + dy - 3)[0];
            assert!((got - wx * wy).abs() < 1e-7);
        }
    }
    assert_eq!(out.view().pixel(20, 24)[0], 0.0);
    assert!(out.view().pixel(32, 20)[0] > 0.0);
    Ok(())
}

#[test]
fn large_sigma_goes_through_the_fft_and_matches_direct() -> TestResult {
    let src = Image::<u8>::from_fn(150, 90, 3, |x, y, c| {
        ((x * 7 + y * 13 + c * 50) % 256) as u8
    })?;
    let sigma = 20.0; // radius 60, past the crossover
    assert!(filter::default_radius(sigma) >= filter::FFT_CROSSOVER_RADIUS);
    for padding in [Padding::Reflect101, Padding::Wrap, Padding::Constant(30.0)] {
        let mut auto = Image::<u8>::new(150, 90, 3)?;
        filter::gaussian_blur_into(src.view(), auto.view_mut(), sigma, sigma, padding)?;
        let mut direct = Image::<u8>::new(150, 90, 3)?;
        let k = filter::gaussian_kernel(sigma, None)?;
        filter::separable_convolve_into_with_isa(
            Isa::selected(),
            Method::Direct,
            src.view(),
            direct.view_mut(),
            &k,
            &k,
            padding,
        )?;
        let diff = auto
            .as_slice()
            .iter()
            .zip(direct.as_slice())
            .map(|(a, b)| a.abs_diff(*b))
            .max();
        assert!(diff <= Some(1), "{padding:?}: {diff:?}");
    }
    Ok(())
}

#[test]
fn auto_is_direct_below_each_paths_crossover_and_fft_from_it() -> TestResult {
    assert_eq!(
        filter::fft_crossover_radius(Isa::Scalar),
        filter::FFT_CROSSOVER_RADIUS
    );
    assert_eq!(
        filter::fft_crossover_radius(Isa::Avx2),
        filter::FFT_CROSSOVER_RADIUS
    );
    assert_eq!(
        filter::fft_crossover_radius(Isa::Neon),
        filter::FFT_CROSSOVER_RADIUS
    );
    assert_eq!(
        filter::fft_crossover_radius(Isa::Avx512),
        filter::FFT_CROSSOVER_RADIUS_AVX512
    );
    const { assert!(filter::FFT_CROSSOVER_RADIUS_AVX512 > filter::FFT_CROSSOVER_RADIUS) };
    let src = Image::<f32>::from_fn(90, 70, 3, |x, y, c| {
        ((x * 7 + y * 13 + c * 50) % 256) as f32
    })?;
    // Radii 29, 30, 39, 40: each side of both crossovers.
    for radius in [29usize, 30, 39, 40] {
        let k = filter::gaussian_kernel(radius as f32 / 3.0, Some(radius))?;
        for isa in Isa::available() {
            let run = |method| -> Result<Image<f32>, filter::Error> {
                let mut out = Image::<f32>::new(90, 70, 3)?;
                let p = Padding::Reflect101;
                filter::separable_convolve_into_with_isa(
                    isa,
                    method,
                    src.view(),
                    out.view_mut(),
                    &k,
                    &k,
                    p,
                )?;
                Ok(out)
            };
            let auto = run(Method::Auto)?;
            let want = if radius < filter::fft_crossover_radius(isa) {
                Method::Direct
            } else {
                Method::Fft
            };
            assert!(
                auto.as_slice()
                    .iter()
                    .zip(run(want)?.as_slice())
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{isa}, r = {radius}: Auto is not {want:?}"
            );
        }
    }
    Ok(())
}

/// The FFT pass keeps its column buffer between calls on a thread; what a
/// larger call left in it must not reach the next result: the bits equal
/// those of a first call on a fresh thread, in every padding.
#[test]
fn the_fft_passes_kept_buffer_changes_no_bits() -> TestResult {
    let small =
        Image::<f32>::from_fn(61, 37, 3, |x, y, c| ((x * 5 + y * 11 + c * 40) % 97) as f32)?;
    let large = Image::<f32>::from_fn(140, 90, 3, |_, _, _| 1.0e6)?;
    let k = filter::gaussian_kernel(15.0, None)?;
    let blur = move |src: &Image<f32>, isa: Isa, padding: Padding| {
        let mut out = Image::<f32>::new(src.width(), src.height(), 3)?;
        filter::separable_convolve_into_with_isa(
            isa,
            Method::Fft,
            src.view(),
            out.view_mut(),
            &k,
            &k,
            padding,
        )?;
        Ok::<_, filter::Error>(
            out.as_slice()
                .iter()
                .map(|v| v.to_bits())
                .collect::<Vec<_>>(),
        )
    };
    for isa in Isa::available() {
        for padding in [Padding::Reflect101, Padding::Wrap, Padding::Constant(7.0)] {
            let fresh = {
                let (blur, small) = (blur.clone(), small.clone());
                std::thread::spawn(move || blur(&small, isa, padding))
                    .join()
                    .map_err(|_| "the fresh thread panicked")??
            };
            blur(&large, isa, padding)?;
            assert_eq!(blur(&small, isa, padding)?, fresh, "{isa}, {padding:?}");
        }
    }
    Ok(())
}

#[test]
fn one_axis_by_fft_the_other_direct_matches_direct() -> TestResult {
    // σ = 15 puts one axis past the crossover, σ = 1.5 keeps the other direct.
    let src = Image::<u8>::from_fn(97, 61, 3, |x, y, c| ((x * 11 + y * 5 + c * 70) % 256) as u8)?;
    for (sx, sy) in [(15.0, 1.5), (1.5, 15.0)] {
        for padding in [Padding::Reflect, Padding::Wrap, Padding::Constant(200.0)] {
            let mut auto = Image::<u8>::new(97, 61, 3)?;
            filter::gaussian_blur_into(src.view(), auto.view_mut(), sx, sy, padding)?;
            let (kx, ky) = (
                filter::gaussian_kernel(sx, None)?,
                filter::gaussian_kernel(sy, None)?,
            );
            let mut direct = Image::<u8>::new(97, 61, 3)?;
            filter::separable_convolve_into_with_isa(
                Isa::Scalar,
                Method::Direct,
                src.view(),
                direct.view_mut(),
                &kx,
                &ky,
                padding,
            )?;
            let diff = auto
                .as_slice()
                .iter()
                .zip(direct.as_slice())
                .map(|(a, b)| a.abs_diff(*b))
                .max();
            assert!(diff <= Some(1), "σ ({sx}, {sy}) {padding:?}: {diff:?}");
        }
    }
    Ok(())
}

/// Mean, principal direction (degrees counter-clockwise on screen, 0–180)
/// and variances along and across a 2-D kernel.
fn moments(k: &Kernel2d) -> (f64, f64, f64, f64) {
    let sum: f64 = k.taps().iter().map(|t| f64::from(t.weight)).sum();
    let m = |f: &dyn Fn(&Tap) -> f64| {
        k.taps()
            .iter()
            .map(|t| f64::from(t.weight) * f(t))
            .sum::<f64>()
            / sum
    };
    let (mx, my) = (m(&|t| f64::from(t.dx)), m(&|t| f64::from(t.dy)));
    let cxx = m(&|t| (f64::from(t.dx) - mx).powi(2));
    let cyy = m(&|t| (f64::from(t.dy) - my).powi(2));
    let cxy = m(&|t| (f64::from(t.dx) - mx) * (f64::from(t.dy) - my));
    // y points down, so the on-screen angle is the negated pixel-space angle.
    let angle = (-0.5 * (2.0 * cxy).atan2(cxx - cyy))
        .to_degrees()
        .rem_euclid(180.0);
    let mean = (cxx + cyy) / 2.0;
    let spread = ((cxx - cyy).powi(2) / 4.0 + cxy * cxy).sqrt();
    (sum, angle, mean + spread, mean - spread)
}

fn angle_error(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(180.0);
    d.min(180.0 - d)
}

#[test]
fn motion_kernel_has_its_length_orientation_and_unit_sum() -> TestResult {
    for length in [5.0f32, 9.0, 15.0, 31.0, 60.0] {
        for angle in (-360..360).step_by(7).map(|a| a as f32) {
            let k = filter::motion_kernel(length, angle)?;
            let (sum, dir, along, across) = moments(&k);
            assert!((sum - 1.0).abs() < 1e-5, "L {length} θ {angle}: sum {sum}");
            // Pixel steps bend short lines a little: 2.2° at L = 5, 0.2° at L = 15.
            let bend = angle_error(dir, f64::from(angle));
            assert!(
                bend < 12.0 / f64::from(length),
                "L {length} θ {angle}: direction {dir}"
            );
            // A uniform segment of length L has variance L²/12 along it.
            let measured = (12.0 * along).sqrt();
            assert!(
                (measured - f64::from(length)).abs() < 0.25,
                "L {length} θ {angle}: length {measured}"
            );
            assert!(
                across < 0.2,
                "L {length} θ {angle}: across variance {across}"
            );
            assert!(
                k.taps().len() <= 2 * length.ceil() as usize + 2,
                "O(L) taps"
            );
            for t in k.taps() {
                let mirror = k.taps().iter().find(|u| (u.dx, u.dy) == (-t.dx, -t.dy));
                assert!(
                    mirror.is_some_and(|u| (u.weight - t.weight).abs() < 1e-6),
                    "symmetric"
                );
            }
        }
    }
    // θ = 30°: the segment rises to the right on screen (up is -y).
    let k = filter::motion_kernel(15.0, 30.0)?;
    assert!(k.taps().iter().filter(|t| t.dx > 3).all(|t| t.dy < 0));
    Ok(())
}

#[test]
fn motion_blur_spreads_a_dot_along_the_line() -> TestResult {
    let src = Image::<f32>::from_fn(
        41,
        41,
        1,
        |x, y, _| if (x, y) == (20, 20) { 1.0 } else { 0.0 },
    )?;
    let mut out = Image::<f32>::new(41, 41, 1)?;
    filter::motion_blur_into(src.view(), out.view_mut(), 21.0, 90.0, Padding::Zeros)?;
    for y in 0..41 {
        let want = if (10..=30).contains(&y) {
            1.0 / 21.0
        } else {
            0.0
        };
        assert!((out.view().pixel(20, y)[0] - want).abs() < 1e-7, "row {y}");
        assert_eq!(out.view().pixel(19, y)[0], 0.0);
    }
    Ok(())
}

#[test]
fn directional_kernel_follows_its_sigmas() -> TestResult {
    for angle in [0.0f32, 30.0, 90.0, 120.0] {
        let k = filter::directional_kernel(6.0, 1.0, angle)?;
        let (sum, dir, along, across) = moments(&k);
        assert!((sum - 1.0).abs() < 1e-5);
        assert!(angle_error(dir, f64::from(angle)) < 0.5, "θ {angle}: {dir}");
        assert!(
            (along.sqrt() / 6.0 - 1.0).abs() < 0.05,
            "θ {angle}: along {}",
            along.sqrt()
        );
        assert!(
            (across.sqrt() - 1.0).abs() < 0.08,
            "θ {angle}: across {}",
            across.sqrt()
        );
    }
    Ok(())
}

#[test]
fn views_into_larger_buffers_work() -> TestResult {
    let big = Image::<u8>::from_fn(50, 40, 3, |x, y, c| ((x * 31 + y * 17 + c * 5) % 256) as u8)?;
    let crop = big.view().crop(7, 5, 30, 20)?;
    let copy = crop.to_image();
    let mut a = Image::<u8>::new(30, 20, 3)?;
    let mut b = Image::<u8>::new(30, 20, 3)?;
    for blur in [
        Blur::Gaussian {
            sigma_x: 2.0,
            sigma_y: 1.0,
        },
        Blur::Box {
            width: 4,
            height: 5,
        },
        Blur::Motion {
            length: 9.0,
            angle_degrees: 15.0,
        },
    ] {
        blur.apply_into(crop, a.view_mut(), Padding::Reflect)?;
        blur.apply_into(copy.view(), b.view_mut(), Padding::Reflect)?;
        assert_eq!(a, b, "{blur:?}");
    }
    Ok(())
}

#[test]
fn bad_input_gives_typed_errors_naming_the_value() -> TestResult {
    let src = Image::<u8>::new(8, 8, 3)?;
    let mut dst = Image::<u8>::new(8, 8, 3)?;
    let p = Padding::Reflect101;
    for sigma in [0.0f32, -1.0, f32::NAN, f32::INFINITY] {
        let e = filter::gaussian_blur_into(src.view(), dst.view_mut(), sigma, 1.0, p);
        assert!(
            matches!(
                e,
                Err(Error::InvalidParameter {
                    what: "sigma_x",
                    ..
                })
            ),
            "{e:?}"
        );
        let e = filter::gaussian_blur_into(src.view(), dst.view_mut(), 1.0, sigma, p);
        assert!(
            matches!(
                e,
                Err(Error::InvalidParameter {
                    what: "sigma_y",
                    ..
                })
            ),
            "{e:?}"
        );
    }
    let e = filter::gaussian_blur_into(src.view(), dst.view_mut(), -2.5, 1.0, p)
        .err()
        .map(|e| e.to_string());
    assert!(e.is_some_and(|m| m.contains("-2.5")));
    // Huge σ: refused before anything is allocated.
    let e = filter::gaussian_blur_into(src.view(), dst.view_mut(), 1e30, 1.0, p);
    assert!(matches!(e, Err(Error::RadiusTooLarge { .. })), "{e:?}");
    assert!(matches!(
        filter::gaussian_kernel(2.0, Some(usize::MAX)),
        Err(Error::RadiusTooLarge { .. })
    ));

    let e = filter::separable_convolve_into(src.view(), dst.view_mut(), &[0.5, 0.5], &[1.0], p);
    assert!(
        matches!(
            e,
            Err(Error::KernelLength {
                what: "kernel_x",
                len: 2
            })
        ),
        "{e:?}"
    );
    let e = filter::separable_convolve_into(src.view(), dst.view_mut(), &[1.0], &[], p);
    assert!(
        matches!(
            e,
            Err(Error::KernelLength {
                what: "kernel_y",
                len: 0
            })
        ),
        "{e:?}"
    );
    let e = filter::separable_convolve_into(
        src.view(),
        dst.view_mut(),
        &[0.2, f32::NAN, 0.2],
        &[1.0],
        p,
    );
    assert!(
        matches!(e, Err(Error::NonFiniteWeight { index: 1, .. })),
        "{e:?}"
    );

    let mut small = Image::<u8>::new(8, 7, 3)?;
    let e = filter::box_blur_into(src.view(), small.view_mut(), 3, 3, p);
    assert!(matches!(e, Err(Error::ShapeMismatch { .. })), "{e:?}");
    let mut gray = Image::<u8>::new(8, 8, 1)?;
    let e = filter::motion_blur_into(src.view(), gray.view_mut(), 5.0, 0.0, p);
    assert!(matches!(e, Err(Error::ShapeMismatch { .. })), "{e:?}");

    let e = filter::box_blur_into(src.view(), dst.view_mut(), 0, 3, p);
    assert!(
        matches!(
            e,
            Err(Error::InvalidParameter {
                what: "box width",
                ..
            })
        ),
        "{e:?}"
    );
    let e = filter::box_blur_into(src.view(), dst.view_mut(), 3, usize::MAX, p);
    assert!(
        matches!(
            e,
            Err(Error::RadiusTooLarge {
                what: "box height",
                ..
            })
        ),
        "{e:?}"
    );

    for length in [f32::NAN, -1.0, f32::INFINITY] {
        let e = filter::motion_blur_into(src.view(), dst.view_mut(), length, 0.0, p);
        assert!(
            matches!(
                e,
                Err(Error::InvalidParameter {
                    what: "motion blur length",
                    ..
                })
            ),
            "{e:?}"
        );
    }
    let e = filter::motion_blur_into(src.view(), dst.view_mut(), 1e9, 0.0, p);
    assert!(matches!(e, Err(Error::RadiusTooLarge { .. })), "{e:?}");
    let e = filter::motion_blur_into(src.view(), dst.view_mut(), 5.0, f32::NAN, p);
    assert!(
        matches!(
            e,
            Err(Error::InvalidParameter {
                what: "angle (degrees)",
                ..
            })
        ),
        "{e:?}"
    );
    let e = filter::directional_blur_into(src.view(), dst.view_mut(), 3000.0, 2000.0, 10.0, p);
    assert!(matches!(e, Err(Error::TooManyTaps { .. })), "{e:?}");
    let e = filter::directional_blur_into(src.view(), dst.view_mut(), 3.0, 0.0, 10.0, p);
    assert!(
        matches!(
            e,
            Err(Error::InvalidParameter {
                what: "sigma_across",
                ..
            })
        ),
        "{e:?}"
    );

    let e = filter::gaussian_blur_into(
        src.view(),
        dst.view_mut(),
        1.0,
        1.0,
        Padding::Constant(f32::NAN),
    );
    assert!(
        matches!(
            e,
            Err(Error::InvalidParameter {
                what: "padding constant",
                ..
            })
        ),
        "{e:?}"
    );

    let many = (0..=filter::MAX_TAPS as i32).map(|i| Tap {
        dx: i % 100,
        dy: i / 100 % 100,
        weight: 1.0,
    });
    assert!(matches!(
        Kernel2d::from_taps(many),
        Err(Error::TooManyTaps { .. })
    ));
    assert!(matches!(
        Kernel2d::from_taps([]),
        Err(Error::InvalidParameter { .. })
    ));
    let far = Tap {
        dx: i32::MIN,
        dy: 0,
        weight: 1.0,
    };
    assert!(matches!(
        Kernel2d::from_taps([far]),
        Err(Error::RadiusTooLarge { .. })
    ));
    Ok(())
}

/// A sample type of the caller's own, read and stored like `u8`.
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(transparent)]
struct Gray(u8);

impl geom::Element for Gray {
    fn to_f32(self) -> f32 {
        f32::from(self.0)
    }
    fn from_f32(value: f32) -> Self {
        Gray(<u8 as geom::Element>::from_f32(value))
    }
    const NAME: &'static str = "gray";
    const FULL_SCALE: f32 = 255.0;
}

/// An element type other than `u8` and `f32` is filtered through `f32`
/// and stored once by its own rule: the same bits as `u8` for every filter
/// that rounds its `f32` sum once (all but box blur, whose `u8` route sums
/// integers), and for box blur the `f32` result stored by that rule.
#[test]
fn other_element_types_filter_through_f32() -> TestResult {
    let (w, h, c) = (23, 17, 3);
    let bytes = Image::<u8>::from_fn(w, h, c, |x, y, ch| {
        ((x * 37 + y * 11 + ch * 90) % 256) as u8
    })?;
    let grays = Image::from_vec(w, h, c, bytes.as_slice().iter().map(|&v| Gray(v)).collect())?;
    let floats = Image::from_vec(
        w,
        h,
        c,
        bytes.as_slice().iter().map(|&v| f32::from(v)).collect(),
    )?;
    let blurs = [
        Blur::Gaussian {
            sigma_x: 1.5,
            sigma_y: 0.7,
        },
        Blur::Box {
            width: 4,
            height: 3,
        },
        Blur::Motion {
            length: 6.0,
            angle_degrees: 20.0,
        },
        Blur::Directional {
            sigma_along: 2.0,
            sigma_across: 0.5,
            angle_degrees: -40.0,
        },
    ];
    for isa in Isa::available() {
        for padding in [Padding::Reflect101, Padding::Constant(7.0), Padding::Wrap] {
            for blur in blurs {
                let mut gray = Image::<Gray>::new(w, h, c)?;
                blur.apply_into_with_isa(isa, grays.view(), gray.view_mut(), padding)?;
                let want: Vec<u8> = if matches!(blur, Blur::Box { .. }) {
                    let mut float = Image::<f32>::new(w, h, c)?;
                    blur.apply_into_with_isa(isa, floats.view(), float.view_mut(), padding)?;
                    float
                        .as_slice()
                        .iter()
                        .map(|&v| <u8 as geom::Element>::from_f32(v))
                        .collect()
                } else {
                    let mut byte = Image::<u8>::new(w, h, c)?;
                    blur.apply_into_with_isa(isa, bytes.view(), byte.view_mut(), padding)?;
                    byte.into_vec()
                };
                let got: Vec<u8> = gray.as_slice().iter().map(|g| g.0).collect();
                assert_eq!(got, want, "{blur:?} {padding:?} {isa}");
            }
        }
    }
    Ok(())
}

/// Output pixel `j` of a downscale by `k` is centred on source
/// `k·j + (k-1)/2`: the means of a ramp `f(x) = x` are those centres.
#[test]
fn box_downscale_blocks_are_centred_where_the_docs_say() -> TestResult {
    let src = Image::<f32>::from_fn(64, 32, 1, |x, y, _| (x + 1000 * y) as f32)?;
    for (kx, ky) in [(1, 1), (2, 4), (8, 2), (32, 32)] {
        let level = filter::box_downscale(src.view(), kx, ky, Padding::Border)?;
        assert_eq!((level.width(), level.height()), (64 / kx, 32 / ky));
        for i in 0..level.height() {
            for j in 0..level.width() {
                let x = (kx * j) as f32 + (kx as f32 - 1.0) / 2.0;
                let y = (ky * i) as f32 + (ky as f32 - 1.0) / 2.0;
                assert_eq!(
                    level.pixel(j, i)[0],
                    x + 1000.0 * y,
                    "k {kx}x{ky} at ({j}, {i})"
                );
            }
        }
    }
    Ok(())
}

/// A block hanging over the edge with `Constant` padding averages the
/// constant in for each missing pixel.
#[test]
fn box_downscale_blends_constant_padding_into_edge_blocks() -> TestResult {
    let src = Image::<f32>::from_fn(3, 3, 1, |_, _, _| 1.0)?;
    let level = filter::box_downscale(src.view(), 2, 2, Padding::Constant(0.5))?;
    // Blocks (1, 0) and (0, 1): two real pixels of four; block (1, 1): one.
    assert_eq!(
        level.as_slice(),
        &[1.0, 0.75, 0.75, (1.0 + 0.5 * 3.0) / 4.0]
    );
    let bytes = Image::<u8>::from_fn(3, 3, 1, |_, _, _| 200)?;
    for isa in Isa::available() {
        let level = filter::box_downscale_with_isa(isa, bytes.view(), 2, 2, Padding::Zeros)?;
        // 200, 100, 100 and 50: the corner block holds one real pixel of four.
        assert_eq!(level.as_slice(), &[200, 100, 100, 50], "{isa}");
    }
    Ok(())
}

/// With a region, exactly its blocks are written (the same values as the
/// whole output there) and the rest of the buffer keeps what it held.
#[test]
fn box_downscale_region_writes_only_its_blocks() -> TestResult {
    let src = Image::<u8>::from_fn(50, 30, 3, |x, y, c| ((x * 5 + y * 9 + c * 70) % 256) as u8)?;
    let whole = filter::box_downscale(src.view(), 4, 2, Padding::Reflect)?;
    let (lw, lh) = (whole.width(), whole.height());
    for region in [
        filter::BlockRegion {
            columns: 3..9,
            rows: 2..11,
        },
        // Reaches the block over the right edge: every column.
        filter::BlockRegion {
            columns: 3..13,
            rows: 0..1,
        },
        // Empty columns: every column; rows past the end: clipped.
        filter::BlockRegion {
            columns: 5..5,
            rows: 14..99,
        },
    ] {
        for isa in Isa::available() {
            let (mut out, mut scratch) = (vec![1u8; lw * lh * 3], filter::DownscaleScratch::new());
            let shape = filter::box_downscale_into_with_isa(
                isa,
                src.view(),
                4,
                2,
                Padding::Reflect,
                Some(&region),
                &mut out,
                &mut scratch,
            )?;
            assert_eq!((shape.width, shape.height), (lw, lh));
            let all_columns = region.columns.is_empty() || region.columns.end * 4 > 50;
            for i in 0..lh {
                for j in 0..lw {
                    let inside =
                        region.rows.contains(&i) && (all_columns || region.columns.contains(&j));
                    let got = &out[(i * lw + j) * 3..(i * lw + j) * 3 + 3];
                    let want = if inside {
                        whole.pixel(j, i)
                    } else {
                        &[1, 1, 1][..]
                    };
                    assert_eq!(got, want, "{isa} {region:?} at ({j}, {i})");
                }
            }
        }
    }
    Ok(())
}

/// Reused buffers: the second call of a batch allocates nothing.
#[test]
fn box_downscale_into_reused_buffers_allocates_nothing() -> TestResult {
    let src = Image::<u8>::from_fn(301, 203, 3, |x, y, c| ((x + 2 * y + c) % 256) as u8)?;
    let smaller = Image::<u8>::from_fn(120, 80, 3, |x, y, c| ((x * y + c) % 256) as u8)?;
    for isa in Isa::available() {
        let (mut out, mut scratch) = (Vec::new(), filter::DownscaleScratch::new());
        filter::box_downscale_into_with_isa(
            isa,
            src.view(),
            4,
            2,
            Padding::Reflect101,
            None,
            &mut out,
            &mut scratch,
        )?;
        let mut result = Ok(geom::Shape::new(1, 1, 1)?);
        let info = allocation_counter::measure(|| {
            result = filter::box_downscale_into_with_isa(
                isa,
                smaller.view(),
                2,
                8,
                Padding::Constant(3.0),
                None,
                &mut out,
                &mut scratch,
            );
        });
        result?;
        assert_eq!(info.count_total, 0, "{isa}: {info:?}");
    }
    Ok(())
}
