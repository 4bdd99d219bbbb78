//! `augment.FileAugmenter`: one encoded image (a path or bytes) to one
//! augmented image, made as `augment.Loader` makes each image of a batch
//! (the plan drawn from the header, only its region decoded, at the
//! largest scale it allows). What `augment.torch.ImageFolder` reads with.

use crate::array::Count;
use crate::error;
use crate::pipeline::{Pipeline, given_normalisation, index};
use load::source::{DEFAULT_MAX_FILE_BYTES, read_file};
use load::{FileAugmenter as Augmenter, SampleName};
use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

/// Augmenters (with their decode buffers) and file buffers kept between
/// calls: a call takes one, works without the lock, and puts it back, so
/// threads calling at once neither wait for each other nor allocate
/// afresh each time.
const KEPT: usize = 4;

/// An encoded image: its file, or its bytes.
enum Source<'py> {
    Path(PathBuf),
    Bytes(Bound<'py, PyBytes>),
}

fn source<'py>(file: &Bound<'py, PyAny>) -> PyResult<Source<'py>> {
    if let Ok(bytes) = file.cast::<PyBytes>() {
        return Ok(Source::Bytes(bytes.clone()));
    }
    if let Ok(path) = file.extract::<PathBuf>() {
        return Ok(Source::Path(path));
    }
    // bytearray, memoryview, NumPy uint8 arrays: copied once into bytes,
    // through the buffer protocol (element by element, a NumPy array took
    // 5x the decode itself).
    let py = file.py();
    if let Ok(view) = py.import("builtins")?.getattr("memoryview")?.call1((file,)) {
        let itemsize: usize = view.getattr("itemsize")?.extract()?;
        if itemsize != 1 {
            return Err(PyTypeError::new_err(format!(
                "file's bytes must be a buffer of bytes (uint8), got a {} of {itemsize}-byte items",
                file.get_type().name()?
            )));
        }
        let bytes = view.call_method0("tobytes")?.cast_into::<PyBytes>()?;
        return Ok(Source::Bytes(bytes));
    }
    // Other sequences of byte values (a list of ints).
    if let Ok(bytes) = file.extract::<Vec<u8>>() {
        return Ok(Source::Bytes(PyBytes::new(file.py(), &bytes)));
    }
    Err(PyTypeError::new_err(format!(
        "file must be a path (str or os.PathLike) or the file's bytes, got {}",
        file.get_type().name()?
    )))
}

/// Encoded images to augmented NumPy arrays, one at a time, each made as
/// `augment.Loader` makes it.
#[pyclass(module = "augment", name = "FileAugmenter", frozen)]
pub struct FileAugmenter {
    pipeline: Pipeline,
    orientation: bool,
    region_decoding: bool,
    scaled_decoding: bool,
    max_file_bytes: u64,
    kept: Mutex<Vec<(Augmenter, Vec<u8>)>>,
}

impl FileAugmenter {
    fn take(&self) -> (Augmenter, Vec<u8>) {
        let kept = self
            .kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        kept.unwrap_or_else(|| {
            let augmenter = Augmenter::new(self.pipeline.inner.clone())
                .orientation(self.orientation)
                .region_decoding(self.region_decoding)
                .scaled_decoding(self.scaled_decoding);
            (augmenter, Vec::new())
        })
    }

    fn put(&self, taken: (Augmenter, Vec<u8>)) {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.len() < KEPT {
            kept.push(taken);
        }
    }

    /// Runs `make` on the file's bytes without the GIL; returns the
    /// output's `(width, height)`.
    fn run<T: Send>(
        &self,
        py: Python<'_>,
        file: &Bound<'_, PyAny>,
        out: &mut Vec<T>,
        make: impl Fn(&mut Augmenter, &SampleName, &[u8], &mut Vec<T>) -> load::Result<(usize, usize)>
        + Send
        + Sync,
    ) -> PyResult<(usize, usize)> {
        let source = source(file)?;
        let (mut augmenter, mut buffer) = self.take();
        let made = match &source {
            Source::Bytes(bytes) => {
                let bytes = bytes.as_bytes();
                let name = SampleName::file("<bytes>");
                py.detach(|| make(&mut augmenter, &name, bytes, out))
            }
            Source::Path(path) => py.detach(|| {
                read_file(path, &mut buffer, self.max_file_bytes)?;
                make(&mut augmenter, &SampleName::file(path), &buffer, out)
            }),
        };
        self.put((augmenter, buffer));
        made.map_err(error::load)
    }
}

