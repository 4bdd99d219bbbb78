//! What the torch adapter reads with: a folder indexed as torchvision's
//! `ImageFolder` indexes it, and images decoded to 8-bit RGB by the
//! loader's decoders (so the adapter needs no imaging library, and gives
//! the pixels `augment.Loader` gives).

use crate::error;
use load::decode::{DecodeBuffer, Request, decode};
use load::source::{DEFAULT_MAX_FILE_BYTES, read_file};
use load::{Dataset, SampleName};
use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::path::PathBuf;

/// `(paths, labels, classes)` of an ImageFolder tree, in torchvision's order.
#[pyfunction]
pub fn image_folder(
    py: Python<'_>,
    root: PathBuf,
) -> PyResult<(Vec<PathBuf>, Vec<i64>, Vec<String>)> {
    py.detach(|| {
        let dataset = Dataset::image_folder(&root).map_err(error::load)?;
        let mut paths = Vec::with_capacity(dataset.len());
        let mut labels = Vec::with_capacity(dataset.len());
        for i in 0..dataset.len() {
            let (Some(name), Some(label)) = (dataset.name(i), dataset.label(i)) else {
                return Err(PyValueError::new_err(format!(
                    "{}: sample {i} has no file or label",
                    root.display()
                )));
            };
            paths.push(name.path);
            labels.push(label);
        }
        Ok((paths, labels, dataset.classes().to_vec()))
    })
}

/// The image file at `path` as an `H x W x 3` uint8 array (EXIF
/// orientation applied unless `orientation` is false).
#[pyfunction]
#[pyo3(signature = (path, orientation = true))]
pub fn read_image<'py>(
    py: Python<'py>,
    path: PathBuf,
    orientation: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let (pixels, h, w) = py.detach(|| {
        let mut bytes = Vec::new();
        read_file(&path, &mut bytes, DEFAULT_MAX_FILE_BYTES).map_err(error::load)?;
        let mut buffer = DecodeBuffer::new();
        let request = Request::new().orientation(orientation);
        let delivered = decode(&bytes, &request, &mut buffer).map_err(|e| {
            error::load(load::Error::Decode {
                sample: SampleName::file(&path),
                source: e,
            })
        })?;
        Ok::<_, PyErr>((
            buffer.as_slice().to_vec(),
            delivered.height as usize,
            delivered.width as usize,
        ))
    })?;
    Ok(PyArray1::from_vec(py, pixels)
        .reshape([h, w, 3])?
        .into_any())
}
