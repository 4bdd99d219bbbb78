//! WebDataset tar shards, indexed by one sequential pass over the headers.
//!
//! A tar archive is a sequence of 512-byte headers, each followed by its
//! member's data padded to a multiple of 512 bytes, ended by zero blocks
//! (or the end of the file). A header holds the name (100 bytes, plus a
//! 155-byte prefix in the ustar format), the size (12 bytes of octal, or
//! base-256 when the first byte has its high bit set), a checksum (the sum
//! of the header's bytes with the checksum field taken as spaces, octal)
//! and a type (`0` or NUL: a file; `L`: a GNU long name for the next
//! header; `x`: pax records for the next header, of which `path` and
//! `size` are used; `g` and everything else: skipped). Only the labels
//! (`.cls`, `.json`) are read during indexing; images are located
//! (offset, length) and read later by offset.

use super::{Location, SampleLabel, is_hidden};
use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

const BLOCK: u64 = 512;
/// Largest GNU long name or pax header read.
const MAX_META: u64 = 1 << 20;
/// Largest label member (`.cls`, `.json`) read.
const MAX_LABEL: u64 = 1 << 16;

/// One sample being gathered: members sharing a key.
#[derive(Default)]
struct Pending {
    key: String,
    image: Option<(u64, u64, String)>,
    cls: Option<std::result::Result<SampleLabel, String>>,
    json: Option<std::result::Result<SampleLabel, String>>,
    label_member: String,
}

struct Reader<'a> {
    path: &'a Path,
    input: BufReader<File>,
    offset: u64,
    file_len: u64,
}

impl Reader<'_> {
    fn tar_error(&self, offset: u64, what: impl Into<String>) -> Error {
        Error::Tar {
            path: self.path.to_path_buf(),
            offset,
            what: what.into(),
        }
    }

    /// Reads a whole header block; `None` at a clean end of file.
    fn block(&mut self) -> Result<Option<[u8; 512]>> {
        let mut block = [0u8; 512];
        let mut got = 0;
        while got < block.len() {
            match self.input.read(&mut block[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io(self.path, e)),
            }
        }
        match got {
            0 => Ok(None),
            512 => {
                self.offset += BLOCK;
                Ok(Some(block))
            }
            _ => Err(self.tar_error(self.offset, "the archive ends inside a header")),
        }
    }

    /// Reads `len` data bytes and the padding after them.
    fn data(&mut self, len: u64) -> Result<Vec<u8>> {
        let mut data = vec![0; len as usize];
        self.input
            .read_exact(&mut data)
            .map_err(|e| Error::io(self.path, e))?;
        self.offset += len;
        self.skip(padding(len))?;
        Ok(data)
    }

    fn skip(&mut self, len: u64) -> Result<()> {
        let by = i64::try_from(len).map_err(|_| self.tar_error(self.offset, "member too large"))?;
        self.input
            .seek_relative(by)
            .map_err(|e| Error::io(self.path, e))?;
        self.offset += len;
        Ok(())
    }
}

fn padding(len: u64) -> u64 {
    (BLOCK - len % BLOCK) % BLOCK
}

/// A NUL-terminated header field as text.
fn text(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// An octal number field (spaces and NULs around it allowed), or base-256.
fn number(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|&b| b & 0x80 != 0) {
        // Base-256: the rest of the field, big-endian, the top bit a flag.
        return field[1..]
            .iter()
            .try_fold(u64::from(field[0] & 0x7F), |acc, &b| {
                acc.checked_mul(256)?.checked_add(u64::from(b))
            });
    }
    let digits = field
        .iter()
        .copied()
        .skip_while(|&b| b == b' ')
        .take_while(|&b| (b'0'..=b'7').contains(&b));
    let mut value = 0u64;
    let mut any = false;
    for d in digits {
        value = value.checked_mul(8)?.checked_add(u64::from(d - b'0'))?;
        any = true;
    }
    let all_blank = field.iter().all(|&b| b == 0 || b == b' ');
    (any || all_blank).then_some(value)
}

fn checksum_ok(header: &[u8; 512]) -> bool {
    let Some(stored) = number(&header[148..156]) else {
        return false;
    };
    let unsigned: u64 = header
        .iter()
        .enumerate()
        .map(|(i, &b)| u64::from(if (148..156).contains(&i) { b' ' } else { b }))
        .sum();
    let signed: i64 = header
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            i64::from(if (148..156).contains(&i) {
                b' ' as i8
            } else {
                b as i8
            })
        })
        .sum();
    stored == unsigned || i64::try_from(stored).is_ok_and(|s| s == signed)
}

