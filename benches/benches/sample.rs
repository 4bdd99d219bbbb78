//! The sampler (issue 3): ns per output pixel for a 1024x768 photo rotated
//! 17° and zoomed 1.1 (bilinear, each padding mode), RGBA, gray (and gray
//! nearest with a zero fill, as masks are warped), f32 RGB, a
//! 224x224 crop-resize, projective and grid maps; beside `imageproc`'s warp and
//! `fast_image_resize` on the same input, one thread each.
//!
//! Groups are named operation + format; our functions start with `augment`
//! (`augment` runs the selected ISA path, `augment_scalar` the reference,
//! and on AVX-512 machines `augment_avx2` the AVX2 flavour), each
//! peer's with its crate name, so `cargo xtask bench` can pair them.

use augment_benches::photo_rgb;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use geom::{Affine, Element, Grid, Image, Isa, Map, Padding, Projective, Rect};
use imageproc::geometric_transformations::{self as ipt, Border, Projection};
use sample::{Interpolation, WarpOptions};
use std::hint::black_box;

const W: usize = 1024;
const H: usize = 768;

/// Rotate 17° and zoom 1.1 about the centre: the forward map.
fn rotate_zoom() -> Affine {
    let centre = ((W as f64 - 1.0) / 2.0, (H as f64 - 1.0) / 2.0);
    Affine::rotate_about(17.0, centre).then(&Affine::scale_about(1.1, 1.1, centre))
}

fn pull(forward: &Affine) -> Affine {
    match forward.inverse() {
        Ok(a) => a,
        Err(_) => std::process::abort(),
    }
}

fn options(padding: Padding) -> WarpOptions {
    WarpOptions {
        interpolation: Interpolation::Bilinear,
        padding,
        values: None,
    }
}

fn ours<T: Element>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    src: &Image<T>,
    out: (usize, usize),
    map: &Map,
    opts: &WarpOptions,
) {
    let mut dst = match Image::<T>::new(out.0, out.1, src.channels()) {
        Ok(d) => d,
        Err(_) => std::process::abort(),
    };
    // On an AVX-512 machine the AVX2 flavour runs too, so that a change
    // which slows only it (as 83c0f56 slowed its gray warp by 46 %) shows
    // against the baseline on either kind of machine.
    let avx2 = Isa::selected()
        .is_avx512()
        .then_some(("augment_avx2", Isa::Avx2));
    for (id, isa) in [
        Some(("augment", Isa::selected())),
        avx2,
        Some(("augment_scalar", Isa::Scalar)),
    ]
    .into_iter()
    .flatten()
    {
        group.bench_function(BenchmarkId::new(id, name), |b| {
            b.iter(|| {
                sample::warp_into_with_isa(isa, black_box(src.view()), dst.view_mut(), map, opts)
            })
        });
    }
}

/// The forward map as imageproc wants it (source to output, row-major 3x3 f32).
/// `imageproc`'s bilinear warp of `peer` by `proj` into a buffer of the
/// same size, benched beside ours in `group` under the same parameter.
fn imageproc_warp<P>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    parameter: &str,
    peer: &image::ImageBuffer<P, Vec<P::Subpixel>>,
    proj: Projection,
    border: Border<P>,
) where
    P: image::Pixel + Send + Sync,
    P::Subpixel: Send + Sync + Into<f32> + imageproc::definitions::Clamp<f32>,
{
    imageproc_warp_with(
        group,
        parameter,
        peer,
        proj,
        ipt::Interpolation::Bilinear,
        border,
    );
}

/// [`imageproc_warp`] with the interpolation given.
fn imageproc_warp_with<P>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    parameter: &str,
    peer: &image::ImageBuffer<P, Vec<P::Subpixel>>,
    proj: Projection,
    interpolation: ipt::Interpolation,
    border: Border<P>,
) where
    P: image::Pixel + Send + Sync,
    P::Subpixel: Send + Sync + Into<f32> + imageproc::definitions::Clamp<f32>,
{
    let mut out = image::ImageBuffer::new(peer.width(), peer.height());
    group.bench_function(BenchmarkId::new("imageproc", parameter), |b| {
        b.iter(|| ipt::warp_into(black_box(peer), proj, interpolation, border, &mut out))
    });
}

