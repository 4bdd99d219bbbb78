//! `augment load-bench`: the loader end to end on a dataset, images/s and
//! where the time goes.
//!
//! Wall-clock images/s from the first batch asked to the last delivered
//! (indexing the dataset is timed apart), and per stage the thread time
//! per image summed over the workers: read (open, seek, read), decode (to
//! RGB, orientation included), augment (the pipeline, straight into the
//! image's place in its batch, waiting for the batch's lock included),
//! batch (bookkeeping).
//! On `threads` cores the stages add up to about `threads` times the wall
//! time per image.

use anyhow::{Context, Result, bail};
use augment::{Normalisation, Pipeline};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use load::{Dataset, Loader, Output, SourceKind};
use serde::Serialize;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::Outcome;

/// Options of `augment load-bench`.
#[derive(Args, Debug)]
pub struct LoadBenchArgs {
    /// The dataset: a folder in the ImageFolder layout (one subfolder per
    /// class), a list file (CSV `path,label` or JSON lines), or tar shards
    /// in the WebDataset layout, as a file or a brace pattern such as
    /// `shards/train-{0000..0099}.tar`.
    #[arg(value_name = "DATA")]
    pub data: PathBuf,
    /// The augmentation: `random-resized-crop` (torchvision's
    /// RandomResizedCrop and a horizontal flip, the ImageNet training
    /// default) or `fastai` (fastai v1's training transforms).
    #[arg(
        long,
        value_enum,
        default_value = "random-resized-crop",
        value_name = "NAME"
    )]
    pub preset: LoadPreset,
    /// Worker threads [default: one per core]; 0 loads on the main thread.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(0..=1024))]
    pub threads: Option<u16>,
    /// Images per batch.
    #[arg(long, default_value_t = 64, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub batch: u32,
    /// Output side: images become SIZExSIZE.
    #[arg(long, default_value_t = 224, value_name = "PX", value_parser = clap::value_parser!(u32).range(1..=16384))]
    pub size: u32,
    /// Batches built ahead of the consumer.
    #[arg(long, default_value_t = 2, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
    pub prefetch: u32,
    /// Epochs to run.
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub epochs: u64,
    /// Use only the first N samples of the dataset.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Batches of NHWC u8 pixels instead of normalised NCHW f32.
    #[arg(long)]
    pub pixels: bool,
    /// Seed of the shuffle and the augmentation.
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub seed: u64,
    /// Print one JSON object instead of the table (and no progress bar).
    #[arg(long)]
    pub json: bool,
    /// Decode whole images, not only the region each plan reads.
    #[arg(long)]
    pub no_region_decoding: bool,
    /// Decode at full size even where a plan shrinks enough for a reduced
    /// JPEG scale (1/8 to 7/8).
    #[arg(long)]
    pub no_scaled_decoding: bool,
    /// Keep no JPEG row starts from one epoch to the next (every epoch
    /// then reads the Huffman codes before each region, as the first does).
    #[arg(long)]
    pub no_seek_index: bool,
}

/// The pipelines `load-bench` can run.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadPreset {
    /// `Pipeline::fastai_default(size, size)`.
    Fastai,
    /// torchvision's `RandomResizedCrop(size)` + `RandomHorizontalFlip()`.
    RandomResizedCrop,
}

impl LoadPreset {
    fn name(self) -> &'static str {
        match self {
            LoadPreset::Fastai => "fastai",
            LoadPreset::RandomResizedCrop => "random-resized-crop",
        }
    }

    fn pipeline(self, side: usize, seed: u64) -> Result<Pipeline> {
        let builder = match self {
            LoadPreset::Fastai => Pipeline::fastai_default(side, side),
            LoadPreset::RandomResizedCrop => Pipeline::builder()
                .random_resized_crop(side, side)
                .flip_horizontal(0.5),
        };
        Ok(builder.seed(seed).build()?)
    }
}

/// Thread time per delivered image, milliseconds.
#[derive(Serialize)]
struct Stages {
    read_ms: f64,
    decode_ms: f64,
    augment_ms: f64,
    batch_ms: f64,
}

