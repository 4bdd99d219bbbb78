//! Box downscale by power-of-two factors: each output pixel is the mean of
//! a `kx x ky` block of source pixels. The antialiasing level of a resize
//! that shrinks by more than 2x (ARCHITECTURE.md, "Pipeline data flow").
//!
//! # Geometry
//!
//! Output pixel `(j, i)` is the block of source columns `kx·j .. kx·j + kx`
//! and rows `ky·i .. ky·i + ky`, centred on source `(kx·j + (kx-1)/2,
//! ky·i + (ky-1)/2)`: source `x` is output `(x + 0.5) / kx - 0.5`. The
//! output is `ceil(w / kx) x ceil(h / ky)`; a block hanging over the right
//! or bottom edge reads the missing pixels through the [`Padding`] rule, as
//! the sampler reads outside an image (`Constant` blends the constant in).
//!
//! # Arithmetic
//!
//! The sum of a block's values (padding included) is computed in `f32`:
//! column sums down the block's rows, top to bottom, then the block's `kx`
//! column sums by halving (pairs, then pairs of pairs). The mean is that
//! sum times `1 / (kx·ky)`, a power of two, so it is rounded once, when it
//! is stored by the element's rule: for `u8`, half to even. A `u8` block of
//! up to 65536 values (256 x 256) has an exact `f32` sum, so its mean is
//! the exact block mean correctly rounded; past that the sums round (by at
//! most a few 1e-7 relative). `f32` sums round as `f32` additions do in
//! that order.
//!
//! Every instruction-set path returns the same bits: the `f32` code runs
//! the same additions in the same order on every path ([`Isa::Scalar`] is
//! the reference), and the `u8` paths for blocks of at most 256 values sum
//! in `u16` and divide by a shift that rounds half to even, which gives
//! exactly the reference's bits (hand-written AVX-512 for the pixel pairs,
//! with VBMI byte permutes for 2 x 1 blocks on [`Isa::Avx512Vbmi`] only).

use crate::element;
use crate::error::{Error, Result};
use crate::kernels::downscale::{self, Blocks, Pairing, Target};
use geom::{Element, Image, ImageView, Isa, Padding, Shape};
use std::ops::Range;

/// The blocks of a box-downscaled image to compute, in output pixels: a
/// caller that samples only part of the output (a crop of a large photo)
/// builds only that part.
///
/// Rows outside the output are ignored. Columns take effect when they are
/// a non-empty range of blocks that all lie inside the source; otherwise
/// (a range reaching a block that hangs over the right edge, or an empty
/// one) every column of the requested rows is computed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct BlockRegion {
    /// Output columns to compute.
    pub columns: Range<usize>,
    /// Output rows to compute.
    pub rows: Range<usize>,
}

/// Scratch for [`box_downscale_into`]: kept between calls (one per
/// thread), so a batch allocates nothing once it has grown to the widest
/// source.
#[derive(Debug, Clone, Default)]
pub struct DownscaleScratch {
    sums: Vec<f32>,
}

impl DownscaleScratch {
    /// Empty scratch; it grows on first use.
    pub fn new() -> DownscaleScratch {
        DownscaleScratch::default()
    }
}

/// Lends a caller's `f32` buffer as scratch (its capacity is reused).
impl From<Vec<f32>> for DownscaleScratch {
    fn from(sums: Vec<f32>) -> DownscaleScratch {
        DownscaleScratch { sums }
    }
}

/// Gives the buffer back, with whatever capacity it grew to.
impl From<DownscaleScratch> for Vec<f32> {
    fn from(scratch: DownscaleScratch) -> Vec<f32> {
        scratch.sums
    }
}

/// The box downscale of `src` by `kx x ky` (powers of two): each output
/// pixel is the mean of its block, rounded once (see the module docs for
/// the arithmetic and the edge rule).
///
/// Errors: a factor that is 0, not a power of two, or larger than its side
/// rounded up to a power of two (more than one block per axis hanging over
/// the edge); a non-finite padding constant.
///
/// ```
/// use geom::{Image, Padding};
/// let src = Image::<u8>::from_fn(5, 2, 1, |x, y, _| (10 * x + y) as u8)?;
/// let half = filter::box_downscale(src.view(), 2, 2, Padding::Border)?;
/// assert_eq!((half.width(), half.height()), (3, 1));
/// // (0 + 10 + 1 + 11) / 4 = 5.5 and (20 + 30 + 21 + 31) / 4 = 25.5 round
/// // half to even; the last block repeats column 4.
/// assert_eq!(half.as_slice(), &[6, 26, 40]);
/// # Ok::<(), filter::Error>(())
/// ```
pub fn box_downscale<T: Element>(
    src: ImageView<'_, T>,
    kx: usize,
    ky: usize,
    padding: Padding,
) -> Result<Image<T>> {
    box_downscale_with_isa(Isa::selected(), src, kx, ky, padding)
}

/// [`box_downscale`] on a chosen kernel path (tests, benches, bug reports).
pub fn box_downscale_with_isa<T: Element>(
    isa: Isa,
    src: ImageView<'_, T>,
    kx: usize,
    ky: usize,
    padding: Padding,
) -> Result<Image<T>> {
    let mut out = Vec::new();
    let mut scratch = DownscaleScratch::new();
    let shape =
        box_downscale_into_with_isa(isa, src, kx, ky, padding, None, &mut out, &mut scratch)?;
    Ok(Image::from_vec(
        shape.width,
        shape.height,
        shape.channels,
        out,
    )?)
}

