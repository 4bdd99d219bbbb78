//! AVX2 hot path for `u8` and `f32` sources: hand-written because the
//! lane-wise generic code left most of the time in tap gathers and in the
//! interleaving store (measured: RGB u8 13 ns/px generic vs this kernel's
//! figure in the README's bench table). Under AVX-512 (pulp's `V4`) the
//! blocks are planned eight `f64` lanes at a time (`plan_avx512`) and `u8`
//! colour blocks blend four pixels per 512-bit vector
//! (`colour_blocks_avx512`); gray, `f32` and edge blocks stay 256-bit.
//!
//! Same structure as `kernels::generic`: blocks of 8 output pixels whose taps
//! are all inside the source run vector code; every other block runs the
//! scalar reference pixel by pixel. The vector code repeats the reference's
//! arithmetic (see `kernels::scalar`) lane by lane and in the same order —
//! `f64` positions `a*j + rx`, `floor`, `(x - floor x) as f32`, the lerp
//! without FMA, the value affine as a multiply then an add, and the `u8`
//! store as `geom::Element::from_f32` (clamp, add 1.5 * 2^23) — so it gives
//! the reference's bits; `tests/paths.rs` checks that on every case.

use super::scalar::{FAR, Source, finish};
use super::sink::RawRow;
use super::typed::Texels;
use crate::coords::Row;
use crate::options::{ChannelAffine, Interpolation};
use core::arch::x86_64::*;
use geom::{Element, Padding};

/// Pixels per block: one `__m256` of `f32` lanes.
const LANES: usize = 8;

/// Everything about the source the blocks need, checked once per image.
#[derive(Clone, Copy)]
pub(crate) struct Geometry {
    /// The largest tap index on each axis for bilinear (`w - 2`, `h - 2`)
    /// and nearest (`w - 1`, `h - 1`), as unsigned 32-bit lanes compare them.
    bilinear_x: i32,
    bilinear_y: i32,
    nearest_x: i32,
    nearest_y: i32,
    /// Bilinear needs two pixels on each axis.
    bilinear_ok: bool,
    stride: i32,
    /// Elements in the buffer.
    len: i32,
    /// Width and height.
    w: i32,
    h: i32,
    /// The padding rule and the value of reads it does not map inside.
    padding: Padding,
    fill: f32,
    /// Plan blocks with AVX-512 (set only under pulp's `V4`).
    avx512: bool,
}

impl Geometry {
    /// `None` when offsets do not fit `i32` (buffers of 2^31 elements or
    /// more), which then take the generic path.
    pub(crate) fn new<T: Element>(source: &Source<'_, T>) -> Option<Geometry> {
        let view = source.view;
        let side = |n: usize| i32::try_from(n).ok();
        let (w, h) = (side(view.width())?, side(view.height())?);
        Some(Geometry {
            bilinear_x: w - 2,
            bilinear_y: h - 2,
            nearest_x: w - 1,
            nearest_y: h - 1,
            bilinear_ok: w >= 2 && h >= 2,
            stride: side(view.stride())?,
            len: side(view.data().len())?,
            w,
            h,
            padding: source.padding,
            fill: source.fill,
            avx512: false,
        })
    }

    /// The same, planning blocks with AVX-512 if `avx512` (the caller holds
    /// pulp's `V4` token, so the CPU has AVX-512 F/DQ/VL).
    pub(crate) fn with_avx512(self, avx512: bool) -> Geometry {
        Geometry { avx512, ..self }
    }

    /// Whether reads of `width` elements from every tap offset `base + extra`
    /// stay within the buffer.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    fn reads_fit(&self, base: __m256i, extra: i32, width: i32) -> bool {
        let limit = self.len as i64 - extra as i64 - width as i64;
        if limit < 0 {
            return false;
        }
        let limit = limit.min(i32::MAX as i64) as i32;
        _mm256_movemask_epi8(_mm256_cmpgt_epi32(base, _mm256_set1_epi32(limit))) == 0
    }
}