/// pax records `"<len> <key>=<value>\n"`: the `path` and `size` ones.
fn pax(data: &[u8]) -> (Option<String>, Option<u64>) {
    let (mut path, mut size) = (None, None);
    let mut rest = data;
    while let Some(space) = rest.iter().position(|&b| b == b' ') {
        let Some(len) = std::str::from_utf8(&rest[..space])
            .ok()
            .and_then(|l| l.parse::<usize>().ok())
        else {
            break;
        };
        let Some(record) = rest.get(space + 1..len) else {
            break;
        };
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(eq) = record.iter().position(|&b| b == b'=') {
            let value = String::from_utf8_lossy(&record[eq + 1..]).into_owned();
            match &record[..eq] {
                b"path" => path = Some(value),
                b"size" => size = value.parse().ok(),
                _ => {}
            }
        }
        rest = &rest[len..];
    }
    (path, size)
}

/// WebDataset's split of a member name: key up to the first `.` of the
/// last path component, extension after it.
fn split_name(name: &str) -> Option<(&str, &str)> {
    let base_at = name.rfind('/').map_or(0, |i| i + 1);
    let dot = name[base_at..].find('.')? + base_at;
    Some((&name[..dot], &name[dot + 1..]))
}

/// A `.cls` member: a decimal integer, or a class name.
fn parse_cls(data: &[u8]) -> std::result::Result<SampleLabel, String> {
    let text = std::str::from_utf8(data).map_err(|_| "not text".to_string())?;
    let text = text.trim();
    if text.is_empty() {
        return Err("empty".into());
    }
    Ok(super::integer_label(text)
        .map_or_else(|| SampleLabel::Name(text.to_string()), SampleLabel::Index))
}

/// A `.json` member's `"label"` (or `"cls"`): an integer, or a class name.
fn parse_json(data: &[u8]) -> std::result::Result<SampleLabel, String> {
    let value: serde_json::Value =
        serde_json::from_slice(data).map_err(|e| format!("not JSON: {e}"))?;
    let label = value
        .get("label")
        .or_else(|| value.get("cls"))
        .ok_or("no \"label\" or \"cls\" field")?;
    match label {
        serde_json::Value::String(name) => Ok(SampleLabel::Name(name.clone())),
        other => super::json_integer(other)
            .map(SampleLabel::Index)
            .ok_or_else(|| format!("label {label} is neither an integer nor a class name")),
    }
}

/// Indexes shard `path` (number `shard`), appending its samples.
pub(super) fn index(
    path: &Path,
    shard: usize,
    entries: &mut Vec<(Location, SampleLabel)>,
) -> Result<()> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut r = Reader {
        path,
        input: BufReader::with_capacity(64 << 10, file),
        offset: 0,
        file_len,
    };
    let mut pending = Pending::default();
    let mut long_name: Option<String> = None;
    let mut pax_size: Option<u64> = None;
    while let Some(header) = r.block()? {
        let at = r.offset - BLOCK;
        if header.iter().all(|&b| b == 0) {
            break;
        }
        if !checksum_ok(&header) {
            return Err(r.tar_error(at, "header checksum mismatch"));
        }
        let size = match pax_size.take() {
            Some(s) => s,
            None => number(&header[124..136])
                .ok_or_else(|| r.tar_error(at, "the size field is not a number"))?,
        };
        let kind = header[156];
        let name = long_name.take().unwrap_or_else(|| {
            let name = text(&header[..100]);
            let prefix = text(&header[345..500]);
            if &header[257..262] == b"ustar" && !prefix.is_empty() {
                format!("{prefix}/{name}")
            } else {
                name
            }
        });
        let data_at = r.offset;
        match kind {
            b'L' | b'x' => {
                if size > MAX_META {
                    return Err(r.tar_error(at, format!("a {size}-byte extended header")));
                }
                let data = r.data(size)?;
                if kind == b'L' {
                    long_name = Some(text(&data));
                } else {
                    let (p, s) = pax(&data);
                    long_name = p;
                    pax_size = s;
                }
                continue;
            }
            0 | b'0' | b'7' => {}
            _ => {
                r.skip(size + padding(size))?;
                continue;
            }
        }
        let cut = data_at.saturating_add(size) > r.file_len;
        let hidden = name
            .rsplit('/')
            .next()
            .is_some_and(|base| is_hidden(std::ffi::OsStr::new(base)));
        let split = if hidden { None } else { split_name(&name) };
        if let Some((key, ext)) = split {
            if key != pending.key {
                flush(path, shard, &mut pending, entries)?;
                pending.key = key.to_string();
            }
            let ext = ext.to_ascii_lowercase();
            let label_kind = matches!(ext.as_str(), "cls" | "json");
            if super::IMAGE_EXTENSIONS.contains(&ext.as_str()) && pending.image.is_none() {
                // A cut image is indexed; reading it fails its sample later.
                pending.image = Some((data_at, size, name.clone()));
            } else if label_kind {
                if size > MAX_LABEL || cut {
                    let what = if cut {
                        "the label member is cut: the shard ends inside it".to_string()
                    } else {
                        format!("a {size}-byte label member (over {MAX_LABEL})")
                    };
                    return Err(Error::Shard {
                        path: path.to_path_buf(),
                        member: name,
                        what,
                    });
                }
                let data = r.data(size)?;
                let parsed = if ext == "cls" {
                    parse_cls(&data)
                } else {
                    parse_json(&data)
                };
                pending.label_member = name;
                if ext == "cls" {
                    pending.cls = Some(parsed);
                } else {
                    pending.json = Some(parsed);
                }
                continue;
            }
        }
        if cut {
            // Nothing follows a member that runs past the end of the file.
            break;
        }
        r.skip(size + padding(size))?;
    }
    flush(path, shard, &mut pending, entries)
}

