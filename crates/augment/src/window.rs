//! The part of the source a plan reads, and the sampling pass run on just
//! that part (ARCHITECTURE.md, "Pipeline data flow"): a loader that can
//! decode a region of a file asks for [`Pipeline::read_window`] and hands
//! the decoded window to [`Pipeline::apply_plan_window_into`] or
//! [`Pipeline::apply_tensor_window`].
//!
//! The window, per axis, in source pixels (the whole image for nearest
//! interpolation: see below):
//! - no level (bilinear without antialiasing or shrink): the
//!   taps `floor(x)` and `floor(x) + 1` of every position, bounded by the
//!   positions of the output's corners (an affine or projective map takes
//!   the output rectangle to a convex quadrilateral; a projective map with
//!   a corner at or behind the horizon, and every grid, reads the whole
//!   image), widened by [`MARGIN`] pixels;
//! - box level (blocks `k`): the same taps in level pixels, then the
//!   blocks holding them, so the window starts on the block grid and the
//!   level built from it is the image's level, moved;
//! - area level: on a kept axis (shrunk 2x or less), exactly the source
//!   pixels the level keeps; on an axis on the output grid, the whole
//!   side (its footprints' ends are rounded to sixteenths of a pixel, and
//!   with crop sides and output sizes small integers many are exact ties
//!   of that grid, which a position moved by the origin would round the
//!   other way).
//!
//! Where the reads cross an edge of the image, the window runs to that
//! edge, so the padding rule sees the same edge; for `Reflect`,
//! `Reflect101` and `Wrap`, whose reads can land anywhere on the axis, it
//! is the whole axis. The whole image is always a correct window.
//!
//! Running on a window moves the map by `-origin` (`sampling::moved`) and
//! the level by whole blocks (`Level::shifted`). The levels are the
//! image's, pixel for pixel, and a kept axis's map is the same `f64`
//! (so an area-level plan, every crop or resize shrinking an axis more
//! than 2x, gives the same bits); but an affine or projective map
//! evaluated in the window's coordinates rounds each position on a finer
//! grid than in the image's, so a position can move in its last bits (a
//! relative `2^-52`, ~1e-13 pixel). That changes a bilinear weight
//! `fx = (x - floor(x)) as f32` by one `f32` step only where the exact
//! value lies that close to a rounding boundary of `f32`, and the taps
//! only where a position lies that close to an integer (where the weight
//! of the tap that changes is ~1e-13). Nearest sampling has no such
//! slack: its tap `floor(x + 0.5)` jumps to the other neighbour where a
//! position lies on a half-pixel, and crops put many positions exactly
//! there; so it reads the whole image. What moved positions do to outputs
//! is stated on [`Pipeline::read_window`].

use crate::error::{Error, Result};
use crate::pipeline::Pipeline;
use crate::plan::Plan;
use crate::pyramid::{Level, LevelAxis};
use geom::{ImageView, Map, Padding};
use sample::Interpolation;

/// Pixels added to each side of the taps the corners' positions bound:
/// far more than the rounding by which the sampler's evaluation of a
/// position (in the window's coordinates) can differ from this bound's.
pub const MARGIN: f64 = 2.0;

/// A rectangle of source pixels: columns `x .. x + width`, rows
/// `y .. y + height`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    /// First column.
    pub x: usize,
    /// First row.
    pub y: usize,
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
}

impl Window {
    /// All of a `width x height` image.
    pub fn whole(width: usize, height: usize) -> Window {
        Window {
            x: 0,
            y: 0,
            width,
            height,
        }
    }

    /// Whether every pixel of `other` is in this window.
    pub fn contains(&self, other: &Window) -> bool {
        let ends = |w: &Window| (w.x.checked_add(w.width), w.y.checked_add(w.height));
        match (ends(self), ends(other)) {
            ((Some(x1), Some(y1)), (Some(ox1), Some(oy1))) => {
                self.x <= other.x && self.y <= other.y && ox1 <= x1 && oy1 <= y1
            }
            _ => false,
        }
    }

    /// Pixels in the window.
    pub fn area(&self) -> usize {
        self.width.saturating_mul(self.height)
    }
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}x{} at ({}, {})",
            self.width, self.height, self.x, self.y
        )
    }
}

