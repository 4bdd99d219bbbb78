//! List files: CSV `path,label` lines or JSON lines `{"path": ..., "label": ...}`,
//! labels given as integers or as class names.

use super::{Dataset, Entry, Location, SourceKind};
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Largest list file read: 4 GiB (about 50 million lines of ImageNet paths).
const MAX_LIST_BYTES: u64 = 4 << 30;

pub(super) fn index(path: &Path) -> Result<Dataset> {
    let len = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    if len > MAX_LIST_BYTES {
        return Err(Error::List {
            path: path.to_path_buf(),
            line: 0,
            what: format!("{len} bytes is over the {MAX_LIST_BYTES}-byte limit for list files"),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| Error::List {
        path: path.to_path_buf(),
        line: bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1,
        what: "not UTF-8 text".into(),
    })?;
    let base = path.parent().unwrap_or(Path::new(""));
    let json = path.extension().is_some_and(|e| {
        ["jsonl", "ndjson", "json"]
            .iter()
            .any(|j| e.eq_ignore_ascii_case(j))
    }) || text.trim_start().starts_with('{');
    let bad = |line: usize, what: String| Error::List {
        path: path.to_path_buf(),
        line,
        what,
    };
    let mut rows: Vec<(usize, String, Label)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (file, label) = if json {
            json_line(line).map_err(|e| bad(i + 1, e))?
        } else {
            csv_line(line).map_err(|e| bad(i + 1, e.to_string()))?
        };
        rows.push((i + 1, file, label));
    }
    if !json
        && let Some(((_, file, label), rest)) = rows.split_first()
        && is_header(file, label, rest)
    {
        rows.remove(0);
    }
    let names = rows
        .first()
        .is_some_and(|(_, _, label)| matches!(label, Label::Name(_)));
    // Each distinct name once, sorted, then numbered in that order.
    let mut positions: BTreeMap<String, i64> = BTreeMap::new();
    if names {
        for (_, _, label) in &rows {
            positions.entry(label.text()).or_insert(0);
        }
        for (position, value) in (0..).zip(positions.values_mut()) {
            *value = position;
        }
    }
    let mut entries = Vec::with_capacity(rows.len());
    for (line, file, label) in rows {
        if file.is_empty() {
            return Err(bad(line, "empty path".into()));
        }
        let label = match (label, names) {
            (Label::Number(n), false) => n,
            (Label::Name(name), false) => {
                return Err(bad(
                    line,
                    format!("label {name:?} is not an integer (the first sample's label is)"),
                ));
            }
            (Label::Number(n), true) if json => {
                return Err(bad(
                    line,
                    format!("label {n} is an integer (the first sample's label is a class name)"),
                ));
            }
            // A CSV label that reads as a number is a name among names.
            (label, true) => positions.get(&label.text()).copied().unwrap_or_default(),
        };
        entries.push(Entry {
            location: Location::File(base.join(file)),
            label,
        });
    }
    if entries.is_empty() {
        return Err(Error::NoSamples {
            path: path.to_path_buf(),
        });
    }
    Ok(Dataset {
        entries,
        classes: positions.into_keys().collect(),
        shards: Arc::from(Vec::<PathBuf>::new()),
        kind: SourceKind::List,
        origin: path.to_path_buf(),
    })
}

/// A sample's label as the list gives it: an integer, or a class name
/// (turned into the name's position among the list's sorted names).
#[derive(Debug, Clone, PartialEq)]
enum Label {
    Number(i64),
    Name(String),
}

impl Label {
    fn parse(text: &str) -> Label {
        text.parse::<i64>()
            .map_or_else(|_| Label::Name(text.to_string()), Label::Number)
    }

    fn text(&self) -> String {
        match self {
            Label::Number(n) => n.to_string(),
            Label::Name(name) => name.clone(),
        }
    }
}

/// Whether a CSV list's first line is a header: its label is not an
/// integer, and either there are later lines and all their labels are
/// (integer labels under a header, such as `path,label`) or its path could
/// not be an image's (no `.` and no folder separator: `image_id,label`
/// above `cats/1.jpg,cat`).
fn is_header(file: &str, label: &Label, rest: &[(usize, String, Label)]) -> bool {
    matches!(label, Label::Name(_))
        && (!file.contains(['.', '/', '\\'])
            || (!rest.is_empty() && rest.iter().all(|(_, _, l)| matches!(l, Label::Number(_)))))
}

fn json_line(line: &str) -> std::result::Result<(String, Label), String> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not a JSON object: {e}"))?;
    let path = value
        .get("path")
        .and_then(|p| p.as_str())
        .ok_or("no \"path\" string")?;
    let label = match value.get("label").ok_or("no \"label\"")? {
        serde_json::Value::String(name) => Label::Name(name.clone()),
        number => Label::Number(
            number
                .as_i64()
                .ok_or("\"label\" is neither an integer nor a class name")?,
        ),
    };
    Ok((path.to_string(), label))
}

