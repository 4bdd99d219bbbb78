//! Ratios: ours against each peer in the same group and run (robust on a
//! shared machine, where absolute times drift), and this run against a
//! saved one (baseline or named), with regressions flagged.

use crate::summary::{Entry, OURS_PREFIX, Summary, Unit, format_ns};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Ours against one peer, measured in the same group, on the same parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerRatio {
    /// The criterion group.
    pub group: String,
    /// The benchmark parameter both share, if any.
    pub parameter: Option<String>,
    /// Our function id.
    pub ours: String,
    /// The peer's function id.
    pub peer: String,
    /// Unit both are measured in.
    pub unit: Unit,
    /// Our ns per unit.
    pub ours_ns: f64,
    /// The peer's ns per unit.
    pub peer_ns: f64,
}

impl PeerRatio {
    /// Time ratio ours / peer: below 1, ours is faster.
    pub fn ratio(&self) -> f64 {
        self.ours_ns / self.peer_ns
    }
}

/// Every (ours, peer) pair sharing a group and parameter, in id order. Pairs
/// with different units are skipped: their times do not compare.
///
/// With `all_ours` false, a group's plain `augment` function (what users
/// get) stands for ours when the group has one, and variants such as
/// `augment_scalar` are left out of the pairs.
pub fn peer_pairs(benches: &[Entry], all_ours: bool) -> Vec<PeerRatio> {
    let mut groups: BTreeMap<(&str, Option<&str>), Vec<&Entry>> = BTreeMap::new();
    for e in benches.iter().filter(|e| e.function.is_some()) {
        groups
            .entry((e.group.as_str(), e.parameter.as_deref()))
            .or_default()
            .push(e);
    }
    let mut out = Vec::new();
    for ((group, parameter), members) in groups {
        let (mut ours, peers): (Vec<&Entry>, Vec<&Entry>) =
            members.into_iter().partition(|e| e.is_ours());
        let is_plain = |e: &&Entry| e.function.as_deref() == Some(OURS_PREFIX);
        if !all_ours && ours.iter().any(is_plain) {
            ours.retain(is_plain);
        }
        for o in &ours {
            for p in peers
                .iter()
                .filter(|p| p.unit == o.unit && p.ns_per_unit > 0.0)
            {
                out.push(PeerRatio {
                    group: group.to_string(),
                    parameter: parameter.map(str::to_string),
                    ours: o.function.clone().unwrap_or_default(),
                    peer: p.function.clone().unwrap_or_default(),
                    unit: o.unit,
                    ours_ns: o.ns_per_unit,
                    peer_ns: p.ns_per_unit,
                });
            }
        }
    }
    out
}

/// Every (ours, peer) pair, all our variants included.
pub fn peer_ratios(benches: &[Entry]) -> Vec<PeerRatio> {
    peer_pairs(benches, true)
}

/// How one bench moved against the saved run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Ours got slower beyond the threshold, and not merely with the machine
    /// (the peers in its group did not slow down as much).
    Regression,
    /// Ours got faster beyond the threshold, not merely with the machine.
    Improved,
    /// Beyond the threshold, but the peers in the group moved the same way:
    /// the machine, not the code.
    Drift,
    /// Within the threshold.
    Same,
    /// A peer's figure (shown as a gauge of machine drift, never flagged).
    Peer,
    /// Only in this run.
    New,
    /// Only in the saved run.
    Missing,
    /// Measured in a different unit than before.
    UnitChanged,
}

impl Verdict {
    fn label(self) -> &'static str {
        match self {
            Verdict::Regression => "REGRESSION",
            Verdict::Improved => "improved",
            Verdict::Drift => "drift (peers too)",
            Verdict::Same => "",
            Verdict::Peer => "peer",
            Verdict::New => "new",
            Verdict::Missing => "missing",
            Verdict::UnitChanged => "unit changed",
        }
    }
}

/// One row of a run-against-saved comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Bench id.
    pub id: String,
    /// Saved ns per unit.
    pub old_ns: Option<f64>,
    /// This run's ns per unit.
    pub new_ns: Option<f64>,
    /// Time ratio new / old (above 1: slower).
    pub ratio: Option<f64>,
    /// Our change relative to the peers in the group: the geometric mean over
    /// peers of `(ours/peer)_new / (ours/peer)_old`. Cancels machine drift.
    pub versus_peers: Option<f64>,
    /// What it amounts to.
    pub verdict: Verdict,
}

fn geometric_mean(values: &[f64]) -> Option<f64> {
    let logs: Vec<f64> = values
        .iter()
        .filter(|v| v.is_finite() && **v > 0.0)
        .map(|v| v.ln())
        .collect();
    (!logs.is_empty()).then(|| (logs.iter().sum::<f64>() / logs.len() as f64).exp())
}