/// Ends the pending sample: one entry if it has an image.
fn flush(
    path: &Path,
    shard: usize,
    pending: &mut Pending,
    entries: &mut Vec<(Location, SampleLabel)>,
) -> Result<()> {
    let p = std::mem::take(pending);
    let Some((offset, len, name)) = p.image else {
        return Ok(());
    };
    let shard_error = |member: String, what: String| Error::Shard {
        path: path.to_path_buf(),
        member,
        what,
    };
    let label = match (p.cls, p.json) {
        (Some(Ok(l)), _) | (None, Some(Ok(l))) => l,
        (Some(Err(e)), _) | (None, Some(Err(e))) => {
            return Err(shard_error(p.label_member, e));
        }
        (None, None) => {
            return Err(shard_error(
                name,
                format!(
                    "sample {:?} has no label (a .cls member, or .json with a \"label\" or \"cls\" field)",
                    p.key
                ),
            ));
        }
    };
    entries.push((
        Location::Member {
            shard,
            offset,
            len,
            name: name.into_boxed_str(),
        },
        label,
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names() {
        assert_eq!(number(b"0000644\0"), Some(0o644));
        assert_eq!(number(b"   17 \0"), Some(0o17));
        assert_eq!(number(b"\0\0\0\0"), Some(0));
        assert_eq!(number(b"12x"), Some(0o12));
        assert_eq!(number(b"x"), None);
        assert_eq!(number(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]), Some(256));
        assert_eq!(split_name("a/b.c/d.seg.png"), Some(("a/b.c/d", "seg.png")));
        assert_eq!(split_name("key.jpg"), Some(("key", "jpg")));
        assert_eq!(split_name("noext"), None);
        assert_eq!(
            pax(b"20 path=long/name.x\n11 size=99\n"),
            (Some("long/name.x".into()), Some(99))
        );
        assert_eq!(parse_cls(b" 12\n"), Ok(SampleLabel::Index(12)));
        assert_eq!(parse_cls(b"12.0"), Ok(SampleLabel::Index(12)));
        assert_eq!(parse_json(br#"{"label": 3.0}"#), Ok(SampleLabel::Index(3)));
        assert_eq!(
            parse_cls(b"tabby cat\n"),
            Ok(SampleLabel::Name("tabby cat".into()))
        );
        assert!(parse_cls(b" \n").is_err());
        assert_eq!(parse_json(br#"{"cls": 3}"#), Ok(SampleLabel::Index(3)));
        assert_eq!(
            parse_json(br#"{"label": "cat"}"#),
            Ok(SampleLabel::Name("cat".into()))
        );
        assert!(parse_json(br#"{"label": 1.5}"#).is_err());
    }
}
