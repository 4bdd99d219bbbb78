//! `augment run` (folders of images, in parallel) and `augment apply` (one
//! image): the same augmentation and the same writing, so `apply --index k`
//! reproduces exactly the file `run` wrote as image number k.

use crate::files::{self, Encoding, Interrupted, interrupted};
use crate::options::PipelineArgs;
use crate::sidecar;
use crate::{Outcome, describe, error_chain};
use anyhow::{Context, Result, bail};
use augment::{Image, Pipeline};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Augment every image in files and folders, writing `name-<copy>.ext`.
#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    /// Image files and folders. Folders are walked (following links, in
    /// name order, skipping hidden entries and the output folder); in them,
    /// files are taken by extension, and `*.mask.png`, `*.boxes.json`,
    /// `*.points.json` are targets of the image they are named after.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output folder; a folder INPUT's subfolders are kept under it (under
    /// the folder's own name when several folders are given). It may
    /// not be an input folder (outputs never mix with inputs), nor an
    /// existing folder inside one holding anything but this run's outputs.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Augmented copies of each image. Copy c of the i-th image found
    /// (inputs in the order given, folders in name order) is image number
    /// i * copies + c of the pipeline, whatever --jobs is.
    #[arg(long, default_value_t = 1, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub copies: u32,
    /// Worker threads [default: one per core].
    #[arg(long, short = 'j', value_name = "J", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Leave outputs that already exist alone (targets are written before
    /// their image, so an existing image means its targets exist too).
    #[arg(long)]
    pub skip_existing: bool,
    /// Keep the pixels as stored, ignoring the EXIF orientation tag. By
    /// default photos are turned upright first (as the loader and the
    /// Python package's `read_image` do), and the targets beside them are
    /// in the upright image's coordinates.
    #[arg(long)]
    pub no_orientation: bool,
    /// Output format by extension (png, jpg, bmp, tiff, webp) [default: the
    /// input's own, or png where it cannot be written].
    #[arg(long, value_name = "EXT")]
    pub format: Option<String>,
    /// JPEG quality, 1–100.
    #[arg(long, default_value_t = 90, value_name = "Q",
          value_parser = clap::value_parser!(u8).range(1..=100))]
    pub jpeg_quality: u8,
}

/// Augment one image, fully determined by the pipeline, seed and index.
#[derive(Args, Debug)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub pipeline: PipelineArgs,
    /// The image to read. Its targets (`<stem>.mask.png`,
    /// `<stem>.boxes.json`, `<stem>.points.json` beside it) come along.
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,
    /// Where to write; the format is its extension. Targets are written
    /// beside it (`<output stem>.mask.png`, ...). May not be INPUT.
    #[arg(value_name = "OUTPUT")]
    pub output: PathBuf,
    /// Image number: the parameters are drawn from (seed, index), as `run`
    /// draws them for its image number `index`.
    #[arg(long, default_value_t = 0, value_name = "K")]
    pub index: u64,
    /// Keep the pixels as stored, ignoring the EXIF orientation tag. By
    /// default photos are turned upright first (as the loader and the
    /// Python package's `read_image` do), and the targets beside them are
    /// in the upright image's coordinates.
    #[arg(long)]
    pub no_orientation: bool,
    /// JPEG quality, 1–100.
    #[arg(long, default_value_t = 90, value_name = "Q",
          value_parser = clap::value_parser!(u8).range(1..=100))]
    pub jpeg_quality: u8,
}

/// One image found, and where its outputs go.
#[derive(Debug)]
struct Source {
    /// As found (read from, and named in messages).
    path: PathBuf,
    /// Its output folder (the output folder, then the image's folder
    /// relative to the folder INPUT it was found in), resolved.
    out_dir: PathBuf,
    stem: OsString,
    /// Output extension, as given or as the input's.
    ext: String,
    encoding: Encoding,
    sidecars: sidecar::Found,
}

impl Source {
    fn image_output(&self, copy: u32) -> PathBuf {
        let mut name = self.stem.clone();
        name.push(format!("-{copy}.{}", self.ext));
        self.out_dir.join(name)
    }

