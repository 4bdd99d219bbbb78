//! The vertical pass by FFT: the horizontal results transposed into column
//! signals (two columns per complex signal), padded down the rows by the
//! padding rule, transformed in blocks and stored.

use super::horizontal::{BATCH_ROWS, Batch};
use super::plan::{C, Plan, good_size, plan};
use crate::axis::Axis;
use crate::element::Sample;
use crate::kernels;
use geom::{ImageViewMut, Isa, Padding};
use std::cell::Cell;
use std::sync::Arc;

/// Column pairs transformed per call of the vertical pass (keeps the
/// working set in L2).
const PAIRS: usize = 16;

/// Columns per call of the vertical pass.
const BLOCK: usize = 2 * PAIRS;

/// Column signals kept between calls, per thread, up to this many values
/// (16 MiB, enough for 1024x768 RGB at σ = 30); a larger buffer is freed
/// after its call, so a pool of threads holds at most 16 MiB each.
const KEPT_VALUES: usize = 1 << 21;

thread_local! {
    /// The column signals of this thread's last vertical pass, for the
    /// next one: a fresh buffer is 12 MB for 1024x768 RGB at σ = 30, and
    /// allocating, faulting in and zeroing it on every call cost time.
    static SPARE_COLUMNS: Cell<Vec<C>> = const { Cell::new(Vec::new()) };
}

/// A buffer of `len` values whose contents are unspecified: every value
/// a transform reads is written first (the rows, the padding, and the
/// zeros after them, in [`Columns::pad`]).
fn column_buffer(len: usize) -> Vec<C> {
    let mut data = SPARE_COLUMNS.with(Cell::take);
    if data.len() >= len {
        data.truncate(len);
    } else {
        data.resize(len, C::new(0.0, 0.0));
    }
    data
}

/// Hands `data` back for the next call on this thread.
fn keep_columns(data: Vec<C>) {
    if data.capacity() <= KEPT_VALUES {
        SPARE_COLUMNS.with(|spare| spare.set(data));
    }
}

/// The intermediate handed to [`vertical`], already in the shape the column
/// transforms want: columns `2q` and `2q + 1` as one complex signal down the
/// padded rows (the padding rule applied, then zeros up to the transform
/// length `n`), each in its own segment of `data`, so the column transforms
/// run in place.
pub(crate) struct Columns {
    data: Vec<C>,
    plan: Arc<Plan>,
    row_len: usize,
    height: usize,
    /// Padded rows ahead of the image (the kernel's `before`).
    before: usize,
    /// The key (source row, or `height` for the constant row) of every
    /// padded row.
    keys: Vec<usize>,
    /// The horizontal pass of the constant row, per column pair.
    constant: Vec<C>,
    /// Rows given one at a time and not yet written: consecutive keys
    /// from `first`.
    pending: Vec<f32>,
    first: usize,
    count: usize,
}

impl Columns {
    /// Room for `height` rows of `row_len` values, padded for `axis` by
    /// `padding`.
    pub(crate) fn new(
        isa: Isa,
        row_len: usize,
        height: usize,
        axis: Axis<'_>,
        padding: Padding,
    ) -> Self {
        let len = height + axis.weights.len() - 1;
        let plan = plan(isa, good_size(len));
        let pairs = row_len.div_ceil(2);
        Columns {
            data: column_buffer(pairs * plan.n),
            plan,
            row_len,
            height,
            before: axis.before,
            keys: (0..len)
                .map(|p| crate::rows::row_key(padding, p, axis.before, height))
                .collect(),
            constant: vec![C::new(0.0, 0.0); pairs],
            pending: vec![0.0; BATCH_ROWS * row_len],
            first: 0,
            count: 0,
        }
    }

    /// Stores row `key` (`height`: the constant row); rows are cheapest
    /// given in increasing order.
    pub(crate) fn put(&mut self, key: usize, values: &[f32]) {
        let len = self.row_len;
        if key >= self.height {
            for (q, z) in self.constant.iter_mut().enumerate() {
                let im = if 2 * q + 1 < len {
                    values[2 * q + 1]
                } else {
                    0.0
                };
                *z = C::new(values[2 * q], im);
            }
            return;
        }
        if self.count > 0 && key != self.first + self.count {
            self.flush();
        }
        if self.count == 0 {
            self.first = key;
        }
        let at = self.count * len;
        self.pending[at..at + len].copy_from_slice(&values[..len]);
        self.count += 1;
        if self.count == BATCH_ROWS {
            self.flush();
        }
    }

    /// Writes the pending rows into their column signals.
    fn flush(&mut self) {
        let (first, count, len, n) = (self.first, self.count, self.row_len, self.plan.n);
        let at = self.before + first;
        for (q, column) in self.data.chunks_exact_mut(n).enumerate() {
            let out = &mut column[at..at + count];
            for (z, row) in out.iter_mut().zip(self.pending.chunks_exact(len)) {
                let im = if 2 * q + 1 < len { row[2 * q + 1] } else { 0.0 };
                *z = C::new(row[2 * q], im);
            }
        }
        self.count = 0;
    }

