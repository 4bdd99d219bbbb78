//! List files: CSV `path,label` lines or JSON lines `{"path": ..., "label": ...}`.

use super::{Dataset, Entry, Location, SourceKind};
use crate::error::{Error, Result};
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
    let mut entries = Vec::new();
    let mut first = true;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = |what: String| Error::List {
            path: path.to_path_buf(),
            line: i + 1,
            what,
        };
        let (file, label) = if json {
            json_line(line).map_err(bad)?
        } else {
            match csv_line(line) {
                Ok(pair) => pair,
                // A first line whose label is not a number is a header.
                Err(CsvError::Label(_)) if first => {
                    first = false;
                    continue;
                }
                Err(e) => return Err(bad(e.to_string())),
            }
        };
        first = false;
        if file.is_empty() {
            return Err(bad("empty path".into()));
        }
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
        classes: Vec::new(),
        shards: Arc::from(Vec::<PathBuf>::new()),
        kind: SourceKind::List,
        origin: path.to_path_buf(),
    })
}

fn json_line(line: &str) -> std::result::Result<(String, i64), String> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not a JSON object: {e}"))?;
    let path = value
        .get("path")
        .and_then(|p| p.as_str())
        .ok_or("no \"path\" string")?;
    let label = value
        .get("label")
        .ok_or("no \"label\"")?
        .as_i64()
        .ok_or("\"label\" is not an integer")?;
    Ok((path.to_string(), label))
}

#[derive(Debug)]
enum CsvError {
    NoComma,
    Label(String),
    Quote,
}

impl std::fmt::Display for CsvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CsvError::NoComma => f.write_str("expected path,label"),
            CsvError::Label(l) => write!(f, "label {l:?} is not an integer"),
            CsvError::Quote => f.write_str("unterminated or misplaced quote in the path"),
        }
    }
}

/// `path,label`, the path bare (the label follows the last comma) or
/// quoted with `""` for a quote inside.
fn csv_line(line: &str) -> std::result::Result<(String, i64), CsvError> {
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
    let label = label.trim();
    let label = label
        .parse::<i64>()
        .map_err(|_| CsvError::Label(label.to_string()))?;
    Ok((path, label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields() {
        let ok = |l: &str| csv_line(l).ok();
        assert_eq!(ok("a/b.jpg,3"), Some(("a/b.jpg".into(), 3)));
        assert_eq!(ok(" a,b.jpg , -2 "), Some(("a,b.jpg".into(), -2)));
        assert_eq!(ok("\"x\"\"y,z.png\",7"), Some(("x\"y,z.png".into(), 7)));
        assert!(matches!(csv_line("path,label"), Err(CsvError::Label(_))));
        assert!(matches!(csv_line("nocomma"), Err(CsvError::NoComma)));
        assert!(matches!(csv_line("\"open,3"), Err(CsvError::Quote)));
        assert!(matches!(csv_line("\"a\"x,3"), Err(CsvError::Quote)));
    }

    #[test]
    fn json_fields() {
        assert_eq!(
            json_line(r#"{"path": "a.jpg", "label": 4}"#),
            Ok(("a.jpg".into(), 4))
        );
        assert!(json_line(r#"{"path": "a.jpg", "label": "4"}"#).is_err());
        assert!(json_line(r#"{"label": 4}"#).is_err());
        assert!(json_line("[1]").is_err());
    }
}