fn projection(forward: &[[f64; 3]; 3]) -> Projection {
    let m = forward
        .iter()
        .flatten()
        .map(|&v| v as f32)
        .collect::<Vec<_>>();
    let mut a = [0.0f32; 9];
    a.copy_from_slice(&m);
    match Projection::from_matrix(a) {
        Some(p) => p,
        None => std::process::abort(),
    }
}

fn rgb_u8_padding_modes(c: &mut Criterion) {
    let src = photo_rgb(W as u32, H as u32);
    let rgb: image::RgbImage = match src.clone().try_into() {
        Ok(i) => i,
        Err(_) => std::process::abort(),
    };
    let forward = rotate_zoom();
    let map = Map::Affine(pull(&forward));
    let proj = projection(&forward.matrix());
    for (name, padding, peer) in [
        (
            "constant",
            Padding::Zeros,
            Some(Border::Constant(image::Rgb([0, 0, 0]))),
        ),
        ("border", Padding::Border, Some(Border::Replicate)),
        ("reflect", Padding::Reflect, None),
        ("reflect101", Padding::Reflect101, None),
        ("wrap", Padding::Wrap, Some(Border::Wrap)),
    ] {
        let mut group = c.benchmark_group(format!("warp_affine_rgb_u8/{name}"));
        group.throughput(Throughput::Elements((W * H) as u64));
        ours(
            &mut group,
            "rotate17_zoom1.1",
            &src,
            (W, H),
            &map,
            &options(padding),
        );
        if let Some(border) = peer {
            imageproc_warp(&mut group, "rotate17_zoom1.1", &rgb, proj, border);
        }
        group.finish();
    }
}

