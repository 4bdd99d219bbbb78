//! `cargo xtask dataset`: a synthetic, ImageNet-like dataset for the loader
//! and the end-to-end benches, written deterministically from a seed.
//!
//! Layout under `--out DIR`:
//!
//! - `folder/<class>/<key>.jpg` (or `.png`): the ImageFolder layout; ten
//!   classes whose sorted names give the labels 0 to 9;
//! - `shards/train-0000.tar`, …: the same samples in the WebDataset layout
//!   (`key.jpg` + `key.cls`, the label as decimal text), in a seeded shuffled
//!   order, about `n / shards` per shard;
//! - `train.csv` (`path,label`), `train.jsonl` (`{"path":…,"label":…}`), paths
//!   relative to `DIR`, in key order; `classes.txt`, one class per line.
//!
//! Files are JPEGs of 300 to 1600 pixels on the long side, 70% within 15% of
//! 500x375; quality 75 to 95; mostly 4:2:0, some 4:4:4 and 4:2:2; 10%
//! progressive, 5% gray, 5% stored rotated or mirrored under an EXIF
//! Orientation tag; 2% PNG (8-bit RGB, 16-bit RGB, palette, gray+alpha). The
//! shares are exact counts (see [`plan`]).
//!
//! Determinism: sample `k` draws from ChaCha8 keyed by the seed on its own
//! stream, pixels use portable `f32` arithmetic, the JPEG encoder runs its
//! portable integer path, tar headers carry fixed owners and times. The same
//! seed therefore writes byte-identical files on any machine and with any
//! number of threads.

mod encode;
mod plan;
mod render;
mod stats;
mod write;

use crate::workspace::Workspace;
use anyhow::{Context, Result, ensure};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use plan::{CLASSES, Format};
pub use render::Photo;

/// The most samples one run writes: ten ImageNets, about 1.5 TB; beyond
/// that a typo is likelier than a wish (and the plan is held in memory).
pub const MAX_SAMPLES: u64 = 12_800_000;

/// Samples per shard when `--shards` is not given.
pub const DEFAULT_SHARD_SIZE: u64 = 500;

/// What `cargo xtask dataset` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// Output directory.
    pub out: PathBuf,
    /// Number of samples.
    pub n: u64,
    /// Seed of every draw.
    pub seed: u64,
    /// Number of tar shards (default: one per [`DEFAULT_SHARD_SIZE`] samples).
    pub shards: Option<u64>,
    /// Replace this command's earlier output in a non-empty `out`.
    pub force: bool,
}

/// One written sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// WebDataset key and file stem.
    pub key: String,
    /// Label (index into [`CLASSES`]).
    pub label: usize,
    /// Path relative to the output directory, `/`-separated.
    pub path: String,
    /// Upright width and height.
    pub size: (u32, u32),
    /// Width and height as stored (swapped by a quarter-turn orientation).
    pub stored: (u32, u32),
    /// Format and encoder settings.
    pub format: Format,
    /// File size in bytes.
    pub bytes: u64,
}

impl Record {
    /// The image's extension.
    pub fn ext(&self) -> &'static str {
        self.format.extension()
    }
}

/// One written shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    /// Path relative to the output directory.
    pub path: String,
    /// Samples in it.
    pub samples: usize,
    /// Archive size in bytes.
    pub bytes: u64,
}

/// What a run wrote, and how long it took.
#[derive(Debug, Clone)]
pub struct Report {
    /// The samples, in key order.
    pub records: Vec<Record>,
    /// The shards, in order.
    pub shards: Vec<Shard>,
    /// Rendering, encoding and writing the folder tree.
    pub images_time: Duration,
    /// Writing the shards and the list files.
    pub shards_time: Duration,
    /// Threads in the pool that ran it.
    pub threads: usize,
}

/// Runs `cargo xtask dataset` and prints the summary.
pub fn run(ws: &Workspace, opts: &Options) -> Result<()> {
    let photos = render::load_photos(&ws.root.join("assets"))?;
    let start = Instant::now();
    let report = generate(&photos, opts)?;
    print!("{}", stats::summary(&opts.out, &report, start.elapsed()));
    Ok(())
}

