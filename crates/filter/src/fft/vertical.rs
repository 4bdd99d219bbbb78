//! The vertical pass by FFT: the horizontal results, row by row, in strips
//! of 64 columns, each strip transformed down its rows 32 column pairs
//! at a time ([`super::lanes`]), then stored.

use super::horizontal::{BATCH_ROWS, Batch};
use super::lanes::{LANES, Row, lane_plan, lane_size};
use crate::axis::Axis;
use crate::element::Sample;
use crate::kernels;
use geom::{ImageViewMut, Isa, Padding};
use std::cell::Cell;

/// Columns per strip: column `e0 + k` is the real part of lane `k`, column
/// `e0 + 32 + k` its imaginary part.
const STRIP: usize = 2 * LANES;

/// Strip rows kept between calls, per thread, up to this many (16 MiB,
/// enough for 1024x768 RGB at σ = 30); a larger buffer is freed after its
/// call, so a pool of threads holds at most 16 MiB each.
const KEPT_ROWS: usize = 1 << 17;

thread_local! {
    /// The strips of this thread's last vertical pass, for the next one: a
    /// fresh buffer is 12 MB for 1024x768 RGB at σ = 30, and allocating,
    /// faulting in and zeroing it on every call cost time.
    static SPARE_STRIPS: Cell<Vec<Row>> = const { Cell::new(Vec::new()) };
}

/// A buffer of `len` rows whose contents are unspecified: every row a
/// transform reads is written first (the image rows, the padding, and the
/// zeros after them, in [`Columns::pad`]).
fn strip_buffer(len: usize) -> Vec<Row> {
    let mut data = SPARE_STRIPS.with(Cell::take);
    if data.len() >= len {
        data.truncate(len);
    } else {
        data.resize(len, Row::ZERO);
    }
    data
}

/// Hands `data` back for the next call on this thread.
fn keep_strips(data: Vec<Row>) {
    if data.capacity() <= KEPT_ROWS {
        SPARE_STRIPS.with(|spare| spare.set(data));
    }
}

/// Writes the strip row of `values` (a whole row of the intermediate) for
/// the strip of columns from `e0` to `out`; columns past the row are zero.
#[inline(always)]
fn put_strip_row(out: &mut Row, values: &[f32], e0: usize) {
    if let Some(whole) = values.get(e0..e0 + STRIP) {
        // The common case, as fixed-size copies.
        let (re, im) = whole.split_at(LANES);
        out.re = re.try_into().unwrap_or([0.0; LANES]);
        out.im = im.try_into().unwrap_or([0.0; LANES]);
        return;
    }
    *out = Row::ZERO;
    let part = &values[e0.min(values.len())..];
    let (re, im) = part.split_at(part.len().min(LANES));
    out.re[..re.len()].copy_from_slice(re);
    out.im[..im.len()].copy_from_slice(im);
}

/// The intermediate handed to [`vertical`], already in the shape the column
/// transforms want: strip `s` holds columns `64s .. 64s + 64` of every
/// padded row (the padding rule applied, then zeros up to the transform
/// length `n`), `n` rows in a segment of `data`, so the transforms run in
/// place.
pub(crate) struct Columns {
    data: Vec<Row>,
    n: usize,
    row_len: usize,
    height: usize,
    /// Padded rows ahead of the image (the kernel's `before`).
    before: usize,
    /// The key (source row, or `height` for the constant row) of every
    /// padded row.
    keys: Vec<usize>,
    /// The horizontal pass of the constant row, per strip.
    constant: Vec<Row>,
    /// The rows of a batch, in column order.
    rows: Vec<f32>,
}

impl Columns {
    /// Room for `height` rows of `row_len` values, padded for `axis` by
    /// `padding`.
    pub(crate) fn new(row_len: usize, height: usize, axis: Axis<'_>, padding: Padding) -> Self {
        let len = height + axis.weights.len() - 1;
        let n = lane_size(len);
        let strips = row_len.div_ceil(STRIP);
        Columns {
            data: strip_buffer(strips * n),
            n,
            row_len,
            height,
            before: axis.before,
            keys: (0..len)
                .map(|p| crate::rows::row_key(padding, p, axis.before, height))
                .collect(),
            constant: vec![Row::ZERO; strips],
            rows: vec![0.0; BATCH_ROWS * row_len],
        }
    }

