//! Targets that follow an image through the same drawn parameters:
//! keypoints and bounding boxes (masks are images, sampled nearest).
//!
//! Keypoints use the library's plane: pixel `(j, i)` has its centre at
//! `(j, i)`, the image covers `[-0.5, w-0.5] x [-0.5, h-0.5]`. Boxes use the
//! form datasets ship (Pascal VOC, COCO after conversion, albumentations'
//! `pascal_voc` / `albumentations`): `[x_min, y_min, x_max, y_max]` by pixel
//! edges, so a box over the whole image is `[0, 0, w, h]` in pixels or
//! `[0, 0, 1, 1]` normalised.

use crate::error::{Error, Result};
use crate::plan::Plan;
use geom::{Point, Projective};

/// Where one keypoint went. Nothing is dropped: a point that leaves the
/// output is reported with where it would be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MappedPoint {
    /// Inside the output image.
    Inside(Point),
    /// Mapped, but outside the output image (cropped away, rotated out).
    Outside(Point),
    /// No position: a perspective step sent it beyond the horizon, or the
    /// keypoint was not finite.
    Lost,
}

impl MappedPoint {
    /// The output position, inside or not.
    pub fn position(&self) -> Option<Point> {
        match *self {
            MappedPoint::Inside(p) | MappedPoint::Outside(p) => Some(p),
            MappedPoint::Lost => None,
        }
    }

    /// Whether it is inside the output image.
    pub fn is_inside(&self) -> bool {
        matches!(self, MappedPoint::Inside(_))
    }
}

/// How box coordinates are given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoxFormat {
    /// `[x_min, y_min, x_max, y_max]` in pixels, by edges: the whole image
    /// is `[0, 0, w, h]` (Pascal VOC).
    PixelXyxy,
    /// The same divided by the image width and height: the whole image is
    /// `[0, 0, 1, 1]` (albumentations' own format).
    NormalisedXyxy,
}

/// Bounding boxes with one label each, kept aligned through every filter.
///
/// ```
/// use augment::{BoxFormat, Boxes, Pipeline};
/// let boxes = Boxes::new(BoxFormat::PixelXyxy, vec![[10.0, 10.0, 30.0, 20.0]], vec!["cat"])?;
/// let plan = Pipeline::builder().flip_horizontal(1.0).build()?.plan(100, 50, 0)?;
/// let out = plan.map_boxes(&boxes, 0.0)?;
/// assert_eq!(out.boxes(), &[[70.0, 10.0, 90.0, 20.0]]);
/// assert_eq!(out.labels(), &["cat"]);
/// # Ok::<(), augment::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Boxes<L = u32> {
    format: BoxFormat,
    boxes: Vec<[f64; 4]>,
    labels: Vec<L>,
}

impl<L> Boxes<L> {
    /// Checks that there is one label per box and every box is finite with
    /// `x_min < x_max`, `y_min < y_max`.
    pub fn new(format: BoxFormat, boxes: Vec<[f64; 4]>, labels: Vec<L>) -> Result<Self> {
        if boxes.len() != labels.len() {
            return Err(Error::LabelCount {
                boxes: boxes.len(),
                labels: labels.len(),
            });
        }
        for (index, b) in boxes.iter().enumerate() {
            let reason = if b.iter().any(|v| !v.is_finite()) {
                Some("every coordinate must be finite")
            } else if !(b[0] < b[2] && b[1] < b[3]) {
                Some("x_min < x_max and y_min < y_max are required")
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(Error::InvalidBox {
                    index,
                    xyxy: *b,
                    reason,
                });
            }
        }
        Ok(Boxes {
            format,
            boxes,
            labels,
        })
    }

    /// The coordinate form.
    pub fn format(&self) -> BoxFormat {
        self.format
    }

    /// The boxes, `[x_min, y_min, x_max, y_max]` each.
    pub fn boxes(&self) -> &[[f64; 4]] {
        &self.boxes
    }

    /// The labels, one per box.
    pub fn labels(&self) -> &[L] {
        &self.labels
    }

    /// Number of boxes.
    pub fn len(&self) -> usize {
        self.boxes.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.boxes.is_empty()
    }

    /// The boxes and labels.
    pub fn into_parts(self) -> (Vec<[f64; 4]>, Vec<L>) {
        (self.boxes, self.labels)
    }
}

/// Points per box edge when a displacement step makes edges curve; the
/// hull of this many is within a few hundredths of a pixel of the curve for
/// the smooth fields elastic steps draw.
const OUTLINE_POINTS_PER_EDGE: usize = 16;

impl Plan {
    /// Where each source keypoint lands (pixel centres at integers), in the
    /// order given; see [`MappedPoint`].
    pub fn map_keypoints(&self, points: &[Point]) -> Vec<MappedPoint> {
        let (w, h) = (self.width() as f64, self.height() as f64);
        points
            .iter()
            .map(|&(x, y)| match self.map_point(x, y) {
                Some((px, py)) if px.is_finite() && py.is_finite() => {
                    let inside = (-0.5..=w - 0.5).contains(&px) && (-0.5..=h - 0.5).contains(&py);
                    if inside {
                        MappedPoint::Inside((px, py))
                    } else {
                        MappedPoint::Outside((px, py))
                    }
                }
                _ => MappedPoint::Lost,
            })
            .collect()
    }

