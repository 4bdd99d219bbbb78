//! The plan: every sample's label, size and file kind, drawn from the seed
//! alone, before any pixel exists.
//!
//! Kinds are assigned by exact counts, not by independent coin flips: each
//! share of `n` is rounded to a count (at least one once `n >= 10`, so a
//! small test set still holds every kind) and that many samples are picked by
//! a seeded shuffle. Proportions then hold at any `n`, and the same seed gives
//! the same plan on every machine: the draws use only integer ranges and
//! `f32`/`f64` arithmetic that IEEE 754 rounds the same everywhere.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Class folder names, in label order (sorted, so ImageFolder's sort gives
/// the same labels): the ten WordNet ids of the Imagenette subset of ImageNet.
pub const CLASSES: [&str; 10] = [
    "n01440764",
    "n02102040",
    "n02979186",
    "n03000684",
    "n03028079",
    "n03394916",
    "n03417042",
    "n03425413",
    "n03445777",
    "n03888605",
];

/// Shares of the dataset, in per mille of `n`.
pub mod share {
    /// PNG files (the rest are JPEG).
    pub const PNG: u64 = 20;
    /// Single-component (grayscale) JPEGs.
    pub const GRAY: u64 = 50;
    /// Progressive JPEGs (SOF2).
    pub const PROGRESSIVE: u64 = 100;
    /// JPEGs whose pixels are stored rotated or mirrored, with an EXIF
    /// Orientation tag (2 to 8) that puts them upright.
    pub const EXIF: u64 = 50;
    /// Colour JPEGs with full-resolution chroma (4:4:4).
    pub const CHROMA_444: u64 = 150;
    /// Colour JPEGs with chroma halved horizontally only (4:2:2, as many
    /// cameras write); the remaining colour JPEGs are 4:2:0.
    pub const CHROMA_422: u64 = 50;
    /// Sizes within 15% of 500x375 (either orientation), as most of ImageNet.
    pub const TYPICAL_SIZE: u64 = 700;
}

/// The long side of every sample lies in this range (pixels, inclusive).
pub const LONG_SIDE: (u32, u32) = (300, 1600);

/// Chroma subsampling of a colour JPEG.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Chroma {
    /// Chroma at half resolution both ways (2x2 luma blocks per chroma block).
    S420,
    /// Chroma at half resolution horizontally.
    S422,
    /// Chroma at full resolution.
    S444,
}

/// How a JPEG sample is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JpegSpec {
    /// Quality, 75 to 95 (libjpeg scale).
    pub quality: u8,
    /// Chroma subsampling (ignored for gray).
    pub chroma: Chroma,
    /// Progressive (SOF2) rather than baseline (SOF0).
    pub progressive: bool,
    /// One component (luma only).
    pub gray: bool,
    /// EXIF Orientation, 1 to 8; 1 writes no EXIF segment.
    pub orientation: u8,
    /// The EXIF block's byte order (TIFF `MM` rather than `II`).
    pub exif_big_endian: bool,
}

/// The pixel format of a PNG sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PngKind {
    /// 8-bit RGB.
    Rgb8,
    /// 16-bit RGB.
    Rgb16,
    /// 8-bit indices into a 252-colour palette.
    Palette,
    /// 8-bit gray with an alpha channel (a soft vignette).
    GrayAlpha,
}

/// The order in which PNG kinds are handed out: half 8-bit RGB, and any
/// four consecutive PNGs cover every kind.
const PNG_CYCLE: [PngKind; 6] = [
    PngKind::Rgb8,
    PngKind::Rgb16,
    PngKind::Palette,
    PngKind::GrayAlpha,
    PngKind::Rgb8,
    PngKind::Rgb8,
];

/// A sample's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// A JPEG file.
    Jpeg(JpegSpec),
    /// A PNG file.
    Png(PngKind),
}

impl Format {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg(_) => "jpg",
            Format::Png(_) => "png",
        }
    }
}