impl Pipeline {
    /// The rectangle of the source (in the coordinates of the
    /// `plan.source_size()` image the plan was drawn for) that this
    /// pipeline's sampling pass for `plan` reads, with its interpolation,
    /// padding and antialiasing level; see the module docs of `window.rs`
    /// for the rule. The whole image where the reads cannot be bounded
    /// cheaply (grids, points at the horizon) or the padding can send them
    /// anywhere.
    ///
    /// Given only these pixels, [`Pipeline::apply_plan_window_into`] and
    /// [`Pipeline::apply_tensor_window`] compute the output of
    /// [`Pipeline::apply_plan_into`] and [`Pipeline::apply_tensor`]. The
    /// same bits when the window is the whole image or its origin is
    /// `(0, 0)`, and for every plan on the area level whose axes are all
    /// kept or whole (the levels are the image's, and a kept axis's map is
    /// the same `f64`). Otherwise an affine or projective map's positions,
    /// evaluated in the window's coordinates, can round differently in
    /// their last bits (see the module docs of `window.rs`), which can
    /// change a bilinear weight by one `f32` step: a `u8` value by at most
    /// 1, and only where the exact value lies within ~1e-5 of a rounding
    /// tie; an `f32` value by about one `f32` step of the value range.
    /// Measured over 5,040 plans of the presets and of rotating, zooming,
    /// perspective, elastic and cropping pipelines in every padding mode on
    /// a 600x400 photograph (`tests/window.rs`, 120 plans per case),
    /// 3.2e8 values each: no `u8` value differed; 24 `f32` image values
    /// differed, by at most 3.0e-8; 3 normalised tensor values, by at most
    /// 1.2e-7.
    ///
    /// Random-resized crops to 224x224 from 500x375 read 44% of the image
    /// on average (999 of 1,000 windows are smaller than the image);
    /// computing the window takes ~0.1 µs.
    ///
    /// ```
    /// use augment::{Image, Pipeline};
    /// let pipeline = Pipeline::builder().random_resized_crop(224, 224).seed(3).build()?;
    /// let plan = pipeline.plan(500, 375, 0)?;
    /// let window = pipeline.read_window(&plan);
    /// assert!(window.x + window.width <= 500 && window.y + window.height <= 375);
    /// # Ok::<(), augment::Error>(())
    /// ```
    pub fn read_window(&self, plan: &Plan) -> Window {
        self.read_window_at(plan, self.level(plan, plan.source_size()))
    }

    /// [`Pipeline::read_window`] with the plan's level already chosen.
    pub(crate) fn read_window_at(&self, plan: &Plan, level: Option<Level>) -> Window {
        let (w, h) = plan.source_size();
        let whole = Window::whole(w, h);
        // Nearest reads `floor(x + 0.5)`, and crops put many positions
        // exactly on half-pixels, where a position moved by the origin
        // would round to the other neighbour: a different pixel, not a
        // last-bit change. So nearest reads the whole image.
        if plan.width() == 0
            || plan.height() == 0
            || w == 0
            || h == 0
            || self.interpolation == Interpolation::Nearest
        {
            return whole;
        }
        let far = matches!(
            self.padding,
            Padding::Reflect | Padding::Reflect101 | Padding::Wrap
        );
        let (columns, rows) = match level {
            Some(Level::Area(area)) => (area_axis(&area.x, w), area_axis(&area.y, h)),
            level => {
                let (kx, ky) = match level {
                    Some(Level::Box { kx, ky }) => (kx, ky),
                    _ => (1, 1),
                };
                let Some([x0, x1, y0, y1]) = position_bounds(plan) else {
                    return whole;
                };
                (taps_axis(x0, x1, kx, w, far), taps_axis(y0, y1, ky, h, far))
            }
        };
        Window {
            x: columns.0,
            y: rows.0,
            width: columns.1 - columns.0,
            height: rows.1 - rows.0,
        }
    }

