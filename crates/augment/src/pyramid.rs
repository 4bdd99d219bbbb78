//! Antialiasing (ARCHITECTURE.md, "Pipeline data flow"): where the
//! composed map shrinks the source by more than 2x, sample a downscaled
//! copy instead. Two kinds of copy, chosen per plan by [`Level`]:
//!
//! - **Area level** (maps that are axis-aligned: scale, translate and
//!   flips, which is every resize, crop, zoom and translate). On each axis
//!   that shrinks by more than 2x, the level *is* the output grid: output
//!   pixel `i` is the exact mean of the source over its footprint (`|a|`
//!   source pixels for a map `x = a·i + c`) widened [`AREA_WIDEN`] times,
//!   centred where the map puts it (`filter::area_downscale`: ends on a
//!   1/16-pixel grid, exact integer sums, one correctly rounded division).
//!   Where the footprint is 4 or more, the power-of-two box level runs
//!   first (block `k`, the largest power of two with `|a| / k ≥ 2`), so
//!   the area stage works at strides in `[2, 4)` of that level; its means
//!   are then means of the level's (rounded) block means. The map on such
//!   an axis becomes the identity. An axis that shrinks by 2x or less is
//!   kept on the source's grid (only the rows or columns the map reads)
//!   and sampled through its part of the map as before. Where a footprint
//!   crosses the image's edge, the pixels outside are read through the
//!   padding rule (of the box level when there is one), as the sampler
//!   reads outside an image. With both axes on the output grid and no
//!   value affine, the area level is written straight into the output.
//!   Widening by 1.1 removes most of the aliasing that a plain area mean
//!   (OpenCV's `INTER_AREA`) leaves, for little blur: a 1024² zone plate
//!   resized to 224² is 7.05 LSB RMS from an antialiasing Lanczos-3, against
//!   8.5 for `INTER_AREA` and 10.3 for the box level below
//!   (`tests/zoneplate.rs`).
//! - **Box level** (every other map: rotations, shears, perspective,
//!   grids). Bilinear sampling reads four taps, so shrinking by more than
//!   2x skips source pixels and aliases. A copy downscaled by powers of
//!   two per axis (each pixel the mean of a `kx x ky` block:
//!   `filter::box_downscale`) brings the remaining shrink below 2x; its
//!   scale is folded into the map, so the pipeline still samples once.
//!   Factors are chosen per axis, so a squish only averages along the
//!   axis it compresses.
//!
//! This module decides the level, its maps and the region to build; the
//! kernels are the filter crate's.

use crate::error::{Error, Result};
use filter::{AreaAxis, AreaScratch, DownscaleScratch};
use geom::{Affine, Element, Image, ImageView, ImageViewMut, Map, Padding, Shape};
use std::ops::Range;

/// How much wider than its footprint each output pixel of the area level
/// averages. Chosen on the zone plate and a photograph (1.0 is OpenCV's
/// `INTER_AREA`, 8.5 LSB on the zone plate at 1024→224; 1.1 gives 7.05
/// there and stays within 0.25 LSB of `INTER_AREA` on the photograph;
/// 1.2 blurs the photograph by 0.3 LSB more).
pub(crate) const AREA_WIDEN: f64 = 1.1;

/// The antialiasing level of one plan (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Level {
    /// A box level with power-of-two blocks `kx x ky`, sampled through the
    /// map followed by [`level_map`].
    Box {
        /// Block width.
        kx: usize,
        /// Block height.
        ky: usize,
    },
    /// The area level of an axis-aligned map.
    Area(AreaLevel),
}

impl Level {
    /// This level for a window of the source whose top-left pixel is
    /// `origin`, which must lie on the level's block grid and hold every
    /// pixel the level reads (as [`crate::Pipeline::read_window`] makes
    /// it): box blocks are unchanged (the window's blocks are the image's);
    /// the area level's axes move by the origin, counted in pixels of what
    /// they read. A kept axis moves its first pixel and its map's offset by
    /// the same integer, so the map left to sample, `offset - start`, is
    /// the same `f64` as for the whole image (both differences are exact:
    /// the offset lies at or past the window's start).
    pub(crate) fn shifted(self, (ox, oy): (usize, usize)) -> Level {
        match self {
            Level::Box { .. } => self,
            Level::Area(area) => Level::Area(AreaLevel {
                pre: area.pre,
                x: area.x.shifted(ox, area.pre.0),
                y: area.y.shifted(oy, area.pre.1),
            }),
        }
    }
}

