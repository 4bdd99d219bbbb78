//! The second half of a planned bilinear block: read the four taps of each
//! pixel and blend them as `lerp2` in `kernels::scalar` does,
//! `top = fx*(p01 - p00) + p00`, `bottom = fx*(p11 - p10) + p10`,
//! `fy*(bottom - top) + top` in `f32`, each a difference and one FMA, then
//! (colour blocks) the value affine `v*scale + offset` of `finish`, a
//! multiply then an add.
//! Gray blocks keep one channel vector; colour blocks keep a pixel's
//! channels side by side in a 128-bit lane.

use super::geometry::Geometry;
use super::lanes::{copy_channels, lerp, widening_control};
use super::plan::{Planned, Taps};
use super::store::put_pixels;
use crate::kernels::sink::RawRow;
use crate::kernels::typed::Texels;
use crate::options::ChannelAffine;
use core::arch::x86_64::*;

/// The second half of a bilinear block of a gray image: the two taps of a
/// row come from one 4-byte word (`u8`) or one 8-byte read (`f32`).
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn gray_run<const C: usize>(
    texels: Texels<'_>,
    g: Geometry,
    plan: &Planned,
) -> [__m256; C] {
    let Planned { base, fx, fy } = *plan;
    let s = g.stride as usize;
    let v = match texels {
        // SAFETY: every tap is inside the source, so `base[k]` is a pixel's
        // offset, and `plan` showed the 4-byte reads at `base[k]` and
        // `base[k] + stride` end within `data`; the reads are unaligned.
        Texels::U8(data) => unsafe {
            let p = data.as_ptr();
            let word =
                |k: usize, r: usize| p.add(base[k] as usize + r).cast::<i32>().read_unaligned();
            let row = |r: usize| {
                _mm256_setr_epi32(
                    word(0, r),
                    word(1, r),
                    word(2, r),
                    word(3, r),
                    word(4, r),
                    word(5, r),
                    word(6, r),
                    word(7, r),
                )
            };
            let (top, bottom) = (row(0), row(s));
            let low = _mm256_set1_epi32(0xff);
            let byte0 = |w| _mm256_cvtepi32_ps(_mm256_and_si256(w, low));
            let byte1 = |w| _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32::<8>(w), low));
            let t = lerp(byte0(top), byte1(top), fx);
            let b = lerp(byte0(bottom), byte1(bottom), fx);
            lerp(t, b, fy)
        },
        // SAFETY: every tap is inside the source, so `base[k]`, `base[k] + 1`
        // and the same plus `stride` are pixels of `data` (two floats per
        // 8-byte read).
        Texels::F32(data) => unsafe {
            let p = data.as_ptr();
            let quad =
                |k: usize, r: usize| p.add(base[k] as usize + r).cast::<i64>().read_unaligned();
            let rows = |r: usize| {
                let a = _mm256_castsi256_ps(_mm256_set_epi64x(
                    quad(5, r),
                    quad(4, r),
                    quad(1, r),
                    quad(0, r),
                ));
                let b = _mm256_castsi256_ps(_mm256_set_epi64x(
                    quad(7, r),
                    quad(6, r),
                    quad(3, r),
                    quad(2, r),
                ));
                // Left taps are the even floats, right taps the odd ones.
                (
                    _mm256_shuffle_ps::<0x88>(a, b),
                    _mm256_shuffle_ps::<0xDD>(a, b),
                )
            };
            let (p00, p01) = rows(0);
            let (p10, p11) = rows(s);
            let t = lerp(p00, p01, fx);
            let b = lerp(p10, p11, fx);
            lerp(t, b, fy)
        },
    };
    copy_channels::<C>(&[v; 4])
}

