//! The summary `cargo xtask dataset` prints: counts by kind, the size
//! distribution, bytes (ImageNet's JPEGs average about 110 KB for about
//! 400x350 pixels, roughly 0.8 bytes per pixel) and the time taken.

use super::plan::{Chroma, Format, PngKind, near_500x375};
use super::{Record, Report};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// Counts by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Kinds {
    /// JPEG files.
    pub jpeg: usize,
    /// Progressive JPEGs.
    pub progressive: usize,
    /// Colour JPEGs by chroma subsampling: 4:2:0, 4:2:2, 4:4:4.
    pub chroma: [usize; 3],
    /// Gray JPEGs.
    pub gray: usize,
    /// JPEGs by EXIF orientation (only values other than 1).
    pub orientation: BTreeMap<u8, usize>,
    /// PNG files by kind: RGB8, RGB16, palette, gray+alpha.
    pub png: [usize; 4],
}

impl Kinds {
    /// Counts the kinds among `records`.
    pub fn of(records: &[Record]) -> Kinds {
        let mut k = Kinds::default();
        for r in records {
            match r.format {
                Format::Jpeg(j) => {
                    k.jpeg += 1;
                    k.progressive += usize::from(j.progressive);
                    if j.gray {
                        k.gray += 1;
                    } else {
                        k.chroma[match j.chroma {
                            Chroma::S420 => 0,
                            Chroma::S422 => 1,
                            Chroma::S444 => 2,
                        }] += 1;
                    }
                    if j.orientation != 1 {
                        *k.orientation.entry(j.orientation).or_default() += 1;
                    }
                }
                Format::Png(p) => {
                    k.png[match p {
                        PngKind::Rgb8 => 0,
                        PngKind::Rgb16 => 1,
                        PngKind::Palette => 2,
                        PngKind::GrayAlpha => 3,
                    }] += 1;
                }
            }
        }
        k
    }
}

/// The value at quantile `q` of sorted `v` (nearest rank).
fn quantile(v: &[u64], q: f64) -> u64 {
    if v.is_empty() {
        return 0;
    }
    let rank = (q * (v.len() - 1) as f64 + 0.5) as usize;
    v[rank.min(v.len() - 1)]
}

fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1000.0)
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn pct(part: usize, whole: usize) -> String {
    format!("{:.1}%", 100.0 * part as f64 / whole.max(1) as f64)
}

/// Bytes per pixel over `records` (0 if none).
pub fn bytes_per_pixel<'a>(records: impl Iterator<Item = &'a Record>) -> f64 {
    let (bytes, pixels) = records.fold((0u64, 0u64), |(b, p), r| {
        (b + r.bytes, p + u64::from(r.size.0) * u64::from(r.size.1))
    });
    if pixels == 0 {
        0.0
    } else {
        bytes as f64 / pixels as f64
    }
}

/// The shards as WebDataset's brace notation, `shards/train-{0000..0003}.tar`.
fn brace_pattern(first: &str, last: &str) -> String {
    let numbers = |p: &str| {
        p.strip_suffix(".tar")
            .and_then(|p| p.rsplit_once('-'))
            .map(|(stem, n)| (stem.to_string(), n.to_string()))
    };
    match (numbers(first), numbers(last)) {
        _ if first == last => first.to_string(),
        (Some((stem, a)), Some((_, b))) => format!("{stem}-{{{a}..{b}}}.tar"),
        _ => format!("{first} .. {last}"),
    }
}

