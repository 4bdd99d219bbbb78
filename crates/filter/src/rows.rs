//! Rows derived from source rows (filtered, summed or padded), kept for as
//! long as a sliding window of output rows needs them.

use geom::Padding;

/// For each index `i` of an axis extended by `before` and `after` cells, the
/// in-image index it reads (`None`: the constant).
pub(crate) fn axis_map(
    padding: Padding,
    len: usize,
    before: usize,
    after: usize,
) -> Vec<Option<usize>> {
    (0..len + before + after)
        .map(|i| padding.index(i as i64 - before as i64, len))
        .collect()
}

/// Derived rows, one per *key* (a source row `0..rows`, or `rows` for the
/// row made entirely of the padding constant), looked up by *padded row
/// index* `p` as a window slides down the image.
///
/// When the window is shorter than the image it is a ring of `window` slots
/// (slot `p % window`): the rows of any `window` consecutive padded indices
/// sit in distinct slots, and a row is recomputed only when its slot held
/// another key. Otherwise every key has its own slot, so memory never
/// exceeds one derived row per source row plus the constant row, however
/// large the kernel.
pub(crate) struct RowCache<E> {
    row_len: usize,
    /// Distance between slots: `row_len` rounded up to a whole cache line.
    stride: usize,
    /// Where slot 0 starts in `data`: chosen so that element `aligned` of
    /// every slot sits on a cache-line boundary.
    base: usize,
    data: Vec<E>,
    keys: Vec<usize>,
    slots: usize,
    by_key: bool,
}

impl<E: Copy + Default> RowCache<E> {
    /// Room for a window of `window` padded rows over `rows` source rows,
    /// each row's element `aligned` on a cache line (the first element of
    /// the image part of a padded row, so its stores and most of its loads
    /// stay within one line).
    pub(crate) fn new(row_len: usize, window: usize, rows: usize, aligned: usize) -> Self {
        let by_key = window > rows;
        let slots = if by_key { rows + 1 } else { window.max(1) };
        let line = line_len::<E>();
        let stride = row_len.div_ceil(line) * line;
        let data = vec![E::default(); slots * stride + line];
        let base = aligned_start(&data, aligned);
        RowCache {
            row_len,
            stride,
            base,
            data,
            keys: vec![usize::MAX; slots],
            slots,
            by_key,
        }
    }

    /// Makes sure the row for padded index `p`, whose content is that of
    /// `key`, is present (computing it with `make(key, row)` if not) and
    /// returns its slot.
    #[inline]
    pub(crate) fn fill(
        &mut self,
        p: usize,
        key: usize,
        make: impl FnOnce(usize, &mut [E]),
    ) -> usize {
        let slot = if self.by_key { key } else { p % self.slots };
        if self.keys[slot] != key {
            let start = self.base + slot * self.stride;
            make(key, &mut self.data[start..start + self.row_len]);
            self.keys[slot] = key;
        }
        slot
    }

    /// The row in `slot`.
    #[inline]
    pub(crate) fn row(&self, slot: usize) -> &[E] {
        let start = self.base + slot * self.stride;
        &self.data[start..start + self.row_len]
    }
}

/// The key of padded row `p` of an axis of `rows` rows extended by `before`.
#[inline]
pub(crate) fn row_key(padding: Padding, p: usize, before: usize, rows: usize) -> usize {
    padding
        .index(p as i64 - before as i64, rows)
        .unwrap_or(rows)
}

/// A row of `f32` whose element `aligned` starts on a cache line: the
/// padded source row of a filter, placed so the image part (after the
/// left padding) is written and read with whole-line vector accesses
/// instead of accesses that straddle two lines.
pub(crate) struct AlignedRow {
    data: Vec<f32>,
    start: usize,
    len: usize,
}

impl AlignedRow {
    /// A zeroed row of `len` floats whose element `aligned` is on a line.
    pub(crate) fn new(len: usize, aligned: usize) -> Self {
        let data = vec![0.0f32; len + line_len::<f32>()];
        let start = aligned_start(&data, aligned);
        AlignedRow { data, start, len }
    }

    /// The row.
    #[inline]
    pub(crate) fn row(&self) -> &[f32] {
        &self.data[self.start..self.start + self.len]
    }

    /// The row, writable.
    #[inline]
    pub(crate) fn row_mut(&mut self) -> &mut [f32] {
        &mut self.data[self.start..self.start + self.len]
    }
}

/// Elements of `E` in a 64-byte cache line.
fn line_len<E>() -> usize {
    (64 / std::mem::size_of::<E>().max(1)).max(1)
}

/// Where in `data` (less than one line in) a row must start for its
/// element `aligned` to sit on a cache line; `data` has a line to spare.
fn aligned_start<E>(data: &[E], aligned: usize) -> usize {
    let line = line_len::<E>();
    let first_line = data.as_ptr().align_offset(64).min(line);
    (first_line + line - aligned % line) % line
}