/// Compares `new` with `old`, bench by bench. `threshold` is the relative
/// change that counts (0.10: 10% slower is a regression).
pub fn compare(new: &Summary, old: &Summary, threshold: f64) -> Vec<Change> {
    let new_pairs = peer_ratios(&new.benches);
    let old_pairs = peer_ratios(&old.benches);
    let pair_key = |r: &PeerRatio| {
        (
            r.group.clone(),
            r.parameter.clone(),
            r.ours.clone(),
            r.peer.clone(),
        )
    };
    let old_ratio: BTreeMap<_, f64> = old_pairs.iter().map(|r| (pair_key(r), r.ratio())).collect();
    let versus_peers = |e: &Entry| -> Option<f64> {
        let moves: Vec<f64> = new_pairs
            .iter()
            .filter(|r| {
                r.group == e.group
                    && r.parameter == e.parameter
                    && Some(&r.ours) == e.function.as_ref()
            })
            .filter_map(|r| old_ratio.get(&pair_key(r)).map(|old| r.ratio() / old))
            .collect();
        geometric_mean(&moves)
    };

    let slower = 1.0 + threshold;
    let faster = 1.0 / (1.0 + threshold);
    let mut out = Vec::new();
    for e in &new.benches {
        let Some(o) = old.get(&e.id) else {
            out.push(Change {
                id: e.id.clone(),
                old_ns: None,
                new_ns: Some(e.ns_per_unit),
                ratio: None,
                versus_peers: None,
                verdict: Verdict::New,
            });
            continue;
        };
        if o.unit != e.unit {
            out.push(Change {
                id: e.id.clone(),
                old_ns: Some(o.ns_per_unit),
                new_ns: Some(e.ns_per_unit),
                ratio: None,
                versus_peers: None,
                verdict: Verdict::UnitChanged,
            });
            continue;
        }
        let ratio = e.ns_per_unit / o.ns_per_unit;
        let relative = if e.is_ours() { versus_peers(e) } else { None };
        let verdict = if !e.is_ours() {
            Verdict::Peer
        } else if ratio > slower {
            match relative {
                Some(r) if r <= slower => Verdict::Drift,
                _ => Verdict::Regression,
            }
        } else if ratio < faster {
            match relative {
                Some(r) if r >= faster => Verdict::Drift,
                _ => Verdict::Improved,
            }
        } else {
            Verdict::Same
        };
        out.push(Change {
            id: e.id.clone(),
            old_ns: Some(o.ns_per_unit),
            new_ns: Some(e.ns_per_unit),
            ratio: Some(ratio),
            versus_peers: relative,
            verdict,
        });
    }
    for o in old.benches.iter().filter(|o| new.get(&o.id).is_none()) {
        out.push(Change {
            id: o.id.clone(),
            old_ns: Some(o.ns_per_unit),
            new_ns: None,
            ratio: None,
            versus_peers: None,
            verdict: Verdict::Missing,
        });
    }
    out
}

/// The regressions among `changes`.
pub fn regressions(changes: &[Change]) -> Vec<&Change> {
    changes
        .iter()
        .filter(|c| c.verdict == Verdict::Regression)
        .collect()
}