    /// The part of `window` (top-left pixel `origin` of the image `plan`
    /// was drawn for) the pass reads, its origin, and the plan's level in
    /// its coordinates. The whole image stays as it is; any other window
    /// is cut down to [`Pipeline::read_window`], so the output depends on
    /// the plan alone, not on how much more than that a decoder delivered.
    pub(crate) fn place<'a, T: geom::Element>(
        &self,
        window: ImageView<'a, T>,
        origin: (usize, usize),
        plan: &Plan,
    ) -> Result<Placed<'a, T>> {
        let source = plan.source_size();
        let level = self.level(plan, source);
        let given = Window {
            x: origin.0,
            y: origin.1,
            width: window.width(),
            height: window.height(),
        };
        if given == Window::whole(source.0, source.1) {
            return Ok((window, (0, 0), level));
        }
        if !Window::whole(source.0, source.1).contains(&given) {
            return Err(Error::WindowOutside {
                given,
                image: source,
            });
        }
        let needed = self.read_window_at(plan, level);
        if !given.contains(&needed) {
            return Err(Error::WindowTooSmall { given, needed });
        }
        let src = window.crop(
            needed.x - origin.0,
            needed.y - origin.1,
            needed.width,
            needed.height,
        )?;
        let at = (needed.x, needed.y);
        Ok((src, at, level.map(|l| l.shifted(at))))
    }
}

/// A window ready for the sampling pass: the pixels it reads, their
/// origin in the image, and the level in their coordinates.
pub(crate) type Placed<'a, T> = (ImageView<'a, T>, (usize, usize), Option<Level>);

/// The source positions' bounds `[x_min, x_max, y_min, y_max]` over the
/// output, from its corners; `None` for grids, corners at or behind the
/// horizon and non-finite positions.
fn position_bounds(plan: &Plan) -> Option<[f64; 4]> {
    if plan.has_displacement() {
        return None;
    }
    let map = plan.pull_map().ok()?;
    let (xr, yr) = ((plan.width() - 1) as f64, (plan.height() - 1) as f64);
    let mut b = [
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    for (j, i) in [(0.0, 0.0), (xr, 0.0), (0.0, yr), (xr, yr)] {
        let (x, y) = match &map {
            Map::Affine(a) => a.apply(j, i),
            Map::Projective(p) => p.apply(j, i)?,
            Map::Grid(_) => return None,
        };
        if !(x.is_finite() && y.is_finite()) {
            return None;
        }
        b = [b[0].min(x), b[1].max(x), b[2].min(y), b[3].max(y)];
    }
    Some(b)
}

/// The source pixels `[start, end)` the bilinear taps of positions in
/// `[lo, hi]` (source coordinates) read through a level of blocks `k`,
/// widened by [`MARGIN`] and clipped to the image. Whether a read goes
/// through the padding is decided on the taps themselves (with the
/// sub-pixel margin `pyramid::read_region` uses), not on the widened
/// window: a crop touching an edge reads no padding, and keeps its window
/// under every padding mode.
fn taps_axis(lo: f64, hi: f64, k: usize, side: usize, far: bool) -> (usize, usize) {
    const TIGHT: f64 = 1e-3;
    // Source coordinates to the level's: x_level = (x + 0.5) / k - 0.5.
    let k_f = k as f64;
    let (lo, hi) = ((lo + 0.5) / k_f - 0.5, (hi + 0.5) / k_f - 0.5);
    let side_f = side as f64;
    let (first, end) = (
        (lo - MARGIN).floor() * k_f,
        ((hi + MARGIN).floor() + 2.0) * k_f,
    );
    if !(first.is_finite() && end.is_finite()) || first >= side_f || end <= 0.0 {
        return (0, side);
    }
    // Taps floor(x) and floor(x) + 1 in level pixels; a tap in a block
    // hanging over the far edge reads padding too.
    let crosses = (lo - TIGHT).floor() < 0.0 || ((hi + TIGHT).floor() + 2.0) * k_f > side_f;
    if far && crosses {
        return (0, side);
    }
    (first.max(0.0) as usize, end.min(side_f) as usize)
}

/// The source pixels one axis of an area level reads.
fn area_axis(axis: &LevelAxis, side: usize) -> (usize, usize) {
    match *axis {
        // The level keeps exactly these (the whole side if the taps cross
        // an edge), and the window must hold the same.
        LevelAxis::Kept { start, count, .. } => (start.min(side), (start + count).min(side)),
        // The whole side: the footprints' ends, `first + step·i ± width/2`
        // rounded to sixteenths, are often exact ties of that grid (crop
        // sides and output sizes are small integers), so moving `first` by
        // the window's origin would round some of them the other way.
        LevelAxis::Area(_) => (0, side),
    }
}
