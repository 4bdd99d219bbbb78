//! List files: CSV `path,label` lines (or a header naming those columns
//! among others; TSV alike), `path label` text lines, JSON lines
//! `{"path": ..., "label": ...}` or a JSON array of such objects, labels
//! given as integers or as class names. CSV is read by the `csv` crate.

use super::{Dataset, Entry, Location, SourceKind};
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::Path;

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
    // Files users give by mistake, named for what they are rather than
    // "not UTF-8 text" at line 1.
    let mistaken = if bytes.starts_with(&[0x1f, 0x8b]) {
        Some("gzip-compressed, not a list file (compressed tar shards are not read: give the .tar)")
    } else if crate::decode::probe(&bytes).is_ok() {
        Some("an image, not a list file (give the folder or a list of images)")
    } else {
        None
    };
    if let Some(what) = mistaken {
        return Err(Error::List {
            path: path.to_path_buf(),
            line: 0,
            what: what.into(),
        });
    }
    let text = std::str::from_utf8(&bytes).map_err(|e| Error::List {
        path: path.to_path_buf(),
        line: bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1,
        what: "not UTF-8 text".into(),
    })?;
    // Excel's "CSV UTF-8" starts with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let base = path.parent().unwrap_or(Path::new(""));
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let bad = |line: usize, what: String| Error::List {
        path: path.to_path_buf(),
        line,
        what,
    };
    let start = text.trim_start();
    let json = ["jsonl", "ndjson", "json"].contains(&extension.as_str())
        || start.starts_with('{')
        || start.starts_with('[');
    // Whether a first line may still be a header (JSON has none; a CSV
    // header that named its columns is gone already).
    let (mut rows, header_open) = if json {
        (
            json_rows(text).map_err(|(line, what)| bad(line, what))?,
            false,
        )
    } else if extension == "txt" {
        (
            whitespace_rows(text).map_err(|(line, what)| bad(line, what))?,
            true,
        )
    } else {
        let delimiter = if extension == "tsv" { b'\t' } else { b',' };
        let (rows, named) =
            delimited_rows(text, delimiter).map_err(|(line, what)| bad(line, what))?;
        (rows, !named)
    };
    if header_open
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
    Dataset::of(
        entries,
        positions.into_keys().collect(),
        Vec::new(),
        SourceKind::List,
        path.to_path_buf(),
    )
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
        super::integer_label(text).map_or_else(|| Label::Name(text.to_string()), Label::Number)
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

/// A sample as a list gives it: its line (or position in a JSON array),
/// path and label.
type Row = (usize, String, Label);

/// A list's problem: the line and what is wrong there.
type RowError = (usize, String);

/// Keys a JSON sample's path may go by, tried in this order.
const PATH_KEYS: [&str; 8] = [
    "path",
    "file",
    "filename",
    "file_name",
    "filepath",
    "file_path",
    "image",
    "image_path",
];

/// Keys (and CSV header names) a sample's label may go by.
const LABEL_KEYS: [&str; 7] = [
    "label",
    "cls",
    "class",
    "class_name",
    "category",
    "category_id",
    "target",
];

/// The samples of JSON lines, or of one JSON array of objects.
fn json_rows(text: &str) -> std::result::Result<Vec<Row>, RowError> {
    if text.trim_start().starts_with('[') {
        let values: Vec<serde_json::Value> = serde_json::from_str(text)
            .map_err(|e| (e.line(), format!("not a JSON array of objects: {e}")))?;
        // An array has no line per sample: errors name the sample's
        // position from 1 instead.
        return values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                json_sample(v)
                    .map(|(p, l)| (i + 1, p, l))
                    .map_err(|e| (i + 1, e))
            })
            .collect();
    }
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (file, label) = json_line(line).map_err(|e| (i + 1, e))?;
        rows.push((i + 1, file, label));
    }
    Ok(rows)
}

fn json_line(line: &str) -> std::result::Result<(String, Label), String> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not a JSON object: {e}"))?;
    json_sample(&value)
}

fn json_sample(value: &serde_json::Value) -> std::result::Result<(String, Label), String> {
    let object = value.as_object().ok_or("not a JSON object")?;
    let path = PATH_KEYS
        .iter()
        .find_map(|k| object.get(*k))
        .ok_or_else(|| format!("no path (a string under one of {PATH_KEYS:?})"))?
        .as_str()
        .ok_or("the path is not a string")?;
    let label = LABEL_KEYS
        .iter()
        .find_map(|k| object.get(*k))
        .ok_or_else(|| format!("no label (under one of {LABEL_KEYS:?})"))?;
    let label = match label {
        serde_json::Value::String(name) => Label::Name(name.clone()),
        number => Label::Number(
            super::json_integer(number)
                .ok_or("the label is neither an integer nor a class name")?,
        ),
    };
    Ok((path.to_string(), label))
}

