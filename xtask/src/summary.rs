//! The machine-readable record of one bench run: what was measured, per
//! output element or per image, on which kernel path and revision. The same
//! format is the history under `target/bench-history/` and the committed
//! `benches/baseline.json`.

use crate::criterion::{Measured, Throughput};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Version of the file format, bumped when a field changes meaning.
pub const SCHEMA: u32 = 1;

/// Prefix of our function ids inside a criterion group; every other
/// function in the group is a peer (named by its crate: `image`,
/// `imageproc`, `fast_image_resize`, `libblur`, `naive_chain`, …).
pub const OURS_PREFIX: &str = "augment";

/// What a bench's throughput counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Output elements (pixels): reported as ns per element.
    Element,
    /// Whole images (pipeline benches): reported as images per second.
    Image,
    /// Bytes.
    Byte,
    /// Bits.
    Bit,
    /// No throughput set: ns per iteration.
    Iteration,
}

impl Unit {
    /// Short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Unit::Element => "px",
            Unit::Image => "img",
            Unit::Byte => "B",
            Unit::Bit => "bit",
            Unit::Iteration => "iter",
        }
    }
}

/// Whether a group measures whole images rather than pixels: everything the
/// `pipeline` and `load` bench targets run, or (when the target is unknown,
/// as when summarising an existing criterion directory) a group named
/// `pipeline…` or `load…`.
pub fn is_image_group(bench_target: Option<&str>, group: &str) -> bool {
    match bench_target {
        Some(target) => target == "pipeline" || target == "load",
        None => {
            let group = group.to_ascii_lowercase();
            group.starts_with("pipeline") || group.starts_with("load")
        }
    }
}

/// One benchmark in a summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// `group/function/parameter`.
    pub id: String,
    /// Criterion group: one operation on one format.
    pub group: String,
    /// Function id: `augment…` for ours, a peer crate's name otherwise.
    pub function: Option<String>,
    /// Benchmark parameter (e.g. a size), if any.
    pub parameter: Option<String>,
    /// The bench target (`sample`, `filter`, `pipeline`) that ran it, if known.
    pub bench: Option<String>,
    /// What `count` counts.
    pub unit: Unit,
    /// Units processed per iteration.
    pub count: u64,
    /// Median time per iteration, ns.
    pub ns_per_iter: f64,
    /// 95% confidence interval of the median, ns per iteration.
    pub ns_per_iter_ci: [f64; 2],
    /// Median ns per unit (`ns_per_iter / count`): the figure every
    /// comparison uses, lower is better.
    pub ns_per_unit: f64,
    /// ns per output element, for element benches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ns_per_element: Option<f64>,
    /// Images per second, for pipeline benches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images_per_second: Option<f64>,
}

impl Entry {
    /// Builds the entry for a criterion result; `bench` is the target that ran it.
    pub fn from_measured(m: &Measured, bench: Option<&str>) -> Entry {
        let (unit, count) = match m.throughput {
            None => (Unit::Iteration, 1),
            Some(Throughput::Elements(n)) if is_image_group(bench, &m.group) => (Unit::Image, n),
            Some(Throughput::Elements(n)) => (Unit::Element, n),
            Some(Throughput::Bytes(n)) => (Unit::Byte, n),
            Some(Throughput::Bits(n)) => (Unit::Bit, n),
        };
        // A zero count would make every ratio infinite; treat it as per iteration.
        let (unit, count) = if count == 0 {
            (Unit::Iteration, 1)
        } else {
            (unit, count)
        };
        let ns_per_unit = m.median_ns / count as f64;
        Entry {
            id: m.id(),
            group: m.group.clone(),
            function: m.function.clone(),
            parameter: m.parameter.clone(),
            bench: bench.map(str::to_string),
            unit,
            count,
            ns_per_iter: m.median_ns,
            ns_per_iter_ci: [m.median_ci_ns.0, m.median_ci_ns.1],
            ns_per_unit,
            ns_per_element: (unit == Unit::Element).then_some(ns_per_unit),
            images_per_second: (unit == Unit::Image && ns_per_unit > 0.0)
                .then(|| 1e9 / ns_per_unit),
        }
    }

    /// Ours (`augment…`) rather than a peer.
    pub fn is_ours(&self) -> bool {
        self.function
            .as_deref()
            .is_none_or(|f| f.starts_with(OURS_PREFIX))
    }

    /// The figure to show: ns per element, images/s, or ns per unit.
    pub fn headline(&self) -> String {
        match self.images_per_second {
            Some(ips) => format!("{ips:.1} img/s"),
            None => format!("{} ns/{}", format_ns(self.ns_per_unit), self.unit.label()),
        }
    }
}

/// Three significant digits, whatever the magnitude.
pub fn format_ns(ns: f64) -> String {
    if ns >= 100.0 {
        format!("{ns:.0}")
    } else if ns >= 10.0 {
        format!("{ns:.1}")
    } else if ns >= 1.0 {
        format!("{ns:.2}")
    } else {
        format!("{ns:.3}")
    }
}

