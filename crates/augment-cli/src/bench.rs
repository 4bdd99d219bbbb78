//! `augment bench`: a quick speed report of the kernels and the pipeline,
//! on the inputs of the criterion benches (the bundled photo resized to
//! 1024x768; for the pipeline, photos of 600x400 and 500x375), so a figure
//! here can be set beside the same row of `benches/RESULTS.md`. Each entry
//! is keyed by the criterion group (and parameter) of that row and names
//! the kernel path it ran on.
//!
//! Wall-clock timing with `Instant`: each case runs once to warm up, then
//! repeatedly for its share of the budget (at least [`MIN_RUNS`] times); the
//! median run is reported, and the best beside it. For figures to compare
//! over time, use the criterion benches (`cargo xtask bench`).

use crate::demo::DEMO_PHOTO;
use anyhow::{Context, Result, bail};
use augment::raw::geom::{Affine, Grid, Map, Projective};
use augment::raw::{filter, sample};
use augment::{Element, Image, Interpolation, Isa, Normalisation, Padding, Pipeline, Tensor};
use clap::Args;
use serde::{Serialize, Serializer};
use std::time::{Duration, Instant};

mod cases;
use cases::{Inputs, bench_pipeline, photo};

/// Runs per case after the warm-up, however short the budget.
const MIN_RUNS: usize = 3;
/// Runs per case at most, however long the budget.
const MAX_RUNS: usize = 100_000;
/// Kernel input size: the criterion benches' (and the README's).
const W: usize = 1024;
const H: usize = 768;
/// Output side of the pipeline case (ImageNet-style training input).
const PIPELINE_SIDE: usize = 224;
/// Images per batch of the pipeline case, as in the criterion bench.
const BATCH: usize = 8;
/// Budget of `--quick`, in seconds.
const QUICK_SECONDS: f64 = 1.0;
/// Padding of the filters, as in the criterion benches.
const FILTER_PADDING: Padding = Padding::Reflect101;

/// Options of `augment bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Time budget for the measurements, in seconds, shared by all cases
    /// (each also runs at least 3 times after a warm-up, so the run takes
    /// a little longer: about 2 s more with an optimised build).
    #[arg(long, default_value_t = 8.0, value_name = "S", value_parser = parse_seconds)]
    pub seconds: f64,
    /// A 1-second budget: the same cases, noisier figures.
    #[arg(long, conflicts_with = "seconds")]
    pub quick: bool,
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

/// One timed kernel: its key, what it does, the path it runs on, the
/// pixels a run produces (the divisor of ns/pixel) and the run itself.
struct Case<'a> {
    key: String,
    what: String,
    isa: Isa,
    pixels: usize,
    run: Box<dyn FnMut() -> Result<()> + 'a>,
}

#[derive(Serialize)]
struct Report {
    isa: IsaReport,
    build: &'static str,
    input: InputReport,
    /// Keyed by criterion group (and `/parameter`), in the table's order.
    kernels: Kernels,
    /// Scalar warp time over the selected path's: the SIMD speed-up.
    warp_scalar_over_selected: f64,
    pipeline: PipelineReport,
    budget_seconds: f64,
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
    /// Whether the x86 kernels use hardware gathers (`AUGMENT_GATHERS`).
    gathers: bool,
    /// Why they do or do not.
    gathers_reason: &'static str,
}

#[derive(Serialize)]
struct InputReport {
    /// The kernels' input (the bundled photo resized).
    width: usize,
    height: usize,
}

#[derive(Serialize)]
struct KernelReport {
    what: String,
    isa: &'static str,
    ns_per_pixel: f64,
    best_ns_per_pixel: f64,
    runs: usize,
}

/// Kernel reports as one JSON object, keys in measurement order.
struct Kernels(Vec<(String, KernelReport)>);

