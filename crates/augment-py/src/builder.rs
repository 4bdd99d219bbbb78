//! `augment.PipelineBuilder`: the Rust builder's methods, by the same names
//! and in the same order of arguments, as keyword arguments.
//!
//! A parameter drawn per image is a number (fixed), a `(low, high)` pair
//! (uniform; a pair of equal values is fixed, as Rust's `low..=high` is) or
//! `{"log_uniform": (low, high)}` (`augment.log_uniform(low, high)`).
//! Builders are values: every method returns a new builder and leaves the
//! one it was called on as it was, so a common prefix can be shared.
//! Nothing is checked until `build()`, which checks what the Rust `build`
//! checks and raises `ValueError` with its message.

use crate::array::Count;
use crate::error;
use crate::pipeline::Pipeline;
use augment::{Interpolation, Padding, Param, ResizeMethod};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Builds a `Pipeline`.
#[pyclass(module = "augment", name = "PipelineBuilder", frozen)]
#[derive(Clone)]
pub struct PipelineBuilder {
    inner: augment::PipelineBuilder,
}

impl From<augment::PipelineBuilder> for PipelineBuilder {
    fn from(inner: augment::PipelineBuilder) -> Self {
        PipelineBuilder { inner }
    }
}

/// A drawn-or-fixed parameter from Python.
struct P(Param);

impl<'a, 'py> FromPyObject<'a, 'py> for P {
    type Error = PyErr;

    fn extract(obj: pyo3::Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let expected = "expected a number, a (low, high) pair, or \
                        augment.log_uniform(low, high)";
        if let Ok(v) = obj.extract::<f64>() {
            return Ok(P(Param::Fixed(v)));
        }
        if let Ok(d) = obj.cast::<PyDict>() {
            let pair = match (d.len(), d.get_item("log_uniform")?) {
                (1, Some(pair)) => pair.extract::<(f64, f64)>().ok(),
                _ => None,
            };
            return match pair {
                Some((low, high)) => Ok(P(Param::LogUniform(low, high))),
                None => Err(PyValueError::new_err(format!(
                    "parameter {}: {expected}",
                    obj.repr()?
                ))),
            };
        }
        // Any sequence of two numbers: a tuple, a list from a config file,
        // a NumPy array.
        match obj.extract::<Vec<f64>>().ok().as_deref() {
            Some(&[low, high]) => Ok(P(Param::from(low..=high))),
            _ => Err(PyTypeError::new_err(format!(
                "parameter {}: {expected}",
                obj.repr()?
            ))),
        }
    }
}

fn padding(obj: &Bound<'_, PyAny>) -> PyResult<Padding> {
    if let Ok(v) = obj.extract::<f32>() {
        return Ok(Padding::Constant(v));
    }
    let name: String = obj.extract().map_err(|_| {
        PyTypeError::new_err("padding: expected a mode name or a number (a constant)")
    })?;
    Ok(match name.as_str() {
        "zeros" => Padding::Zeros,
        "border" => Padding::Border,
        "reflect" => Padding::Reflect,
        "reflect101" => Padding::Reflect101,
        "wrap" => Padding::Wrap,
        _ => {
            return Err(PyValueError::new_err(format!(
                "padding = {name:?} is invalid: expected \"zeros\", \"border\", \"reflect\", \
                 \"reflect101\", \"wrap\" or a number (a constant)"
            )));
        }
    })
}

fn resize_method(name: &str) -> PyResult<ResizeMethod> {
    Ok(match name {
        "squish" => ResizeMethod::Squish,
        "crop" => ResizeMethod::Crop,
        "pad" => ResizeMethod::Pad,
        _ => {
            return Err(PyValueError::new_err(format!(
                "method = {name:?} is invalid: expected \"squish\", \"crop\" or \"pad\""
            )));
        }
    })
}

impl PipelineBuilder {
    fn with(&self, f: impl FnOnce(augment::PipelineBuilder) -> augment::PipelineBuilder) -> Self {
        PipelineBuilder {
            inner: f(self.inner.clone()),
        }
    }
}

#[pymethods]
impl PipelineBuilder {
    /// An empty builder: no steps, bilinear, reflect101 padding, seed 0.
    #[new]
    fn new() -> Self {
        augment::Pipeline::builder().into()
    }

