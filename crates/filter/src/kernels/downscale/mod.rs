//! The row kernels of the box downscale (see `crate::downscale` for the
//! operation and the arithmetic it promises).
//!
//! * [`reference_rows`]: the specification. Per level row, `f32` column
//!   sums of the block's source rows (in order, top to bottom), then per
//!   block the sum of its `kx` column sums by halving (`log2(kx)` rounds of
//!   `t[j] = s[j] + s[j + r]`), plus what the padding constant adds, times
//!   `1 / (kx·ky)`, stored by the element's rule. Any element type.
//! * [`integer_rows`]: `u8` blocks of at most 256 values, whose sums fit in
//!   `u16`. Sums of `u8` are exact in `f32` as in integers and the scale is
//!   a power of two, so the reference's mean is the exact quotient rounded
//!   half to even; `u16` sums divided by an integer shift that rounds half
//!   to even give the same bits, and vectorise without the per-value
//!   shuffles the `f32` reduction of interleaved channels costs. Rows that
//!   read the padding constant take the reference's code.
//!
//! Both run inside [`Isa::vectorize`], so their plain loops compile for
//! the path's instruction set; the same additions run in the same order on
//! every path.

mod operands;
mod pair;
#[cfg(target_arch = "x86_64")]
mod x86;

pub(crate) use pair::Pairing;

use geom::{Element, ImageView, Isa, Padding, Shape};
use operands::{Out, Row};
use pair::{pair_up, round_shift};
use std::ops::Range;

/// Where a call writes: the level rows to compute, and where its source
/// (cropped to whole blocks) starts in the level.
pub(crate) struct Target<'b, T> {
    /// The level's shape.
    pub shape: Shape,
    /// Level rows to compute.
    pub rows: Range<usize>,
    /// The level column where the (cropped) source starts.
    pub first_column: usize,
    /// The whole level.
    pub out: &'b mut [T],
}

/// Block sides and padding of a call.
#[derive(Clone, Copy)]
pub(crate) struct Blocks {
    pub kx: usize,
    pub ky: usize,
    pub padding: Padding,
}

impl Blocks {
    /// `1 / (kx·ky)`, exact: both are powers of two.
    #[inline(always)]
    fn scale(self) -> f32 {
        1.0 / (self.kx as f32 * self.ky as f32)
    }

    /// Source row `sy` through the padding rule (`None`: the constant).
    #[inline(always)]
    fn source_row(self, sy: usize, height: usize) -> Option<usize> {
        self.padding.index(sy as i64, height)
    }
}

/// The reference: every requested level row by [`reference_row`].
/// `sums` holds at least `2 · width · channels` values of the source.
pub(crate) fn reference_rows<T: Element>(
    isa: Isa,
    src: ImageView<'_, T>,
    blocks: Blocks,
    target: Target<'_, T>,
    sums: &mut [f32],
) {
    isa.vectorize(ReferenceRows {
        src,
        blocks,
        target,
        sums,
    });
}

/// `u8` levels of blocks of at most 256 values: rows whose block rows are
/// all in the image (or mapped into it by the padding rule) on integers,
/// with `pairing` for the pixel pairs; the others by [`reference_row`].
/// `sums` holds at least `2 · width · channels` values of the source.
pub(crate) fn integer_rows(
    isa: Isa,
    pairing: Pairing,
    src: ImageView<'_, u8>,
    blocks: Blocks,
    target: Target<'_, u8>,
    sums: &mut [f32],
) {
    isa.vectorize(IntegerRows {
        pairing,
        src,
        blocks,
        target,
        sums,
    });
}

struct ReferenceRows<'s, 'b, T> {
    src: ImageView<'s, T>,
    blocks: Blocks,
    target: Target<'b, T>,
    sums: &'b mut [f32],
}

impl<T: Element> pulp::WithSimd for ReferenceRows<'_, '_, T> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let ReferenceRows {
            src,
            blocks,
            target,
            sums,
        } = self;
        let c = src.channels();
        let row_part = src.width().div_ceil(blocks.kx) * c;
        let row_len = target.shape.row_len();
        for oy in target.rows {
            let start = oy * row_len + target.first_column * c;
            let Some(out_row) = target.out.get_mut(start..start + row_part) else {
                return;
            };
            reference_row(src, blocks, oy, out_row, sums);
        }
    }
}

