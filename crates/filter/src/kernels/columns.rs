//! The vertical pass of the `u8` route of separable convolution
//! (`separable`, columns first): `out_i[e] = Σ_t w[t] · rows[i + t][e]`
//! in `f32`, one fused multiply-add per tap from 0, the taps in order:
//! exactly [`super::vertical_rows`] of the rows converted to `f32`, read
//! straight from the source's bytes.
//!
//! On AVX2 each 32 bytes of a row are widened once for both rows of a
//! pair of outputs, one of two ways by the kernel's length:
//!
//! - up to [`IN_ORDER_TAPS`] taps, in order, by four zero-extending loads
//!   of 8 bytes (4 shuffles per row read, none per output);
//! - longer kernels without shuffles: byte `k` of every 4-byte word is a
//!   shift and a mask, so four vectors hold elements `4i + k`, summed in
//!   that order and put back in order once per output (12 shuffles per 32
//!   sums, instead of 4 per row read).
//!
//! Paired against `libblur` on Zen 3, in order took the Gaussian at σ = 1
//! (7 taps) from 1.00 to 0.82 of the peer's time and σ = 3 (19 taps) from
//! 0.95–0.97 to 0.91, and σ = 10 (61 taps) from 0.93 to 0.98, hence the
//! split. Other paths have no such kernel, and the caller converts rows to
//! `f32` for [`super::vertical_rows`].
//!
//! The horizontal pass that follows, [`Bytes::horizontal`], is
//! [`super::weighted_sum`] into `u8` in blocks of 64 sums, the store rule
//! a clamp and a conversion per 8 sums and three saturating packs and a
//! permute per 32, where the generic path stores through
//! `u8::store_row`. Paired against `libblur` on Zen 3 it took the
//! Gaussian at σ = 1 from 1.12 to 1.00 of the peer's time.

use geom::Isa;

use crate::element::Sample;

/// The longest vertical kernel widened in order (see [`Bytes::vertical`]);
/// longer ones take the shuffle-free widening.
pub(crate) const IN_ORDER_TAPS: usize = 32;

/// The proof that the bytes kernel can run: AVX2 and FMA, and the AVX2
/// path chosen.
#[derive(Clone, Copy)]
pub(crate) struct Bytes(());

impl Bytes {
    /// The kernel for `isa`, if it has one: the AVX2 path only. AVX-512
    /// keeps the `f32` rows, as measured before this route (the kernel
    /// is not measured there).
    pub(crate) fn new(isa: Isa) -> Option<Bytes> {
        #[cfg(target_arch = "x86_64")]
        if isa == Isa::Avx2
            && std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
        {
            return Some(Bytes(()));
        }
        let _ = isa;
        None
    }

