//! Planning for axis-aligned affine maps under AVX-512: resizes, crops and
//! flips, whose `x` depends on the output column only and `y` on the
//! output row only (`b = d = 0` in `[[a, b, c], [d, e, f]]`). The column
//! half of each block's plan (taps, weights, inside test on `x`) is the
//! same on every row, so it is worked out once per call; each row then
//! adds its one `y`. Same positions, taps and weights as
//! [`plan_avx512`](super::avx512): the same bits.
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

/// The column half of a block's plan.
#[derive(Clone, Copy)]
pub(super) struct Column {
    /// `floor(x) * C` per lane.
    offsets: __m256i,
    /// `(x - floor x) as f32` per lane.
    fx: __m256,
}

/// The column halves of every block of an output row, and which blocks
/// have all their `x` taps inside.
pub(super) struct Columns {
    columns: [Column; MAX_BLOCKS],
    inside: [bool; MAX_BLOCKS],
}

impl Columns {
    /// The halves of the first `blocks` blocks (at most [`MAX_BLOCKS`]) of
    /// a row whose `x` is `a*j + rx`.
    ///
    /// # Safety
    /// The CPU must support AVX-512 F/DQ/VL.
    #[target_feature(enable = "avx2,fma,avx512f,avx512dq,avx512vl")]
    pub(super) unsafe fn new<const C: usize>(
        g: Geometry,
        a: f64,
        rx: f64,
        blocks: usize,
    ) -> Columns {
        let mut all = Columns {
            columns: [Column {
                offsets: _mm256_setzero_si256(),
                fx: _mm256_setzero_ps(),
            }; MAX_BLOCKS],
            inside: [false; MAX_BLOCKS],
        };
        let steps = _mm512_setr_pd(0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0);
        for (b, (column, inside)) in all
            .columns
            .iter_mut()
            .zip(&mut all.inside)
            .take(blocks.min(MAX_BLOCKS))
            .enumerate()
        {
            // As `plan_avx512`: `a*j + rx`, the inside test on the
            // position, `floor`, and `floor(x) * C` exact in f64.
            let j = _mm512_add_pd(_mm512_set1_pd((b * LANES) as f64), steps);
            let x = _mm512_add_pd(_mm512_mul_pd(_mm512_set1_pd(a), j), _mm512_set1_pd(rx));
            let within = _mm512_cmp_pd_mask::<_CMP_GE_OQ>(x, _mm512_setzero_pd());
            let within = _mm512_mask_cmp_pd_mask::<_CMP_LT_OQ>(
                within,
                x,
                _mm512_set1_pd(f64::from(g.w - 1)),
            );
            *inside = within == 0xff;
            let floor = _mm512_roundscale_pd::<{ _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC }>(x);
            *column = Column {
                offsets: _mm512_cvttpd_epi32(_mm512_mul_pd(floor, _mm512_set1_pd(C as f64))),
                fx: _mm512_cvtpd_ps(_mm512_sub_pd(x, floor)),
            };
        }
        all
    }

    /// Plans `plans.len()` blocks from block `first` of a row whose `y` is
    /// `y` in every lane: as `plan_avx512`, `None` where a tap is outside
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
        // the f64 one `plan_avx512` converts.
        let row = _mm256_set1_epi32(floor as i32 * g.stride);
        let fy = _mm256_set1_ps((y - floor) as f32);
        let (extra, width) = read_extent::<C>(g, wide);
        let halves = self.columns[first..].iter().zip(&self.inside[first..]);
        for (slot, (column, &inside)) in plans.iter_mut().zip(halves) {
            *slot = None;
            if inside {
                let base = _mm256_add_epi32(column.offsets, row);
                if g.reads_fit(base, extra, width) {
                    *slot = Some(Planned {
                        base: bytemuck::cast(base),
                        fx: column.fx,
                        fy,
                    });
                }
            }
        }
    }
}
