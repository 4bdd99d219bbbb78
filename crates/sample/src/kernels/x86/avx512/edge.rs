//! Colour `u8` blocks with taps outside the source under AVX-512: the
//! padding rule per lane as `edge::edge` applies it, then the planned
//! blocks' 512-bit blend and store (`blend_u8_avx512`'s widening and lerps,
//! `put_halves`).

use super::super::edge::pad;
use super::super::geometry::Geometry;
use super::super::lanes::widening_control;
use super::super::plan::split;
use super::{affine_lanes, blend_half, put_halves, widening_controls};
use crate::kernels::scalar::FAR;
use crate::kernels::sink::RawRow;
use crate::options::ChannelAffine;
use core::arch::x86_64::*;
use geom::Padding;

/// A colour `u8` block with taps outside the source, blended as
/// [`blend_u8_avx512`](super::blend_u8_avx512) blends a planned one: the
/// padding rule maps each of the four taps to an in-image pixel
/// (`edge::pad`) whose 4-byte word is gathered, or to the fill value where
/// the rule maps nowhere; one dword permute per half puts each pixel's four
/// taps in its 128-bit lane, and the same widening and lerps follow. The reference's steps 1 to 4 (see
/// `kernels::scalar`) in the same order per lane, so the same bits as the
/// 256-bit `edge::edge`, at about the cost of a planned block instead of
/// three or four.
///
/// `None`, for `edge::edge` to take the block, where a position is not
/// finite, where the fill value is not a byte (it is substituted for the
/// tap's word), or where a 4-byte read would pass the buffer's end.
///
/// # Safety
/// The CPU must support AVX-512 F/BW/DQ/VL; `g` describes `data`.
#[target_feature(enable = "avx2,fma,avx512f,avx512bw,avx512dq,avx512vl")]
unsafe fn edge_blend_u8_avx512<const C: usize>(
    data: &[u8],
    g: Geometry,
    [xl, xh, yl, yh]: [__m256d; 4],
) -> Option<[__m512; 2]> {
    // A fill that is a byte blends exactly as a pixel of that value would:
    // its word stands in for the tap's.
    let fill = match g.padding {
        Padding::Constant(_) | Padding::Zeros => {
            let byte = g.fill as u8;
            if f32::from(byte).to_bits() != g.fill.to_bits() {
                return None;
            }
            i32::from_ne_bytes([byte; 4])
        }
        _ => 0,
    };
    let finite =
        |v: __m256d| _mm256_cmp_pd_mask::<_CMP_EQ_OQ>(_mm256_sub_pd(v, v), _mm256_setzero_pd());
    if finite(xl) & finite(xh) & finite(yl) & finite(yh) != 0xf {
        return None;
    }
    // The reference's clamp to ±FAR, then its taps and weights.
    let clamp =
        |v: __m256d| _mm256_min_pd(_mm256_max_pd(v, _mm256_set1_pd(-FAR)), _mm256_set1_pd(FAR));
    let taps = split([clamp(xl), clamp(xh), clamp(yl), clamp(yh)]);
    let one = _mm256_set1_epi32(1);
    let (x0, valid_x0) = pad(g.padding, taps.ix, g.w);
    let (x1, valid_x1) = pad(g.padding, _mm256_add_epi32(taps.ix, one), g.w);
    let (y0, valid_y0) = pad(g.padding, taps.iy, g.h);
    let (y1, valid_y1) = pad(g.padding, _mm256_add_epi32(taps.iy, one), g.h);
    let stride = _mm256_set1_epi32(g.stride);
    let (row0, row1) = (
        _mm256_mullo_epi32(y0, stride),
        _mm256_mullo_epi32(y1, stride),
    );
    let channels = _mm256_set1_epi32(C as i32);
    let (column0, column1) = (
        _mm256_mullo_epi32(x0, channels),
        _mm256_mullo_epi32(x1, channels),
    );
    // Offsets of in-image pixels, so not negative: the largest shows
    // whether every 4-byte read fits.
    let (top0, top1) = (
        _mm256_add_epi32(row0, column0),
        _mm256_add_epi32(row0, column1),
    );
    let (bottom0, bottom1) = (
        _mm256_add_epi32(row1, column0),
        _mm256_add_epi32(row1, column1),
    );
    let furthest = _mm256_max_epi32(
        _mm256_max_epi32(top0, top1),
        _mm256_max_epi32(bottom0, bottom1),
    );
    if !g.reads_fit(furthest, 0, 4) {
        return None;
    }
    let join = |a: __m256i, b: __m256i| _mm512_inserti64x4::<1>(_mm512_castsi256_si512(a), b);
    let valid = |x: __m256i, y: __m256i| _mm256_movepi32_mask(_mm256_and_si256(x, y));
    let both = |a: __mmask8, b: __mmask8| u16::from(a) | (u16::from(b) << 8);
    let fill = _mm512_set1_epi32(fill);
    let p = data.as_ptr();
    // SAFETY: each offset is an in-image pixel's, and `reads_fit` showed
    // its 4-byte read ends within `data`; lanes the padding maps nowhere
    // (offset of pixel 0) take the fill word instead.
    let (top, bottom) = unsafe {
        (
            _mm512_mask_i32gather_epi32::<1>(
                fill,
                both(valid(valid_x0, valid_y0), valid(valid_x1, valid_y0)),
                join(top0, top1),
                p.cast(),
            ),
            _mm512_mask_i32gather_epi32::<1>(
                fill,
                both(valid(valid_x0, valid_y1), valid(valid_x1, valid_y1)),
                join(bottom0, bottom1),
                p.cast(),
            ),
        )
    };
    // `top` holds the top-left taps of pixels 0..8, then the top-right;
    // `bottom` the same below. Pixel k's lane: its four taps' words.
    let lanes = |k: i32| {
        _mm512_setr_epi32(
            k,
            8 + k,
            16 + k,
            24 + k,
            k + 1,
            9 + k,
            17 + k,
            25 + k,
            k + 2,
            10 + k,
            18 + k,
            26 + k,
            k + 3,
            11 + k,
            19 + k,
            27 + k,
        )
    };
    let controls = widening_controls(
        const {
            &[
                widening_control(0),
                widening_control(4),
                widening_control(8),
                widening_control(12),
            ]
        },
    );
    let mut halves = [_mm512_setzero_ps(); 2];
    for (h, half) in halves.iter_mut().enumerate() {
        let words = _mm512_permutex2var_epi32(top, lanes(4 * h as i32), bottom);
        *half = blend_half(words, words, &controls, taps.fx, taps.fy, h);
    }
    Some(halves)
}

/// [`edge_blend_u8_avx512`] stored through [`put_halves`]; `false` where
/// it declined the block.
///
/// # Safety
/// As [`edge_blend_u8_avx512`].
#[target_feature(enable = "avx2,fma,avx512f,avx512bw,avx512dq,avx512vl")]
pub(in super::super) unsafe fn edge_block_u8_avx512<const C: usize>(
    data: &[u8],
    g: Geometry,
    values: Option<&ChannelAffine>,
    positions: [__m256d; 4],
    j: usize,
    out: &mut RawRow<'_>,
) -> bool {
    // SAFETY: the caller's guarantee.
    match unsafe { edge_blend_u8_avx512::<C>(data, g, positions) } {
        Some(halves) => {
            put_halves::<C>(halves, affine_lanes(values), j, out);
            true
        }
        None => false,
    }
}
