//! `augment.Pipeline`: one immutable `augment::Pipeline`, with NumPy in and out.
//!
//! Every call that runs the pipeline reads its arrays, releases the GIL and
//! calls the Rust method of the same name, so results are the Rust crate's,
//! bit for bit: image `k` with seed `s` depends on `(s, k)` alone.

use crate::array::{self, AnyImage, Count, Source};
use crate::builder::PipelineBuilder;
use crate::error;
use crate::masks;
use crate::recycle::Recycled;
use crate::targets::{BboxFormat, Points, box_rows, keypoints_out, point_rows};
use augment::{Boxes, Element, Normalisation, Targets};
use numpy::{PyArray1, PyArrayDyn, PyArrayMethods, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple, PyType};

/// An augmentation pipeline (see the package docstring and `_augment.pyi`).
#[pyclass(module = "augment", name = "Pipeline", frozen, eq)]
#[derive(Clone, PartialEq)]
pub struct Pipeline {
    pub(crate) inner: augment::Pipeline,
    /// Arrays `apply_batch` returned without `out=`, to refill.
    recycled: Recycled,
}

impl From<augment::Pipeline> for Pipeline {
    fn from(inner: augment::Pipeline) -> Self {
        Pipeline {
            inner,
            recycled: Recycled::default(),
        }
    }
}

/// A seed from a Python int: 0 to 2^64 - 1, else `ValueError`.
pub fn seed(value: i128) -> PyResult<u64> {
    u64::try_from(value).map_err(|_| {
        PyValueError::new_err(format!(
            "seed = {value} is invalid: expected an integer in 0..2**64"
        ))
    })
}

/// An image number from a Python int: 0 to 2^64 - 1, else `ValueError`.
pub(crate) fn index(name: &str, value: i128) -> PyResult<u64> {
    u64::try_from(value).map_err(|_| {
        PyValueError::new_err(format!(
            "{name} = {value} is invalid: expected an integer in 0..2**64"
        ))
    })
}

/// Mean or standard deviation: one number or a sequence of 1 to 4.
fn statistic(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<f32>> {
    if let Ok(v) = obj.extract::<f32>() {
        return Ok(vec![v]);
    }
    // A torch tensor or NumPy array of values reads through its list.
    let listed = obj.call_method0("tolist").ok();
    let values = listed.as_ref().unwrap_or(obj);
    values.extract::<Vec<f32>>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{name}: expected a number or a sequence of numbers"
        ))
    })
}

/// The normalisation `apply_batch` and the loader take.
pub fn normalisation(mean: &Bound<'_, PyAny>, std: &Bound<'_, PyAny>) -> PyResult<Normalisation> {
    Normalisation::new(&statistic(mean, "mean")?, &statistic(std, "std")?).map_err(error::augment)
}

/// `mean` and `std` as keyword arguments take them: both or neither
/// (ImageNet's).
pub fn given_normalisation(
    mean: Option<&Bound<'_, PyAny>>,
    std: Option<&Bound<'_, PyAny>>,
) -> PyResult<Normalisation> {
    match (mean, std) {
        (None, None) => Ok(Normalisation::IMAGENET),
        (Some(m), Some(s)) => normalisation(m, s),
        _ => Err(PyValueError::new_err(
            "mean and std: give both or neither (neither: ImageNet's)",
        )),
    }
}

/// Checks `mean` and `std` as `apply_batch` takes them for 8-bit images of
/// `channels` channels, raising what it would raise: `augment.torch.ImageFolder`
/// checks its statistics when it is built instead of at its first item.
#[pyfunction]
#[pyo3(name = "_check_normalisation")]
pub fn check_normalisation(
    mean: &Bound<'_, PyAny>,
    std: &Bound<'_, PyAny>,
    channels: usize,
) -> PyResult<()> {
    normalisation(mean, std)?
        .channel_affine(channels, 255.0)
        .map(drop)
        .map_err(error::augment)
}

/// What `__call__` returns before it becomes a dict.
struct Called<T> {
    out: augment::Augmented<T, usize>,
}

