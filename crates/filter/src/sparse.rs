//! 2-D convolution with a sparse kernel (motion and directional blur).
//!
//! Specification: the source is extended by the padding rule (as in
//! `separable`), converted to `f32`, and
//! `out[y][x·c + ch] = T::from_f32(Σ_taps w · P(x + dx, y + dy)[ch])`,
//! taps in the kernel's order (row by row, left to right), summed as a
//! weighted sum of shifted rows (`kernels::scalar`). Cost per pixel is the
//! number of taps.
//!
//! Output rows are computed in groups: the taps of a line kernel sit at
//! the same column in consecutive rows, which output `k` of a group reads
//! at `dy - k` from the same padded row, so a group loads each such column
//! once (`kernels::weighted_sum_group`). For `L = 15` at 30° that is 19
//! loads per output vector in pairs and 16 in groups of four, instead of
//! 25. Groups of four need AVX-512's registers; [`rows_per_group`] picks
//! the size. Each output still sums its own taps in the kernel's order, so
//! the bits are those of single rows.

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
    dst: ImageViewMut<'_, T>,
    kernel: &Kernel2d,
    padding: Padding,
) {
    match rows_per_group(isa, kernel) {
        4 => convolve_groups::<T, 4>(isa, src, dst, kernel, padding),
        2 => convolve_groups::<T, 2>(isa, src, dst, kernel, padding),
        _ => convolve_groups::<T, 1>(isa, src, dst, kernel, padding),
    }
}

/// How many output rows to compute together: the most that load fewer
/// columns per output than a smaller group (1, 2, or on AVX-512, 4). A
/// group of 4 keeps 16 vectors of sums in registers, which only AVX-512's
/// 32 registers hold; on AVX2 it ran slower than pairs. A kernel of one
/// row shares nothing, so it goes row by row.
fn rows_per_group(isa: Isa, kernel: &Kernel2d) -> usize {
    let per_output = |rows: usize, loads: usize| loads as f64 / rows as f64;
    let single = per_output(1, kernel.taps().len());
    let pair = per_output(2, group_schedule::<2>(kernel).len());
    let quad = per_output(4, group_schedule::<4>(kernel).len());
    if isa.is_avx512() && quad < pair.min(single) {
        4
    } else if pair < single {
        2
    } else {
        1
    }
}