/// The blended pixels of a colour block (pixel `k` in the low lane of
/// `px[k]`, `k + 4` in the high lane), for [`colour_run`].
#[target_feature(enable = "avx2,fma")]
#[inline]
fn blend<const C: usize>(texels: Texels<'_>, g: Geometry, plan: &Planned) -> [__m256; 4] {
    let Planned { base, fx, fy } = *plan;
    let taps = Taps {
        ix: _mm256_setzero_si256(),
        iy: _mm256_setzero_si256(),
        fx,
        fy,
    };
    let s = g.stride as usize;
    let mut px = [_mm256_setzero_ps(); 4];
    // u8: one 16-byte read per row and pixel holds both taps; a byte shuffle
    // per lane widens the left tap's 4 channels (bytes 0..4) or the right
    // tap's (bytes C..C + 4) to 32 bits. These are the values the 4-byte
    // reads of the f32 branch below convert, with half the loads and no
    // cross-lane inserts (which all queued on one port).
    let widen = |first: i8| {
        let lane = widening_control(first);
        // SAFETY: 16 bytes read from a 16-byte array, twice.
        unsafe {
            let half = _mm_loadu_si128(lane.as_ptr().cast());
            _mm256_set_m128i(half, half)
        }
    };
    let (left_taps, right_taps) = (widen(0), widen(C as i8));
    for (k, o) in px.iter_mut().enumerate() {
        let (lo, hi) = (base[k] as usize, base[k + 4] as usize);
        let i = k as i32;
        let spread = _mm256_setr_epi32(i, i, i, i, i + 4, i + 4, i + 4, i + 4);
        let fx = _mm256_permutevar8x32_ps(taps.fx, spread);
        let fy = _mm256_permutevar8x32_ps(taps.fy, spread);
        let (tl, tr, bl, br) = match texels {
            Texels::U8(d) => {
                let p = d.as_ptr();
                // SAFETY: every tap is inside the source, so `lo`, `hi` are
                // pixel offsets, and `plan` (wide) showed the 16-byte reads
                // at `lo + s`, `hi + s` (the furthest) end within the buffer.
                let row = |off: usize| unsafe {
                    let low = _mm_loadu_si128(p.add(lo + off).cast());
                    let high = _mm_loadu_si128(p.add(hi + off).cast());
                    _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(low), high)
                };
                let widened = |bytes: __m256i, taps: __m256i| {
                    _mm256_cvtepi32_ps(_mm256_shuffle_epi8(bytes, taps))
                };
                let (top, bottom) = (row(0), row(s));
                (
                    widened(top, left_taps),
                    widened(top, right_taps),
                    widened(bottom, left_taps),
                    widened(bottom, right_taps),
                )
            }
            Texels::F32(d) => {
                let p = d.as_ptr();
                // SAFETY: every tap is inside the source, so `lo`, `hi` are
                // pixel offsets, and `reads_fit` showed the furthest
                // 4-element read (at offset + stride + C) ends within the
                // buffer; reads are unaligned.
                let pair = |off: usize| unsafe {
                    _mm256_set_m128(_mm_loadu_ps(p.add(hi + off)), _mm_loadu_ps(p.add(lo + off)))
                };
                (pair(0), pair(C), pair(s), pair(s + C))
            }
        };
        *o = lerp(lerp(tl, tr, fx), lerp(bl, br, fx), fy);
    }
    px
}

/// The second half of a colour block: reads, blends and stores what
/// [`plan::plan`](super::plan::plan) found to lie inside, with the channels
/// of a pixel side by side (pixel `k` in the low lane, `k + 4` in the high lane): each tap is
/// one 4-channel read converted in place, so no per-channel unpacking.
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn colour_run<const C: usize>(
    texels: Texels<'_>,
    g: Geometry,
    values: Option<&ChannelAffine>,
    plan: &Planned,
    j0: usize,
    out: &mut RawRow<'_>,
) {
    let mut px = blend::<C>(texels, g, plan);
    if let Some(a) = values {
        let scale = _mm256_setr_ps(
            a.scale[0], a.scale[1], a.scale[2], a.scale[3], a.scale[0], a.scale[1], a.scale[2],
            a.scale[3],
        );
        let offset = _mm256_setr_ps(
            a.offset[0],
            a.offset[1],
            a.offset[2],
            a.offset[3],
            a.offset[0],
            a.offset[1],
            a.offset[2],
            a.offset[3],
        );
        for o in px.iter_mut() {
            *o = _mm256_add_ps(_mm256_mul_ps(*o, scale), offset);
        }
    }
    // A planned block blends source bytes only.
    put_pixels::<C>(px, j0, values.is_some(), out);
}
