//! The filters (issue 4): ns per output pixel on the 1024x768 photo, RGB
//! `u8` and its `f32` version (values / 255): Gaussian σ = 1, 3, 10, 30, box
//! k = 3, 15, 61, motion blur L = 15 at 30°; beside `libblur`, `imageproc`
//! and `image` on the same input, one thread each.
//!
//! Groups are named operation + format; our functions start with `augment`
//! (`augment` runs the selected ISA path, `augment_scalar` the reference),
//! each peer's with its crate name, so `cargo xtask bench` can pair them.
//! Peers: `libblur` is its exact (f32-accumulating) mode, `libblur_fixed_point`
//! its default approximate one; `imageproc` is `gaussian_blur_f32` /
//! `separable_filter_equal` / `filter_clamped`; `image` is `imageops::blur`.
//!
//! The `crossover` group times the Gaussian direct and by FFT at growing
//! radii: where the FFT wins is `filter::fft_crossover_radius` of the path.
//!
//! The `box_downscale` groups time the antialiasing level (means of
//! `kx x ky` blocks) into reused buffers, per source pixel; the peer is
//! `fast_image_resize`'s box convolution to the same size (fixed-point
//! weights for `u8`, so not the exactly rounded mean), one thread.

use augment_benches::{PADDING, peers, photo_rgb, photo_rgb_f32};
use criterion::measurement::WallTime;
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main,
};
use filter::Method;
use geom::{Element, Image, Isa};
use libblur::ConvolutionMode;
use std::hint::black_box;
use std::time::Duration;

const W: usize = 1024;
const H: usize = 768;
const SIZE: (u32, u32) = (W as u32, H as u32);

fn or_abort<T, E>(r: Result<T, E>) -> T {
    match r {
        Ok(v) => v,
        // Inputs are fixed and valid; a failure is a broken build, not a measurement.
        Err(_) => std::process::abort(),
    }
}

fn group<'a>(c: &'a mut Criterion, name: &str, slow_peers: bool) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements((W * H) as u64));
    if slow_peers {
        g.sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3));
    }
    g
}

/// Ours on the selected path and on the scalar reference.
fn ours<T: Element>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    param: &str,
    src: &Image<T>,
    run: impl Fn(Isa, geom::ImageView<'_, T>, geom::ImageViewMut<'_, T>) -> filter::Result<()>,
) {
    let mut dst = or_abort(Image::<T>::new(src.width(), src.height(), src.channels()));
    for (id, isa) in [
        ("augment", Isa::selected()),
        ("augment_scalar", Isa::Scalar),
    ] {
        g.bench_function(BenchmarkId::new(id, param), |b| {
            b.iter(|| run(isa, black_box(src.view()), dst.view_mut()))
        });
    }
}

fn gaussian_u8(c: &mut Criterion) {
    let src = photo_rgb(W as u32, H as u32);
    let rgb: image::RgbImage = or_abort(src.clone().try_into());
    let mut g = group(c, "gaussian_rgb_u8", true);
    for sigma in [1.0f32, 3.0, 10.0, 30.0] {
        let param = format!("sigma={sigma}");
        ours(&mut g, &param, &src, |isa, s, d| {
            filter::gaussian_blur_into_with_isa(isa, s, d, sigma, sigma, PADDING)
        });
        let mut out = vec![0u8; W * H * 3];
        for (id, mode) in [
            ("libblur", ConvolutionMode::Exact),
            ("libblur_fixed_point", ConvolutionMode::FixedPoint),
        ] {
            g.bench_function(BenchmarkId::new(id, &param), |b| {
                b.iter(|| {
                    peers::gaussian_u8(black_box(src.as_slice()), &mut out, SIZE, sigma, mode)
                })
            });
        }
        g.bench_function(BenchmarkId::new("imageproc", &param), |b| {
            b.iter(|| imageproc::filter::gaussian_blur_f32(black_box(&rgb), sigma))
        });
        g.bench_function(BenchmarkId::new("image", &param), |b| {
            b.iter(|| image::imageops::blur(black_box(&rgb), sigma))
        });
    }
    g.finish();
}

