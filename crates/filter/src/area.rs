//! Area downscale: each output pixel is the mean of the source over a
//! rectangle, for any (non-integer) stride. The antialiasing level of an
//! axis-aligned shrink by more than 2x, built directly on the output's
//! pixel grid (ARCHITECTURE.md, "Pipeline data flow").
//!
//! # Geometry
//!
//! Each axis is an [`AreaAxis`]: output pixel `i` is centred on source
//! coordinate `c = first + step·i` (pixel centres at integers, so source
//! pixel `j` covers `[j - 0.5, j + 0.5]`) and covers the interval of
//! `width` source pixels about it. In edge coordinates (pixel `j` covers
//! `[j, j + 1)`) its ends are put on a grid of 1/16 pixel:
//! `E0 = round(16·(c + 0.5 - width/2))`, `E1 = round(16·(c + 0.5 + width/2))`
//! (`f64` rounding, half away from zero). Source pixel `j` then weighs its
//! overlap with `[E0, E1)` in sixteenths, `min(16j + 16, E1) - max(16j, E0)`:
//! 16 inside, less at the two ends. The rectangle of output `(x, y)` is the
//! product of its two intervals. A negative `step` mirrors the axis.
//!
//! Where a rectangle crosses the source's edge, the pixels outside are read
//! through the [`Padding`] rule, as the sampler reads outside an image:
//! mirrored, repeated or wrapped pixels count with their weight, and
//! `Constant` blends the constant in with the weight of the pixels it
//! stands for.
//!
//! # Arithmetic
//!
//! For `u8`, the weighted sum `N = Σ wx·wy·v` is an exact integer (column
//! sums down the rows, then across the columns, both in `u32`; column sums
//! of rows weighing `dy ≤ 257` in `u16`, where `255·dy` fits) and the
//! weights sum to `D = (E1x - E0x)·(E1y - E0y)`. The mean is `N / D`,
//! divided once in `f32` and rounded half to even, which is the exact mean
//! correctly rounded:
//!
//! * the checks on the widths keep `D < 2^16`, so `N ≤ 255·D < 2^24` and
//!   both are exact in `f32`;
//! * `N / D < 256`, so `fl(N / D)` is within half an ulp, at most `2^-17`,
//!   of `N / D`;
//! * a quotient that is not a half-integer lies at least `1 / (2D) > 2^-17`
//!   from every half-integer, so `fl(N / D)` rounds to the same integer;
//!   a half-integer quotient is representable, so `fl` is exact and the tie
//!   goes to even.
//!
//! (`N · (1/D)` would not do: the reciprocal rounds and breaks ties, e.g.
//! `91 · (1/14)` is above 6.5.) A `Constant` read outside adds `v` times
//! the weight it stands for, `(N + v·(D - Din)) / D` in `f32`: still the
//! correctly rounded mean when `v` is an integer from 0 to 255.
//!
//! Other element types (`f32`) sum `w·v` in `f32` in a fixed order
//! (down the rows in order, then across the columns in order) and divide
//! by `D` once. The routes are plain loops that run the same operations in
//! the same order on every [`Isa`], so every path returns the same bits.
//!
//! # Limits
//!
//! Each axis needs finite parameters, `width ≥ 1/16` (so `D ≥ 1`) and
//! centres within `±2^40`; the two widths together must keep
//! `(16·width_x + 1)·(16·width_y + 1) ≤ 65535` (about 16 x 16 source
//! pixels), the bound under which the `u8` mean is exact. Larger shrinks
//! go through [`crate::box_downscale`] first. The cost per output pixel is
//! proportional to its rectangle, and the scratch holds one source row of
//! sums and one entry per output column, so no parameter makes a call
//! allocate beyond its source and output.

use crate::element;
use crate::error::{Error, Result};
use crate::kernels::area::{self as kernel, AreaCall, IntegerBuffers, Span};
use geom::{Element, Image, ImageView, ImageViewMut, Isa, Padding};

/// One axis of an [`area_downscale`]: `count` output pixels, pixel `i`
/// centred on source coordinate `first + step·i` and covering `width`
/// source pixels (see the module docs for the exact intervals).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AreaAxis {
    /// Output pixels along the axis.
    pub count: usize,
    /// Source coordinate of output pixel 0's centre.
    pub first: f64,
    /// Source distance from one output centre to the next (negative mirrors).
    pub step: f64,
    /// Width of each output pixel's interval, in source pixels.
    pub width: f64,
}