/// Samples output row `row` (`width` pixels) into `out`.
///
/// # Safety
/// The CPU must support AVX2 (the caller holds pulp's `V3` or `V4` token).
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn sample_row<T: Element, const C: usize>(
    source: &Source<'_, T>,
    texels: Texels<'_>,
    geometry: Geometry,
    interpolation: Interpolation,
    values: Option<&ChannelAffine>,
    row: &Row<'_>,
    width: usize,
    out: &mut RawRow<'_>,
) {
    let mut j0 = 0;
    if interpolation == Interpolation::Bilinear {
        // Plan a chunk of blocks, then read them: see `plan`.
        const CHUNK: usize = 32;
        let mut plans = [None; CHUNK];
        while j0 + LANES <= width {
            let blocks = CHUNK.min((width - j0) / LANES);
            let wide = matches!(texels, Texels::U8(_));
            if geometry.avx512 {
                // SAFETY: `avx512` is set only under pulp's V4 token.
                unsafe { plan_blocks_avx512::<C>(geometry, row, j0, wide, &mut plans[..blocks]) };
            } else {
                for (b, slot) in plans.iter_mut().enumerate().take(blocks) {
                    *slot = plan::<C>(geometry, positions(row, j0 + b * LANES), wide);
                }
            }
            let mut b = 0;
            while b < blocks {
                let j = j0 + b * LANES;
                // A run of planned colour blocks in one call, which keeps the
                // constants of `colour_run` in registers across its blocks.
                let run = plans[b..blocks].iter().take_while(|p| p.is_some()).count();
                if C > 1 && run > 0 {
                    colour_blocks::<C>(texels, geometry, values, &plans[b..b + run], j, out);
                    b += run;
                    continue;
                }
                match &plans[b] {
                    Some(plan) => {
                        let v = gray_run::<C>(texels, geometry, plan);
                        store::<C>(values, v, j, out);
                    }
                    None => edge_or_scalar::<T, C>(
                        source,
                        texels,
                        geometry,
                        interpolation,
                        values,
                        row,
                        j,
                        out,
                    ),
                }
                b += 1;
            }
            j0 += blocks * LANES;
        }
    }
    while j0 + LANES <= width {
        let pos = positions(row, j0);
        let block = match interpolation {
            Interpolation::Bilinear => None,
            Interpolation::Nearest => nearest::<C>(texels, geometry, pos),
        };
        let block = block.or_else(|| edge::<C>(texels, geometry, interpolation, pos));
        match block {
            Some(v) => store::<C>(values, v, j0, out),
            None => {
                let mut xs = [0.0f64; LANES];
                let mut ys = [0.0f64; LANES];
                // SAFETY: each array holds 8 f64, written as two unaligned
                // 4-lane stores.
                unsafe {
                    _mm256_storeu_pd(xs.as_mut_ptr(), pos[0]);
                    _mm256_storeu_pd(xs.as_mut_ptr().add(4), pos[1]);
                    _mm256_storeu_pd(ys.as_mut_ptr(), pos[2]);
                    _mm256_storeu_pd(ys.as_mut_ptr().add(4), pos[3]);
                }
                scalar_pixels::<T, C>(source, interpolation, values, j0, &xs, &ys, out);
            }
        }
        j0 += LANES;
    }
    if j0 < width {
        let mut xs = [0.0f64; LANES];
        let mut ys = [0.0f64; LANES];
        for (k, j) in (j0..width).enumerate() {
            (xs[k], ys[k]) = row.at(j);
        }
        let n = width - j0;
        scalar_pixels::<T, C>(source, interpolation, values, j0, &xs[..n], &ys[..n], out);
    }
}

/// A block the fast path left: the vector edge path, or the scalar
/// reference where even that would read past the buffer's end.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
fn edge_or_scalar<T: Element, const C: usize>(
    source: &Source<'_, T>,
    texels: Texels<'_>,
    geometry: Geometry,
    interpolation: Interpolation,
    values: Option<&ChannelAffine>,
    row: &Row<'_>,
    j0: usize,
    out: &mut RawRow<'_>,
) {
    let pos = positions(row, j0);
    match edge::<C>(texels, geometry, interpolation, pos) {
        Some(v) => store::<C>(values, v, j0, out),
        None => {
            let mut xs = [0.0f64; LANES];
            let mut ys = [0.0f64; LANES];
            for (k, (x, y)) in xs.iter_mut().zip(&mut ys).enumerate() {
                (*x, *y) = row.at(j0 + k);
            }
            scalar_pixels::<T, C>(source, interpolation, values, j0, &xs, &ys, out);
        }
    }
}

/// The scalar reference for pixels `j0..` at the given positions.
#[inline(always)]
fn scalar_pixels<T: Element, const C: usize>(
    source: &Source<'_, T>,
    interpolation: Interpolation,
    values: Option<&ChannelAffine>,
    j0: usize,
    xs: &[f64],
    ys: &[f64],
    out: &mut RawRow<'_>,
) {
    let mut px = [0.0f32; 4];
    for (k, (&x, &y)) in xs.iter().zip(ys).enumerate() {
        source.sample(interpolation, x, y, &mut px);
        for (c, &v) in px.iter().enumerate().take(C) {
            out.put::<C>(j0 + k, c, finish(values, c, v));
        }
    }
}

/// Positions of pixels `j0..j0 + 8`: `[x 0..4, x 4..8, y 0..4, y 4..8]`,
/// computed exactly as `Row::at` does.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn positions(row: &Row<'_>, j0: usize) -> [__m256d; 4] {
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

/// A block's taps: integer indices (valid only where `inside`) and the
/// reference's `f32` fractions.
struct Taps {
    ix: __m256i,
    iy: __m256i,
    fx: __m256,
    fy: __m256,
}

/// Tap offsets and weights of one block, computed ahead of its reads.
#[derive(Clone, Copy)]
struct Planned {
    base: [i32; LANES],
    fx: __m256,
    fy: __m256,
}

