//! The AVX-512 pixel-pair kernels of the `u8` box downscale: for 3
//! channels, pairing adjacent pixels of an interleaved row is a 6-to-3
//! compaction that portable code can only express as scalar moves; two
//! `vpermt2w` per 64 values do it here (4x faster than the compiler's
//! vectorisation of the portable loop on a 600-pixel RGB row), and with
//! VBMI's byte permutes (`vpermt2b`) the commonest level, 2 x 1 blocks,
//! never leaves bytes.
//!
//! Both must equal `super::pair_up_portable` (integer arithmetic, so the
//! same values on every path). Reached only through `super::Pairing`,
//! which holds the proof that the CPU has the features.

use super::operands::{Out, Row};
use std::arch::x86_64::*;

/// For `c` channels and `N` lanes (32 of 16 bits, 64 of 8), the index
/// (into `2N` values held in two registers) of the first value of each
/// output's pair; the second is `c` further. One step makes
/// `c * (N / c)` outputs from twice as many inputs.
const fn pair_index<const N: usize>(c: usize) -> [u8; N] {
    let pairs = N / c;
    let mut index = [0u8; N];
    let mut k = 0;
    while k < c * pairs {
        index[k] = (2 * c * (k / c) + k % c) as u8;
        k += 1;
    }
    index
}
const INDEX_1: [u8; 32] = pair_index(1);
const INDEX_3: [u8; 32] = pair_index(3);
const INDEX_4: [u8; 32] = pair_index(4);
const BYTE_INDEX_1: [u8; 64] = pair_index(1);
const BYTE_INDEX_3: [u8; 64] = pair_index(3);
const BYTE_INDEX_4: [u8; 64] = pair_index(4);

/// Up to 64 consecutive values from `start` (fewer at the row's end;
/// the rest zero), widened to `u16`, in two registers.
///
/// # Safety
/// AVX-512 F/BW/VL.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
unsafe fn load64(row: Row<'_>, start: usize) -> (__m512i, __m512i) {
    let available = row.len() - start;
    let mask = |from: usize| -> __mmask32 {
        match available.saturating_sub(from) {
            0 => 0,
            n if n >= 32 => !0,
            n => (1u32 << n) - 1,
        }
    };
    match row {
        // SAFETY: masked loads touch only the lanes whose bits are set,
        // all of which index `row[start..]` (`mask` counts them).
        Row::U8(r) => unsafe {
            let p = r.as_ptr().add(start);
            (
                _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(mask(0), p.cast())),
                _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(mask(32), p.wrapping_add(32).cast())),
            )
        },
        // SAFETY: as above, for 16-bit lanes.
        Row::U16(r) => unsafe {
            let p = r.as_ptr().add(start);
            (
                _mm512_maskz_loadu_epi16(mask(0), p.cast()),
                _mm512_maskz_loadu_epi16(mask(32), p.wrapping_add(32).cast()),
            )
        },
    }
}

/// Means of pixel pairs of a `u8` row (blocks of 2 x 1, the commonest
/// level), on bytes: `vpermt2b` picks the pairs (one shuffle per 63 or
/// 64 outputs, where 16-bit lanes need three), and the mean rounded half
/// to even is `pavgb` (which rounds halves up) minus one where `a + b`
/// is odd and `pavgb` is odd.
///
/// # Safety
/// The CPU must support AVX-512 F/BW/VL and VBMI; `row` must hold at
/// least `2 * out.len()` values.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vbmi")]
pub(super) unsafe fn pair_means_u8_vbmi(c: usize, row: &[u8], out: &mut [u8]) {
    let index = match c {
        1 => &BYTE_INDEX_1,
        3 => &BYTE_INDEX_3,
        _ => &BYTE_INDEX_4,
    };
    let per_step = c * (64 / c);
    // SAFETY: `index` is 64 bytes, one 512-bit load.
    let first = unsafe { _mm512_loadu_si512(index.as_ptr().cast()) };
    let second = _mm512_add_epi8(first, _mm512_set1_epi8(c as i8));
    let one = _mm512_set1_epi8(1);
    let outputs = out.len() - out.len() % c;
    debug_assert!(row.len() >= 2 * outputs);
    let mask = |available: usize| -> __mmask64 {
        match available {
            n if n >= 64 => !0,
            n => (1u64 << n) - 1,
        }
    };
    // The last step loads and stores only what is left.
    for step in 0..outputs.div_ceil(per_step) {
        let start = 2 * per_step * step;
        let available = row.len() - start;
        let p = row.as_ptr().wrapping_add(start);
        // SAFETY: the masks admit only bytes of `row[start..]`; masked
        // lanes are not read.
        let (a, b) = unsafe {
            (
                _mm512_maskz_loadu_epi8(mask(available), p.cast()),
                _mm512_maskz_loadu_epi8(
                    mask(available.saturating_sub(64)),
                    p.wrapping_add(64).cast(),
                ),
            )
        };
        let left = _mm512_permutex2var_epi8(a, first, b);
        let right = _mm512_permutex2var_epi8(a, second, b);
        let up = _mm512_avg_epu8(left, right);
        let odd_tie = _mm512_and_si512(_mm512_and_si512(_mm512_xor_si512(left, right), up), one);
        let means = _mm512_sub_epi8(up, odd_tie);
        let at = step * per_step;
        // SAFETY: the mask admits `min(per_step, outputs - at)` bytes
        // from `at`, all inside `out`.
        unsafe {
            _mm512_mask_storeu_epi8(
                out.as_mut_ptr().add(at).cast(),
                mask(per_step.min(outputs - at)),
                means,
            )
        };
    }
}

