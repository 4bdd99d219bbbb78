//! `augment.Loader` (bound in a later commit).

use pyo3::prelude::*;

/// A data loader.
#[pyclass(module = "augment", name = "Loader")]
pub struct Loader {}

/// An epoch's batches.
#[pyclass(module = "augment", name = "LoaderIter")]
pub struct LoaderIter {}