/// `floor` of each coordinate as `i32` lanes (NaN and |v| >= 2^31 give
/// `i32::MIN`, which the unsigned range test below rejects), and the
/// fractions `(v - floor v) as f32`.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn split([xl, xh, yl, yh]: [__m256d; 4]) -> Taps {
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

/// Every lane of `i` in `0..=max` (compared unsigned, so negatives fail).
#[target_feature(enable = "avx2,fma")]
#[inline]
fn in_range(i: __m256i, max: i32) -> __m256i {
    _mm256_cmpeq_epi32(_mm256_min_epu32(i, _mm256_set1_epi32(max)), i)
}

/// Whether every tap lies inside: `0 <= ix <= max_x` and `0 <= iy <= max_y`.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn all_inside(taps: &Taps, max_x: i32, max_y: i32) -> bool {
    let both = (in_range(taps.ix, max_x), in_range(taps.iy, max_y));
    _mm256_movemask_epi8(_mm256_and_si256(both.0, both.1)) == -1
}

/// Element offset of each tap: `iy * stride + ix * C`.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn offsets<const C: usize>(taps: &Taps, stride: i32) -> [i32; LANES] {
    let base = _mm256_add_epi32(
        _mm256_mullo_epi32(taps.iy, _mm256_set1_epi32(stride)),
        _mm256_mullo_epi32(taps.ix, _mm256_set1_epi32(C as i32)),
    );
    bytemuck::cast(base)
}

/// `a + t*(b - a)`, the reference's lerp (no FMA).
#[target_feature(enable = "avx2,fma")]
#[inline]
fn lerp(a: __m256, b: __m256, t: __m256) -> __m256 {
    _mm256_add_ps(a, _mm256_mul_ps(t, _mm256_sub_ps(b, a)))
}