    /// `outs[i][e] = Σ_t weights[t] · rows[i + t][e]` over the elements
    /// every row and output has (`rows` holds at least
    /// `weights.len() + outs.len() - 1` rows; with fewer, nothing is
    /// written).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    pub(crate) fn vertical(self, rows: &[&[u8]], weights: &[f32], outs: &mut [&mut [f32]]) {
        if rows.len() + 1 < weights.len() + outs.len() || weights.is_empty() {
            return;
        }
        let n = rows
            .iter()
            .map(|r| r.len())
            .chain(outs.iter().map(|o| o.len()))
            .min()
            .unwrap_or(0);
        let in_order = weights.len() <= IN_ORDER_TAPS;
        let mut i = 0;
        while i < outs.len() {
            let rows = &rows[i..];
            let done = match &mut outs[i..] {
                [first, second, ..] => {
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: `Bytes::new` checked AVX2 and FMA.
                    let e = unsafe {
                        if in_order {
                            x86::pair::<true>(rows, weights, first, second, n)
                        } else {
                            x86::pair::<false>(rows, weights, first, second, n)
                        }
                    };
                    #[cfg(not(target_arch = "x86_64"))]
                    let e = 0;
                    tail(&rows[..weights.len()], weights, first, e, n);
                    tail(&rows[1..=weights.len()], weights, second, e, n);
                    2
                }
                [only, ..] => {
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: as above.
                    let e = unsafe {
                        if in_order {
                            x86::single::<true>(rows, weights, only, n)
                        } else {
                            x86::single::<false>(rows, weights, only, n)
                        }
                    };
                    #[cfg(not(target_arch = "x86_64"))]
                    let e = 0;
                    tail(&rows[..weights.len()], weights, only, e, n);
                    1
                }
                [] => break,
            };
            i += done;
        }
    }

    /// The horizontal pass into bytes: `out[e] = u8::store(Σ_t
    /// weights[t] · padded[e + t · channels])`, one fused multiply-add per
    /// tap from 0 in order (exactly [`super::weighted_sum`] of the terms
    /// `(&padded[t · channels..], weights[t])`), for the elements `out`
    /// and the padded row both have.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    pub(crate) fn horizontal(
        self,
        padded: &[f32],
        weights: &[f32],
        channels: usize,
        out: &mut [u8],
    ) {
        let reach = (weights.len().max(1) - 1) * channels;
        let n = out.len().min(padded.len().saturating_sub(reach));
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Bytes::new` checked AVX2 and FMA; every tap reads
        // `padded[e + t · channels]` with `e < n`, inside `padded`.
        let from = unsafe { x86::horizontal(padded, weights, channels, out, n) };
        #[cfg(not(target_arch = "x86_64"))]
        let from = 0;
        for (e, o) in out.iter_mut().enumerate().take(n).skip(from) {
            let sum = weights
                .iter()
                .enumerate()
                .fold(0.0f32, |s, (t, &w)| w.mul_add(padded[e + t * channels], s));
            *o = u8::store(sum);
        }
    }
}

/// Elements `from .. n` of one output, as the scalar reference sums them.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
fn tail(rows: &[&[u8]], weights: &[f32], out: &mut [f32], from: usize, n: usize) {
    for e in from..n {
        out[e] = rows
            .iter()
            .zip(weights)
            .fold(0.0f32, |s, (row, &w)| w.mul_add(f32::from(row[e]), s));
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::*;

    /// The four vectors of the 32 bytes from `p` as `f32`: in order
    /// (vector `k` holds bytes `8k .. 8k + 8`) when `IN_ORDER`, by four
    /// zero-extending loads; otherwise vector `k` holds bytes `4i + k`,
    /// from one load by shifts and masks, no shuffle.
    ///
    /// # Safety
    ///
    /// AVX2 and FMA; `p` readable for 32 bytes.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn widened<const IN_ORDER: bool>(p: *const u8) -> [__m256; 4] {
        if IN_ORDER {
            return core::array::from_fn(|k| {
                // SAFETY: bytes 8k .. 8k + 8 of the 32 (the caller's
                // contract).
                let v = unsafe { _mm_loadl_epi64(p.add(8 * k).cast()) };
                _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v))
            });
        }
        // SAFETY: the caller's contract.
        let v = unsafe { _mm256_loadu_si256(p.cast()) };
        let low = _mm256_set1_epi32(0xff);
        [
            _mm256_cvtepi32_ps(_mm256_and_si256(v, low)),
            _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32::<8>(v), low)),
            _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32::<16>(v), low)),
            _mm256_cvtepi32_ps(_mm256_srli_epi32::<24>(v)),
        ]
    }

    /// Stores sums `acc`, laid out as [`widened::<IN_ORDER>`] lays them
    /// out, in order into `out[..32]`.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    fn put<const IN_ORDER: bool>(acc: [__m256; 4], out: &mut [f32]) {
        let ordered = if IN_ORDER {
            acc
        } else {
            let pd = _mm256_castps_pd;
            let ps = _mm256_castpd_ps;
            let l01 = pd(_mm256_unpacklo_ps(acc[0], acc[1]));
            let h01 = pd(_mm256_unpackhi_ps(acc[0], acc[1]));
            let l23 = pd(_mm256_unpacklo_ps(acc[2], acc[3]));
            let h23 = pd(_mm256_unpackhi_ps(acc[2], acc[3]));
            // Words 4i .. 4i + 4 for i = 0 | 4, 1 | 5, 2 | 6, 3 | 7.
            let i04 = ps(_mm256_unpacklo_pd(l01, l23));
            let i15 = ps(_mm256_unpackhi_pd(l01, l23));
            let i26 = ps(_mm256_unpacklo_pd(h01, h23));
            let i37 = ps(_mm256_unpackhi_pd(h01, h23));
            [
                _mm256_permute2f128_ps::<0x20>(i04, i15),
                _mm256_permute2f128_ps::<0x20>(i26, i37),
                _mm256_permute2f128_ps::<0x31>(i04, i15),
                _mm256_permute2f128_ps::<0x31>(i26, i37),
            ]
        };
        for (chunk, v) in out[..32].chunks_exact_mut(8).zip(ordered) {
            // SAFETY: `chunk` is 8 floats.
            unsafe { _mm256_storeu_ps(chunk.as_mut_ptr(), v) };
        }
    }

    /// Two outputs, `first` from `rows[..taps]` and `second` from
    /// `rows[1..=taps]`, in blocks of 32 elements up to `n`; returns the
    /// first element left.
    ///
    /// # Safety
    ///
    /// AVX2 and FMA; `rows` holds `weights.len() + 1` rows or more; every
    /// row and output has `n` elements or more.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn pair<const IN_ORDER: bool>(
        rows: &[&[u8]],
        weights: &[f32],
        first: &mut [f32],
        second: &mut [f32],
        n: usize,
    ) -> usize {
        let taps = weights.len();
        let mut e = 0;
        while e + 32 <= n {
            let mut a = [_mm256_setzero_ps(); 4];
            let mut b = [_mm256_setzero_ps(); 4];
            for (s, row) in rows[..=taps].iter().enumerate() {
                // SAFETY: `e + 32 <= n <= row.len()`.
                let x = unsafe { widened::<IN_ORDER>(row.as_ptr().add(e)) };
                if s < taps {
                    let w = _mm256_set1_ps(weights[s]);
                    for (a, x) in a.iter_mut().zip(x) {
                        *a = _mm256_fmadd_ps(w, x, *a);
                    }
                }
                if s > 0 {
                    let w = _mm256_set1_ps(weights[s - 1]);
                    for (b, x) in b.iter_mut().zip(x) {
                        *b = _mm256_fmadd_ps(w, x, *b);
                    }
                }
            }
            put::<IN_ORDER>(a, &mut first[e..]);
            put::<IN_ORDER>(b, &mut second[e..]);
            e += 32;
        }
        e
    }

    /// One output from `rows[..taps]`, like [`pair`].
    ///
    /// # Safety
    ///
    /// AVX2 and FMA; `rows` holds `weights.len()` rows or more; every row
    /// and `out` have `n` elements or more.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn single<const IN_ORDER: bool>(
        rows: &[&[u8]],
        weights: &[f32],
        out: &mut [f32],
        n: usize,
    ) -> usize {
        let mut e = 0;
        while e + 32 <= n {
            let mut a = [_mm256_setzero_ps(); 4];
            for (row, &w) in rows.iter().zip(weights) {
                // SAFETY: `e + 32 <= n <= row.len()`.
                let x = unsafe { widened::<IN_ORDER>(row.as_ptr().add(e)) };
                let w = _mm256_set1_ps(w);
                for (a, x) in a.iter_mut().zip(x) {
                    *a = _mm256_fmadd_ps(w, x, *a);
                }
            }
            put::<IN_ORDER>(a, &mut out[e..]);
            e += 32;
        }
        e
    }

    /// [`super::Bytes::horizontal`] in blocks of 32 outputs up to `n`;
    /// returns the first element left.
    ///
    /// # Safety
    ///
    /// AVX2 and FMA; `out` has `n` elements or more, and `padded` has
    /// `n + (weights.len() - 1) · channels` or more.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn horizontal(
        padded: &[f32],
        weights: &[f32],
        channels: usize,
        out: &mut [u8],
        n: usize,
    ) -> usize {
        const BLOCK: usize = 8 * V;
        const V: usize = 8;
        let ceiling = _mm256_set1_ps(255.0);
        let base = padded.as_ptr();
        let mut e = 0;
        while e + BLOCK <= n {
            let mut acc = [_mm256_setzero_ps(); V];
            for (t, &w) in weights.iter().enumerate() {
                let w = _mm256_set1_ps(w);
                for (j, a) in acc.iter_mut().enumerate() {
                    // SAFETY: `e + 8 j + 8 <= n`, and `padded` has
                    // `n + t · channels` floats (the caller's contract).
                    let x = unsafe { _mm256_loadu_ps(base.add(e + t * channels + 8 * j)) };
                    *a = _mm256_fmadd_ps(w, x, *a);
                }
            }
            // The store rule: `min(255, v)` keeps a NaN (`minps` returns
            // its second operand then), which converts to `i32::MIN` like
            // -∞ and any negative value, and the packs saturate those to 0
            // and the rest to 0–255; the conversion rounds ties to even.
            let words = acc.map(|a| _mm256_cvtps_epi32(_mm256_min_ps(ceiling, a)));
            for (chunk, pair) in out[e..e + BLOCK]
                .chunks_exact_mut(32)
                .zip(words.chunks_exact(4))
            {
                let low = _mm256_packs_epi32(pair[0], pair[1]);
                let high = _mm256_packs_epi32(pair[2], pair[3]);
                let bytes = _mm256_permutevar8x32_epi32(
                    _mm256_packus_epi16(low, high),
                    _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7),
                );
                // SAFETY: `chunk` is 32 bytes.
                unsafe { _mm256_storeu_si256(chunk.as_mut_ptr().cast(), bytes) };
            }
            e += BLOCK;
        }
        e
    }
}
