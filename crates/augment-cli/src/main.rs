//! `augment`: the command-line face of the augment library.
//!
//! - `augment demo`: a default pipeline on the bundled photograph, the
//!   variants and a contact sheet.
//! - `augment run`: a pipeline over files and folders, in parallel, each
//!   output written atomically, inputs never touched.
//! - `augment apply`: one image, fully determined by pipeline, seed, index.
//! - `augment bench`: a quick speed report of the kernels and the pipeline.
//! - `augment load-bench`: the loader on a dataset, images/s and stages.
//!
//! Exit codes: 0 everything done; 1 the run finished but some files failed
//! (each reported on stderr); 2 nothing done (bad command line, unreadable
//! pipeline file, an output that would overwrite an input, ...); 130
//! interrupted by Ctrl-C.

mod bench;
mod demo;
mod files;
mod load_bench;
mod options;
mod run;
mod sidecar;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit code of an interrupted run (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: i32 = 130;

#[derive(Parser)]
#[command(
    name = "augment",
    version,
    about = "Fast, exact image data augmentation",
    after_help = "Exit codes: 0 done; 1 some files failed (reported on stderr), the rest \
                  written; 2 nothing done (bad arguments, pipeline file, or an output that \
                  would overwrite an input); 130 interrupted (Ctrl-C)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Augment the bundled photo (or yours) 15 ways, with a contact sheet.
    ///
    /// Writes the variants and a contact sheet (original + 15
    /// augmentations) of a default pipeline.
    Demo {
        /// Where to write the images.
        #[arg(long, default_value = "augment-demo")]
        out: PathBuf,
        /// Seed for the random parameters.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Use this image instead of the bundled photo (read as `run` reads
        /// it, upright by its EXIF orientation; tiles cover 288x192 and cut
        /// the overflow).
        #[arg(long)]
        input: Option<PathBuf>,
    },
    /// Augment every image in files and folders into an output folder.
    ///
    /// In parallel, with a progress bar (images/s, ETA). An unreadable or
    /// corrupt file is reported on stderr and skipped; the run goes on.
    /// Inputs are never overwritten: an output that would land on an input
    /// stops the run before anything is written. Every output is written
    /// to a temporary file and renamed into place, so Ctrl-C leaves no
    /// half-written file.
    ///
    /// Outputs are named `<stem>-<copy>.<ext>`. Targets beside an image
    /// `photo.jpg` follow it through the same draw and are written beside
    /// its outputs: `photo.mask.png` (a label mask the image's size,
    /// sampled nearest) as `photo-<copy>.mask.png`; `photo.boxes.json`
    /// (`{"format": "pixel_xyxy", "boxes": [[x_min, y_min, x_max, y_max]],
    /// "labels": [..]}`) as `photo-<copy>.boxes.json`; `photo.points.json`
    /// (`{"points": [[x, y]]}`) as `photo-<copy>.points.json`.
    ///
    /// Example: augment run --preset fastai --copies 4 photos/ --out augmented/
    Run(run::RunArgs),
    /// Augment one image, fully determined by pipeline, seed and index.
    ///
    /// For scripts and for comparing with other libraries: `apply --index k`
    /// writes the same bytes `run` writes for its image number k. Refuses
    /// to write over its input; writes atomically.
    ///
    /// Example: augment apply --pipeline train.toml --index 3 photo.jpg out.png
    Apply(run::ApplyArgs),
    /// A quick speed report of the kernels and the fastai pipeline.
    ///
    /// On the bundled photo: the kernel path in use (and AUGMENT_FORCE_ISA
    /// if set), ns per output pixel of the warp (and of its scalar
    /// reference), Gaussian and box blurs, and images/s of the fastai
    /// pipeline to 224x224 normalised NCHW f32 on one core and on all.
    ///
    /// Example: augment bench --json
    Bench(bench::BenchArgs),
    /// The loader end to end on a dataset: images/s and time per stage.
    ///
    /// Reads, decodes, augments and batches a folder (ImageFolder layout),
    /// a list file or tar shards on worker threads, with a progress bar;
    /// reports images/s and the thread time per image in each stage (read,
    /// decode, augment, batch). Exit code 1 if samples were skipped.
    ///
    /// Example: augment load-bench imagenet/train --threads 8 --limit 5000
    LoadBench(load_bench::LoadBenchArgs),
}

/// How a command ended, when it ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything asked for was done.
    Done,
    /// Some files failed (each reported); the rest were written.
    SomeFailed,
    /// Ctrl-C stopped it; nothing half-written was left.
    Interrupted,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Demo { out, seed, input } => {
            demo::demo(out, *seed, input.as_deref()).map(|()| Outcome::Done)
        }
        Command::Run(args) => run::run(args),
        Command::Apply(args) => run::apply(args),
        Command::Bench(args) => bench::bench(args).map(|()| Outcome::Done),
        Command::LoadBench(args) => load_bench::load_bench(args),
    };
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::SomeFailed) => ExitCode::from(1),
        Ok(Outcome::Interrupted) => ExitCode::from(EXIT_INTERRUPTED as u8),
        Err(err) => {
            eprintln!("augment: {}", error_chain(&err));
            ExitCode::from(2)
        }
    }
}

/// Paths for a message: `a, b and 3 more`.
pub fn describe(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths
        .iter()
        .take(3)
        .map(|p| p.display().to_string())
        .collect();
    match paths.len() {
        n if n > 3 => format!("{} and {} more", shown.join(", "), n - 3),
        _ => shown.join(", "),
    }
}

/// An error and its causes, `: `-separated, without repeating a cause that
/// its parent's message already ends with (the `image` crate's errors do).
pub fn error_chain(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.ends_with(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}