/// [`super::pair_up`] for `c` of 1, 3 or 4.
///
/// # Safety
/// The CPU must support AVX-512 F/BW/VL; `row` must hold at least
/// `2 * out.len()` values.
#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
pub(super) unsafe fn pair_up_avx512(c: usize, row: Row<'_>, out: Out<'_>) {
    let index = match c {
        1 => &INDEX_1,
        3 => &INDEX_3,
        _ => &INDEX_4,
    };
    let per_step = c * (32 / c);
    // SAFETY: `index` is 32 bytes, one 256-bit load, widened to 16-bit lanes.
    let first = _mm512_cvtepu8_epi16(unsafe { _mm256_loadu_si256(index.as_ptr().cast()) });
    let second = _mm512_add_epi16(first, _mm512_set1_epi16(c as i16));
    let outputs = match &out {
        Out::Sums(o) => o.len(),
        Out::Means(o, _) => o.len(),
    };
    let outputs = outputs - outputs % c;
    debug_assert!(row.len() >= 2 * outputs);
    // The last step stores only what is left.
    let steps = outputs.div_ceil(per_step);
    let store_mask = |step: usize| -> __mmask32 {
        match (outputs - step * per_step).min(per_step) {
            32 => !0,
            n => (1u32 << n) - 1,
        }
    };
    let pair_sum = |step: usize| {
        // SAFETY: step < steps, so the step's inputs start inside `row`;
        // load64 masks the part past its end.
        let (a, b) = unsafe { load64(row, 2 * per_step * step) };
        _mm512_add_epi16(
            _mm512_permutex2var_epi16(a, first, b),
            _mm512_permutex2var_epi16(a, second, b),
        )
    };
    match out {
        Out::Sums(out) => {
            for step in 0..steps {
                let sums = pair_sum(step);
                // SAFETY: the masked store writes at most `outputs - at`
                // values from `at`, all inside `out`.
                unsafe {
                    _mm512_mask_storeu_epi16(
                        out.as_mut_ptr().add(step * per_step).cast(),
                        store_mask(step),
                        sums,
                    )
                };
            }
        }
        Out::Means(out, shift) => {
            let half_minus_one = _mm512_set1_epi16((1u16 << shift >> 1).wrapping_sub(1) as i16);
            let one = _mm512_set1_epi16(1);
            let count = _mm_cvtsi32_si128(shift as i32);
            for step in 0..steps {
                let sums = pair_sum(step);
                let odd = _mm512_and_si512(_mm512_srl_epi16(sums, count), one);
                let means = _mm512_srl_epi16(
                    _mm512_add_epi16(_mm512_add_epi16(sums, half_minus_one), odd),
                    count,
                );
                // SAFETY: as for the sums, with byte lanes.
                unsafe {
                    _mm512_mask_cvtepi16_storeu_epi8(
                        out.as_mut_ptr().add(step * per_step).cast(),
                        store_mask(step),
                        means,
                    )
                };
            }
        }
    }
}
