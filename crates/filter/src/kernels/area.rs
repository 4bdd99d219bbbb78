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
//!   `crate::area`), one `f32` division, rounded half to even.
//! * [`float`]: any element, sums in `f32` in that order, one division.
//!
//! Both run inside [`Isa::vectorize`], so their plain loops (the column
//! sums are the bulk of the work) compile for the path's instruction set;
//! the same operations run in the same order on every path.

use crate::area::AreaAxis;
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

/// The source columns the call's intervals read, `lo..hi`, and whether all
/// of them lie inside the source (then no column goes through the padding
/// rule, and only those columns are summed); otherwise every column.
fn column_range(columns: &[Span], width: usize) -> (usize, usize, bool) {
    let lo = columns.iter().map(|s| s.first()).min().unwrap_or(0);
    let hi = columns.iter().map(|s| s.end()).max().unwrap_or(0);
    if lo >= 0 && hi <= width as i64 && lo < hi {
        (lo as usize, hi as usize, true)
    } else {
        (0, width, false)
    }
}

/// `u8` on integers (see the module docs); `sums` is grown to one source
/// row and reused.
pub(crate) fn integer(
    isa: Isa,
    src: ImageView<'_, u8>,
    dst: ImageViewMut<'_, u8>,
    call: AreaCall<'_>,
    sums: &mut Vec<u32>,
) {
    isa.vectorize(Integer {
        src,
        dst,
        call,
        sums,
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
    sums: &'b mut Vec<u32>,
}

impl pulp::WithSimd for Integer<'_, '_, '_, '_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let Integer {
            src,
            mut dst,
            call,
            sums,
        } = self;
        let (w, h, c) = (src.width(), src.height(), src.channels());
        let (lo, hi, inside) = column_range(call.columns, w);
        sums.resize((hi - lo) * c, 0);
        let sums = sums.as_mut_slice();
        let columns = Columns {
            spans: call.columns,
            lo,
            width: w,
            inside,
            padding: call.padding,
        };
        for oy in 0..dst.height() {
            let span = call.y.edges(oy);
            // Column sums of the rows in the image (or mapped into it);
            // rows read as the constant only count their weight.
            let mut stored = false;
            let mut rows_inside = span.total();
            for j in span.first()..span.end() {
                let weight = span.weight(j);
                let Some(r) = call.padding.index(j, h) else {
                    rows_inside -= weight;
                    continue;
                };
                let row = &src.row(r)[lo * c..hi * c];
                if stored {
                    for (s, &v) in sums.iter_mut().zip(row) {
                        *s += weight * u32::from(v);
                    }
                } else {
                    for (s, &v) in sums.iter_mut().zip(row) {
                        *s = weight * u32::from(v);
                    }
                    stored = true;
                }
            }
            if !stored {
                sums.fill(0);
            }
            let rows = Rows {
                total: span.total(),
                inside: rows_inside,
            };
            let out = dst.row_mut(oy);
            match c {
                1 => integer_row::<1>(out, sums, &columns, rows),
                3 => integer_row::<3>(out, sums, &columns, rows),
                _ => integer_row::<4>(out, sums, &columns, rows),
            }
        }
    }
}

/// The output columns' intervals and where their column sums are.
struct Columns<'a> {
    spans: &'a [Span],
    /// The source column of the first column sum.
    lo: usize,
    /// Source width.
    width: usize,
    /// Every interval lies inside the source.
    inside: bool,
    padding: Padding,
}

/// The current output row's weight, and the part of it on rows inside the
/// image (the rest reads the padding constant).
#[derive(Clone, Copy)]
struct Rows {
    total: u32,
    inside: u32,
}

/// One output row of a `u8` image from its column sums.
#[inline(always)]
fn integer_row<const C: usize>(out: &mut [u8], sums: &[u32], columns: &Columns<'_>, rows: Rows) {
    let fill = columns.padding.constant();
    for (o, &span) in out.chunks_exact_mut(C).zip(columns.spans) {
        let mut acc = [0u32; C];
        let mut columns_inside = span.total();
        if columns.inside {
            // Inner weights are all 16: first and last apart, one multiply.
            let (f, e) = (span.first(), span.end());
            let at = |j: i64| (j as usize - columns.lo) * C;
            if e - f == 1 {
                for (a, &s) in acc.iter_mut().zip(&sums[at(f)..at(f) + C]) {
                    *a = span.total() * s;
                }
            } else {
                let (wf, wl) = (span.weight(f), span.weight(e - 1));
                let mut inner = [0u32; C];
                for j in f + 1..e - 1 {
                    for (i, &s) in inner.iter_mut().zip(&sums[at(j)..at(j) + C]) {
                        *i += s;
                    }
                }
                for ch in 0..C {
                    acc[ch] = wf * sums[at(f) + ch] + 16 * inner[ch] + wl * sums[at(e - 1) + ch];
                }
            }
        } else {
            for j in span.first()..span.end() {
                let weight = span.weight(j);
                match columns.padding.index(j, columns.width) {
                    Some(x) => {
                        for (a, &s) in acc.iter_mut().zip(&sums[x * C..x * C + C]) {
                            *a += weight * s;
                        }
                    }
                    None => columns_inside -= weight,
                }
            }
        }
        let d = span.total() * rows.total;
        match fill {
            None => {
                for (o, &a) in o.iter_mut().zip(&acc) {
                    *o = u8::from_f32(a as f32 / d as f32);
                }
            }
            Some(v) => {
                let outside = (d - columns_inside * rows.inside) as f32;
                for (o, &a) in o.iter_mut().zip(&acc) {
                    *o = u8::from_f32((a as f32 + v * outside) / d as f32);
                }
            }
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
        let (lo, hi, inside) = column_range(call.columns, w);
        sums.resize((hi - lo) * c, 0.0);
        let sums = sums.as_mut_slice();
        let fill = call.padding.constant().unwrap_or(0.0);
        let columns = Columns {
            spans: call.columns,
            lo,
            width: w,
            inside,
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
                for (ch, o) in o.iter_mut().enumerate() {
                    let mut acc = 0.0f32;
                    for j in span.first()..span.end() {
                        let weight = span.weight(j) as f32;
                        let value = if columns.inside {
                            sums[(j as usize - lo) * c + ch]
                        } else {
                            match columns.padding.index(j, columns.width) {
                                Some(x) => sums[x * c + ch],
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