/// The summary text.
pub fn summary(out: &Path, report: &Report, total: Duration) -> String {
    let records = &report.records;
    let n = records.len();
    let k = Kinds::of(records);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "wrote {n} samples to {} in {:.2} s on {} threads (images {:.2} s, shards and lists {:.2} s)",
        out.display(),
        total.as_secs_f64(),
        report.threads,
        report.images_time.as_secs_f64(),
        report.shards_time.as_secs_f64(),
    );
    let orientations: Vec<String> = k
        .orientation
        .iter()
        .map(|(o, c)| format!("{o}: {c}"))
        .collect();
    let _ = writeln!(
        s,
        "  JPEG {}: {} progressive, {} gray; colour 4:2:0 {}, 4:2:2 {}, 4:4:4 {}; \
         EXIF orientation {} ({})",
        k.jpeg,
        k.progressive,
        k.gray,
        k.chroma[0],
        k.chroma[1],
        k.chroma[2],
        k.orientation.values().sum::<usize>(),
        orientations.join(", "),
    );
    let qualities: Vec<u8> = records
        .iter()
        .filter_map(|r| match r.format {
            Format::Jpeg(j) => Some(j.quality),
            Format::Png(_) => None,
        })
        .collect();
    let in_range = |lo: u8, hi: u8| {
        qualities
            .iter()
            .filter(|&&q| (lo..=hi).contains(&q))
            .count()
    };
    let _ = writeln!(
        s,
        "  JPEG quality: mean {:.1}; 75-82 {}, 83-89 {}, 90-95 {}",
        qualities.iter().map(|&q| f64::from(q)).sum::<f64>() / qualities.len().max(1) as f64,
        pct(in_range(75, 82), qualities.len()),
        pct(in_range(83, 89), qualities.len()),
        pct(in_range(90, 95), qualities.len()),
    );
    let _ = writeln!(
        s,
        "  PNG {}: RGB8 {}, RGB16 {}, palette {}, gray+alpha {}",
        k.png.iter().sum::<usize>(),
        k.png[0],
        k.png[1],
        k.png[2],
        k.png[3],
    );

    let near = records
        .iter()
        .filter(|r| near_500x375(r.size.0, r.size.1))
        .count();
    let portrait = records.iter().filter(|r| r.size.1 > r.size.0).count();
    const BUCKETS: [(u32, u32); 6] = [
        (300, 424),
        (425, 499),
        (500, 500),
        (501, 575),
        (576, 1000),
        (1001, 1600),
    ];
    let buckets: Vec<String> = BUCKETS
        .iter()
        .map(|&(lo, hi)| {
            let c = records
                .iter()
                .filter(|r| (lo..=hi).contains(&r.size.0.max(r.size.1)))
                .count();
            if lo == hi {
                format!("{lo}: {}", pct(c, n))
            } else {
                format!("{lo}-{hi}: {}", pct(c, n))
            }
        })
        .collect();
    let pixels: u64 = records
        .iter()
        .map(|r| u64::from(r.size.0) * u64::from(r.size.1))
        .sum();
    let _ = writeln!(
        s,
        "  sizes: {} within 15% of 500x375 (either way), {} portrait, mean {:.0} pixels",
        pct(near, n),
        pct(portrait, n),
        pixels as f64 / n.max(1) as f64,
    );
    let _ = writeln!(s, "  long side: {}", buckets.join(", "));

    let mut bytes: Vec<u64> = records.iter().map(|r| r.bytes).collect();
    bytes.sort_unstable();
    let total_bytes: u64 = bytes.iter().sum();
    let jpegs = || {
        records
            .iter()
            .filter(|r| matches!(r.format, Format::Jpeg(_)))
    };
    let jpeg_bytes: u64 = jpegs().map(|r| r.bytes).sum();
    let _ = writeln!(
        s,
        "  bytes: {} in files; per file mean {}, min {}, p10 {}, median {}, p90 {}, max {}",
        mb(total_bytes),
        kb(total_bytes / n.max(1) as u64),
        kb(quantile(&bytes, 0.0)),
        kb(quantile(&bytes, 0.1)),
        kb(quantile(&bytes, 0.5)),
        kb(quantile(&bytes, 0.9)),
        kb(quantile(&bytes, 1.0)),
    );
    let _ = writeln!(
        s,
        "  bytes per pixel: JPEG {:.3} (mean file {}), all files {:.3}",
        bytes_per_pixel(jpegs()),
        kb(jpeg_bytes / k.jpeg.max(1) as u64),
        bytes_per_pixel(records.iter()),
    );
    let shard_bytes: u64 = report.shards.iter().map(|s| s.bytes).sum();
    let pattern = match (report.shards.first(), report.shards.last()) {
        (Some(a), Some(b)) => brace_pattern(&a.path, &b.path),
        _ => String::new(),
    };
    let per_shard: Vec<usize> = report.shards.iter().map(|s| s.samples).collect();
    let _ = writeln!(
        s,
        "  shards: {} ({pattern}), {} samples each, {}",
        report.shards.len(),
        match (per_shard.iter().min(), per_shard.iter().max()) {
            (Some(lo), Some(hi)) if lo != hi => format!("{lo}-{hi}"),
            (Some(lo), _) => lo.to_string(),
            _ => "0".into(),
        },
        mb(shard_bytes),
    );
    let _ = writeln!(
        s,
        "  lists: train.csv, train.jsonl, classes.txt; ImageFolder tree under folder/"
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_ranges_print_in_brace_notation() {
        assert_eq!(
            brace_pattern("shards/train-0000.tar", "shards/train-0003.tar"),
            "shards/train-{0000..0003}.tar"
        );
        assert_eq!(
            brace_pattern("shards/train-0000.tar", "shards/train-0000.tar"),
            "shards/train-0000.tar"
        );
    }

    #[test]
    fn quantiles_take_the_nearest_rank() {
        let v = [1, 2, 3, 4, 5];
        assert_eq!(
            (quantile(&v, 0.0), quantile(&v, 0.5), quantile(&v, 1.0)),
            (1, 3, 5)
        );
        assert_eq!(quantile(&[], 0.5), 0);
    }
}
