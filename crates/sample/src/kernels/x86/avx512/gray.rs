//! Gray `u8` blocks under AVX-512 with gathers: two planned blocks (16
//! pixels) per 512-bit vector, each tap's 4-byte word gathered, the
//! reference's lerps in its order per lane, and the `u8` store from the
//! whole vector.

use super::super::geometry::{Geometry, LANES};
use super::super::plan::Planned;
use super::super::store::store;
use super::{lerp512, narrow_u8};
use crate::kernels::sink::RawRow;
use crate::options::ChannelAffine;
use core::arch::x86_64::*;

/// A run of planned gray `u8` blocks, two at a time (16 pixels) in 512-bit
/// vectors ([`gray_pairs`]), as the chunks of `chunks::bilinear_blocks` give it: the
/// run ends at its first unplanned block. One call per run keeps the loop
/// and its constants in this function (a call per block measured slower).
///
/// # Safety
/// The CPU must support AVX-512 F/DQ/VL, and every block of `plans` must be
/// planned for the gray source `data`: every tap inside it and the 4-byte
/// reads at `base[k]` and `base[k] + stride` within `data`.
#[target_feature(enable = "avx2,fma,avx512f,avx512dq,avx512vl")]
pub(in super::super) unsafe fn gray_blocks_avx512(
    data: &[u8],
    g: Geometry,
    values: Option<&ChannelAffine>,
    plans: &[Option<Planned>],
    j0: usize,
    out: &mut RawRow<'_>,
) {
    let run = plans.iter().map_while(Option::as_ref);
    // SAFETY: the caller's guarantee.
    unsafe { gray_pairs(data, g, values, run, j0, out) };
}

/// Consecutive planned gray `u8` blocks from pixel `j0`, two at a time:
/// each pair blended in one vector ([`gray_pair`]) and stored
/// ([`put_gray`]); an odd last block is blended twice and stored once.
/// Serves the chunks' runs ([`gray_blocks_avx512`]) and the span's batches
/// (`span_blocks_avx512`).
///
/// # Safety
/// As [`gray_blocks_avx512`], for every block of `blocks`.
#[target_feature(enable = "avx2,fma,avx512f,avx512dq,avx512vl")]
#[inline]
pub(super) unsafe fn gray_pairs<'p>(
    data: &[u8],
    g: Geometry,
    values: Option<&ChannelAffine>,
    mut blocks: impl Iterator<Item = &'p Planned>,
    j0: usize,
    out: &mut RawRow<'_>,
) {
    let affine = gray_affine(values);
    let mut j = j0;
    while let Some(first) = blocks.next() {
        let (second, count) = match blocks.next() {
            Some(second) => (second, 2),
            None => (first, 1),
        };
        // SAFETY: the caller's guarantee.
        let v = unsafe { gray_pair(data, g, first, second) };
        put_gray(v, count, values, affine, j, out);
        j += 2 * LANES;
    }
}

/// Two planned gray `u8` blocks (16 pixels) blended in one 512-bit
/// vector: the same 4-byte reads as [`gray_run`](super::super::blend::gray_run),
/// gathered, and the same lane arithmetic (the reference's lerps, FMA),
/// so the same bits.
///
/// # Safety
/// The CPU must support AVX-512 F/DQ/VL, and both blocks must be planned
/// for the gray source `data`: every tap inside it and the 4-byte reads at
/// `base[k]` and `base[k] + stride` within `data`.
#[target_feature(enable = "avx2,fma,avx512f,avx512dq,avx512vl")]
#[inline]
unsafe fn gray_pair(data: &[u8], g: Geometry, first: &Planned, second: &Planned) -> __m512 {
    let p = data.as_ptr();
    let low = _mm512_set1_epi32(0xff);
    let byte0 = |w: __m512i| _mm512_cvtepi32_ps(_mm512_and_si512(w, low));
    let byte1 = |w: __m512i| _mm512_cvtepi32_ps(_mm512_and_si512(_mm512_srli_epi32::<8>(w), low));
    let join = |a: __m256, b: __m256| _mm512_insertf32x8::<1>(_mm512_castps256_ps512(a), b);
    let base = _mm512_inserti64x4::<1>(
        _mm512_castsi256_si512(bytemuck::cast::<[i32; LANES], __m256i>(first.base)),
        bytemuck::cast::<[i32; LANES], __m256i>(second.base),
    );
    let (fx, fy) = (join(first.fx, second.fx), join(first.fy, second.fy));
    // SAFETY: the caller's guarantee: each 4-byte read at `base[k]` and
    // `base[k] + stride` lies within `data`.
    let (top, bottom) = unsafe {
        (
            _mm512_i32gather_epi32::<1>(base, p.cast()),
            _mm512_i32gather_epi32::<1>(base, p.add(g.stride as usize).cast()),
        )
    };
    let t = lerp512(byte0(top), byte1(top), fx);
    let b = lerp512(byte0(bottom), byte1(bottom), fx);
    lerp512(t, b, fy)
}

/// The value affine's gray scale and offset in every lane.
#[target_feature(enable = "avx2,fma,avx512f,avx512dq,avx512vl")]
#[inline]
fn gray_affine(values: Option<&ChannelAffine>) -> Option<(__m512, __m512)> {
    values.map(|a| (_mm512_set1_ps(a.scale[0]), _mm512_set1_ps(a.offset[0])))
}

/// Stores the first `blocks` (1 or 2) blocks of gray values `v` at pixel
/// `j`: `u8` rows from the 512-bit vector (the value affine and rounding
/// of `store` per lane, `affine` being `values` as lanes), other rows
/// through `store` one block at a time.
#[target_feature(enable = "avx2,fma,avx512f,avx512dq,avx512vl")]
#[inline]
fn put_gray(
    v: __m512,
    blocks: usize,
    values: Option<&ChannelAffine>,
    affine: Option<(__m512, __m512)>,
    j: usize,
    out: &mut RawRow<'_>,
) {
    let pixels = blocks * LANES;
    if let RawRow::U8(row) = out {
        let v = match affine {
            Some((scale, offset)) => _mm512_add_ps(_mm512_mul_ps(v, scale), offset),
            None => v,
        };
        let bytes = narrow_u8(v, affine.is_some());
        let Some(dst) = row.get_mut(j..j + pixels) else {
            return;
        };
        // SAFETY: `dst` holds `pixels` bytes: 16 written for two blocks, 8
        // for one.
        unsafe {
            if blocks == 2 {
                _mm_storeu_si128(dst.as_mut_ptr().cast(), bytes);
            } else {
                _mm_storel_epi64(dst.as_mut_ptr().cast(), bytes);
            }
        }
        return;
    }
    let halves = [_mm512_castps512_ps256(v), _mm512_extractf32x8_ps::<1>(v)];
    for (h, half) in halves.into_iter().take(blocks).enumerate() {
        store::<1>(values, [half], j + h * LANES, values.is_some(), out);
    }
}
