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
//! The FFT path (`crate::fft`) computes the same two passes by circular
//! convolution of the padded rows and columns and matches them within float
//! noise, not bit for bit.

use crate::axis::Axis;
use crate::element::{Filter, Sample};
use crate::fft;
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
        let padded = self.padded.row();
        let terms: Vec<Term<'_>> = self
            .axis
            .weights
            .iter()
            .enumerate()
            .map(|(t, &weight)| Term {
                src: &padded[t * c..],
                weight,
            })
            .collect();
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
    let mut horizontal = Horizontal::new(isa, src, x, padding);
    let mut scratch = Vec::new();

    if !fft_x && !fft_y {
        // Streaming: horizontal rows enter a window as the output rows
        // advance, GROUP output rows at a time.
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
        return;
    }

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

/// Output rows handed to the vertical pass together (they share input
/// loads): the AVX-512 kernel's group (`kernels::generic`), two groups on
/// the paths with narrower register files.
const GROUP: usize = 8;
