//! `cargo xtask fuzz`: each cargo-fuzz target for a few seconds under
//! libFuzzer with AddressSanitizer (cargo-fuzz's default), on nightly.

use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

/// What `cargo xtask fuzz` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// Seconds per target.
    pub seconds: u64,
    /// Only these targets (all of `fuzz/fuzz_targets/*.rs` if empty).
    pub targets: Vec<String>,
    /// Build the targets, run nothing.
    pub build_only: bool,
    /// Extra libFuzzer flags (`-max_len=…`, `-dict=…`).
    pub libfuzzer_args: Vec<String>,
}

/// Targets: the files in `fuzz/fuzz_targets/`, sorted.
pub fn fuzz_targets(fuzz_dir: &Path) -> Result<Vec<String>> {
    let dir = fuzz_dir.join("fuzz_targets");
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

/// What libFuzzer said at the end of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Inputs executed (`stat::number_of_executed_units` or `Done N runs`).
    pub execs: Option<u64>,
    /// Coverage edges reached (`cov:` of the last status line).
    pub coverage: Option<u64>,
}

impl RunStats {
    /// Updates from one line of libFuzzer's stderr.
    pub fn observe(&mut self, line: &str) {
        if let Some(rest) = line.strip_prefix("stat::number_of_executed_units:") {
            self.execs = rest.trim().parse().ok().or(self.execs);
        } else if let Some(rest) = line.strip_prefix("Done ")
            && let Some(n) = rest.split_whitespace().next().and_then(|n| n.parse().ok())
        {
            self.execs = Some(n);
        }
        if let Some(i) = line.find("cov: ") {
            let digits: String = line[i + 5..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(cov) = digits.parse() {
                self.coverage = Some(cov);
            }
        }
    }
}

/// `cargo +nightly …` through the rustup proxy, with the variables of the
/// `cargo run` that started us removed: they would pin the stable toolchain
/// or send the sanitizer build into the workspace's target directory.
fn nightly_cargo(ws: &Workspace) -> Command {
    let mut cmd = Command::new("cargo");
    cmd.current_dir(&ws.root).arg("+nightly");
    for var in [
        "CARGO",
        "RUSTC",
        "RUSTUP_TOOLCHAIN",
        "CARGO_TARGET_DIR",
        "RUSTFLAGS",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn artifacts_since(dir: &Path, since: SystemTime) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            e.metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t >= since)
        })
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

fn run_target(ws: &Workspace, target: &str, options: &Options) -> Result<(bool, RunStats)> {
    let started = SystemTime::now();
    let mut cmd = nightly_cargo(ws);
    cmd.args(["fuzz", "run", target, "--"])
        .arg(format!("-max_total_time={}", options.seconds))
        .args(["-print_final_stats=1", "-rss_limit_mb=4096"])
        .args(&options.libfuzzer_args)
        .stderr(Stdio::piped());
    eprintln!("xtask: fuzzing {target} for {} s", options.seconds);
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting cargo fuzz run {target}"))?;
    let mut stats = RunStats::default();
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines() {
            let line = line?;
            stats.observe(&line);
            eprintln!("{line}");
        }
    }
    let status = child.wait()?;
    let artifacts = artifacts_since(&ws.fuzz_dir().join("artifacts").join(target), started);
    for a in &artifacts {
        eprintln!(
            "xtask: {target} left {}\n  reproduce: cargo +nightly fuzz run {target} {0}\n  show input: cargo +nightly fuzz fmt {target} {0}",
            a.display()
        );
    }
    Ok((status.success() && artifacts.is_empty(), stats))
}