#[derive(Debug)]
enum CsvError {
    NoComma,
    Quote,
}

impl std::fmt::Display for CsvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CsvError::NoComma => f.write_str("expected path,label"),
            CsvError::Quote => f.write_str("unterminated or misplaced quote in the path"),
        }
    }
}

/// `path,label`, the path bare (the label follows the last comma) or
/// quoted with `""` for a quote inside.
fn csv_line(line: &str) -> std::result::Result<(String, Label), CsvError> {
    let (path, label) = if let Some(quoted) = line.strip_prefix('"') {
        let mut path = String::new();
        let mut chars = quoted.char_indices();
        let rest = loop {
            match chars.next() {
                Some((_, '"')) => match chars.clone().next() {
                    Some((_, '"')) => {
                        chars.next();
                        path.push('"');
                    }
                    Some((at, _)) => break &quoted[at..],
                    None => break "",
                },
                Some((_, c)) => path.push(c),
                None => return Err(CsvError::Quote),
            }
        };
        let label = rest.trim_start().strip_prefix(',').ok_or(CsvError::Quote)?;
        (path, label)
    } else {
        let (path, label) = line.rsplit_once(',').ok_or(CsvError::NoComma)?;
        (path.trim().to_string(), label)
    };
    Ok((path, Label::parse(label.trim())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields() {
        let ok = |l: &str| csv_line(l).ok();
        let n = Label::Number;
        assert_eq!(ok("a/b.jpg,3"), Some(("a/b.jpg".into(), n(3))));
        assert_eq!(ok(" a,b.jpg , -2 "), Some(("a,b.jpg".into(), n(-2))));
        assert_eq!(ok("\"x\"\"y,z.png\",7"), Some(("x\"y,z.png".into(), n(7))));
        assert_eq!(
            ok("path,label"),
            Some(("path".into(), Label::Name("label".into())))
        );
        assert_eq!(
            ok("cats/a.jpg, tabby cat "),
            Some(("cats/a.jpg".into(), Label::Name("tabby cat".into())))
        );
        assert!(matches!(csv_line("nocomma"), Err(CsvError::NoComma)));
        assert!(matches!(csv_line("\"open,3"), Err(CsvError::Quote)));
        assert!(matches!(csv_line("\"a\"x,3"), Err(CsvError::Quote)));
    }

    #[test]
    fn headers() {
        let name = |s: &str| Label::Name(s.into());
        let row = |file: &str, label: Label| (2, file.to_string(), label);
        // Above integer labels, any first line with a name label.
        assert!(is_header(
            "a.jpg",
            &name("label"),
            &[row("b.jpg", Label::Number(1))]
        ));
        // Above names, only a first line that names no file.
        assert!(is_header(
            "image_id",
            &name("label"),
            &[row("b.jpg", name("cat"))]
        ));
        assert!(is_header("path", &name("class"), &[]));
        assert!(!is_header(
            "a.jpg",
            &name("cat"),
            &[row("b.jpg", name("dog"))]
        ));
        let mixed = [row("b.jpg", Label::Number(7)), row("c.jpg", name("b10"))];
        assert!(!is_header("a.jpg", &name("b10"), &mixed));
        assert!(!is_header("cats/a", &name("cat"), &[]));
        assert!(!is_header("path", &Label::Number(3), &[]));
    }

    #[test]
    fn json_fields() {
        assert_eq!(
            json_line(r#"{"path": "a.jpg", "label": 4}"#),
            Ok(("a.jpg".into(), Label::Number(4)))
        );
        assert_eq!(
            json_line(r#"{"path": "a.jpg", "label": "4"}"#),
            Ok(("a.jpg".into(), Label::Name("4".into())))
        );
        assert!(json_line(r#"{"path": "a.jpg", "label": 1.5}"#).is_err());
        assert!(json_line(r#"{"label": 4}"#).is_err());
        assert!(json_line("[1]").is_err());
    }
}
