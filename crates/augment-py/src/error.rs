//! Rust errors to Python exceptions: the class says what kind of problem
//! (a bad value, a file, a type), the message is the Rust error's text.

use pyo3::PyErr;
use pyo3::exceptions::{
    PyFileNotFoundError, PyMemoryError, PyOSError, PyPermissionError, PyRuntimeError, PyValueError,
};
use std::io;

/// An I/O failure as the `OSError` subclass Python would raise for it.
fn io_error(kind: io::ErrorKind, message: String) -> PyErr {
    match kind {
        io::ErrorKind::NotFound => PyFileNotFoundError::new_err(message),
        io::ErrorKind::PermissionDenied => PyPermissionError::new_err(message),
        _ => PyOSError::new_err(message),
    }
}

/// `augment`'s error as a Python exception: files are `OSError`s
/// (`FileNotFoundError` when missing), everything else (parameters,
/// shapes, sizes over a limit, pipeline files that do not parse) is a
/// `ValueError`: the input is what is wrong.
pub fn augment(e: augment::Error) -> PyErr {
    let message = e.to_string();
    match &e {
        augment::Error::Io { source, .. } => io_error(source.kind(), message),
        augment::Error::PipelineFileTooLarge { .. } => PyOSError::new_err(message),
        _ => PyValueError::new_err(message),
    }
}

/// The loader's error as a Python exception: files that cannot be
/// opened or read are `OSError`s (`FileNotFoundError` when missing), a
/// stopped worker thread `RuntimeError`, the rest (settings, datasets that
/// do not parse, images that do not decode) `ValueError`.
pub fn load(e: load::Error) -> PyErr {
    let message = e.to_string();
    match &e {
        load::Error::Io { source, .. } => io_error(source.kind(), message),
        load::Error::Read {
            source: Some(source),
            ..
        } => io_error(source.kind(), message),
        load::Error::Read { .. } => PyOSError::new_err(message),
        load::Error::Worker { .. } => PyRuntimeError::new_err(message),
        _ => PyValueError::new_err(message),
    }
}

/// An allocation the caller asked for that cannot be made.
pub fn too_large(what: &str) -> PyErr {
    PyMemoryError::new_err(format!("{what} is too large to allocate"))
}
