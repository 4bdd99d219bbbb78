//! Integer kernels for the `u8` antialias level (see `pyramid.rs`).
//!
//! The level's reference computes block means in `f32`: sums of `u8`
//! values are exact there, the scale `1 / (kx ky)` is a power of two, and
//! the result is rounded half to even. The same means computed on `u16`
//! sums with an integer round-half-even shift are therefore the same bits,
//! and they vectorise without the per-value shuffles the `f32` reduction of
//! interleaved channels costs.
//!
//! The horizontal step sums adjacent pixel pairs of an interleaved row.
//! For 3 channels that is a 6-to-3 compaction, which portable code can only
//! express as scalar moves; AVX-512 does it with two `vpermt2w` per 64
//! values, so that path is written by hand (it was 4x faster than the
//! compiler's vectorisation of the portable loop on a 600-pixel RGB row),
//! and with VBMI's byte shuffles for the commonest level (2 x 1 blocks).

/// A row of values to pair up: the source row itself (`u8`, when a block
/// is one row high) or column sums.
#[derive(Clone, Copy)]
pub(crate) enum Row<'a> {
    /// Source values.
    U8(&'a [u8]),
    /// Sums over several rows or a previous pairing round.
    U16(&'a [u16]),
}

impl Row<'_> {
    fn len(self) -> usize {
        match self {
            Row::U8(r) => r.len(),
            Row::U16(r) => r.len(),
        }
    }
}

/// `s / 2^shift` rounded half to even, for `s` below `2^16 - 2^shift`
/// (block sums of at most 256 `u8` values): what `f32` gives for the
/// exact quotient, without leaving integers.
#[inline(always)]
pub(crate) fn round_shift(s: u16, shift: u32) -> u16 {
    let half_minus_one = (1u16 << shift >> 1).wrapping_sub(1);
    (s + half_minus_one + ((s >> shift) & 1)) >> shift
}

/// Where the output of a pairing round goes.
pub(crate) enum Out<'a> {
    /// Pair sums, for another round.
    Sums(&'a mut [u16]),
    /// Pair sums divided by `2^shift`, rounded half to even: the level.
    Means(&'a mut [u8], u32),
}

/// Pairs up the first `2 * out.len()` values of an interleaved row of `c`
/// channels: output `c*j + ch` is `row[2cj + ch] + row[2cj + c + ch]`,
/// then stored as a sum or as a rounded mean.
///
/// `simd` selects the code: the AVX-512 kernel under pulp's `V4`, portable
/// loops otherwise (the same integer results on every path).
#[inline(always)]
pub(crate) fn pair_up<S: pulp::Simd>(_simd: S, c: usize, row: Row<'_>, out: Out<'_>) {
    #[cfg(target_arch = "x86_64")]
    if std::any::TypeId::of::<S>() == std::any::TypeId::of::<pulp::x86::V4>()
        && matches!(c, 1 | 3 | 4)
    {
        let out = match (row, out) {
            (Row::U8(bytes), Out::Means(means, 1))
                if std::arch::is_x86_feature_detected!("avx512vbmi") =>
            {
                // SAFETY: V4 (AVX-512 F/BW/VL) and VBMI, checked just above.
                unsafe { x86::pair_means_u8_vbmi(c, bytes, means) };
                return;
            }
            (_, out) => out,
        };
        // SAFETY: a `V4` token exists only on CPUs with AVX-512 F/BW/VL
        // (pulp checks them at run time before handing one out).
        unsafe { x86::pair_up_avx512(c, row, out) };
        return;
    }
    match c {
        1 => pair_up_portable::<1>(row, out),
        3 => pair_up_portable::<3>(row, out),
        _ => pair_up_portable::<4>(row, out),
    }
}

#[inline(always)]
fn pair_up_portable<const C: usize>(row: Row<'_>, out: Out<'_>) {
    // One loop per combination, so the element types are known inside
    // and the compiler can vectorise the fixed-stride pattern.
    match (row, out) {
        (Row::U8(row), Out::Sums(out)) => pair_loop::<u8, u16, C>(row, out, |s| s),
        (Row::U16(row), Out::Sums(out)) => pair_loop::<u16, u16, C>(row, out, |s| s),
        (Row::U8(row), Out::Means(out, shift)) => {
            pair_loop::<u8, u8, C>(row, out, |s| round_shift(s, shift) as u8)
        }
        (Row::U16(row), Out::Means(out, shift)) => {
            pair_loop::<u16, u8, C>(row, out, |s| round_shift(s, shift) as u8)
        }
    }
}

#[inline(always)]
fn pair_loop<V: Copy + Into<u16>, O, const C: usize>(
    row: &[V],
    out: &mut [O],
    finish: impl Fn(u16) -> O,
) {
    for (o, pair) in out.chunks_exact_mut(C).zip(row.chunks_exact(2 * C)) {
        for ch in 0..C {
            o[ch] = finish(pair[ch].into() + pair[ch + C].into());
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{Out, Row};
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
                    _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(
                        mask(32),
                        p.wrapping_add(32).cast(),
                    )),
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
            let odd_tie =
                _mm512_and_si512(_mm512_and_si512(_mm512_xor_si512(left, right), up), one);
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_shift_is_round_half_to_even_of_the_quotient() {
        for shift in 1..=8u32 {
            for s in 0..=(255u32 << shift) {
                let exact = (s as f32 / (1u32 << shift) as f32).round_ties_even() as u16;
                assert_eq!(round_shift(s as u16, shift), exact, "{s} >> {shift}");
            }
        }
    }

    #[test]
    fn every_path_pairs_up_alike() {
        for c in [1usize, 3, 4] {
            for len in [0usize, 1, 7, 31, 32, 33, 63, 64, 65, 129, 600] {
                let pixels = len / 2;
                let row8: Vec<u8> = (0..2 * pixels * c + 5)
                    .map(|i| (i * 97 % 256) as u8)
                    .collect();
                let row16: Vec<u16> = row8.iter().map(|&v| u16::from(v) * 3).collect();
                let mut expected_sums = vec![0u16; pixels * c];
                let mut expected_means = vec![0u8; pixels * c];
                for j in 0..pixels {
                    for ch in 0..c {
                        let (a, b) = (2 * c * j + ch, 2 * c * j + c + ch);
                        expected_sums[c * j + ch] = row16[a] + row16[b];
                        let s = f32::from(row8[a]) + f32::from(row8[b]);
                        expected_means[c * j + ch] = (s * 0.5).round_ties_even() as u8;
                    }
                }
                for isa in geom::Isa::available() {
                    struct Run<'a>(usize, &'a [u8], &'a [u16], &'a mut [u16], &'a mut [u8]);
                    impl pulp::WithSimd for Run<'_> {
                        type Output = ();
                        fn with_simd<S: pulp::Simd>(self, simd: S) {
                            let Run(c, row8, row16, sums, means) = self;
                            pair_up(simd, c, Row::U16(row16), Out::Sums(sums));
                            pair_up(simd, c, Row::U8(row8), Out::Means(means, 1));
                        }
                    }
                    let mut sums = vec![0u16; pixels * c];
                    let mut means = vec![0u8; pixels * c];
                    isa.vectorize(Run(c, &row8, &row16, &mut sums, &mut means));
                    assert_eq!(sums, expected_sums, "{isa} c {c} len {len}");
                    assert_eq!(means, expected_means, "{isa} c {c} len {len}");
                }
            }
        }
    }
}