#[derive(Serialize)]
struct Report {
    images_per_s: f64,
    images: u64,
    seconds: f64,
    threads: usize,
    preset: &'static str,
    source: &'static str,
    samples: usize,
    classes: usize,
    batch: u32,
    size: u32,
    epochs: u64,
    output: &'static str,
    index_seconds: f64,
    stages: Stages,
    skipped: usize,
    failures: u64,
    /// Pixels the decoders delivered per image (regions and reduced
    /// scales make it smaller than the files' own).
    decoded_pixels_per_image: f64,
    /// Images decoded at a reduced scale.
    scaled_decodes: u64,
    region_decoding: bool,
    scaled_decoding: bool,
    /// Bytes of JPEG row starts kept for the next epoch, at the end.
    seek_index_bytes: u64,
    build: &'static str,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs the benchmark; `SomeFailed` if samples were skipped.
pub fn load_bench(args: &LoadBenchArgs) -> Result<Outcome> {
    let indexing = Instant::now();
    let mut dataset = Dataset::open(&args.data)
        .with_context(|| format!("opening the dataset {}", args.data.display()))?;
    if let Some(limit) = args.limit {
        if limit == 0 {
            bail!("--limit 0 leaves no sample");
        }
        dataset.truncate(limit);
    }
    let index_seconds = indexing.elapsed().as_secs_f64();
    let samples = dataset.len();
    // Integer labels (list files, shards) have no names: count the values.
    let classes = match dataset.classes().len() {
        0 => (0..samples)
            .filter_map(|i| dataset.label(i))
            .collect::<std::collections::HashSet<_>>()
            .len(),
        named => named,
    };
    let source = match dataset.kind() {
        SourceKind::Folder => "folder",
        SourceKind::List => "list",
        SourceKind::Shards => "shards",
    };
    let side = args.size as usize;
    let pipeline = args.preset.pipeline(side, args.seed)?;
    let output = if args.pixels {
        Output::Pixels
    } else {
        Output::Tensor(Normalisation::IMAGENET)
    };
    let mut builder = Loader::builder(dataset, pipeline)
        .batch_size(args.batch as usize)
        .prefetch(args.prefetch as usize)
        .region_decoding(!args.no_region_decoding)
        .scaled_decoding(!args.no_scaled_decoding)
        .seek_index_bytes(if args.no_seek_index {
            0
        } else {
            load::DEFAULT_SEEK_INDEX_BYTES
        })
        .output(output);
    if let Some(threads) = args.threads {
        builder = builder.threads(usize::from(threads));
    }
    let mut loader = builder.build()?;
    let total = loader.images_per_epoch() as u64 * args.epochs;
    let bar = ProgressBar::with_draw_target(
        Some(total),
        if args.json {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        },
    );
    if let Ok(style) = ProgressStyle::with_template(
        "{elapsed_precise} [{wide_bar}] {pos}/{len} images  {per_sec}  ETA {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    let started = Instant::now();
    let mut images = 0u64;
    let mut failed = None;
    'epochs: for epoch in 0..args.epochs {
        loader.set_epoch(epoch)?;
        for batch in loader.iter() {
            match batch {
                Ok(batch) => {
                    images += batch.len() as u64;
                    bar.inc(batch.len() as u64);
                }
                Err(e) => {
                    failed = Some(e);
                    break 'epochs;
                }
            }
        }
    }
    if let Some(e) = failed {
        // Say why (which files failed) before the error, which only counts
        // them when no sample loads.
        bar.finish_and_clear();
        print_skipped(&loader.report().skipped);
        return Err(e.into());
    }
    let seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let stats = loader.stats();
    let [read, decode, augment, copy] = stats.per_image();
    let skipped = loader.report().skipped;
    print_skipped(&skipped);
    let report = Report {
        images_per_s: images as f64 / seconds.max(1e-9),
        images,
        seconds,
        threads: loader.threads(),
        preset: args.preset.name(),
        source,
        samples,
        classes,
        batch: args.batch,
        size: args.size,
        epochs: args.epochs,
        output: if args.pixels { "nhwc-u8" } else { "nchw-f32" },
        index_seconds,
        stages: Stages {
            read_ms: ms(read),
            decode_ms: ms(decode),
            augment_ms: ms(augment),
            batch_ms: ms(copy),
        },
        skipped: skipped.len(),
        failures: stats.failures,
        decoded_pixels_per_image: stats.decoded_pixels as f64 / stats.images.max(1) as f64,
        scaled_decodes: stats.scaled_decodes,
        region_decoding: !args.no_region_decoding,
        scaled_decoding: !args.no_scaled_decoding,
        seek_index_bytes: stats.seek_index_bytes,
        build: if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_table(&report, args);
    }
    Ok(if skipped.is_empty() {
        Outcome::Done
    } else {
        Outcome::SomeFailed
    })
}

fn print_table(r: &Report, args: &LoadBenchArgs) {
    println!(
        "{} samples ({} {}, {} classes, indexed in {:.2} s)",
        r.samples,
        r.source,
        args.data.display(),
        r.classes,
        r.index_seconds
    );
    println!(
        "{} {}x{} to {}, batches of {}, {} threads, {} epoch(s)",
        r.preset, r.size, r.size, r.output, r.batch, r.threads, r.epochs
    );
    println!(
        "{} images in {:.2} s: {:.1} images/s",
        r.images, r.seconds, r.images_per_s
    );
    let s = &r.stages;
    println!(
        "thread time per image: read {:.3} ms, decode {:.3} ms, augment {:.3} ms, batch {:.3} ms",
        s.read_ms, s.decode_ms, s.augment_ms, s.batch_ms
    );
    println!(
        "decoded {:.0} pixels per image (region decoding {}, scaled decoding {}: {} images scaled)",
        r.decoded_pixels_per_image,
        if r.region_decoding { "on" } else { "off" },
        if r.scaled_decoding { "on" } else { "off" },
        r.scaled_decodes
    );
    if r.seek_index_bytes > 0 {
        println!(
            "JPEG row starts kept for the next epoch: {:.1} KiB",
            r.seek_index_bytes as f64 / 1024.0
        );
    }
    if r.skipped > 0 {
        println!("skipped {} samples (named on stderr)", r.skipped);
    }
    if r.build == "debug" {
        println!("note: a debug build; run `cargo run --release -p augment-cli -- load-bench`");
    }
}

/// The first five skipped samples and why, on stderr, then how many more.
fn print_skipped(skipped: &[load::Skipped]) {
    for s in skipped.iter().take(5) {
        eprintln!("augment: skipped {}", s.error);
    }
    if skipped.len() > 5 {
        eprintln!("augment: ... and {} more skipped", skipped.len() - 5);
    }
}