/// Decimal digits of `v` (at least 1).
fn digits(v: u64) -> usize {
    v.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// Writes the dataset `opts` asks for, cut from `photos`, on the current
/// rayon pool.
pub fn generate(photos: &[Photo], opts: &Options) -> Result<Report> {
    let n = opts.n;
    ensure!(
        (1..=MAX_SAMPLES).contains(&n),
        "--n must be between 1 and {MAX_SAMPLES}, got {n}"
    );
    ensure!(!photos.is_empty(), "no source photographs");
    let shards = opts.shards.unwrap_or(n.div_ceil(DEFAULT_SHARD_SIZE));
    ensure!(
        (1..=n).contains(&shards),
        "--shards must be between 1 and the number of samples ({n}), got {shards}"
    );
    let out = opts.out.as_path();
    write::prepare(out, opts.force)?;

    let start = Instant::now();
    let specs = plan::plan(opts.seed, n);
    let key_digits = digits(n - 1).max(6);
    write::new_dir(&out.join("folder"))?;
    for class in CLASSES {
        write::new_dir(&out.join("folder").join(class))?;
    }
    let records = specs
        .par_iter()
        .map(|spec| {
            let mut rng = plan::rng(opts.seed, plan::Purpose::Pixels, spec.index);
            let picture =
                render::render(photos, spec.width as usize, spec.height as usize, &mut rng);
            let (bytes, sw, sh) = encode::encode(&picture, spec.format)
                .with_context(|| format!("encoding sample {}", spec.index))?;
            let key = spec.key(key_digits);
            let path = format!(
                "folder/{}/{key}.{}",
                CLASSES[spec.label],
                spec.format.extension()
            );
            write::write_new(&out.join(&path), &bytes)?;
            Ok(Record {
                key,
                label: spec.label,
                path,
                size: (spec.width, spec.height),
                stored: (sw as u32, sh as u32),
                format: spec.format,
                bytes: bytes.len() as u64,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let images_time = start.elapsed();

    let start = Instant::now();
    let shard_list = write_shards(out, opts.seed, &records, shards)?;
    write_lists(out, &records)?;
    Ok(Report {
        records,
        shards: shard_list,
        images_time,
        shards_time: start.elapsed(),
        threads: rayon::current_num_threads(),
    })
}

/// The shard file name: `train-0000.tar`, wider past 10000 shards.
fn shard_name(index: u64, shards: u64) -> String {
    let width = digits(shards - 1).max(4);
    format!("train-{index:0width$}.tar")
}

fn write_shards(out: &Path, seed: u64, records: &[Record], shards: u64) -> Result<Vec<Shard>> {
    write::new_dir(&out.join("shards"))?;
    let order = plan::shard_order(seed, records.len() as u64);
    let n = order.len() as u64;
    (0..shards)
        .into_par_iter()
        .map(|s| {
            // Shard s takes order[s * n / shards .. (s + 1) * n / shards]:
            // sizes differ by at most one.
            let (lo, hi) = ((s * n / shards) as usize, ((s + 1) * n / shards) as usize);
            let paths: Vec<PathBuf> = order[lo..hi]
                .iter()
                .map(|&i| out.join(&records[i as usize].path))
                .collect();
            let members: Vec<write::Member> = order[lo..hi]
                .iter()
                .zip(&paths)
                .map(|(&i, image)| {
                    let r = &records[i as usize];
                    write::Member {
                        key: &r.key,
                        ext: r.ext(),
                        image,
                        label: r.label,
                    }
                })
                .collect();
            let path = format!("shards/{}", shard_name(s, shards));
            let bytes = write::shard(&out.join(&path), &members)?;
            Ok(Shard {
                path,
                samples: members.len(),
                bytes,
            })
        })
        .collect()
}

/// A JSONL line; a struct (not a map) keeps `path` before `label`.
#[derive(serde::Serialize)]
struct ListLine<'a> {
    path: &'a str,
    label: usize,
}

fn write_lists(out: &Path, records: &[Record]) -> Result<()> {
    let mut csv = String::from("path,label\n");
    let mut jsonl = String::new();
    for r in records {
        // Paths are ASCII letters, digits, `_`, `/` and `.`: no CSV quoting needed.
        csv.push_str(&format!("{},{}\n", r.path, r.label));
        jsonl.push_str(&serde_json::to_string(&ListLine {
            path: &r.path,
            label: r.label,
        })?);
        jsonl.push('\n');
    }
    write::write_new(&out.join("train.csv"), csv.as_bytes())?;
    write::write_new(&out.join("train.jsonl"), jsonl.as_bytes())?;
    write::write_new(
        &out.join("classes.txt"),
        (CLASSES.join("\n") + "\n").as_bytes(),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests;
