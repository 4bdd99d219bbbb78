//! Where samples come from: a folder tree, a list file or tar shards, each
//! indexed once into a [`Dataset`] of (location, label) pairs whose bytes
//! are then read by index, so every source shuffles the same way.
//!
//! - [`Dataset::image_folder`]: torchvision's `ImageFolder` layout.
//! - [`Dataset::list_file`]: CSV `path,label` or JSON lines.
//! - [`Dataset::shards`]: WebDataset tar shards, with brace patterns.
//! - [`Dataset::open`]: whichever of the three a path or pattern names.

mod braces;
mod folder;
mod list;
mod tar;

use crate::error::{Error, Result, SampleName};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use braces::expand as expand_braces;

/// File extensions (compared case-insensitively) that folder datasets and
/// WebDataset shards take as images: torchvision's `IMG_EXTENSIONS`, so an
/// `ImageFolder` tree gives the same samples. The decoder itself sniffs the
/// format from the bytes, so a PNG named `.jpg` still decodes, and a list
/// file may name any file it decodes (`.pbm`, `.pam` too).
pub const IMAGE_EXTENSIONS: [&str; 9] = [
    "jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff", "ppm", "pgm",
];

/// Largest file (or tar member) a sample may be, unless set otherwise:
/// 256 MiB, far above any photograph, so a stray video or archive is
/// refused instead of read whole.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 256 << 20;

pub(crate) fn is_image_name(name: &str) -> bool {
    name.rsplit_once('.').is_some_and(|(_, ext)| {
        IMAGE_EXTENSIONS
            .iter()
            .any(|known| ext.eq_ignore_ascii_case(known))
    })
}

pub(crate) fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

/// Where one sample's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Location {
    File(PathBuf),
    Member {
        shard: usize,
        offset: u64,
        len: u64,
        name: Box<str>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    location: Location,
    label: i64,
}

/// A sample's label as a caller gives it: a number, or a class name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SampleLabel {
    /// The label itself.
    Index(i64),
    /// A class name: labels are the names' positions among the distinct
    /// names sorted, as for a folder's classes.
    Name(String),
}

/// An integer label written as text: `3`, or `3.0` (`3.`, `3e1`) as a
/// float column is written (pandas writes an integer column with a missing
/// value as floats); `None` for anything else, fractions included.
pub(crate) fn integer_label(text: &str) -> Option<i64> {
    if let Ok(n) = text.parse::<i64>() {
        return Some(n);
    }
    // Only decimal notation: f64's parser also takes "inf" and "NaN",
    // which are class names here.
    let decimal = text.bytes().any(|b| b.is_ascii_digit())
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'));
    text.parse().ok().filter(|_| decimal).and_then(integral)
}

/// `v` as an integer label if it is one exactly (below 2^53, where every
/// integer is a float).
pub(crate) fn integral(v: f64) -> Option<i64> {
    (v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0).then_some(v as i64)
}

/// A JSON number as an integer label: an integer, or a float that is one
/// exactly (`3.0`).
pub(crate) fn json_integer(number: &serde_json::Value) -> Option<i64> {
    number
        .as_i64()
        .or_else(|| number.as_f64().and_then(integral))
}

impl SampleLabel {
    /// A float that is an integer exactly (`3.0`, as a float column holds
    /// integer labels) as [`SampleLabel::Index`]; `None` for a fraction,
    /// NaN, infinity or beyond 2^53.
    ///
    /// ```
    /// use load::SampleLabel;
    /// assert_eq!(SampleLabel::from_float(3.0), Some(SampleLabel::Index(3)));
    /// assert_eq!(SampleLabel::from_float(0.5), None);
    /// ```
    pub fn from_float(v: f64) -> Option<SampleLabel> {
        integral(v).map(SampleLabel::Index)
    }
}

const MIXED_LABELS: &str =
    "numbers and class names mixed as labels (the first sample's kind throughout)";