/// The area level of an axis-aligned map: an optional power-of-two box
/// level first (blocks `pre`, `(1, 1)` for none), then the area stage on
/// each axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct AreaLevel {
    /// Box blocks built first.
    pub pre: (usize, usize),
    /// Columns.
    pub x: LevelAxis,
    /// Rows.
    pub y: LevelAxis,
}

/// One axis of an [`AreaLevel`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum LevelAxis {
    /// On the output grid: the area stage's axis, in the coordinates of
    /// the box level (or the source).
    Area(AreaAxis),
    /// On the source grid: source pixels `start .. start + count`, read by
    /// the map `scale·i + offset` (source coordinates).
    Kept {
        /// First source pixel kept.
        start: usize,
        /// Pixels kept.
        count: usize,
        /// The map's scale on this axis.
        scale: f64,
        /// The map's offset on this axis.
        offset: f64,
    },
}

impl LevelAxis {
    /// The axis for a map `scale·i + offset` from `count` output pixels to
    /// a source side of `side` pixels, and its box block: on the output
    /// grid past a 2x shrink, kept otherwise. `None` where the area stage
    /// would be outside what it accepts (a footprint far past the image,
    /// where the box block is capped, or a position far outside it).
    fn plan(scale: f64, offset: f64, side: usize, count: usize) -> Option<(usize, LevelAxis)> {
        let f = scale.abs();
        if !(f.is_finite() && offset.is_finite()) || count == 0 || side == 0 {
            return None;
        }
        if f <= 2.0 {
            return Some((1, kept(scale, offset, side, count)));
        }
        let cap = side.next_power_of_two();
        let mut k = 1usize;
        while f / (2 * k) as f64 >= 2.0 && 2 * k <= cap {
            k *= 2;
        }
        let k_f = k as f64;
        let axis = AreaAxis::new(
            count,
            (offset + 0.5) / k_f - 0.5,
            scale / k_f,
            AREA_WIDEN * f / k_f,
        );
        let last = axis.first + axis.step * (count - 1) as f64;
        // Strides below 4 keep the rectangle within the filter's limits;
        // positions far outside the image are the box level's business.
        (axis.width <= 4.0 * AREA_WIDEN && axis.first.abs() < 1e9 && last.abs() < 1e9)
            .then_some((k, LevelAxis::Area(axis)))
    }

    /// This axis for a window starting at source pixel `origin`, a
    /// multiple of the box block `k` (see [`Level::shifted`]).
    fn shifted(self, origin: usize, k: usize) -> LevelAxis {
        match self {
            LevelAxis::Area(axis) => LevelAxis::Area(AreaAxis {
                first: axis.first - (origin / k.max(1)) as f64,
                ..axis
            }),
            LevelAxis::Kept {
                start,
                count,
                scale,
                offset,
            } => LevelAxis::Kept {
                start: start.saturating_sub(origin),
                count,
                scale,
                offset: offset - origin as f64,
            },
        }
    }

    /// The area stage's axis.
    pub(crate) fn area_axis(&self) -> AreaAxis {
        match *self {
            LevelAxis::Area(axis) => axis,
            LevelAxis::Kept { start, count, .. } => AreaAxis::identity(start, count),
        }
    }

    /// The map from output pixels to the area level on this axis, `(scale,
    /// offset)`: the identity on the output grid.
    fn leftover(&self) -> (f64, f64) {
        match *self {
            LevelAxis::Area(_) => (1.0, 0.0),
            LevelAxis::Kept {
                start,
                scale,
                offset,
                ..
            } => (scale, offset - start as f64),
        }
    }

    /// Whether the axis is on the output grid.
    fn on_output_grid(&self) -> bool {
        matches!(self, LevelAxis::Area(_))
    }

    /// The pixels of a `side`-pixel box level (or source) the area stage
    /// reads on this axis, when they all lie inside it; `None` otherwise.
    fn read_range(&self, side: usize) -> Option<Range<usize>> {
        match *self {
            LevelAxis::Area(a) => {
                let last = a.first + a.step * (a.count.saturating_sub(1)) as f64;
                // A pixel of margin past each end: the edges' rounding to
                // the 1/16 grid moves them by 1/32 at most.
                let lo = a.first.min(last) - 0.5 * a.width - 1.0;
                let hi = a.first.max(last) + 0.5 * a.width + 2.0;
                (lo >= 0.0 && hi <= side as f64).then(|| lo.floor() as usize..hi.ceil() as usize)
            }
            LevelAxis::Kept { start, count, .. } => Some(start..(start + count).min(side)),
        }
    }
}