    /// The image output and its targets' outputs for `copy`.
    fn outputs(&self, copy: u32) -> Vec<PathBuf> {
        let image = self.image_output(copy);
        let mut all: Vec<PathBuf> = self
            .sidecars
            .files
            .iter()
            .map(|(kind, _)| {
                let mut stem = self.stem.clone();
                stem.push(format!("-{copy}"));
                self.out_dir.join(sidecar::name(&stem, *kind))
            })
            .collect();
        all.push(image);
        all
    }
}

/// What walking the inputs found.
struct Walk {
    sources: Vec<Source>,
    /// Files in folders that are not images by name.
    ignored: u64,
    /// Entries that could not be read while walking.
    errors: Vec<String>,
}

pub fn run(args: &RunArgs) -> Result<Outcome> {
    let pipeline = args.pipeline.build()?;
    let forced_ext = match &args.format {
        Some(ext) => {
            let ext = ext.trim_start_matches('.').to_ascii_lowercase();
            if files::writable_format(&ext).is_none() {
                bail!(
                    "--format {ext}: not a format this build writes ({})",
                    files::writable_extensions()
                );
            }
            Some(ext)
        }
        None => None,
    };
    if args.out.exists() && !args.out.is_dir() {
        bail!("--out {} exists and is not a folder", args.out.display());
    }
    let out = files::resolved(&args.out)?;
    let walk = collect(&args.inputs, &out, forced_ext.as_deref(), args.jpeg_quality)?;
    if walk.sources.is_empty() && walk.errors.is_empty() {
        bail!(
            "no images found in {} (looked for files named *.{})",
            describe(&args.inputs),
            readable_extensions().join(", *.")
        );
    }
    check_outputs(&walk.sources, args.copies)?;
    check_out_inside_inputs(&args.inputs, &out, &walk.sources, args.copies)?;

    files::handle_ctrl_c()?;
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    // A folder that takes no file fails every image the same way: say so
    // once, before any work (exit 2), not once per image.
    tempfile::Builder::new()
        .prefix(".augment-")
        .suffix(".part")
        .tempfile_in(&out)
        .with_context(|| format!("--out {} cannot be written", out.display()))?;
    let jobs = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .context("starting the worker threads")?;
    let total = walk.sources.len() as u64 * u64::from(args.copies);
    let bar = progress_bar(total);
    let stats = Stats::default();
    for error in &walk.errors {
        stats.failed.fetch_add(1, Ordering::Relaxed);
        report(&bar, error);
    }
    let work = Work {
        pipeline: &pipeline,
        copies: args.copies,
        skip_existing: args.skip_existing,
        orientation: !args.no_orientation,
        bar: &bar,
        stats: &stats,
    };
    let started = Instant::now();
    pool.install(|| {
        walk.sources
            .par_iter()
            .enumerate()
            .for_each(|(position, source)| work.source(position as u64, source));
    });
    bar.finish_and_clear();

    let elapsed = started.elapsed().as_secs_f64();
    let written = stats.written.load(Ordering::Relaxed);
    let failed = stats.failed.load(Ordering::Relaxed);
    let skipped = stats.skipped.load(Ordering::Relaxed);
    let mut summary = format!(
        "augment run: {written} written, {failed} failed, {skipped} skipped (already there)"
    );
    if walk.ignored > 0 {
        summary += &format!(", {} ignored (not images by name)", walk.ignored);
    }
    summary += &format!(
        "; {:.2} s, {:.1} images/s on {jobs} threads, to {}",
        elapsed,
        written as f64 / elapsed.max(1e-9),
        args.out.display()
    );
    if interrupted() {
        eprintln!("{summary}\naugment run: interrupted; rerun with --skip-existing to finish");
        return Ok(Outcome::Interrupted);
    }
    println!("{summary}");
    Ok(if failed > 0 {
        Outcome::SomeFailed
    } else {
        Outcome::Done
    })
}