    /// Appends a step given as in pipeline files: `{"type": "rotate", "degrees": [-10, 10]}`.
    #[pyo3(signature = (transform, p = 1.0))]
    fn step(&self, transform: &Bound<'_, PyAny>, p: f64) -> PyResult<Self> {
        let text = json_text(transform, "transform")?;
        let transform = serde_json::from_str(&text)
            .map_err(|e| PyValueError::new_err(format!("transform: {e}")))?;
        Ok(self.with(|b| b.step(transform, p)))
    }

    /// Scale to `width x height` by `method`: "squish" (stretch), "crop" (cover, centred crop) or "pad".
    #[pyo3(signature = (width, height, method = "squish"))]
    fn resize(&self, width: Count, height: Count, method: &str) -> PyResult<Self> {
        let method = resize_method(method)?;
        Ok(self.with(|b| b.resize_with(width.0, height.0, method)))
    }

    /// Keep the centred `width x height` window (square when `height` is
    /// omitted, as torchvision's `CenterCrop(224)`).
    #[pyo3(signature = (width, height = None))]
    fn centre_crop(&self, width: Count, height: Option<Count>) -> Self {
        let height = height.unwrap_or(width);
        self.with(|b| b.centre_crop(width.0, height.0))
    }

    /// Keep the centred `width x height` window (same as `centre_crop`).
    #[pyo3(signature = (width, height = None))]
    fn center_crop(&self, width: Count, height: Option<Count>) -> Self {
        self.centre_crop(width, height)
    }

    /// Keep a `width x height` window at a random position (square when
    /// `height` is omitted).
    #[pyo3(signature = (width, height = None))]
    fn random_crop(&self, width: Count, height: Option<Count>) -> Self {
        let height = height.unwrap_or(width);
        self.with(|b| b.random_crop(width.0, height.0))
    }

    /// Keep a `width x height` window at fraction `x`, `y` of the room
    /// (fastai's `crop_pad`; square when `height` is omitted).
    #[pyo3(signature = (width, height = None, x = P(Param::Fixed(0.5)), y = P(Param::Fixed(0.5))))]
    fn crop_pad(&self, width: Count, height: Option<Count>, x: P, y: P) -> Self {
        let height = height.unwrap_or(width);
        self.with(|b| b.crop_pad(width.0, height.0, x.0, y.0))
    }