impl Serialize for Kernels {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

#[derive(Serialize)]
struct PipelineReport {
    what: String,
    isa: &'static str,
    batch: usize,
    one_thread_images_per_s: f64,
    threads: usize,
    all_threads_images_per_s: f64,
    /// All threads over one thread.
    scaling: f64,
}

pub fn bench(args: &BenchArgs) -> Result<()> {
    let started = Instant::now();
    let budget_seconds = if args.quick {
        QUICK_SECONDS
    } else {
        args.seconds
    };
    let selected = Isa::selected();
    let inputs = Inputs::new()?;
    let mut cases = inputs.cases(selected)?;
    // The two pipeline figures share the budget like two more cases.
    let budget = Duration::from_secs_f64(budget_seconds / (cases.len() + 2) as f64);

    let mut kernels = Vec::with_capacity(cases.len());
    for case in &mut cases {
        let t = measure(budget, &mut case.run).with_context(|| format!("timing {}", case.key))?;
        let per_pixel = |d: Duration| d.as_secs_f64() * 1e9 / case.pixels as f64;
        kernels.push((
            std::mem::take(&mut case.key),
            KernelReport {
                what: std::mem::take(&mut case.what),
                isa: case.isa.name(),
                ns_per_pixel: per_pixel(t.median),
                best_ns_per_pixel: per_pixel(t.best),
                runs: t.runs,
            },
        ));
    }
    drop(cases);
    let ns = |key: &str| {
        kernels
            .iter()
            .find(|(k, _)| k == key)
            .map_or(f64::NAN, |(_, r)| r.ns_per_pixel)
    };
    let warp_scalar_over_selected =
        ns("warp_affine_rgb_u8_scalar/border") / ns("warp_affine_rgb_u8/border");

    let pipeline = bench_pipeline()?;
    let photos = [photo(600, 400)?, photo(500, 375)?]
        .into_iter()
        .map(|p| Image::<u8>::try_from(p.to_rgb8()))
        .collect::<Result<Vec<_>, _>>()?;
    let views: Vec<_> = (0..BATCH).map(|i| photos[i % 2].view()).collect();
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
    let images_per_s = |t: Timing| BATCH as f64 / t.median.as_secs_f64();

    let gathers = augment::raw::geom::gathers();
    let report = Report {
        isa: IsaReport {
            selected: selected.name(),
            best: Isa::best().name(),
            available: Isa::available().into_iter().map(Isa::name).collect(),
            forced: std::env::var(augment::raw::geom::FORCE_ISA_VAR).ok(),
            gathers: gathers.enabled,
            gathers_reason: gathers.reason,
        },
        build: if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        input: InputReport {
            width: W,
            height: H,
        },
        kernels: Kernels(kernels),
        warp_scalar_over_selected,
        pipeline: PipelineReport {
            what: format!(
                "flip, perspective ±0.1, rotate ±10°, zoom 1-1.1, brightness/contrast ±0.2, \
                 resize {PIPELINE_SIDE}x{PIPELINE_SIDE}, ImageNet-normalised NCHW f32, every \
                 step firing; photos 600x400 and 500x375 (apply_batch)"
            ),
            isa: selected.name(),
            batch: BATCH,
            one_thread_images_per_s: images_per_s(one),
            threads,
            all_threads_images_per_s: images_per_s(all),
            scaling: one.median.as_secs_f64() / all.median.as_secs_f64(),
        },
        budget_seconds,
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
        "augment bench: the bundled photo at {}x{}, one thread per kernel, {} build",
        r.input.width, r.input.height, r.build
    );
    println!(
        "kernel path: {} (best on this CPU: {}; available: {}; {forced})",
        r.isa.selected,
        r.isa.best,
        r.isa.available.join(", ")
    );
    println!(
        "x86 gathers: {} ({})",
        if r.isa.gathers { "on" } else { "off" },
        r.isa.gathers_reason
    );
    if r.build == "debug" {
        println!("note: a debug build; run `cargo run --release -p augment-cli -- bench`");
    }
    println!();
    let width = r.kernels.0.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    println!(
        "{:<width$} {:<10} {:>9} {:>9} {:>6}",
        "kernel", "path", "ns/pixel", "best", "runs"
    );
    for (key, k) in &r.kernels.0 {
        println!(
            "{key:<width$} {:<10} {:>9.3} {:>9.3} {:>6}   {}",
            k.isa, k.ns_per_pixel, k.best_ns_per_pixel, k.runs, k.what
        );
    }
    println!(
        "warp: scalar / {} = {:.2}x",
        r.isa.selected, r.warp_scalar_over_selected
    );
    println!();
    let p = &r.pipeline;
    println!("pipeline ({}): {}, batches of {}", p.isa, p.what, p.batch);
    println!(
        "  1 thread:  {:>8.0} images/s (per core)",
        p.one_thread_images_per_s
    );
    println!(
        "  {} thread{}: {:>8.0} images/s, {:.2}x one thread ({:.0}% of linear)",
        p.threads,
        if p.threads == 1 { " " } else { "s" },
        p.all_threads_images_per_s,
        p.scaling,
        100.0 * p.scaling / p.threads as f64
    );
    println!("({:.1} s, budget {} s)", r.seconds, r.budget_seconds);
}
