//! `cargo xtask`: developer automation for the augment workspace.
//!
//! - `cargo xtask bench [--quick] [--save NAME] [--compare NAME]`: runs the
//!   benches of `augment-benches` (criterion's, and `paired`, ours and
//!   `libblur` timed call by call), writes a JSON summary (ns per
//!   output pixel or images/s, ISA path, git revision) to
//!   `target/bench-history/`, prints ours/peer ratios per group, and compares
//!   against `benches/baseline.json` (or the named runs), flagging
//!   regressions.
//! - `cargo xtask fuzz [--seconds N] [--target NAME]`: runs each cargo-fuzz
//!   target briefly with AddressSanitizer on nightly.
//! - `cargo xtask dataset --out DIR [--n 2000] [--seed S] [--shards N] [--force]`:
//!   writes a synthetic ImageNet-like dataset (ImageFolder tree, WebDataset
//!   tar shards, CSV/JSONL lists), byte-identical for a given seed.
//! - `cargo xtask test`: every test, Rust (`cargo test --workspace`) and
//!   Python (pytest in a virtualenv it creates, the package built by pip
//!   with maturin); what CI runs.

mod bench;
mod criterion;
mod dataset;
mod fuzz;
mod paired;
mod report;
mod summary;
mod test;
mod workspace;

use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;
use workspace::Workspace;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Developer automation for augment")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Run the criterion benches, summarise, keep history, compare.
    Bench {
        /// Short criterion settings (quick mode, 0.5 s warm-up, at most 1.5 s measurement, no plots).
        #[arg(long)]
        quick: bool,
        /// Also save this run as target/bench-history/NAME.json.
        #[arg(long, value_name = "NAME")]
        save: Option<String>,
        /// Compare against a saved run (a name under bench-history, or a path)
        /// instead of benches/baseline.json. Repeatable.
        #[arg(long, value_name = "NAME")]
        compare: Vec<String>,
        /// Write this run to benches/baseline.json (to commit).
        #[arg(long)]
        write_baseline: bool,
        /// Slow-down that counts as a regression: 0.1 or 10%.
        #[arg(long, default_value = "10%", value_parser = bench::parse_threshold)]
        threshold: f64,
        /// Exit non-zero when a regression is flagged.
        #[arg(long)]
        fail_on_regression: bool,
        /// In the ours/peer table, pair every variant of ours (augment_scalar, …), not only `augment`.
        #[arg(long)]
        all_pairs: bool,
        /// Only this bench target (sample, filter, pipeline, load, paired). Repeatable.
        #[arg(long = "bench", value_name = "TARGET")]
        targets: Vec<String>,
        /// Kernel path to run on (scalar, avx2, avx512, neon); default: the best, or AUGMENT_FORCE_ISA.
        #[arg(long)]
        isa: Option<String>,
        /// Summarise the results criterion already wrote; run nothing.
        #[arg(long)]
        no_run: bool,
        /// Criterion filter: a regex on bench ids.
        filter: Option<String>,
    },
    /// Run each fuzz target briefly (libFuzzer + AddressSanitizer, nightly).
    Fuzz {
        /// Seconds per target.
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        /// Only this target. Repeatable.
        #[arg(long = "target", value_name = "NAME")]
        targets: Vec<String>,
        /// Build the targets and stop.
        #[arg(long)]
        build_only: bool,
        /// Extra libFuzzer flags, after `--`.
        #[arg(last = true)]
        libfuzzer_args: Vec<String>,
    },
    /// Write a synthetic ImageNet-like dataset: folder tree, tar shards, lists.
    Dataset {
        /// Directory to write into (created if missing; must be empty unless --force).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Number of samples.
        #[arg(long, default_value_t = 2000)]
        n: u64,
        /// Seed of every draw: the same seed writes byte-identical files.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Number of tar shards [default: one per 500 samples].
        #[arg(long)]
        shards: Option<u64>,
        /// Replace this command's earlier output in a non-empty DIR (other files stay).
        #[arg(long)]
        force: bool,
    },
    /// Run every test: `cargo test --workspace`, then the Python package's
    /// pytest suite in a virtualenv (created with pip: maturin, numpy, pytest).
    Test {
        /// Only the Python tests.
        #[arg(long, conflicts_with = "rust_only")]
        python_only: bool,
        /// Only the Rust tests.
        #[arg(long)]
        rust_only: bool,
        /// The interpreter that creates the virtualenv.
        #[arg(long, default_value = "python3", value_name = "PATH")]
        python: OsString,
        /// The virtualenv to use, created if missing [default: <target>/py-venv].
        #[arg(long, value_name = "DIR")]
        venv: Option<PathBuf>,
        /// Cargo profile of the extension module.
        #[arg(long, default_value = "py-test", value_name = "NAME")]
        profile: String,
        /// Extra pytest arguments, after `--`.
        #[arg(last = true)]
        pytest_args: Vec<String>,
    },
}