/// Renders rows as a left-aligned text table, columns sized to fit.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = String::new();
        for (cell, w) in cells.zip(&widths) {
            let _ = write!(s, "{cell:<w$}  ");
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(&mut header.iter().copied());
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(&mut rule.iter().map(String::as_str));
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

/// Every result of a run: id and its figure.
pub fn results_table(summary: &Summary) -> String {
    let rows: Vec<Vec<String>> = summary
        .benches
        .iter()
        .map(|e| {
            let [lo, hi] = e.ns_per_iter_ci;
            let spread = if e.ns_per_iter > 0.0 {
                format!("±{:.1}%", 50.0 * (hi - lo) / e.ns_per_iter)
            } else {
                String::new()
            };
            vec![e.id.clone(), e.headline(), spread]
        })
        .collect();
    table(&["bench", "median", "95% CI"], &rows)
}

/// Ours / peer, one row per pair.
pub fn peer_table(ratios: &[PeerRatio]) -> String {
    let rows: Vec<Vec<String>> = ratios
        .iter()
        .map(|r| {
            let group = match &r.parameter {
                Some(p) => format!("{}/{p}", r.group),
                None => r.group.clone(),
            };
            let verdict = if r.ratio() < 1.0 {
                format!("ours {:.2}x faster", 1.0 / r.ratio())
            } else {
                format!("ours {:.2}x slower", r.ratio())
            };
            vec![
                group,
                r.ours.clone(),
                r.peer.clone(),
                format!("{} ns/{}", format_ns(r.ours_ns), r.unit.label()),
                format!("{} ns/{}", format_ns(r.peer_ns), r.unit.label()),
                format!("{:.3}", r.ratio()),
                verdict,
            ]
        })
        .collect();
    table(
        &["group", "ours", "peer", "ours", "peer", "ours/peer", ""],
        &rows,
    )
}

/// This run against a saved one.
pub fn change_table(changes: &[Change]) -> String {
    let ns = |v: Option<f64>| v.map(format_ns).unwrap_or_default();
    let ratio = |v: Option<f64>| v.map(|r| format!("{r:.3}")).unwrap_or_default();
    let rows: Vec<Vec<String>> = changes
        .iter()
        .map(|c| {
            vec![
                c.id.clone(),
                ns(c.old_ns),
                ns(c.new_ns),
                ratio(c.ratio),
                ratio(c.versus_peers),
                c.verdict.label().to_string(),
            ]
        })
        .collect();
    table(
        &["bench", "old ns/u", "new ns/u", "new/old", "vs peers", ""],
        &rows,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::SCHEMA;

    fn entry(group: &str, function: &str, parameter: Option<&str>, ns: f64) -> Entry {
        let id = [Some(group), Some(function), parameter]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("/");
        Entry {
            id,
            group: group.into(),
            function: Some(function.into()),
            parameter: parameter.map(Into::into),
            bench: Some("sample".into()),
            unit: Unit::Element,
            count: 1000,
            ns_per_iter: ns * 1000.0,
            ns_per_iter_ci: [ns * 990.0, ns * 1010.0],
            ns_per_unit: ns,
            ns_per_element: Some(ns),
            images_per_second: None,
        }
    }

    fn run(benches: Vec<Entry>) -> Summary {
        Summary {
            schema: SCHEMA,
            revision: "r".into(),
            dirty: false,
            date: "d".into(),
            isa: "avx2".into(),
            quick: false,
            cpus: 2,
            benches,
        }
    }

    #[test]
    fn ours_is_paired_with_each_peer_of_the_same_group_and_parameter() {
        let benches = vec![
            entry("resize_rgb_u8", "augment", Some("224"), 1.0),
            entry("resize_rgb_u8", "fast_image_resize", Some("224"), 2.0),
            entry("resize_rgb_u8", "image", Some("224"), 8.0),
            entry("resize_rgb_u8", "image", Some("512"), 100.0),
            entry("blur_rgb_u8", "augment", None, 3.0),
            entry("blur_rgb_u8", "libblur", None, 1.5),
            entry("alone", "augment", None, 1.0),
        ];
        let ratios = peer_ratios(&benches);
        let got: Vec<(String, String, f64)> = ratios
            .iter()
            .map(|r| (r.group.clone(), r.peer.clone(), r.ratio()))
            .collect();
        assert_eq!(
            got,
            [
                ("blur_rgb_u8".to_string(), "libblur".to_string(), 2.0),
                ("resize_rgb_u8".into(), "fast_image_resize".into(), 0.5),
                ("resize_rgb_u8".into(), "image".into(), 0.125),
            ]
        );
        let text = peer_table(&ratios);
        assert!(text.contains("ours 2.00x slower"), "{text}");
        assert!(text.contains("ours 8.00x faster"), "{text}");
        assert!(text.contains("resize_rgb_u8/224"), "{text}");
    }

    #[test]
    fn several_of_ours_each_meet_every_peer_and_units_must_match() {
        let mut images = entry("pipeline_rgb", "naive_chain", None, 4.0);
        images.unit = Unit::Image;
        let benches = vec![
            entry("warp", "augment", None, 1.0),
            entry("warp", "augment_scalar", None, 3.0),
            entry("warp", "imageproc", None, 6.0),
            entry("pipeline_rgb", "augment", None, 1.0),
            images,
        ];
        let ratios: Vec<(String, f64)> = peer_ratios(&benches)
            .iter()
            .map(|r| (r.ours.clone(), r.ratio()))
            .collect();
        assert_eq!(
            ratios,
            [
                ("augment".to_string(), 1.0 / 6.0),
                ("augment_scalar".into(), 0.5)
            ]
        );
        // By default the plain `augment` stands for ours where there is one.
        let primary: Vec<String> = peer_pairs(&benches, false)
            .iter()
            .map(|r| r.ours.clone())
            .collect();
        assert_eq!(primary, ["augment"]);
        let only_variant = vec![
            entry("g", "augment_direct", None, 1.0),
            entry("g", "libblur", None, 2.0),
        ];
        assert_eq!(peer_pairs(&only_variant, false).len(), 1);
    }

    fn verdict_of(changes: &[Change], id: &str) -> Option<Verdict> {
        changes.iter().find(|c| c.id == id).map(|c| c.verdict)
    }

    #[test]
    fn slower_ours_is_a_regression_unless_the_peers_slowed_down_too() {
        let old = run(vec![
            entry("a", "augment", None, 1.0),
            entry("a", "image", None, 2.0),
            entry("b", "augment", None, 1.0),
            entry("b", "image", None, 2.0),
            entry("c", "augment", None, 1.0),
            entry("gone", "augment", None, 1.0),
        ]);
        let new = run(vec![
            // 30% slower while the peer held still: ours regressed.
            entry("a", "augment", None, 1.3),
            entry("a", "image", None, 2.0),
            // 30% slower, peer 30% slower as well: the machine.
            entry("b", "augment", None, 1.3),
            entry("b", "image", None, 2.6),
            // No peer to judge by: the absolute change decides.
            entry("c", "augment", None, 0.5),
            entry("fresh", "augment", None, 1.0),
        ]);
        let changes = compare(&new, &old, 0.10);
        assert_eq!(verdict_of(&changes, "a/augment"), Some(Verdict::Regression));
        assert_eq!(verdict_of(&changes, "a/image"), Some(Verdict::Peer));
        assert_eq!(verdict_of(&changes, "b/augment"), Some(Verdict::Drift));
        assert_eq!(verdict_of(&changes, "c/augment"), Some(Verdict::Improved));
        assert_eq!(verdict_of(&changes, "fresh/augment"), Some(Verdict::New));
        assert_eq!(verdict_of(&changes, "gone/augment"), Some(Verdict::Missing));
        let a = changes.iter().find(|c| c.id == "a/augment");
        assert!(
            a.and_then(|c| c.ratio)
                .is_some_and(|r| (r - 1.3).abs() < 1e-12)
        );
        assert!(
            a.and_then(|c| c.versus_peers)
                .is_some_and(|r| (r - 1.3).abs() < 1e-12)
        );
        let regressed: Vec<&str> = regressions(&changes)
            .iter()
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(regressed, ["a/augment"]);
        let text = change_table(&changes);
        assert!(
            text.contains("REGRESSION") && text.contains("drift"),
            "{text}"
        );
    }

    #[test]
    fn the_threshold_is_respected_both_ways() {
        let old = run(vec![entry("a", "augment", None, 1.0)]);
        let new = run(vec![entry("a", "augment", None, 1.08)]);
        assert_eq!(
            verdict_of(&compare(&new, &old, 0.10), "a/augment"),
            Some(Verdict::Same)
        );
        assert_eq!(
            verdict_of(&compare(&new, &old, 0.05), "a/augment"),
            Some(Verdict::Regression)
        );
        let new = run(vec![entry("a", "augment", None, 0.93)]);
        assert_eq!(
            verdict_of(&compare(&new, &old, 0.05), "a/augment"),
            Some(Verdict::Improved)
        );
    }

    #[test]
    fn faster_with_faster_peers_is_drift_and_unit_changes_are_not_compared() {
        let mut old_img = entry("p", "augment", None, 1.0);
        old_img.unit = Unit::Image;
        let old = run(vec![
            entry("a", "augment", None, 1.0),
            entry("a", "libblur", None, 1.0),
            old_img,
        ]);
        let new = run(vec![
            entry("a", "augment", None, 0.5),
            entry("a", "libblur", None, 0.52),
            entry("p", "augment", None, 1.0),
        ]);
        let changes = compare(&new, &old, 0.10);
        assert_eq!(verdict_of(&changes, "a/augment"), Some(Verdict::Drift));
        assert_eq!(
            verdict_of(&changes, "p/augment"),
            Some(Verdict::UnitChanged)
        );
    }

    #[test]
    fn geometric_mean_ignores_nonsense() {
        assert_eq!(geometric_mean(&[]), None);
        assert_eq!(geometric_mean(&[f64::NAN, 0.0, -1.0]), None);
        assert!(geometric_mean(&[2.0, 8.0]).is_some_and(|g| (g - 4.0).abs() < 1e-12));
    }

    #[test]
    fn tables_align_columns() {
        let text = table(
            &["a", "bb"],
            &[
                vec!["long cell".into(), "x".into()],
                vec!["s".into(), "y".into()],
            ],
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "a          bb");
        assert_eq!(lines[1], "---------  --");
        assert_eq!(lines[2], "long cell  x");
        assert_eq!(lines[3], "s          y");
    }
}
