//! The files on disk: the output directory's guard, the folder tree, the tar
//! shards and the list files. Every file is created with `create_new`, which
//! refuses an existing path (a symlink included), so nothing outside the
//! output directory is ever written through a link left inside it.

use anyhow::{Context, Result, bail};
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::Path;

/// The entries this command writes in the output directory (`--force`
/// replaces these and leaves anything else alone).
pub const OUTPUTS: [&str; 5] = [
    "folder",
    "shards",
    "train.csv",
    "train.jsonl",
    "classes.txt",
];

/// The modification time in every tar header, fixed so that shards are
/// byte-identical between runs (2024-01-01T00:00:00Z).
pub const TAR_MTIME: u64 = 1_704_067_200;

/// Makes `out` ready: created if missing; if it holds anything, refused
/// unless `force`, which removes only this command's earlier [`OUTPUTS`].
pub fn prepare(out: &Path, force: bool) -> Result<()> {
    match fs::metadata(out) {
        Ok(meta) if !meta.is_dir() => bail!("{} exists and is not a directory", out.display()),
        Ok(_) => {
            let mut entries =
                fs::read_dir(out).with_context(|| format!("listing {}", out.display()))?;
            if entries.next().is_some() {
                if !force {
                    bail!(
                        "{} is not empty; pass --force to replace this command's earlier output \
                         there ({}; nothing else is touched)",
                        out.display(),
                        OUTPUTS.join(", ")
                    );
                }
                for name in OUTPUTS {
                    remove(&out.join(name))?;
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", out.display())),
    }
    Ok(())
}

/// Removes `path` if present: a directory tree, a file, or a symlink itself
/// (never its target: `symlink_metadata` and `remove_dir_all` do not follow
/// links).
fn remove(path: &Path) -> Result<()> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    if meta.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
    .with_context(|| format!("removing {}", path.display()))
}

/// Creates a directory that must not exist yet.
pub fn new_dir(path: &Path) -> Result<()> {
    fs::create_dir(path).with_context(|| format!("creating {}", path.display()))
}

/// Creates a file that must not exist yet.
pub fn new_file(path: &Path) -> Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))
}

/// Writes `bytes` to a new file.
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = new_file(path)?;
    file.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))
}

/// One member of a shard: the sample's key, the extension of its image,
/// where the image is, and its label.
pub struct Member<'a> {
    /// WebDataset key (file name without extension).
    pub key: &'a str,
    /// Image extension (`jpg`, `png`).
    pub ext: &'a str,
    /// The image file to copy in.
    pub image: &'a Path,
    /// Label, written as decimal text in `key.cls`.
    pub label: usize,
}

/// A tar header for a regular file with fixed owner, mode and time, so the
/// archive's bytes depend only on names and contents.
fn header(path: &str, size: u64) -> Result<tar::Header> {
    let mut header = tar::Header::new_ustar();
    header
        .set_path(path)
        .with_context(|| format!("tar path {path}"))?;
    header.set_size(size);
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(TAR_MTIME);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    Ok(header)
}

/// Writes a WebDataset shard: for each member, `key.ext` then `key.cls`.
/// Returns the archive's size in bytes.
pub fn shard(path: &Path, members: &[Member]) -> Result<u64> {
    let mut builder = tar::Builder::new(BufWriter::new(new_file(path)?));
    for m in members {
        let image = fs::read(m.image).with_context(|| format!("reading {}", m.image.display()))?;
        let name = format!("{}.{}", m.key, m.ext);
        builder.append(&header(&name, image.len() as u64)?, image.as_slice())?;
        let cls = m.label.to_string();
        let name = format!("{}.cls", m.key);
        builder.append(&header(&name, cls.len() as u64)?, cls.as_bytes())?;
    }
    let mut file = builder
        .into_inner()
        .with_context(|| format!("finishing {}", path.display()))?;
    file.flush()?;
    let len = file.get_ref().metadata()?.len();
    Ok(len)
}