impl AreaAxis {
    /// `count` output pixels centred on `first + step·i`, each covering
    /// `width` source pixels.
    pub fn new(count: usize, first: f64, step: f64, width: f64) -> AreaAxis {
        AreaAxis {
            count,
            first,
            step,
            width,
        }
    }

    /// The axis kept as it is: output pixel `i` is source pixel `start + i`,
    /// exactly (weight 1, no averaging).
    pub fn identity(start: usize, count: usize) -> AreaAxis {
        AreaAxis::new(count, start as f64, 1.0, 1.0)
    }

    /// The ends of output pixel `i`'s interval, in sixteenths of a pixel
    /// (edge coordinates; see the module docs).
    pub(crate) fn edges(&self, i: usize) -> Span {
        let c = self.first + self.step * i as f64 + 0.5;
        let h = 0.5 * self.width;
        let e0 = (GRID as f64 * (c - h)).round() as i64;
        let e1 = (GRID as f64 * (c + h)).round() as i64;
        Span::new(e0, e1)
    }

    /// Errors unless the axis has finite parameters in range.
    fn check(&self, what: &'static str) -> Result<()> {
        let invalid = |value: f64, expected: &'static str| {
            Err(Error::InvalidParameter {
                what,
                value,
                expected,
            })
        };
        if !(self.step.is_finite() && self.first.is_finite()) {
            let value = if self.first.is_finite() {
                self.step
            } else {
                self.first
            };
            return invalid(value, "a finite first centre and step");
        }
        if !(self.width.is_finite() && self.width >= 1.0 / GRID as f64) {
            return invalid(self.width, "a finite width of at least 1/16 pixel");
        }
        let last = self.first + self.step * self.count.saturating_sub(1) as f64;
        for c in [self.first, last] {
            if c.abs() > MAX_POSITION {
                return invalid(c, "centres within ±2^40 source pixels");
            }
        }
        Ok(())
    }

    /// The most sixteenths one interval can span: `E1 - E0 ≤ 16·width + 1`.
    fn max_weight(&self) -> f64 {
        (GRID as f64 * self.width + 1.0).floor()
    }
}

/// Sixteenths of a pixel: the grid the interval ends are put on.
const GRID: i64 = 16;

/// Largest `|centre|` accepted, so every edge fits an `i64` with room.
const MAX_POSITION: f64 = (1u64 << 40) as f64;

/// Largest total weight `D` of a rectangle: below `2^16`, the `u8` mean is
/// correctly rounded (module docs).
const MAX_WEIGHT: f64 = 65535.0;

/// Scratch for [`area_downscale_into`]: kept between calls (one per
/// thread), so a batch allocates nothing once it has grown to the widest
/// source and output.
#[derive(Debug, Clone, Default)]
pub struct AreaScratch {
    pub(crate) integer: IntegerBuffers,
    pub(crate) float_sums: Vec<f32>,
    pub(crate) columns: Vec<Span>,
}

impl AreaScratch {
    /// Empty scratch; it grows on first use.
    pub fn new() -> AreaScratch {
        AreaScratch::default()
    }
}

/// The area downscale of `src`: output pixel `(i, j)` is the mean of the
/// source over the rectangle of `x`'s interval `i` by `y`'s interval `j`,
/// rounded once (see the module docs for the intervals, the edge rule and
/// the arithmetic). The output is `x.count x y.count` with `src`'s
/// channels.
///
/// Errors: a count of 0 or an output too large for an image; a
/// non-finite first centre, step or width, a width below 1/16 pixel,
/// centres beyond `±2^40`; widths whose rectangle could weigh more than
/// 65535 sixteenths squared (see "Limits"); a non-finite padding constant.
///
/// ```
/// use filter::AreaAxis;
/// use geom::{Image, Padding};
/// let src = Image::<u8>::from_fn(5, 1, 1, |x, _, _| [0, 10, 20, 30, 40][x])?;
/// // Two output pixels, 2.5 source pixels apart and wide, centred on 0.75 and 3.25.
/// let x = AreaAxis::new(2, 0.75, 2.5, 2.5);
/// let out = filter::area_downscale(src.view(), x, AreaAxis::identity(0, 1), Padding::Border)?;
/// // (0 + 10 + 0.5·20) / 2.5 = 8 and (0.5·20 + 30 + 40) / 2.5 = 32.
/// assert_eq!(out.as_slice(), &[8, 32]);
/// # Ok::<(), filter::Error>(())
/// ```
pub fn area_downscale<T: Element>(
    src: ImageView<'_, T>,
    x: AreaAxis,
    y: AreaAxis,
    padding: Padding,
) -> Result<Image<T>> {
    area_downscale_with_isa(Isa::selected(), src, x, y, padding)
}