/// The second half of a bilinear block of a gray image: the two taps of a
/// row come from one 4-byte word (`u8`) or one 8-byte read (`f32`).
#[target_feature(enable = "avx2,fma")]
#[inline]
fn gray_run<const C: usize>(texels: Texels<'_>, g: Geometry, plan: &Planned) -> [__m256; C] {
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

/// The first half of a bilinear block: tap
/// offsets and weights, or `None` if a tap lies outside the source or a read
/// would pass the buffer's end. Rows are planned a chunk ahead of the reads
/// ([`colour_run`]), so the long chain from position to read to blend of one
/// block overlaps the others' instead of stalling on each. `wide`: colour
/// `u8` reads 16 bytes from each row's left tap (see [`colour_run`]).
#[target_feature(enable = "avx2,fma")]
#[inline]
fn plan<const C: usize>(g: Geometry, pos: [__m256d; 4], wide: bool) -> Option<Planned> {
    plan_taps::<C>(g, split(pos), wide)
}

/// [`plan_avx512`] for consecutive blocks from pixel `j0`, one per slot
/// (one call for all, so the planning stays inlined).
///
/// # Safety
/// The CPU must support AVX-512 F/DQ/VL.
#[target_feature(enable = "avx2,fma,avx512f,avx512dq,avx512vl")]
unsafe fn plan_blocks_avx512<const C: usize>(
    g: Geometry,
    row: &Row<'_>,
    j0: usize,
    wide: bool,
    plans: &mut [Option<Planned>],
) {
    for (b, slot) in plans.iter_mut().enumerate() {
        // SAFETY: the caller's guarantee.
        *slot = unsafe { plan_avx512::<C>(g, row, j0 + b * LANES, wide) };
    }
}

/// [`plan`] with the positions and their split into taps computed eight
/// `f64` lanes at a time: the same operations in the same order per lane
/// (`a*j + rx`, the divide, `floor`, `(x - floor x) as f32`), so the same
/// taps and weights; the inside test and the offsets are worked out on the
/// `f64` values, which gives the same answers exactly (see the comments).
///
/// # Safety
/// The CPU must support AVX-512 F/DQ/VL.
#[target_feature(enable = "avx2,fma,avx512f,avx512dq,avx512vl")]
#[inline]
unsafe fn plan_avx512<const C: usize>(
    g: Geometry,
    row: &Row<'_>,
    j0: usize,
    wide: bool,
) -> Option<Planned> {
    let j = _mm512_add_pd(
        _mm512_set1_pd(j0 as f64),
        _mm512_setr_pd(0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0),
    );
    let line =
        |a: f64, r: f64| _mm512_add_pd(_mm512_mul_pd(_mm512_set1_pd(a), j), _mm512_set1_pd(r));
    let (x, y) = match *row {
        Row::Affine { a, rx, d, ry } => (line(a, rx), line(d, ry)),
        Row::Projective {
            a,
            rx,
            d,
            ry,
            g,
            rw,
            w_min,
        } => {
            let w = line(g, rw);
            let valid = _mm512_cmp_pd_mask::<_CMP_GT_OQ>(w, _mm512_set1_pd(w_min));
            let nan = _mm512_set1_pd(f64::NAN);
            (
                _mm512_mask_blend_pd(valid, nan, _mm512_div_pd(line(a, rx), w)),
                _mm512_mask_blend_pd(valid, nan, _mm512_div_pd(line(d, ry), w)),
            )
        }
        Row::Grid(xy) => {
            let pairs = &xy[2 * j0..2 * j0 + 2 * LANES];
            // SAFETY: the slice holds the 16 floats read.
            let (p0, p1) = unsafe {
                (
                    _mm256_loadu_ps(pairs.as_ptr()),
                    _mm256_loadu_ps(pairs.as_ptr().add(8)),
                )
            };
            // x0 y0 .. x3 y3 and x4 y4 .. x7 y7 widened, then x split from y.
            let (d0, d1) = (_mm512_cvtps_pd(p0), _mm512_cvtps_pd(p1));
            let even = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
            let odd = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15);
            (
                _mm512_permutex2var_pd(d0, even, d1),
                _mm512_permutex2var_pd(d0, odd, d1),
            )
        }
    };
    // The reference's test, floor(x) in 0..=w-2 and floor(y) in 0..=h-2, as
    // 0 <= x < w - 1 and 0 <= y < h - 1 on the positions (NaN fails each
    // compare; a side under 2 fails them all): four compares into a mask
    // instead of converting and range-testing the floors.
    let zero = _mm512_setzero_pd();
    let below = |side: i32| _mm512_set1_pd(f64::from(side - 1));
    let inside = _mm512_cmp_pd_mask::<_CMP_GE_OQ>(x, zero);
    let inside = _mm512_mask_cmp_pd_mask::<_CMP_LT_OQ>(inside, x, below(g.w));
    let inside = _mm512_mask_cmp_pd_mask::<_CMP_GE_OQ>(inside, y, zero);
    let inside = _mm512_mask_cmp_pd_mask::<_CMP_LT_OQ>(inside, y, below(g.h));
    if inside != 0xff {
        return None;
    }
    // `roundscale`, not a 1.5 * 2^52 rounding add: that gives +0 for -0,
    // whose fraction the reference computes as -0 - -0 = +0 but which
    // would come out -0 (a different f32 to blend with).
    let floor =
        |v: __m512d| _mm512_roundscale_pd::<{ _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC }>(v);
    let (fx, fy) = (floor(x), floor(y));
    // `fy * stride + fx * C` in f64: whole numbers below the buffer's
    // length (< 2^31), so exact however the sum is formed (hence the FMA),
    // and the same offsets `offsets` computes in i32.
    let base = _mm512_cvttpd_epi32(_mm512_fmadd_pd(
        fy,
        _mm512_set1_pd(f64::from(g.stride)),
        _mm512_mul_pd(fx, _mm512_set1_pd(C as f64)),
    ));
    let (extra, width) = read_extent::<C>(g, wide);
    if !g.reads_fit(base, extra, width) {
        return None;
    }
    Some(Planned {
        base: bytemuck::cast(base),
        fx: _mm512_cvtpd_ps(_mm512_sub_pd(x, fx)),
        fy: _mm512_cvtpd_ps(_mm512_sub_pd(y, fy)),
    })
}

/// How far past a block's tap offset its reads reach: `(extra, width)`,
/// a read of `width` elements at `offset + extra` being the furthest.
/// Colour reads every tap as 4 channels (RGB's fourth belongs to the next
/// pixel), or 16 bytes from each row's left tap (`wide`); gray reads a
/// 4-byte word from the left tap of each row.
#[inline(always)]
fn read_extent<const C: usize>(g: Geometry, wide: bool) -> (i32, i32) {
    if C == 1 {
        (g.stride, 4)
    } else if wide {
        (g.stride, 16)
    } else {
        (g.stride + C as i32, 4)
    }
}

/// The rest of [`plan`], from the taps.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn plan_taps<const C: usize>(g: Geometry, taps: Taps, wide: bool) -> Option<Planned> {
    // floor(x) in 0..=w-2 exactly when 0 <= x < w-1 (the reference's test).
    if !(g.bilinear_ok && all_inside(&taps, g.bilinear_x, g.bilinear_y)) {
        return None;
    }
    let base = offsets::<C>(&taps, g.stride);
    let vbase = bytemuck::cast::<[i32; LANES], __m256i>(base);
    let (extra, width) = read_extent::<C>(g, wide);
    if !g.reads_fit(vbase, extra, width) {
        return None;
    }
    Some(Planned {
        base,
        fx: taps.fx,
        fy: taps.fy,
    })
}