impl Pipeline {
    fn apply_one<'py, T: Element + numpy::Element>(
        &self,
        py: Python<'py>,
        src: &Source<'py, T>,
        index: u64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let view = src.view()?;
        let out = py
            .detach(|| self.inner.apply(view, index))
            .map_err(error::augment)?;
        array::to_numpy(py, out, src.planar)
    }

    fn call_one<T: Element + numpy::Element>(
        &self,
        py: Python<'_>,
        src: &Source<'_, T>,
        mask: Option<&Source<'_, u8>>,
        keypoints: &[(f64, f64)],
        boxes: Option<&Boxes<usize>>,
        index: u64,
    ) -> PyResult<Called<T>> {
        let view = src.view()?;
        let mask = mask.map(Source::view).transpose()?;
        let targets = Targets {
            mask,
            keypoints,
            boxes,
        };
        let out = py
            .detach(|| self.inner.apply_with_targets(view, &targets, index))
            .map_err(error::augment)?;
        Ok(Called { out })
    }

    /// Runs the batch with the GIL released, on this process's pool, into `out`.
    fn batch_into<T: Element + numpy::Element>(
        &self,
        py: Python<'_>,
        sources: &[Source<'_, T>],
        first_index: u64,
        normalisation: &Normalisation,
        out: &mut [f32],
    ) -> PyResult<()> {
        let views = sources
            .iter()
            .map(Source::view)
            .collect::<PyResult<Vec<_>>>()?;
        let pool = crate::pool::get()?;
        py.detach(|| {
            pool.install(|| {
                self.inner
                    .apply_batch_into(&views, first_index, normalisation, out)
            })
        })
        .map_err(error::augment)?;
        Ok(())
    }

    /// The batch's NCHW shape: image 0's plan gives the size (the Rust
    /// call checks that every other image agrees).
    /// The NCHW shape of the batch; for no sources, that of `empty`'s
    /// images (an `0 x H x W x C` array's `(H, W, C)`), or all zeros
    /// when nothing says what the images would be.
    fn batch_shape<T: Element + numpy::Element>(
        &self,
        sources: &[Source<'_, T>],
        first_index: u64,
        empty: Option<(usize, usize, usize)>,
    ) -> PyResult<[usize; 4]> {
        let Some((h, w, c)) = sources.first().map(|first| first.hwc).or(empty) else {
            return Ok([0; 4]);
        };
        let plan = self.inner.plan(w, h, first_index).map_err(error::augment)?;
        Ok([sources.len(), c, plan.height(), plan.width()])
    }

    fn batch<'py, T: Element + numpy::Element>(
        &self,
        py: Python<'py>,
        sources: &[Source<'py, T>],
        first_index: u64,
        normalisation: &Normalisation,
        out: Option<&Bound<'py, PyAny>>,
        empty: Option<(usize, usize, usize)>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let shape = self.batch_shape(sources, first_index, empty)?;
        shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .filter(|&n| n <= isize::MAX as usize / 4)
            .ok_or_else(|| error::too_large("the batch tensor"))?;
        let fresh;
        let out = match out {
            Some(out) => out,
            None => {
                // An array returned before that Python has let go of, else
                // a new one. numpy.zeros is calloc: fresh pages come zeroed
                // from the system, so no zeroing pass precedes the batch,
                // which overwrites every value. Too large: numpy's
                // MemoryError.
                fresh = match self.recycled.reusable::<f32>(py, &shape) {
                    Some(array) => array.into_any(),
                    None => {
                        let array = py
                            .import("numpy")?
                            .call_method1("zeros", (shape.to_vec(), "float32"))?;
                        self.recycled.keep(py, &array);
                        array
                    }
                };
                &fresh
            }
        };
        let array = out
            .cast::<PyArrayDyn<f32>>()
            .map_err(|_| PyTypeError::new_err("out: expected a float32 numpy array".to_string()))?;
        if array.shape() != shape {
            return Err(PyValueError::new_err(format!(
                "out: expected shape {shape:?} (N, C, H, W), got {:?}",
                array.shape()
            )));
        }
        if !array.is_c_contiguous() {
            return Err(PyValueError::new_err(
                "out: expected a C-contiguous array (np.empty(shape, np.float32))",
            ));
        }
        let mut writable = array
            .try_readwrite()
            .map_err(|e| PyValueError::new_err(format!("out: {e}")))?;
        let data = writable
            .as_slice_mut()
            .map_err(|e| PyValueError::new_err(format!("out: {e}")))?;
        self.batch_into(py, sources, first_index, normalisation, data)?;
        Ok(out.clone())
    }
}

/// The images of a batch, all of one dtype.
enum Batch<'py> {
    U8(Vec<Source<'py, u8>>),
    F32(Vec<Source<'py, f32>>),
}

fn batch_sources<'py>(images: &Bound<'py, PyAny>) -> PyResult<Batch<'py>> {
    let mut u8s = Vec::new();
    let mut f32s = Vec::new();
    let iter = images.try_iter().map_err(|_| {
        PyTypeError::new_err("images: expected a sequence of arrays or an N x H x W x C array")
    })?;
    for (i, item) in iter.enumerate() {
        let item = item?;
        match array::image(&item, &format!("images[{i}]"))? {
            AnyImage::U8(s) => u8s.push(s),
            AnyImage::F32(s) => f32s.push(s),
        }
        if !u8s.is_empty() && !f32s.is_empty() {
            return Err(PyTypeError::new_err(format!(
                "images[{i}]: a batch needs one dtype, but it mixes uint8 and float32"
            )));
        }
    }
    Ok(if f32s.is_empty() {
        Batch::U8(u8s)
    } else {
        Batch::F32(f32s)
    })
}

