//! The pipeline (issue 6): images per second through a fastai-default-like
//! pipeline (flip, rotate ±10°, zoom 1–1.1, perspective, brightness and
//! contrast, resize to 224x224, ImageNet normalisation into NCHW `f32`) on
//! photos of about 500x400 and 600x400, one thread unless the name says.
//!
//! - `augment`: [`Pipeline::apply_batch`], one map, one sampling pass with
//!   lighting and normalisation fused, straight into the tensor;
//! - `augment_unfused`: [`Pipeline::apply`] to a `u8` image, then a separate
//!   normalisation pass (what the fused tensor path saves);
//! - `augment_2_threads`: the batch on two rayon threads (scaling);
//! - `naive_chain`: the same work with one interpolation per transform, as
//!   albumentations and torchvision do it, built from `image`/`imageproc`.
//!
//! Every step fires (p = 1) in all of them so they do the same work.
//! Throughput is in images, so `cargo xtask bench` reports images/s.

use augment::{Image, Normalisation, Pipeline, Tensor};
use augment_benches::photo_rgb;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use imageproc::geometric_transformations::{self as ipt, Projection};
use rand::{RngExt, SeedableRng};
use std::hint::black_box;

const OUT: usize = 224;
const BATCH: usize = 8;

/// Half the batch at 600x400 (the bundled photo), half at 500x375.
fn photos() -> Vec<Image<u8>> {
    (0..BATCH)
        .map(|i| {
            if i % 2 == 0 {
                photo_rgb(600, 400)
            } else {
                photo_rgb(500, 375)
            }
        })
        .collect()
}

/// Every step with p = 1: the work the naive chain does too.
fn pipeline() -> Pipeline {
    let built = Pipeline::builder()
        .flip_horizontal(1.0)
        .perspective(-0.1..=0.1, 1.0)
        .rotate(-10.0..=10.0, 1.0)
        .zoom(1.0..=1.1, 1.0)
        .brightness(-0.2..=0.2, 1.0)
        .contrast(-0.2..=0.2, 1.0)
        .resize(OUT, OUT)
        .seed(7)
        .build();
    match built {
        Ok(p) => p,
        Err(_) => std::process::abort(),
    }
}

fn pool(threads: usize) -> rayon::ThreadPool {
    match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(p) => p,
        Err(_) => std::process::abort(),
    }
}

/// The naive chain: each transform resamples the whole image once, with the
/// peer crates, then a normalisation pass into CHW planes.
struct NaiveChain {
    rng: rand_chacha::ChaCha8Rng,
}

impl NaiveChain {
    fn run(&mut self, src: &image::RgbImage, out: &mut [f32]) {
        let rng = &mut self.rng;
        let (w, h) = (src.width() as f32, src.height() as f32);
        let centre = ((w - 1.0) / 2.0, (h - 1.0) / 2.0);
        let black = ipt::Border::Constant(image::Rgb([0u8, 0, 0]));

        let flipped = image::imageops::flip_horizontal(src);

        let corners = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)];
        let mut moved = corners;
        for c in &mut moved {
            c.0 += rng.random_range(-0.1f32..=0.1) * w;
            c.1 += rng.random_range(-0.1f32..=0.1) * h;
        }
        let warped = match Projection::from_control_points(corners, moved) {
            Some(p) => ipt::warp(&flipped, p, ipt::Interpolation::Bilinear, black),
            None => flipped,
        };

        let theta = rng.random_range(-10.0f32..=10.0).to_radians();
        let rotated = ipt::rotate_about_center(&warped, theta, ipt::Interpolation::Bilinear, black);

        let zoom = rng.random_range(1.0f32..=1.1);
        let about_centre = Projection::translate(centre.0, centre.1)
            * Projection::scale(zoom, zoom)
            * Projection::translate(-centre.0, -centre.1);
        let zoomed = ipt::warp(&rotated, about_centre, ipt::Interpolation::Bilinear, black);

        let brightness = rng.random_range(-0.2f32..=0.2) * 255.0;
        let contrast = 1.0 + rng.random_range(-0.2f32..=0.2);
        let mut lit = zoomed;
        for p in lit.pixels_mut() {
            for v in &mut p.0 {
                *v = ((f32::from(*v) - 127.5) * contrast + 127.5 + brightness)
                    .round()
                    .clamp(0.0, 255.0) as u8;
            }
        }

        let resized = image::imageops::resize(
            &lit,
            OUT as u32,
            OUT as u32,
            image::imageops::FilterType::Triangle,
        );

        let norm = Normalisation::IMAGENET;
        let plane = OUT * OUT;
        for (i, p) in resized.pixels().enumerate() {
            for c in 0..3 {
                out[c * plane + i] = (f32::from(p.0[c]) / 255.0 - norm.mean()[c]) / norm.std()[c];
            }
        }
    }
}

fn pipeline_bench(c: &mut Criterion) {
    let images = photos();
    let views: Vec<_> = images.iter().map(|i| i.view()).collect();
    let pipeline = pipeline();
    let norm = Normalisation::IMAGENET;

    let mut group = c.benchmark_group("pipeline_fastai_224_nchw_rgb_u8");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(20);

    let one = pool(1);
    let mut tensor = Tensor::new();
    let mut first = 0u64;
    group.bench_function(BenchmarkId::new("augment", "batch8"), |b| {
        b.iter(|| {
            first += BATCH as u64;
            one.install(|| pipeline.apply_batch(black_box(&views), first, &norm, &mut tensor))
        })
    });

    let two = pool(2);
    group.bench_function(BenchmarkId::new("augment_2_threads", "batch8"), |b| {
        b.iter(|| {
            first += BATCH as u64;
            two.install(|| pipeline.apply_batch(black_box(&views), first, &norm, &mut tensor))
        })
    });

    let mut planes = vec![0.0f32; BATCH * 3 * OUT * OUT];
    group.bench_function(BenchmarkId::new("augment_unfused", "batch8"), |b| {
        b.iter(|| {
            for (src, out) in views.iter().zip(planes.chunks_exact_mut(3 * OUT * OUT)) {
                first += 1;
                let img = pipeline.apply(black_box(*src), first);
                if let Ok(img) = img {
                    let _ = norm.normalise(img.view(), out);
                }
            }
        })
    });

    let rgb: Vec<image::RgbImage> = images
        .iter()
        .filter_map(|i| image::RgbImage::try_from(i.clone()).ok())
        .collect();
    let mut chain = NaiveChain {
        rng: rand_chacha::ChaCha8Rng::seed_from_u64(7),
    };
    group.bench_function(BenchmarkId::new("naive_chain", "batch8"), |b| {
        b.iter(|| {
            for (src, out) in rgb.iter().zip(planes.chunks_exact_mut(3 * OUT * OUT)) {
                chain.run(black_box(src), out);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, pipeline_bench);
criterion_main!(benches);
