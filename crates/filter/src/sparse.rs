//! 2-D convolution with a sparse kernel (motion and directional blur).
//!
//! Specification: the source is extended by the padding rule (as in
//! `separable`), converted to `f32`, and
//! `out[y][x·c + ch] = T::from_f32(Σ_taps w · P(x + dx, y + dy)[ch])`,
//! taps in the kernel's order (row by row, left to right), summed as a
//! weighted sum of shifted rows (`kernels::scalar`). Cost per pixel is the
//! number of taps.

use crate::element::{Filter, Sample};
use crate::kernels::{self, Term};
use crate::rows::{RowCache, axis_map, row_key};
use crate::weights::Kernel2d;
use geom::{ImageView, ImageViewMut, Isa, Padding};

/// Convolution with a sparse 2-D kernel as a [`Filter`].
pub(crate) struct Sparse<'a> {
    pub isa: Isa,
    pub kernel: &'a Kernel2d,
    pub padding: Padding,
}

impl Filter for Sparse<'_> {
    fn apply<T: Sample>(&self, src: ImageView<'_, T>, dst: ImageViewMut<'_, T>) {
        convolve_2d_into(self.isa, src, dst, self.kernel, self.padding);
    }
}

fn convolve_2d_into<T: Sample>(
    isa: Isa,
    src: ImageView<'_, T>,
    mut dst: ImageViewMut<'_, T>,
    kernel: &Kernel2d,
    padding: Padding,
) {
    let (w, h, c) = (src.width(), src.height(), src.channels());
    let (rx, ry) = (kernel.radius_x(), kernel.radius_y());
    let map = axis_map(padding, w, rx, rx);
    let fill = padding.constant().unwrap_or(0.0);
    let padded_len = (w + 2 * rx) * c;
    let window = 2 * ry + 1;
    let mut cache = RowCache::<f32>::new(padded_len, window, h);
    let mut slots = vec![0usize; window];
    let mut scratch = Vec::new();
    for y in 0..h {
        for (t, slot) in slots.iter_mut().enumerate() {
            let key = row_key(padding, y + t, ry, h);
            *slot = cache.fill(y + t, key, |key, out| {
                if key < h {
                    kernels::pad_row(isa, src.row(key), c, &map, rx, fill, out);
                } else {
                    out.fill(fill);
                }
            });
        }
        let terms: Vec<Term<'_>> = kernel
            .taps()
            .iter()
            .map(|tap| {
                let row = cache.row(slots[(tap.dy + ry as i32) as usize]);
                Term {
                    src: &row[(tap.dx + rx as i32) as usize * c..],
                    weight: tap.weight,
                }
            })
            .collect();
        kernels::weighted_sum(isa, &terms, &mut scratch, dst.row_mut(y));
    }
}