pub fn apply(args: &ApplyArgs) -> Result<Outcome> {
    let pipeline = args.pipeline.build()?;
    let ext = args
        .output
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let Some(format) = files::writable_format(&ext) else {
        bail!(
            "cannot tell the output format from {}: name it with one of the extensions {}",
            args.output.display(),
            files::writable_extensions()
        );
    };
    let encoding = Encoding {
        format,
        jpeg_quality: args.jpeg_quality,
    };
    let input = files::resolved(&args.input)?;
    let output = files::resolved(&args.output)?;
    let sidecars = sidecar::Found::next_to(&args.input);
    let mut reads = vec![input];
    reads.extend(
        sidecars
            .files
            .iter()
            .filter_map(|(_, p)| files::resolved(p).ok()),
    );
    let mut writes = vec![output.clone()];
    if let (Some(dir), Some(stem)) = (output.parent(), output.file_stem()) {
        writes.extend(
            sidecars
                .files
                .iter()
                .map(|(kind, _)| dir.join(sidecar::name(stem, *kind))),
        );
    }
    if let Some(clash) = writes.iter().find(|w| reads.contains(w)) {
        bail!(
            "{} is an input ({}): refusing to overwrite it",
            clash.display(),
            args.input.display()
        );
    }

    files::handle_ctrl_c()?;
    let image = files::read_image(&args.input, !args.no_orientation)
        .with_context(|| format!("reading {}", args.input.display()))?;
    let targets = sidecars.load()?;
    if let Some(dir) = output.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    match augment_one(&pipeline, &image, &targets, args.index, &output, &encoding) {
        Ok(()) => Ok(Outcome::Done),
        Err(e) if e.is::<Interrupted>() => Ok(Outcome::Interrupted),
        Err(e) => Err(e.context(format!("writing {}", args.output.display()))),
    }
}

/// Augments `image` as image `index` with its targets and writes them:
/// targets first, the image last (so an existing image means complete
/// outputs, which `--skip-existing` relies on).
fn augment_one(
    pipeline: &Pipeline,
    image: &Image<u8>,
    targets: &sidecar::Loaded,
    index: u64,
    path: &Path,
    encoding: &Encoding,
) -> Result<()> {
    let mut out = targets.augment(pipeline, image, index)?;
    targets.write(&mut out, path)?;
    files::write_image(out.image, path, encoding)
}

#[derive(Default)]
struct Stats {
    written: AtomicU64,
    failed: AtomicU64,
    skipped: AtomicU64,
}

/// What every worker shares.
struct Work<'a> {
    pipeline: &'a Pipeline,
    copies: u32,
    skip_existing: bool,
    /// Whether images are turned upright by their EXIF orientation.
    orientation: bool,
    bar: &'a ProgressBar,
    stats: &'a Stats,
}

impl Work<'_> {
    /// All copies of the image at `position` (in walk order).
    fn source(&self, position: u64, source: &Source) {
        if interrupted() {
            return;
        }
        let todo: Vec<u32> = (0..self.copies)
            .filter(|&copy| {
                let exists = self.skip_existing && source.image_output(copy).exists();
                if exists {
                    self.stats.skipped.fetch_add(1, Ordering::Relaxed);
                    // Off the total rather than done, so images/s and the
                    // ETA describe the work that is actually done.
                    self.bar.dec_length(1);
                }
                !exists
            })
            .collect();
        if todo.is_empty() {
            return;
        }
        let loaded = files::read_image(&source.path, self.orientation).and_then(|image| {
            let targets = source.sidecars.load()?;
            std::fs::create_dir_all(&source.out_dir)
                .with_context(|| format!("creating {}", source.out_dir.display()))?;
            Ok((image, targets))
        });
        let (image, targets) = match loaded {
            Ok(x) => x,
            Err(e) => {
                self.stats.failed.fetch_add(1, Ordering::Relaxed);
                self.bar.dec_length(todo.len() as u64);
                report(
                    self.bar,
                    &format!("skipped {}: {}", source.path.display(), error_chain(&e)),
                );
                return;
            }
        };
        let failures: Vec<(u32, anyhow::Error)> = todo
            .par_iter()
            .filter_map(|&copy| {
                if interrupted() {
                    return None;
                }
                let index = position * u64::from(self.copies) + u64::from(copy);
                let path = source.image_output(copy);
                let result = augment_one(
                    self.pipeline,
                    &image,
                    &targets,
                    index,
                    &path,
                    &source.encoding,
                );
                self.bar.inc(1);
                match result {
                    Ok(()) => {
                        self.stats.written.fetch_add(1, Ordering::Relaxed);
                        None
                    }
                    Err(e) if e.is::<Interrupted>() => None,
                    Err(e) => Some((copy, e)),
                }
            })
            .collect();
        if !failures.is_empty() {
            self.stats.failed.fetch_add(1, Ordering::Relaxed);
        }
        for (copy, e) in failures {
            report(
                self.bar,
                &format!(
                    "failed {} (copy {copy}): {}",
                    source.path.display(),
                    error_chain(&e)
                ),
            );
        }
    }
}

