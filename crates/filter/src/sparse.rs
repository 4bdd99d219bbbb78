//! 2-D convolution with a sparse kernel (motion and directional blur).
//!
//! Specification: the source is extended by the padding rule (as in
//! `separable`), converted to `f32`, and
//! `out[y][x·c + ch] = T::from_f32(Σ_taps w · P(x + dx, y + dy)[ch])`,
//! taps in the kernel's order (row by row, left to right), summed as a
//! weighted sum of shifted rows (`kernels::scalar`). Cost per pixel is the
//! number of taps.
//!
//! Output rows are computed in pairs: the taps of a line kernel sit at the
//! same column in consecutive rows, which the upper output reads at `dy`
//! and the lower at `dy - 1` from the same padded row, so a pair loads each
//! such column once (`kernels::weighted_sum_pair`; 19 loads per output
//! vector instead of 25 for `L = 15` at 30°). Each output still sums its
//! own taps in the kernel's order, so the bits are those of single rows.

use crate::element::{Filter, Sample};
use crate::kernels::{self, SharedTerm, Term};
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
    // Output rows go in pairs: row y reads padded rows y .. y + 2·ry, row
    // y + 1 one further.
    let window = 2 * ry + 2;
    let mut cache = RowCache::<f32>::new(padded_len, window, h, rx * c);
    let mut slots = vec![0usize; window];
    let mut scratch = Vec::new();
    let schedule = pair_schedule(kernel);
    let mut dst_rows = dst.rows_mut();
    for y in (0..h).step_by(2) {
        let count = 2.min(h - y);
        for (t, slot) in slots.iter_mut().enumerate().take(window - 2 + count) {
            let key = row_key(padding, y + t, ry, h);
            *slot = cache.fill(y + t, key, |key, out| {
                if key < h {
                    kernels::pad_row(isa, src.row(key), c, &map, rx, fill, out);
                } else {
                    out.fill(fill);
                }
            });
        }
        let column = |dx: i32| (dx + rx as i32) as usize * c;
        if count == 2 {
            let shared: Vec<SharedTerm<'_>> = schedule
                .iter()
                .map(|step| SharedTerm {
                    src: &cache.row(slots[step.row])[column(step.dx)..],
                    weights: step.weights,
                })
                .collect();
            let (Some(top), Some(bottom)) = (dst_rows.next(), dst_rows.next()) else {
                return;
            };
            kernels::weighted_sum_pair(isa, &shared, &mut scratch, [top, bottom]);
        } else {
            let terms: Vec<Term<'_>> = kernel
                .taps()
                .iter()
                .map(|tap| Term {
                    src: &cache.row(slots[(tap.dy + ry as i32) as usize])[column(tap.dx)..],
                    weight: tap.weight,
                })
                .collect();
            let Some(out) = dst_rows.next() else {
                return;
            };
            kernels::weighted_sum(isa, &terms, &mut scratch, out);
        }
    }
}

/// One shared load of a pair of output rows: window row `row` (0 is the
/// upper output's top row) at column offset `dx`, and its weight in each
/// output.
struct PairStep {
    row: usize,
    dx: i32,
    weights: [Option<f32>; 2],
}

/// The loads of a pair of output rows, window row by window row and left
/// to right: the upper output takes tap `(dx, dy)` from window row
/// `dy + ry`, the lower from `dy + ry + 1`, so each output meets its taps
/// in the kernel's order (row by row, left to right) and a column both
/// outputs read in a window row is loaded once.
fn pair_schedule(kernel: &Kernel2d) -> Vec<PairStep> {
    let ry = kernel.radius_y() as i32;
    let mut steps: Vec<PairStep> = Vec::with_capacity(2 * kernel.taps().len());
    for row in 0..=2 * ry + 1 {
        let upper = kernel.taps().iter().filter(|t| t.dy + ry == row);
        let lower = kernel.taps().iter().filter(|t| t.dy + ry + 1 == row);
        let mut merged: Vec<PairStep> = upper
            .map(|t| PairStep {
                row: row as usize,
                dx: t.dx,
                weights: [Some(t.weight), None],
            })
            .collect();
        for t in lower {
            match merged
                .iter_mut()
                .find(|s| s.dx == t.dx && s.weights[1].is_none())
            {
                Some(step) => step.weights[1] = Some(t.weight),
                None => merged.push(PairStep {
                    row: row as usize,
                    dx: t.dx,
                    weights: [None, Some(t.weight)],
                }),
            }
        }
        // Stable: taps of one output at one column keep their order.
        merged.sort_by_key(|s| s.dx);
        steps.extend(merged);
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::weights::Tap;
    use crate::{directional_kernel, motion_kernel};

    /// Output `k`'s taps as the pair schedule gives them: `(dx, dy, weight)`.
    fn taps_of(kernel: &Kernel2d, k: usize) -> Vec<(i32, i32, u32)> {
        let ry = kernel.radius_y() as i32;
        pair_schedule(kernel)
            .iter()
            .filter_map(|s| s.weights[k].map(|w| (s.dx, s.row as i32 - ry - k as i32, w.to_bits())))
            .collect()
    }

    /// Both outputs of a pair meet exactly the kernel's taps, in the
    /// kernel's order: the specification's order of summation. The scalar
    /// path takes its terms from the same schedule, so the path tests alone
    /// would not see a reordering.
    #[test]
    fn each_output_of_a_pair_takes_the_kernels_taps_in_order() -> crate::Result<()> {
        let mut kernels = vec![directional_kernel(4.0, 0.7, 33.0)?];
        for (length, angle) in [
            (15.0, 30.0),
            (15.0, 0.0),
            (9.0, 45.0),
            (21.0, 77.0),
            (7.0, -120.0),
        ] {
            kernels.push(motion_kernel(length, angle)?);
        }
        // Scattered taps, several in one row, negative weights.
        kernels.push(Kernel2d::from_taps(
            [
                (3, -2, 0.25),
                (-1, -2, 0.5),
                (0, 0, 1.0),
                (2, 1, -0.75),
                (-3, 1, 2.0),
                (0, 2, 0.125),
            ]
            .map(|(dx, dy, weight)| Tap { dx, dy, weight }),
        )?);
        for kernel in &kernels {
            let want: Vec<(i32, i32, u32)> = kernel
                .taps()
                .iter()
                .map(|t| (t.dx, t.dy, t.weight.to_bits()))
                .collect();
            assert_eq!(taps_of(kernel, 0), want, "upper output");
            assert_eq!(taps_of(kernel, 1), want, "lower output");
        }
        Ok(())
    }

    /// A line kernel's pair shares loads: 19 per output instead of 25 for
    /// `L = 15` at 30°, the figure the module's documentation gives.
    #[test]
    fn a_pair_of_rows_shares_loads() -> crate::Result<()> {
        let kernel = motion_kernel(15.0, 30.0)?;
        assert_eq!(kernel.taps().len(), 25);
        assert_eq!(pair_schedule(&kernel).len(), 2 * 19);
        Ok(())
    }
}
