//! The loader end to end: JPEG files on disk to batches of 224x224
//! ImageNet-normalised NCHW `f32`, images per second.
//!
//! - `augment`: [`Loader`] on one worker thread, one epoch per iteration
//!   (read, probe, decode, plan, sample, normalise, batch), the loader
//!   kept across iterations as across a training run's epochs (so JPEGs
//!   are decoded from the row starts kept by the epochs before:
//!   [`load::LoaderBuilder::seek_index_bytes`]);
//! - `augment_2_threads`: the same on two workers;
//! - `augment_2_threads_first_epoch`: two workers keeping no row starts,
//!   every epoch as the first;
//! - `augment_decode_whole`: reading and decoding the same files at full size on
//!   one thread, nothing else ([`load::decode::decode`]: the in-tree
//!   decoder for sequential and progressive JPEGs, zune-jpeg for the
//!   rest);
//! - `zune_jpeg`: the same with zune-jpeg for every file, the fastest
//!   decoder that builds with cargo alone and the loader's peer: the
//!   ceiling of a loader that decodes every pixel with it. `augment` /
//!   `zune_jpeg` below 1 means the loader decodes less than every pixel
//!   (the plan's region) faster than the peer decodes them all.
//!
//! Input: `AUGMENT_BENCH_DATA` names a dataset (a folder tree, list file or
//! shards, e.g. from `cargo xtask dataset --out DIR --n 2000`); without it,
//! 96 JPEGs made here from the bundled photographs (random crops of the
//! three, resized to 500x375, 375x500, 600x400 and 640x480, quality 75 to
//! 95, in two classes) in a temporary folder. Throughput is in images, so
//! `cargo xtask bench` reports images/s.

use augment::{Normalisation, Pipeline};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use load::decode::{DecodeBuffer, Request, decode};
use load::{Dataset, Loader, Output};
use rand::{RngExt, SeedableRng};
use std::hint::black_box;
use std::path::{Path, PathBuf};

const SIDE: usize = 224;
const BATCH: usize = 32;
const MADE: usize = 96;

fn abort_on<T, E: std::fmt::Display>(r: Result<T, E>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => {
            eprintln!("load bench: {what}: {e}");
            std::process::abort()
        }
    }
}

/// The bundled photographs.
fn photos() -> Vec<image::RgbImage> {
    let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets");
    ["coffee.png", "chelsea.png", "astronaut.png"]
        .iter()
        .map(|name| abort_on(image::open(assets.join(name)), name).to_rgb8())
        .collect()
}

/// `MADE` JPEGs in two class folders under `dir`.
fn make_dataset(dir: &Path) {
    let photos = photos();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let sizes = [(500, 375), (375, 500), (600, 400), (640, 480)];
    for i in 0..MADE {
        let photo = &photos[i % photos.len()];
        let (pw, ph) = photo.dimensions();
        let (cw, ch) = (rng.random_range(pw / 2..=pw), rng.random_range(ph / 2..=ph));
        let (x, y) = (rng.random_range(0..=pw - cw), rng.random_range(0..=ph - ch));
        let crop = image::imageops::crop_imm(photo, x, y, cw, ch).to_image();
        let (w, h) = sizes[i % sizes.len()];
        let resized = image::imageops::resize(&crop, w, h, image::imageops::FilterType::Triangle);
        let class = dir.join(["a", "b"][i % 2]);
        abort_on(std::fs::create_dir_all(&class), "creating a class folder");
        let mut bytes = Vec::new();
        let quality = rng.random_range(75..=95);
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality);
        abort_on(resized.write_with_encoder(encoder), "encoding a JPEG");
        abort_on(
            std::fs::write(class.join(format!("{i:03}.jpg")), bytes),
            "writing a JPEG",
        );
    }
}