/// The kept axis for a map `scale·i + offset`: only the pixels bilinear
/// taps read, when they all lie inside the source (as [`read_region`]
/// bounds them), else the whole side, whose edges the sampler then pads as
/// it would the source's.
fn kept(scale: f64, offset: f64, side: usize, count: usize) -> LevelAxis {
    const MARGIN: f64 = 1e-3;
    let last = scale * (count - 1) as f64 + offset;
    let (lo, hi) = (offset.min(last) - MARGIN, offset.max(last) + MARGIN);
    let (start, end) = if lo >= 0.0 && hi < side as f64 - 1.0 {
        (lo.floor() as usize, (hi.floor() as usize + 2).min(side))
    } else {
        (0, side)
    };
    LevelAxis::Kept {
        start,
        count: end - start,
        scale,
        offset,
    }
}

/// The area level for a plan whose pull map is `x = a·i + c`, `y = e·j + f`
/// (`(a, c, e, f)`), from a `source` (width, height) image to an `output`
/// (width, height), if the map shrinks some axis by more than 2x (see the
/// module docs).
pub(crate) fn area_level(
    (a, c, e, f): (f64, f64, f64, f64),
    source: (usize, usize),
    output: (usize, usize),
) -> Option<AreaLevel> {
    let (kx, x) = LevelAxis::plan(a, c, source.0, output.0)?;
    let (ky, y) = LevelAxis::plan(e, f, source.1, output.1)?;
    (x.on_output_grid() || y.on_output_grid()).then_some(AreaLevel {
        pre: (kx, ky),
        x,
        y,
    })
}

impl AreaLevel {
    /// Whether both axes are on the output grid: the level is the output.
    pub(crate) fn is_output(&self) -> bool {
        self.x.on_output_grid() && self.y.on_output_grid()
    }

    /// The pull map from output pixels to the area level.
    pub(crate) fn leftover_map(&self) -> Map {
        let ((a, c), (e, f)) = (self.x.leftover(), self.y.leftover());
        Map::Affine(Affine::new(a, 0.0, c, 0.0, e, f))
    }

    /// The blocks of a box level of `size` (width, height) the area stage
    /// reads: on each axis, the range it reads when that lies inside the
    /// level, else the whole side.
    pub(crate) fn pre_region(&self, size: (usize, usize)) -> Region {
        Region {
            columns: self.x.read_range(size.0).unwrap_or(0..size.0),
            rows: self.y.read_range(size.1).unwrap_or(0..size.1),
        }
    }
}

/// The area stage: `filter::area_downscale_into` with the level's axes.
pub(crate) fn area_level_into<T: Element>(
    src: ImageView<'_, T>,
    dst: ImageViewMut<'_, T>,
    level: &AreaLevel,
    padding: Padding,
    scratch: &mut AreaScratch,
) -> Result<()> {
    let (x, y) = (level.x.area_axis(), level.y.area_axis());
    filter::area_downscale_into(src, dst, x, y, padding, scratch).map_err(filter_error)
}

/// A filter error as this crate's: geometry errors stay geometry errors.
fn filter_error(e: filter::Error) -> Error {
    match e {
        filter::Error::Geometry(e) => Error::Geometry(e),
        e => Error::Filter(e),
    }
}

/// The power-of-two block sides `(kx, ky)` for a source footprint of
/// `(fx, fy)` pixels per output pixel: none up to 2 (bilinear at a 2x
/// shrink already averages 2x2), beyond that the largest power of two not
/// above the footprint, leaving a shrink in `[1, 2)` (capped at the source
/// size). A power-of-two shrink so reads the level at its pixel centres and
/// returns the exact block means.
pub(crate) fn level_factors(footprint: (f64, f64), source: (usize, usize)) -> (usize, usize) {
    let factor = |mut f: f64, side: usize| {
        let cap = side.next_power_of_two();
        let mut k = 1;
        if f > 2.0 {
            while f >= 2.0 && k < cap {
                f /= 2.0;
                k *= 2;
            }
        }
        k
    };
    (factor(footprint.0, source.0), factor(footprint.1, source.1))
}