/// `cargo xtask fuzz`.
pub fn run(ws: &Workspace, options: &Options) -> Result<()> {
    let probe = nightly_cargo(ws).args(["fuzz", "--version"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        bail!(
            "`cargo +nightly fuzz` does not run here: install the nightly toolchain and \
             cargo-fuzz (`cargo install cargo-fuzz`)"
        );
    }
    let all = fuzz_targets(&ws.fuzz_dir())?;
    let targets = if options.targets.is_empty() {
        all
    } else {
        if let Some(t) = options.targets.iter().find(|t| !all.contains(t)) {
            bail!("no fuzz target {t:?}; there are: {}", all.join(", "));
        }
        options.targets.clone()
    };
    let mut build = nightly_cargo(ws);
    build.args(["fuzz", "build"]);
    if options.targets.len() == 1 {
        build.args(&options.targets);
    }
    let status = build.status().context("starting cargo fuzz build")?;
    if !status.success() {
        bail!("cargo fuzz build failed: {status}");
    }
    if options.build_only {
        return Ok(());
    }
    let mut failed = Vec::new();
    let mut rows = Vec::new();
    for target in &targets {
        let (ok, stats) = run_target(ws, target, options)?;
        if !ok {
            failed.push(target.clone());
        }
        rows.push((target.clone(), ok, stats));
    }
    println!("\n== Fuzzing, {} s per target", options.seconds);
    for (target, ok, stats) in rows {
        let count = |v: Option<u64>| v.map_or("?".to_string(), |n| n.to_string());
        println!(
            "{target:<24} {:<6} execs {:>12}  cov {:>6}",
            if ok { "ok" } else { "FAILED" },
            count(stats.execs),
            count(stats.coverage)
        );
    }
    if !failed.is_empty() {
        bail!(
            "fuzz targets found problems: {} (inputs in fuzz/artifacts/)",
            failed.join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libfuzzer_output_gives_execs_and_coverage() {
        let mut stats = RunStats::default();
        for line in [
            "INFO: Seed: 12345",
            "#2\tINITED cov: 40 ft: 41 corp: 1/1b exec/s: 0 rss: 30Mb",
            "#65536\tpulse  cov: 812 ft: 2100 corp: 90/3Kb lim: 600 exec/s: 21845 rss: 60Mb",
            "#70001\tNEW    cov: 815 ft: 2110 corp: 91/3Kb lim: 600 exec/s: 21000 rss: 60Mb",
            "Done 71234 runs in 3 second(s)",
        ] {
            stats.observe(line);
        }
        assert_eq!(stats.execs, Some(71234));
        assert_eq!(stats.coverage, Some(815));
        stats.observe("stat::number_of_executed_units: 71240");
        assert_eq!(stats.execs, Some(71240));
        stats.observe("stat::peak_rss_mb: 61");
        assert_eq!(stats.execs, Some(71240));
    }

    #[test]
    fn targets_are_the_files_in_fuzz_targets() -> Result<()> {
        let tmp = tempfile::tempdir()?;
        std::fs::create_dir_all(tmp.path().join("fuzz_targets"))?;
        for f in ["warp.rs", "blur.rs", "README"] {
            std::fs::write(tmp.path().join("fuzz_targets").join(f), "")?;
        }
        assert_eq!(fuzz_targets(tmp.path())?, ["blur", "warp"]);
        assert!(fuzz_targets(&tmp.path().join("missing")).is_err());
        Ok(())
    }

    #[test]
    fn only_new_artifacts_count() -> Result<()> {
        let tmp = tempfile::tempdir()?;
        let old = tmp.path().join("crash-old");
        std::fs::write(&old, b"x")?;
        std::fs::File::options()
            .write(true)
            .open(&old)?
            .set_modified(SystemTime::now() - std::time::Duration::from_secs(600))?;
        let since = SystemTime::now() - std::time::Duration::from_secs(5);
        std::fs::write(tmp.path().join("crash-new"), b"y")?;
        let found = artifacts_since(tmp.path(), since);
        assert_eq!(found, [tmp.path().join("crash-new")]);
        assert!(artifacts_since(&tmp.path().join("none"), since).is_empty());
        Ok(())
    }
}
