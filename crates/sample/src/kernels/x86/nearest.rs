//! Nearest-neighbour blocks: `floor(x + 0.5), floor(y + 0.5)` in `f64` and
//! the tap's channels read as they are, which is `Source::nearest` in
//! `kernels::scalar`. [`nearest`] takes blocks whose taps are all inside
//! the source, the edge path the rest; [`nearest_bytes`] takes `u8` to
//! `u8` blocks whole, padding and all, byte for byte.

use super::edge::pad;
use super::geometry::{Geometry, LANES};
use super::lanes::{byte_of, copy_channels, finite_and_clamped, load_words, soa};
use super::plan::{ColumnProducts, all_inside, block_positions, block_products, offsets, split};
use crate::coords::Row;
use crate::kernels::scalar::FAR;
use crate::kernels::typed::Texels;
use core::arch::x86_64::*;
use geom::Element;

/// Nearest blocks of a `u8` source from pixel `j0` of `row` written
/// straight into the `u8` row `out`, without the value affine, until
/// `end` (whole blocks): the tap's bytes, or the fill's byte where the
/// padding rule maps nowhere or a position is not finite. The reference's
/// steps lane by lane (clamp to `±FAR`, add `0.5`, `floor`, the padding
/// rule on each axis, `u8::from_f32` of the value read, which gives a
/// source byte back unchanged), with no trip through `f32`. Returns the
/// pixel it stopped at: `end`, or a block where a tap's 4-byte read would
/// pass the buffer's end (the caller's scalar path takes that one).
/// `products`, an affine map's, give each block's `a*j` and `d*j` (the
/// same products, looked up: paired, forced AVX2, gray 0.74-0.86 of the
/// time computing them, colour 0.89-0.98).
#[target_feature(enable = "avx2,fma")]
pub(super) fn nearest_bytes<const C: usize>(
    data: &[u8],
    g: Geometry,
    row: &Row<'_>,
    products: Option<&[ColumnProducts]>,
    j0: usize,
    end: usize,
    out: &mut [u8],
) -> usize {
    let checked = !stays_near(row, j0, end);
    let fill = _mm256_set1_epi8(u8::from_f32(g.fill) as i8);
    // Each lane's first `C` bytes, packed: four pixels per 128-bit half,
    // then the halves joined.
    let pick = _mm256_set_m128i(first_bytes::<C>(), first_bytes::<C>());
    let join = bytemuck::cast::<[i32; 8], __m256i>(first_dwords::<C, 8>());
    let mut j = j0;
    while j + LANES <= end {
        // `Row::at`, the products from the table where there is one.
        let at = block_positions(row, block_products(products, j), j);
        let (finite_xy, near) = match checked {
            true => finite_and_clamped(at),
            false => (_mm256_set1_epi32(-1), at),
        };
        // Non-finite lanes are 0 in `near`, and take the fill below.
        let taps = split(near.map(|v| _mm256_add_pd(v, _mm256_set1_pd(0.5))));
        let (x, vx) = pad(g.padding, taps.ix, g.w);
        let (y, vy) = pad(g.padding, taps.iy, g.h);
        let valid = _mm256_and_si256(finite_xy, _mm256_and_si256(vx, vy));
        let base_v = _mm256_add_epi32(
            _mm256_mullo_epi32(y, _mm256_set1_epi32(g.stride)),
            _mm256_mullo_epi32(x, _mm256_set1_epi32(C as i32)),
        );
        if !g.reads_fit(base_v, 0, 4) {
            break;
        }
        // SAFETY: `x`, `y` are in-image indices (0 where the rule maps
        // nowhere), so each lane of `base_v` is a pixel's offset, and
        // `reads_fit` showed its 4-byte read ends within `data`.
        let words = unsafe {
            if g.gathers {
                _mm256_i32gather_epi32::<1>(data.as_ptr().cast(), base_v)
            } else {
                load_words(data, &bytemuck::cast(base_v))
            }
        };
        let words = _mm256_blendv_epi8(fill, words, valid);
        let packed = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(words, pick), join);
        let bytes = bytemuck::cast::<__m256i, [u8; 32]>(packed);
        out[j * C..(j + LANES) * C].copy_from_slice(&bytes[..LANES * C]);
        j += LANES;
    }
    j
}