/// Source coordinates to those of the level with blocks `kx x ky`: block
/// `j` covers source pixels `kx*j .. kx*j + kx`, centred at
/// `kx*j + (kx-1)/2`, so `x_level = (x + 0.5) / kx - 0.5`.
pub(crate) fn level_map(kx: usize, ky: usize) -> Affine {
    let (sx, sy) = (1.0 / kx as f64, 1.0 / ky as f64);
    Affine::new(sx, 0.0, 0.5 * sx - 0.5, 0.0, sy, 0.5 * sy - 0.5)
}

/// The mean of each `kx x ky` block of `src` (powers of two), one rounding
/// per value: `filter::box_downscale`, whose docs give the arithmetic and
/// the edge rule (a block hanging over the right or bottom edge reads the
/// missing pixels through `padding`, as the sampler would).
///
/// With `needed` (see [`read_region`]), only those blocks are computed;
/// the rest of the level is left as it was (zeros for a fresh one).
// The pipeline builds levels into per-thread buffers (`box_level_into`);
// this allocating form serves the tests.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn box_level<T: Element>(
    src: ImageView<'_, T>,
    kx: usize,
    ky: usize,
    padding: Padding,
    needed: Option<&Region>,
) -> Result<Image<T>> {
    let (mut data, mut column_sums) = (Vec::new(), Vec::new());
    let shape = box_level_into(src, kx, ky, padding, needed, &mut data, &mut column_sums)?;
    Ok(Image::from_vec(
        shape.width,
        shape.height,
        shape.channels,
        data,
    )?)
}

/// [`box_level`] into `out` (resized to the level, its capacity reused),
/// with `column_sums` lent to the filter as its scratch; returns the
/// level's shape. A batch keeps both buffers per thread, so the steady
/// state allocates nothing.
pub(crate) fn box_level_into<T: Element>(
    src: ImageView<'_, T>,
    kx: usize,
    ky: usize,
    padding: Padding,
    needed: Option<&Region>,
    out: &mut Vec<T>,
    column_sums: &mut Vec<f32>,
) -> Result<Shape> {
    let mut scratch = DownscaleScratch::from(std::mem::take(column_sums));
    let shape = filter::box_downscale_into(src, kx, ky, padding, needed, out, &mut scratch);
    *column_sums = scratch.into();
    shape.map_err(filter_error)
}

/// Blocks of a level: column and row ranges, in level pixels.
pub(crate) type Region = filter::BlockRegion;

/// The blocks of a `level` (width, height) that bilinear sampling of
/// `map` (in level coordinates) over an `output` (width, height) reads,
/// when every tap lies inside the level, so that no padding rule (which
/// could send a read anywhere) is involved; `None` otherwise, and for grid
/// maps, whose positions would cost a pass to bound.
///
/// Affine and projective maps (with `w > 0` at the output's corners, so on
/// all of it) take the output rectangle to a convex quadrilateral, bounded
/// by its corners. The bounds keep a margin far above the rounding by
/// which the sampler's own evaluation of a position can differ.
///
/// A crop or zoom-in of a large photo so builds the level only where it is
/// read, instead of over the whole source.
pub(crate) fn read_region(
    map: &Map,
    output: (usize, usize),
    level: (usize, usize),
) -> Option<Region> {
    let (ow, oh) = output;
    if ow == 0 || oh == 0 {
        return None;
    }
    let (xr, yr) = ((ow - 1) as f64, (oh - 1) as f64);
    let corners = [(0.0, 0.0), (xr, 0.0), (0.0, yr), (xr, yr)];
    let mut points = [(0.0, 0.0); 4];
    for (p, &(x, y)) in points.iter_mut().zip(&corners) {
        *p = match map {
            Map::Affine(a) => a.apply(x, y),
            Map::Projective(m) => m.apply(x, y)?,
            Map::Grid(_) => return None,
        };
    }
    const MARGIN: f64 = 1e-3;
    let range = |v: [f64; 4], n: usize| -> Option<Range<usize>> {
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min) - MARGIN;
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max) + MARGIN;
        // Taps are floor(v) and floor(v) + 1: inside while 0 <= v < n - 1.
        (lo >= 0.0 && hi < n as f64 - 1.0)
            .then(|| lo.floor() as usize..(hi.floor() as usize + 2).min(n))
    };
    Some(Region {
        columns: range(points.map(|p| p.0), level.0)?,
        rows: range(points.map(|p| p.1), level.1)?,
    })
}

#[cfg(test)]
mod tests;
