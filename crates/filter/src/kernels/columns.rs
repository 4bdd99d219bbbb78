//! The two passes of the `u8` route of separable convolution
//! (`separable`, columns first) on AVX2.
//!
//! The vertical pass, [`Bytes::vertical`]: `out_i[e] = Σ_t w[t] ·
//! rows[i + t][e]` in `f32`, one fused multiply-add per tap from 0, the
//! taps in order: exactly [`super::vertical_rows`] of the rows converted
//! to `f32`, read straight from the source's bytes. Each row is widened
//! once for four or six outputs ([`Bytes::group`]; the last rows of an
//! image go by pairs and one), in order, by zero-extending loads of 8
//! bytes, and the sums are stored as they are. Paired against `libblur`
//! on Zen 3, this took the Gaussian at σ = 1 / 3 / 10 (7 / 19 / 61 taps)
//! to 0.80 / 0.85 / 0.82 of the peer's time. The widening it replaced (a
//! shift and a mask per byte of each 4-byte word, no shuffle, for pairs
//! of outputs, the sums put back in order with 12 shuffles per 32) read
//! 1.00 / 0.96 / 0.93 with the same horizontal pass. Other paths have no
//! such kernel, and the caller converts rows to `f32` for
//! [`super::vertical_rows`].
//!
//! The horizontal pass that follows, [`Bytes::horizontal`], is
//! [`super::weighted_sum`] into `u8` in blocks of 64 sums, the store rule
//! a clamp and a conversion per 8 sums and three saturating packs and a
//! permute per 32, where the generic path stores through
//! `u8::store_row`. Paired against `libblur` on Zen 3 it took the
//! Gaussian at σ = 1 from 1.12 to 1.00 of the peer's time (with the older
//! vertical widening).
//!
//! Both passes finish a row in vector code: the last elements take
//! blocks of 8 and then one part-block (its bytes copied into a vector,
//! or its floats loaded under a mask). The scalar loops after them ran
//! before, compiled without FMA, where each tap is a call to `fmaf`: on a
//! 224x224 RGB image (the size a training pipeline blurs) a row's last 32
//! outputs took longer than the 640 before them. Forced onto AVX2 on a
//! Xeon, Gaussian σ = 1 / 3 / 10 on 224x224 RGB went from 4.8 / 12.2 /
//! 40 ns per pixel to 1.7 / 4.2 / 13.2, where 1024x768 takes 1.7 / 3.8 /
//! 11.5 either way.

