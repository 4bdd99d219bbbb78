//! Nearest-neighbour `u8` to `u8` blocks of an affine row, 16 pixels per
//! 512-bit vector, under `Border`, `Constant` or `Zeros` padding: the
//! steps of [`nearest_bytes`](super::super::nearest::nearest_bytes) on
//! `f64` lanes eight at a time, the padding rule applied to the `floor`
//! values, and one masked gather per 16 pixels (lanes the rule maps
//! nowhere keep the fill's byte and read nothing), or one load per lane
//! where gathers are slow.

use super::super::geometry::{Geometry, LANES};
use super::super::nearest::{first_bytes, first_dwords, stays_near};
use super::super::plan::{ColumnProducts, block_products};
use crate::coords::Row;
use crate::kernels::scalar::FAR;
use core::arch::x86_64::*;
use geom::{Element, Padding};

/// Pixels from `j0` of `row` into the `u8` row `out`, 16 at a time, up
/// to `end`; returns the pixel it stopped at (`j0` for rows other than
/// affine ones, paddings other than `Border`, `Constant` and `Zeros`, and
/// gray sources without gathers;
/// before `end` where fewer than 16 remain or a 4-byte read would pass
/// the buffer's end). The same bytes as the reference: clamp to `±FAR`,
/// add `0.5`, `floor`, the padding rule per axis (a clamp, or the fill
/// outside `0..n`), the fill for non-finite positions. `products`, the
/// affine map's, give the positions' `a*j` and `d*j` (looked up, not
/// multiplied: paired, gray 0.86-0.96 of the time, colour within 3 %).
///
/// # Safety
/// The CPU must support AVX-512 F/BW/DQ/VL.
#[target_feature(enable = "avx2,fma,avx512f,avx512bw,avx512dq,avx512vl")]
pub(in super::super) unsafe fn nearest_bytes_avx512<const C: usize>(
    data: &[u8],
    g: Geometry,
    row: &Row<'_>,
    products: Option<&[ColumnProducts]>,
    j0: usize,
    end: usize,
    out: &mut [u8],
) -> usize {
    let Row::Affine { a, rx, d, ry } = *row else {
        return j0;
    };
    // Gray bytes one load per lane ran 1.12x the `f32` blocks' time
    // (colour ones 0.81-0.84x): those take the 256-bit loop.
    if C == 1 && !g.gathers {
        return j0;
    }
    let border = match g.padding {
        Padding::Border => true,
        Padding::Constant(_) | Padding::Zeros => false,
        _ => return j0,
    };
    let fill = _mm512_set1_epi8(u8::from_f32(g.fill) as i8);
    let steps = _mm512_setr_pd(0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0);
    let (far, half, zero) = (
        _mm512_set1_pd(FAR),
        _mm512_set1_pd(0.5),
        _mm512_setzero_pd(),
    );
    let last = |n: i32| _mm512_set1_pd(f64::from(n - 1));
    let (last_x, last_y) = (last(g.w), last(g.h));
    let (stride, channels) = (
        _mm512_set1_pd(f64::from(g.stride)),
        _mm512_set1_pd(C as f64),
    );
    let checked = !stays_near(row, j0, end);
    // One half of a 16-pixel vector: eight pixels from `j`, their offsets
    // (0 where there is no tap) and the mask of lanes with a tap.
    let eight = |j: usize| -> (__m256i, __mmask8) {
        // `Row::at`: a product, then a sum; the products from the table
        // where there is one.
        let (ax, dy) = match block_products(products, j) {
            // SAFETY: 8 doubles read from each 8-double array.
            Some([ax, dy]) => unsafe {
                (_mm512_loadu_pd(ax.as_ptr()), _mm512_loadu_pd(dy.as_ptr()))
            },
            None => {
                let j = _mm512_add_pd(_mm512_set1_pd(j as f64), steps);
                (
                    _mm512_mul_pd(_mm512_set1_pd(a), j),
                    _mm512_mul_pd(_mm512_set1_pd(d), j),
                )
            }
        };
        let x = _mm512_add_pd(ax, _mm512_set1_pd(rx));
        let y = _mm512_add_pd(dy, _mm512_set1_pd(ry));
        let finite = |v: __m512d| _mm512_cmp_pd_mask::<_CMP_EQ_OQ>(_mm512_sub_pd(v, v), zero);
        let mut valid = if checked { finite(x) & finite(y) } else { 0xff };
        let near = |v: __m512d| {
            let clamped = match checked {
                true => _mm512_min_pd(_mm512_max_pd(v, _mm512_sub_pd(zero, far)), far),
                false => v,
            };
            _mm512_roundscale_pd::<{ _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC }>(_mm512_add_pd(
                clamped, half,
            ))
        };
        let (mut ix, mut iy) = (near(x), near(y));
        if border {
            let clamp = |v: __m512d, last: __m512d| _mm512_min_pd(_mm512_max_pd(v, zero), last);
            (ix, iy) = (clamp(ix, last_x), clamp(iy, last_y));
        } else {
            let inside = |v: __m512d, last: __m512d| {
                _mm512_cmp_pd_mask::<_CMP_GE_OQ>(v, zero)
                    & _mm512_cmp_pd_mask::<_CMP_LE_OQ>(v, last)
            };
            valid &= inside(ix, last_x) & inside(iy, last_y);
        }
        // Whole numbers below 2^31 in the lanes with a tap: exact however
        // the sum is formed. Lanes without one (NaN ones included) take
        // offset 0.
        let base = _mm512_cvttpd_epi32(_mm512_fmadd_pd(iy, stride, _mm512_mul_pd(ix, channels)));
        (_mm256_maskz_mov_epi32(valid, base), valid)
    };
    let pick = _mm512_broadcast_i32x4(first_bytes::<C>());
    let join = bytemuck::cast::<[i32; 16], __m512i>(first_dwords::<C, 16>());
    let mut j = j0;
    while j + 2 * LANES <= end {
        let (low, valid_low) = eight(j);
        let (high, valid_high) = eight(j + LANES);
        if !(g.reads_fit(low, 0, 4) && g.reads_fit(high, 0, 4)) {
            break;
        }
        let base = _mm512_inserti64x4::<1>(_mm512_castsi256_si512(low), high);
        let valid = u16::from(valid_low) | u16::from(valid_high) << 8;
        let words = if g.gathers {
            // SAFETY: each offset of a lane in `valid` is a pixel of the
            // source (in-image indices), whose 4-byte read `reads_fit`
            // showed ends within `data`; other lanes are not read.
            unsafe { _mm512_mask_i32gather_epi32::<1>(fill, valid, base, data.as_ptr().cast()) }
        } else {
            // One load per lane where gathers are slow (see `geom::gathers`).
            let offsets = bytemuck::cast::<__m512i, [i32; 16]>(base);
            let fill = bytemuck::cast::<__m512i, [u32; 16]>(fill)[0];
            let words: [u32; 16] = core::array::from_fn(|k| match valid >> k & 1 {
                1 => {
                    let at = offsets[k] as usize;
                    data.get(at..at + 4)
                        .map_or(fill, |w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
                }
                _ => fill,
            });
            bytemuck::cast(words)
        };
        let packed = _mm512_permutexvar_epi32(join, _mm512_shuffle_epi8(words, pick));
        let bytes = bytemuck::cast::<__m512i, [u8; 64]>(packed);
        out[j * C..(j + 2 * LANES) * C].copy_from_slice(&bytes[..2 * LANES * C]);
        j += 2 * LANES;
    }
    j
}