    /// Stores a batch of the FFT horizontal pass.
    pub(crate) fn put_batch(&mut self, isa: Isa, batch: &Batch<'_>) {
        let (len, n) = (self.row_len, self.plan.n);
        let at = self.before + batch.y0;
        let data = &mut self.data;
        kernels::on_isa(
            isa,
            #[inline(always)]
            || scatter(batch, data, n, at, len),
        );
    }

    /// Writes out what is pending.
    pub(crate) fn finish(mut self) -> Self {
        if self.count > 0 {
            self.flush();
        }
        self
    }

    /// Fills the padded rows of the column signals in `block` (column
    /// pairs from `q0`), just before they are transformed.
    fn pad(&self, q0: usize, block: &mut [C]) {
        let (n, before, h) = (self.plan.n, self.before, self.height);
        let (head, tail) = self.keys.split_at(before);
        let tail = &tail[h..];
        for (column, &constant) in block.chunks_exact_mut(n).zip(&self.constant[q0..]) {
            let mut fill = |p: usize, key: usize| {
                column[p] = if key < h {
                    column[before + key]
                } else {
                    constant
                };
            };
            // Two loops, not one over a chain: the chained form measured
            // 2-3% slower on a σ = 30 blur.
            for (p, &key) in head.iter().enumerate() {
                fill(p, key);
            }
            for (p, &key) in tail.iter().enumerate() {
                fill(before + h + p, key);
            }
            column[self.keys.len()..].fill(C::new(0.0, 0.0));
        }
    }
}

/// Writes `batch` into the column segments (length `n`) of `columns`, rows
/// from `at` (always inlined, so [`crate::kernels::on_isa`] compiles it for the path).
#[inline(always)]
fn scatter(batch: &Batch<'_>, columns: &mut [C], n: usize, at: usize, len: usize) {
    let (c, count, bn, start, data) = (
        batch.channels,
        batch.count,
        batch.stride,
        batch.start,
        batch.data,
    );
    // Element e = x·c + ch is pixel x, channel ch.
    let (mut x, mut ch) = (0usize, 0usize);
    for (q, column) in columns.chunks_exact_mut(n).enumerate() {
        let out = &mut column[at..at + count];
        let first = (ch * bn) + start + x;
        ch += 1;
        if ch == c {
            ch = 0;
            x += 1;
        }
        let second = (2 * q + 1 < len).then(|| (ch * bn) + start + x);
        ch += 1;
        if ch == c {
            ch = 0;
            x += 1;
        }
        for (j, rows) in out.chunks_mut(2).enumerate() {
            let offset = j * c * bn;
            let a = data[offset + first];
            let b = match second {
                Some(s) => data[offset + s],
                None => C::new(0.0, 0.0),
            };
            rows[0] = C::new(a.re, b.re);
            if let Some(z) = rows.get_mut(1) {
                *z = C::new(a.im, b.im);
            }
        }
    }
}

/// Vertical pass by FFT: `columns` holds the horizontal pass of every
/// source row and of the constant row (from [`Columns::finish`]); writes
/// `dst`.
pub(crate) fn vertical<T: Sample>(
    isa: Isa,
    mut columns: Columns,
    axis: Axis<'_>,
    mut dst: ImageViewMut<'_, T>,
) {
    let (h, row_len) = (dst.height(), columns.row_len);
    let plan = columns.plan.clone();
    let n = plan.n;
    let spectrum = plan.kernel_spectrum(axis.weights, axis.before);
    let mut scratch = vec![C::new(0.0, 0.0); plan.scratch_len()];
    // Results of one block, row by row, before the conversion to `T`.
    let mut tile = vec![0.0f32; h * BLOCK];
    let mut data = std::mem::take(&mut columns.data);
    for (b, block) in data.chunks_mut(PAIRS * n).enumerate() {
        let e0 = b * BLOCK;
        let cols = (row_len - e0).min(BLOCK);
        columns.pad(b * PAIRS, block);
        plan.convolve(isa, block, &spectrum, &mut scratch);
        let rows = dst.rows_mut().map(|row| &mut row[e0..e0 + cols]);
        kernels::on_isa(
            isa,
            #[inline(always)]
            || store_block(block, n, axis.before, &mut tile, rows),
        );
    }
    keep_columns(data);
}

/// Writes the results in the column segments (length `n`, rows from
/// `before`) of `block` to the output rows, through `tile` (always inlined,
/// so [`crate::kernels::on_isa`] compiles it for the path).
#[inline(always)]
fn store_block<'a, T: Sample + 'a>(
    block: &[C],
    n: usize,
    before: usize,
    tile: &mut [f32],
    rows: impl Iterator<Item = &'a mut [T]>,
) {
    let h = tile.len() / BLOCK;
    for (chunk, tile_rows) in tile.chunks_mut(8 * BLOCK).enumerate() {
        for (p, segment) in block.chunks_exact(n).enumerate() {
            let valid = &segment[before + chunk * 8..before + h];
            for (row, z) in tile_rows.chunks_exact_mut(BLOCK).zip(valid) {
                row[2 * p] = z.re;
                row[2 * p + 1] = z.im;
            }
        }
    }
    for (row, out) in tile.chunks_exact(BLOCK).zip(rows) {
        let cols = out.len();
        T::store_row(&row[..cols], out);
    }
}
