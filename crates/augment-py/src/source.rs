//! The `source` argument of `augment.Loader`: a path, `(path, label)`
//! pairs from code, or `.tar` shard paths.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// A `source` argument read: a path (folder, list file, shard pattern),
/// samples given one by one, or shard files.
pub enum SourceSpec {
    Path(std::path::PathBuf),
    Samples(Vec<(std::path::PathBuf, load::SampleLabel)>),
    Shards(Vec<std::path::PathBuf>),
}

/// Reads `source`: a `str` or path-like is a folder, list file or shard
/// pattern; a sequence of `(path, label)` pairs (labels integers or class
/// names) is the samples themselves; a sequence of `.tar` paths is shards.
/// Also says how the source reads in messages.
pub fn source_spec(source: &Bound<'_, PyAny>) -> PyResult<(SourceSpec, String)> {
    let os = source.py().import("os")?;
    let fspath = |o: &Bound<'_, PyAny>| -> PyResult<std::path::PathBuf> {
        os.call_method1("fspath", (o,))?.extract()
    };
    if source.is_instance_of::<pyo3::types::PyString>() || source.hasattr("__fspath__")? {
        let path = fspath(source)?;
        let text = path.to_string_lossy().into_owned();
        return Ok((SourceSpec::Path(path), text));
    }
    let invalid = || {
        pyo3::exceptions::PyTypeError::new_err(
            "source: expected a path (folder, list file, shard pattern), a sequence of \
             (path, label) pairs, or a sequence of .tar shard paths",
        )
    };
    let mut samples = Vec::new();
    let mut shards = Vec::new();
    for item in source.try_iter().map_err(|_| invalid())? {
        let item = item?;
        if item.is_instance_of::<pyo3::types::PyString>() || item.hasattr("__fspath__")? {
            shards.push(fspath(&item)?);
            continue;
        }
        let pair: Vec<Bound<'_, PyAny>> = item
            .try_iter()
            .map_err(|_| invalid())?
            .collect::<PyResult<_>>()?;
        let [path, label] = &pair[..] else {
            return Err(invalid());
        };
        // An integer, a class name, or a float that is an integer (a
        // pandas column of labels with a missing value is float).
        let label = match label.extract::<String>() {
            Ok(name) => Some(load::SampleLabel::Name(name)),
            Err(_) => label
                .extract::<i64>()
                .map(load::SampleLabel::Index)
                .ok()
                .or_else(|| {
                    label
                        .extract::<f64>()
                        .ok()
                        .and_then(load::SampleLabel::from_float)
                }),
        }
        .ok_or_else(|| {
            PyValueError::new_err(format!(
                "source: sample {}'s label {label} is neither an integer nor a class name",
                samples.len()
            ))
        })?;
        samples.push((fspath(path)?, label));
    }
    match (samples.is_empty(), shards.is_empty()) {
        (false, true) => {
            let text = format!("<{} samples>", samples.len());
            Ok((SourceSpec::Samples(samples), text))
        }
        (true, false) => {
            let tar = |p: &std::path::PathBuf| {
                p.extension().is_some_and(|e| e.eq_ignore_ascii_case("tar"))
            };
            if let Some(other) = shards.iter().find(|p| !tar(p)) {
                return Err(PyValueError::new_err(format!(
                    "source: {} is not a .tar shard: a sequence of paths names shards; \
                     give images as (path, label) pairs",
                    other.display()
                )));
            }
            let text = format!("<{} shards>", shards.len());
            Ok((SourceSpec::Shards(shards), text))
        }
        (true, true) => Err(PyValueError::new_err("source: the sequence is empty")),
        (false, false) => Err(invalid()),
    }
}
