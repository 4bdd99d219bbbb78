//! The row kernels of the area downscale (see `crate::area` for the
//! operation and the arithmetic it promises).
//!
//! Per output row: the column sums `Σ wy·v` of the source rows its
//! interval covers (stored from the first row, then added, in row order),
//! over the source columns the output's intervals read; then per output
//! pixel the sum `Σ wx·sum` across its columns, in column order, divided
//! once by the rectangle's weight.
//!
//! * [`integer`]: `u8`, sums in `u32` (exact: below `2^24`, module docs of
//!   `crate::area`; column sums of a row weight `dy ≤ 257` are summed in
//!   `u16`, where `255·dy` fits), one `f32` division, rounded half to even.
//! * [`float`]: any element, sums in `f32` in that order, one division.
//!
//! Both run inside [`Isa::vectorize`], so their plain loops (the column
//! sums are the bulk of the work) compile for the path's instruction set;
//! the same operations run in the same order on every path.

mod across;

use crate::area::AreaAxis;
use across::{Columns, row_sums, weighted_row};
use geom::{Element, ImageView, ImageViewMut, Isa, Padding};

/// One output pixel's interval on an axis, in sixteenths of a source pixel
/// (edge coordinates: source pixel `j` covers `[16j, 16j + 16)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    e0: i64,
    e1: i64,
}

impl Span {
    /// The interval `[e0, e1)`, `e1 > e0`.
    pub(crate) fn new(e0: i64, e1: i64) -> Span {
        Span { e0, e1 }
    }

    /// The first source pixel it overlaps.
    #[inline(always)]
    fn first(self) -> i64 {
        self.e0.div_euclid(16)
    }

    /// One past the last source pixel it overlaps.
    #[inline(always)]
    fn end(self) -> i64 {
        (self.e1 + 15).div_euclid(16)
    }

    /// Source pixel `j`'s weight: its overlap with the interval.
    #[inline(always)]
    fn weight(self, j: i64) -> u32 {
        ((16 * j + 16).min(self.e1) - (16 * j).max(self.e0)) as u32
    }

    /// Whether every source pixel it overlaps lies in `0..width`.
    #[inline(always)]
    fn is_inside(self, width: usize) -> bool {
        self.first() >= 0 && self.end() <= width as i64
    }

    /// The weights' sum, `e1 - e0`.
    #[inline(always)]
    fn total(self) -> u32 {
        (self.e1 - self.e0) as u32
    }
}

/// What one call computes: the rows' axis, the padding rule, and each
/// output column's interval.
pub(crate) struct AreaCall<'a> {
    pub y: AreaAxis,
    pub padding: Padding,
    pub columns: &'a [Span],
}

/// The source columns the call's intervals read, `lo..hi` (through the
/// padding rule for intervals that cross the edge): only those columns
/// are summed.
fn column_range(columns: &[Span], width: usize, padding: Padding) -> (usize, usize) {
    let (mut lo, mut hi) = (usize::MAX, 0usize);
    for &span in columns {
        if span.is_inside(width) {
            lo = lo.min(span.first() as usize);
            hi = hi.max(span.end() as usize);
        } else {
            for x in (span.first()..span.end()).filter_map(|j| padding.index(j, width)) {
                lo = lo.min(x);
                hi = hi.max(x + 1);
            }
        }
    }
    if lo < hi { (lo, hi) } else { (0, 0) }
}

/// The `u8` route's buffers, grown on first use and reused: one source row
/// of column sums (summed in `u16` where they provably fit, then widened
/// to `u32` once per row for the pass across the columns), and
/// per output row the weighted sums before the division; per output column
/// its taps (and in the fixed layout its first column sum and weights),
/// and per output value its interval's weight (and the part inside the
/// image).
#[derive(Debug, Clone, Default)]
pub(crate) struct IntegerBuffers {
    sums: Vec<u32>,
    narrow: Vec<u16>,
    acc: Vec<u32>,
    taps: Vec<Taps>,
    fixed_at: Vec<usize>,
    fixed_weights: Vec<u32>,
    edges: Vec<usize>,
    dx: Vec<f32>,
    dx_inside: Vec<f32>,
}

/// An output column's taps when its interval lies inside the image: the
/// offset of its first column sum, how many, and the first and last
/// weights (those between are 16).
#[derive(Debug, Clone, Copy, Default)]
struct Taps {
    at: usize,
    count: usize,
    first: u32,
    last: u32,
    inside: bool,
}