fn progress_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    // The template is a constant; should it ever fail to parse, the default
    // style still shows progress.
    if let Ok(style) = ProgressStyle::with_template(
        "{elapsed_precise} [{wide_bar}] {pos}/{len} images  {rate}  ETA {eta}",
    ) {
        let rate = |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            // A progress line has nowhere to report a formatting error.
            let _ = write!(w, "{:.0} images/s", state.per_sec());
        };
        bar.set_style(style.with_key("rate", rate).progress_chars("=> "));
    }
    bar
}

/// A problem with one file, on stderr above the progress bar.
fn report(bar: &ProgressBar, message: &str) {
    bar.suspend(|| eprintln!("augment: {message}"));
}

fn readable_extensions() -> Vec<&'static str> {
    image::ImageFormat::all()
        .filter(image::ImageFormat::reading_enabled)
        .flat_map(|f| f.extensions_str().iter().copied())
        .collect()
}

/// Walks the inputs in order. A missing input is an error (a typo on the
/// command line); an unreadable entry inside a folder is reported and the
/// walk goes on.
fn collect(
    inputs: &[PathBuf],
    out: &Path,
    forced_ext: Option<&str>,
    jpeg_quality: u8,
) -> Result<Walk> {
    let mut walk = Walk {
        sources: Vec::new(),
        ignored: 0,
        errors: Vec::new(),
    };
    let mut out_dirs: HashMap<PathBuf, PathBuf> = HashMap::new();
    let mut found = |path: PathBuf, rel_dir: PathBuf| -> Result<Source> {
        let out_dir = match out_dirs.get(&rel_dir) {
            Some(d) => d.clone(),
            None => {
                let d = files::resolved(&out.join(&rel_dir))?;
                out_dirs.insert(rel_dir.clone(), d.clone());
                d
            }
        };
        let input_ext = path
            .extension()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ext = match forced_ext {
            Some(e) => e.to_string(),
            None if files::writable_format(&input_ext.to_ascii_lowercase()).is_some() => input_ext,
            None => "png".to_string(),
        };
        let format = files::writable_format(&ext.to_ascii_lowercase()).context("output format")?;
        Ok(Source {
            sidecars: sidecar::Found::next_to(&path),
            stem: path.file_stem().unwrap_or_default().to_os_string(),
            path,
            out_dir,
            ext,
            encoding: Encoding {
                format,
                jpeg_quality,
            },
        })
    };
    // Several folders (`train/*` expanded by the shell: one per class) each
    // keep their own name under --out, as one folder keeps its subfolders;
    // flattened, the classes were lost and any shared file name stopped the
    // run.
    let folders = inputs.iter().filter(|i| i.is_dir()).count();
    for input in inputs {
        let meta =
            std::fs::metadata(input).with_context(|| format!("input {}", input.display()))?;
        if !meta.is_dir() {
            walk.sources.push(found(input.clone(), PathBuf::new())?);
            continue;
        }
        let root = files::resolved(input)?;
        if root == out {
            bail!(
                "--out {} is the input folder {}: choose another folder, so outputs never \
                 mix with or overwrite inputs",
                out.display(),
                input.display()
            );
        }
        let entries = walkdir::WalkDir::new(input)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                let hidden = e.depth() > 0 && e.file_name().to_string_lossy().starts_with('.');
                let is_out =
                    e.file_type().is_dir() && e.path().canonicalize().is_ok_and(|p| p == out);
                !hidden && !is_out
            });
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let at = e.path().unwrap_or(input).display().to_string();
                    walk.errors.push(format!("skipped {at}: {e}"));
                    continue;
                }
            };
            if !entry.file_type().is_file() {
                continue;
            }
            let is_image = entry
                .path()
                .extension()
                .is_some_and(|e| files::readable_format(&e.to_string_lossy()).is_some());
            if !is_image || sidecar::is_sidecar_name(entry.file_name()) {
                if !sidecar::is_sidecar_name(entry.file_name()) {
                    walk.ignored += 1;
                }
                continue;
            }
            let rel_dir = entry
                .path()
                .strip_prefix(input)
                .ok()
                .and_then(Path::parent)
                .map(Path::to_path_buf)
                .unwrap_or_default();
            let rel_dir = match root.file_name() {
                Some(name) if folders > 1 => Path::new(name).join(rel_dir),
                _ => rel_dir,
            };
            walk.sources.push(found(entry.into_path(), rel_dir)?);
        }
    }
    Ok(walk)
}

