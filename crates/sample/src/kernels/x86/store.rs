//! The last step of a block: the value affine `v*scale + offset` (a multiply
//! then an add, `finish` in `kernels::scalar`) and the store. `f32` values
//! are written as they are, interleaved or into planes; `u8` values are
//! `geom::Element::from_f32` lane by lane (clamp to 0..=255 with NaN to 0,
//! add 1.5 * 2^23, keep the low byte: round half to even) and then packed
//! into interleaved bytes by shuffles, which move bytes and change none.

use super::geometry::LANES;
use super::lanes::soa;
use crate::kernels::sink::RawRow;
use crate::options::ChannelAffine;
use core::arch::x86_64::*;

/// Stores a colour block's pixels (pixel `k` in the low lane of `px[k]`,
/// `k + 4` in the high lane) at pixels `j0..j0 + 8` of `out`; `u8` values
/// are clamped first only if `clamp` (see [`round_u8`]).
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn put_pixels<const C: usize>(
    px: [__m256; 4],
    j0: usize,
    clamp: bool,
    out: &mut RawRow<'_>,
) {
    match out {
        RawRow::U8(row) => {
            let q = px.map(|v| round_u8(v, clamp));
            // Pixels 0 1 2 3 | 4 5 6 7, four bytes each, in order.
            let words = _mm256_packus_epi16(
                _mm256_packus_epi32(q[0], q[1]),
                _mm256_packus_epi32(q[2], q[3]),
            );
            write_u8::<C>(&mut row[j0 * C..(j0 + LANES) * C], words);
        }
        RawRow::F32(row) => {
            let dst = &mut row[j0 * C..(j0 + LANES) * C];
            for (k, v) in px.iter().enumerate() {
                for (lane, half) in [_mm256_castps256_ps128(*v), _mm256_extractf128_ps::<1>(*v)]
                    .into_iter()
                    .enumerate()
                {
                    let at = (k + 4 * lane) * C;
                    let mut four = [0.0f32; 4];
                    // SAFETY: `four` holds 4 floats.
                    unsafe { _mm_storeu_ps(four.as_mut_ptr(), half) };
                    dst[at..at + C].copy_from_slice(&four[..C]);
                }
            }
        }
        RawRow::Planar(planes) => {
            let v = soa(px);
            for (plane, vc) in planes.iter_mut().zip(v).take(C) {
                let dst: &mut [f32; LANES] = match (&mut plane[j0..j0 + LANES]).try_into() {
                    Ok(d) => d,
                    Err(_) => return,
                };
                // SAFETY: 8 floats written to an 8-float array.
                unsafe { _mm256_storeu_ps(dst.as_mut_ptr(), vc) };
            }
        }
    }
}

/// Writes 8 pixels whose channels are the low `C` bytes of each 32-bit
/// lane (in pixel order) to `out` (`8 * C` bytes).
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn write_u8<const C: usize>(out: &mut [u8], words: __m256i) {
    if C == 4 {
        let dst: &mut [u8; 32] = match out.try_into() {
            Ok(d) => d,
            Err(_) => return,
        };
        // SAFETY: 32 bytes fill the 32-byte `dst`.
        unsafe { _mm256_storeu_si256(dst.as_mut_ptr().cast(), words) };
        return;
    }
    let dst: &mut [u8; 24] = match out.try_into() {
        Ok(d) => d,
        Err(_) => return,
    };
    // Drop every fourth byte within lanes (12 + 12), then close the gap.
    let bytes = _mm256_shuffle_epi8(
        words,
        _mm256_setr_epi8(
            0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1, 0, 1, 2, 4, 5, 6, 8, 9, 10, 12,
            13, 14, -1, -1, -1, -1,
        ),
    );
    let packed = _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7));
    // SAFETY: 16 + 8 bytes fill the 24-byte `dst`.
    unsafe {
        _mm_storeu_si128(dst.as_mut_ptr().cast(), _mm256_castsi256_si128(packed));
        _mm_storel_epi64(
            dst.as_mut_ptr().add(16).cast(),
            _mm256_extracti128_si256::<1>(packed),
        );
    }
}