#[pymethods]
impl Pipeline {
    /// A new builder.
    #[staticmethod]
    fn builder() -> PipelineBuilder {
        PipelineBuilder::from(augment::Pipeline::builder())
    }

    /// This pipeline as a builder, to extend it.
    fn to_builder(&self) -> PipelineBuilder {
        PipelineBuilder::from(augment::PipelineBuilder::from(self.inner.clone()))
    }

    /// fastai v1's training set of transforms, then cover-resize and random crop.
    #[classmethod]
    #[pyo3(signature = (width, height, *, seed = 0))]
    fn fastai(_cls: &Bound<'_, PyType>, width: Count, height: Count, seed: i128) -> PyResult<Self> {
        augment::Pipeline::fastai_default(width.0, height.0)
            .seed(self::seed(seed)?)
            .build()
            .map(Pipeline::from)
            .map_err(error::augment)
    }

    /// fastai's validation pipeline: cover-resize and centre crop.
    #[classmethod]
    fn fastai_validation(_cls: &Bound<'_, PyType>, width: Count, height: Count) -> PyResult<Self> {
        augment::Pipeline::fastai_validation(width.0, height.0)
            .build()
            .map(Pipeline::from)
            .map_err(error::augment)
    }

    /// Reads a pipeline file (`*.toml` or `*.json`).
    #[classmethod]
    fn load(_cls: &Bound<'_, PyType>, path: std::path::PathBuf) -> PyResult<Self> {
        augment::Pipeline::load(path)
            .map(Pipeline::from)
            .map_err(error::augment)
    }

    /// Writes the pipeline to a file (`*.toml` or `*.json`).
    fn save(&self, path: std::path::PathBuf) -> PyResult<()> {
        self.inner.save(path).map_err(error::augment)
    }

    /// A pipeline from the JSON form of a pipeline file.
    #[classmethod]
    fn from_json(_cls: &Bound<'_, PyType>, text: &str) -> PyResult<Self> {
        augment::Pipeline::from_json(text)
            .map(Pipeline::from)
            .map_err(error::augment)
    }

    /// A pipeline from the TOML form of a pipeline file.
    #[classmethod]
    fn from_toml(_cls: &Bound<'_, PyType>, text: &str) -> PyResult<Self> {
        augment::Pipeline::from_toml(text)
            .map(Pipeline::from)
            .map_err(error::augment)
    }

    /// The pipeline in the JSON form of a pipeline file.
    fn to_json(&self) -> PyResult<String> {
        self.inner.to_json().map_err(error::augment)
    }

    /// The pipeline in the TOML form of a pipeline file.
    fn to_toml(&self) -> PyResult<String> {
        self.inner.to_toml().map_err(error::augment)
    }

    /// A pipeline from a dict in the pipeline-file form.
    #[classmethod]
    fn from_dict(cls: &Bound<'_, PyType>, d: &Bound<'_, PyAny>) -> PyResult<Self> {
        let py = d.py();
        let mapping = py.import("collections.abc")?.getattr("Mapping")?;
        if !d.is_instance(&mapping)? {
            return Err(PyTypeError::new_err(format!(
                "from_dict: expected a dict (or another mapping), got a {}",
                d.get_type().name()?
            )));
        }
        let text = crate::builder::json_text(d, "from_dict")?;
        Self::from_json(cls, &text)
    }