/// The most taps per output column summed by the branch-free loop
/// (strides up to 4.4 pixels at the widening the pipeline uses need 6).
const MAX_FIXED: usize = 8;

/// The largest row weight `dy` whose column sums fit `u16`: a column sum
/// is at most `255·dy`, and `255·257 = 65535`. The pipeline's area level
/// reads strides in `[2, 4)` widened 1.1x, so `dy ≤ 16·4.4 + 1 < 72` and
/// its rows always take the `u16` sums; wider rows take `u32`.
const MAX_NARROW_WEIGHT: u32 = 257;

/// `u8` on integers (see the module docs).
pub(crate) fn integer(
    isa: Isa,
    src: ImageView<'_, u8>,
    dst: ImageViewMut<'_, u8>,
    call: AreaCall<'_>,
    buffers: &mut IntegerBuffers,
) {
    isa.vectorize(Integer {
        src,
        dst,
        call,
        buffers,
    });
}

/// Any element on `f32` sums (see the module docs); `sums` is grown to
/// one source row and reused.
pub(crate) fn float<T: Element>(
    isa: Isa,
    src: ImageView<'_, T>,
    dst: ImageViewMut<'_, T>,
    call: AreaCall<'_>,
    sums: &mut Vec<f32>,
) {
    isa.vectorize(Float {
        src,
        dst,
        call,
        sums,
    });
}

struct Integer<'s, 'd, 'c, 'b> {
    src: ImageView<'s, u8>,
    dst: ImageViewMut<'d, u8>,
    call: AreaCall<'c>,
    buffers: &'b mut IntegerBuffers,
}

impl pulp::WithSimd for Integer<'_, '_, '_, '_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let Integer {
            src,
            mut dst,
            call,
            buffers,
        } = self;
        let (w, h, c) = (src.width(), src.height(), src.channels());
        let (lo, hi) = column_range(call.columns, w, call.padding);
        let IntegerBuffers {
            sums,
            narrow,
            acc,
            taps,
            fixed_at,
            fixed_weights,
            edges,
            dx,
            dx_inside,
        } = buffers;
        // One value of slack after the sums and the row: three channels are
        // summed as four lanes (the fourth, the next pixel's, is discarded).
        sums.resize((hi - lo) * c + 1, 0);
        narrow.resize((hi - lo) * c + 1, 0);
        acc.resize(call.columns.len() * c + 1, 0);
        let fill = call.padding.constant();
        // Per output column, once per call: its taps, and its weight (and
        // the part inside the image) per value for the division.
        taps.clear();
        dx.clear();
        dx_inside.clear();
        for &span in call.columns {
            let (f, e) = (span.first(), span.end());
            let inside = span.is_inside(w);
            taps.push(if inside {
                Taps {
                    at: (f as usize - lo) * c,
                    count: (e - f) as usize,
                    first: span.weight(f),
                    last: span.weight(e - 1),
                    inside,
                }
            } else {
                Taps::default()
            });
            dx.extend(std::iter::repeat_n(span.total() as f32, c));
            if fill.is_some() {
                let outside: u32 = (f..e)
                    .filter(|&j| call.padding.index(j, w).is_none())
                    .map(|j| span.weight(j))
                    .sum();
                dx_inside.extend(std::iter::repeat_n((span.total() - outside) as f32, c));
            }
        }
        // The fixed layout: every column as `fixed` weights from a start
        // moved left where it would run past the sums (its weights move
        // right), when the sums are that long. Columns crossing the edge
        // get zero weights here and are summed again through the padding
        // rule after the row.
        let fixed = taps
            .iter()
            .filter(|t| t.inside)
            .map(|t| t.count)
            .max()
            .unwrap_or(0);
        let fixed = (fixed <= MAX_FIXED && fixed <= hi - lo).then_some(fixed);
        fixed_at.clear();
        fixed_weights.clear();
        edges.clear();
        edges.extend((0..taps.len()).filter(|&ox| !taps[ox].inside));
        if let Some(n) = fixed {
            for t in taps.iter() {
                let at = fixed_weights.len();
                fixed_weights.resize(at + n, 0);
                if !t.inside {
                    fixed_at.push(0);
                    continue;
                }
                let first = t.at / c;
                let start = first.min(hi - lo - n);
                let shift = first - start;
                fixed_at.push(start * c);
                let weights = &mut fixed_weights[at + shift..at + shift + t.count];
                for (k, weight) in weights.iter_mut().enumerate() {
                    *weight = match k {
                        0 => t.first,
                        k if k + 1 == t.count => t.last,
                        _ => 16,
                    };
                }
            }
        }
        let columns = Columns {
            spans: call.columns,
            taps,
            fixed_at,
            fixed_weights,
            edges,
            lo,
            width: w,
            padding: call.padding,
        };
        for oy in 0..dst.height() {
            let span = call.y.edges(oy);
            // Column sums of the rows in the image (or mapped into it);
            // rows read as the constant only count their weight.
            let rows = (span.first()..span.end())
                .filter_map(|j| Some((span.weight(j), call.padding.index(j, h)?)));
            let rows_inside: u32 = rows.clone().map(|(weight, _)| weight).sum();
            let rows = rows.map(|(weight, r)| (weight, &src.row(r)[lo * c..hi * c]));
            if let Some(n) = fixed
                && span.total() <= MAX_NARROW_WEIGHT
            {
                narrow_column_sums(narrow, sums, rows);
                row_sums(acc, sums.as_slice(), &columns, c, n);
            } else {
                column_sums(sums, rows, |weight, v| weight * u32::from(v));
                match fixed {
                    Some(n) => row_sums(acc, sums.as_slice(), &columns, c, n),
                    None => match c {
                        1 => weighted_row::<1>(acc, sums, &columns),
                        3 => weighted_row::<3>(acc, sums, &columns),
                        _ => weighted_row::<4>(acc, sums, &columns),
                    },
                }
            }
            // The divisions, one per value, over the whole row at once:
            // `d = dx·dy` and `d - dx_inside·dy_inside` are exact in `f32`.
            let out = dst.row_mut(oy);
            let dy = span.total() as f32;
            match fill {
                None => {
                    for ((o, &a), &dx) in out.iter_mut().zip(acc.iter()).zip(dx.iter()) {
                        *o = u8::from_f32(a as f32 / (dx * dy));
                    }
                }
                Some(v) => {
                    let dy_inside = rows_inside as f32;
                    let values = out.iter_mut().zip(acc.iter()).zip(dx.iter());
                    for (((o, &a), &dx), &dx_in) in values.zip(dx_inside.iter()) {
                        let d = dx * dy;
                        *o = u8::from_f32((a as f32 + v * (d - dx_in * dy_inside)) / d);
                    }
                }
            }
        }
    }
}

