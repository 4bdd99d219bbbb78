//! The scalar reference against exact `f64` computations written here from
//! the definitions; the FFT path against the direct one; box blur against a
//! flat-kernel convolution.
//!
//! Tolerances (the exactness contract in ARCHITECTURE.md, "Conventions"):
//! `u8` within 0.501 LSB of the exact value (0.5 for the rounding plus
//! float noise), `f32` within 1e-5 of the value scale; FFT within 1e-4 of
//! the scale (`f32`) or 1 LSB of the direct path (`u8`).

mod common;

use common::*;
use filter::Method;
use geom::{Element, Isa, Padding};
use proptest::prelude::*;

/// Output of a filter run on the scalar path, without stride gaps.
fn run<T: Element>(
    src: &Src<T>,
    f: impl Fn(geom::ImageView<'_, T>, geom::ImageViewMut<'_, T>) -> filter::Result<()>,
) -> Result<Vec<T>, TestCaseError> {
    let (mut out, stride) = src.output();
    f(
        src.view()?,
        out_view(&mut out, src.w, src.h, src.c, stride)?,
    )?;
    Ok(pixels(&out, src.w, src.h, src.c, stride))
}

fn abs_sum(k: &[f32]) -> f64 {
    k.iter().map(|w| f64::from(w.abs())).sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn separable_u8_is_correctly_rounded(
        src in u8_images(24), kx in smoothing_kernels(8), ky in smoothing_kernels(8), padding in paddings()
    ) {
        let got = run(&src, |s, d| filter::separable_convolve_into_with_isa(Isa::Scalar, Method::Direct, s, d, &kx, &ky, padding))?;
        let exact = exact_separable(&src.view()?, &kx, &ky, padding);
        let err = u8_error(&got, &exact);
        prop_assert!(err <= 0.501, "error {err}");
    }

    #[test]
    fn separable_f32_is_within_1e5(
        src in f32_images(24), kx in any_kernels(8), ky in any_kernels(8), padding in paddings()
    ) {
        let got = run(&src, |s, d| filter::separable_convolve_into_with_isa(Isa::Scalar, Method::Direct, s, d, &kx, &ky, padding))?;
        let view = src.view()?;
        let exact = exact_separable(&view, &kx, &ky, padding);
        let scale = value_scale(&view, padding) * abs_sum(&kx) * abs_sum(&ky);
        let err = f32_error(&got, &exact);
        prop_assert!(err <= 1e-5 * scale, "error {err} at scale {scale}");
    }

    #[test]
    fn gaussian_u8_is_correctly_rounded(
        src in u8_images(24), sx in 0.2f32..5.0, sy in 0.2f32..5.0, padding in paddings()
    ) {
        let got = run(&src, |s, d| filter::gaussian_blur_into_with_isa(Isa::Scalar, s, d, sx, sy, padding))?;
        let (kx, ky) = (filter::gaussian_kernel(sx, None)?, filter::gaussian_kernel(sy, None)?);
        let err = u8_error(&got, &exact_separable(&src.view()?, &kx, &ky, padding));
        prop_assert!(err <= 0.501, "error {err}");
    }

    #[test]
    fn fft_matches_direct_f32(
        src in f32_images(30), kx in any_kernels(25), ky in any_kernels(25), padding in paddings()
    ) {
        let direct = run(&src, |s, d| filter::separable_convolve_into_with_isa(Isa::Scalar, Method::Direct, s, d, &kx, &ky, padding))?;
        let scale = value_scale(&src.view()?, padding) * abs_sum(&kx) * abs_sum(&ky);
        for isa in Isa::available() {
            let fft = run(&src, |s, d| filter::separable_convolve_into_with_isa(isa, Method::Fft, s, d, &kx, &ky, padding))?;
            let err = direct.iter().zip(&fft).map(|(a, b)| f64::from((a - b).abs())).fold(0.0, f64::max);
            prop_assert!(err <= 1e-4 * scale, "{isa}: error {err} at scale {scale}");
        }
    }

    #[test]
    fn fft_matches_direct_u8(
        src in u8_images(30), kx in smoothing_kernels(25), ky in smoothing_kernels(25), padding in paddings()
    ) {
        let direct = run(&src, |s, d| filter::separable_convolve_into_with_isa(Isa::Scalar, Method::Direct, s, d, &kx, &ky, padding))?;
        let exact = exact_separable(&src.view()?, &kx, &ky, padding);
        for isa in Isa::available() {
            let fft = run(&src, |s, d| filter::separable_convolve_into_with_isa(isa, Method::Fft, s, d, &kx, &ky, padding))?;
            let diff = direct.iter().zip(&fft).map(|(&a, &b)| a.abs_diff(b)).max().unwrap_or(0);
            prop_assert!(diff <= 1, "{isa}: {diff} LSB from direct");
            let err = u8_error(&fft, &exact);
            prop_assert!(err < 0.51, "{isa}: error {err} from exact");
        }
    }

    #[test]
    fn box_u8_is_correctly_rounded(src in u8_images(24), kx in 1usize..14, ky in 1usize..14, padding in paddings()) {
        let got = run(&src, |s, d| filter::box_blur_into_with_isa(Isa::Scalar, s, d, kx, ky, padding))?;
        let err = u8_error(&got, &exact_box(&src.view()?, kx, ky, padding));
        prop_assert!(err <= 0.501, "error {err}");
    }

    #[test]
    fn box_f32_is_within_1e5(src in f32_images(24), kx in 1usize..14, ky in 1usize..14, padding in paddings()) {
        let got = run(&src, |s, d| filter::box_blur_into_with_isa(Isa::Scalar, s, d, kx, ky, padding))?;
        let view = src.view()?;
        let err = f32_error(&got, &exact_box(&view, kx, ky, padding));
        prop_assert!(err <= 1e-5 * value_scale(&view, padding), "error {err}");
    }

    #[test]
    fn box_equals_direct_flat_kernel(src in u8_images(24), rx in 0usize..7, ry in 0usize..7, padding in paddings()) {
        let (kx, ky) = (2 * rx + 1, 2 * ry + 1);
        let boxed = run(&src, |s, d| filter::box_blur_into(s, d, kx, ky, padding))?;
        let (fx, fy) = (vec![1.0 / kx as f32; kx], vec![1.0 / ky as f32; ky]);
        let direct = run(&src, |s, d| filter::separable_convolve_into_with_isa(Isa::Scalar, Method::Direct, s, d, &fx, &fy, padding))?;
        // Both round a value within float noise of the same mean: they can
        // only differ where that mean is within noise of a .5 tie.
        let diff = boxed.iter().zip(&direct).map(|(&a, &b)| a.abs_diff(b)).max().unwrap_or(0);
        prop_assert!(diff <= 1);
        let exact = exact_box(&src.view()?, kx, ky, padding);
        for (i, (&a, &b)) in boxed.iter().zip(&direct).enumerate() {
            if a != b {
                prop_assert!((exact[i].fract() - 0.5).abs() < 1e-3, "differ away from a tie: {}", exact[i]);
            }
        }
    }

    #[test]
    fn box_f32_with_nan_keeps_it_local(src in wild_f32_images(16), kx in 1usize..6, ky in 1usize..6) {
        let padding = Padding::Reflect101;
        let got = run(&src, |s, d| filter::box_blur_into(s, d, kx, ky, padding))?;
        let view = src.view()?;
        let scale = view
            .rows()
            .flatten()
            .map(|v| f64::from(v.abs()))
            .filter(|v| v.is_finite())
            .fold(1.0, f64::max);
        for (g, e) in got.iter().zip(&exact_box(&view, kx, ky, padding)) {
            if e.is_nan() {
                prop_assert!(g.is_nan(), "{g} for NaN");
            } else if e.is_infinite() {
                prop_assert_eq!(f64::from(*g), *e);
            } else {
                prop_assert!((f64::from(*g) - e).abs() <= 1e-5 * scale, "{} vs {}", g, e);
            }
        }
    }

    #[test]
    fn sparse_f32_is_within_1e5(src in f32_images(24), length in 0.0f32..20.0, angle in -180.0f32..180.0, padding in paddings()) {
        let kernel = filter::motion_kernel(length, angle)?;
        let got = run(&src, |s, d| filter::convolve_2d_into_with_isa(Isa::Scalar, s, d, &kernel, padding))?;
        let view = src.view()?;
        let err = f32_error(&got, &exact_2d(&view, &kernel, padding));
        prop_assert!(err <= 1e-5 * value_scale(&view, padding), "error {err}");
    }

    #[test]
    fn motion_u8_is_correctly_rounded(src in u8_images(24), length in 0.0f32..20.0, angle in -180.0f32..180.0, padding in paddings()) {
        let got = run(&src, |s, d| filter::motion_blur_into_with_isa(Isa::Scalar, s, d, length, angle, padding))?;
        let kernel = filter::motion_kernel(length, angle)?;
        let err = u8_error(&got, &exact_2d(&src.view()?, &kernel, padding));
        prop_assert!(err <= 0.501, "error {err}");
    }

    #[test]
    fn directional_u8_is_correctly_rounded(
        src in u8_images(24), along in 0.5f32..5.0, across in 0.3f32..1.5, angle in -180.0f32..180.0, padding in paddings()
    ) {
        let got = run(&src, |s, d| filter::directional_blur_into_with_isa(Isa::Scalar, s, d, along, across, angle, padding))?;
        let kernel = filter::directional_kernel(along, across, angle)?;
        let err = u8_error(&got, &exact_2d(&src.view()?, &kernel, padding));
        prop_assert!(err <= 0.501, "error {err}");
    }
}

