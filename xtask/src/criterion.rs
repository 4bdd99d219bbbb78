//! Reading what criterion leaves on disk: for every benchmark it ran,
//! `<criterion dir>/<group>/<function>[/<parameter>]/new/benchmark.json`
//! (the id and throughput) beside `new/estimates.json` (the statistics, in
//! nanoseconds per iteration).
//!
//! Only the fields this tool needs are read, and a throughput kind it does
//! not know is kept as "per iteration" rather than refused, so a criterion
//! upgrade or an unusual bench cannot break the summary of the others.

use anyhow::{Context, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// What one iteration of a benchmark processes, as criterion recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throughput {
    /// `Throughput::Elements(n)` (or the element half of `ElementsAndBytes`).
    Elements(u64),
    /// `Throughput::Bytes(n)` or `BytesDecimal(n)`.
    Bytes(u64),
    /// `Throughput::Bits(n)`.
    Bits(u64),
}

/// One benchmark result read from criterion's output.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// Criterion's group id (for `bench_function` outside a group, the name).
    pub group: String,
    /// The function id inside the group: `augment…` for ours, the peer's crate name otherwise.
    pub function: Option<String>,
    /// The parameter of `BenchmarkId::new(function, parameter)`, if any.
    pub parameter: Option<String>,
    /// What one iteration processes; `None` when the bench set no throughput.
    pub throughput: Option<Throughput>,
    /// Median time per iteration, ns.
    pub median_ns: f64,
    /// 95% confidence interval of the median, ns.
    pub median_ci_ns: (f64, f64),
    /// Mean time per iteration, ns.
    pub mean_ns: f64,
    /// When criterion wrote the estimates (to tell this run's results from older ones).
    pub written: SystemTime,
    /// The `new/` directory the result was read from.
    pub dir: PathBuf,
}

impl Measured {
    /// `group/function/parameter`, as criterion prints it.
    pub fn id(&self) -> String {
        let mut id = self.group.clone();
        for part in [&self.function, &self.parameter].into_iter().flatten() {
            id.push('/');
            id.push_str(part);
        }
        id
    }
}

