//! torchvision's `ImageFolder` layout: `root/<class>/**/<image>`.
//!
//! Order, as torchvision's `make_dataset` gives it: classes sorted by name;
//! within a class, `sorted(os.walk(class_dir, followlinks=True))` visits
//! folders by their path compared as a string (so `a/b c` comes before
//! `a/b/x`, unlike a depth-first walk), and each folder's files sorted by
//! name. Names compare byte by byte, which is Python's code-point order for
//! UTF-8 names.

use super::{Dataset, Entry, Location, SourceKind, is_hidden, is_image_name};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn bytes(p: &Path) -> &[u8] {
    p.as_os_str().as_encoded_bytes()
}

pub(super) fn index(root: &Path) -> Result<Dataset> {
    let mut classes: Vec<(String, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(root).map_err(|e| Error::io(root, e))? {
        let entry = entry.map_err(|e| Error::io(root, e))?;
        let name = entry.file_name();
        if is_hidden(&name) {
            continue;
        }
        // `is_dir` through the link: a linked class folder counts.
        let path = entry.path();
        if path.is_dir() {
            classes.push((name.to_string_lossy().into_owned(), path));
        }
    }
    classes.sort_by(|a, b| bytes(&a.1).cmp(bytes(&b.1)));
    if classes.is_empty() {
        return Err(Error::Folder {
            path: root.to_path_buf(),
            what: "no class folders (the ImageFolder layout has one subfolder per class)".into(),
        });
    }
    let mut entries = Vec::new();
    let mut files: Vec<PathBuf> = Vec::new();
    for (label, (_, dir)) in classes.iter().enumerate() {
        files.clear();
        let walk = walkdir::WalkDir::new(dir)
            .follow_links(true)
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
        for item in walk {
            let item = item.map_err(|e| walk_error(dir, e))?;
            if item.file_type().is_file() && is_image_name(&item.file_name().to_string_lossy()) {
                files.push(item.into_path());
            }
        }
        if files.is_empty() {
            return Err(Error::Folder {
                path: dir.clone(),
                what: format!(
                    "class folder holds no images (extensions {})",
                    super::IMAGE_EXTENSIONS.join(", ")
                ),
            });
        }
        files.sort_by(|a, b| {
            let (pa, pb) = (a.parent().map(bytes), b.parent().map(bytes));
            pa.cmp(&pb).then_with(|| bytes(a).cmp(bytes(b)))
        });
        entries.extend(files.drain(..).map(|path| Entry {
            location: Location::File(path),
            label: label as i64,
        }));
    }
    Ok(Dataset {
        entries,
        classes: classes.into_iter().map(|(name, _)| name).collect(),
        shards: Arc::from(Vec::new()),
        kind: SourceKind::Folder,
        origin: root.to_path_buf(),
    })
}

fn walk_error(dir: &Path, e: walkdir::Error) -> Error {
    let path = e.path().unwrap_or(dir).to_path_buf();
    if let Some(ancestor) = e.loop_ancestor() {
        return Error::Folder {
            what: format!(
                "symbolic link cycle: it leads back to {}, a folder it is inside",
                ancestor.display()
            ),
            path,
        };
    }
    match e.into_io_error() {
        Some(io) => Error::io(&path, io),
        None => Error::Folder {
            path,
            what: "cannot be walked".into(),
        },
    }
}