/// The box downscale on the scalar path, packed.
fn downscale<T: Element>(
    src: &Src<T>,
    kx: usize,
    ky: usize,
    padding: Padding,
) -> Result<Vec<T>, TestCaseError> {
    Ok(filter::box_downscale_with_isa(Isa::Scalar, src.view()?, kx, ky, padding)?.into_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// `u8`: the exact block mean (padding included, clamped to 0–255)
    /// rounded half to even, bit for bit, when the padding constant is an
    /// integer; within 0.5 LSB plus float noise for a fractional one.
    #[test]
    fn box_downscale_u8_is_the_block_mean_rounded_half_to_even(
        src in u8_images(70), (lx, ly) in (0u32..7, 0u32..7), padding in paddings()
    ) {
        let (kx, ky) = (downscale_factor(lx, src.w), downscale_factor(ly, src.h));
        let got = downscale(&src, kx, ky, padding)?;
        let exact = exact_block_means(&src.view()?, kx, ky, padding);
        prop_assert_eq!(got.len(), exact.len());
        if padding.constant().is_none_or(|v| v.fract() == 0.0) {
            for (i, (&g, &e)) in got.iter().zip(&exact).enumerate() {
                let want = e.clamp(0.0, 255.0).round_ties_even();
                prop_assert_eq!(f64::from(g), want, "k {}x{} value {}: exact {}", kx, ky, i, e);
            }
        } else {
            let err = u8_error(&got, &exact);
            prop_assert!(err <= 0.5 + 1e-4, "k {kx}x{ky}: error {err}");
        }
    }

    /// `f32`: within 1e-5 of the value scale (the sums' rounding).
    #[test]
    fn box_downscale_f32_is_within_1e5(
        src in f32_images(70), (lx, ly) in (0u32..7, 0u32..7), padding in paddings()
    ) {
        let (kx, ky) = (downscale_factor(lx, src.w), downscale_factor(ly, src.h));
        let got = downscale(&src, kx, ky, padding)?;
        let view = src.view()?;
        let exact = exact_block_means(&view, kx, ky, padding);
        let scale = value_scale(&view, padding);
        let err = f32_error(&got, &exact);
        prop_assert!(err <= 1e-5 * scale, "k {kx}x{ky}: error {err} at scale {scale}");
    }
}

/// Blocks of 256 x 256 `u8` values, the largest whose sums `f32` holds
/// exactly, still give the correctly rounded mean.
#[test]
fn box_downscale_of_the_largest_exact_blocks_is_correctly_rounded()
-> Result<(), Box<dyn std::error::Error>> {
    let src = geom::Image::<u8>::from_fn(300, 256, 1, |x, y, _| ((x * 7 + y * 13) % 256) as u8)?;
    let got = filter::box_downscale_with_isa(Isa::Scalar, src.view(), 256, 256, Padding::Wrap)?;
    let exact = exact_block_means(&src.view(), 256, 256, Padding::Wrap);
    for (&g, &e) in got.as_slice().iter().zip(&exact) {
        assert_eq!(f64::from(g), e.round_ties_even(), "exact {e}");
    }
    Ok(())
}

/// The area downscale on the scalar path, packed.
fn area<T: Element>(
    src: &Src<T>,
    x: filter::AreaAxis,
    y: filter::AreaAxis,
    padding: Padding,
) -> Result<Vec<T>, TestCaseError> {
    Ok(filter::area_downscale_with_isa(Isa::Scalar, src.view()?, x, y, padding)?.into_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// `u8`: the exact mean over each rectangle (sixteenths of a pixel,
    /// padding included) rounded half to even, bit for bit, computed here
    /// in integers, when the padding constant is an integer; within 0.5 LSB
    /// plus float noise for a fractional one.
    #[test]
    fn area_downscale_u8_is_the_rectangle_mean_rounded_half_to_even(
        (src, x, y) in u8_images(40).prop_flat_map(|s| {
            let (w, h) = (s.w, s.h);
            (Just(s), area_axes(w), area_axes(h))
        }),
        padding in paddings(),
    ) {
        let got = area(&src, x, y, padding)?;
        let exact = exact_area_sums(&src.view()?, &x, &y, padding);
        prop_assert_eq!(got.len(), exact.len());
        if padding.constant().is_none_or(|v| v.fract() == 0.0) {
            for (i, (&g, &(n, d))) in got.iter().zip(&exact).enumerate() {
                prop_assert_eq!(g, round_half_even_u8(n, d), "value {}: {} / {}", i, n, d);
            }
        } else {
            let means: Vec<f64> = exact.iter().map(|&(n, d)| n / d).collect();
            let err = u8_error(&got, &means);
            prop_assert!(err <= 0.5 + 1e-4, "error {err}");
        }
    }

    /// `f32`: within 1e-5 of the value scale (the sums' rounding).
    #[test]
    fn area_downscale_f32_is_within_1e5(
        (src, x, y) in f32_images(40).prop_flat_map(|s| {
            let (w, h) = (s.w, s.h);
            (Just(s), area_axes(w), area_axes(h))
        }),
        padding in paddings(),
    ) {
        let got = area(&src, x, y, padding)?;
        let view = src.view()?;
        let exact: Vec<f64> = exact_area_sums(&view, &x, &y, padding)
            .iter()
            .map(|&(n, d)| n / d)
            .collect();
        let scale = value_scale(&view, padding);
        let err = f32_error(&got, &exact);
        prop_assert!(err <= 1e-5 * scale, "error {err} at scale {scale}");
    }
}

/// The lemma the `u8` area mean rests on (module docs of the area
/// downscale): for integers `N ≤ 255·D` and `D < 2^16`, `N / D` divided
/// in `f32` and stored by the `u8` rule is `N / D` correctly rounded, half
/// to even; multiplying by the rounded reciprocal is not (it breaks ties).
/// Every `N` for `D ≤ 600`, and the three `N` around every half-integer
/// for larger `D` up to 65535.
#[test]
fn f32_division_of_integer_sums_is_correctly_rounded() {
    let mut reciprocal_misses = 0u64;
    for d in 1u32..=600 {
        let inv = 1.0f32 / d as f32;
        for n in 0..=255 * d {
            let want = round_half_even_u8(f64::from(n), f64::from(d));
            assert_eq!(u8::from_f32(n as f32 / d as f32), want, "{n} / {d}");
            reciprocal_misses += u64::from(u8::from_f32(n as f32 * inv) != want);
        }
    }
    assert!(
        reciprocal_misses > 0,
        "the reciprocal was expected to break ties"
    );
    for d in (601u32..65536).step_by(3).chain([65534, 65535]) {
        for k in 0..255u32 {
            let centre = ((2 * k + 1) * d) / 2;
            for n in centre - 1..=centre + 1 {
                let want = round_half_even_u8(f64::from(n), f64::from(d));
                assert_eq!(u8::from_f32(n as f32 / d as f32), want, "{n} / {d}");
            }
        }
    }
}
