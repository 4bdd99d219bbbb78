//! `augment bench`: a quick speed report on the bundled photo.
//!
//! Wall-clock timing with `Instant`: each case runs once to warm up, then
//! repeatedly for its share of `--seconds` (at least [`MIN_RUNS`] times);
//! the median run is reported, and the best beside it. For figures to
//! compare over time, use the criterion benches (`cargo xtask bench`).

use crate::demo::DEMO_PHOTO;
use anyhow::{Context, Result, bail};
use augment::raw::geom::{Affine, Map};
use augment::raw::{filter, sample};
use augment::{Image, Interpolation, Isa, Normalisation, Padding, Pipeline, Tensor};
use clap::Args;
use serde::Serialize;
use std::time::{Duration, Instant};

/// Runs per case after the warm-up, however short the budget.
const MIN_RUNS: usize = 3;
/// Runs per case at most, however long the budget.
const MAX_RUNS: usize = 100_000;
/// Output side of the pipeline case (ImageNet-style training input).
const PIPELINE_SIDE: usize = 224;
/// Images per batch of the pipeline case.
const BATCH: usize = 32;
/// Timed cases; each gets this share of the budget.
const CASES: u32 = 6;

/// Options of `augment bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Time budget for the measurements, in seconds, shared by the six
    /// cases (each also runs at least 3 times after a warm-up).
    #[arg(long, default_value_t = 8.0, value_name = "S", value_parser = parse_seconds)]
    pub seconds: f64,
    /// Threads for the all-cores pipeline figure [default: one per core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 600.0 => Ok(s),
        _ => Err(format!("{text:?} is not a number of seconds in (0, 600]")),
    }
}

/// Median and best of the timed runs.
#[derive(Debug, Clone, Copy)]
struct Timing {
    median: Duration,
    best: Duration,
    runs: usize,
}

fn measure(budget: Duration, mut f: impl FnMut() -> Result<()>) -> Result<Timing> {
    f()?;
    let started = Instant::now();
    let mut runs = Vec::new();
    while runs.len() < MIN_RUNS || (started.elapsed() < budget && runs.len() < MAX_RUNS) {
        let t = Instant::now();
        f()?;
        runs.push(t.elapsed());
    }
    runs.sort_unstable();
    Ok(Timing {
        median: runs[runs.len() / 2],
        best: runs[0],
        runs: runs.len(),
    })
}

#[derive(Serialize)]
struct Report {
    isa: IsaReport,
    build: &'static str,
    photo: PhotoReport,
    kernels: Vec<KernelReport>,
    /// Scalar warp time over the selected path's: the SIMD speed-up.
    warp_scalar_over_selected: f64,
    pipeline: PipelineReport,
    seconds: f64,
}

#[derive(Serialize)]
struct IsaReport {
    /// The path kernels run on.
    selected: &'static str,
    /// The fastest path the CPU has.
    best: &'static str,
    available: Vec<&'static str>,
    /// `AUGMENT_FORCE_ISA` as set, if set.
    forced: Option<String>,
}

#[derive(Serialize)]
struct PhotoReport {
    width: usize,
    height: usize,
    channels: usize,
}

#[derive(Serialize)]
struct KernelReport {
    name: &'static str,
    what: &'static str,
    isa: &'static str,
    ns_per_pixel: f64,
    best_ns_per_pixel: f64,
    runs: usize,
}

#[derive(Serialize)]
struct PipelineReport {
    what: String,
    batch: usize,
    one_thread_images_per_s: f64,
    threads: usize,
    all_threads_images_per_s: f64,
    /// All threads over one thread.
    scaling: f64,
}