/// One sample of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// Position in the dataset (the list files' order), from 0.
    pub index: u64,
    /// Label: an index into [`CLASSES`].
    pub label: usize,
    /// Upright width (as a viewer shows it, after any EXIF orientation).
    pub width: u32,
    /// Upright height.
    pub height: u32,
    /// Whether the size was drawn near 500x375 (else from the wide spread).
    pub typical: bool,
    /// File format and encoding settings.
    pub format: Format,
}

impl Spec {
    /// File name without extension: the class id and the zero-padded index,
    /// as ImageNet names its files. No dots, so WebDataset keys stay whole.
    pub fn key(&self, digits: usize) -> String {
        format!("{}_{:0digits$}", CLASSES[self.label], self.index)
    }
}

/// What each keyed ChaCha stream is for: the top byte of the stream number,
/// the sample index below, so no two draws share a stream.
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    /// Which samples get which kind; the shard order.
    Plan = 1,
    /// A sample's size and encoder settings.
    Spec = 2,
    /// A sample's pixels (crop, colour, noise).
    Pixels = 3,
}

/// The generator for `purpose` and `index`: ChaCha8 keyed by the seed.
pub fn rng(seed: u64, purpose: Purpose, index: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(((purpose as u64) << 56) | (index & ((1 << 56) - 1)));
    rng
}

/// Streams of [`Purpose::Plan`], one per decision.
mod step {
    pub const LABELS: u64 = 0;
    pub const PNG: u64 = 1;
    pub const TYPICAL: u64 = 2;
    pub const GRAY: u64 = 3;
    pub const PROGRESSIVE: u64 = 4;
    pub const EXIF: u64 = 5;
    pub const CHROMA_444: u64 = 6;
    pub const CHROMA_422: u64 = 7;
    pub const SHARD_ORDER: u64 = 8;
}

/// How many of `n` samples a share (per mille) gets: rounded, but at least
/// one once `n >= 10`.
pub fn count(n: u64, per_mille: u64) -> u64 {
    let rounded = (n * per_mille + 500) / 1000;
    if n >= 10 { rounded.max(1) } else { rounded }
}

/// A uniform permutation of `items` (Fisher-Yates, `u64` ranges so 32- and
/// 64-bit machines draw alike).
pub fn shuffle<T>(items: &mut [T], rng: &mut ChaCha8Rng) {
    for i in (1..items.len() as u64).rev() {
        let j = rng.random_range(0..=i);
        items.swap(i as usize, j as usize);
    }
}

/// Marks `k` of the `eligible` indices (all of them if fewer), chosen by a
/// seeded shuffle.
fn pick(eligible: &[u64], k: u64, n: u64, rng: &mut ChaCha8Rng) -> Vec<bool> {
    let mut order = eligible.to_vec();
    shuffle(&mut order, rng);
    let mut marked = vec![false; n as usize];
    for &i in order.iter().take(k as usize) {
        marked[i as usize] = true;
    }
    marked
}