/// `sums = Σ weight·row` over `rows` (weight, source row slice), the
/// first stored and the rest added in order; zeros when no row is read.
/// `term(weight, v)` is the product in the sums' type (the callers keep
/// every sum within it).
#[inline(always)]
fn column_sums<'r, V: Copy + Default + std::ops::AddAssign>(
    sums: &mut [V],
    rows: impl Iterator<Item = (u32, &'r [u8])>,
    term: impl Fn(u32, u8) -> V,
) {
    let mut stored = false;
    for (weight, row) in rows {
        if stored {
            for (s, &v) in sums.iter_mut().zip(row) {
                *s += term(weight, v);
            }
        } else {
            for (s, &v) in sums.iter_mut().zip(row) {
                *s = term(weight, v);
            }
            stored = true;
        }
    }
    if !stored {
        sums.fill(V::default());
    }
}

/// [`column_sums`] for rows weighing at most [`MAX_NARROW_WEIGHT`] in all:
/// summed in `u16` two rows per pass, the last pass widening to `u32`
/// (the same integers, as every partial sum is at most `255·dy ≤ 65535`).
#[inline(always)]
fn narrow_column_sums<'r>(
    narrow: &mut [u16],
    sums: &mut [u32],
    rows: impl Iterator<Item = (u32, &'r [u8])>,
) {
    let mut rows = rows.peekable();
    let mut stored = false;
    while let Some((w0, r0)) = rows.next() {
        let second = rows.next();
        let last = rows.peek().is_none();
        let (w0, w1) = (w0 as u16, second.map_or(0, |(w, _)| w as u16));
        let r1 = second.map_or(r0, |(_, r)| r);
        match (stored, second.is_some(), last) {
            (false, false, false) => {
                narrow_pass::<false, false, false>(narrow, sums, w0, r0, w1, r1)
            }
            (false, false, true) => narrow_pass::<false, false, true>(narrow, sums, w0, r0, w1, r1),
            (false, true, false) => narrow_pass::<false, true, false>(narrow, sums, w0, r0, w1, r1),
            (false, true, true) => narrow_pass::<false, true, true>(narrow, sums, w0, r0, w1, r1),
            (true, false, false) => narrow_pass::<true, false, false>(narrow, sums, w0, r0, w1, r1),
            (true, false, true) => narrow_pass::<true, false, true>(narrow, sums, w0, r0, w1, r1),
            (true, true, false) => narrow_pass::<true, true, false>(narrow, sums, w0, r0, w1, r1),
            (true, true, true) => narrow_pass::<true, true, true>(narrow, sums, w0, r0, w1, r1),
        }
        stored = true;
    }
    if !stored {
        sums.fill(0);
    }
}