struct IntegerRows<'s, 'b> {
    pairing: Pairing,
    src: ImageView<'s, u8>,
    blocks: Blocks,
    target: Target<'b, u8>,
    sums: &'b mut [f32],
}

impl pulp::WithSimd for IntegerRows<'_, '_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let IntegerRows {
            pairing,
            src,
            blocks,
            target,
            sums,
        } = self;
        let (h, c) = (src.height(), src.channels());
        let row_part = src.width().div_ceil(blocks.kx) * c;
        let row_len = target.shape.row_len();
        // The source rows of one row of blocks (at most 256 of them).
        let mut rows = [0usize; 256];
        let rows = &mut rows[..blocks.ky.min(256)];
        for oy in target.rows {
            let start = oy * row_len + target.first_column * c;
            let Some(out_row) = target.out.get_mut(start..start + row_part) else {
                return;
            };
            let mut real = true;
            for (r, sy) in rows.iter_mut().zip(oy * blocks.ky..) {
                match blocks.source_row(sy, h) {
                    Some(y) => *r = y,
                    None => real = false,
                }
            }
            if real && rows.len() == blocks.ky {
                integer_row(
                    pairing,
                    src,
                    blocks,
                    rows,
                    out_row,
                    bytemuck::cast_slice_mut(sums),
                );
            } else {
                reference_row(src, blocks, oy, out_row, sums);
            }
        }
    }
}

/// Level row `oy` into `out_row` (its blocks from the cropped source's
/// first column), the reference way.
#[inline(always)]
fn reference_row<T: Element>(
    src: ImageView<'_, T>,
    blocks: Blocks,
    oy: usize,
    out_row: &mut [T],
    sums: &mut [f32],
) {
    let Blocks { kx, ky, padding } = blocks;
    let (w, h, c) = (src.width(), src.height(), src.channels());
    let fill = padding.constant().unwrap_or(0.0);
    let scale = blocks.scale();
    let (column_sums, tmp) = sums.split_at_mut(w * c);
    // Column sums of the block's rows that are in the image (or mapped into
    // it by the padding rule); a simple loop the compiler vectorises.
    // The first real row is stored rather than added to zeros: a
    // memset per row cost as much as the sums when ky is 1.
    let mut fill_rows = 0usize;
    for (i, sy) in (oy * ky..(oy + 1) * ky).enumerate() {
        match blocks.source_row(sy, h) {
            Some(r) if i == fill_rows => {
                for (s, v) in column_sums.iter_mut().zip(src.row(r)) {
                    *s = v.to_f32();
                }
            }
            Some(r) => {
                for (s, v) in column_sums.iter_mut().zip(src.row(r)) {
                    *s += v.to_f32();
                }
            }
            None => fill_rows += 1,
        }
    }
    if fill_rows == ky {
        column_sums.fill(0.0);
    }
    // Rows read as the constant add `fill` for each of their kx columns;
    // columns read as the constant add `fill` for each real row.
    let fill_from_rows = fill * (fill_rows * kx) as f32;
    let fill_per_column = fill * (ky - fill_rows) as f32;
    let (full, partial) = out_row.split_at_mut((w / kx) * c);
    // The last block, if it hangs over the right edge, first: the
    // reduction below reuses `column_sums` as scratch, and Wrap
    // reads this block's missing columns from the row's start.
    let bx = w / kx;
    for (ch, o) in partial.iter_mut().enumerate() {
        let mut sum = fill_from_rows;
        for sx in bx * kx..(bx + 1) * kx {
            sum += match padding.index(sx as i64, w) {
                Some(x) => column_sums[x * c + ch],
                None => fill_per_column,
            };
        }
        *o = T::from_f32(sum * scale);
    }
    match c {
        1 => reduce_blocks::<T, 1>(full, column_sums, tmp, kx, fill_from_rows, scale),
        3 => reduce_blocks::<T, 3>(full, column_sums, tmp, kx, fill_from_rows, scale),
        _ => reduce_blocks::<T, 4>(full, column_sums, tmp, kx, fill_from_rows, scale),
    }
}

