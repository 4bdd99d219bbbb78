//! NumPy arrays handed out earlier, filled again once Python lets go of
//! them.
//!
//! A batch is large (64 NCHW `f32` images of 224x224 are 38.5 MB) and a
//! fresh array costs a page fault and the kernel's zeroing per 4 KB page on
//! first touch: measured, more than the work of filling it. So
//! `Pipeline.apply_batch` without `out=` refills an array it gave out
//! before, but only one that nothing in Python
//! references any more (our own reference is its only one): an array held
//! by a variable, a list, a view, a tensor from `torch.from_numpy` or a
//! buffer export is never refilled, and one made read-only is skipped.

use numpy::{Element, PyArrayDyn, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::prelude::*;
use std::sync::{Mutex, PoisonError};

/// Arrays kept per owner: the one Python holds while it asks for the next,
/// the one being filled, and spares for a loop that keeps a batch one step
/// longer.
const KEPT: usize = 4;

/// Arrays kept for refilling. A cache: cloning gives an empty one, and it
/// takes no part in equality.
#[derive(Default)]
pub(crate) struct Recycled(Mutex<Vec<Py<PyAny>>>);

impl Clone for Recycled {
    fn clone(&self) -> Self {
        Recycled::default()
    }
}

impl PartialEq for Recycled {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Whether our reference is the array's only one. (pyo3 deprecates reading
/// the count because free-threaded interpreters defer it; this extension is
/// built for the GIL interpreter's stable ABI, where it is exact; the other
/// ways to read it are an `unsafe` FFI call or `sys.getrefcount`.)
#[allow(deprecated)]
fn only_ours(py: Python<'_>, array: &Py<PyAny>) -> bool {
    array.get_refcnt(py) == 1
}

impl Recycled {
    /// A kept C-contiguous, writable array of `T` and `shape` that nothing
    /// else references, now referenced by the caller (so no other call
    /// takes it).
    pub fn reusable<'py, T: Element>(
        &self,
        py: Python<'py>,
        shape: &[usize],
    ) -> Option<Bound<'py, PyArrayDyn<T>>> {
        let kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        kept.iter()
            .filter(|a| only_ours(py, a))
            .filter_map(|a| a.bind(py).cast::<PyArrayDyn<T>>().ok())
            .find(|a| a.shape() == shape && a.is_c_contiguous() && a.try_readwrite().is_ok())
            .cloned()
    }

    /// Keeps `array` to refill later, if there is room or a kept array
    /// nobody references (of another shape, say an epoch's short last
    /// batch) to make room.
    pub fn keep(&self, py: Python<'_>, array: &Bound<'_, PyAny>) {
        let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let handle = array.clone().unbind();
        if kept.len() < KEPT {
            kept.push(handle);
        } else if let Some(slot) = kept.iter_mut().find(|a| only_ours(py, a)) {
            *slot = handle;
        }
    }
}
