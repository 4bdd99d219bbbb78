//! Separable convolution: rows, then columns, through an `f32` intermediate.
//!
//! Specification (what the scalar path computes, and every path equals):
//!
//! 1. The source is extended by the padding rule to a padded image `P`
//!    (`radius_x` columns and `radius_y` rows each side; reads that the rule
//!    does not map into the image, and only those, take the `Constant` value).
//! 2. Horizontal pass, for every padded row: `H[e] = Σ_t kx[t] · P[e + c·t]`,
//!    `t = 0 ..= 2·radius_x` left to right, as a weighted sum of shifted rows
//!    (`kernels::scalar`): `f32`, one fused multiply-add per tap, never
//!    rounded to the sample type.
//! 3. Vertical pass: `out[y][e] = T::from_f32(Σ_t ky[t] · H[y + t][e])`,
//!    `t` top to bottom, same arithmetic.
//!
//! `u8` sources with both passes direct take the passes the other way
//! round (`columns_first`): the vertical pass of `P`'s columns,
//! `V[y][e] = Σ_t ky[t] · P[y + t][e]` over the padded width, then
//! `out[y][e] = u8::from_f32(Σ_t kx[t] · V[y][e + c·t])`, same arithmetic.
//! Both orders are within 0.501 LSB of the exact value; this one reads the
//! source's bytes straight into the vertical sums and keeps one `f32` row
//! per output in flight, where rows first keep a window of `f32` rows.
//!
//! The FFT path (`crate::fft`) computes the same two passes by circular
//! convolution of the padded rows and columns and matches them within float
//! noise, not bit for bit.

use crate::axis::Axis;
use crate::element::{Filter, Sample};
use crate::fft;
use crate::kernels::columns::Bytes;
use crate::kernels::{self, Term};
use crate::rows::{AlignedRow, RowCache, axis_map, row_key};
use geom::{ImageView, ImageViewMut, Isa, Padding};

/// Computes padded-row horizontal passes into caller-provided rows.
struct Horizontal<'a, T> {
    isa: Isa,
    src: ImageView<'a, T>,
    axis: Axis<'a>,
    map: Vec<Option<usize>>,
    fill: f32,
    padded: AlignedRow,
    scratch: Vec<f32>,
}

impl<'a, T: Sample> Horizontal<'a, T> {
    fn new(isa: Isa, src: ImageView<'a, T>, axis: Axis<'a>, padding: Padding) -> Self {
        let (w, c) = (src.width(), src.channels());
        Horizontal {
            isa,
            src,
            axis,
            map: axis_map(padding, w, axis.before, axis.after()),
            fill: padding.constant().unwrap_or(0.0),
            padded: AlignedRow::new((w + axis.weights.len() - 1) * c, axis.before * c),
            scratch: Vec::new(),
        }
    }

    /// The horizontal pass of source row `key` (or of the constant row when
    /// `key == height`) into `out`.
    fn row(&mut self, key: usize, out: &mut [f32]) {
        let c = self.src.channels();
        if key < self.src.height() {
            let row = self.src.row(key);
            kernels::pad_row(
                self.isa,
                row,
                c,
                &self.map,
                self.axis.before,
                self.fill,
                self.padded.row_mut(),
            );
        } else {
            self.padded.row_mut().fill(self.fill);
        }
        let terms = shifted_terms(self.padded.row(), self.axis.weights, c);
        kernels::weighted_sum(self.isa, &terms, &mut self.scratch, out);
    }
}

/// Separable convolution as a [`Filter`].
pub(crate) struct Separable<'a> {
    pub isa: Isa,
    pub x: Axis<'a>,
    pub y: Axis<'a>,
    pub padding: Padding,
}

impl Filter for Separable<'_> {
    fn apply<T: Sample>(&self, src: ImageView<'_, T>, dst: ImageViewMut<'_, T>) {
        convolve(self.isa, src, dst, self.x, self.y, self.padding);
    }
}

