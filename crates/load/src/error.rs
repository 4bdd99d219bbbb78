//! The loader's one error type: every variant names the file (and the tar
//! member) it is about.

use crate::decode::DecodeError;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A result with the loader's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where a sample's bytes live: a file, or a member of a tar shard.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SampleName {
    /// The file, or the shard holding the member.
    pub path: PathBuf,
    /// The member's name inside the shard.
    pub member: Option<String>,
}

impl SampleName {
    /// A plain file.
    pub fn file(path: impl Into<PathBuf>) -> SampleName {
        SampleName {
            path: path.into(),
            member: None,
        }
    }
}

impl fmt::Display for SampleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.member {
            Some(m) => write!(f, "{}: member {m}", self.path.display()),
            None => write!(f, "{}", self.path.display()),
        }
    }
}

/// What went wrong opening a dataset or loading a sample.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or folder could not be opened or read (missing, unreadable).
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// A sample's bytes did not decode.
    #[error("{sample}: {source}")]
    Decode {
        /// The sample.
        sample: SampleName,
        /// Why.
        #[source]
        source: DecodeError,
    },
    /// A sample's bytes could not be read (missing or unreadable file, a
    /// member cut short, a file over the size limit).
    #[error("{sample}: {what}")]
    Read {
        /// The sample.
        sample: SampleName,
        /// What went wrong.
        what: String,
        /// The system's error, if one was raised.
        #[source]
        source: Option<Arc<std::io::Error>>,
    },
    /// The pipeline refused a decoded sample.
    #[error("{sample}: augmenting: {source}")]
    Augment {
        /// The sample.
        sample: SampleName,
        /// The pipeline's error.
        #[source]
        source: Arc<augment::Error>,
    },
    /// A tar shard is not a readable archive.
    #[error("{}: not a readable tar archive: {what} (header at byte {offset})", path.display())]
    Tar {
        /// The shard.
        path: PathBuf,
        /// Where the bad header starts.
        offset: u64,
        /// What was wrong.
        what: String,
    },
    /// A WebDataset sample in a shard is incomplete or its label unreadable.
    #[error("{}: member {member}: {what}", path.display())]
    Shard {
        /// The shard.
        path: PathBuf,
        /// The member (or sample key) at fault.
        member: String,
        /// What was wrong.
        what: String,
    },
    /// A line of a list file is malformed, or (line 0) the file as a whole
    /// is not a list.
    #[error("{}{}: {what}", path.display(), match line { 0 => String::new(), n => format!(", line {n}") })]
    List {
        /// The list file.
        path: PathBuf,
        /// The line, from 1; 0 for the whole file.
        line: usize,
        /// What was wrong.
        what: String,
    },
    /// A folder dataset breaks the ImageFolder layout (no classes, an
    /// empty class, a symlink cycle).
    #[error("{}: {what}", path.display())]
    Folder {
        /// The folder or link.
        path: PathBuf,
        /// What was wrong.
        what: String,
    },
    /// A dataset source holds no sample.
    #[error("{}: no samples found", path.display())]
    NoSamples {
        /// The folder, list file or first shard.
        path: PathBuf,
    },
    /// A shard pattern such as `train-{0000..0099}.tar` is malformed.
    #[error("shard pattern {pattern:?}: {what}")]
    Pattern {
        /// The pattern.
        pattern: String,
        /// What was wrong.
        what: String,
    },
    /// The output's normalisation statistics are refused (their own
    /// message says why).
    #[error("loader output normalisation: {what}")]
    Normalisation {
        /// What is wrong with them.
        what: String,
    },
    /// A loader setting is out of range.
    #[error("loader setting {setting} = {value} is invalid: expected {expected}")]
    Setting {
        /// The setting.
        setting: &'static str,
        /// The value given.
        value: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// Under the skip policy, no sample of the epoch could replace a
    /// failed one: every sample failed (the report names them).
    #[error("epoch {epoch}: no sample loads (all {tried} failed; see the loader's report)")]
    NothingLoads {
        /// The epoch.
        epoch: u64,
        /// Samples tried.
        tried: usize,
    },
    /// A worker thread died (a bug: a panic in a decoder or the pipeline).
    #[error("a loader worker thread stopped: {what}")]
    Worker {
        /// What is known.
        what: String,
    },
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            source: Arc::new(source),
        }
    }

    /// The sample this error is about, if it is about one.
    pub fn sample(&self) -> Option<&SampleName> {
        match self {
            Error::Decode { sample, .. }
            | Error::Read { sample, .. }
            | Error::Augment { sample, .. } => Some(sample),
            _ => None,
        }
    }
}
