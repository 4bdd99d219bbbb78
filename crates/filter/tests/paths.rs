//! Every kernel path this CPU has against the scalar reference, bit for bit,
//! over random sizes, strides, channels, kernels, padding modes and values
//! (NaN, infinities and huge values included for `f32`).
//!
//! On this project's machines that is AVX2; the AVX-512 path compiles but
//! only runs (and is only checked) on a CPU that has it.

mod common;

use common::*;
use filter::{Kernel2d, Method, Tap};
use geom::{Element, ImageView, ImageViewMut, Isa, Padding};
use proptest::prelude::*;

type Run<'a, T> = dyn Fn(Isa, ImageView<'_, T>, ImageViewMut<'_, T>) -> filter::Result<()> + 'a;

/// Runs `run` on every available path and compares with scalar.
fn all_paths_agree<T: Element>(src: &Src<T>, run: &Run<'_, T>) -> Result<(), TestCaseError> {
    let (mut reference, stride) = src.output();
    run(
        Isa::Scalar,
        src.view()?,
        out_view(&mut reference, src.w, src.h, src.c, stride)?,
    )?;
    let reference = pixels(&reference, src.w, src.h, src.c, stride);
    for isa in Isa::available().into_iter().filter(|&i| i != Isa::Scalar) {
        let (mut out, stride) = src.output();
        run(
            isa,
            src.view()?,
            out_view(&mut out, src.w, src.h, src.c, stride)?,
        )?;
        let out = pixels(&out, src.w, src.h, src.c, stride);
        prop_assert!(same_bits(&out, &reference), "{isa} differs from scalar");
    }
    Ok(())
}

fn separable<T: Element>(kx: Vec<f32>, ky: Vec<f32>, padding: Padding) -> Box<Run<'static, T>> {
    Box::new(move |isa, s, d| {
        filter::separable_convolve_with(isa, Method::Direct, s, d, &kx, &ky, padding)
    })
}

fn taps() -> impl Strategy<Value = Kernel2d> {
    proptest::collection::vec((-6i32..=6, -6i32..=6, -1.0f32..1.0), 1..30)
        .prop_filter_map("valid kernel", |t| {
            Kernel2d::from_taps(t.into_iter().map(|(dx, dy, weight)| Tap { dx, dy, weight })).ok()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn separable_u8(src in u8_images(40), kx in any_kernels(7), ky in any_kernels(7), padding in paddings()) {
        all_paths_agree(&src, &*separable(kx, ky, padding))?;
    }

    #[test]
    fn separable_f32(src in wild_f32_images(40), kx in any_kernels(7), ky in any_kernels(7), padding in paddings()) {
        all_paths_agree(&src, &*separable(kx, ky, padding))?;
    }

    #[test]
    fn separable_kernels_longer_than_the_image(
        src in f32_images(6), kx in any_kernels(20), ky in any_kernels(20), padding in paddings()
    ) {
        all_paths_agree(&src, &*separable(kx, ky, padding))?;
    }

    #[test]
    fn gaussian_u8(src in u8_images(40), sx in 0.2f32..4.0, sy in 0.2f32..4.0, padding in paddings()) {
        all_paths_agree(&src, &move |isa, s, d| filter::gaussian_blur_with_isa(isa, s, d, sx, sy, padding))?;
    }

    #[test]
    fn box_u8(src in u8_images(40), kx in 1usize..12, ky in 1usize..12, padding in paddings()) {
        all_paths_agree(&src, &move |isa, s, d| filter::box_blur_with_isa(isa, s, d, kx, ky, padding))?;
    }

    #[test]
    fn box_f32(src in wild_f32_images(40), kx in 1usize..12, ky in 1usize..12, padding in paddings()) {
        all_paths_agree(&src, &move |isa, s, d| filter::box_blur_with_isa(isa, s, d, kx, ky, padding))?;
    }

    #[test]
    fn sparse_u8(src in u8_images(40), kernel in taps(), padding in paddings()) {
        all_paths_agree(&src, &move |isa, s, d| filter::convolve_2d_with_isa(isa, s, d, &kernel, padding))?;
    }

    #[test]
    fn sparse_f32(src in wild_f32_images(40), kernel in taps(), padding in paddings()) {
        all_paths_agree(&src, &move |isa, s, d| filter::convolve_2d_with_isa(isa, s, d, &kernel, padding))?;
    }

    #[test]
    fn motion_u8(src in u8_images(40), length in 0.0f32..25.0, angle in -360.0f32..360.0, padding in paddings()) {
        all_paths_agree(&src, &move |isa, s, d| filter::motion_blur_with_isa(isa, s, d, length, angle, padding))?;
    }

    #[test]
    fn directional_f32(
        src in f32_images(40), along in 0.5f32..5.0, across in 0.3f32..1.5, angle in -180.0f32..180.0,
        padding in paddings()
    ) {
        all_paths_agree(&src, &move |isa, s, d| {
            filter::directional_blur_with_isa(isa, s, d, along, across, angle, padding)
        })?;
    }
}