/// Applies the value affine and stores a block at pixels `j0..j0 + 8`;
/// `u8` values are clamped first only if `clamp` (see [`round_u8`]).
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn store<const C: usize>(
    values: Option<&ChannelAffine>,
    mut v: [__m256; C],
    j0: usize,
    clamp: bool,
    out: &mut RawRow<'_>,
) {
    if let Some(a) = values {
        for (c, vc) in v.iter_mut().enumerate() {
            *vc = {
                _mm256_add_ps(
                    _mm256_mul_ps(*vc, _mm256_set1_ps(a.scale[c])),
                    _mm256_set1_ps(a.offset[c]),
                )
            };
        }
    }
    match out {
        RawRow::U8(row) => store_u8::<C>(&mut row[j0 * C..(j0 + LANES) * C], v, clamp),
        RawRow::F32(row) => store_f32::<C>(&mut row[j0 * C..(j0 + LANES) * C], v),
        RawRow::Planar(planes) => {
            for (plane, vc) in planes.iter_mut().zip(v) {
                let dst: &mut [f32; LANES] = match (&mut plane[j0..j0 + LANES]).try_into() {
                    Ok(d) => d,
                    Err(_) => return,
                };
                // SAFETY: 8 floats written to an 8-float array.
                unsafe { _mm256_storeu_ps(dst.as_mut_ptr(), vc) };
            }
        }
    }
}

/// `u8::from_f32` per lane, as a 32-bit lane: clamp to 0..=255 (NaN to 0:
/// `max` returns its second operand when the first is NaN), add 1.5 * 2^23,
/// keep the low byte. The clamp may be skipped (`clamp` false) for blends
/// of source bytes without a value affine, as `avx512::narrow_u8` skips it:
/// they stay within 0..=255 give or take rounding far below 0.5, where
/// adding 1.5 * 2^23 alone already gives the clamped value's byte. Blocks
/// that blend a padding constant (the edge path) clamp.
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn round_u8(v: __m256, clamp: bool) -> __m256i {
    {
        let clamped = if clamp {
            _mm256_min_ps(_mm256_max_ps(v, _mm256_setzero_ps()), _mm256_set1_ps(255.0))
        } else {
            v
        };
        let magic = _mm256_add_ps(clamped, _mm256_set1_ps(12_582_912.0));
        _mm256_and_si256(_mm256_castps_si256(magic), _mm256_set1_epi32(0xff))
    }
}