    /// The pipeline as a dict in the pipeline-file form.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let text = self.to_json()?;
        py.import("json")?.call_method1("loads", (text,))
    }

    /// The seed.
    #[getter]
    fn seed(&self) -> u64 {
        self.inner.seed()
    }

    /// The same pipeline with another seed.
    #[pyo3(name = "with_seed")]
    fn with_seed_py(&self, seed: i128) -> PyResult<Self> {
        Ok(Pipeline::from(
            self.inner.clone().with_seed(self::seed(seed)?),
        ))
    }

    fn __len__(&self) -> usize {
        self.inner.steps().len()
    }

    fn __repr__(&self) -> String {
        let names: Vec<&str> = self
            .inner
            .steps()
            .iter()
            .map(|s| s.transform.name())
            .collect();
        format!(
            "augment.Pipeline(steps=[{}], seed={})",
            names.join(", "),
            self.inner.seed()
        )
    }

    /// Pickles as its JSON text, read back through `Pipeline.from_json`.
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let text = slf.get().to_json()?;
        let from_json = slf.get_type().getattr("from_json")?;
        Ok((from_json, PyTuple::new(slf.py(), [text])?))
    }

    /// Augments one `H x W` or `H x W x C` `uint8` / `float32` image as image number `index`.
    #[pyo3(signature = (image, index = 0))]
    fn apply<'py>(
        &self,
        py: Python<'py>,
        image: &Bound<'py, PyAny>,
        index: i128,
    ) -> PyResult<Bound<'py, PyAny>> {
        let index = self::index("index", index)?;
        match array::image(image, "image")? {
            AnyImage::U8(s) => self.apply_one(py, &s, index),
            AnyImage::F32(s) => self.apply_one(py, &s, index),
        }
    }

    /// albumentations' calling convention: keyword targets in, a dict out.
    #[pyo3(signature = (*, image, mask = None, masks = None, bboxes = None, keypoints = None,
                        labels = None, bbox_format = "pascal_voc", index = 0))]
    #[allow(clippy::too_many_arguments)]
    fn __call__<'py>(
        &self,
        py: Python<'py>,
        image: &Bound<'py, PyAny>,
        mask: Option<&Bound<'py, PyAny>>,
        masks: Option<&Bound<'py, PyAny>>,
        bboxes: Option<&Bound<'py, PyAny>>,
        keypoints: Option<&Bound<'py, PyAny>>,
        labels: Option<&Bound<'py, PyAny>>,
        bbox_format: &str,
        index: i128,
    ) -> PyResult<Bound<'py, PyDict>> {
        let index = self::index("index", index)?;
        let format = BboxFormat::parse(bbox_format)?;
        let src = array::image(image, "image")?;
        // uint8 masks of 1, 3 or 4 channels go with the image; any other
        // by byte planes after it (`masks`).
        let with_image = |m: &Bound<'py, PyAny>| {
            m.cast::<numpy::PyArrayDyn<u8>>().is_ok_and(|a| {
                use numpy::PyUntypedArrayMethods;
                matches!(a.shape(), [_, _] | [_, _, 1 | 3 | 4])
            })
        };
        let (mask, other_mask) = match mask {
            Some(m) if with_image(m) => {
                masks::check_u8_fill(&self.inner, "mask")?;
                (Some(array::image_u8(m, "mask")?), None)
            }
            other => (None, other),
        };
        let points = match keypoints {
            Some(k) => point_rows(k)?,
            None => Points::none(),
        };
        let label_list = match labels {
            Some(l) => Some(PyList::new(
                py,
                l.try_iter()?.collect::<PyResult<Vec<_>>>()?,
            )?),
            None => None,
        };
        if label_list.is_some() && bboxes.is_none() {
            return Err(PyValueError::new_err(
                "labels: given without bboxes (labels are the boxes' labels)",
            ));
        }
        let mut box_extras = None;
        let boxes = match bboxes {
            Some(b) => {
                let (rows, extras) = box_rows(b)?;
                box_extras = extras;
                if let Some(l) = label_list.as_ref().filter(|l| l.len() != rows.len()) {
                    return Err(PyValueError::new_err(format!(
                        "{} bboxes but {} labels: every box needs one label",
                        rows.len(),
                        l.len()
                    )));
                }
                let n = rows.len();
                let xyxy = rows.into_iter().map(|r| format.to_xyxy(r)).collect();
                Some(Boxes::new(format.library(), xyxy, (0..n).collect()).map_err(error::augment)?)
            }
            None => None,
        };
        let result = PyDict::new(py);
        let (mapped, boxes_out) = match &src {
            AnyImage::U8(s) => {
                let c = self.call_one(py, s, mask.as_ref(), &points.xy, boxes.as_ref(), index)?;
                result.set_item("image", array::to_numpy(py, c.out.image, s.planar)?)?;
                if let (Some(m), Some(src)) = (c.out.mask, &mask) {
                    result.set_item("mask", array::to_numpy(py, m, src.planar)?)?;
                }
                (c.out.keypoints, c.out.boxes)
            }
            AnyImage::F32(s) => {
                let c = self.call_one(py, s, mask.as_ref(), &points.xy, boxes.as_ref(), index)?;
                result.set_item("image", array::to_numpy(py, c.out.image, s.planar)?)?;
                if let (Some(m), Some(src)) = (c.out.mask, &mask) {
                    result.set_item("mask", array::to_numpy(py, m, src.planar)?)?;
                }
                (c.out.keypoints, c.out.boxes)
            }
        };
        if other_mask.is_some() || masks.is_some() {
            let (h, w, _) = match &src {
                AnyImage::U8(s) => s.hwc,
                AnyImage::F32(s) => s.hwc,
            };
            let plan = py
                .detach(|| self.inner.plan(w, h, index))
                .map_err(error::augment)?;
            if let Some(m) = other_mask {
                result.set_item("mask", masks::warp(py, &self.inner, m, &plan, "mask")?)?;
            }
            if let Some(list) = masks {
                let out = PyList::empty(py);
                for (i, m) in list.try_iter()?.enumerate() {
                    out.append(masks::warp(
                        py,
                        &self.inner,
                        &m?,
                        &plan,
                        &format!("masks[{i}]"),
                    )?)?;
                }
                result.set_item("masks", out)?;
            }
        }
        if keypoints.is_some() {
            let (xy, inside) = keypoints_out(py, &mapped, &points)?;
            result.set_item("keypoints", xy)?;
            result.set_item("keypoints_inside", inside)?;
        }
        if let Some(kept) = boxes_out {
            let (xyxy, kept) = kept.into_parts();
            let n = xyxy.len();
            let flat: Vec<f64> = xyxy
                .into_iter()
                .flat_map(|b| format.out_of_xyxy(b))
                .collect();
            match &box_extras {
                // Boxes with values appended come back as tuples with them.
                Some(extras) => {
                    let rows = flat
                        .chunks_exact(4)
                        .zip(&kept)
                        .map(|(b, &i)| {
                            let values: Vec<Bound<'_, PyAny>> = b
                                .iter()
                                .map(|&v| pyo3::types::PyFloat::new(py, v).into_any())
                                .chain(extras[i].iter())
                                .collect();
                            PyTuple::new(py, values)
                        })
                        .collect::<PyResult<Vec<_>>>()?;
                    result.set_item("bboxes", PyList::new(py, rows)?)?;
                }
                None => {
                    result.set_item("bboxes", PyArray1::from_vec(py, flat).reshape([n, 4])?)?;
                }
            }
            if let Some(l) = &label_list {
                let labels = kept
                    .iter()
                    .map(|&i| l.get_item(i))
                    .collect::<PyResult<Vec<_>>>()?;
                result.set_item("labels", PyList::new(py, labels)?)?;
            }
            result.set_item("bbox_indices", PyArray1::from_vec(py, kept))?;
        }
        Ok(result)
    }

    /// Augments a batch as images `first_index..` into one normalised NCHW float32 array.
    #[pyo3(signature = (images, first_index = 0, mean = None, std = None, out = None))]
    fn apply_batch<'py>(
        &self,
        py: Python<'py>,
        images: &Bound<'py, PyAny>,
        first_index: i128,
        mean: Option<&Bound<'py, PyAny>>,
        std: Option<&Bound<'py, PyAny>>,
        out: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let first_index = self::index("first_index", first_index)?;
        let normalisation = given_normalisation(mean, std)?;
        // N x H x W is a batch of gray images, but one 3- or 4-wide is
        // almost surely a single H x W x C image passed on its own, which
        // would go through as H gray images of W x C pixels.
        if let Ok(a) = images.cast::<PyUntypedArray>()
            && let [h, w, c @ (3 | 4)] = *a.shape()
        {
            return Err(PyValueError::new_err(format!(
                "images: an array of shape ({h}, {w}, {c}) looks like one H x W x C image; a batch \
                 is a list of images or an N x H x W x C array (for one image, pass [image] or \
                 image[None]; gray images {c} pixels wide, as N x H x W x 1)"
            )));
        }
        // An empty N x H x W (x C) array still says what its images are,
        // so its batch has their output shape; an empty list does not.
        let empty = images
            .cast::<PyUntypedArray>()
            .ok()
            .filter(|a| a.shape().first() == Some(&0))
            .and_then(|a| match *a.shape() {
                [_, h, w] => Some((h, w, 1)),
                [_, h, w, c] => Some((h, w, c)),
                _ => None,
            });
        let float = images
            .cast::<PyArrayDyn<f32>>()
            .is_ok_and(|a| a.shape().first() == Some(&0));
        match batch_sources(images)? {
            Batch::U8(s) if float => {
                debug_assert!(s.is_empty());
                self.batch::<f32>(py, &[], first_index, &normalisation, out, empty)
            }
            Batch::U8(s) => self.batch(py, &s, first_index, &normalisation, out, empty),
            Batch::F32(s) => self.batch(py, &s, first_index, &normalisation, out, empty),
        }
    }
}
