//! The Rust side of `bench/apply_batch.py`: the call `Pipeline.apply_batch`
//! makes, timed in Rust, in the same build and on the same thread pool, so
//! the script's ratio is the binding's overhead alone (argument reading,
//! array checks, the output array, the GIL).

use crate::array::{self, AnyImage, Source};
use crate::error;
use crate::pipeline::Pipeline;
use augment::{Element, Normalisation};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use std::time::Instant;

fn time<T: Element + numpy::Element>(
    py: Python<'_>,
    pipeline: &augment::Pipeline,
    sources: &[Source<'_, T>],
    first_index: u64,
    repeats: usize,
) -> PyResult<Vec<f64>> {
    let views = sources
        .iter()
        .map(Source::view)
        .collect::<PyResult<Vec<_>>>()?;
    let pool = crate::pool::get()?;
    let norm = Normalisation::IMAGENET;
    py.detach(|| {
        let mut out = Vec::new();
        let mut times = Vec::with_capacity(repeats);
        let mut tensor = augment::Tensor::new();
        for r in 0..repeats {
            let start = Instant::now();
            let first = first_index + (r * views.len()) as u64;
            pool.install(|| pipeline.apply_batch(&views, first, &norm, &mut tensor))?;
            times.push(start.elapsed().as_secs_f64());
            out.push(tensor.as_slice().first().copied());
        }
        std::hint::black_box(out);
        Ok::<_, augment::Error>(times)
    })
    .map_err(error::augment)
}

/// Seconds per `apply_batch` call made from Rust, `repeats` times, image
/// numbers advancing as the script's Python calls advance them.
#[pyfunction]
pub fn _time_apply_batch_in_rust(
    py: Python<'_>,
    pipeline: &Bound<'_, Pipeline>,
    images: Vec<Bound<'_, PyAny>>,
    first_index: u64,
    repeats: usize,
) -> PyResult<Vec<f64>> {
    let mut u8s = Vec::new();
    for (i, image) in images.iter().enumerate() {
        match array::image(image, &format!("images[{i}]"))? {
            AnyImage::U8(s) => u8s.push(s),
            AnyImage::F32(_) => return Err(PyTypeError::new_err("the bench takes uint8 images")),
        }
    }
    time(py, &pipeline.get().inner, &u8s, first_index, repeats)
}