/// [`box_downscale`] into `out`, resized to the output (`width · height ·
/// channels` values, rows packed) with its capacity reused; returns the
/// output's shape. With `region`, only those blocks are computed and the
/// rest of `out` keeps whatever it held (zeros where it grew).
///
/// ```
/// use filter::{BlockRegion, DownscaleScratch};
/// use geom::{Image, Padding};
/// let src = Image::<u8>::from_fn(64, 64, 3, |x, y, c| (x + y + c) as u8)?;
/// let (mut out, mut scratch) = (Vec::new(), DownscaleScratch::new());
/// let region = BlockRegion { columns: 2..6, rows: 1..3 };
/// let shape = filter::box_downscale_into(
///     src.view(), 4, 4, Padding::Reflect101, Some(&region), &mut out, &mut scratch,
/// )?;
/// assert_eq!((shape.width, shape.height, out.len()), (16, 16, 16 * 16 * 3));
/// let whole = filter::box_downscale(src.view(), 4, 4, Padding::Reflect101)?;
/// assert_eq!(out[(16 + 2) * 3], whole.pixel(2, 1)[0]);
/// # Ok::<(), filter::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn box_downscale_into<T: Element>(
    src: ImageView<'_, T>,
    kx: usize,
    ky: usize,
    padding: Padding,
    region: Option<&BlockRegion>,
    out: &mut Vec<T>,
    scratch: &mut DownscaleScratch,
) -> Result<Shape> {
    box_downscale_into_with_isa(Isa::selected(), src, kx, ky, padding, region, out, scratch)
}

/// [`box_downscale_into`] on a chosen kernel path.
#[allow(clippy::too_many_arguments)]
pub fn box_downscale_into_with_isa<T: Element>(
    isa: Isa,
    src: ImageView<'_, T>,
    kx: usize,
    ky: usize,
    padding: Padding,
    region: Option<&BlockRegion>,
    out: &mut Vec<T>,
    scratch: &mut DownscaleScratch,
) -> Result<Shape> {
    let (w, h, c) = (src.width(), src.height(), src.channels());
    check_factor("box downscale kx", kx, w)?;
    check_factor("box downscale ky", ky, h)?;
    crate::check_padding(padding)?;
    let (out_w, out_h) = (w.div_ceil(kx), h.div_ceil(ky));
    let shape = Shape::new(out_w, out_h, c)?;
    // Every value is written below: resizing without clearing spares a
    // memset of the whole output per image when the buffer is reused.
    out.resize(shape.len(), T::default());
    // The sums of one row of blocks, then as much room again for the
    // reduction, from a cache-line boundary: the column sums are stored in
    // whole vectors, so their speed no longer depends on where the
    // allocator put the buffer.
    let len = 2 * w * c;
    scratch.sums.resize(len + ALIGN, 0.0);
    let start = scratch.sums.as_ptr().align_offset(64).min(ALIGN);
    let sums = &mut scratch.sums[start..start + len];
    let rows = region.map_or(0..out_h, |r| r.rows.start.min(out_h)..r.rows.end.min(out_h));
    // Only whole blocks are cut out of the source, so no column padding
    // changes meaning; a region that reaches a block hanging over the right
    // edge takes every column.
    let columns = match region {
        Some(r)
            if r.columns.start < r.columns.end
                && r.columns.end.checked_mul(kx).is_some_and(|end| end <= w) =>
        {
            r.columns.clone()
        }
        _ => 0..out_w,
    };
    let src = if columns == (0..out_w) {
        src
    } else {
        src.crop(columns.start * kx, 0, columns.len() * kx, h)?
    };
    let blocks = Blocks { kx, ky, padding };
    // The route, once per call: `u8` blocks of up to 256 values have `u16`
    // sums, which the integer kernels turn into the reference's bits
    // faster; Isa::Scalar, `f32` and larger blocks run the reference.
    if isa != Isa::Scalar
        && kx.saturating_mul(ky) <= 256
        && let Some(bytes) = element::as_u8_view(src)
        && let Some(level) = element::as_u8_slice_mut(out.as_mut_slice())
    {
        let target = Target {
            shape,
            rows,
            first_column: columns.start,
            out: level,
        };
        downscale::integer_rows(isa, Pairing::for_isa(isa), bytes, blocks, target, sums);
    } else {
        let target = Target {
            shape,
            rows,
            first_column: columns.start,
            out: out.as_mut_slice(),
        };
        downscale::reference_rows(isa, src, blocks, target, sums);
    }
    Ok(shape)
}

/// `f32` values in a cache line: the slack that lets the scratch start on one.
const ALIGN: usize = 16;

/// A factor must be a power of two no larger than its side rounded up to
/// one: past that a block is all padding on that axis, and the cost of the
/// edge block grows with the factor, not the image.
fn check_factor(what: &'static str, k: usize, side: usize) -> Result<()> {
    if k.is_power_of_two() && k <= side.next_power_of_two() {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            what,
            value: k as f64,
            expected: "a power of two, at most the image side rounded up to a power of two",
        })
    }
}
