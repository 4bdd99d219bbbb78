//! The separable route's (`kernels::separable`) hand-written AVX2 step:
//! a gray blended row, 8 values at a time, where the generic code reads
//! each value's two taps one by one. Colour rows keep the generic blend,
//! whose 4-value loads cost what the permutes here do (measured slower).
//! And the ends of output rows: a `u8` row's vertical blend and rounding,
//! packed 32 values at a time; an RGB row bound for planes (a tensor): the
//! vertical blend, the split into channels and the value affine, 8 pixels
//! at a time.

use super::store::round_u8;
use crate::kernels::separable::{ValueBlock, blend_gray_values};
use crate::kernels::sink::round_u8_in_range;
use crate::options::ChannelAffine;
use core::arch::x86_64::*;

/// `Columns::blend` of a gray row on AVX2: per block of 8 values, their
/// left and right taps picked from two vectors each by permutes, then the
/// reference's difference and multiply-add; a block without a plan and the
/// last partial block value by value, with the same operations.
///
/// # Safety
///
/// The CPU has AVX2 and FMA; every left tap `lefts[j]` has its right
/// neighbour inside the padded row, which holds `separable::SPARE` (16)
/// values after its last column; `weights` and `out` hold at least
/// `lefts.len()` values; `blocks` is `separable::value_blocks` of `lefts`.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn blend_gray_blocks(
    blocks: &[Option<ValueBlock>],
    lefts: &[u32],
    weights: &[f32],
    padded: &[f32],
    out: &mut [f32],
) {
    let from = padded.as_ptr();
    let seven = _mm256_set1_epi32(7);
    for (b, block) in blocks.iter().enumerate() {
        let Some(block) = block else {
            blend_gray_values(8 * b..8 * b + 8, lefts, weights, padded, out);
            continue;
        };
        let base = block.base as usize;
        // SAFETY: `base` is a left tap, at most the padded row's second to
        // last column, so the reads of 16 values from `base` and from
        // `base + 1` end within the 16 spare values after the last column,
        // inside `padded`; `offsets` is an array of 8; the 8 weights read
        // from `8 * b` lie inside `weights`, as long as `lefts`, and the 8
        // values written from there inside `out` (whole blocks of `lefts`
        // only).
        unsafe {
            let offsets = _mm256_loadu_si256(block.offsets.as_ptr().cast());
            // Lanes whose tap lies in the second vector (offsets 8 to 15;
            // the permute reads an offset's low 3 bits).
            let high = _mm256_castsi256_ps(_mm256_cmpgt_epi32(offsets, seven));
            let pick = |at: *const f32| {
                let low = _mm256_permutevar8x32_ps(_mm256_loadu_ps(at), offsets);
                let up = _mm256_permutevar8x32_ps(_mm256_loadu_ps(at.add(8)), offsets);
                _mm256_blendv_ps(low, up, high)
            };
            let p0 = pick(from.add(base));
            let p1 = pick(from.add(base + 1));
            let fx = _mm256_loadu_ps(weights.as_ptr().add(8 * b));
            let v = _mm256_fmadd_ps(fx, _mm256_sub_ps(p1, p0), p0);
            _mm256_storeu_ps(out.as_mut_ptr().add(8 * b), v);
        }
    }
    blend_gray_values(8 * blocks.len()..lefts.len(), lefts, weights, padded, out);
}

