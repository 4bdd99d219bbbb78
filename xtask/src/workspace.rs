//! Where things are: the workspace root, the target directory criterion
//! writes to, the bench history, and the git revision being measured.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace this xtask belongs to.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The directory holding the root `Cargo.toml`.
    pub root: PathBuf,
}

impl Workspace {
    /// The workspace around this crate (`xtask/..`).
    pub fn locate() -> Workspace {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        Workspace {
            root: manifest.parent().unwrap_or(manifest).to_path_buf(),
        }
    }

    /// The cargo that runs us (`$CARGO` under `cargo xtask`), else `cargo`.
    pub fn cargo(&self) -> OsString {
        std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
    }

    /// `$CARGO_TARGET_DIR` (relative to the root if relative), else `target/`.
    pub fn target_dir(&self) -> PathBuf {
        match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) => self.root.join(dir),
            None => self.root.join("target"),
        }
    }

    /// Where criterion writes, by criterion's own rule: `$CRITERION_HOME`,
    /// else `<target dir>/criterion`.
    pub fn criterion_dir(&self) -> PathBuf {
        match std::env::var_os("CRITERION_HOME") {
            Some(dir) => self.root.join(dir),
            None => self.target_dir().join("criterion"),
        }
    }

    /// `<target dir>/paired.json`: the rows of the paired bench's last run.
    pub fn paired_path(&self) -> PathBuf {
        self.target_dir().join("paired.json")
    }

    /// `<target dir>/bench-history`: one summary per run, plus saved names.
    pub fn history_dir(&self) -> PathBuf {
        self.target_dir().join("bench-history")
    }

    /// The benches crate.
    pub fn benches_dir(&self) -> PathBuf {
        self.root.join("benches")
    }

    /// The committed baseline, `benches/baseline.json`.
    pub fn baseline_path(&self) -> PathBuf {
        self.benches_dir().join("baseline.json")
    }

    /// The fuzz crate.
    pub fn fuzz_dir(&self) -> PathBuf {
        self.root.join("fuzz")
    }

    fn git(&self, args: &[&str]) -> Option<String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(&self.root)
            .args(args)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// Short hash of `HEAD`, or `unknown` outside a git checkout.
    pub fn git_revision(&self) -> String {
        self.git(&["rev-parse", "--short=12", "HEAD"])
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "unknown".to_string())
    }

    /// Whether tracked files differ from `HEAD`.
    pub fn git_dirty(&self) -> bool {
        self.git(&["status", "--porcelain", "--untracked-files=no"])
            .is_some_and(|s| !s.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_holds_the_workspace_manifest_and_the_benches() {
        let ws = Workspace::locate();
        assert!(ws.root.join("Cargo.toml").is_file());
        assert!(ws.benches_dir().join("Cargo.toml").is_file());
        assert!(ws.history_dir().ends_with("bench-history"));
        assert!(ws.baseline_path().ends_with("benches/baseline.json"));
    }
}