/// Separable convolution of `src` into `dst` (shapes already checked equal,
/// kernels finite and within the radius limit, padding constant finite).
pub(crate) fn convolve<T: Sample>(
    isa: Isa,
    src: ImageView<'_, T>,
    mut dst: ImageViewMut<'_, T>,
    x: Axis<'_>,
    y_axis: Axis<'_>,
    padding: Padding,
) {
    let (h, row_len) = (src.height(), src.width() * src.channels());
    let (ky, ry) = (y_axis.weights, y_axis.before);
    let fft_x = x.uses_fft(isa);
    let fft_y = y_axis.uses_fft(isa);
    if !fft_x && !fft_y {
        let bytes = T::as_u8_view(src);
        let dst = match bytes {
            Some(src) => match T::as_u8_view_mut(dst) {
                Ok(dst) => return columns_first(isa, src, dst, x, y_axis, padding),
                Err(dst) => dst,
            },
            None => dst,
        };
        return rows_first(isa, src, dst, x, y_axis, padding);
    }
    let mut horizontal = Horizontal::new(isa, src, x, padding);
    let mut scratch = Vec::new();
    // Whole intermediate: row `h` is the horizontal pass of the constant row.
    let constant = padding.constant().is_some();
    if fft_y {
        let mut columns = fft::Columns::new(row_len, h, y_axis, padding);
        let mut row = vec![0.0f32; row_len];
        if fft_x {
            fft::horizontal(isa, src, x, padding, |batch| columns.put_batch(isa, batch));
        } else {
            for y in 0..h {
                horizontal.row(y, &mut row);
                columns.put(y, &row);
            }
        }
        if constant {
            horizontal.row(h, &mut row);
            columns.put(h, &row);
        }
        fft::vertical(isa, columns, y_axis, dst);
        return;
    }
    let mut inter = vec![0.0f32; (h + 1) * row_len];
    fft::horizontal(isa, src, x, padding, |batch| {
        for r in 0..batch.count {
            let y = batch.y0 + r;
            batch.row(r, &mut inter[y * row_len..(y + 1) * row_len]);
        }
    });
    if constant {
        horizontal.row(h, &mut inter[h * row_len..]);
    }
    let mut dst_rows = dst.rows_mut();
    for y in (0..h).step_by(GROUP) {
        let count = GROUP.min(h - y);
        let rows: Vec<&[f32]> = (0..ky.len() + count - 1)
            .map(|t| {
                let key = row_key(padding, y + t, ry, h);
                &inter[key * row_len..(key + 1) * row_len]
            })
            .collect();
        let mut outs: Vec<&mut [T]> = dst_rows.by_ref().take(count).collect();
        kernels::vertical_rows(isa, &rows, ky, &mut scratch, &mut outs);
    }
}

/// Both passes direct, rows first: horizontal rows enter a window as the
/// output rows advance, [`GROUP`] output rows at a time.
fn rows_first<T: Sample>(
    isa: Isa,
    src: ImageView<'_, T>,
    mut dst: ImageViewMut<'_, T>,
    x: Axis<'_>,
    y_axis: Axis<'_>,
    padding: Padding,
) {
    let (h, row_len) = (src.height(), src.width() * src.channels());
    let (ky, ry) = (y_axis.weights, y_axis.before);
    let mut horizontal = Horizontal::new(isa, src, x, padding);
    let mut scratch = Vec::new();
    let window = ky.len() + GROUP - 1;
    let mut cache = RowCache::<f32>::new(row_len, window, h, 0);
    let mut slots = vec![0usize; window];
    // One iterator over the output rows: `rows_mut().skip(y)` would walk
    // y rows again for every group.
    let mut dst_rows = dst.rows_mut();
    for y in (0..h).step_by(GROUP) {
        let count = GROUP.min(h - y);
        let needed = ky.len() + count - 1;
        for (t, slot) in slots.iter_mut().enumerate().take(needed) {
            let key = row_key(padding, y + t, ry, h);
            *slot = cache.fill(y + t, key, |key, out| horizontal.row(key, out));
        }
        let rows: Vec<&[f32]> = slots[..needed].iter().map(|&s| cache.row(s)).collect();
        let mut outs: Vec<&mut [T]> = dst_rows.by_ref().take(count).collect();
        kernels::vertical_rows(isa, &rows, ky, &mut scratch, &mut outs);
    }
}

