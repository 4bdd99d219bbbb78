//! A loader batch's images handed to NumPy without a copy.
//!
//! The workers augment each image straight into its slot of the batch's
//! buffer, as in Rust. The NumPy array Python gets is a view of that
//! buffer: its `base` is a [`LentImages`], which owns the batch, so the
//! memory lives as long as the array, any view of it, or a tensor from
//! `torch.from_numpy`. When the last of those goes, the batch is dropped
//! and its buffer goes back to the loader's pool for a later batch, as a
//! Rust consumer's dropped `Batch` does. So the Python loader does the
//! Rust loader's work and nothing more: no copy, and no fresh array whose
//! pages the kernel must fault in and zero.
//!
//! The array is made by NumPy from the object's `__array_interface__`
//! (NumPy's documented protocol for memory another library owns), which
//! names the buffer's address, shape and element type.

use load::{Batch, Layout};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

/// The owner of a batch's images while NumPy arrays look at them: the
/// `base` of the loader's image arrays. Not made from Python.
#[pyclass(module = "augment._augment", name = "LentImages", frozen)]
pub struct LentImages {
    /// Owned until the last array over it is gone; dropping it returns its
    /// buffers to the loader.
    batch: Batch,
    /// Where the images start. Taken from a mutable borrow of the buffer
    /// before the batch moved in here (moving a `Vec` leaves its heap
    /// memory where it is), and nothing in Rust reads or writes the
    /// images again until the batch is dropped, so NumPy may write
    /// through it.
    address: usize,
    /// NumPy's name of the element type.
    typestr: &'static str,
}

#[pymethods]
impl LentImages {
    /// NumPy's array interface (version 3): the images as one
    /// C-contiguous, writable array of the batch's shape.
    #[getter]
    fn __array_interface__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let interface = PyDict::new(py);
        interface.set_item("version", 3)?;
        interface.set_item("shape", PyTuple::new(py, self.batch.shape())?)?;
        interface.set_item("typestr", self.typestr)?;
        interface.set_item("data", (self.address, false))?;
        interface.set_item("strides", py.None())?;
        Ok(interface)
    }
}

/// The batch's images as a NumPy array over its own buffer (see the
/// module's docs); the batch goes with them.
pub fn images_array(py: Python<'_>, mut batch: Batch) -> PyResult<Bound<'_, PyAny>> {
    let values = batch.shape().iter().product::<usize>();
    let little = cfg!(target_endian = "little");
    let (start, len, typestr) = match batch.layout() {
        Layout::Nchw => {
            let images = batch.tensor_mut().unwrap_or_default();
            let typestr = if little { "<f4" } else { ">f4" };
            (images.as_mut_ptr() as usize, images.len(), typestr)
        }
        Layout::Nhwc => {
            let images = batch.pixels_mut().unwrap_or_default();
            (images.as_mut_ptr() as usize, images.len(), "|u1")
        }
    };
    if len != values {
        // Only a loader built with per-image buffers gets here.
        return Err(PyRuntimeError::new_err(format!(
            "a batch of shape {:?} holds {len} values in one buffer, not {values}",
            batch.shape()
        )));
    }
    let owner = Bound::new(
        py,
        LentImages {
            batch,
            address: start,
            typestr,
        },
    )?;
    py.import("numpy")?.getattr("asarray")?.call1((owner,))
}
