//! The first half of a block: where its 8 pixels read. Positions are
//! `Row::at` of `coords` computed four `f64` lanes at a time in the same
//! operations and order (`a*j + rx`, an affine map's products `a*j` taken
//! from a table built once per call; the projective divide and its
//! "at infinity" NaN; the grid's exact widening); taps and weights are
//! `Source::bilinear`'s in `kernels::scalar`: `x0 = floor(x)` and
//! `fx = (x - x0) as f32`. A block is planned for the fast path only if every
//! tap is inside the source (the reference would not consult padding) and
//! every read stays within the buffer; otherwise it is left to the edge path.
//! The AVX-512 flavour plans the same way eight lanes at a time
//! (`avx512::plan_avx512`).

use super::geometry::{Geometry, LANES};
use super::lanes::in_range;
use crate::coords::Row;
use core::arch::x86_64::*;

/// Positions of pixels `j0..j0 + 8`: `[x 0..4, x 4..8, y 0..4, y 4..8]`,
/// computed exactly as `Row::at` does.
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn positions(row: &Row<'_>, j0: usize) -> [__m256d; 4] {
    // SAFETY: the grid slice was bounds-checked to hold the 16 floats read.
    unsafe {
        let j = _mm256_set1_pd(j0 as f64);
        // (j0 + k) as f64 == j0 as f64 + k exactly: whole numbers below 2^53.
        let jl = _mm256_add_pd(j, _mm256_setr_pd(0.0, 1.0, 2.0, 3.0));
        let jh = _mm256_add_pd(j, _mm256_setr_pd(4.0, 5.0, 6.0, 7.0));
        let line = |a: f64, r: f64, j: __m256d| {
            _mm256_add_pd(_mm256_mul_pd(_mm256_set1_pd(a), j), _mm256_set1_pd(r))
        };
        match *row {
            Row::Affine { a, rx, d, ry } => [
                line(a, rx, jl),
                line(a, rx, jh),
                line(d, ry, jl),
                line(d, ry, jh),
            ],
            Row::Projective {
                a,
                rx,
                d,
                ry,
                g,
                rw,
                w_min,
            } => {
                let nan = _mm256_set1_pd(f64::NAN);
                let project = |j: __m256d| {
                    let w = line(g, rw, j);
                    let valid = _mm256_cmp_pd::<_CMP_GT_OQ>(w, _mm256_set1_pd(w_min));
                    let x = _mm256_div_pd(line(a, rx, j), w);
                    let y = _mm256_div_pd(line(d, ry, j), w);
                    (
                        _mm256_blendv_pd(nan, x, valid),
                        _mm256_blendv_pd(nan, y, valid),
                    )
                };
                let (xl, yl) = project(jl);
                let (xh, yh) = project(jh);
                [xl, xh, yl, yh]
            }
            Row::Grid(xy) => {
                let pairs = &xy[2 * j0..2 * j0 + 2 * LANES];
                let p0 = _mm256_loadu_ps(pairs.as_ptr());
                let p1 = _mm256_loadu_ps(pairs.as_ptr().add(8));
                // x0 y0 x1 y1 | x2 y2 x3 y3 widened to f64, then x split from y.
                let d0 = _mm256_cvtps_pd(_mm256_castps256_ps128(p0));
                let d1 = _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(p0));
                let d2 = _mm256_cvtps_pd(_mm256_castps256_ps128(p1));
                let d3 = _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(p1));
                let split = |a: __m256d, b: __m256d| {
                    let x = _mm256_unpacklo_pd(a, b); // x0 x2 x1 x3
                    let y = _mm256_unpackhi_pd(a, b);
                    (
                        _mm256_permute4x64_pd::<0b11_01_10_00>(x),
                        _mm256_permute4x64_pd::<0b11_01_10_00>(y),
                    )
                };
                let (xl, yl) = split(d0, d1);
                let (xh, yh) = split(d2, d3);
                [xl, xh, yl, yh]
            }
        }
    }
}