/// `path label` lines (Caffe's and many datasets' `.txt` lists): the label
/// is the last word, the path all before it (so it may hold spaces).
fn whitespace_rows(text: &str) -> std::result::Result<Vec<Row>, RowError> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (file, label) = line
            .rsplit_once(char::is_whitespace)
            .ok_or((i + 1, "expected a path and a label".to_string()))?;
        rows.push((i + 1, file.trim_end().to_string(), Label::parse(label)));
    }
    Ok(rows)
}

/// CSV (or TSV) rows as `(line, path, label)`, and whether a header named
/// the columns (then it is not among the rows). A first row naming a path
/// column ([`PATH_KEYS`]) and a label column ([`LABEL_KEYS`]) is such a
/// header, whatever the other columns (`path,label,split`, `label,path`).
/// Otherwise the label is the last field and the path all the fields
/// before it, so an unquoted comma in a path survives; whether a first row
/// is a header is then [`is_header`]'s call.
fn delimited_rows(text: &str, delimiter: u8) -> std::result::Result<(Vec<Row>, bool), RowError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let line_of = |r: &csv::StringRecord| r.position().map_or(0, |p| p.line() as usize);
    let mut records = reader.records();
    let mut rows = Vec::new();
    let Some(first) = records.next() else {
        return Ok((rows, false));
    };
    let first = first.map_err(|e| (1, e.to_string()))?;
    let column = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| first.iter().position(|f| f.trim().eq_ignore_ascii_case(k)))
    };
    let named = column(&PATH_KEYS).zip(column(&LABEL_KEYS));
    // Under a two-column header the other field is all the rest, as with
    // no header: `path,label` above `a, b.jpg,3` keeps the comma.
    let label_first = match named {
        Some((p, l)) if first.len() == 2 => Some(l < p),
        _ => None,
    };
    let joiner = char::from(delimiter).to_string();
    let mut take = |record: &csv::StringRecord| -> std::result::Result<(), RowError> {
        let line = line_of(record);
        if record.iter().all(|f| f.trim().is_empty()) {
            return Ok(());
        }
        let open_quote = record
            .position()
            .and_then(|p| text.get(p.byte() as usize..))
            .is_some_and(|rest| rest.trim_start().starts_with('"'))
            && record.iter().any(|f| f.contains('\n') || record.len() < 2);
        if open_quote {
            return Err((
                line,
                "unterminated quote: the quoted path runs on to the end of the list".into(),
            ));
        }
        let fields: Vec<&str> = record.iter().collect();
        let (file, label) = match (named, label_first) {
            (_, Some(true)) if fields.len() >= 2 => (fields[1..].join(&joiner), fields[0]),
            (Some((p, l)), None) => match (record.get(p), record.get(l)) {
                (Some(file), Some(label)) => (file.to_string(), label),
                _ => {
                    return Err((
                        line,
                        format!(
                            "{} fields, fewer than the header's path and label columns ({} and {})",
                            record.len(),
                            p + 1,
                            l + 1
                        ),
                    ));
                }
            },
            _ if fields.len() >= 2 => {
                let (label, path) = fields.split_last().unwrap_or((&"", &[]));
                let path = path.join(&joiner);
                // `a.jpg,0,train` with no header: the first field is an
                // image, the fields before the last are not: an extra
                // column, not a comma in a path.
                if fields.len() > 2
                    && super::is_image_name(fields[0].trim())
                    && !super::is_image_name(path.trim())
                {
                    return Err((
                        line,
                        format!(
                            "{} fields and no header naming the path and label columns \
                             (add one, such as path,label,...)",
                            fields.len()
                        ),
                    ));
                }
                (path, *label)
            }
            _ => {
                return Err((
                    line,
                    format!(
                        "expected path{}label",
                        if delimiter == b'\t' { "<tab>" } else { "," }
                    ),
                ));
            }
        };
        rows.push((line, file.trim().to_string(), Label::parse(label.trim())));
        Ok(())
    };
    if named.is_none() {
        take(&first)?;
    }
    for record in records {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            (line, e.to_string())
        })?;
        take(&record)?;
    }
    Ok((rows, named.is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(text: &str) -> Option<(Vec<(String, Label)>, bool)> {
        delimited_rows(text, b',')
            .ok()
            .map(|(rows, named)| (rows.into_iter().map(|(_, f, l)| (f, l)).collect(), named))
    }

    #[test]
    fn csv_fields() {
        let n = Label::Number;
        let name = |s: &str| Label::Name(s.into());
        let one = |f: &str, l: Label| Some((vec![(f.to_string(), l)], false));
        assert_eq!(csv("a/b.jpg,3"), one("a/b.jpg", n(3)));
        // A float column's integers (pandas writes 3 as 3.0 there) are
        // numbers, not class names sorted as text ("10.0" < "3.0").
        assert_eq!(csv("a.jpg,3.0"), one("a.jpg", n(3)));
        assert_eq!(csv("a.jpg,-1.0"), one("a.jpg", n(-1)));
        assert_eq!(csv("a.jpg,1e1"), one("a.jpg", n(10)));
        assert_eq!(csv("a.jpg,0.5"), one("a.jpg", name("0.5")));
        assert_eq!(csv("a.jpg,inf"), one("a.jpg", name("inf")));
        assert_eq!(csv("a.jpg,NaN"), one("a.jpg", name("NaN")));
        // An unquoted comma stays in the path: the label is the last field.
        assert_eq!(csv(" a,b.jpg , -2 "), one("a,b.jpg", n(-2)));
        assert_eq!(csv("\"x\"\"y,z.png\",7"), one("x\"y,z.png", n(7)));
        assert_eq!(csv("path,label\n"), Some((vec![], true)));
        assert_eq!(
            csv("cats/a.jpg, tabby cat "),
            one("cats/a.jpg", name("tabby cat"))
        );
        assert!(csv("nocomma").is_none());
        assert!(
            csv("a.jpg,0,train").is_none(),
            "an extra column needs a header"
        );
        assert_eq!(
            csv("a,b.jpg,2").map(|(r, _)| r[0].0.clone()),
            Some("a,b.jpg".into())
        );
        // A header naming its columns picks them, whatever else is there.
        let picked = Some((
            vec![("a.jpg".to_string(), n(1)), ("b.jpg".to_string(), n(0))],
            true,
        ));
        assert_eq!(
            csv("Path,Label,split\na.jpg,1,train\nb.jpg,0,val\n"),
            picked
        );
        assert_eq!(csv("label,filename\n1,a.jpg\n0,b.jpg\n"), picked);
        assert_eq!(
            csv("id,image,class,fold\n7,a.jpg,1,0\n8,b.jpg,0,1\n"),
            picked
        );
        assert!(
            csv("path,label,split\na.jpg\n").is_none(),
            "a short row is an error"
        );
        // Windows line ends, blank lines.
        assert_eq!(
            csv("a.jpg,1\r\n\r\nb.jpg,0\r\n").map(|(r, _)| r.len()),
            Some(2)
        );
        let tsv = delimited_rows("path\tlabel\nx, y.jpg\t4\n", b'\t').ok();
        assert_eq!(
            tsv.map(|(r, _)| r[0].1.clone()),
            Some("x, y.jpg".to_string())
        );
    }

    #[test]
    fn whitespace_lists() {
        let rows = whitespace_rows("n01440764/a b.JPEG 0\n\nval/x.jpg\t65\n").ok();
        assert_eq!(
            rows,
            Some(vec![
                (1, "n01440764/a b.JPEG".to_string(), Label::Number(0)),
                (3, "val/x.jpg".to_string(), Label::Number(65)),
            ])
        );
        assert_eq!(whitespace_rows("lonely\n").err().map(|e| e.0), Some(1));
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
        assert_eq!(
            json_line(r#"{"file_name": "a.jpg", "category_id": 4, "id": 9}"#),
            Ok(("a.jpg".into(), Label::Number(4)))
        );
        assert!(json_line(r#"{"path": "a.jpg", "label": 1.5}"#).is_err());
        assert_eq!(
            json_line(r#"{"path": "a.jpg", "label": 4.0}"#),
            Ok(("a.jpg".into(), Label::Number(4)))
        );
        assert!(json_line(r#"{"label": 4}"#).is_err());
        assert!(json_line(r#"{"path": 3, "label": 4}"#).is_err());
        assert!(json_line("[1]").is_err());
        let array = json_rows(
            r#"[{"image": "a.jpg", "class": "cat"}, {"image": "b.jpg", "class": "dog"}]"#,
        );
        assert_eq!(
            array.map(|r| r.into_iter().map(|(i, f, _)| (i, f)).collect::<Vec<_>>()),
            Ok(vec![(1, "a.jpg".to_string()), (2, "b.jpg".to_string())])
        );
        assert_eq!(
            json_rows(r#"[{"image": "a.jpg"}]"#).err().map(|e| e.0),
            Some(1)
        );
    }
}