/// The dataset's location (made here unless `AUGMENT_BENCH_DATA` names
/// one; `keep` holds the temporary folder for the run).
fn dataset_root(keep: &mut Option<tempfile::TempDir>) -> PathBuf {
    match std::env::var_os("AUGMENT_BENCH_DATA") {
        Some(path) => PathBuf::from(path),
        None => {
            let dir = abort_on(tempfile::tempdir(), "making a temporary folder");
            make_dataset(dir.path());
            let root = dir.path().to_path_buf();
            *keep = Some(dir);
            root
        }
    }
}

fn pipelines() -> [(&'static str, Pipeline); 2] {
    let rrc = Pipeline::builder()
        .random_resized_crop(SIDE, SIDE)
        .flip_horizontal(0.5)
        .seed(1)
        .build();
    let fastai = Pipeline::fastai_default(SIDE, SIDE).seed(1).build();
    [
        ("load_rrc_224", abort_on(rrc, "building the pipeline")),
        ("load_fastai_224", abort_on(fastai, "building the pipeline")),
    ]
}

fn bench(c: &mut Criterion) {
    let mut keep = None;
    let root = dataset_root(&mut keep);
    let samples = abort_on(Dataset::open(&root), "opening the dataset");
    let images = samples.len() as u64;
    for (group_name, pipeline) in pipelines() {
        let mut g = c.benchmark_group(group_name);
        g.throughput(Throughput::Elements(images));
        g.sample_size(10);
        for (name, threads, seek_index_bytes) in [
            ("augment", 1, load::DEFAULT_SEEK_INDEX_BYTES),
            ("augment_2_threads", 2, load::DEFAULT_SEEK_INDEX_BYTES),
            ("augment_2_threads_first_epoch", 2, 0),
        ] {
            let dataset = abort_on(Dataset::open(&root), "opening the dataset");
            let mut loader = abort_on(
                Loader::builder(dataset, pipeline.clone())
                    .batch_size(BATCH)
                    .threads(threads)
                    .output(Output::Tensor(Normalisation::IMAGENET))
                    .seek_index_bytes(seek_index_bytes)
                    .build(),
                "building the loader",
            );
            let mut epoch = 0;
            g.bench_function(name, |b| {
                b.iter(|| {
                    abort_on(loader.set_epoch(epoch % 1000), "setting the epoch");
                    epoch += 1;
                    for batch in loader.iter() {
                        black_box(abort_on(batch, "loading a batch").labels()[0]);
                    }
                })
            });
        }
        let mut buffer = DecodeBuffer::new();
        let mut bytes = Vec::new();
        let request = Request::new();
        g.bench_function("augment_decode_whole", |b| {
            b.iter(|| {
                for i in 0..samples.len() {
                    abort_on(samples.read(i, &mut bytes), "reading a sample");
                    abort_on(decode(&bytes, &request, &mut buffer), "decoding");
                    black_box(buffer.as_slice().first());
                }
            })
        });
        let mut pixels = Vec::new();
        g.bench_function("zune_jpeg", |b| {
            b.iter(|| {
                for i in 0..samples.len() {
                    abort_on(samples.read(i, &mut bytes), "reading a sample");
                    zune_decode(&bytes, &mut pixels);
                    black_box(pixels.first());
                }
            })
        });
        g.finish();
    }
}

/// Decodes a JPEG as RGB with zune-jpeg (aborting on anything else, as
/// the dataset holds only JPEGs).
fn zune_decode(bytes: &[u8], pixels: &mut Vec<u8>) {
    use zune_jpeg::zune_core::{
        bytestream::ZCursor, colorspace::ColorSpace, options::DecoderOptions,
    };
    let options = DecoderOptions::default().jpeg_set_out_colorspace(ColorSpace::RGB);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    abort_on(decoder.decode_headers(), "reading a JPEG header");
    let Some(len) = decoder.output_buffer_size() else {
        eprintln!("load bench: a JPEG without a size");
        std::process::abort()
    };
    pixels.resize(len, 0);
    abort_on(decoder.decode_into(pixels), "decoding with zune-jpeg");
}

criterion_group!(benches, bench);
criterion_main!(benches);