/// One pass of [`narrow_column_sums`]: `w0·r0` (plus `w1·r1` when `TWO`),
/// added to the `u16` sums so far when `ADD`, into the `u16` sums, or
/// widened into the `u32` sums when `LAST`.
#[inline(always)]
fn narrow_pass<const ADD: bool, const TWO: bool, const LAST: bool>(
    narrow: &mut [u16],
    sums: &mut [u32],
    w0: u16,
    r0: &[u8],
    w1: u16,
    r1: &[u8],
) {
    let n = narrow.len().min(sums.len()).min(r0.len()).min(r1.len());
    let (narrow, sums, r0, r1) = (&mut narrow[..n], &mut sums[..n], &r0[..n], &r1[..n]);
    for (k, s) in narrow.iter_mut().enumerate() {
        let mut v = w0 * u16::from(r0[k]);
        if TWO {
            v += w1 * u16::from(r1[k]);
        }
        if ADD {
            v += *s;
        }
        if LAST {
            sums[k] = u32::from(v);
        } else {
            *s = v;
        }
    }
}

struct Float<'s, 'd, 'c, 'b, T> {
    src: ImageView<'s, T>,
    dst: ImageViewMut<'d, T>,
    call: AreaCall<'c>,
    sums: &'b mut Vec<f32>,
}

impl<T: Element> pulp::WithSimd for Float<'_, '_, '_, '_, T> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let Float {
            src,
            mut dst,
            call,
            sums,
        } = self;
        let (w, h, c) = (src.width(), src.height(), src.channels());
        let (lo, hi) = column_range(call.columns, w, call.padding);
        sums.resize((hi - lo) * c, 0.0);
        let sums = sums.as_mut_slice();
        let fill = call.padding.constant().unwrap_or(0.0);
        let columns = Columns {
            spans: call.columns,
            taps: &[],
            fixed_at: &[],
            fixed_weights: &[],
            edges: &[],
            lo,
            width: w,
            padding: call.padding,
        };
        for oy in 0..dst.height() {
            let span = call.y.edges(oy);
            // A column read as the constant sums the same weights over the
            // constant, in the same order.
            sums.fill(0.0);
            let mut fill_column = 0.0f32;
            for j in span.first()..span.end() {
                let weight = span.weight(j) as f32;
                fill_column += weight * fill;
                match call.padding.index(j, h) {
                    Some(r) => {
                        let row = &src.row(r)[lo * c..hi * c];
                        for (s, v) in sums.iter_mut().zip(row) {
                            *s += weight * v.to_f32();
                        }
                    }
                    None => {
                        for s in sums.iter_mut() {
                            *s += weight * fill;
                        }
                    }
                }
            }
            let d = span.total() as f32;
            let out = dst.row_mut(oy);
            for (o, &span) in out.chunks_exact_mut(c).zip(columns.spans) {
                let inside = span.is_inside(columns.width);
                for (ch, o) in o.iter_mut().enumerate() {
                    let mut acc = 0.0f32;
                    for j in span.first()..span.end() {
                        let weight = span.weight(j) as f32;
                        let value = if inside {
                            sums[(j as usize - lo) * c + ch]
                        } else {
                            match columns.padding.index(j, columns.width) {
                                Some(x) => sums[(x - lo) * c + ch],
                                None => fill_column,
                            }
                        };
                        acc += weight * value;
                    }
                    *o = T::from_f32(acc / (span.total() as f32 * d));
                }
            }
        }
    }
}
