//! The targets of `Pipeline.__call__` as Python gives and gets them: boxes
//! in albumentations' formats, keypoints and rows of numbers.

use augment::{BoxFormat, MappedPoint};
use numpy::{PyArray1, PyArrayDyn, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// An `N x K` array-like of numbers as rows (`K` = 2 for keypoints, 4 for boxes).
pub fn rows<const K: usize>(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<[f64; K]>> {
    let np = obj.py().import("numpy")?;
    let a = np
        .call_method1("asarray", (obj, "float64"))
        .map_err(|e| PyValueError::new_err(format!("{name}: not an array of numbers: {e}")))?;
    let a = a.cast_into::<PyArrayDyn<f64>>()?;
    let shape = a.shape().to_vec();
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
    let values: Vec<f64> = a.readonly().as_array().iter().copied().collect();
    Ok(values
        .chunks_exact(K)
        .map(|c| {
            let mut row = [0.0; K];
            row.copy_from_slice(c);
            row
        })
        .collect())
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

/// The keypoints of `__call__`'s result: an N x 2 array (NaN where a
/// perspective step lost a point) and which of them are inside.
pub fn keypoints_out<'py>(
    py: Python<'py>,
    points: &[MappedPoint],
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let mut xy = Vec::with_capacity(points.len() * 2);
    let mut inside = Vec::with_capacity(points.len());
    for p in points {
        let (x, y) = p.position().unwrap_or((f64::NAN, f64::NAN));
        xy.extend([x, y]);
        inside.push(p.is_inside());
    }
    let xy = PyArray1::from_vec(py, xy)
        .reshape([points.len(), 2])?
        .into_any();
    let inside = PyArray1::from_vec(py, inside).into_any();
    Ok((xy, inside))
}