use geom::Isa;

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

    /// The output rows [`Bytes::vertical`] sums together for a kernel of
    /// `taps`: six once the rows that feed all six (`taps - 5`) are at
    /// least the ten at the edges that feed some, four below. Paired
    /// against `libblur` on Zen 3, six took 0.82 of the peer's time at 7
    /// taps where four took 0.80, 0.845 at 19 taps against 0.86, and 0.82
    /// at 61 taps against 0.92. Seven would not fit AVX2's 16 registers.
    pub(crate) fn group(taps: usize) -> usize {
        if taps >= 15 { 6 } else { 4 }
    }

    /// `outs[i][e] = Σ_t weights[t] · rows[i + t][e]` over the elements
    /// every row and output has (`rows` holds at least
    /// `weights.len() + outs.len() - 1` rows; with fewer, nothing is
    /// written).
    pub(crate) fn vertical(self, rows: &[&[u8]], weights: &[f32], outs: &mut [&mut [f32]]) {
        // Off x86 no `Bytes` exists (`Bytes::new`), so this never runs.
        #[cfg(not(target_arch = "x86_64"))]
        let _ = (rows, weights, outs);
        #[cfg(target_arch = "x86_64")]
        self.vertical_x86(rows, weights, outs);
    }

    /// [`Bytes::vertical`] on x86: groups of outputs, each finished in
    /// vector code ([`x86::group`]).
    #[cfg(target_arch = "x86_64")]
    fn vertical_x86(self, rows: &[&[u8]], weights: &[f32], outs: &mut [&mut [f32]]) {
        if rows.len() + 1 < weights.len() + outs.len() || weights.is_empty() {
            return;
        }
        let n = rows
            .iter()
            .map(|r| r.len())
            .chain(outs.iter().map(|o| o.len()))
            .min()
            .unwrap_or(0);
        let group = Self::group(weights.len());
        let mut i = 0;
        while i < outs.len() {
            let rows = &rows[i..];
            let outs = &mut outs[i..];
            // The image's last rows, fewer than a group, go by pairs and
            // then one.
            let size = if outs.len() >= group {
                group
            } else {
                outs.len().min(2)
            };
            // SAFETY: `Bytes::new` checked AVX2 and FMA; `rows` holds
            // `weights.len() + size - 1` rows (checked above), every row
            // and output `n` elements or more.
            unsafe {
                match size {
                    6 => outs
                        .first_chunk_mut::<6>()
                        .map_or((), |g| x86::group(rows, weights, g, n)),
                    4 => outs
                        .first_chunk_mut::<4>()
                        .map_or((), |g| x86::group(rows, weights, g, n)),
                    2 => outs
                        .first_chunk_mut::<2>()
                        .map_or((), |g| x86::group(rows, weights, g, n)),
                    _ => outs
                        .first_chunk_mut::<1>()
                        .map_or((), |g| x86::group(rows, weights, g, n)),
                }
            }
            i += size;
        }
    }

    /// The horizontal pass into bytes: `out[e] = u8::store(Σ_t
    /// weights[t] · padded[e + t · channels])`, one fused multiply-add per
    /// tap from 0 in order (exactly [`super::weighted_sum`] of the terms
    /// `(&padded[t · channels..], weights[t])`), for the elements `out`
    /// and the padded row both have.
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
        unsafe {
            x86::horizontal(padded, weights, channels, out, n)
        };
        // Off x86 no `Bytes` exists (`Bytes::new`), so this never runs.
        #[cfg(not(target_arch = "x86_64"))]
        let _ = (n, out);
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::*;

    /// `G` outputs, output `o` from `rows[o..o + taps]`, in blocks of 16
    /// elements, then 8, then the last ones up to `n` ([`block`]). No
    /// element is left to scalar code: compiled outside this function, a
    /// tap there would cost a call to `fmaf`, which made a 224-pixel RGB
    /// row's last 32 horizontal sums take longer than the 640 before them.
    ///
    /// # Safety
    ///
    /// AVX2 and FMA; `rows` holds `weights.len() + G - 1` rows or more;
    /// every row and output has `n` elements or more.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn group<const G: usize>(
        rows: &[&[u8]],
        weights: &[f32],
        outs: &mut [&mut [f32]; G],
        n: usize,
    ) {
        let rows = &rows[..weights.len() + G - 1];
        let mut e = 0;
        while e + 16 <= n {
            // SAFETY: as this function's, with `e + 16 <= n`.
            unsafe { block::<G, 2, false>(rows, weights, outs, e, 8) };
            e += 16;
        }
        if e + 8 <= n {
            // SAFETY: as this function's, with `e + 8 <= n`.
            unsafe { block::<G, 1, false>(rows, weights, outs, e, 8) };
            e += 8;
        }
        if e < n {
            // SAFETY: as this function's, with `e + (n - e) <= n`.
            unsafe { block::<G, 1, true>(rows, weights, outs, e, n - e) };
        }
    }

    /// Elements `e .. e + 8 V` of the `G` outputs, or with `PART` the
    /// first `last` (fewer than 8, through a copy) of `e .. e + 8`. Row `s`
    /// feeds output `o` with weight `s - o`, rows in increasing `s`, so
    /// each output sums its taps in order, and each row's widening serves
    /// `G` outputs (`2G` sums, two vectors and a weight stay in the
    /// registers up to `G = 6`).
    ///
    /// # Safety
    ///
    /// AVX2 and FMA; `rows` holds `weights.len() + G - 1` rows; every row
    /// and output has the elements the block covers.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn block<const G: usize, const V: usize, const PART: bool>(
        rows: &[&[u8]],
        weights: &[f32],
        outs: &mut [&mut [f32]; G],
        e: usize,
        last: usize,
    ) {
        let taps = weights.len();
        let mut acc = [[_mm256_setzero_ps(); V]; G];
        // Rows G - 1 .. taps feed every output; the G - 1 before and
        // after are checked output by output. Constant output indices
        // keep `acc` in registers.
        let mut feed = |s: usize, every: bool| {
            let x: [__m256; V] = core::array::from_fn(|k| {
                let v = if !PART {
                    // SAFETY: bytes e + 8k .. e + 8k + 8 of the row (the
                    // caller's contract).
                    unsafe { _mm_loadl_epi64(rows[s].as_ptr().add(e + 8 * k).cast()) }
                } else {
                    let mut part = [0u8; 8];
                    part[..last].copy_from_slice(&rows[s][e..e + last]);
                    // SAFETY: `part` is 8 bytes.
                    unsafe { _mm_loadl_epi64(part.as_ptr().cast()) }
                };
                _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v))
            });
            for (o, acc) in acc.iter_mut().enumerate() {
                if every || (o <= s && s - o < taps) {
                    let w = _mm256_set1_ps(weights[s - o]);
                    for (a, &x) in acc.iter_mut().zip(&x) {
                        *a = _mm256_fmadd_ps(w, x, *a);
                    }
                }
            }
        };
        for s in 0..G - 1 {
            feed(s, false);
        }
        for s in G - 1..taps {
            feed(s, true);
        }
        for s in taps.max(G - 1)..taps + G - 1 {
            feed(s, false);
        }
        for (out, acc) in outs.iter_mut().zip(acc) {
            if PART {
                let mut part = [0.0f32; 8];
                // SAFETY: `part` is 8 floats.
                unsafe { _mm256_storeu_ps(part.as_mut_ptr(), acc[0]) };
                out[e..e + last].copy_from_slice(&part[..last]);
                continue;
            }
            for (chunk, v) in out[e..e + 8 * V].chunks_exact_mut(8).zip(acc) {
                // SAFETY: `chunk` is 8 floats.
                unsafe { _mm256_storeu_ps(chunk.as_mut_ptr(), v) };
            }
        }
    }

    /// [`super::Bytes::horizontal`] in blocks of 64 outputs, then 8, then
    /// the last ones (loads under a mask) up to `n`.
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
    ) {
        const BLOCK: usize = 8 * V;
        const V: usize = 8;
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
            let words = acc.map(|a| words(a));
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
        let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        while e < n {
            let len = (n - e).min(8);
            // Lane `i` is read where `i < len`.
            let mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(len as i32), lanes);
            let mut a = _mm256_setzero_ps();
            for (t, &w) in weights.iter().enumerate() {
                let at = base.wrapping_add(e + t * channels);
                // SAFETY: the lanes the mask keeps are below `n`, so inside
                // `padded` as above; the others are not read.
                let x = unsafe { _mm256_maskload_ps(at, mask) };
                a = _mm256_fmadd_ps(_mm256_set1_ps(w), x, a);
            }
            let words = words(a);
            let halves = _mm_packs_epi32(
                _mm256_castsi256_si128(words),
                _mm256_extracti128_si256::<1>(words),
            );
            let bytes = (_mm_cvtsi128_si64(_mm_packus_epi16(halves, halves)) as u64).to_le_bytes();
            out[e..e + len].copy_from_slice(&bytes[..len]);
            e += len;
        }
    }

    /// The store rule before the packs: `min(255, v)` keeps a NaN (`minps`
    /// returns its second operand then), which converts to `i32::MIN` like
    /// -∞ and any negative value, and the packs saturate those to 0 and
    /// the rest to 0–255; the conversion rounds ties to even.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn words(sums: __m256) -> __m256i {
        _mm256_cvtps_epi32(_mm256_min_ps(_mm256_set1_ps(255.0), sums))
    }
}