/// [`colour_run`] for consecutive blocks from pixel `j0`, all planned.
#[target_feature(enable = "avx2,fma")]
fn colour_blocks<const C: usize>(
    texels: Texels<'_>,
    g: Geometry,
    values: Option<&ChannelAffine>,
    plans: &[Option<Planned>],
    j0: usize,
    out: &mut RawRow<'_>,
) {
    if let (true, Texels::U8(data)) = (g.avx512, texels) {
        // SAFETY: `avx512` is set only under pulp's V4 token (AVX-512
        // F/BW/CD/DQ/VL).
        return unsafe { colour_blocks_avx512::<C>(data, g, values, plans, j0, out) };
    }
    for (b, plan) in plans.iter().enumerate() {
        if let Some(plan) = plan {
            colour_run::<C>(texels, g, values, plan, j0 + b * LANES, out);
        }
    }
}

/// [`colour_blocks`] for `u8` sources under AVX-512: four pixels per
/// 512-bit vector (one per 128-bit lane, channels side by side), so each
/// widening shuffle, conversion and lerp step serves twice the pixels of
/// the 256-bit blocks. Once 512-bit work is in flight the 256-bit code gets
/// two vector ports instead of three, so the halved instruction count is
/// the gain. Same reads, same lane arithmetic, same bits.
///
/// # Safety
/// The CPU must support AVX-512 F/BW/DQ/VL.
#[target_feature(enable = "avx2,fma,avx512f,avx512bw,avx512dq,avx512vl")]
unsafe fn colour_blocks_avx512<const C: usize>(
    data: &[u8],
    g: Geometry,
    values: Option<&ChannelAffine>,
    plans: &[Option<Planned>],
    j0: usize,
    out: &mut RawRow<'_>,
) {
    let affine = values.map(|a| {
        // SAFETY: 4 floats read from each 4-float array.
        unsafe {
            (
                _mm512_broadcast_f32x4(_mm_loadu_ps(a.scale.as_ptr())),
                _mm512_broadcast_f32x4(_mm_loadu_ps(a.offset.as_ptr())),
            )
        }
    });
    for (b, plan) in plans.iter().enumerate() {
        let Some(plan) = plan else { continue };
        let j = j0 + b * LANES;
        // SAFETY: the caller's guarantee; `plan` is a planned (wide) block.
        let mut halves = unsafe { blend_u8_avx512::<C>(data, g, plan) };
        if let Some((scale, offset)) = affine {
            for h in halves.iter_mut() {
                *h = _mm512_add_ps(_mm512_mul_ps(*h, scale), offset);
            }
        }
        match out {
            RawRow::U8(row) => {
                // `round_u8` per lane; the truncating narrow keeps the low
                // byte, so pixels 0..4 then 4..8, four bytes each, in order.
                // Without a value affine the clamp is skipped: blends of
                // bytes stay within 0..=255 give or take rounding far below
                // 0.5, where adding 1.5 * 2^23 alone already gives the
                // clamped value's byte.
                let narrow = |v: __m512| {
                    let clamped = if affine.is_some() {
                        _mm512_min_ps(_mm512_max_ps(v, _mm512_setzero_ps()), _mm512_set1_ps(255.0))
                    } else {
                        v
                    };
                    let magic = _mm512_add_ps(clamped, _mm512_set1_ps(12_582_912.0));
                    _mm512_cvtepi32_epi8(_mm512_castps_si512(magic))
                };
                let words = _mm256_set_m128i(narrow(halves[1]), narrow(halves[0]));
                write_u8::<C>(&mut row[j * C..(j + LANES) * C], words);
            }
            _ => {
                // Back to the 256-bit layout (pixel k low, k + 4 high).
                let pair = |first: i32| {
                    let lane = |k: i32| [k, k + 1, k + 2, k + 3];
                    let [a0, a1, a2, a3] = lane(first);
                    let [b0, b1, b2, b3] = lane(first + 16);
                    let [c0, c1, c2, c3] = lane(first + 4);
                    let [d0, d1, d2, d3] = lane(first + 20);
                    let t = _mm512_permutex2var_ps(
                        halves[0],
                        _mm512_setr_epi32(
                            a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3, d0, d1, d2, d3,
                        ),
                        halves[1],
                    );
                    (_mm512_castps512_ps256(t), _mm512_extractf32x8_ps::<1>(t))
                };
                let (p0, p1) = pair(0);
                let (p2, p3) = pair(8);
                put_pixels::<C>([p0, p1, p2, p3], j, out);
            }
        }
    }
}