fn main() -> anyhow::Result<()> {
    let ws = Workspace::locate();
    match Cli::parse().command {
        Task::Bench {
            quick,
            save,
            compare,
            write_baseline,
            threshold,
            fail_on_regression,
            all_pairs,
            targets,
            isa,
            no_run,
            filter,
        } => bench::run(
            &ws,
            &bench::Options {
                quick,
                targets,
                filter,
                isa,
                no_run,
                save,
                compare,
                write_baseline,
                threshold,
                fail_on_regression,
                all_pairs,
            },
        ),
        Task::Fuzz {
            seconds,
            targets,
            build_only,
            libfuzzer_args,
        } => fuzz::run(
            &ws,
            &fuzz::Options {
                seconds,
                targets,
                build_only,
                libfuzzer_args,
            },
        ),
        Task::Dataset {
            out,
            n,
            seed,
            shards,
            force,
        } => dataset::run(
            &ws,
            &dataset::Options {
                out,
                n,
                seed,
                shards,
                force,
            },
        ),
        Task::Test {
            python_only,
            rust_only,
            python,
            venv,
            profile,
            pytest_args,
        } => test::run_all(
            &ws,
            &test::Options {
                python_only,
                rust_only,
                python,
                venv,
                profile,
                pytest_args,
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_is_well_formed_and_parses_the_documented_commands() -> anyhow::Result<()> {
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from([
            "xtask",
            "bench",
            "--quick",
            "--save",
            "x",
            "--compare",
            "y",
            "--threshold",
            "5%",
        ])?;
        let Task::Bench {
            quick,
            save,
            compare,
            threshold,
            ..
        } = cli.command
        else {
            anyhow::bail!("parsed as the wrong task");
        };
        assert!(quick);
        assert_eq!(save.as_deref(), Some("x"));
        assert_eq!(compare, ["y"]);
        assert!((threshold - 0.05).abs() < 1e-12);
        let cli = Cli::try_parse_from([
            "xtask",
            "fuzz",
            "--seconds",
            "5",
            "--target",
            "sample_warp",
            "--",
            "-max_len=64",
        ])?;
        let Task::Fuzz {
            seconds,
            targets,
            libfuzzer_args,
            ..
        } = cli.command
        else {
            anyhow::bail!("parsed as the wrong task");
        };
        assert_eq!((seconds, targets), (5, vec!["sample_warp".to_string()]));
        assert_eq!(libfuzzer_args, ["-max_len=64"]);
        assert!(Cli::try_parse_from(["xtask", "bench", "--threshold", "0"]).is_err());
        // A target option takes one value; what follows is criterion's filter.
        let cli = Cli::try_parse_from(["xtask", "bench", "--bench", "filter", "gaussian"])?;
        let Task::Bench {
            targets, filter, ..
        } = cli.command
        else {
            anyhow::bail!("parsed as the wrong task");
        };
        assert_eq!(targets, ["filter"]);
        assert_eq!(filter.as_deref(), Some("gaussian"));
        let cli = Cli::try_parse_from(["xtask", "test", "--python-only", "--", "-k", "pickle"])?;
        let Task::Test {
            python_only,
            pytest_args,
            ..
        } = cli.command
        else {
            anyhow::bail!("parsed as the wrong task");
        };
        assert!(python_only);
        assert_eq!(pytest_args, ["-k", "pickle"]);
        Ok(())
    }
}
