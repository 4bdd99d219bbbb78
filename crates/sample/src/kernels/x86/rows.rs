//! The separable route's (`kernels::separable`) hand-written AVX2 step:
//! a gray blended row, 8 values at a time, where the generic code reads
//! each value's two taps one by one. Colour rows keep the generic blend,
//! whose 4-value loads cost what the permutes here do (measured slower).

use crate::kernels::separable::{ValueBlock, blend_gray_values};
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