/// Entries from `(location, label)` samples: numbers stay, class names
/// become their positions among the distinct names sorted (returned, as a
/// folder's classes). `Err(i)`: sample `i` is of another kind than the
/// first.
fn number_labels(
    samples: impl IntoIterator<Item = (Location, SampleLabel)>,
) -> std::result::Result<(Vec<Entry>, Vec<String>), usize> {
    let samples: Vec<(Location, SampleLabel)> = samples.into_iter().collect();
    let names = matches!(samples.first(), Some((_, SampleLabel::Name(_))));
    let mut positions: std::collections::BTreeMap<String, i64> = Default::default();
    for (i, (_, label)) in samples.iter().enumerate() {
        match (label, names) {
            (SampleLabel::Name(n), true) => {
                if !positions.contains_key(n) {
                    positions.insert(n.clone(), 0);
                }
            }
            (SampleLabel::Index(_), false) => {}
            _ => return Err(i),
        }
    }
    for (position, value) in (0..).zip(positions.values_mut()) {
        *value = position;
    }
    let entries = samples
        .into_iter()
        .map(|(location, label)| Entry {
            location,
            label: match label {
                SampleLabel::Index(n) => n,
                SampleLabel::Name(n) => positions.get(&n).copied().unwrap_or_default(),
            },
        })
        .collect();
    Ok((entries, positions.into_keys().collect()))
}

/// Which kind of source a dataset was indexed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A folder in the ImageFolder layout.
    Folder,
    /// A CSV or JSON-lines list file.
    List,
    /// WebDataset tar shards.
    Shards,
}

/// An indexed dataset: every sample's location and label, in a fixed
/// order (the order an epoch without shuffle visits).
///
/// ```no_run
/// use load::Dataset;
/// let train = Dataset::open("imagenet/train")?;               // ImageFolder
/// let listed = Dataset::open("labels.csv")?;                  // path,label
/// let shards = Dataset::open("shards/train-{0000..0099}.tar")?; // WebDataset
/// println!("{} samples, {} classes", train.len(), train.classes().len());
/// # Ok::<(), load::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Dataset {
    entries: Vec<Entry>,
    classes: Vec<String>,
    shards: Arc<[PathBuf]>,
    kind: SourceKind,
    origin: PathBuf,
}

impl Dataset {
    /// Samples given one by one (a data frame's columns, a list built in
    /// code): files and their labels, in the order given. Labels are all
    /// numbers or all class names (sorted into [`Dataset::classes`], label =
    /// position, as for a folder); mixing them, or no sample, is an error.
    /// `origin` names the samples in errors and reports.
    ///
    /// ```
    /// use load::{Dataset, SampleLabel};
    /// let d = Dataset::from_samples(
    ///     "in code",
    ///     vec![
    ///         ("b.jpg".into(), SampleLabel::Name("dog".into())),
    ///         ("a.jpg".into(), SampleLabel::Name("cat".into())),
    ///     ],
    /// )?;
    /// assert_eq!(d.classes(), ["cat", "dog"]);
    /// assert_eq!((d.label(0), d.label(1)), (Some(1), Some(0)));
    /// # Ok::<(), load::Error>(())
    /// ```
    pub fn from_samples(
        origin: impl Into<PathBuf>,
        samples: Vec<(PathBuf, SampleLabel)>,
    ) -> Result<Dataset> {
        let origin = origin.into();
        let (entries, classes) = number_labels(
            samples
                .into_iter()
                .map(|(path, label)| (Location::File(path), label)),
        )
        .map_err(|at| Error::List {
            path: origin.clone(),
            line: at + 1,
            what: MIXED_LABELS.into(),
        })?;
        Dataset::of(entries, classes, Vec::new(), SourceKind::List, origin)
    }