fn gaussian_f32(c: &mut Criterion) {
    let src = photo_rgb_f32(W as u32, H as u32);
    let rgb: image::Rgb32FImage = or_abort(src.clone().try_into());
    let mut g = group(c, "gaussian_rgb_f32", true);
    for sigma in [1.0f32, 3.0, 10.0, 30.0] {
        let param = format!("sigma={sigma}");
        ours(&mut g, &param, &src, |isa, s, d| {
            filter::gaussian_blur_into_with_isa(isa, s, d, sigma, sigma, PADDING)
        });
        let mut out = vec![0f32; W * H * 3];
        g.bench_function(BenchmarkId::new("libblur", &param), |b| {
            b.iter(|| peers::gaussian_f32(black_box(src.as_slice()), &mut out, SIZE, sigma))
        });
        g.bench_function(BenchmarkId::new("imageproc", &param), |b| {
            b.iter(|| imageproc::filter::gaussian_blur_f32(black_box(&rgb), sigma))
        });
        g.bench_function(BenchmarkId::new("image", &param), |b| {
            b.iter(|| image::imageops::blur(black_box(&rgb), sigma))
        });
    }
    g.finish();
}

fn box_u8(c: &mut Criterion) {
    let src = photo_rgb(W as u32, H as u32);
    let rgb: image::RgbImage = or_abort(src.clone().try_into());
    let mut g = group(c, "box_rgb_u8", true);
    for k in [3usize, 15, 61] {
        let param = format!("k={k}");
        ours(&mut g, &param, &src, |isa, s, d| {
            filter::box_blur_into_with_isa(isa, s, d, k, k, PADDING)
        });
        let mut out = vec![0u8; W * H * 3];
        g.bench_function(BenchmarkId::new("libblur", &param), |b| {
            b.iter(|| peers::box_u8(black_box(src.as_slice()), &mut out, SIZE, k as u32))
        });
        // imageproc's box_filter is grey-only; for RGB its user reaches for a flat separable kernel.
        let flat = vec![1.0f32 / k as f32; k];
        g.bench_function(BenchmarkId::new("imageproc", &param), |b| {
            b.iter(|| imageproc::filter::separable_filter_equal(black_box(&rgb), &flat))
        });
    }
    g.finish();
}

fn motion_u8(c: &mut Criterion) {
    let src = photo_rgb(W as u32, H as u32);
    let rgb: image::RgbImage = or_abort(src.clone().try_into());
    let mut g = group(c, "motion_rgb_u8", true);
    let (length, angle) = (15.0f32, 30.0f32);
    let param = "L=15,angle=30";
    ours(&mut g, param, &src, |isa, s, d| {
        filter::motion_blur_into_with_isa(isa, s, d, length, angle, PADDING)
    });
    let mut out = vec![0u8; W * H * 3];
    g.bench_function(BenchmarkId::new("libblur", param), |b| {
        b.iter(|| peers::motion_u8(black_box(src.as_slice()), &mut out, SIZE, 15, angle))
    });
    // The dense 15x15 filter2D a user of imageproc would run with our kernel.
    let (kw, kh, dense) = or_abort(or_abort(filter::motion_kernel(length, angle)).to_dense());
    let kernel = imageproc::kernel::Kernel::new(&dense, kw as u32, kh as u32);
    g.bench_function(BenchmarkId::new("imageproc", param), |b| {
        b.iter(|| imageproc::filter::filter_clamped::<_, f32, u8>(black_box(&rgb), kernel))
    });
    g.finish();
}