#[pymethods]
impl FileAugmenter {
    #[new]
    #[pyo3(signature = (pipeline, *, orientation = true, region_decoding = true,
                        scaled_decoding = true,
                        max_file_bytes = Count(DEFAULT_MAX_FILE_BYTES as usize)))]
    fn new(
        pipeline: &Bound<'_, Pipeline>,
        orientation: bool,
        region_decoding: bool,
        scaled_decoding: bool,
        max_file_bytes: Count,
    ) -> FileAugmenter {
        FileAugmenter {
            pipeline: pipeline.get().clone(),
            orientation,
            region_decoding,
            scaled_decoding,
            max_file_bytes: max_file_bytes.0 as u64,
            kept: Mutex::default(),
        }
    }

    /// The pipeline images go through.
    #[getter]
    fn pipeline(&self) -> Pipeline {
        self.pipeline.clone()
    }

    /// Image ``index`` of the pipeline from ``file`` as a normalised CHW float32 array.
    #[pyo3(signature = (file, index = 0, mean = None, std = None))]
    fn tensor<'py>(
        &self,
        py: Python<'py>,
        file: &Bound<'py, PyAny>,
        index: i128,
        mean: Option<&Bound<'py, PyAny>>,
        std: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let index = self::index("index", index)?;
        let normalisation = given_normalisation(mean, std)?;
        let mut out = Vec::new();
        let (w, h) = self.run(py, file, &mut out, |a, name, bytes, out| {
            a.tensor(name, bytes, index, &normalisation, out)
        })?;
        Ok(PyArray1::from_vec(py, out).reshape([3, h, w])?.into_any())
    }

    /// Image ``index`` of the pipeline from ``file`` as an ``H x W x 3`` uint8 array.
    #[pyo3(signature = (file, index = 0))]
    fn pixels<'py>(
        &self,
        py: Python<'py>,
        file: &Bound<'py, PyAny>,
        index: i128,
    ) -> PyResult<Bound<'py, PyAny>> {
        let index = self::index("index", index)?;
        let mut out = Vec::new();
        let (w, h) = self.run(py, file, &mut out, |a, name, bytes, out| {
            a.pixels(name, bytes, index, out)
        })?;
        Ok(PyArray1::from_vec(py, out).reshape([h, w, 3])?.into_any())
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let this = slf.get();
        let kwargs = PyDict::new(py);
        kwargs.set_item("orientation", this.orientation)?;
        kwargs.set_item("region_decoding", this.region_decoding)?;
        kwargs.set_item("scaled_decoding", this.scaled_decoding)?;
        kwargs.set_item("max_file_bytes", this.max_file_bytes)?;
        let pipeline = Bound::new(py, this.pipeline.clone())?;
        let make = py.import("augment._augment")?.getattr("_file_augmenter")?;
        Ok((
            make,
            PyTuple::new(py, [pipeline.into_any(), kwargs.into_any()])?,
        ))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let pipeline = Bound::new(py, self.pipeline.clone())?.repr()?;
        Ok(format!(
            "augment.FileAugmenter({pipeline}, orientation={}, region_decoding={}, \
             scaled_decoding={})",
            py_bool(self.orientation),
            py_bool(self.region_decoding),
            py_bool(self.scaled_decoding)
        ))
    }
}

fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// What a pickled `FileAugmenter` is rebuilt with (pickle passes no
/// keyword arguments to a class).
#[pyfunction]
#[pyo3(name = "_file_augmenter")]
pub fn rebuild(
    pipeline: &Bound<'_, Pipeline>,
    settings: &Bound<'_, PyDict>,
) -> PyResult<FileAugmenter> {
    let get = |key: &str| -> PyResult<Bound<'_, PyAny>> {
        settings
            .get_item(key)?
            .ok_or_else(|| PyValueError::new_err(format!("FileAugmenter state has no {key}")))
    };
    Ok(FileAugmenter::new(
        pipeline,
        get("orientation")?.extract()?,
        get("region_decoding")?.extract()?,
        get("scaled_decoding")?.extract()?,
        get("max_file_bytes")?.extract()?,
    ))
}