/// The end of an RGB output row written to planes (a tensor's CHW layout)
/// on AVX2: per 8 pixels the reference's vertical blend
/// `fy*(bottom - top) + top` on 3 vectors of interleaved values, those
/// split into one vector per channel (two blends and a permute each), then
/// the value affine `v * scale + offset`, unfused as in the reference; the
/// last pixels one by one, with the same operations.
///
/// # Safety
///
/// The CPU has AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn finish_rgb_planes(
    fy: f32,
    tops: &[f32],
    bottoms: &[f32],
    affine: &ChannelAffine,
    planes: [&mut [f32]; 4],
) {
    let [red, green, blue, _] = planes;
    let width = red.len();
    assert!(tops.len() >= 3 * width && bottoms.len() >= 3 * width);
    assert!(green.len() >= width && blue.len() >= width);
    let (scale, offset) = (affine.scale, affine.offset);
    let fyv = _mm256_set1_ps(fy);
    // Interleaved lanes `v0 = r0 g0 b0 r1 g1 b1 r2 g2`, `v1 = b2 r3 g3 b3
    // r4 g4 b4 r5`, `v2 = g5 b5 r6 g6 b6 r7 g7 b7`: a channel's 8 values
    // come from lanes (0 3 6, 1 4 7, 2 5) of (v0, v1, v2) for red, (1 4 7,
    // 2 5, 0 3 6) for green, (2 5, 0 3 6, 1 4 7) for blue; the permutes put
    // them in order.
    let order_red = _mm256_setr_epi32(0, 3, 6, 1, 4, 7, 2, 5);
    let order_green = _mm256_setr_epi32(1, 4, 7, 2, 5, 0, 3, 6);
    let order_blue = _mm256_setr_epi32(2, 5, 0, 3, 6, 1, 4, 7);
    let scales = scale.map(|s| _mm256_set1_ps(s));
    let offsets = offset.map(|o| _mm256_set1_ps(o));
    let blocks = width / 8;
    for p in 0..blocks {
        // SAFETY: the 24 values from `24 * p` lie inside `tops` and
        // `bottoms` (at least `3 * width` values, asserted), and the 8
        // written from `8 * p` inside each plane (`width` values at least).
        unsafe {
            let blended = |k: usize| {
                let t = _mm256_loadu_ps(tops.as_ptr().add(24 * p + 8 * k));
                let b = _mm256_loadu_ps(bottoms.as_ptr().add(24 * p + 8 * k));
                _mm256_fmadd_ps(fyv, _mm256_sub_ps(b, t), t)
            };
            let (v0, v1, v2) = (blended(0), blended(1), blended(2));
            let r = _mm256_blend_ps::<0x24>(_mm256_blend_ps::<0x92>(v0, v1), v2);
            let g = _mm256_blend_ps::<0x49>(_mm256_blend_ps::<0x24>(v0, v1), v2);
            let b = _mm256_blend_ps::<0x92>(_mm256_blend_ps::<0x49>(v0, v1), v2);
            let channels = [
                _mm256_permutevar8x32_ps(r, order_red),
                _mm256_permutevar8x32_ps(g, order_green),
                _mm256_permutevar8x32_ps(b, order_blue),
            ];
            for (c, plane) in [&mut *red, &mut *green, &mut *blue].into_iter().enumerate() {
                let v = _mm256_add_ps(_mm256_mul_ps(channels[c], scales[c]), offsets[c]);
                _mm256_storeu_ps(plane.as_mut_ptr().add(8 * p), v);
            }
        }
    }
    for j in 8 * blocks..width {
        for (c, plane) in [&mut *red, &mut *green, &mut *blue].into_iter().enumerate() {
            let (t, b) = (tops[3 * j + c], bottoms[3 * j + c]);
            plane[j] = fy.mul_add(b - t, t) * scale[c] + offset[c];
        }
    }
}

/// The end of a `u8` output row that needs no clamp on AVX2: the
/// reference's vertical blend `fy*(bottom - top) + top`, then
/// `x86::store::round_u8` without its clamp (add 1.5 * 2^23, keep the low
/// byte, as `sink::round_u8_in_range`), 32 values at a time, packed to
/// bytes by unsigned saturating packs (which change no value within
/// 0..=255) and one permute; the last values one by one.
///
/// # Safety
///
/// The CPU has AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn finish_u8(fy: f32, tops: &[f32], bottoms: &[f32], out: &mut [u8]) {
    let len = out.len();
    assert!(tops.len() >= len && bottoms.len() >= len);
    let fyv = _mm256_set1_ps(fy);
    // The packs work within 128-bit halves: the words of vectors a, b, c,
    // d come out as a0-3 b0-3 c0-3 d0-3 | a4-7 b4-7 c4-7 d4-7.
    let order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    let blocks = len / 32;
    for p in 0..blocks {
        // SAFETY: the 32 values from `32 * p` lie inside `tops`,
        // `bottoms` (asserted) and `out`.
        unsafe {
            let q = [0, 1, 2, 3].map(|k| {
                let t = _mm256_loadu_ps(tops.as_ptr().add(32 * p + 8 * k));
                let b = _mm256_loadu_ps(bottoms.as_ptr().add(32 * p + 8 * k));
                round_u8(_mm256_fmadd_ps(fyv, _mm256_sub_ps(b, t), t), false)
            });
            let words = _mm256_packus_epi16(
                _mm256_packus_epi32(q[0], q[1]),
                _mm256_packus_epi32(q[2], q[3]),
            );
            let bytes = _mm256_permutevar8x32_epi32(words, order);
            _mm256_storeu_si256(out.as_mut_ptr().add(32 * p).cast(), bytes);
        }
    }
    for k in 32 * blocks..len {
        let (t, b) = (tops[k], bottoms[k]);
        out[k] = round_u8_in_range(fy.mul_add(b - t, t));
    }
}
