//! Every kernel path this CPU has against the scalar reference, bit for bit,
//! over random sizes, strides, channels, kernels, padding modes and values
//! (NaN, infinities and huge values included for `f32`).
//!
//! On this project's machines that is AVX2; the AVX-512 path compiles but
//! only runs (and is only checked) on a CPU that has it.

mod common;

use common::*;
use filter::{BlockRegion, DownscaleScratch, Kernel2d, Method, Tap};
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
        filter::separable_convolve_into_with_isa(isa, Method::Direct, s, d, &kx, &ky, padding)
    })
}

/// The box downscale on every available path against scalar, into a
/// buffer that held another image (whole output) or nothing (a region, so
/// the blocks outside it hold the same zeros), scratch reused throughout.
fn downscale_paths_agree<T: Element>(
    src: &Src<T>,
    (kx, ky): (usize, usize),
    padding: Padding,
    region: Option<BlockRegion>,
) -> Result<(), TestCaseError> {
    let view = src.view()?;
    let stale = || match region {
        Some(_) => Vec::new(),
        None => vec![T::from_f32(77.0); 5],
    };
    let mut scratch = DownscaleScratch::new();
    let mut reference = stale();
    let shape = filter::box_downscale_into_with_isa(
        Isa::Scalar,
        view,
        kx,
        ky,
        padding,
        region.as_ref(),
        &mut reference,
        &mut scratch,
    )?;
    prop_assert_eq!(
        (shape.width, shape.height, reference.len()),
        (src.w.div_ceil(kx), src.h.div_ceil(ky), shape.len())
    );
    for isa in Isa::available().into_iter().filter(|&i| i != Isa::Scalar) {
        let mut out = stale();
        let got = filter::box_downscale_into_with_isa(
            isa,
            view,
            kx,
            ky,
            padding,
            region.as_ref(),
            &mut out,
            &mut scratch,
        )?;
        prop_assert_eq!(got, shape);
        prop_assert!(
            same_bits(&out, &reference),
            "{isa} differs from scalar, k {kx}x{ky}"
        );
    }
    Ok(())
}

fn regions() -> impl Strategy<Value = Option<BlockRegion>> {
    prop_oneof![
        2 => Just(None),
        1 => (0usize..40, 0usize..40, 0usize..40, 0usize..40).prop_map(|(a, b, c, d)| {
            Some(BlockRegion { columns: a.min(b)..a.max(b), rows: c.min(d)..c.max(d) })
        }),
    ]
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
    fn separable_u8_long_columns(src in u8_images(40), kx in any_kernels(3), ky in long_kernels(14, 24), padding in paddings()) {
        all_paths_agree(&src, &*separable(kx, ky, padding))?;
    }

    #[test]
    fn separable_u8_huge_sums(src in u8_images(40), kx in wild_kernels(4), ky in wild_kernels(4), padding in paddings()) {
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
        all_paths_agree(&src, &move |isa, s, d| filter::gaussian_blur_into_with_isa(isa, s, d, sx, sy, padding))?;
    }

    #[test]
    fn box_u8(src in u8_images(40), kx in 1usize..12, ky in 1usize..12, padding in paddings()) {
        all_paths_agree(&src, &move |isa, s, d| filter::box_blur_into_with_isa(isa, s, d, kx, ky, padding))?;
    }

    #[test]
    fn box_f32(src in wild_f32_images(40), kx in 1usize..12, ky in 1usize..12, padding in paddings()) {
        all_paths_agree(&src, &move |isa, s, d| filter::box_blur_into_with_isa(isa, s, d, kx, ky, padding))?;
    }

    #[test]
    fn sparse_u8(src in u8_images(40), kernel in taps(), padding in paddings()) {
        all_paths_agree(&src, &move |isa, s, d| filter::convolve_2d_into_with_isa(isa, s, d, &kernel, padding))?;
    }

    #[test]
    fn sparse_f32(src in wild_f32_images(40), kernel in taps(), padding in paddings()) {
        all_paths_agree(&src, &move |isa, s, d| filter::convolve_2d_into_with_isa(isa, s, d, &kernel, padding))?;
    }

    #[test]
    fn motion_u8(src in u8_images(40), length in 0.0f32..25.0, angle in -360.0f32..360.0, padding in paddings()) {
        all_paths_agree(&src, &move |isa, s, d| filter::motion_blur_into_with_isa(isa, s, d, length, angle, padding))?;
    }

    /// Rows long enough for every block width of the kernels that compute
    /// two output rows at once (up to 8 vectors of 16 lanes), few rows.
    #[test]
    fn motion_wide_rows(
        src in sized_images(any::<u8>(), 40..=200, 1..=7), length in 0.0f32..25.0,
        angle in -360.0f32..360.0, padding in paddings()
    ) {
        all_paths_agree(&src, &move |isa, s, d| filter::motion_blur_into_with_isa(isa, s, d, length, angle, padding))?;
    }

    #[test]
    fn sparse_f32_wide_rows(
        src in sized_images(
            prop_oneof![8 => -100.0f32..400.0, 1 => Just(f32::NAN), 1 => Just(f32::INFINITY)],
            40..=200,
            1..=7,
        ),
        kernel in taps(),
        padding in paddings()
    ) {
        all_paths_agree(&src, &move |isa, s, d| filter::convolve_2d_into_with_isa(isa, s, d, &kernel, padding))?;
    }

    #[test]
    fn directional_f32(
        src in f32_images(40), along in 0.5f32..5.0, across in 0.3f32..1.5, angle in -180.0f32..180.0,
        padding in paddings()
    ) {
        all_paths_agree(&src, &move |isa, s, d| {
            filter::directional_blur_into_with_isa(isa, s, d, along, across, angle, padding)
        })?;
    }

    /// Factors 1 to 64 on each axis: the integer kernels (blocks of up to
    /// 256 values) and the `f32` code past them, on every pixel-pair path
    /// (portable, AVX-512, AVX-512 with VBMI).
    #[test]
    fn box_downscale_u8(
        src in u8_images(150), (lx, ly) in (0u32..7, 0u32..7), padding in paddings(), region in regions()
    ) {
        let k = (downscale_factor(lx, src.w), downscale_factor(ly, src.h));
        downscale_paths_agree(&src, k, padding, region)?;
    }

    #[test]
    fn box_downscale_f32(
        src in wild_f32_images(90), (lx, ly) in (0u32..7, 0u32..7), padding in paddings(), region in regions()
    ) {
        let k = (downscale_factor(lx, src.w), downscale_factor(ly, src.h));
        downscale_paths_agree(&src, k, padding, region)?;
    }
}

