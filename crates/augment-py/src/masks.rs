//! Label masks of any numeric dtype (bool, integers of every width, floats):
//! warped as byte planes with nearest sampling, so every element lands
//! whole, bit for bit, where its uint8 counterpart would.
//!
//! A `uint8` mask goes straight to `augment::Pipeline::apply_mask`. A wider
//! element is `itemsize` bytes: each byte plane is warped with the same plan
//! (nearest sampling reads the same source pixel for every plane), and two
//! planes of ones and twos, warped alike, mark where the source was read:
//! elsewhere the element is the pipeline's mask fill in the mask's dtype
//! (`numpy.array(fill, dtype)`), not a byte pattern of it.

use crate::error;
use augment::{Image, Plan};
use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

/// `mask` warped by `plan`: an array of its dtype, `H' x W'` or
/// `H' x W' x C` as it came.
pub fn warp<'py>(
    py: Python<'py>,
    pipeline: &augment::Pipeline,
    mask: &Bound<'py, PyAny>,
    plan: &Plan,
    what: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let numpy = py.import("numpy")?;
    let array = numpy.call_method1("ascontiguousarray", (mask,))?;
    let dtype = array.getattr("dtype")?;
    let kind: String = dtype.getattr("kind")?.extract()?;
    if !["b", "i", "u", "f"].contains(&kind.as_str()) {
        return Err(PyTypeError::new_err(format!(
            "{what}: expected a bool, integer or float array, got an array of dtype {dtype}"
        )));
    }
    let shape: Vec<usize> = array.getattr("shape")?.extract()?;
    let (h, w, c) = match shape[..] {
        [h, w] => (h, w, 1),
        [h, w, c] if c >= 1 => (h, w, c),
        _ => {
            return Err(PyValueError::new_err(format!(
                "{what}: expected an H x W or H x W x C array, got shape {shape:?}"
            )));
        }
    };
    let itemsize: usize = dtype.getattr("itemsize")?.extract()?;
    let planes = c * itemsize;
    let bytes = array
        .call_method1("view", (numpy.getattr("uint8")?,))?
        .call_method1("reshape", (h * w * planes,))?;
    let bytes = bytes.cast_into::<PyArray1<u8>>()?;
    let bytes = bytes.readonly();
    let bytes = bytes.as_slice()?;
    let fill = if kind == "u" && itemsize == 1 {
        check_u8_fill(pipeline, what)?;
        None
    } else {
        let value = numpy
            .call_method1("array", (pipeline.mask_fill(),))?
            .call_method1("astype", (&dtype,))?;
        let back: f64 = value.call_method1("astype", ("float64",))?.extract()?;
        if back != f64::from(pipeline.mask_fill()) {
            return Err(PyValueError::new_err(format!(
                "{what}: the mask fill {} is not a value of dtype {dtype} (set mask_fill to one)",
                pipeline.mask_fill()
            )));
        }
        let fill: Vec<u8> = value.call_method0("tobytes")?.extract()?;
        Some(fill)
    };
    let (ow, oh) = (plan.width(), plan.height());
    // The plan holds the output to the pixel limit; a mask's bytes per
    // pixel are held to those of four float64 channels, so a 1 x 1 mask of
    // a million channels cannot ask for a million output images.
    let limit = pipeline.max_output_pixels().saturating_mul(32);
    if (ow * oh)
        .checked_mul(planes)
        .is_none_or(|bytes| bytes > limit)
    {
        return Err(PyValueError::new_err(format!(
            "{what}: {planes} bytes per pixel at {ow}x{oh} is over the output limit \
             ({} pixels of at most 32 bytes)",
            pipeline.max_output_pixels()
        )));
    }
    let out = py.detach(|| warp_planes(pipeline, bytes, (w, h), planes, plan, fill.as_deref()));
    let out = out.map_err(error::augment)?;
    let flat = PyArray1::from_vec(py, out);
    let shaped = flat.reshape([oh, ow, planes])?.into_any();
    let typed = shaped.call_method1("view", (&dtype,))?;
    if shape.len() == 2 {
        typed.call_method1("reshape", ((oh, ow),))
    } else {
        Ok(typed)
    }
}

/// The `planes` interleaved byte planes of a `w x h` mask warped one by
/// one; where `fill` is given, elements the source did not reach are
/// `fill` (one element's bytes, repeated per channel).
fn warp_planes(
    pipeline: &augment::Pipeline,
    bytes: &[u8],
    (w, h): (usize, usize),
    planes: usize,
    plan: &Plan,
    fill: Option<&[u8]>,
) -> augment::Result<Vec<u8>> {
    let (ow, oh) = (plan.width(), plan.height());
    let mut out = vec![0u8; ow * oh * planes];
    for p in 0..planes {
        let plane = Image::from_vec(
            w,
            h,
            1,
            bytes.iter().skip(p).step_by(planes).copied().collect(),
        )?;
        let warped = pipeline.apply_mask(plane.view(), plan)?;
        for (o, &v) in out
            .iter_mut()
            .skip(p)
            .step_by(planes)
            .zip(warped.as_slice())
        {
            *o = v;
        }
    }
    if let Some(fill) = fill {
        // Read where both marker planes kept their value: the fill cannot
        // be 1 and 2 at once.
        let reached = |value: u8| -> augment::Result<Image<u8>> {
            let plane = Image::from_vec(w, h, 1, vec![value; w * h])?;
            pipeline.apply_mask(plane.view(), plan)
        };
        let (ones, twos) = (reached(1)?, reached(2)?);
        let element = fill.len();
        for ((px, &a), &b) in out
            .chunks_exact_mut(planes)
            .zip(ones.as_slice())
            .zip(twos.as_slice())
        {
            if (a, b) != (1, 2) {
                for e in px.chunks_exact_mut(element) {
                    e.copy_from_slice(fill);
                }
            }
        }
    }
    Ok(out)
}

/// A `uint8` mask's fill must be a byte value: the warp would saturate any
/// other (`mask_fill(-1)` became 0, the background), where masks of other
/// dtypes refuse a fill they cannot hold.
pub fn check_u8_fill(pipeline: &augment::Pipeline, what: &str) -> PyResult<()> {
    let fill = pipeline.mask_fill();
    if (0.0..=255.0).contains(&fill) && fill.fract() == 0.0 {
        return Ok(());
    }
    Err(PyValueError::new_err(format!(
        "{what}: the mask fill {fill} is not a value of dtype uint8 (set mask_fill to one)"
    )))
}
