//! `cargo xtask bench`: run the criterion benches, summarise them per output
//! pixel or per image, keep the history, and compare.

use crate::criterion;
use crate::paired;
use crate::report;
use crate::summary::{Entry, SCHEMA, Summary};
use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

/// Criterion settings for `--quick`: criterion's quick mode (measure until
/// the estimate is within 5%, at most the measurement time, which groups may
/// set themselves), short warm-up, no plots. Under a second for most benches.
pub const QUICK_ARGS: &[&str] = &[
    "--quick",
    "--warm-up-time",
    "0.5",
    "--measurement-time",
    "1.5",
    "--noplot",
];

/// What `cargo xtask bench` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// Short criterion settings.
    pub quick: bool,
    /// Only these bench targets (all of `benches/benches/*.rs` if empty).
    pub targets: Vec<String>,
    /// Criterion's name filter (a regex on bench ids).
    pub filter: Option<String>,
    /// Force a kernel path for the run (`AUGMENT_FORCE_ISA`).
    pub isa: Option<String>,
    /// Summarise what criterion already wrote instead of running.
    pub no_run: bool,
    /// Also save the summary as `bench-history/NAME.json`.
    pub save: Option<String>,
    /// Compare against these saved runs (names or paths) instead of the baseline.
    pub compare: Vec<String>,
    /// Write the summary to `benches/baseline.json`.
    pub write_baseline: bool,
    /// Relative slow-down that counts as a regression.
    pub threshold: f64,
    /// Exit non-zero when a regression is flagged.
    pub fail_on_regression: bool,
    /// Pair every variant of ours (`augment_scalar`, …) with the peers, not
    /// only the plain `augment`.
    pub all_pairs: bool,
}

/// Bench targets of the benches crate: `benches/benches/*.rs`, sorted.
pub fn bench_targets(benches_dir: &Path) -> Result<Vec<String>> {
    let dir = benches_dir.join("benches");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "rs")
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
        {
            names.push(stem.to_string());
        }
    }
    names.sort();
    Ok(names)
}

/// Where `--compare NAME` points: a path if it looks like one, else
/// `bench-history/NAME.json`.
pub fn resolve_saved(history_dir: &Path, name: &str) -> PathBuf {
    if name.ends_with(".json") || name.contains(std::path::MAIN_SEPARATOR) || name.contains('/') {
        PathBuf::from(name)
    } else {
        history_dir.join(format!("{name}.json"))
    }
}

/// A history file name for a run: `20260517T101500Z-<rev>.json`.
pub fn history_file_name(date: &str, revision: &str) -> String {
    let stamp: String = date.chars().filter(|c| *c != '-' && *c != ':').collect();
    format!("{stamp}-{revision}.json")
}

/// Parses `0.1`, `10%` or `10 %` into a fraction.
pub fn parse_threshold(text: &str) -> Result<f64, String> {
    let text = text.trim();
    let (number, scale) = match text.strip_suffix('%') {
        Some(n) => (n.trim(), 0.01),
        None => (text, 1.0),
    };
    let value: f64 = number
        .parse()
        .map_err(|e| format!("{text:?} is not a number: {e}"))?;
    let value = value * scale;
    if value.is_finite() && value > 0.0 && value < 10.0 {
        Ok(value)
    } else {
        Err(format!(
            "{text:?}: the threshold must be above 0 (e.g. 0.1 or 10%)"
        ))
    }
}