#[derive(Deserialize)]
struct BenchmarkJson {
    group_id: String,
    function_id: Option<String>,
    value_str: Option<String>,
    #[serde(default)]
    throughput: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct EstimateJson {
    confidence_interval: IntervalJson,
    point_estimate: f64,
}

#[derive(Deserialize)]
struct IntervalJson {
    lower_bound: f64,
    upper_bound: f64,
}

#[derive(Deserialize)]
struct EstimatesJson {
    mean: EstimateJson,
    median: EstimateJson,
}

/// Criterion serialises its `Throughput` enum externally tagged:
/// `{"Elements": 50176}`, `{"ElementsAndBytes": {"elements": 4, "bytes": 9}}`.
fn parse_throughput(value: &serde_json::Value) -> Option<Throughput> {
    let (kind, n) = value.as_object()?.iter().next()?;
    let count = |v: &serde_json::Value| v.as_u64();
    match kind.as_str() {
        "Elements" => count(n).map(Throughput::Elements),
        "ElementsAndBytes" => n.get("elements").and_then(count).map(Throughput::Elements),
        "Bytes" | "BytesDecimal" => count(n).map(Throughput::Bytes),
        "Bits" => count(n).map(Throughput::Bits),
        _ => None,
    }
}

/// Reads one result from a criterion `new/` directory.
pub fn read_result(new_dir: &Path) -> Result<Measured> {
    let bench_path = new_dir.join("benchmark.json");
    let estimates_path = new_dir.join("estimates.json");
    let bench: BenchmarkJson = serde_json::from_slice(
        &std::fs::read(&bench_path).with_context(|| format!("reading {}", bench_path.display()))?,
    )
    .with_context(|| format!("parsing {}", bench_path.display()))?;
    let estimates: EstimatesJson = serde_json::from_slice(
        &std::fs::read(&estimates_path)
            .with_context(|| format!("reading {}", estimates_path.display()))?,
    )
    .with_context(|| format!("parsing {}", estimates_path.display()))?;
    let written = std::fs::metadata(&estimates_path)
        .and_then(|m| m.modified())
        .with_context(|| format!("reading the time of {}", estimates_path.display()))?;
    let median = &estimates.median;
    Ok(Measured {
        group: bench.group_id,
        function: bench.function_id,
        parameter: bench.value_str,
        throughput: bench.throughput.as_ref().and_then(parse_throughput),
        median_ns: median.point_estimate,
        median_ci_ns: (
            median.confidence_interval.lower_bound,
            median.confidence_interval.upper_bound,
        ),
        mean_ns: estimates.mean.point_estimate,
        written,
        dir: new_dir.to_path_buf(),
    })
}

/// Every result under `criterion_dir` written at or after `since` (all of
/// them if `None`), sorted by id. Saved baselines (`base/`, named ones) and
/// the HTML reports are skipped; only `new/` holds the latest run. A result
/// that cannot be read is reported in the second list, not fatal.
pub fn collect(
    criterion_dir: &Path,
    since: Option<SystemTime>,
) -> (Vec<Measured>, Vec<anyhow::Error>) {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    if !criterion_dir.is_dir() {
        return (found, problems);
    }
    let entries = walkdir::WalkDir::new(criterion_dir)
        .into_iter()
        .filter_entry(|e| e.file_name() != "report");
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                problems.push(e.into());
                continue;
            }
        };
        if entry.file_name() != "benchmark.json" {
            continue;
        }
        let Some(new_dir) = entry.path().parent() else {
            continue;
        };
        if new_dir.file_name().is_none_or(|n| n != "new") {
            continue;
        }
        match read_result(new_dir) {
            Ok(m) if since.is_none_or(|t| m.written >= t) => found.push(m),
            Ok(_) => {}
            Err(e) => problems.push(e),
        }
    }
    found.sort_by_key(Measured::id);
    (found, problems)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::time::Duration;

    /// Writes a result the way criterion 0.8 does (field order, nulls, extra
    /// fields and all), so the tests read the real shape.
    pub(crate) fn write_fake(
        root: &Path,
        group: &str,
        function: Option<&str>,
        parameter: Option<&str>,
        throughput: &str,
        median_ns: f64,
    ) -> Result<PathBuf> {
        let mut dir = root.join(group);
        for part in [function, parameter].into_iter().flatten() {
            dir.push(part);
        }
        let new_dir = dir.join("new");
        std::fs::create_dir_all(&new_dir)?;
        let quoted = |s: Option<&str>| s.map_or("null".to_string(), |s| format!("\"{s}\""));
        let full_id = [Some(group), function, parameter]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("/");
        std::fs::write(
            new_dir.join("benchmark.json"),
            format!(
                r#"{{"group_id":"{group}","function_id":{},"value_str":{},"throughput":{throughput},"full_id":"{full_id}","directory_name":"{full_id}","title":"{full_id}"}}"#,
                quoted(function),
                quoted(parameter),
            ),
        )?;
        let estimate = |v: f64| {
            format!(
                r#"{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":{},"upper_bound":{}}},"point_estimate":{v},"standard_error":1.0}}"#,
                v * 0.98,
                v * 1.02
            )
        };
        std::fs::write(
            new_dir.join("estimates.json"),
            format!(
                r#"{{"mean":{},"median":{},"median_abs_dev":{},"slope":null,"std_dev":{}}}"#,
                estimate(median_ns * 1.01),
                estimate(median_ns),
                estimate(median_ns * 0.01),
                estimate(median_ns * 0.02),
            ),
        )?;
        Ok(new_dir)
    }

    #[test]
    fn reads_ids_throughput_and_median() -> Result<()> {
        let tmp = tempfile::tempdir()?;
        let dir = write_fake(
            tmp.path(),
            "warp_affine_rgb_u8",
            Some("augment"),
            Some("224x224"),
            r#"{"Elements":50176}"#,
            25088.0,
        )?;
        let m = read_result(&dir)?;
        assert_eq!(m.group, "warp_affine_rgb_u8");
        assert_eq!(m.function.as_deref(), Some("augment"));
        assert_eq!(m.parameter.as_deref(), Some("224x224"));
        assert_eq!(m.id(), "warp_affine_rgb_u8/augment/224x224");
        assert_eq!(m.throughput, Some(Throughput::Elements(50176)));
        assert_eq!(m.median_ns, 25088.0);
        assert!((m.mean_ns - 25088.0 * 1.01).abs() < 1e-6);
        assert!(m.median_ci_ns.0 < m.median_ns && m.median_ns < m.median_ci_ns.1);
        Ok(())
    }

    #[test]
    fn every_throughput_kind_is_understood_and_unknown_ones_are_not_fatal() {
        let parse = |s: &str| {
            serde_json::from_str::<serde_json::Value>(s)
                .ok()
                .as_ref()
                .and_then(parse_throughput)
        };
        assert_eq!(parse(r#"{"Elements":7}"#), Some(Throughput::Elements(7)));
        assert_eq!(
            parse(r#"{"ElementsAndBytes":{"elements":3,"bytes":12}}"#),
            Some(Throughput::Elements(3))
        );
        assert_eq!(parse(r#"{"Bytes":9}"#), Some(Throughput::Bytes(9)));
        assert_eq!(parse(r#"{"BytesDecimal":9}"#), Some(Throughput::Bytes(9)));
        assert_eq!(parse(r#"{"Bits":8}"#), Some(Throughput::Bits(8)));
        assert_eq!(parse(r#"{"Furlongs":8}"#), None);
        assert_eq!(parse(r#"{"Elements":-1}"#), None);
        assert_eq!(parse("null"), None);
    }

    #[test]
    fn collect_takes_only_new_results_skips_baselines_and_reports_broken_ones() -> Result<()> {
        let tmp = tempfile::tempdir()?;
        let root = tmp.path();
        write_fake(
            root,
            "g",
            Some("augment"),
            None,
            r#"{"Elements":10}"#,
            100.0,
        )?;
        write_fake(root, "g", Some("image"), None, r#"{"Elements":10}"#, 300.0)?;
        write_fake(root, "lonely", None, None, "null", 5.0)?;
        // A saved baseline beside `new/` must not be read as a result.
        let base = root.join("g/augment/base");
        std::fs::create_dir_all(&base)?;
        std::fs::copy(
            root.join("g/augment/new/benchmark.json"),
            base.join("benchmark.json"),
        )?;
        std::fs::copy(
            root.join("g/augment/new/estimates.json"),
            base.join("estimates.json"),
        )?;
        // HTML reports are never read.
        std::fs::create_dir_all(root.join("report/new"))?;
        std::fs::write(root.join("report/new/benchmark.json"), "not json")?;
        // A half-written result is a problem, not a crash.
        let broken = write_fake(root, "h", Some("augment"), None, "null", 1.0)?;
        std::fs::write(broken.join("estimates.json"), "{")?;

        let (found, problems) = collect(root, None);
        let ids: Vec<String> = found.iter().map(Measured::id).collect();
        assert_eq!(ids, ["g/augment", "g/image", "lonely"]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(found[2].throughput, None);
        Ok(())
    }

    #[test]
    fn collect_since_drops_results_from_earlier_runs() -> Result<()> {
        let tmp = tempfile::tempdir()?;
        let root = tmp.path();
        let old = write_fake(root, "g", Some("augment"), None, r#"{"Elements":1}"#, 1.0)?;
        write_fake(root, "g", Some("image"), None, r#"{"Elements":1}"#, 2.0)?;
        let now = SystemTime::now();
        let hour_ago = now - Duration::from_secs(3600);
        std::fs::File::options()
            .write(true)
            .open(old.join("estimates.json"))?
            .set_modified(hour_ago)?;
        let (found, _) = collect(root, Some(now - Duration::from_secs(60)));
        let ids: Vec<String> = found.iter().map(Measured::id).collect();
        assert_eq!(ids, ["g/image"]);
        assert_eq!(collect(root, None).0.len(), 2);
        Ok(())
    }

    #[test]
    fn a_missing_directory_is_empty_not_an_error() {
        let (found, problems) = collect(Path::new("/nonexistent/criterion"), None);
        assert!(found.is_empty() && problems.is_empty());
    }
}