/// One bench run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// [`SCHEMA`] at the time of writing.
    pub schema: u32,
    /// `git rev-parse --short=12 HEAD`.
    pub revision: String,
    /// Whether tracked files differed from `revision` (others edit this checkout too).
    pub dirty: bool,
    /// UTC time the run started, RFC 3339.
    pub date: String,
    /// Kernel path the benches ran on (`geom::Isa::name`).
    pub isa: String,
    /// Whether criterion ran with the short `--quick` settings.
    pub quick: bool,
    /// Logical CPUs of the machine.
    pub cpus: usize,
    /// Every result, sorted by id.
    pub benches: Vec<Entry>,
}

impl Summary {
    /// Reads a summary written by [`Summary::write`].
    pub fn read(path: &Path) -> Result<Summary> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let summary: Summary = serde_json::from_slice(&bytes)
            .with_context(|| format!("parsing {}", path.display()))?;
        anyhow::ensure!(
            summary.schema == SCHEMA,
            "{} has schema {}, this xtask reads {SCHEMA}",
            path.display(),
            summary.schema
        );
        Ok(summary)
    }

    /// Writes pretty JSON (diffable when committed), creating parent directories.
    pub fn write(&self, path: &Path) -> Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        let mut json = serde_json::to_string_pretty(self)?;
        json.push('\n');
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))
    }

    /// The entry with this id.
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.benches.iter().find(|e| e.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    fn measured(group: &str, function: Option<&str>, throughput: Option<Throughput>) -> Measured {
        Measured {
            group: group.into(),
            function: function.map(Into::into),
            parameter: None,
            throughput,
            median_ns: 2_000_000.0,
            median_ci_ns: (1_900_000.0, 2_100_000.0),
            mean_ns: 2_050_000.0,
            written: SystemTime::now(),
            dir: "x".into(),
        }
    }

    #[test]
    fn elements_give_ns_per_pixel() {
        let m = measured(
            "warp_affine_rgb_u8",
            Some("augment"),
            Some(Throughput::Elements(1_000_000)),
        );
        let e = Entry::from_measured(&m, Some("sample"));
        assert_eq!(e.unit, Unit::Element);
        assert_eq!(e.ns_per_element, Some(2.0));
        assert_eq!(e.images_per_second, None);
        assert_eq!(e.headline(), "2.00 ns/px");
    }

    #[test]
    fn pipeline_benches_give_images_per_second() {
        // 8 images in 2 ms: 4000 images/s, whether the target or the group name says so.
        let m = measured(
            "augment_batch",
            Some("augment"),
            Some(Throughput::Elements(8)),
        );
        let e = Entry::from_measured(&m, Some("pipeline"));
        assert_eq!(e.unit, Unit::Image);
        assert_eq!(e.images_per_second, Some(4000.0));
        assert_eq!(e.ns_per_element, None);
        let m = measured(
            "Pipeline_rgb",
            Some("naive_chain"),
            Some(Throughput::Elements(8)),
        );
        assert_eq!(Entry::from_measured(&m, None).unit, Unit::Image);
        // The loader's target and groups count images too.
        let m = measured(
            "load_rrc_224",
            Some("zune_jpeg"),
            Some(Throughput::Elements(8)),
        );
        assert_eq!(Entry::from_measured(&m, Some("load")).unit, Unit::Image);
        assert_eq!(Entry::from_measured(&m, None).unit, Unit::Image);
        // A pixel group in the sample target stays per pixel even if named oddly.
        let m = measured(
            "pipeline_like",
            Some("augment"),
            Some(Throughput::Elements(8)),
        );
        assert_eq!(Entry::from_measured(&m, Some("sample")).unit, Unit::Element);
    }

    #[test]
    fn no_or_zero_throughput_is_per_iteration() {
        let e = Entry::from_measured(&measured("g", None, None), Some("sample"));
        assert_eq!((e.unit, e.count, e.ns_per_unit), (Unit::Iteration, 1, 2e6));
        let e = Entry::from_measured(
            &measured("g", Some("augment"), Some(Throughput::Elements(0))),
            None,
        );
        assert_eq!((e.unit, e.count), (Unit::Iteration, 1));
        assert!(e.ns_per_unit.is_finite());
    }

    #[test]
    fn ours_is_the_augment_prefix() {
        let ours = Entry::from_measured(&measured("g", Some("augment_avx2"), None), None);
        let peer = Entry::from_measured(&measured("g", Some("fast_image_resize"), None), None);
        assert!(ours.is_ours());
        assert!(!peer.is_ours());
    }

    #[test]
    fn summary_round_trips_through_json_and_checks_the_schema() -> Result<()> {
        let tmp = tempfile::tempdir()?;
        let path = tmp.path().join("deep/dir/run.json");
        let summary = Summary {
            schema: SCHEMA,
            revision: "abc".into(),
            dirty: false,
            date: "2026-01-01T00:00:00Z".into(),
            isa: "avx2".into(),
            quick: true,
            cpus: 2,
            benches: vec![Entry::from_measured(
                &measured("g", Some("augment"), Some(Throughput::Elements(4))),
                Some("sample"),
            )],
        };
        summary.write(&path)?;
        assert_eq!(Summary::read(&path)?, summary);
        let mut old = summary.clone();
        old.schema = SCHEMA + 1;
        old.write(&path)?;
        assert!(Summary::read(&path).is_err());
        Ok(())
    }
}