pub fn bench(args: &BenchArgs) -> Result<()> {
    let started = Instant::now();
    let budget = Duration::from_secs_f64(args.seconds / f64::from(CASES));
    let decoded = image::load_from_memory(DEMO_PHOTO).context("decoding the bundled photo")?;
    let photo = Image::<u8>::try_from(image::DynamicImage::ImageRgb8(decoded.to_rgb8()))?;
    let (w, h) = (photo.width(), photo.height());
    let pixels = (w * h) as f64;
    let selected = Isa::selected();
    let mut dst = Image::<u8>::new(w, h, 3)?;

    let centre = ((w as f64 - 1.0) / 2.0, (h as f64 - 1.0) / 2.0);
    let forward = Affine::rotate_about(17.0, centre).then(&Affine::scale_about(1.1, 1.1, centre));
    let map = Map::Affine(forward.inverse()?);
    let options = sample::WarpOptions {
        interpolation: Interpolation::Bilinear,
        padding: Padding::Reflect101,
        values: None,
    };
    let mut warp = |isa: Isa| {
        measure(budget, || {
            Ok(sample::warp_with_isa(
                isa,
                photo.view(),
                dst.view_mut(),
                &map,
                &options,
            )?)
        })
    };
    let warp_selected = warp(selected)?;
    let warp_scalar = warp(Isa::Scalar)?;
    let gaussian = measure(budget, || {
        Ok(filter::gaussian_blur(
            photo.view(),
            dst.view_mut(),
            3.0,
            3.0,
            Padding::Reflect101,
        )?)
    })?;
    let boxed = measure(budget, || {
        Ok(filter::box_blur(
            photo.view(),
            dst.view_mut(),
            15,
            15,
            Padding::Reflect101,
        )?)
    })?;

    let pipeline = Pipeline::fastai_default(PIPELINE_SIDE, PIPELINE_SIDE).build()?;
    let views = vec![photo.view(); BATCH];
    let mut tensor = Tensor::new();
    let mut next_index = 0u64;
    let mut batches = |threads: usize| -> Result<Timing> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .context("starting the bench threads")?;
        pool.install(|| {
            measure(budget, || {
                // New indices every batch: fresh draws, as in training.
                pipeline.apply_batch(&views, next_index, &Normalisation::IMAGENET, &mut tensor)?;
                next_index += BATCH as u64;
                Ok(())
            })
        })
    };
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    let one = batches(1)?;
    let all = batches(threads)?;
    if tensor.shape() != [BATCH, 3, PIPELINE_SIDE, PIPELINE_SIDE] {
        bail!("the pipeline batch has shape {:?}", tensor.shape());
    }

    let per_pixel = |t: Duration| t.as_secs_f64() * 1e9 / pixels;
    let kernel = |name, what, isa: Isa, t: Timing| KernelReport {
        name,
        what,
        isa: isa.name(),
        ns_per_pixel: per_pixel(t.median),
        best_ns_per_pixel: per_pixel(t.best),
        runs: t.runs,
    };
    let images_per_s = |t: Timing| BATCH as f64 / t.median.as_secs_f64();
    let report = Report {
        isa: IsaReport {
            selected: selected.name(),
            best: Isa::best().name(),
            available: Isa::available().into_iter().map(Isa::name).collect(),
            forced: std::env::var(augment::raw::geom::FORCE_ISA_VAR).ok(),
        },
        build: if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        photo: PhotoReport {
            width: w,
            height: h,
            channels: 3,
        },
        kernels: vec![
            kernel(
                "warp_affine_rgb_u8",
                "bilinear warp, rotate 17° zoom 1.1, reflect101",
                selected,
                warp_selected,
            ),
            kernel(
                "warp_affine_rgb_u8_scalar",
                "the same on the scalar reference",
                Isa::Scalar,
                warp_scalar,
            ),
            kernel(
                "gaussian_rgb_u8",
                "gaussian blur sigma 3",
                selected,
                gaussian,
            ),
            kernel("box_rgb_u8", "box blur 15x15", selected, boxed),
        ],
        warp_scalar_over_selected: warp_scalar.median.as_secs_f64()
            / warp_selected.median.as_secs_f64(),
        pipeline: PipelineReport {
            what: format!(
                "fastai default to {PIPELINE_SIDE}x{PIPELINE_SIDE}, ImageNet-normalised NCHW f32 (apply_batch)"
            ),
            batch: BATCH,
            one_thread_images_per_s: images_per_s(one),
            threads,
            all_threads_images_per_s: images_per_s(all),
            scaling: one.median.as_secs_f64() / all.median.as_secs_f64(),
        },
        seconds: started.elapsed().as_secs_f64(),
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_table(&report);
    }
    Ok(())
}

fn print_table(r: &Report) {
    let forced = match &r.isa.forced {
        Some(v) => format!("AUGMENT_FORCE_ISA={v}"),
        None => "AUGMENT_FORCE_ISA unset".into(),
    };
    println!(
        "augment bench: bundled photo {}x{} RGB u8, {} build",
        r.photo.width, r.photo.height, r.build
    );
    println!(
        "kernel path: {} (best on this CPU: {}; available: {}; {forced})",
        r.isa.selected,
        r.isa.best,
        r.isa.available.join(", ")
    );
    if r.build == "debug" {
        println!("note: a debug build; run `cargo run --release -p augment-cli -- bench`");
    }
    println!();
    println!(
        "{:<28} {:<8} {:>12} {:>10} {:>7}",
        "kernel", "path", "ns/pixel", "best", "runs"
    );
    for k in &r.kernels {
        println!(
            "{:<28} {:<8} {:>12.3} {:>10.3} {:>7}   {}",
            k.name, k.isa, k.ns_per_pixel, k.best_ns_per_pixel, k.runs, k.what
        );
    }
    println!(
        "warp: scalar / {} = {:.2}x",
        r.isa.selected, r.warp_scalar_over_selected
    );
    println!();
    let p = &r.pipeline;
    println!("pipeline: {}, batches of {}", p.what, p.batch);
    println!(
        "  1 thread:  {:>8.0} images/s (per core)",
        p.one_thread_images_per_s
    );
    println!(
        "  {} threads: {:>8.0} images/s, {:.2}x one thread ({:.0}% of linear)",
        p.threads,
        p.all_threads_images_per_s,
        p.scaling,
        100.0 * p.scaling / p.threads as f64
    );
    println!("({:.1} s)", r.seconds);
}