    /// A dataset of `entries`; [`Error::NoSamples`] naming `origin` if
    /// there are none.
    fn of(
        entries: Vec<Entry>,
        classes: Vec<String>,
        shards: Vec<PathBuf>,
        kind: SourceKind,
        origin: PathBuf,
    ) -> Result<Dataset> {
        if entries.is_empty() {
            return Err(Error::NoSamples { path: origin });
        }
        Ok(Dataset {
            entries,
            classes,
            shards: shards.into(),
            kind,
            origin,
        })
    }

    /// A folder tree in torchvision's `ImageFolder` layout: one subfolder
    /// per class; classes sorted by name, label = position in that order;
    /// every image below a class folder (at any depth) belongs to it.
    ///
    /// Files are ordered as torchvision orders them: classes in order,
    /// within a class by folder path (compared as strings, as Python sorts
    /// `os.walk`'s roots), then by file name. Image files are those with an
    /// [`IMAGE_EXTENSIONS`] extension, case-insensitive. Unlike
    /// torchvision, hidden files and folders (names starting with `.`,
    /// such as macOS's `._photo.jpg`) are skipped. Symbolic links are
    /// followed; a link leading back to a folder it sits in is refused
    /// with [`Error::Folder`]. An empty class folder is an error, as in
    /// torchvision.
    pub fn image_folder(root: impl AsRef<Path>) -> Result<Dataset> {
        folder::index(root.as_ref())
    }

    /// A list file: CSV lines `path,label` (a path with commas may be
    /// quoted, `"a,b.jpg",3`, or left bare: the label is after the last
    /// comma), or JSON lines `{"path": "...", "label": 3}`. Labels are
    /// integers, or class names throughout (`cats/1.jpg,cat`, `"label":
    /// "cat"`): then [`Dataset::classes`] are the names sorted and a label
    /// is its name's position, as for a folder (in CSV, a name that reads
    /// as a number is a name among the others). A CSV first line is a
    /// header, and skipped, when its label is not an integer and either the
    /// labels below it all are or its path names no file (no `.` and no
    /// folder separator: `image_id,label`). JSON lines are
    /// recognised by the extension `.jsonl`, `.ndjson` or `.json`, or by a
    /// first line starting with `{`. Relative paths are relative to the
    /// list file's folder; blank lines are skipped. Files are not opened
    /// until loaded: a missing one fails its sample then.
    pub fn list_file(path: impl AsRef<Path>) -> Result<Dataset> {
        list::index(path.as_ref())
    }

    /// WebDataset tar shards named by `pattern`, with brace ranges and
    /// lists expanded ([`expand_braces`]): `train-{0000..0099}.tar`,
    /// `{train,extra}-{0..9}.tar`. See [`Dataset::shard_files`].
    pub fn shards(pattern: &str) -> Result<Dataset> {
        let paths = braces::expand(pattern)?;
        Dataset::shard_files(paths)
    }

    /// WebDataset tar shards, in the order given. Each shard's headers are
    /// read once, sequentially, to index its members (offset, length);
    /// samples are the runs of consecutive members sharing a key (the name
    /// up to the first `.` of its last path component), in archive order.
    /// A sample's image is its first member with an image extension
    /// (`jpg`, `jpeg`, `png`, `webp`, `bmp`, the whole extension compared
    /// case-insensitively); its label is read at indexing from `key.cls`
    /// (a decimal integer) or else `key.json` (an object with an integer
    /// `"label"` or `"cls"` field). Keys without an image are ignored; an
    /// image without a label is an error ([`Error::Shard`]). Hidden members
    /// (`._x.jpg`), folders and links are skipped. GNU long names and pax
    /// `path`/`size` records are honoured.
    pub fn shard_files<P: AsRef<Path>>(paths: impl IntoIterator<Item = P>) -> Result<Dataset> {
        let shards: Vec<PathBuf> = paths
            .into_iter()
            .map(|p| p.as_ref().to_path_buf())
            .collect();
        let origin = shards.first().cloned().unwrap_or_default();
        let mut samples = Vec::new();
        let mut firsts = Vec::with_capacity(shards.len());
        for (i, shard) in shards.iter().enumerate() {
            firsts.push(samples.len());
            tar::index(shard, i, &mut samples)?;
        }
        let (entries, classes) = number_labels(samples).map_err(|at| {
            // Name the shard and member the mismatch is in.
            let shard = firsts
                .partition_point(|&first| first <= at)
                .saturating_sub(1);
            Error::Shard {
                path: shards[shard].clone(),
                member: format!("sample {}", at + 1),
                what: MIXED_LABELS.into(),
            }
        })?;
        Dataset::of(entries, classes, shards, SourceKind::Shards, origin)
    }

