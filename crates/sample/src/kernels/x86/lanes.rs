//! Small vector helpers every stage of the kernel shares: the reference's
//! lerp `t*(b - a) + a` with one FMA (`lerp2` in `kernels::scalar`, one
//! step at a time), lane range and finiteness tests, bisection, byte widening to `f32` (exact: integers
//! below 2^24), and the 4x4 transpose between pixel-major and
//! channel-major layouts (moves only, no arithmetic).

use crate::kernels::scalar::FAR;
use core::arch::x86_64::*;

/// Every lane of `i` in `0..=max` (compared unsigned, so negatives fail).
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn in_range(i: __m256i, max: i32) -> __m256i {
    _mm256_cmpeq_epi32(_mm256_min_epu32(i, _mm256_set1_epi32(max)), i)
}

/// An all-ones 32-bit lane `k` wherever bit `k` of `bits` is set.
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn lane_mask(bits: i32) -> __m256i {
    let each = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(bits), each), each)
}

/// All-ones in each lane of `v` that is finite (`v - v` is 0 there, NaN
/// for infinities and NaN).
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn finite(v: __m256d) -> __m256d {
    _mm256_cmp_pd::<_CMP_EQ_OQ>(_mm256_sub_pd(v, v), _mm256_setzero_pd())
}

/// The reference's steps 1 and 2 on a block's positions `[xl, xh, yl,
/// yh]`: all-ones in each of the eight lanes whose `x` and `y` are both
/// finite, and the positions clamped to `±FAR` (0 where not finite: the
/// caller gives those lanes the fill).
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn finite_and_clamped(pos: [__m256d; 4]) -> (__m256i, [__m256d; 4]) {
    let [xl, xh, yl, yh] = pos;
    let bits = _mm256_movemask_pd(_mm256_and_pd(finite(xl), finite(yl)))
        | (_mm256_movemask_pd(_mm256_and_pd(finite(xh), finite(yh))) << 4);
    let clamp = |v: __m256d| {
        let c = _mm256_min_pd(_mm256_max_pd(v, _mm256_set1_pd(-FAR)), _mm256_set1_pd(FAR));
        _mm256_and_pd(c, finite(v))
    };
    (lane_mask(bits), pos.map(clamp))
}

/// The last of `on..off` where `holds` is true, given that it holds at
/// `on` and, from there, on an interval of indices (not at `off`, or
/// `off` is past the end): bisection.
pub(super) fn last_holding(mut on: usize, mut off: usize, holds: impl Fn(usize) -> bool) -> usize {
    while off - on > 1 {
        let mid = on + (off - on) / 2;
        if holds(mid) {
            on = mid;
        } else {
            off = mid;
        }
    }
    on
}

/// `t*(b - a) + a` with one rounding, the reference's lerp (`mul_add`).
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn lerp(a: __m256, b: __m256, t: __m256) -> __m256 {
    _mm256_fmadd_ps(t, _mm256_sub_ps(b, a), a)
}

/// A byte-shuffle control that widens bytes `first..first + 4` of a
/// 128-bit lane to its four 32-bit lanes (a tap's 4 channels, zero-extended).
pub(super) const fn widening_control(first: i8) -> [i8; 16] {
    let mut lane = [-1i8; 16];
    let mut c = 0;
    while c < 4 {
        lane[4 * c] = first + c as i8;
        c += 1;
    }
    lane
}

/// Pixels `[k | k+4]` for k = 0..4, four channels each, as four channel
/// vectors of pixels 0..8 (a 4x4 transpose in each 128-bit lane).
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn soa(px: [__m256; 4]) -> [__m256; 4] {
    {
        let t0 = _mm256_unpacklo_ps(px[0], px[1]); // c0 of 0 1, c1 of 0 1
        let t1 = _mm256_unpackhi_ps(px[0], px[1]); // c2 of 0 1, c3 of 0 1
        let t2 = _mm256_unpacklo_ps(px[2], px[3]);
        let t3 = _mm256_unpackhi_ps(px[2], px[3]);
        [
            _mm256_shuffle_ps::<0x44>(t0, t2),
            _mm256_shuffle_ps::<0xEE>(t0, t2),
            _mm256_shuffle_ps::<0x44>(t1, t3),
            _mm256_shuffle_ps::<0xEE>(t1, t3),
        ]
    }
}

/// The first `C` of four vectors.
#[inline(always)]
pub(super) fn copy_channels<const C: usize>(v: &[__m256; 4]) -> [__m256; C] {
    core::array::from_fn(|c| v[c])
}

/// Byte `n` of each 32-bit lane as `f32`.
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn byte_of(words: __m256i, n: usize) -> __m256 {
    {
        let shifted = match n {
            0 => words,
            1 => _mm256_srli_epi32::<8>(words),
            2 => _mm256_srli_epi32::<16>(words),
            _ => _mm256_srli_epi32::<24>(words),
        };
        _mm256_cvtepi32_ps(_mm256_and_si256(shifted, _mm256_set1_epi32(0xff)))
    }
}

/// The 4-byte words at byte offsets `base[k]` of `data`, one load per lane.
///
/// # Safety
/// Each 4-byte read at `base[k]` must lie within `data`.
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) unsafe fn load_words(data: &[u8], base: &[i32; 8]) -> __m256i {
    // SAFETY: the caller's guarantee; the reads are unaligned.
    let w = |k: usize| unsafe {
        data.as_ptr()
            .add(base[k] as usize)
            .cast::<i32>()
            .read_unaligned()
    };
    _mm256_setr_epi32(w(0), w(1), w(2), w(3), w(4), w(5), w(6), w(7))
}