/// The samples of a dataset of `n` from `seed`.
pub fn plan(seed: u64, n: u64) -> Vec<Spec> {
    let all: Vec<u64> = (0..n).collect();
    let step_rng = |step| rng(seed, Purpose::Plan, step);

    // Balanced classes, in seeded order.
    let mut labels: Vec<usize> = (0..n)
        .map(|i| (i % CLASSES.len() as u64) as usize)
        .collect();
    shuffle(&mut labels, &mut step_rng(step::LABELS));

    let png = pick(&all, count(n, share::PNG), n, &mut step_rng(step::PNG));
    let typical = pick(
        &all,
        count(n, share::TYPICAL_SIZE),
        n,
        &mut step_rng(step::TYPICAL),
    );
    let jpegs: Vec<u64> = all.iter().copied().filter(|&i| !png[i as usize]).collect();
    let gray = pick(&jpegs, count(n, share::GRAY), n, &mut step_rng(step::GRAY));
    let progressive = pick(
        &jpegs,
        count(n, share::PROGRESSIVE),
        n,
        &mut step_rng(step::PROGRESSIVE),
    );
    let exif = pick(&jpegs, count(n, share::EXIF), n, &mut step_rng(step::EXIF));
    let colour: Vec<u64> = jpegs
        .iter()
        .copied()
        .filter(|&i| !gray[i as usize])
        .collect();
    let s444 = pick(
        &colour,
        count(n, share::CHROMA_444),
        n,
        &mut step_rng(step::CHROMA_444),
    );
    let rest: Vec<u64> = colour
        .iter()
        .copied()
        .filter(|&i| !s444[i as usize])
        .collect();
    let s422 = pick(
        &rest,
        count(n, share::CHROMA_422),
        n,
        &mut step_rng(step::CHROMA_422),
    );

    let mut pngs_so_far = 0;
    all.iter()
        .map(|&index| {
            let i = index as usize;
            let mut r = rng(seed, Purpose::Spec, index);
            let (width, height) = if typical[i] {
                typical_size(&mut r)
            } else {
                spread_size(&mut r)
            };
            let format = if png[i] {
                let kind = PNG_CYCLE[pngs_so_far % PNG_CYCLE.len()];
                pngs_so_far += 1;
                Format::Png(kind)
            } else {
                let chroma = if s444[i] {
                    Chroma::S444
                } else if s422[i] {
                    Chroma::S422
                } else {
                    Chroma::S420
                };
                Format::Jpeg(JpegSpec {
                    quality: quality(&mut r),
                    chroma,
                    progressive: progressive[i],
                    gray: gray[i],
                    orientation: if exif[i] { r.random_range(2..=8) } else { 1 },
                    exif_big_endian: r.random_bool(0.5),
                })
            };
            Spec {
                index,
                label: labels[i],
                width,
                height,
                typical: typical[i],
                format,
            }
        })
        .collect()
}

/// The order of samples across the tar shards: a seeded permutation.
pub fn shard_order(seed: u64, n: u64) -> Vec<u64> {
    let mut order: Vec<u64> = (0..n).collect();
    shuffle(&mut order, &mut rng(seed, Purpose::Plan, step::SHARD_ORDER));
    order
}

/// Whether a size is within 15% of 500x375 in either orientation.
pub fn near_500x375(width: u32, height: u32) -> bool {
    let (long, short) = (width.max(height), width.min(height));
    // |long - 500| <= 75 and |short - 375| <= 56.25, in integers.
    long.abs_diff(500) * 100 <= 15 * 500 && short.abs_diff(375) * 100 <= 15 * 375
}

/// A JPEG quality from 75 to 95, skewed high as photo sites encode: half
/// 90 to 95, 30% 83 to 89, 20% 75 to 82.
fn quality(rng: &mut ChaCha8Rng) -> u8 {
    match rng.random_range(0..10u32) {
        0..5 => rng.random_range(90..=95),
        5..8 => rng.random_range(83..=89),
        _ => rng.random_range(75..=82),
    }
}

/// Orients a (long, short) pair: a fifth of ImageNet-like photos are portrait.
fn orient(long: u32, short: u32, rng: &mut ChaCha8Rng) -> (u32, u32) {
    if rng.random_bool(0.2) {
        (short, long)
    } else {
        (long, short)
    }
}

/// A size near 500x375: Flickr's 500-pixel "medium" size dominates ImageNet,
/// at 4:3 and 3:2 mostly.
fn typical_size(rng: &mut ChaCha8Rng) -> (u32, u32) {
    let long = if rng.random_bool(0.55) {
        500
    } else {
        rng.random_range(430..=570)
    };
    let short = match rng.random_range(0..100u32) {
        0..45 => 375,
        45..70 => 333,
        _ => rng.random_range(320..=430),
    };
    orient(long, short, rng)
}

