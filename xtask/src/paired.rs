//! The paired bench (`benches/benches/paired.rs`): ours and a peer timed
//! call by call in alternation, so each ratio sees both sides in the same
//! phase of a machine whose speed drifts. It is not a criterion bench:
//! `cargo xtask bench` runs it with `--json PATH` and prints its rows after
//! criterion's ours / peer table.

use crate::report;
use anyhow::{Context, Result};
use serde::Deserialize;
use std::path::Path;

/// The paired bench's target name (its file in `benches/benches/`).
pub const TARGET: &str = "paired";

/// One case as the paired bench writes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Row {
    pub group: String,
    pub peer: String,
    pub param: String,
    /// Median over iterations of ours / peer (time).
    pub ratio: f64,
    pub q1: f64,
    pub q3: f64,
    pub ours_ns_per_px: f64,
    pub peer_ns_per_px: f64,
    pub iterations: usize,
}

/// The rows a run wrote to `path`.
pub fn read(path: &Path) -> Result<Vec<Row>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// The rows as a table: the median ratio with its quartiles, and each
/// side's median time.
pub fn table(rows: &[Row]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                format!("{}/{}", r.group, r.param),
                r.peer.clone(),
                format!("{:.2} ns/px", r.ours_ns_per_px),
                format!("{:.2} ns/px", r.peer_ns_per_px),
                format!("{:.3}", r.ratio),
                format!("{:.3} .. {:.3}", r.q1, r.q3),
                r.iterations.to_string(),
            ]
        })
        .collect();
    report::table(
        &[
            "group",
            "peer",
            "ours",
            "peer",
            "ours/peer",
            "quartiles",
            "calls",
        ],
        &cells,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRITTEN: &str = r#"[
      {"group": "gaussian_rgb_u8", "peer": "libblur", "param": "sigma=1",
       "ratio": 0.742, "q1": 0.721, "q3": 0.768,
       "ours_ns_per_px": 1.62, "peer_ns_per_px": 2.19, "iterations": 323}
    ]"#;

    #[test]
    fn rows_read_back_as_the_bench_writes_them() -> Result<()> {
        let tmp = tempfile::tempdir()?;
        let path = tmp.path().join("paired.json");
        std::fs::write(&path, WRITTEN)?;
        let rows = read(&path)?;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].group, "gaussian_rgb_u8");
        assert_eq!(rows[0].iterations, 323);
        assert_eq!(rows[0].ratio, 0.742);
        let shown = table(&rows);
        assert!(shown.contains("gaussian_rgb_u8/sigma=1"), "{shown}");
        assert!(shown.contains("0.742"), "{shown}");
        assert!(shown.contains("0.721 .. 0.768"), "{shown}");
        Ok(())
    }

    #[test]
    fn a_missing_or_broken_file_is_an_error_naming_it() -> Result<()> {
        let tmp = tempfile::tempdir()?;
        let path = tmp.path().join("paired.json");
        let Err(missing) = read(&path) else {
            panic!("a missing file read as rows");
        };
        assert!(
            format!("{missing:#}").contains("paired.json"),
            "{missing:#}"
        );
        std::fs::write(&path, "[{\"group\": 1}]")?;
        let Err(broken) = read(&path) else {
            panic!("a broken file read as rows");
        };
        assert!(format!("{broken:#}").contains("parsing"), "{broken:#}");
        Ok(())
    }
}
