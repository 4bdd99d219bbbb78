//! The targets of `Pipeline.__call__` as Python gives and gets them: boxes
//! in albumentations' formats, keypoints and rows of numbers.

use augment::{BoxFormat, MappedPoint};
use numpy::{PyArray1, PyArrayDyn, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// An array-like of numbers as `f64` values in C order, and its shape.
fn numbers(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<(Vec<f64>, Vec<usize>)> {
    let np = obj.py().import("numpy")?;
    let a = np
        .call_method1("asarray", (obj, "float64"))
        .map_err(|e| PyValueError::new_err(format!("{name}: not an array of numbers: {e}")))?;
    let a = a.cast_into::<PyArrayDyn<f64>>()?;
    let shape = a.shape().to_vec();
    let values = a.readonly().as_array().iter().copied().collect();
    Ok((values, shape))
}

/// An `N x K` array-like of numbers as rows (`K` = 4 for boxes).
pub fn rows<const K: usize>(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<[f64; K]>> {
    let (values, shape) = numbers(obj, name)?;
    let ok = match shape[..] {
        [_, k] => k == K,
        [0] => true,
        _ => false,
    };
    if !ok {
        return Err(PyValueError::new_err(format!(
            "{name}: expected an N x {K} array, got shape {shape:?}"
        )));
    }
    Ok(values
        .chunks_exact(K)
        .map(|c| {
            let mut row = [0.0; K];
            row.copy_from_slice(c);
            row
        })
        .collect())
}

/// Boxes as albumentations takes them: rows of four coordinates, each
/// optionally followed by values of the caller's (class labels appended to
/// the box, `[x_min, y_min, x_max, y_max, "cat"]`), returned as tuples of
/// those values per row (`None` when no row has any).
#[allow(clippy::type_complexity)]
pub fn box_rows<'py>(
    obj: &Bound<'py, PyAny>,
) -> PyResult<(Vec<[f64; 4]>, Option<Vec<Bound<'py, PyTuple>>>)> {
    if let Ok(rows) = rows::<4>(obj, "bboxes") {
        return Ok((rows, None));
    }
    let mut coordinates = Vec::new();
    let mut extras = Vec::new();
    let not_rows = |e: PyErr| PyValueError::new_err(format!("bboxes: not rows of numbers: {e}"));
    for (i, row) in obj.try_iter().map_err(not_rows)?.enumerate() {
        let items: Vec<Bound<'py, PyAny>> = row?
            .try_iter()
            .map_err(not_rows)?
            .collect::<PyResult<_>>()?;
        if items.len() < 4 {
            return Err(PyValueError::new_err(format!(
                "bboxes: box {i} has {} values: a box is x_min, y_min, x_max, y_max (then any labels)",
                items.len()
            )));
        }
        let mut box_ = [0.0; 4];
        for (v, item) in box_.iter_mut().zip(&items) {
            *v = item.extract().map_err(|_| {
                PyValueError::new_err(format!(
                    "bboxes: box {i}'s coordinate {item} is not a number"
                ))
            })?;
        }
        coordinates.push(box_);
        extras.push(PyTuple::new(obj.py(), &items[4..])?);
    }
    Ok((coordinates, Some(extras)))
}

/// Box formats by their albumentations names: how to read them into the
/// library's edge-based `[x_min, y_min, x_max, y_max]` and back.
#[derive(Clone, Copy)]
pub enum BboxFormat {
    /// Pixels, `[x_min, y_min, x_max, y_max]`.
    PascalVoc,
    /// Normalised, `[x_min, y_min, x_max, y_max]`.
    Albumentations,
    /// Pixels, `[x_min, y_min, width, height]`.
    Coco,
    /// Normalised, `[x_centre, y_centre, width, height]`.
    Yolo,
}

impl BboxFormat {
    pub fn parse(name: &str) -> PyResult<BboxFormat> {
        Ok(match name {
            "pascal_voc" => BboxFormat::PascalVoc,
            "albumentations" => BboxFormat::Albumentations,
            "coco" => BboxFormat::Coco,
            "yolo" => BboxFormat::Yolo,
            _ => {
                return Err(PyValueError::new_err(format!(
                    "bbox_format = {name:?} is invalid: expected \"pascal_voc\", \
                     \"albumentations\", \"coco\" or \"yolo\""
                )));
            }
        })
    }

    pub fn library(self) -> BoxFormat {
        match self {
            BboxFormat::PascalVoc | BboxFormat::Coco => BoxFormat::PixelXyxy,
            BboxFormat::Albumentations | BboxFormat::Yolo => BoxFormat::NormalisedXyxy,
        }
    }

    pub fn to_xyxy(self, [a, b, c, d]: [f64; 4]) -> [f64; 4] {
        match self {
            BboxFormat::PascalVoc | BboxFormat::Albumentations => [a, b, c, d],
            BboxFormat::Coco => [a, b, a + c, b + d],
            BboxFormat::Yolo => [a - c / 2.0, b - d / 2.0, a + c / 2.0, b + d / 2.0],
        }
    }

    pub fn out_of_xyxy(self, [x0, y0, x1, y1]: [f64; 4]) -> [f64; 4] {
        match self {
            BboxFormat::PascalVoc | BboxFormat::Albumentations => [x0, y0, x1, y1],
            BboxFormat::Coco => [x0, y0, x1 - x0, y1 - y0],
            BboxFormat::Yolo => [(x0 + x1) / 2.0, (y0 + y1) / 2.0, x1 - x0, y1 - y0],
        }
    }
}

/// Keypoints as given: each row `x, y`, then values of the caller's carried
/// unchanged (COCO's visibility flag in `x, y, v`, a point's class).
pub struct Points {
    pub xy: Vec<(f64, f64)>,
    /// The `width - 2` values after each point, row by row.
    carried: Vec<f64>,
    /// Values per row, at least 2.
    width: usize,
}

impl Points {
    pub fn none() -> Points {
        Points {
            xy: Vec::new(),
            carried: Vec::new(),
            width: 2,
        }
    }
}

/// Keypoints from an `N x K` array-like of numbers, `K >= 2` ([`Points`]).
pub fn point_rows(obj: &Bound<'_, PyAny>) -> PyResult<Points> {
    let (values, shape) = numbers(obj, "keypoints")?;
    let width = match shape[..] {
        [_, k] if k >= 2 => k,
        [0] => 2,
        _ => {
            return Err(PyValueError::new_err(format!(
                "keypoints: expected an N x 2 array (or N x K, K > 2, with values after x, y), \
                 got shape {shape:?}"
            )));
        }
    };
    let mut points = Vec::with_capacity(values.len() / width);
    let mut extras = Vec::with_capacity(values.len() / width * (width - 2));
    for row in values.chunks_exact(width) {
        points.push((row[0], row[1]));
        extras.extend_from_slice(&row[2..]);
    }
    Ok(Points {
        xy: points,
        carried: extras,
        width,
    })
}

/// The keypoints of `__call__`'s result: an `N x K` array, `x, y` (NaN
/// where a perspective step lost a point) followed by the `K - 2` values
/// each row came with ([`Points`]), and which points are inside.
pub fn keypoints_out<'py>(
    py: Python<'py>,
    points: &[MappedPoint],
    given: &Points,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let (width, extras) = (given.width, &given.carried);
    let carried = width - 2;
    let mut xy = Vec::with_capacity(points.len() * width);
    let mut inside = Vec::with_capacity(points.len());
    for (i, p) in points.iter().enumerate() {
        let (x, y) = p.position().unwrap_or((f64::NAN, f64::NAN));
        xy.extend([x, y]);
        // One mapped point per given one: the range is always there.
        xy.extend_from_slice(
            extras
                .get(i * carried..(i + 1) * carried)
                .unwrap_or_default(),
        );
        inside.push(p.is_inside());
    }
    let xy = PyArray1::from_vec(py, xy)
        .reshape([points.len(), width])?
        .into_any();
    let inside = PyArray1::from_vec(py, inside).into_any();
    Ok((xy, inside))
}