    /// Maps boxes through the plan: each becomes the bounding box of its
    /// transformed outline, clipped to the output; a box whose visible area
    /// is below `min_visibility` of its transformed area (or zero) is
    /// dropped with its label. The result has the input's format.
    pub fn map_boxes<L: Clone>(&self, boxes: &Boxes<L>, min_visibility: f64) -> Result<Boxes<L>> {
        if !(0.0..=1.0).contains(&min_visibility) {
            return Err(Error::InvalidParameter {
                transform: "boxes",
                parameter: "min_visibility",
                value: min_visibility.to_string(),
                expected: "a fraction in 0..=1",
            });
        }
        let (sw, sh) = self.source_size();
        let (ow, oh) = (self.width() as f64, self.height() as f64);
        let (to_px, from_px) = match boxes.format {
            BoxFormat::PixelXyxy => ((1.0, 1.0), (1.0, 1.0)),
            BoxFormat::NormalisedXyxy => ((sw as f64, sh as f64), (1.0 / ow, 1.0 / oh)),
        };
        let per_edge = if self.has_displacement() {
            OUTLINE_POINTS_PER_EDGE
        } else {
            1
        };
        let mut kept = Vec::new();
        let mut labels = Vec::new();
        for (b, label) in boxes.boxes.iter().zip(&boxes.labels) {
            // Edges to the plane: x_plane = x_edge - 0.5.
            let x0 = b[0] * to_px.0 - 0.5;
            let y0 = b[1] * to_px.1 - 0.5;
            let x1 = b[2] * to_px.0 - 0.5;
            let y1 = b[3] * to_px.1 - 0.5;
            let Some(hull) = self.outline_bounds([x0, y0, x1, y1], per_edge) else {
                continue;
            };
            let area = (hull[2] - hull[0]) * (hull[3] - hull[1]);
            let clipped = [
                hull[0].max(-0.5),
                hull[1].max(-0.5),
                hull[2].min(ow - 0.5),
                hull[3].min(oh - 0.5),
            ];
            if !(clipped[0] < clipped[2] && clipped[1] < clipped[3]) {
                continue;
            }
            let visible = (clipped[2] - clipped[0]) * (clipped[3] - clipped[1]);
            if area.is_nan() || area <= 0.0 || visible < min_visibility * area {
                continue;
            }
            kept.push([
                (clipped[0] + 0.5) * from_px.0,
                (clipped[1] + 0.5) * from_px.1,
                (clipped[2] + 0.5) * from_px.0,
                (clipped[3] + 0.5) * from_px.1,
            ]);
            labels.push(label.clone());
        }
        Ok(Boxes {
            format: boxes.format,
            boxes: kept,
            labels,
        })
    }

    /// Bounds `[x_min, y_min, x_max, y_max]` (plane) of the mapped outline
    /// of the plane rectangle `r`, sampled `per_edge` times per edge
    /// (corners only when 1: affine and projective maps keep edges straight).
    /// A perspective map sends the part of `r` beyond its horizon nowhere:
    /// then the bounds are those of the part in front of it
    /// ([`bounds_in_front`]). `None` if nothing of `r` is in front,
    /// or if an outline point of a displaced map is lost.
    fn outline_bounds(&self, r: [f64; 4], per_edge: usize) -> Option<[f64; 4]> {
        self.sampled_outline_bounds(r, per_edge).or_else(|| {
            let map = self.projective_forward()?;
            bounds_in_front(&map, r)
        })
    }

    /// [`Plan::outline_bounds`] from `per_edge` mapped points per edge;
    /// `None` if any is lost.
    fn sampled_outline_bounds(&self, r: [f64; 4], per_edge: usize) -> Option<[f64; 4]> {
        let [x0, y0, x1, y1] = r;
        let corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)];
        let mut bounds = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for edge in corners.windows(2) {
            let (a, b) = (edge[0], edge[1]);
            for k in 0..per_edge {
                let t = k as f64 / per_edge as f64;
                let p = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
                let (x, y) = self.map_point(p.0, p.1)?;
                if !(x.is_finite() && y.is_finite()) {
                    return None;
                }
                bounds = [
                    bounds[0].min(x),
                    bounds[1].min(y),
                    bounds[2].max(x),
                    bounds[3].max(y),
                ];
            }
        }
        Some(bounds)
    }
}

/// Bounds of the image under `map` of the part of rectangle `r` (plane
/// coordinates) in front of the horizon. Straight edges stay straight under
/// a perspective map, so that part is the polygon `r` cut by the line
/// `w = margin` (`w` the map's denominator; `margin` a hair above where
/// [`Projective::apply`] gives up), and its image's bounds are its
/// vertices'. Points just in front of the horizon land far out, so the
/// bounds run off the output on that side, as the outline of a box that
/// reaches far beyond the horizon's side would: clipping to the output
/// then keeps what is seen. `None` if all of `r` is behind.
fn bounds_in_front(map: &Projective, r: [f64; 4]) -> Option<[f64; 4]> {
    let [_, _, [g, h, i]] = map.matrix();
    let margin = 1e-9 * (g.abs() + h.abs() + i.abs());
    let w = |(x, y): Point| g * x + h * y + i - margin;
    let [x0, y0, x1, y1] = r;
    let corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)];
    let mut bounds = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    let mut any = false;
    for (k, &a) in corners.iter().enumerate() {
        let b = corners[(k + 1) % 4];
        let (wa, wb) = (w(a), w(b));
        let mut vertices = [None, None];
        if wa >= 0.0 {
            vertices[0] = Some(a);
        }
        if (wa >= 0.0) != (wb >= 0.0) {
            let t = wa / (wa - wb);
            vertices[1] = Some((a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t));
        }
        for v in vertices.into_iter().flatten() {
            let Some((x, y)) = map.apply(v.0, v.1) else {
                continue;
            };
            if x.is_finite() && y.is_finite() {
                bounds = [
                    bounds[0].min(x),
                    bounds[1].min(y),
                    bounds[2].max(x),
                    bounds[3].max(y),
                ];
                any = true;
            }
        }
    }
    any.then_some(bounds)
}