/// The blended pixels of a planned `u8` colour block under AVX-512: pixels
/// 0..4 in the first vector, 4..8 in the second, one per 128-bit lane. The
/// reads are [`blend`]'s 16-byte reads, four to a vector.
///
/// # Safety
/// The CPU must support AVX-512 F/BW/DQ/VL; `plan` is a wide plan of `data`.
#[target_feature(enable = "avx2,fma,avx512f,avx512bw,avx512dq,avx512vl")]
#[inline]
unsafe fn blend_u8_avx512<const C: usize>(data: &[u8], g: Geometry, plan: &Planned) -> [__m512; 2] {
    let Planned { base, fx, fy } = *plan;
    let s = g.stride as usize;
    let p = data.as_ptr();
    let widen = |first: i8| {
        let lane = widening_control(first);
        // SAFETY: 16 bytes read from a 16-byte array.
        _mm512_broadcast_i32x4(unsafe { _mm_loadu_si128(lane.as_ptr().cast()) })
    };
    let (left_taps, right_taps) = (widen(0), widen(C as i8));
    let fx = _mm512_castps256_ps512(fx);
    let fy = _mm512_castps256_ps512(fy);
    let mut halves = [_mm512_setzero_ps(); 2];
    for (h, half) in halves.iter_mut().enumerate() {
        let k = 4 * h;
        // SAFETY: every tap is inside the source, so each `base[k]` is a
        // pixel offset, and `plan` (wide) showed the 16-byte reads at
        // `base[k] + s` (the furthest) end within the buffer.
        let row = |off: usize| unsafe {
            let at = |i: usize| _mm_loadu_si128(p.add(base[k + i] as usize + off).cast());
            let v = _mm512_castsi128_si512(at(0));
            let v = _mm512_inserti32x4::<1>(v, at(1));
            let v = _mm512_inserti32x4::<2>(v, at(2));
            _mm512_inserti32x4::<3>(v, at(3))
        };
        let widened =
            |bytes: __m512i, taps: __m512i| _mm512_cvtepi32_ps(_mm512_shuffle_epi8(bytes, taps));
        let (top, bottom) = (row(0), row(s));
        let i = k as i32;
        // Each pixel's weight across its lane's 4 channels (lanes 8.. of the
        // widened weights are never picked).
        let spread = _mm512_setr_epi32(
            i,
            i,
            i,
            i,
            i + 1,
            i + 1,
            i + 1,
            i + 1,
            i + 2,
            i + 2,
            i + 2,
            i + 2,
            i + 3,
            i + 3,
            i + 3,
            i + 3,
        );
        let (wx, wy) = (
            _mm512_permutexvar_ps(spread, fx),
            _mm512_permutexvar_ps(spread, fy),
        );
        let lerp = |a: __m512, b: __m512, t: __m512| {
            _mm512_add_ps(a, _mm512_mul_ps(t, _mm512_sub_ps(b, a)))
        };
        let t = lerp(widened(top, left_taps), widened(top, right_taps), wx);
        let b = lerp(widened(bottom, left_taps), widened(bottom, right_taps), wx);
        *half = lerp(t, b, wy);
    }
    halves
}

/// A byte-shuffle control that widens bytes `first..first + 4` of a
/// 128-bit lane to its four 32-bit lanes (a tap's 4 channels, zero-extended).
const fn widening_control(first: i8) -> [i8; 16] {
    let mut lane = [-1i8; 16];
    let mut c = 0;
    while c < 4 {
        lane[4 * c] = first + c as i8;
        c += 1;
    }
    lane
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
/// [`plan`] found to lie inside, with the channels of a pixel side by
/// side (pixel `k` in the low lane, `k + 4` in the high lane): each tap is
/// one 4-channel read converted in place, so no per-channel unpacking.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn colour_run<const C: usize>(
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
    put_pixels::<C>(px, j0, out);
}