/// [`area_downscale`] on a chosen kernel path (tests, benches, bug reports).
pub fn area_downscale_with_isa<T: Element>(
    isa: Isa,
    src: ImageView<'_, T>,
    x: AreaAxis,
    y: AreaAxis,
    padding: Padding,
) -> Result<Image<T>> {
    check(&x, &y, padding)?;
    let mut out = Image::new(x.count, y.count, src.channels())?;
    let mut scratch = AreaScratch::new();
    area_downscale_into_with_isa(isa, src, out.view_mut(), x, y, padding, &mut scratch)?;
    Ok(out)
}

/// [`area_downscale`] into `dst`, which must be `x.count x y.count` with
/// `src`'s channels (any stride; the gap after each row is not written).
///
/// ```
/// use filter::{AreaAxis, AreaScratch};
/// use geom::{Image, Padding};
/// let src = Image::<u8>::from_fn(90, 60, 3, |x, y, c| (x + 2 * y + c) as u8)?;
/// let mut dst = Image::<u8>::new(40, 20, 3)?;
/// let mut scratch = AreaScratch::new();
/// // 90 -> 40 columns (2.25x), 60 -> 20 rows (3x), each pixel widened 1.1x.
/// let x = AreaAxis::new(40, 0.625, 2.25, 1.1 * 2.25);
/// let y = AreaAxis::new(20, 1.0, 3.0, 1.1 * 3.0);
/// filter::area_downscale_into(src.view(), dst.view_mut(), x, y, Padding::Reflect101, &mut scratch)?;
/// # Ok::<(), filter::Error>(())
/// ```
pub fn area_downscale_into<T: Element>(
    src: ImageView<'_, T>,
    dst: ImageViewMut<'_, T>,
    x: AreaAxis,
    y: AreaAxis,
    padding: Padding,
    scratch: &mut AreaScratch,
) -> Result<()> {
    area_downscale_into_with_isa(Isa::selected(), src, dst, x, y, padding, scratch)
}

/// [`area_downscale_into`] on a chosen kernel path.
pub fn area_downscale_into_with_isa<T: Element>(
    isa: Isa,
    src: ImageView<'_, T>,
    mut dst: ImageViewMut<'_, T>,
    x: AreaAxis,
    y: AreaAxis,
    padding: Padding,
    scratch: &mut AreaScratch,
) -> Result<()> {
    check(&x, &y, padding)?;
    if (dst.width(), dst.height(), dst.channels()) != (x.count, y.count, src.channels()) {
        return Err(geom::Error::ShapeMismatch {
            left: format!("output {}", dst.shape()),
            right: format!("{}x{}x{}", x.count, y.count, src.channels()),
        }
        .into());
    }
    let AreaScratch {
        integer,
        float_sums,
        columns,
    } = scratch;
    columns.clear();
    columns.extend((0..x.count).map(|i| x.edges(i)));
    let call = AreaCall {
        y,
        padding,
        columns: columns.as_slice(),
    };
    // The route, once per call: `u8` on exact integers, anything else on
    // `f32` sums in a fixed order.
    if let Some(bytes) = element::as_u8_view(src)
        && let Some(out) = element::as_u8_view_mut(&mut dst)
    {
        kernel::integer(isa, bytes, out, call, integer);
    } else {
        kernel::float(isa, src, dst, call, float_sums);
    }
    Ok(())
}

/// Errors unless both axes are valid together and the padding constant is finite.
fn check(x: &AreaAxis, y: &AreaAxis, padding: Padding) -> Result<()> {
    x.check("area axis x")?;
    y.check("area axis y")?;
    let weight = x.max_weight() * y.max_weight();
    if weight > MAX_WEIGHT {
        return Err(Error::InvalidParameter {
            what: "area widths",
            value: x.width * y.width,
            expected: "(16·width_x + 1)·(16·width_y + 1) at most 65535 (about 16 x 16 source pixels)",
        });
    }
    crate::check_padding(padding)
}
