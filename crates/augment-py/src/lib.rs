//! The Python package `augment`'s extension module, `augment._augment`.
//!
//! Thin bindings over the `augment` and `load` crates: NumPy arrays in and
//! out, the GIL released while Rust works, every Rust error raised as a
//! Python exception carrying the Rust message. What the bindings promise
//! about numbers is what the crates promise: `apply` returns exactly
//! `augment::Pipeline::apply`'s pixels, `apply_batch` exactly
//! `augment::Pipeline::apply_batch_into`'s values, for the same seed and
//! image numbers. The Python side (`python/augment`) adds the torch adapter
//! and docstrings; the type stubs are `python/augment/_augment.pyi`.

mod array;
mod bench;
mod builder;
mod dataset;
mod error;
mod file;
mod lent;
mod loader;
mod masks;
mod pipeline;
mod pool;
mod recycle;
mod source;
mod targets;

use pyo3::prelude::*;

/// Sets the number of threads `Pipeline.apply_batch` uses in this process.
#[pyfunction]
fn set_num_threads(n: array::Count) -> PyResult<()> {
    pool::set_threads(n.0)
}

/// The number of threads `Pipeline.apply_batch` uses in this process.
#[pyfunction]
fn get_num_threads() -> usize {
    pool::threads()
}

/// The extension module.
#[pymodule]
fn _augment(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<pipeline::Pipeline>()?;
    m.add_class::<builder::PipelineBuilder>()?;
    m.add_class::<loader::Loader>()?;
    m.add_class::<file::FileAugmenter>()?;
    m.add_function(wrap_pyfunction!(file::rebuild, m)?)?;
    m.add_class::<loader::LoaderIter>()?;
    m.add_class::<lent::LentImages>()?;
    m.add_function(wrap_pyfunction!(set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(dataset::image_folder, m)?)?;
    m.add_function(wrap_pyfunction!(bench::_time_apply_batch_in_rust, m)?)?;
    m.add_function(wrap_pyfunction!(dataset::read_image, m)?)?;
    m.add_function(wrap_pyfunction!(get_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(pipeline::check_normalisation, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