/// Rounds 8 pixels to `u8` and interleaves them into `out` (`8 * C` bytes).
#[target_feature(enable = "avx2,fma")]
#[inline]
fn store_u8<const C: usize>(out: &mut [u8], v: [__m256; C], clamp: bool) {
    let mut words = round_u8(v[0], clamp);
    for (c, &vc) in v.iter().enumerate().skip(1) {
        words = {
            let q = round_u8(vc, clamp);
            let shifted = match c {
                1 => _mm256_slli_epi32::<8>(q),
                2 => _mm256_slli_epi32::<16>(q),
                _ => _mm256_slli_epi32::<24>(q),
            };
            _mm256_or_si256(words, shifted)
        };
    }
    match C {
        1 => {
            let dst: &mut [u8; 8] = match out.try_into() {
                Ok(d) => d,
                Err(_) => return,
            };
            // SAFETY: the 8 bytes written fill `dst`.
            unsafe {
                // Low byte of each word: pack within lanes, then join the halves.
                let bytes = _mm256_shuffle_epi8(
                    words,
                    _mm256_setr_epi8(
                        0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8, 12,
                        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                    ),
                );
                let packed =
                    _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 1, 1, 1, 1, 1));
                _mm_storel_epi64(dst.as_mut_ptr().cast(), _mm256_castsi256_si128(packed));
            }
        }
        3 => {
            let dst: &mut [u8; 24] = match out.try_into() {
                Ok(d) => d,
                Err(_) => return,
            };
            // SAFETY: 16 + 8 bytes fill the 24-byte `dst`.
            unsafe {
                // Drop every fourth byte within lanes (12 + 12), then close the gap.
                let bytes = _mm256_shuffle_epi8(
                    words,
                    _mm256_setr_epi8(
                        0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1, 0, 1, 2, 4, 5, 6,
                        8, 9, 10, 12, 13, 14, -1, -1, -1, -1,
                    ),
                );
                let packed =
                    _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7));
                _mm_storeu_si128(dst.as_mut_ptr().cast(), _mm256_castsi256_si128(packed));
                _mm_storel_epi64(
                    dst.as_mut_ptr().add(16).cast(),
                    _mm256_extracti128_si256::<1>(packed),
                );
            }
        }
        _ => {
            let dst: &mut [u8; 32] = match out.try_into() {
                Ok(d) => d,
                Err(_) => return,
            };
            // SAFETY: 32 bytes fill the 32-byte `dst`.
            unsafe { _mm256_storeu_si256(dst.as_mut_ptr().cast(), words) };
        }
    }
}

/// Interleaves 8 pixels of `C` channels into `out` (`8 * C` floats).
#[target_feature(enable = "avx2,fma")]
#[inline]
fn store_f32<const C: usize>(out: &mut [f32], v: [__m256; C]) {
    if C == 1 {
        let dst: &mut [f32; 8] = match out.try_into() {
            Ok(d) => d,
            Err(_) => return,
        };
        // SAFETY: 8 floats fill the 8-float `dst`.
        unsafe { _mm256_storeu_ps(dst.as_mut_ptr(), v[0]) };
        return;
    }
    // SAFETY: each store writes floats 8n..8n+8 of a
    // 32-float array.
    let rgba = unsafe {
        // A 4-channel transpose (RGB's fourth channel is a dummy).
        let (r, g, b) = (v[0], v[1], v[2]);
        let a = if C == 4 { v[3] } else { _mm256_setzero_ps() };
        let t0 = _mm256_unpacklo_ps(r, g); // r0 g0 r1 g1 | r4 g4 r5 g5
        let t1 = _mm256_unpackhi_ps(r, g); // r2 g2 r3 g3 | r6 g6 r7 g7
        let t2 = _mm256_unpacklo_ps(b, a);
        let t3 = _mm256_unpackhi_ps(b, a);
        let p0 = _mm256_shuffle_ps::<0x44>(t0, t2); // pixel 0 | pixel 4
        let p1 = _mm256_shuffle_ps::<0xEE>(t0, t2); // pixel 1 | pixel 5
        let p2 = _mm256_shuffle_ps::<0x44>(t1, t3); // pixel 2 | pixel 6
        let p3 = _mm256_shuffle_ps::<0xEE>(t1, t3); // pixel 3 | pixel 7
        let quads = [
            _mm256_permute2f128_ps::<0x20>(p0, p1),
            _mm256_permute2f128_ps::<0x20>(p2, p3),
            _mm256_permute2f128_ps::<0x31>(p0, p1),
            _mm256_permute2f128_ps::<0x31>(p2, p3),
        ];
        let mut rgba = [0.0f32; 32];
        for (n, q) in quads.into_iter().enumerate() {
            _mm256_storeu_ps(rgba.as_mut_ptr().add(8 * n), q);
        }
        rgba
    };
    if C == 4 {
        out.copy_from_slice(&rgba);
    } else {
        for (px, src) in out.chunks_exact_mut(3).zip(rgba.chunks_exact(4)) {
            px.copy_from_slice(&src[..3]);
        }
    }
}