/// Whether pixels `j0..end` of `row` are all at finite positions within
/// `±FAR`, where the reference's clamp and finiteness test change nothing:
/// for an affine row, its first and last are (it is monotone between).
pub(super) fn stays_near(row: &Row<'_>, j0: usize, end: usize) -> bool {
    let within = |j: usize| {
        let (x, y) = row.at(j);
        x.abs() < FAR && y.abs() < FAR
    };
    matches!(row, Row::Affine { .. }) && end > j0 && within(j0) && within(end - 1)
}

/// A byte shuffle within 128 bits that packs the first `C` bytes of each
/// of its four 32-bit lanes to the front (zeros after them).
pub(super) fn first_bytes<const C: usize>() -> __m128i {
    let pick: [i8; 16] = core::array::from_fn(|i| {
        let (k, c) = (i / C, i % C);
        if k < 4 { (4 * k + c) as i8 } else { -1 }
    });
    bytemuck::cast(pick)
}

/// A dword permutation over `N` dwords (`N / 4` 128-bit lanes, each
/// packed by [`first_bytes`]) that joins the lanes' first `C` dwords
/// (their `4 * C` bytes) at the front.
pub(super) fn first_dwords<const C: usize, const N: usize>() -> [i32; N] {
    core::array::from_fn(|i| (4 * (i / C) + i % C).min(N - 1) as i32)
}

/// One nearest block, or `None` if a tap lies outside the source.
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn nearest<const C: usize>(
    texels: Texels<'_>,
    g: Geometry,
    [xl, xh, yl, yh]: [__m256d; 4],
) -> Option<[__m256; C]> {
    let shifted = {
        let half = _mm256_set1_pd(0.5);
        [
            _mm256_add_pd(xl, half),
            _mm256_add_pd(xh, half),
            _mm256_add_pd(yl, half),
            _mm256_add_pd(yh, half),
        ]
    };
    let taps = split(shifted);
    // floor(x + 0.5) in 0..=w-1 (the reference's tap, inside).
    if !all_inside(&taps, g.nearest_x, g.nearest_y) {
        return None;
    }
    let base = offsets::<C>(&taps, g.stride);
    let vbase = bytemuck::cast::<[i32; LANES], __m256i>(base);
    match texels {
        Texels::U8(data) => {
            if !g.reads_fit(vbase, 0, 4) {
                return None;
            }
            // SAFETY: each tap is a pixel of the source and `reads_fit`
            // showed its 4-byte read ends within `data`.
            let words = unsafe { load_words(data, &base) };
            Some(core::array::from_fn(|c| byte_of(words, c)))
        }
        Texels::F32(data) => {
            let p = data.as_ptr();
            if C == 1 {
                // SAFETY: each tap is a pixel of the source.
                let v = unsafe {
                    let f = |k: usize| *p.add(base[k] as usize);
                    _mm256_setr_ps(f(0), f(1), f(2), f(3), f(4), f(5), f(6), f(7))
                };
                return Some(copy_channels::<C>(&[v; 4]));
            }
            if !g.reads_fit(vbase, 0, 4) {
                return None;
            }
            // SAFETY: each tap is a pixel of the source and `reads_fit`
            // showed its 16-byte read ends within `data`.
            let pixels = unsafe {
                let px = |k: usize| _mm_loadu_ps(p.add(base[k] as usize));
                core::array::from_fn(|k| _mm256_set_m128(px(k + 4), px(k)))
            };
            Some(copy_channels::<C>(&soa(pixels)))
        }
    }
}