fn isa_for_run(requested: Option<&str>) -> Result<geom::Isa> {
    match requested {
        None => Ok(geom::Isa::selected()),
        Some(name) => {
            let Some(isa) = geom::Isa::from_name(name) else {
                bail!(
                    "unknown ISA {name:?}; known: {}",
                    geom::Isa::ALL.map(geom::Isa::name).join(", ")
                );
            };
            if !isa.is_available() {
                bail!(
                    "this CPU cannot run {isa}; available: {}",
                    geom::Isa::available()
                        .into_iter()
                        .map(geom::Isa::name)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            Ok(isa)
        }
    }
}

/// What `cargo bench --bench TARGET` gets after its `--`: criterion's
/// settings, where the paired bench writes its rows, the name filter.
pub fn target_args(target: &str, options: &Options, paired_json: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    if options.quick {
        args.extend(QUICK_ARGS.iter().map(OsString::from));
    }
    if target == paired::TARGET {
        args.push("--json".into());
        args.push(paired_json.into());
    }
    if let Some(filter) = &options.filter {
        args.push(filter.into());
    }
    args
}

fn run_target(ws: &Workspace, target: &str, options: &Options, isa: geom::Isa) -> Result<()> {
    let mut cmd = Command::new(ws.cargo());
    cmd.current_dir(&ws.root)
        .args([
            "bench",
            "--package",
            "augment-benches",
            "--bench",
            target,
            "--",
        ])
        .args(target_args(target, options, &ws.paired_path()))
        .env(geom::FORCE_ISA_VAR, isa.name());
    eprintln!("xtask: cargo bench --bench {target} ({isa})");
    let status = cmd
        .status()
        .with_context(|| format!("starting cargo bench --bench {target}"))?;
    if !status.success() {
        bail!("cargo bench --bench {target} failed: {status}");
    }
    Ok(())
}

/// What one run measured: criterion's summary, the targets that failed,
/// and the paired bench's rows (empty unless it ran).
struct Measured {
    summary: Summary,
    failures: Vec<String>,
    paired: Vec<paired::Row>,
}

/// Runs (or, with `no_run`, only reads) the benches and builds the summary.
fn measure(ws: &Workspace, options: &Options, isa: geom::Isa) -> Result<Measured> {
    let started = SystemTime::now();
    let criterion_dir = ws.criterion_dir();
    let mut entries: Vec<Entry> = Vec::new();
    let mut failures = Vec::new();
    let mut paired_rows = Vec::new();
    let report_problems = |problems: Vec<anyhow::Error>| {
        for p in problems {
            eprintln!("xtask: skipped a result: {p:#}");
        }
    };
    if options.no_run {
        let (found, problems) = criterion::collect(&criterion_dir, None);
        report_problems(problems);
        entries.extend(found.iter().map(|m| Entry::from_measured(m, None)));
    } else {
        let all = bench_targets(&ws.benches_dir())?;
        let targets = if options.targets.is_empty() {
            all
        } else {
            if let Some(t) = options.targets.iter().find(|t| !all.contains(t)) {
                bail!("no bench target {t:?}; there are: {}", all.join(", "));
            }
            options.targets.clone()
        };
        for target in &targets {
            // File times can be coarse; a second's slack, then results already
            // claimed by an earlier target are skipped.
            let since = SystemTime::now() - Duration::from_secs(1);
            let paired_json = ws.paired_path();
            if target == paired::TARGET && paired_json.exists() {
                // An earlier run's rows must not pass for this run's.
                std::fs::remove_file(&paired_json)
                    .with_context(|| format!("removing {}", paired_json.display()))?;
            }
            if let Err(e) = run_target(ws, target, options, isa) {
                eprintln!("xtask: {e:#}");
                failures.push(target.clone());
                continue;
            }
            if target == paired::TARGET {
                match paired::read(&paired_json) {
                    Ok(rows) => paired_rows = rows,
                    Err(e) => {
                        eprintln!("xtask: {e:#}");
                        failures.push(target.clone());
                    }
                }
                continue;
            }
            let (found, problems) = criterion::collect(&criterion_dir, Some(since));
            report_problems(problems);
            for m in found {
                if !entries.iter().any(|e| e.id == m.id()) {
                    entries.push(Entry::from_measured(&m, Some(target)));
                }
            }
        }
    }
    entries.sort_by(|a, b| a.id.cmp(&b.id));
    let summary = Summary {
        schema: SCHEMA,
        revision: ws.git_revision(),
        dirty: ws.git_dirty(),
        date: humantime::format_rfc3339_seconds(started).to_string(),
        isa: isa.name().to_string(),
        quick: options.quick,
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        benches: entries,
    };
    Ok(Measured {
        summary,
        failures,
        paired: paired_rows,
    })
}

/// Prints the paired bench's rows, if it ran.
fn print_paired(rows: &[paired::Row]) {
    if !rows.is_empty() {
        println!(
            "== Ours / peer, paired call by call (median of the calls' ratios, below 1: ours faster)\n{}",
            paired::table(rows)
        );
    }
}

/// `cargo xtask bench`.
pub fn run(ws: &Workspace, options: &Options) -> Result<()> {
    let isa = isa_for_run(options.isa.as_deref())?;
    let Measured {
        summary,
        failures,
        paired,
    } = measure(ws, options, isa)?;
    if summary.benches.is_empty() && !paired.is_empty() {
        // Only the paired bench ran: nothing for criterion's summary.
        print_paired(&paired);
        if !failures.is_empty() {
            bail!("bench targets failed: {}", failures.join(", "));
        }
        return Ok(());
    }
    if summary.benches.is_empty() {
        let failed = if failures.is_empty() {
            String::new()
        } else {
            format!("; failed: {}", failures.join(", "))
        };
        bail!(
            "no criterion results under {}{failed}: nothing to summarise",
            ws.criterion_dir().display()
        );
    }

    let history = ws.history_dir();
    let file = history.join(history_file_name(&summary.date, &summary.revision));
    summary.write(&file)?;
    println!(
        "\nSummary: {} ({} benches, {}, rev {}{})",
        file.display(),
        summary.benches.len(),
        summary.isa,
        summary.revision,
        if summary.dirty { ", dirty" } else { "" }
    );
    if let Some(name) = &options.save {
        let path = resolve_saved(&history, name);
        summary.write(&path)?;
        println!("Saved as {}", path.display());
    }
    if options.write_baseline && failures.is_empty() {
        let path = ws.baseline_path();
        summary.write(&path)?;
        println!("Baseline written: {}", path.display());
    } else if options.write_baseline {
        // A baseline missing a whole target would report it "new" forever.
        println!(
            "Baseline NOT written: bench targets failed ({}); pick targets with --bench",
            failures.join(", ")
        );
    }

    println!("\n== Results (median)\n{}", report::results_table(&summary));
    let pairs = report::peer_pairs(&summary.benches, options.all_pairs);
    if pairs.is_empty() {
        println!("== Ours / peer: no group holds both ours and a peer");
    } else {
        println!(
            "== Ours / peer, same group, same run (time ratio, below 1: ours faster)\n{}",
            report::peer_table(&pairs)
        );
    }
    print_paired(&paired);

    let saved: Vec<PathBuf> = if options.compare.is_empty() {
        vec![ws.baseline_path()]
    } else {
        options
            .compare
            .iter()
            .map(|n| resolve_saved(&history, n))
            .collect()
    };
    let mut regressed = 0;
    for path in saved {
        if options.compare.is_empty() && (options.write_baseline || !path.exists()) {
            if !path.exists() {
                println!(
                    "== No baseline yet ({}): run with --write-baseline",
                    path.display()
                );
            }
            continue;
        }
        let old = Summary::read(&path)?;
        println!(
            "== Against {} (rev {}, {}, {}{}), threshold {:.0}%",
            path.display(),
            old.revision,
            old.date,
            old.isa,
            if old.quick { ", quick" } else { "" },
            options.threshold * 100.0
        );
        if old.isa != summary.isa {
            println!(
                "   note: that run used {}, this one {}: kernel paths differ",
                old.isa, summary.isa
            );
        }
        let changes = report::compare(&summary, &old, options.threshold);
        println!("{}", report::change_table(&changes));
        let found = report::regressions(&changes);
        regressed += found.len();
        for c in found {
            println!("REGRESSION: {}", c.id);
        }
    }

    if !failures.is_empty() {
        bail!("bench targets failed: {}", failures.join(", "));
    }
    if options.fail_on_regression && regressed > 0 {
        bail!(
            "{regressed} regression(s) beyond {:.0}%",
            options.threshold * 100.0
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_parse_as_fractions_or_percentages() {
        assert_eq!(parse_threshold("0.1"), Ok(0.1));
        assert_eq!(parse_threshold("15%"), Ok(0.15));
        assert_eq!(parse_threshold(" 5 % "), Ok(0.05));
        assert!(parse_threshold("0").is_err());
        assert!(parse_threshold("-3%").is_err());
        assert!(parse_threshold("NaN").is_err());
        assert!(parse_threshold("fast").is_err());
    }

    #[test]
    fn history_names_sort_by_time_and_carry_the_revision() {
        assert_eq!(
            history_file_name("2026-05-17T10:15:00Z", "abc123"),
            "20260517T101500Z-abc123.json"
        );
        assert!(
            history_file_name("2026-05-17T10:15:00Z", "b")
                < history_file_name("2026-05-17T10:15:01Z", "a")
        );
    }

    fn options(quick: bool, filter: Option<&str>) -> Options {
        Options {
            quick,
            targets: Vec::new(),
            filter: filter.map(str::to_string),
            isa: None,
            no_run: false,
            save: None,
            compare: Vec::new(),
            write_baseline: false,
            threshold: 0.1,
            fail_on_regression: false,
            all_pairs: false,
        }
    }

    #[test]
    fn only_the_paired_target_is_told_where_to_write_its_rows() {
        let json = Path::new("/t/paired.json");
        let paired = target_args(paired::TARGET, &options(true, Some("sigma=1")), json);
        let mut expected: Vec<OsString> = QUICK_ARGS.iter().map(OsString::from).collect();
        expected.extend(["--json", "/t/paired.json", "sigma=1"].map(OsString::from));
        assert_eq!(paired, expected);
        let filter = target_args("filter", &options(false, None), json);
        assert!(filter.is_empty(), "{filter:?}");
    }

    #[test]
    fn saved_runs_are_names_or_paths() {
        let history = Path::new("/t/bench-history");
        assert_eq!(
            resolve_saved(history, "before-simd"),
            Path::new("/t/bench-history/before-simd.json")
        );
        assert_eq!(
            resolve_saved(history, "benches/baseline.json"),
            Path::new("benches/baseline.json")
        );
    }

    #[test]
    fn bench_targets_are_the_files_in_benches() -> Result<()> {
        let tmp = tempfile::tempdir()?;
        let dir = tmp.path().join("benches");
        std::fs::create_dir_all(&dir)?;
        for f in ["sample.rs", "filter.rs", "pipeline.rs", "notes.md"] {
            std::fs::write(dir.join(f), "")?;
        }
        assert_eq!(bench_targets(tmp.path())?, ["filter", "pipeline", "sample"]);
        Ok(())
    }

    #[test]
    fn unknown_or_unavailable_isas_are_refused() -> Result<()> {
        assert!(isa_for_run(Some("sse9")).is_err());
        assert_eq!(isa_for_run(Some("scalar"))?, geom::Isa::Scalar);
        for isa in geom::Isa::ALL {
            assert_eq!(isa_for_run(Some(isa.name())).is_ok(), isa.is_available());
        }
        Ok(())
    }
}
