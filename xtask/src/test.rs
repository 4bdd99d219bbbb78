//! `cargo xtask test`: every test of the repository, Rust and Python.
//!
//! 1. `cargo test --workspace` (the Rust crates; none of them needs Python);
//! 2. a virtualenv (`<target>/py-venv` unless `--venv`), created with the
//!    `python3` on the path (or `--python`) and given maturin, NumPy,
//!    pytest and, if pip finds a wheel for the interpreter, Ray with its
//!    Data extras (`ray[data]`, for the Ray Data test; about 40 s and
//!    650 MB from PyPI on Python 3.11) by pip;
//! 3. the package installed into it by `pip install ./crates/augment-py`
//!    (maturin as the PEP 517 backend, in the `py-test` profile: optimised
//!    without LTO, which would triple the build on two cores);
//! 4. pytest over `crates/augment-py/tests`, with `AUGMENT_CLI` naming the
//!    workspace's `augment` binary for the tests that compare with it.
//!
//! Tests whose optional dependency (torch, or Ray where it did not
//! install) is missing from the virtualenv skip and say so; `--venv` can
//! name one that has it.

use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What `cargo xtask test` was asked.
#[derive(Debug, Clone)]
pub struct Options {
    /// Skip `cargo test --workspace`.
    pub python_only: bool,
    /// Skip the Python tests.
    pub rust_only: bool,
    /// The interpreter that creates the virtualenv.
    pub python: OsString,
    /// The virtualenv (created if missing).
    pub venv: Option<PathBuf>,
    /// The cargo profile the extension is built in.
    pub profile: String,
    /// Extra arguments for pytest.
    pub pytest_args: Vec<String>,
}

/// Runs `cmd`, failing with what it was if it fails.
fn run(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    eprintln!("xtask test: {shown}");
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

/// The interpreter inside a virtualenv.
fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

/// Runs every test.
pub fn run_all(ws: &Workspace, o: &Options) -> Result<()> {
    let cargo = ws.cargo();
    if !o.python_only {
        run(Command::new(&cargo)
            .current_dir(&ws.root)
            .args(["test", "--workspace"]))?;
    }
    if o.rust_only {
        return Ok(());
    }
    // The binary the CLI-comparison tests run (built by the tests above
    // unless they were skipped; cheap if it is up to date).
    run(Command::new(&cargo)
        .current_dir(&ws.root)
        .args(["build", "--package", "augment-cli"]))?;
    let cli = ws
        .target_dir()
        .join("debug")
        .join(format!("augment{}", std::env::consts::EXE_SUFFIX));

    let venv = o
        .venv
        .clone()
        .unwrap_or_else(|| ws.target_dir().join("py-venv"));
    let python = venv_python(&venv);
    if !python.exists() {
        run(Command::new(&o.python).arg("-m").arg("venv").arg(&venv))?;
    }
    // What activating the virtualenv does: maturin's PEP 517 hooks run the
    // `maturin` executable by name, so its folder must come first.
    let bin = python.parent().unwrap_or(&venv).to_path_buf();
    let mut paths = vec![bin];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let path = std::env::join_paths(paths).context("a PATH entry holds a separator")?;
    let python_cmd = || {
        let mut cmd = Command::new(&python);
        cmd.env("PATH", &path).env("VIRTUAL_ENV", &venv);
        cmd
    };
    run(python_cmd().args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "maturin>=1.9,<2",
        "numpy",
        "pytest",
    ]))?;
    // Ray has no wheel for every interpreter and platform (a new CPython
    // comes months before it): without it the Ray test skips, saying so,
    // and the rest still runs.
    if let Err(e) = run(python_cmd().args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "ray[data]",
    ])) {
        eprintln!(
            "xtask test: no Ray in {} ({e:#}): the Ray Data test will skip",
            venv.display()
        );
    }
    // No build isolation: the maturin just installed builds it, so no
    // second download per run; the cargo target directory is the
    // workspace's, so rebuilds are incremental.
    let package = ws.root.join("crates").join("augment-py");
    run(python_cmd()
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-build-isolation",
            "--force-reinstall",
            "--no-deps",
        ])
        .arg(&package)
        .env("MATURIN_PEP517_ARGS", format!("--profile {}", o.profile)))?;
    // From the tests' folder's parent, so `import augment` finds the
    // installed package, never the source tree's `python/augment`.
    run(python_cmd()
        .current_dir(&package)
        .args(["-m", "pytest", "tests", "-ra"])
        .args(&o.pytest_args)
        .env("AUGMENT_CLI", &cli))
}