fn other_formats(c: &mut Criterion) {
    let rgb = photo_rgb(W as u32, H as u32);
    let forward = rotate_zoom();
    let map = Map::Affine(pull(&forward));
    let proj = projection(&forward.matrix());
    let opts = options(Padding::Border);
    let rgb_image: image::RgbImage = match rgb.clone().try_into() {
        Ok(i) => i,
        Err(_) => std::process::abort(),
    };
    let dynamic = image::DynamicImage::ImageRgb8(rgb_image);

    let rgba: Image<u8> = match Image::try_from(dynamic.to_rgba8()) {
        Ok(i) => i,
        Err(_) => std::process::abort(),
    };
    let gray: Image<u8> = match Image::try_from(dynamic.to_luma8()) {
        Ok(i) => i,
        Err(_) => std::process::abort(),
    };
    let f32_rgb: Image<f32> = match Image::try_from(dynamic.to_rgb32f()) {
        Ok(i) => i,
        Err(_) => std::process::abort(),
    };

    let mut group = c.benchmark_group("warp_affine_rgba_u8/border");
    group.throughput(Throughput::Elements((W * H) as u64));
    ours(&mut group, "rotate17_zoom1.1", &rgba, (W, H), &map, &opts);
    let peer = dynamic.to_rgba8();
    imageproc_warp(
        &mut group,
        "rotate17_zoom1.1",
        &peer,
        proj,
        Border::Replicate,
    );
    group.finish();

    let mut group = c.benchmark_group("warp_affine_gray_u8/border");
    group.throughput(Throughput::Elements((W * H) as u64));
    ours(&mut group, "rotate17_zoom1.1", &gray, (W, H), &map, &opts);
    let peer = dynamic.to_luma8();
    imageproc_warp(
        &mut group,
        "rotate17_zoom1.1",
        &peer,
        proj,
        Border::Replicate,
    );
    group.finish();

    // A segmentation mask's warp: nearest, filled with zeros outside (the
    // label image here is the gray photo; the bytes move the same).
    let mut group = c.benchmark_group("warp_affine_gray_u8/nearest_zeros");
    group.throughput(Throughput::Elements((W * H) as u64));
    let nearest = WarpOptions {
        interpolation: Interpolation::Nearest,
        ..options(Padding::Zeros)
    };
    ours(
        &mut group,
        "rotate17_zoom1.1",
        &gray,
        (W, H),
        &map,
        &nearest,
    );
    imageproc_warp_with(
        &mut group,
        "rotate17_zoom1.1",
        &peer,
        proj,
        ipt::Interpolation::Nearest,
        Border::Constant(image::Luma([0])),
    );
    group.finish();

    let mut group = c.benchmark_group("warp_affine_rgb_f32/border");
    group.throughput(Throughput::Elements((W * H) as u64));
    ours(
        &mut group,
        "rotate17_zoom1.1",
        &f32_rgb,
        (W, H),
        &map,
        &opts,
    );
    let peer = dynamic.to_rgb32f();
    imageproc_warp(
        &mut group,
        "rotate17_zoom1.1",
        &peer,
        proj,
        Border::Replicate,
    );
    group.finish();

    // Crop the centre 600x600 and resize it to 224x224 in the same pass.
    let window = Rect::pixels(212, 84, 600, 600);
    let crop_map = match window.to_output(224, 224) {
        Ok(a) => Map::Affine(a),
        Err(_) => std::process::abort(),
    };
    let mut group = c.benchmark_group("crop_resize_224_rgb_u8/border");
    group.throughput(Throughput::Elements(224 * 224));
    ours(
        &mut group,
        "600x600_to_224",
        &rgb,
        (224, 224),
        &crop_map,
        &opts,
    );
    let mut fir_src = rgb.as_slice().to_vec();
    let fir_src = match fast_image_resize::images::Image::from_slice_u8(
        W as u32,
        H as u32,
        &mut fir_src,
        fast_image_resize::PixelType::U8x3,
    ) {
        Ok(i) => i,
        Err(_) => std::process::abort(),
    };
    let mut fir_dst =
        fast_image_resize::images::Image::new(224, 224, fast_image_resize::PixelType::U8x3);
    let mut resizer = fast_image_resize::Resizer::new();
    let fir_options = fast_image_resize::ResizeOptions::new()
        .resize_alg(fast_image_resize::ResizeAlg::Interpolation(
            fast_image_resize::FilterType::Bilinear,
        ))
        .crop(212.0, 84.0, 600.0, 600.0);
    group.bench_function(
        BenchmarkId::new("fast_image_resize", "600x600_to_224"),
        |b| b.iter(|| resizer.resize(black_box(&fir_src), &mut fir_dst, &fir_options)),
    );
    group.finish();

    // A mild perspective: the top edge pulled in by 10% on each side.
    let (w, h) = (W as f64 - 1.0, H as f64 - 1.0);
    let corners = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)];
    let moved = [(0.1 * w, 0.0), (0.9 * w, 0.05 * h), (w, h), (0.0, 0.95 * h)];
    let forward = match Projective::from_points(corners, moved) {
        Ok(p) => p,
        Err(_) => std::process::abort(),
    };
    let map = match forward.inverse() {
        Ok(p) => Map::Projective(p),
        Err(_) => std::process::abort(),
    };
    let mut group = c.benchmark_group("warp_projective_rgb_u8/border");
    group.throughput(Throughput::Elements((W * H) as u64));
    ours(&mut group, "keystone", &rgb, (W, H), &map, &opts);
    let proj = projection(&forward.matrix());
    let peer = dynamic.to_rgb8();
    imageproc_warp(&mut group, "keystone", &peer, proj, Border::Replicate);
    group.finish();

    // A displacement grid (cv2.remap with float maps): a gentle wave.
    let wave = |j: usize, i: usize| {
        let (x, y) = (j as f32, i as f32);
        (x + 4.0 * (y / 23.0).sin(), y + 4.0 * (x / 31.0).sin())
    };
    let grid = match Grid::from_fn(W, H, wave) {
        Ok(g) => Map::Grid(g),
        Err(_) => std::process::abort(),
    };
    let mut group = c.benchmark_group("remap_grid_rgb_u8/border");
    group.throughput(Throughput::Elements((W * H) as u64));
    ours(&mut group, "wave", &rgb, (W, H), &grid, &opts);
    let mut out = image::RgbImage::new(W as u32, H as u32);
    group.bench_function(BenchmarkId::new("imageproc", "wave"), |b| {
        b.iter(|| {
            ipt::warp_into_with(
                black_box(&peer),
                |x, y| {
                    let (x, y) = wave(x as usize, y as usize);
                    (x, y)
                },
                ipt::Interpolation::Bilinear,
                Border::Replicate,
                &mut out,
            )
        })
    });
    group.finish();
}

criterion_group!(benches, rgb_u8_padding_modes, other_formats);
criterion_main!(benches);