/// An affine map's column products `a*j` and `d*j` for the eight columns
/// of a block: the same on every row, so worked out once per call (the
/// reference's product, in scalar `f64`), and each row only adds its `rx`
/// and `ry`, as the reference does after the product.
pub(super) type ColumnProducts = [[f64; LANES]; 2];

/// The [`ColumnProducts`] of the first `blocks` blocks of an affine map with
/// `a` and `d` in its first column.
pub(super) fn column_products(a: f64, d: f64, blocks: usize) -> Vec<ColumnProducts> {
    (0..blocks)
        .map(|b| {
            let j = |k: usize| (b * LANES + k) as f64;
            [
                core::array::from_fn(|k| a * j(k)),
                core::array::from_fn(|k| d * j(k)),
            ]
        })
        .collect()
}

/// [`positions`] of the block from pixel `j0`, from the affine map's
/// [`ColumnProducts`] where given: the same `a*j + rx` per lane, the
/// product taken from the table.
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn block_positions(
    row: &Row<'_>,
    products: Option<&ColumnProducts>,
    j0: usize,
) -> [__m256d; 4] {
    match (*row, products) {
        (Row::Affine { rx, ry, .. }, Some([ax, dy])) => {
            // SAFETY: 4 doubles read from each half of an 8-double array.
            let half = |p: &[f64; LANES], k: usize| unsafe { _mm256_loadu_pd(p.as_ptr().add(k)) };
            let (rx, ry) = (_mm256_set1_pd(rx), _mm256_set1_pd(ry));
            [
                _mm256_add_pd(half(ax, 0), rx),
                _mm256_add_pd(half(ax, 4), rx),
                _mm256_add_pd(half(dy, 0), ry),
                _mm256_add_pd(half(dy, 4), ry),
            ]
        }
        _ => positions(row, j0),
    }
}

/// A block's taps: integer indices (valid only where `inside`) and the
/// reference's `f32` fractions.
pub(super) struct Taps {
    pub(super) ix: __m256i,
    pub(super) iy: __m256i,
    pub(super) fx: __m256,
    pub(super) fy: __m256,
}

/// Tap offsets and weights of one block, computed ahead of its reads.
#[derive(Clone, Copy)]
pub(super) struct Planned {
    pub(super) base: [i32; LANES],
    pub(super) fx: __m256,
    pub(super) fy: __m256,
}

/// `floor` of each coordinate as `i32` lanes (NaN and |v| >= 2^31 give
/// `i32::MIN`, which the unsigned range test below rejects), and the
/// fractions `(v - floor v) as f32`.
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn split([xl, xh, yl, yh]: [__m256d; 4]) -> Taps {
    {
        let (fxl, fxh) = (_mm256_floor_pd(xl), _mm256_floor_pd(xh));
        let (fyl, fyh) = (_mm256_floor_pd(yl), _mm256_floor_pd(yh));
        let int = |lo, hi| _mm256_set_m128i(_mm256_cvttpd_epi32(hi), _mm256_cvttpd_epi32(lo));
        let frac = |v: __m256d, f: __m256d| _mm256_cvtpd_ps(_mm256_sub_pd(v, f));
        Taps {
            ix: int(fxl, fxh),
            iy: int(fyl, fyh),
            fx: _mm256_set_m128(frac(xh, fxh), frac(xl, fxl)),
            fy: _mm256_set_m128(frac(yh, fyh), frac(yl, fyl)),
        }
    }
}

/// Whether every tap lies inside: `0 <= ix <= max_x` and `0 <= iy <= max_y`.
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn all_inside(taps: &Taps, max_x: i32, max_y: i32) -> bool {
    let both = (in_range(taps.ix, max_x), in_range(taps.iy, max_y));
    _mm256_movemask_epi8(_mm256_and_si256(both.0, both.1)) == -1
}