/// Both passes direct on `u8`, columns first (the module docs): each group
/// of output rows sums its source rows into `f32` rows padded like `P`'s,
/// then each such row takes the horizontal pass into the output. With the
/// bytes kernels (AVX2) the source rows are read as bytes, four or six
/// outputs at a time ([`Bytes::group`]); otherwise they are converted to
/// `f32` once each into a window, as in [`rows_first`].
fn columns_first(
    isa: Isa,
    src: ImageView<'_, u8>,
    mut dst: ImageViewMut<'_, u8>,
    x: Axis<'_>,
    y_axis: Axis<'_>,
    padding: Padding,
) {
    let (w, h, c) = (src.width(), src.height(), src.channels());
    let row_len = w * c;
    let (ky, ry) = (y_axis.weights, y_axis.before);
    let fill = padding.constant().unwrap_or(0.0);
    // The bytes kernel reads a constant row as bytes: only for a fill that
    // is one.
    let fill_byte = (fill.fract() == 0.0 && (0.0..=255.0).contains(&fill)).then_some(fill as u8);
    let bytes = Bytes::new(isa).filter(|_| fill_byte.is_some());
    let group = if bytes.is_some() {
        Bytes::group(ky.len())
    } else {
        GROUP
    };
    let map = axis_map(padding, w, x.before, x.after());
    // A column the rule maps nowhere is the fill in every row of `P`, so
    // its vertical sum is one value for the whole image.
    let fill_sum = ky.iter().fold(0.0f32, |s, &k| k.mul_add(fill, s));
    let before = x.before * c;
    let padded_len = (w + x.weights.len() - 1) * c;
    let mut sums: Vec<AlignedRow> = (0..group)
        .map(|_| AlignedRow::new(padded_len, before))
        .collect();
    let fill_row = vec![fill_byte.unwrap_or(0); row_len];
    let window = ky.len() + group - 1;
    let mut cache = RowCache::<f32>::new(row_len, if bytes.is_some() { 0 } else { window }, h, 0);
    let mut slots = vec![0usize; window];
    let mut scratch = Vec::new();
    let mut byte_rows: Vec<&[u8]> = Vec::with_capacity(window);
    let mut dst_rows = dst.rows_mut();
    for y in (0..h).step_by(group) {
        let count = group.min(h - y);
        let needed = ky.len() + count - 1;
        let keys = (0..needed).map(|t| row_key(padding, y + t, ry, h));
        let mut outs: Vec<&mut [f32]> = sums
            .iter_mut()
            .take(count)
            .map(|row| &mut row.row_mut()[before..before + row_len])
            .collect();
        match bytes {
            Some(kernel) => {
                byte_rows.clear();
                byte_rows
                    .extend(keys.map(|key| if key < h { src.row(key) } else { &fill_row[..] }));
                kernel.vertical(&byte_rows, ky, &mut outs);
            }
            None => {
                for (t, (slot, key)) in slots.iter_mut().zip(keys).enumerate() {
                    *slot = cache.fill(y + t, key, |key, out| {
                        if key < h {
                            kernels::on_isa(isa, || u8::load_row(src.row(key), out));
                        } else {
                            out.fill(fill);
                        }
                    });
                }
                let rows: Vec<&[f32]> = slots[..needed].iter().map(|&s| cache.row(s)).collect();
                kernels::vertical_rows(isa, &rows, ky, &mut scratch, &mut outs);
            }
        }
        for (sum, out) in sums.iter_mut().zip(dst_rows.by_ref().take(count)) {
            pad_columns(sum.row_mut(), &map, (c, x.before, w), fill_sum);
            let padded = sum.row();
            match bytes {
                Some(kernel) => kernel.horizontal(padded, x.weights, c, out),
                None => {
                    let terms = shifted_terms(padded, x.weights, c);
                    kernels::weighted_sum(isa, &terms, &mut scratch, out);
                }
            }
        }
    }
}

/// The terms of a horizontal pass over a padded row: tap `t` reads the row
/// from pixel `t` on (`channels` values per pixel).
fn shifted_terms<'a>(padded: &'a [f32], weights: &[f32], channels: usize) -> Vec<Term<'a>> {
    weights
        .iter()
        .enumerate()
        .map(|(t, &weight)| Term {
            src: &padded[t * channels..],
            weight,
        })
        .collect()
}

/// Fills the padding columns of a row of vertical sums laid out like `P`'s
/// rows (`map`, one entry per padded pixel, from `axis_map`; the image's
/// `width` pixels start at pixel `before`): the sums of the pixel the rule
/// maps each to, or `fill_sum` where it maps nowhere.
fn pad_columns(
    padded: &mut [f32],
    map: &[Option<usize>],
    (c, before, width): (usize, usize, usize),
    fill_sum: f32,
) {
    let pads = (0..before).chain(before + width..map.len());
    for (i, source) in pads.zip(map[..before].iter().chain(&map[before + width..])) {
        let at = i * c;
        match *source {
            Some(x) => padded.copy_within((before + x) * c..(before + x + 1) * c, at),
            None => padded[at..at + c].fill(fill_sum),
        }
    }
}

/// Output rows handed to the vertical pass together (they share input
/// loads): the AVX-512 kernel's group (`kernels::generic`), two groups on
/// the paths with narrower register files.
const GROUP: usize = 8;