/// Stores a colour block's pixels (pixel `k` in the low lane of `px[k]`,
/// `k + 4` in the high lane) at pixels `j0..j0 + 8` of `out`.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn put_pixels<const C: usize>(px: [__m256; 4], j0: usize, out: &mut RawRow<'_>) {
    match out {
        RawRow::U8(row) => {
            let q = px.map(|v| round_u8(v));
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
fn write_u8<const C: usize>(out: &mut [u8], words: __m256i) {
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

/// One block with taps outside the source (or non-finite positions): the
/// padding rule applied lane by lane in `i32`, then the same blend. `None`
/// only where a wide read would pass the buffer's end (the scalar path
/// takes those few blocks).
#[target_feature(enable = "avx2,fma")]
#[inline]
fn edge<const C: usize>(
    texels: Texels<'_>,
    g: Geometry,
    interpolation: Interpolation,
    [xl, xh, yl, yh]: [__m256d; 4],
) -> Option<[__m256; C]> {
    // Step 1 of the reference: non-finite positions read the fill value.
    let is_finite =
        |v: __m256d| _mm256_cmp_pd::<_CMP_EQ_OQ>(_mm256_sub_pd(v, v), _mm256_setzero_pd());
    let finite_bits = _mm256_movemask_pd(_mm256_and_pd(is_finite(xl), is_finite(yl)))
        | (_mm256_movemask_pd(_mm256_and_pd(is_finite(xh), is_finite(yh))) << 4);
    let finite = lane_mask(finite_bits);
    // Step 2: clamp to ±FAR (non-finite lanes become 0, and are masked at the end).
    let clamp = |v: __m256d| {
        let c = _mm256_min_pd(_mm256_max_pd(v, _mm256_set1_pd(-FAR)), _mm256_set1_pd(FAR));
        _mm256_and_pd(c, is_finite(v))
    };
    let mut pos = [clamp(xl), clamp(xh), clamp(yl), clamp(yh)];
    if interpolation == Interpolation::Nearest {
        let half = _mm256_set1_pd(0.5);
        pos = pos.map(|v| _mm256_add_pd(v, half));
    }
    let taps = split(pos);
    let fill = _mm256_set1_ps(g.fill);
    let one = _mm256_set1_epi32(1);
    let mut v = [fill; C];
    match interpolation {
        Interpolation::Nearest => {
            let (x, vx) = pad(g.padding, taps.ix, g.w);
            let (y, vy) = pad(g.padding, taps.iy, g.h);
            let t = read::<C>(texels, g, x, y)?;
            let valid = _mm256_castsi256_ps(_mm256_and_si256(vx, vy));
            for (c, vc) in v.iter_mut().enumerate() {
                *vc = _mm256_blendv_ps(fill, t[c], valid);
            }
        }
        Interpolation::Bilinear => {
            let (x0, vx0) = pad(g.padding, taps.ix, g.w);
            let (x1, vx1) = pad(g.padding, _mm256_add_epi32(taps.ix, one), g.w);
            let (y0, vy0) = pad(g.padding, taps.iy, g.h);
            let (y1, vy1) = pad(g.padding, _mm256_add_epi32(taps.iy, one), g.h);
            let tap = |x, vx, y, vy| -> Option<[__m256; C]> {
                let t = read::<C>(texels, g, x, y)?;
                let valid = _mm256_castsi256_ps(_mm256_and_si256(vx, vy));
                Some(t.map(|tc| _mm256_blendv_ps(fill, tc, valid)))
            };
            let p00 = tap(x0, vx0, y0, vy0)?;
            let p01 = tap(x1, vx1, y0, vy0)?;
            let p10 = tap(x0, vx0, y1, vy1)?;
            let p11 = tap(x1, vx1, y1, vy1)?;
            for (c, vc) in v.iter_mut().enumerate() {
                let top = lerp(p00[c], p01[c], taps.fx);
                let bottom = lerp(p10[c], p11[c], taps.fx);
                *vc = lerp(top, bottom, taps.fy);
            }
        }
    }
    let finite = _mm256_castsi256_ps(finite);
    Some(v.map(|vc| _mm256_blendv_ps(fill, vc, finite)))
}

/// An all-ones 32-bit lane `k` wherever bit `k` of `bits` is set.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn lane_mask(bits: i32) -> __m256i {
    let each = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(bits), each), each)
}

/// `i.rem_euclid(p)` per lane, for `|i| <= 2^31 - 1` and `1 <= p <= 2^26`:
/// the quotient from a double-precision product is off by at most one,
/// which one correction each way repairs.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn rem_euclid(i: __m256i, p: i32) -> __m256i {
    let inv = _mm256_set1_pd(1.0 / f64::from(p));
    let quotient = |half: __m128i| {
        _mm256_cvttpd_epi32(_mm256_floor_pd(_mm256_mul_pd(
            _mm256_cvtepi32_pd(half),
            inv,
        )))
    };
    let q = _mm256_set_m128i(
        quotient(_mm256_extracti128_si256::<1>(i)),
        quotient(_mm256_castsi256_si128(i)),
    );
    let vp = _mm256_set1_epi32(p);
    let r = _mm256_sub_epi32(i, _mm256_mullo_epi32(q, vp));
    // r < 0: add p; r >= p: subtract p.
    let r = _mm256_add_epi32(
        r,
        _mm256_and_si256(_mm256_cmpgt_epi32(_mm256_setzero_si256(), r), vp),
    );
    let too_big = _mm256_cmpgt_epi32(r, _mm256_set1_epi32(p - 1));
    _mm256_sub_epi32(r, _mm256_and_si256(too_big, vp))
}

/// `geom::Padding::index` per lane on an axis of `n` pixels: the index to
/// read (0 where there is none) and an all-ones mask where there is one.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn pad(padding: Padding, i: __m256i, n: i32) -> (__m256i, __m256i) {
    let all = _mm256_set1_epi32(-1);
    let fold = |k: __m256i, last: i32| {
        // k < n ? k : last - k
        let beyond = _mm256_cmpgt_epi32(k, _mm256_set1_epi32(n - 1));
        _mm256_blendv_epi8(k, _mm256_sub_epi32(_mm256_set1_epi32(last), k), beyond)
    };
    match padding {
        Padding::Constant(_) | Padding::Zeros => {
            let valid = in_range(i, n - 1);
            (_mm256_and_si256(i, valid), valid)
        }
        Padding::Border => (
            _mm256_min_epi32(
                _mm256_max_epi32(i, _mm256_setzero_si256()),
                _mm256_set1_epi32(n - 1),
            ),
            all,
        ),
        Padding::Wrap => (rem_euclid(i, n), all),
        Padding::Reflect => (fold(rem_euclid(i, 2 * n), 2 * n - 1), all),
        Padding::Reflect101 if n == 1 => (_mm256_setzero_si256(), all),
        Padding::Reflect101 => (fold(rem_euclid(i, 2 * n - 2), 2 * n - 2), all),
    }
}