/// An existing `--out` inside an input folder is not read (so a rerun does
/// not augment its own outputs), which leaves its files unprotected: refuse
/// it when it holds any file this run would not write itself, as a folder
/// of the user's data would (`--out photos/2020` for `photos`), where a
/// rerun's folder holds only this run's outputs.
fn check_out_inside_inputs(
    inputs: &[PathBuf],
    out: &Path,
    sources: &[Source],
    copies: u32,
) -> Result<()> {
    if !out.is_dir() {
        return Ok(());
    }
    let Some(input) = inputs.iter().find(|input| {
        input.is_dir() && files::resolved(input).is_ok_and(|root| out.starts_with(root))
    }) else {
        return Ok(());
    };
    let ours: std::collections::HashSet<PathBuf> = sources
        .iter()
        .flat_map(|s| (0..copies).flat_map(|copy| s.outputs(copy)))
        .collect();
    let foreign = walkdir::WalkDir::new(out)
        .sort_by_file_name()
        .into_iter()
        .filter_map(|e| e.ok())
        // Hidden files (a viewer's `.DS_Store`) are not data.
        .filter(|e| e.file_type().is_file() && !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.into_path())
        .find(|p| !files::resolved(p).is_ok_and(|p| ours.contains(&p)));
    if let Some(file) = foreign {
        bail!(
            "--out {} is inside the input folder {} and holds {}, which this run would not \
             write: its files are not read as inputs, so it looks like part of your data; \
             choose another --out (or empty this one)",
            out.display(),
            input.display(),
            file.display()
        );
    }
    Ok(())
}

/// Before anything is written: no output may be an input file (image or
/// target), and no two inputs may share an output. Output names are
/// `<stem>-<digits>...`, so two inputs share one copy's output exactly when
/// they share copy 0's; every copy is checked against the inputs.
fn check_outputs(sources: &[Source], copies: u32) -> Result<()> {
    let inputs: HashMap<PathBuf, &Path> = sources
        .iter()
        .flat_map(|s| {
            std::iter::once(s.path.as_path())
                .chain(s.sidecars.files.iter().map(|(_, p)| p.as_path()))
        })
        .filter_map(|p| files::resolved(p).ok().map(|r| (r, p)))
        .collect();
    let mut claimed: HashMap<PathBuf, &Path> = HashMap::new();
    for source in sources {
        for copy in 0..copies {
            for output in source.outputs(copy) {
                if let Some(input) = inputs.get(&output) {
                    bail!(
                        "{} would be written to {}, which is the input {}: refusing to \
                         overwrite an input (choose another --out)",
                        source.path.display(),
                        output.display(),
                        input.display()
                    );
                }
            }
        }
        for output in source.outputs(0) {
            if let Some(other) = claimed.insert(output.clone(), &source.path) {
                bail!(
                    "{} and {} would both be written to {}: rename one, or run them with \
                     different --out folders",
                    other.display(),
                    source.path.display(),
                    output.display()
                );
            }
        }
    }
    Ok(())
}