/// One row of a `u8` level whose source rows `rows` (`ky` of them, at most
/// 256 values per block) all lie in the image, on integers: column sums (or
/// the row itself when `ky` is 1), `log2(kx)` rounds of pixel-pair sums,
/// the last of which divides by `kx · ky` and rounds half to even.
/// `scratch` (the `f32` sums buffer, `2 w c` of them, seen as `u16`) holds
/// the sums.
///
/// The block hanging over the right edge, if any, is summed in `f32` as
/// the reference does, from the same (exact) column sums.
#[inline(always)]
fn integer_row(
    pairing: Pairing,
    src: ImageView<'_, u8>,
    blocks: Blocks,
    rows: &[usize],
    out_row: &mut [u8],
    scratch: &mut [u16],
) {
    let Blocks { kx, ky, padding } = blocks;
    let (w, c) = (src.width(), src.channels());
    let fill_per_column = padding.constant().unwrap_or(0.0) * ky as f32;
    let scale = blocks.scale();
    let shift = (kx * ky).trailing_zeros();
    let (&first, rest) = match rows.split_first() {
        Some(split) => split,
        None => return,
    };
    let (sums, mut free) = scratch.split_at_mut(w * c);
    let column = if rest.is_empty() {
        Row::U8(src.row(first))
    } else {
        for (s, v) in sums.iter_mut().zip(src.row(first)) {
            *s = u16::from(*v);
        }
        for &r in rest {
            for (s, v) in sums.iter_mut().zip(src.row(r)) {
                *s += u16::from(*v);
            }
        }
        Row::U16(sums)
    };
    let blocks = w / kx;
    let (full, partial) = out_row.split_at_mut(blocks * c);
    if kx == 1 {
        match column {
            Row::U8(r) => full.copy_from_slice(&r[..full.len()]),
            Row::U16(sums) => {
                for (o, s) in full.iter_mut().zip(sums) {
                    *o = round_shift(*s, shift) as u8;
                }
            }
        }
    } else {
        let mut row = column;
        let mut width = blocks * kx;
        while width > 2 * blocks {
            width /= 2;
            let (dst, rest) = free.split_at_mut(width * c);
            free = rest;
            pair_up(pairing, c, row, Out::Sums(dst));
            row = Row::U16(dst);
        }
        pair_up(pairing, c, row, Out::Means(full, shift));
    }
    let value = |i: usize| match column {
        Row::U8(r) => f32::from(r[i]),
        Row::U16(r) => f32::from(r[i]),
    };
    for (ch, o) in partial.iter_mut().enumerate() {
        let mut sum = 0.0;
        for sx in blocks * kx..(blocks + 1) * kx {
            sum += match padding.index(sx as i64, w) {
                Some(x) => value(x * c + ch),
                None => fill_per_column,
            };
        }
        *o = u8::from_f32(sum * scale);
    }
}

/// Sums each run of `kx` pixels of `sums` (channels `C`, plus `init`) and
/// stores `sum * scale`, with `tmp` (as long as `sums`) as scratch.
///
/// A run-time `kx` and interleaved channels leave the compiler a shuffle
/// per value, so the sums are built by halving instead: `log2(kx)` rounds
/// of `t[j] = s[j] + s[j + r]` over whole rows (contiguous, vectorised),
/// then one copy that picks each block's `C` sums, then the scaling and
/// conversion over a contiguous row. Every path runs these same additions.
#[inline(always)]
fn reduce_blocks<T: Element, const C: usize>(
    out: &mut [T],
    sums: &mut [f32],
    tmp: &mut [f32],
    kx: usize,
    init: f32,
    scale: f32,
) {
    let blocks = out.len() / C;
    if blocks == 0 {
        return;
    }
    let (mut cur, mut next) = (sums, tmp);
    let mut len = blocks * kx * C;
    let mut r = C;
    while r < kx * C {
        let (head, tail) = (&cur[..len - r], &cur[r..len]);
        for ((t, a), b) in next[..len - r].iter_mut().zip(head).zip(tail) {
            *t = a + b;
        }
        std::mem::swap(&mut cur, &mut next);
        len -= r;
        r *= 2;
    }
    // Block `i`'s sums now start at `cur[i * kx * C]`.
    let packed: &[f32] = if kx == 1 {
        &cur[..blocks * C]
    } else {
        for (dst, block) in next
            .chunks_exact_mut(C)
            .zip(cur.chunks(kx * C))
            .take(blocks)
        {
            dst.copy_from_slice(&block[..C]);
        }
        &next[..blocks * C]
    };
    for (o, s) in out.iter_mut().zip(packed) {
        *o = T::from_f32((init + s) * scale);
    }
}