/// The Gaussian by direct summation and by FFT (both axes) at growing radii:
/// where the FFT starts winning is `filter::fft_crossover_radius` of the
/// selected path (`FFT_CROSSOVER_RADIUS`, or `FFT_CROSSOVER_RADIUS_AVX512`).
fn crossover(c: &mut Criterion) {
    let src = photo_rgb(W as u32, H as u32);
    let mut dst = or_abort(Image::<u8>::new(W, H, 3));
    let mut g = group(c, "crossover_rgb_u8", false);
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    for radius in [12usize, 16, 20, 24, 28, 32, 40, 48, 56, 64] {
        let k = or_abort(filter::gaussian_kernel(radius as f32 / 3.0, Some(radius)));
        for (id, method) in [
            ("augment_direct", Method::Direct),
            ("augment_fft", Method::Fft),
        ] {
            g.bench_function(BenchmarkId::new(id, format!("r={radius}")), |b| {
                b.iter(|| {
                    filter::separable_convolve_into_with_isa(
                        Isa::selected(),
                        method,
                        black_box(src.view()),
                        dst.view_mut(),
                        &k,
                        &k,
                        PADDING,
                    )
                })
            });
        }
    }
    g.finish();
}

/// A `fast_image_resize` image of our pixels, `pixel` giving its layout.
fn fir_image(
    bytes: Vec<u8>,
    pixel: fast_image_resize::PixelType,
) -> fast_image_resize::images::Image<'static> {
    or_abort(fast_image_resize::images::Image::from_vec_u8(
        W as u32, H as u32, bytes, pixel,
    ))
}

/// `fast_image_resize`'s box convolution from `src` to `1/kx x 1/ky` of it.
fn fir_box(
    g: &mut BenchmarkGroup<'_, WallTime>,
    param: &str,
    src: &fast_image_resize::images::Image<'_>,
    (kx, ky): (usize, usize),
) {
    let mut dst =
        fast_image_resize::images::Image::new((W / kx) as u32, (H / ky) as u32, src.pixel_type());
    let mut resizer = fast_image_resize::Resizer::new();
    let options = fast_image_resize::ResizeOptions::new().resize_alg(
        fast_image_resize::ResizeAlg::Convolution(fast_image_resize::FilterType::Box),
    );
    g.bench_function(BenchmarkId::new("fast_image_resize", param), |b| {
        b.iter(|| resizer.resize(black_box(src), &mut dst, &options))
    });
}

/// Ours on the selected path and the scalar reference, into buffers kept
/// between calls as a batch keeps them.
fn ours_downscale<T: Element>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    param: &str,
    src: &Image<T>,
    (kx, ky): (usize, usize),
) {
    let (mut out, mut scratch) = (Vec::new(), filter::DownscaleScratch::new());
    for (id, isa) in [
        ("augment", Isa::selected()),
        ("augment_scalar", Isa::Scalar),
    ] {
        g.bench_function(BenchmarkId::new(id, param), |b| {
            b.iter(|| {
                filter::box_downscale_into_with_isa(
                    isa,
                    black_box(src.view()),
                    kx,
                    ky,
                    PADDING,
                    None,
                    &mut out,
                    &mut scratch,
                )
            })
        });
    }
}

fn box_downscale(c: &mut Criterion) {
    let src = photo_rgb(W as u32, H as u32);
    let fir_src = fir_image(src.as_slice().to_vec(), fast_image_resize::PixelType::U8x3);
    let mut g = group(c, "box_downscale_rgb_u8", false);
    for k in [(2usize, 1usize), (2, 2), (4, 4), (8, 8)] {
        let param = format!("{}x{}", k.0, k.1);
        ours_downscale(&mut g, &param, &src, k);
        fir_box(&mut g, &param, &fir_src, k);
    }
    g.finish();
    let src = photo_rgb_f32(W as u32, H as u32);
    let bytes = src
        .as_slice()
        .iter()
        .flat_map(|v| v.to_ne_bytes())
        .collect();
    let fir_src = fir_image(bytes, fast_image_resize::PixelType::F32x3);
    let mut g = group(c, "box_downscale_rgb_f32", false);
    ours_downscale(&mut g, "4x4", &src, (4, 4));
    fir_box(&mut g, "4x4", &fir_src, (4, 4));
    g.finish();
}

criterion_group!(
    benches,
    gaussian_u8,
    gaussian_f32,
    box_u8,
    motion_u8,
    crossover,
    box_downscale
);
criterion_main!(benches);