/// A size from the wide spread, outside the typical window: long sides
/// 300 to 1600 weighted towards the small end, aspect 1:1 to 2.2:1.
fn spread_size(rng: &mut ChaCha8Rng) -> (u32, u32) {
    // (weight in per cent, long-side range)
    const BUCKETS: [(u32, (u32, u32)); 5] = [
        (45, (LONG_SIDE.0, 424)),
        (10, (425, 575)),
        (25, (576, 800)),
        (12, (801, 1200)),
        (8, (1201, LONG_SIDE.1)),
    ];
    for _ in 0..16 {
        let mut pick = rng.random_range(0..100u32);
        let mut range = BUCKETS[0].1;
        for (weight, r) in BUCKETS {
            range = r;
            if pick < weight {
                break;
            }
            pick -= weight;
        }
        let long = rng.random_range(range.0..=range.1);
        let aspect: f64 = if rng.random_bool(0.1) {
            1.0
        } else {
            rng.random_range(1.05..2.2)
        };
        // Round half up; long / aspect >= 300 / 2.2 > 136, so short >= 1.
        let short = (f64::from(long) / aspect + 0.5) as u32;
        if !near_500x375(long, short) {
            return orient(long, short, rng);
        }
    }
    orient(640, 480, rng)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_round_and_keep_every_kind_once_n_is_ten() {
        assert_eq!(count(2000, share::PNG), 40);
        assert_eq!(count(2000, share::TYPICAL_SIZE), 1400);
        assert_eq!(count(24, share::PNG), 1);
        assert_eq!(count(9, share::PNG), 0);
        assert_eq!(count(0, share::PNG), 0);
    }

    #[test]
    fn the_plan_holds_the_shares_and_the_size_window() {
        let n = 2000;
        let specs = plan(7, n);
        assert_eq!(specs.len(), 2000);
        let jpegs: Vec<JpegSpec> = specs
            .iter()
            .filter_map(|s| match s.format {
                Format::Jpeg(j) => Some(j),
                Format::Png(_) => None,
            })
            .collect();
        assert_eq!(jpegs.len(), 1960);
        assert_eq!(jpegs.iter().filter(|j| j.gray).count(), 100);
        assert_eq!(jpegs.iter().filter(|j| j.progressive).count(), 200);
        assert_eq!(jpegs.iter().filter(|j| j.orientation != 1).count(), 100);
        let colour = jpegs.iter().filter(|j| !j.gray);
        let chroma = |c| colour.clone().filter(|j| j.chroma == c).count();
        assert_eq!((chroma(Chroma::S444), chroma(Chroma::S422)), (300, 100));
        assert!(jpegs.iter().all(|j| (75..=95).contains(&j.quality)));
        assert!(jpegs.iter().all(|j| (1..=8).contains(&j.orientation)));
        for s in &specs {
            let long = s.width.max(s.height);
            assert!((LONG_SIDE.0..=LONG_SIDE.1).contains(&long), "{s:?}");
            assert_eq!(s.typical, near_500x375(s.width, s.height), "{s:?}");
        }
        let mut per_class = [0; CLASSES.len()];
        for s in &specs {
            per_class[s.label] += 1;
        }
        assert_eq!(per_class, [200; 10]);
        let mut sorted = CLASSES;
        sorted.sort_unstable();
        assert_eq!(sorted, CLASSES, "labels follow the sorted folder names");
    }

    #[test]
    fn the_plan_depends_on_the_seed_only() {
        assert_eq!(plan(3, 100), plan(3, 100));
        assert_ne!(plan(3, 100), plan(4, 100));
        let mut order = shard_order(3, 100);
        order.sort_unstable();
        assert_eq!(order, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn the_typical_window_is_fifteen_per_cent_of_500x375() {
        assert!(near_500x375(500, 375) && near_500x375(375, 500));
        assert!(near_500x375(575, 319) && near_500x375(425, 431));
        assert!(!near_500x375(576, 375) && !near_500x375(500, 318));
        assert!(!near_500x375(500, 432));
    }
}