/// The `C` channels of the pixels at in-image indices `(x, y)`, one
/// 4-channel read per pixel; `None` if a read would pass the buffer's end.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn read<const C: usize>(
    texels: Texels<'_>,
    g: Geometry,
    x: __m256i,
    y: __m256i,
) -> Option<[__m256; C]> {
    let base_v = _mm256_add_epi32(
        _mm256_mullo_epi32(y, _mm256_set1_epi32(g.stride)),
        _mm256_mullo_epi32(x, _mm256_set1_epi32(C as i32)),
    );
    let base: [i32; LANES] = bytemuck::cast(base_v);
    match texels {
        Texels::U8(data) => {
            if !g.reads_fit(base_v, 0, 4) {
                return None;
            }
            // SAFETY: `x`, `y` are in-image indices, so each `base[k]` is a
            // pixel's offset, and `reads_fit` showed its 4-byte read ends
            // within `data`.
            let words = unsafe {
                let w = |k: usize| {
                    data.as_ptr()
                        .add(base[k] as usize)
                        .cast::<i32>()
                        .read_unaligned()
                };
                _mm256_setr_epi32(w(0), w(1), w(2), w(3), w(4), w(5), w(6), w(7))
            };
            let mut v = [_mm256_setzero_ps(); C];
            for (c, vc) in v.iter_mut().enumerate() {
                *vc = byte_of(words, c);
            }
            Some(v)
        }
        Texels::F32(data) => {
            let p = data.as_ptr();
            if C == 1 {
                // SAFETY: each `base[k]` is a pixel of the source.
                let v = unsafe {
                    let f = |k: usize| *p.add(base[k] as usize);
                    _mm256_setr_ps(f(0), f(1), f(2), f(3), f(4), f(5), f(6), f(7))
                };
                return Some(copy_channels::<C>(&[v; 4]));
            }
            if !g.reads_fit(base_v, 0, 4) {
                return None;
            }
            // SAFETY: each `base[k]` is a pixel's offset and `reads_fit`
            // showed its 16-byte read ends within `data`.
            let pixels = unsafe {
                let px = |k: usize| _mm_loadu_ps(p.add(base[k] as usize));
                [
                    _mm256_set_m128(px(4), px(0)),
                    _mm256_set_m128(px(5), px(1)),
                    _mm256_set_m128(px(6), px(2)),
                    _mm256_set_m128(px(7), px(3)),
                ]
            };
            Some(copy_channels::<C>(&soa(pixels)))
        }
    }
}

/// Pixels `[k | k+4]` for k = 0..4, four channels each, as four channel
/// vectors of pixels 0..8 (a 4x4 transpose in each 128-bit lane).
#[target_feature(enable = "avx2,fma")]
#[inline]
fn soa(px: [__m256; 4]) -> [__m256; 4] {
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
fn copy_channels<const C: usize>(v: &[__m256; 4]) -> [__m256; C] {
    core::array::from_fn(|c| v[c])
}

/// One nearest block, or `None` if a tap lies outside the source.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn nearest<const C: usize>(
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
            let words = unsafe {
                let w = |k: usize| {
                    data.as_ptr()
                        .add(base[k] as usize)
                        .cast::<i32>()
                        .read_unaligned()
                };
                _mm256_setr_epi32(w(0), w(1), w(2), w(3), w(4), w(5), w(6), w(7))
            };
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

/// Byte `n` of each 32-bit lane as `f32`.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn byte_of(words: __m256i, n: usize) -> __m256 {
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

/// Applies the value affine and stores a block at pixels `j0..j0 + 8`.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn store<const C: usize>(
    values: Option<&ChannelAffine>,
    mut v: [__m256; C],
    j0: usize,
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
        RawRow::U8(row) => store_u8::<C>(&mut row[j0 * C..(j0 + LANES) * C], v),
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
/// keep the low byte.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn round_u8(v: __m256) -> __m256i {
    {
        let clamped = _mm256_min_ps(_mm256_max_ps(v, _mm256_setzero_ps()), _mm256_set1_ps(255.0));
        let magic = _mm256_add_ps(clamped, _mm256_set1_ps(12_582_912.0));
        _mm256_and_si256(_mm256_castps_si256(magic), _mm256_set1_epi32(0xff))
    }
}

/// Rounds 8 pixels to `u8` and interleaves them into `out` (`8 * C` bytes).
#[target_feature(enable = "avx2,fma")]
#[inline]
fn store_u8<const C: usize>(out: &mut [u8], v: [__m256; C]) {
    let mut words = round_u8(v[0]);
    for (c, &vc) in v.iter().enumerate().skip(1) {
        words = {
            let q = round_u8(vc);
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