/// Element offset of each tap: `iy * stride + ix * C`.
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn offsets<const C: usize>(taps: &Taps, stride: i32) -> [i32; LANES] {
    let base = _mm256_add_epi32(
        _mm256_mullo_epi32(taps.iy, _mm256_set1_epi32(stride)),
        _mm256_mullo_epi32(taps.ix, _mm256_set1_epi32(C as i32)),
    );
    bytemuck::cast(base)
}

/// The first half of a bilinear block: tap offsets and weights, or `None`
/// if a tap lies outside the source or a read would pass the buffer's end.
/// Rows are planned a chunk ahead of the reads
/// ([`colour_run`](super::blend::colour_run)), so the long chain from
/// position to read to blend of one block overlaps the others' instead of
/// stalling on each. `wide`: colour `u8` reads 16 bytes from each row's left
/// tap (see [`colour_run`](super::blend::colour_run)).
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn plan<const C: usize>(
    g: Geometry,
    [xl, xh, yl, yh]: [__m256d; 4],
    wide: bool,
) -> Option<Planned> {
    // The reference's test, floor(x) in 0..=w-2 and floor(y) in 0..=h-2,
    // as 0 <= x < w - 1 and 0 <= y < h - 1 on the positions (NaN fails each
    // compare; a side under 2 fails them all), as `avx512::plan_avx512`
    // does: eight compares instead of converting and range-testing floors.
    let zero = _mm256_setzero_pd();
    let within = |v: __m256d, side: i32| {
        let below = _mm256_set1_pd(f64::from(side - 1));
        _mm256_and_pd(
            _mm256_cmp_pd::<_CMP_GE_OQ>(v, zero),
            _mm256_cmp_pd::<_CMP_LT_OQ>(v, below),
        )
    };
    let inside = _mm256_and_pd(
        _mm256_and_pd(within(xl, g.w), within(xh, g.w)),
        _mm256_and_pd(within(yl, g.h), within(yh, g.h)),
    );
    if _mm256_movemask_pd(inside) != 0b1111 {
        return None;
    }
    let (fxl, fxh) = (_mm256_floor_pd(xl), _mm256_floor_pd(xh));
    let (fyl, fyh) = (_mm256_floor_pd(yl), _mm256_floor_pd(yh));
    // `fy * stride + fx * C` in f64: whole numbers below the buffer's
    // length (< 2^31), so exact however the sum is formed, and the offsets
    // `offsets` computes in i32, with one conversion instead of two and no
    // 32-bit multiplies.
    let offset = |fy: __m256d, fx: __m256d| {
        _mm256_cvttpd_epi32(_mm256_fmadd_pd(
            fy,
            _mm256_set1_pd(f64::from(g.stride)),
            _mm256_mul_pd(fx, _mm256_set1_pd(C as f64)),
        ))
    };
    let vbase = _mm256_set_m128i(offset(fyh, fxh), offset(fyl, fxl));
    let (extra, width) = read_extent::<C>(g, wide);
    if !g.reads_fit(vbase, extra, width) {
        return None;
    }
    let frac = |v: __m256d, f: __m256d| _mm256_cvtpd_ps(_mm256_sub_pd(v, f));
    Some(Planned {
        base: bytemuck::cast(vbase),
        fx: _mm256_set_m128(frac(xh, fxh), frac(xl, fxl)),
        fy: _mm256_set_m128(frac(yh, fyh), frac(yl, fyl)),
    })
}

/// How far past a block's tap offset its reads reach: `(extra, width)`,
/// a read of `width` elements at `offset + extra` being the furthest.
/// Colour reads every tap as 4 channels (RGB's fourth belongs to the next
/// pixel), or 16 bytes from each row's left tap (`wide`); gray reads a
/// 4-byte word from the left tap of each row.
#[inline(always)]
pub(super) fn read_extent<const C: usize>(g: Geometry, wide: bool) -> (i32, i32) {
    if C == 1 {
        (g.stride, 4)
    } else if wide {
        (g.stride, 16)
    } else {
        (g.stride + C as i32, 4)
    }
}