    /// torchvision's `RandomResizedCrop`: area fraction `scale`, aspect
    /// `ratio`; square when `height` is omitted (`random_resized_crop(224)`).
    #[pyo3(signature = (width, height = None, scale = P(Param::Uniform(0.08, 1.0)),
                        ratio = P(Param::LogUniform(3.0 / 4.0, 4.0 / 3.0))))]
    fn random_resized_crop(&self, width: Count, height: Option<Count>, scale: P, ratio: P) -> Self {
        let height = height.unwrap_or(width);
        self.with(|b| b.random_resized_crop_with(width.0, height.0, scale.0, ratio.0))
    }

    /// Zoom by `scale` on a random window, resized to `width x height`.
    fn zoom_crop(&self, width: Count, height: Count, scale: P) -> Self {
        self.with(|b| b.zoom_crop(width.0, height.0, scale.0))
    }

    /// Mirror left-right with probability `p`.
    #[pyo3(signature = (p = 1.0))]
    fn flip_horizontal(&self, p: f64) -> Self {
        self.with(|b| b.flip_horizontal(p))
    }

    /// Mirror top-bottom with probability `p`.
    #[pyo3(signature = (p = 1.0))]
    fn flip_vertical(&self, p: f64) -> Self {
        self.with(|b| b.flip_vertical(p))
    }

    /// One of the 8 symmetries of the square with probability `p`.
    #[pyo3(signature = (p = 1.0))]
    fn dihedral(&self, p: f64) -> Self {
        self.with(|b| b.dihedral(p))
    }

    /// Rotate counter-clockwise by `degrees`.
    #[pyo3(signature = (degrees, p = 1.0))]
    fn rotate(&self, degrees: P, p: f64) -> Self {
        self.with(|b| b.rotate(degrees.0, p))
    }

    /// Zoom by `scale` on a window at fraction `x`, `y` of the room (centre by default).
    #[pyo3(signature = (scale, x = P(Param::Fixed(0.5)), y = P(Param::Fixed(0.5)), p = 1.0))]
    fn zoom(&self, scale: P, x: P, y: P, p: f64) -> Self {
        self.with(|b| b.zoom_at(scale.0, x.0, y.0, p))
    }

    /// Zoom by `scale` on a window at a random place (fastai's `rand_zoom`).
    #[pyo3(signature = (scale, p = 1.0))]
    fn random_zoom(&self, scale: P, p: f64) -> Self {
        self.with(|b| b.random_zoom(scale.0, p))
    }

    /// Shift by fractions `x` of the width and `y` of the height.
    #[pyo3(signature = (x = P(Param::Fixed(0.0)), y = P(Param::Fixed(0.0)), p = 1.0))]
    fn translate(&self, x: P, y: P, p: f64) -> Self {
        self.with(|b| b.translate(x.0, y.0, p))
    }

    /// Scale each axis about the centre.
    #[pyo3(signature = (x, y, p = 1.0))]
    fn scale(&self, x: P, y: P, p: f64) -> Self {
        self.with(|b| b.scale(x.0, y.0, p))
    }

    /// Shear by angles in degrees about the centre.
    #[pyo3(signature = (x_degrees = P(Param::Fixed(0.0)), y_degrees = P(Param::Fixed(0.0)), p = 1.0))]
    fn shear(&self, x_degrees: P, y_degrees: P, p: f64) -> Self {
        self.with(|b| b.shear(x_degrees.0, y_degrees.0, p))
    }

    /// Move each corner by a random offset (fraction of the half side).
    #[pyo3(signature = (distortion, p = 1.0))]
    fn perspective(&self, distortion: P, p: f64) -> Self {
        self.with(|b| b.perspective(distortion.0, p))
    }

    /// fastai's `symmetric_warp`.
    #[pyo3(signature = (magnitude, p = 1.0))]
    fn symmetric_warp(&self, magnitude: P, p: f64) -> Self {
        self.with(|b| b.symmetric_warp(magnitude.0, p))
    }

    /// fastai's `skew`.
    #[pyo3(signature = (magnitude, p = 1.0))]
    fn skew(&self, magnitude: P, p: f64) -> Self {
        self.with(|b| b.skew(magnitude.0, p))
    }

    /// fastai's `tilt`.
    #[pyo3(signature = (magnitude, p = 1.0))]
    fn tilt(&self, magnitude: P, p: f64) -> Self {
        self.with(|b| b.tilt(magnitude.0, p))
    }

    /// Each output pixel reads a random neighbour within `magnitude` pixels.
    #[pyo3(signature = (magnitude, p = 1.0))]
    fn jitter(&self, magnitude: P, p: f64) -> Self {
        self.with(|b| b.jitter(magnitude.0, p))
    }

    /// Elastic distortion: offsets up to `magnitude` pixels, `smoothness` pixels apart.
    #[pyo3(signature = (magnitude, smoothness, p = 1.0))]
    fn elastic(&self, magnitude: P, smoothness: f64, p: f64) -> Self {
        self.with(|b| b.elastic(magnitude.0, smoothness, p))
    }

    /// Shift brightness by `delta` (fraction of full intensity).
    #[pyo3(signature = (delta, p = 1.0))]
    fn brightness(&self, delta: P, p: f64) -> Self {
        self.with(|b| b.brightness(delta.0, p))
    }

    /// Multiply contrast by `1 + factor`.
    #[pyo3(signature = (factor, p = 1.0))]
    fn contrast(&self, factor: P, p: f64) -> Self {
        self.with(|b| b.contrast(factor.0, p))
    }

    /// Scale contrast about mid-grey by `scale`.
    #[pyo3(signature = (scale, p = 1.0))]
    fn mid_grey_contrast(&self, scale: P, p: f64) -> Self {
        self.with(|b| b.mid_grey_contrast(scale.0, p))
    }

    /// Black out `holes` rectangles of `width x height` output pixels.
    #[pyo3(signature = (holes, width, height, p = 1.0))]
    fn cutout(&self, holes: P, width: P, height: P, p: f64) -> Self {
        self.with(|b| b.cutout(holes.0, width.0, height.0, p))
    }

    /// Gaussian blur with standard deviation `sigma` pixels.
    #[pyo3(signature = (sigma, p = 1.0))]
    fn gaussian_blur(&self, sigma: P, p: f64) -> Self {
        self.with(|b| b.gaussian_blur(sigma.0, p))
    }

    /// Motion blur over `length` pixels at `degrees`.
    #[pyo3(signature = (length, degrees, p = 1.0))]
    fn motion_blur(&self, length: P, degrees: P, p: f64) -> Self {
        self.with(|b| b.motion_blur(length.0, degrees.0, p))
    }

    /// Cheap motion blur: shear by `degrees`, box blur along rows over `length` pixels.
    #[pyo3(signature = (length, degrees, p = 1.0))]
    fn shear_blur(&self, length: P, degrees: P, p: f64) -> Self {
        self.with(|b| b.shear_blur(length.0, degrees.0, p))
    }

    /// Interpolation for images: "bilinear" (default) or "nearest".
    fn interpolation(&self, name: &str) -> PyResult<Self> {
        let interpolation = match name {
            "bilinear" => Interpolation::Bilinear,
            "nearest" => Interpolation::Nearest,
            _ => {
                return Err(PyValueError::new_err(format!(
                    "interpolation = {name:?} is invalid: expected \"bilinear\" or \"nearest\""
                )));
            }
        };
        Ok(self.with(|b| b.interpolation(interpolation)))
    }

    /// What areas outside the source show: "reflect101" (default), "reflect",
    /// "border", "wrap", "zeros" or a number (a constant).
    fn padding(&self, mode: &Bound<'_, PyAny>) -> PyResult<Self> {
        let padding = padding(mode)?;
        Ok(self.with(|b| b.padding(padding)))
    }

    /// The seed from which every image's parameters derive (default 0).
    #[pyo3(name = "seed")]
    fn seed_py(&self, seed: i128) -> PyResult<Self> {
        let seed = crate::pipeline::seed(seed)?;
        Ok(self.with(|b| b.seed(seed)))
    }

    /// Refuse outputs of more than this many pixels.
    fn max_output_pixels(&self, limit: Count) -> Self {
        self.with(|b| b.max_output_pixels(limit.0))
    }

    /// Sample a box-downscaled copy where the map shrinks more than 2x (default on).
    #[pyo3(signature = (on = true))]
    fn antialias(&self, on: bool) -> Self {
        self.with(|b| b.antialias(on))
    }

    /// The value masks get outside the source (default 0).
    fn mask_fill(&self, value: f32) -> Self {
        self.with(|b| b.mask_fill(value))
    }

    /// Boxes keeping less than this fraction of their area are dropped (default 0).
    fn min_box_visibility(&self, fraction: f64) -> Self {
        self.with(|b| b.min_box_visibility(fraction))
    }

    /// Checks every step and setting; the pipeline.
    fn build(&self) -> PyResult<Pipeline> {
        self.inner
            .clone()
            .build()
            .map(Pipeline::from)
            .map_err(error::augment)
    }

    fn __repr__(&self) -> String {
        format!("augment.PipelineBuilder({:?})", self.inner)
    }
}

/// `obj` as JSON text, NumPy scalars (`np.int64(5)`, `np.float32(0.5)`)
/// as the Python numbers they hold; anything else JSON cannot hold is a
/// ValueError naming `what`.
pub fn json_text(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    let py = obj.py();
    // A mapping other than a dict (`MappingProxyType`, a config object's
    // view) as the dict JSON writes.
    let mapping = py.import("collections.abc")?.getattr("Mapping")?;
    let dict = py.get_type::<pyo3::types::PyDict>();
    let converted;
    let obj = if !obj.is_instance(&dict)? && obj.is_instance(&mapping)? {
        converted = dict.call1((obj,))?;
        &converted
    } else {
        obj
    };
    let options = pyo3::types::PyDict::new(py);
    options.set_item(
        "default",
        py.import("operator")?
            .call_method1("methodcaller", ("item",))?,
    )?;
    py.import("json")?
        .call_method("dumps", (obj,), Some(&options))
        .map_err(|e| PyValueError::new_err(format!("{what}: not JSON-like data: {e}")))?
        .extract()
}