fn convolve_groups<T: Sample, const GROUP: usize>(
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
    // Output rows go in groups: row y reads padded rows y .. y + 2·ry, row
    // y + k is k further.
    let window = 2 * ry + GROUP;
    let mut cache = RowCache::<f32>::new(padded_len, window, h, rx * c);
    let mut slots = vec![0usize; window];
    let mut scratch = Vec::new();
    let column = |dx: i32| (dx + rx as i32) as usize * c;
    // Each step's window row, column and weights, ready to take its row.
    let steps: Vec<(usize, usize, SharedTerm<'static, GROUP>)> = group_schedule::<GROUP>(kernel)
        .iter()
        .map(|step| {
            (
                step.row,
                column(step.dx),
                SharedTerm::new(&[], step.weights),
            )
        })
        .collect();
    let mut spare: Vec<SharedTerm<'_, GROUP>> = Vec::with_capacity(steps.len());
    let mut dst_rows = dst.rows_mut();
    for y in (0..h).step_by(GROUP) {
        let count = GROUP.min(h - y);
        for (t, slot) in slots.iter_mut().enumerate().take(window - GROUP + count) {
            let key = row_key(padding, y + t, ry, h);
            *slot = cache.fill(y + t, key, |key, out| {
                if key < h {
                    kernels::pad_row(isa, src.row(key), c, &map, rx, fill, out);
                } else {
                    out.fill(fill);
                }
            });
        }
        if count == GROUP {
            let mut shared = recycle(std::mem::take(&mut spare));
            shared.extend(steps.iter().map(|&(row, column, term)| SharedTerm {
                src: &cache.row(slots[row])[column..],
                ..term
            }));
            // `count == GROUP` rows are left, so no default is ever taken.
            let outs: [&mut [T]; GROUP] =
                std::array::from_fn(|_| dst_rows.next().unwrap_or_default());
            kernels::weighted_sum_group(isa, &shared, &mut scratch, outs);
            spare = recycle(shared);
        } else {
            for k in 0..count {
                let terms: Vec<Term<'_>> = kernel
                    .taps()
                    .iter()
                    .map(|tap| Term {
                        src: &cache.row(slots[(tap.dy + ry as i32) as usize + k])[column(tap.dx)..],
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
}

/// `terms` emptied, its allocation kept for terms of another lifetime: a
/// group's terms borrow the row cache, which is refilled between groups,
/// and one allocation serves them all (collecting into the same layout
/// reuses the buffer).
fn recycle<'b, const G: usize>(mut terms: Vec<SharedTerm<'_, G>>) -> Vec<SharedTerm<'b, G>> {
    terms.clear();
    // The map never runs: the vector is empty.
    terms
        .into_iter()
        .map(|t| SharedTerm {
            src: &[],
            weights: t.weights,
            present: t.present,
        })
        .collect()
}

/// One shared load of a group of output rows: window row `row` (0 is the
/// first output's top row) at column offset `dx`, and its weight in each
/// output.
struct GroupStep<const G: usize> {
    row: usize,
    dx: i32,
    weights: [Option<f32>; G],
}

/// The loads of a group of output rows, window row by window row and left
/// to right: output `k` takes tap `(dx, dy)` from window row `dy + ry + k`,
/// so each output meets its taps in the kernel's order (row by row, left to
/// right) and a column several outputs read in a window row is loaded once.
fn group_schedule<const G: usize>(kernel: &Kernel2d) -> Vec<GroupStep<G>> {
    let ry = kernel.radius_y() as i32;
    let mut steps: Vec<GroupStep<G>> = Vec::with_capacity(G * kernel.taps().len());
    for row in 0..2 * ry + G as i32 {
        let mut merged: Vec<GroupStep<G>> = Vec::new();
        for k in 0..G {
            for t in kernel.taps().iter().filter(|t| t.dy + ry + k as i32 == row) {
                // A kernel may repeat a column within a row: each repeat
                // joins the first step at that column still free for `k`.
                match merged
                    .iter_mut()
                    .find(|s| s.dx == t.dx && s.weights[k].is_none())
                {
                    Some(step) => step.weights[k] = Some(t.weight),
                    None => {
                        let mut weights = [None; G];
                        weights[k] = Some(t.weight);
                        merged.push(GroupStep {
                            row: row as usize,
                            dx: t.dx,
                            weights,
                        });
                    }
                }
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

    /// Output `k`'s taps as the schedule of groups of `G` gives them:
    /// `(dx, dy, weight)`.
    fn taps_of<const G: usize>(kernel: &Kernel2d, k: usize) -> Vec<(i32, i32, u32)> {
        let ry = kernel.radius_y() as i32;
        group_schedule::<G>(kernel)
            .iter()
            .filter_map(|s| s.weights[k].map(|w| (s.dx, s.row as i32 - ry - k as i32, w.to_bits())))
            .collect()
    }

    fn test_kernels() -> crate::Result<Vec<Kernel2d>> {
        let mut kernels = vec![directional_kernel(4.0, 0.7, 33.0)?];
        for (length, angle) in [
            (15.0, 30.0),
            (15.0, 0.0),
            (15.0, 90.0),
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
        Ok(kernels)
    }

    /// Every output of a group, for each group size the filter uses, meets
    /// exactly the kernel's taps, in the kernel's order: the
    /// specification's order of summation. The scalar path takes its terms
    /// from the same schedule, so the path tests alone would not see a
    /// reordering.
    #[test]
    fn each_output_of_a_group_takes_the_kernels_taps_in_order() -> crate::Result<()> {
        for kernel in &test_kernels()? {
            let want: Vec<(i32, i32, u32)> = kernel
                .taps()
                .iter()
                .map(|t| (t.dx, t.dy, t.weight.to_bits()))
                .collect();
            assert_eq!(taps_of::<1>(kernel, 0), want, "single rows");
            for k in 0..2 {
                assert_eq!(taps_of::<2>(kernel, k), want, "output {k} of a pair");
            }
            for k in 0..4 {
                assert_eq!(taps_of::<4>(kernel, k), want, "output {k} of four");
            }
        }
        Ok(())
    }

    /// The terms' buffer survives the change of lifetime: one allocation
    /// per call, not one per group of rows.
    #[test]
    fn recycling_keeps_the_allocation() {
        let row = [0.0f32; 4];
        let terms: Vec<SharedTerm<'_, 4>> = vec![SharedTerm::new(&row, [None; 4]); 12];
        let (ptr, capacity) = (terms.as_ptr().cast::<u8>(), terms.capacity());
        let recycled: Vec<SharedTerm<'static, 4>> = recycle(terms);
        assert!(recycled.is_empty());
        assert_eq!(recycled.capacity(), capacity);
        assert_eq!(recycled.as_ptr().cast::<u8>(), ptr);
    }

    /// Groups share loads: for `L = 15` at 30°, 19 per output in a pair
    /// and 16 in a group of four instead of 25, the figures the module's
    /// documentation gives.
    #[test]
    fn a_group_of_rows_shares_loads() -> crate::Result<()> {
        let kernel = motion_kernel(15.0, 30.0)?;
        assert_eq!(kernel.taps().len(), 25);
        assert_eq!(group_schedule::<1>(&kernel).len(), 25);
        assert_eq!(group_schedule::<2>(&kernel).len(), 2 * 19);
        assert_eq!(group_schedule::<4>(&kernel).len(), 4 * 16);
        Ok(())
    }

    /// Groups of four on AVX-512 only, pairs where they share loads, and
    /// single rows for a kernel of one row, which shares nothing.
    #[test]
    fn the_group_size_follows_the_shared_loads_and_the_registers() -> crate::Result<()> {
        let slanted = motion_kernel(15.0, 30.0)?;
        let level = motion_kernel(15.0, 0.0)?;
        assert_eq!(rows_per_group(Isa::Avx512, &slanted), 4);
        assert_eq!(rows_per_group(Isa::Avx512Vbmi, &slanted), 4);
        assert_eq!(rows_per_group(Isa::Avx2, &slanted), 2);
        assert_eq!(rows_per_group(Isa::Neon, &slanted), 2);
        assert_eq!(rows_per_group(Isa::Scalar, &slanted), 2);
        for isa in Isa::ALL {
            assert_eq!(rows_per_group(isa, &level), 1, "{isa:?}");
        }
        Ok(())
    }
}
