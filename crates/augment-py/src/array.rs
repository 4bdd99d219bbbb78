//! NumPy arrays to image views and back.
//!
//! An image is an `H x W` (one channel) or `H x W x C` array (`C` in 1, 3,
//! 4) of `uint8` or `float32`. A C-contiguous array is read in place, with
//! no copy; any other layout (a transposed or strided view) is copied into
//! C order first, which gives the same pixels. Results are new arrays that
//! take over the Rust buffer, again without a copy.

use augment::{Element, Image, ImageView};
use numpy::{PyArray1, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

/// The pixels of one image argument: borrowed from the array when its
/// layout allows, copied otherwise.
pub enum Pixels<'py, T: Element + numpy::Element> {
    /// A C-contiguous array, read in place.
    Borrowed(PyReadonlyArrayDyn<'py, T>),
    /// A copy in C order of an array of another layout.
    Owned(Vec<T>),
}

/// One image argument: its pixels and `(height, width, channels)`, and
/// whether it came as a 2-D array (the result is then 2-D too).
pub struct Source<'py, T: Element + numpy::Element> {
    pixels: Pixels<'py, T>,
    /// Height, width, channels.
    pub hwc: (usize, usize, usize),
    /// The argument was `H x W`.
    pub planar: bool,
}

impl<T: Element + numpy::Element> Source<'_, T> {
    /// The image as a view (rows packed).
    pub fn view(&self) -> PyResult<ImageView<'_, T>> {
        let data = match &self.pixels {
            Pixels::Borrowed(a) => a
                .as_slice()
                .map_err(|e| PyValueError::new_err(e.to_string()))?,
            Pixels::Owned(v) => v.as_slice(),
        };
        let (h, w, c) = self.hwc;
        ImageView::new(data, w, h, c).map_err(|e| crate::error::augment(e.into()))
    }
}

/// An image argument of either sample type.
pub enum AnyImage<'py> {
    /// `uint8` pixels, full intensity 255.
    U8(Source<'py, u8>),
    /// `float32` pixels, full intensity 1.
    F32(Source<'py, f32>),
}

/// Reads `obj` (named `what` in messages) as an image: `TypeError` for
/// anything but a `uint8` or `float32` ndarray, `ValueError` for a shape
/// that is not `H x W` or `H x W x C` with `C` in 1, 3, 4.
pub fn image<'py>(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<AnyImage<'py>> {
    if let Ok(a) = obj.cast::<PyArrayDyn<u8>>() {
        return Ok(AnyImage::U8(source(a, what)?));
    }
    if let Ok(a) = obj.cast::<PyArrayDyn<f32>>() {
        return Ok(AnyImage::F32(source(a, what)?));
    }
    Err(wrong_type(obj, what, "a uint8 or float32 array"))
}

/// Reads `obj` as a `uint8` image (masks).
pub fn image_u8<'py>(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Source<'py, u8>> {
    match obj.cast::<PyArrayDyn<u8>>() {
        Ok(a) => source(a, what),
        Err(_) => Err(wrong_type(obj, what, "a uint8 array")),
    }
}

/// `TypeError` naming what `obj` is: its dtype for an array, its type otherwise.
fn wrong_type(obj: &Bound<'_, PyAny>, what: &str, expected: &str) -> PyErr {
    let type_name = obj
        .get_type()
        .fully_qualified_name()
        .map_or_else(|_| "another type".to_string(), |n| n.to_string());
    let numpy = obj.is_instance_of::<numpy::PyUntypedArray>();
    let found = match obj.getattr("dtype") {
        Ok(dtype) if numpy => format!("an array of dtype {dtype}"),
        // A torch tensor (or another library's array) looks like one but
        // is not a NumPy array: say what it is and how to hand it over.
        Ok(dtype) if obj.hasattr("shape").unwrap_or(false) => format!(
            "a {type_name} of dtype {dtype}: pass a NumPy array, H x W x C (a torch \
             tensor: .numpy(), and .permute(1, 2, 0) first if it is C x H x W)"
        ),
        _ => format!("a {type_name}"),
    };
    PyTypeError::new_err(format!("{what}: expected {expected}, got {found}"))
}

fn source<'py, T: Element + numpy::Element>(
    a: &Bound<'py, PyArrayDyn<T>>,
    what: &str,
) -> PyResult<Source<'py, T>> {
    let shape = a.shape().to_vec();
    let (hwc, planar) = match shape[..] {
        [h, w] => ((h, w, 1), true),
        [h, w, c] if (1..=4).contains(&c) && c != 2 => ((h, w, c), false),
        _ => {
            return Err(PyValueError::new_err(format!(
                "{what}: expected an H x W or H x W x C array with C = 1, 3 or 4, got shape {shape:?}"
            )));
        }
    };
    let readonly = a
        .try_readonly()
        .map_err(|e| PyValueError::new_err(format!("{what}: {e}")))?;
    let pixels = if a.is_c_contiguous() {
        Pixels::Borrowed(readonly)
    } else {
        // A strided view of any size (a broadcast array, a memmap) is
        // copied: reserved fallibly, so a copy that cannot fit raises
        // MemoryError where an infallible one aborted the interpreter.
        let len = shape.iter().product::<usize>();
        let mut owned = Vec::new();
        owned.try_reserve_exact(len).map_err(|_| {
            pyo3::exceptions::PyMemoryError::new_err(format!(
                "{what}: no memory for a contiguous copy of the strided array ({len} elements)"
            ))
        })?;
        owned.extend(readonly.as_array().iter().copied());
        Pixels::Owned(owned)
    };
    Ok(Source {
        pixels,
        hwc,
        planar,
    })
}

/// An image as a new array (`H x W x C`, or `H x W` when `planar`),
/// taking over its buffer.
pub fn to_numpy<'py, T: Element + numpy::Element>(
    py: Python<'py>,
    image: Image<T>,
    planar: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let (h, w, c) = (image.height(), image.width(), image.channels());
    let flat = PyArray1::from_vec(py, image.into_vec());
    let shaped = if planar && c == 1 {
        flat.reshape([h, w])?.into_any()
    } else {
        flat.reshape([h, w, c])?.into_any()
    };
    Ok(shaped)
}

/// A size or count argument: a non-negative integer, `ValueError` for a
/// negative one (where a bare `usize` argument would raise `OverflowError`).
#[derive(Clone, Copy)]
pub struct Count(pub usize);

impl<'a, 'py> FromPyObject<'a, 'py> for Count {
    type Error = PyErr;

    fn extract(obj: pyo3::Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let value: i128 = obj.extract()?;
        usize::try_from(value).map(Count).map_err(|_| {
            PyValueError::new_err(format!(
                "{value} is invalid: expected a non-negative integer below 2**64"
            ))
        })
    }
}