    /// The source `spec` names: a folder ([`Dataset::image_folder`]), a
    /// shard pattern or `.tar` file ([`Dataset::shards`]: `spec` has a `{`
    /// or ends in `.tar`), else a list file ([`Dataset::list_file`]).
    pub fn open(spec: impl AsRef<Path>) -> Result<Dataset> {
        let spec = spec.as_ref();
        if spec.is_dir() {
            return Dataset::image_folder(spec);
        }
        let text = spec.to_string_lossy();
        let tar = text.contains('{')
            || spec
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("tar"));
        if tar {
            Dataset::shards(&text)
        } else {
            Dataset::list_file(spec)
        }
    }

    /// Samples in the dataset.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no sample (never, for a dataset that opened).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Class names, label `i` being `classes()[i]` (folder datasets, and
    /// list files labelled by name; empty where labels are integers).
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// What kind of source this is.
    pub fn kind(&self) -> SourceKind {
        self.kind
    }

    /// The folder, list file or first shard it was opened from.
    pub fn origin(&self) -> &Path {
        &self.origin
    }

    /// Sample `index`'s label.
    pub fn label(&self, index: usize) -> Option<i64> {
        self.entries.get(index).map(|e| e.label)
    }

    /// Where sample `index` is, for messages.
    pub fn name(&self, index: usize) -> Option<SampleName> {
        let entry = self.entries.get(index)?;
        Some(match &entry.location {
            Location::File(path) => SampleName::file(path.clone()),
            Location::Member { shard, name, .. } => SampleName {
                path: self.shards.get(*shard)?.clone(),
                member: Some(name.to_string()),
            },
        })
    }

    /// Keeps the first `len` samples (a quick run over part of a dataset).
    pub fn truncate(&mut self, len: usize) {
        self.entries.truncate(len);
    }

    /// Reads sample `index`'s bytes into `out` (its capacity reused),
    /// refusing files over [`DEFAULT_MAX_FILE_BYTES`].
    pub fn read(&self, index: usize, out: &mut Vec<u8>) -> Result<()> {
        self.read_with(
            index,
            out,
            &mut OpenShard::default(),
            DEFAULT_MAX_FILE_BYTES,
        )
    }

    /// [`Dataset::read`] keeping the last shard open in `open` (one per
    /// thread), refusing samples over `max_bytes`.
    pub(crate) fn read_with(
        &self,
        index: usize,
        out: &mut Vec<u8>,
        open: &mut OpenShard,
        max_bytes: u64,
    ) -> Result<()> {
        let entry = self.entries.get(index).ok_or_else(|| Error::Setting {
            setting: "sample index",
            value: index.to_string(),
            expected: "an index below the dataset's length",
        })?;
        let name = || self.name(index).unwrap_or_else(|| SampleName::file(""));
        let fail = |what: String, source: Option<std::io::Error>| Error::Read {
            sample: name(),
            what,
            source: source.map(Arc::new),
        };
        match &entry.location {
            Location::File(path) => read_file(path, out, max_bytes),
            Location::Member {
                shard, offset, len, ..
            } => {
                if *len > max_bytes {
                    return Err(fail(
                        format!("{len} bytes exceeds the limit of {max_bytes} bytes per sample"),
                        None,
                    ));
                }
                let path = self
                    .shards
                    .get(*shard)
                    .ok_or_else(|| fail("no such shard".into(), None))?;
                let file = open
                    .get(*shard, path)
                    .map_err(|e| fail(e.to_string(), Some(e)))?;
                fill(out, *len).map_err(|what| fail(what, None))?;
                let read = file
                    .seek(SeekFrom::Start(*offset))
                    .and_then(|_| file.read_exact(out));
                read.map_err(|e| {
                    let what = if e.kind() == std::io::ErrorKind::UnexpectedEof {
                        format!(
                            "the member is cut: the shard ends before its {len} bytes (at byte {offset})"
                        )
                    } else {
                        e.to_string()
                    };
                    open.close();
                    fail(what, Some(e))
                })
            }
        }
    }
}