/// Every factor pattern the antialiasing level uses, 1, 3 and 4 channels,
/// odd sizes: the exact block means on the reference, the same bits on
/// every path.
#[test]
fn box_downscale_block_means_on_every_path() -> Result<(), Box<dyn std::error::Error>> {
    for c in [1usize, 3, 4] {
        for (w, h) in [(1usize, 1usize), (5, 3), (37, 21), (64, 16)] {
            let src = geom::Image::<u8>::from_fn(w, h, c, |x, y, ch| {
                ((x * 37 + y * 101 + ch * 59) % 256) as u8
            })?;
            for (kx, ky) in [(1, 2), (2, 1), (2, 2), (4, 1), (8, 4), (16, 2), (64, 1)] {
                if kx > w.next_power_of_two() || ky > h.next_power_of_two() {
                    continue;
                }
                let reference = filter::box_downscale_with_isa(
                    Isa::Scalar,
                    src.view(),
                    kx,
                    ky,
                    Padding::Border,
                )?;
                let exact = exact_block_means(&src.view(), kx, ky, Padding::Border);
                for (&got, &e) in reference.as_slice().iter().zip(&exact) {
                    assert_eq!(
                        f64::from(got),
                        e.round_ties_even(),
                        "{w}x{h}x{c} k {kx}x{ky}"
                    );
                }
                for isa in Isa::available() {
                    let level =
                        filter::box_downscale_with_isa(isa, src.view(), kx, ky, Padding::Border)?;
                    assert_eq!(
                        level.as_slice(),
                        reference.as_slice(),
                        "{isa} {w}x{h}x{c} k {kx}x{ky}"
                    );
                }
            }
        }
    }
    Ok(())
}

fn area<T: Element>(
    x: filter::AreaAxis,
    y: filter::AreaAxis,
    padding: Padding,
) -> Box<Run<'static, T>> {
    Box::new(move |isa, s, d| {
        let mut scratch = filter::AreaScratch::new();
        filter::area_downscale_into_with_isa(isa, s, d, x, y, padding, &mut scratch)
    })
}

/// Runs `area` on every path into outputs of the axes' size and compares.
fn area_paths_agree<T: Element>(
    src: &Src<T>,
    x: filter::AreaAxis,
    y: filter::AreaAxis,
    padding: Padding,
) -> Result<(), TestCaseError> {
    // The output has the axes' size, not the source's: borrow the helper
    // through a source of that shape over the same values.
    let run = area::<T>(x, y, padding);
    let out_shape = Src {
        data: Vec::new(),
        w: x.count,
        h: y.count,
        c: src.c,
        stride: 0,
    };
    let (mut reference, stride) = out_shape.output();
    run(
        Isa::Scalar,
        src.view()?,
        out_view(&mut reference, x.count, y.count, src.c, stride)?,
    )?;
    for isa in Isa::available().into_iter().filter(|&i| i != Isa::Scalar) {
        let (mut out, _) = out_shape.output();
        run(
            isa,
            src.view()?,
            out_view(&mut out, x.count, y.count, src.c, stride)?,
        )?;
        prop_assert!(same_bits(&out, &reference), "{isa} differs from scalar");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn area_downscale_u8_paths_agree(
        (src, x, y) in u8_images(48).prop_flat_map(|s| {
            let (w, h) = (s.w, s.h);
            (Just(s), area_axes(w), area_axes(h))
        }),
        padding in paddings(),
    ) {
        area_paths_agree(&src, x, y, padding)?;
    }

    #[test]
    fn area_downscale_f32_paths_agree(
        (src, x, y) in wild_f32_images(48).prop_flat_map(|s| {
            let (w, h) = (s.w, s.h);
            (Just(s), area_axes(w), area_axes(h))
        }),
        padding in paddings(),
    ) {
        area_paths_agree(&src, x, y, padding)?;
    }
}