    /// Stores row `key` (`height`: the constant row), in any order.
    pub(crate) fn put(&mut self, key: usize, values: &[f32]) {
        let values = &values[..self.row_len];
        if key >= self.height {
            for (s, row) in self.constant.iter_mut().enumerate() {
                put_strip_row(row, values, s * STRIP);
            }
            return;
        }
        let at = self.before + key;
        for (s, strip) in self.data.chunks_exact_mut(self.n).enumerate() {
            put_strip_row(&mut strip[at], values, s * STRIP);
        }
    }

    /// Stores a batch of the FFT horizontal pass: its rows in column order
    /// first, then each strip's rows of the batch, which lie together.
    pub(crate) fn put_batch(&mut self, isa: Isa, batch: &Batch<'_>) {
        let len = self.row_len;
        let rows = &mut self.rows[..batch.count * len];
        let at = self.before + batch.y0;
        let (data, n) = (&mut self.data, self.n);
        kernels::on_isa(
            isa,
            #[inline(always)]
            || {
                for (r, row) in rows.chunks_exact_mut(len).enumerate() {
                    batch.row(r, row);
                }
                for (s, strip) in data.chunks_exact_mut(n).enumerate() {
                    let out = &mut strip[at..at + batch.count];
                    for (o, row) in out.iter_mut().zip(rows.chunks_exact(len)) {
                        put_strip_row(o, row, s * STRIP);
                    }
                }
            },
        );
    }

    /// Fills the padded rows of strip `s` (`strip`), just before it is
    /// transformed.
    fn pad(&self, s: usize, strip: &mut [Row]) {
        let (before, h) = (self.before, self.height);
        let (head, tail) = self.keys.split_at(before);
        let tail = &tail[h..];
        let constant = self.constant[s];
        let mut fill = |p: usize, key: usize| {
            strip[p] = if key < h {
                strip[before + key]
            } else {
                constant
            };
        };
        for (p, &key) in head.iter().enumerate() {
            fill(p, key);
        }
        for (p, &key) in tail.iter().enumerate() {
            fill(before + h + p, key);
        }
        strip[self.keys.len()..].fill(Row::ZERO);
    }
}

/// Vertical pass by FFT: `columns` holds the horizontal pass of every
/// source row and of the constant row; writes `dst`.
pub(crate) fn vertical<T: Sample>(
    isa: Isa,
    mut columns: Columns,
    axis: Axis<'_>,
    mut dst: ImageViewMut<'_, T>,
) {
    let (n, row_len) = (columns.n, columns.row_len);
    let plan = lane_plan(n);
    let spectrum = plan.kernel_spectrum(axis.weights, axis.before);
    let mut data = std::mem::take(&mut columns.data);
    for (s, strip) in data.chunks_exact_mut(n).enumerate() {
        let e0 = s * STRIP;
        let cols = (row_len - e0).min(STRIP);
        columns.pad(s, strip);
        plan.convolve(isa, strip, &spectrum);
        let rows = dst.rows_mut().map(|row| &mut row[e0..e0 + cols]);
        kernels::on_isa(
            isa,
            #[inline(always)]
            || store_strip(&strip[axis.before..], rows),
        );
    }
    keep_strips(data);
}

/// Writes the rows of a transformed strip (from the first output row) to
/// the output rows (always inlined, so [`crate::kernels::on_isa`] compiles
/// it for the path).
#[inline(always)]
fn store_strip<'a, T: Sample + 'a>(strip: &[Row], rows: impl Iterator<Item = &'a mut [T]>) {
    for (row, out) in strip.iter().zip(rows) {
        let (re, im) = out.split_at_mut(out.len().min(LANES));
        T::store_row(&row.re, re);
        T::store_row(&row.im, im);
    }
}
