//! Planning for axis-aligned affine maps: resizes, crops and flips, whose
//! `x` depends on the output column only and `y` on the output row only
//! (`b = d = 0` in `[[a, b, c], [d, e, f]]`). The column half of each
//! block's plan (taps, weights, inside test on `x`) is the same on every
//! row, so it is worked out once per call, in scalar code (a few hundred
//! columns); each row then adds its one `y`. Same positions, taps and
//! weights as `plan::plan` and `plan_avx512` (the reference's `a*j + rx`,
//! `floor`, `(x - floor x) as f32`): the same bits.
//!
//! Why the halves do not change: with `b = ±0`, a row's `rx = b*i + c` is
//! `c` (or the same signed zero) on every row, so `x = a*j + rx` is too;
//! with `d = ±0`, `d*j` is a zero of one sign for every `j >= 0`, so
//! `y = d*j + ry` is one value across the row, `d*0 + ry`.

use super::geometry::{Geometry, LANES};
use super::plan::{Planned, read_extent};
use core::arch::x86_64::*;

/// Blocks whose column halves are kept: outputs up to 1024 pixels wide,
/// in 8 KiB of stack. Wider outputs plan every block whole.
pub(super) const MAX_BLOCKS: usize = 128;

/// The column halves of every block of an output row: per pixel
/// `floor(x) * C` and `(x - floor x) as f32`, and per block whether all its
/// `x` taps are inside.
pub(super) struct Columns {
    offsets: [[i32; LANES]; MAX_BLOCKS],
    fx: [[f32; LANES]; MAX_BLOCKS],
    inside: [bool; MAX_BLOCKS],
}

impl Columns {
    /// The halves of the first `blocks` blocks (at most [`MAX_BLOCKS`]) of
    /// a row whose `x` is `a*j + rx`.
    pub(super) fn new<const C: usize>(g: Geometry, a: f64, rx: f64, blocks: usize) -> Columns {
        let mut all = Columns {
            offsets: [[0; LANES]; MAX_BLOCKS],
            fx: [[0.0; LANES]; MAX_BLOCKS],
            inside: [false; MAX_BLOCKS],
        };
        let last = f64::from(g.w - 1);
        for b in 0..blocks.min(MAX_BLOCKS) {
            let mut inside = true;
            for k in 0..LANES {
                let x = a * (b * LANES + k) as f64 + rx;
                // The reference's test, floor(x) in 0..=w-2, as
                // 0 <= x < w - 1 (NaN fails it).
                inside &= x >= 0.0 && x < last;
                let floor = x.floor();
                // Inside, a whole number below 2^31 / C: exact as i32.
                all.offsets[b][k] = (floor * C as f64) as i32;
                all.fx[b][k] = (x - floor) as f32;
            }
            all.inside[b] = inside;
        }
        all
    }

    /// Plans `plans.len()` blocks from block `first` of a row whose `y` is
    /// `y` in every lane: as `plan::plan`, `None` where a tap is outside
    /// or a read would pass the buffer's end.
    #[target_feature(enable = "avx2,fma")]
    pub(super) fn plan<const C: usize>(
        &self,
        g: Geometry,
        y: f64,
        first: usize,
        wide: bool,
        plans: &mut [Option<Planned>],
    ) {
        // The reference's test on y, 0 <= y < h - 1 (NaN fails it).
        if !(y >= 0.0 && y < f64::from(g.h - 1)) {
            plans.fill(None);
            return;
        }
        let floor = y.floor();
        // `floor(y) * stride + floor(x) * C` is a whole number below the
        // buffer's length (< 2^31) for taps inside, so the i32 sum equals
        // the offsets `plan::plan` and `plan_avx512` form.
        let row = _mm256_set1_epi32(floor as i32 * g.stride);
        let fy = _mm256_set1_ps((y - floor) as f32);
        let (extra, width) = read_extent::<C>(g, wide);
        for (b, slot) in plans.iter_mut().enumerate() {
            let b = first + b;
            *slot = None;
            if self.inside[b] {
                let offsets = bytemuck::cast::<[i32; LANES], __m256i>(self.offsets[b]);
                let base = _mm256_add_epi32(offsets, row);
                if g.reads_fit(base, extra, width) {
                    *slot = Some(Planned {
                        base: bytemuck::cast(base),
                        fx: bytemuck::cast(self.fx[b]),
                        fy,
                    });
                }
            }
        }
    }
}