/// Makes `out` exactly `len` bytes, reusing its capacity.
/// Reads the file at `path` into `out` (its capacity reused), refusing
/// files over `max_bytes` ([`DEFAULT_MAX_FILE_BYTES`] is the loader's
/// default) with [`Error::Read`] naming the path, as the loader reads a
/// sample from a folder or list file.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("a.bin");
/// std::fs::write(&path, [1u8, 2, 3])?;
/// let mut bytes = Vec::new();
/// load::source::read_file(&path, &mut bytes, 3)?;
/// assert_eq!(bytes, [1, 2, 3]);
/// assert!(load::source::read_file(&path, &mut bytes, 2).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_file(path: &Path, out: &mut Vec<u8>, max_bytes: u64) -> Result<()> {
    let fail = |what: String, source: Option<std::io::Error>| Error::Read {
        sample: SampleName::file(path),
        what,
        source: source.map(Arc::new),
    };
    let mut file = File::open(path).map_err(|e| fail(e.to_string(), Some(e)))?;
    let meta = file.metadata().map_err(|e| fail(e.to_string(), Some(e)))?;
    let too_large = |len: u64| {
        fail(
            format!("{len} bytes exceeds the limit of {max_bytes} bytes per sample"),
            None,
        )
    };
    if !meta.is_file() {
        // A pipe or device has no length: read to its end, within the limit.
        out.clear();
        let read = file
            .take(max_bytes.saturating_add(1))
            .read_to_end(out)
            .map_err(|e| fail(e.to_string(), Some(e)))?;
        return match read as u64 > max_bytes {
            true => Err(too_large(read as u64)),
            false => Ok(()),
        };
    }
    let len = meta.len();
    if len > max_bytes {
        return Err(too_large(len));
    }
    fill(out, len).map_err(|what| fail(what, None))?;
    file.read_exact(out).map_err(|e| {
        let what = if e.kind() == std::io::ErrorKind::UnexpectedEof {
            "the file shrank while being read".to_string()
        } else {
            e.to_string()
        };
        fail(what, Some(e))
    })
}

fn fill(out: &mut Vec<u8>, len: u64) -> std::result::Result<(), String> {
    let len = usize::try_from(len).map_err(|_| format!("{len} bytes do not fit in memory"))?;
    if len > out.capacity() {
        out.clear();
        out.try_reserve_exact(len)
            .map_err(|_| format!("cannot allocate {len} bytes"))?;
    }
    out.truncate(len);
    out.resize(len, 0);
    Ok(())
}

/// One thread's open shard, kept between reads of the same shard.
#[derive(Debug, Default)]
pub(crate) struct OpenShard {
    open: Option<(usize, File)>,
}

impl OpenShard {
    fn get(&mut self, shard: usize, path: &Path) -> std::io::Result<&mut File> {
        if self.open.as_ref().is_none_or(|(s, _)| *s != shard) {
            self.open = Some((shard, File::open(path)?));
        }
        match &mut self.open {
            Some((_, file)) => Ok(file),
            None => Err(std::io::Error::other("shard not open")),
        }
    }

    fn close(&mut self) {
        self.open = None;
    }
}
