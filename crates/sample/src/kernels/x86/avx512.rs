//! The AVX-512 flavour of the hot path (reached only where pulp detected
//! its `V4` features): blocks planned eight `f64` lanes at a time (an
//! affine map's column products `a*j`, `d*j` worked out once per call), `u8` colour
//! blocks blended four pixels per 512-bit vector (edge blocks too, where
//! the padding's fill is a byte), and runs of `u8` gray blocks two blocks
//! per vector (`avx512/gray.rs`). Each is the 256-bit stage it replaces
//! (`plan::plan`, `blend::colour_run` or `edge::edge` with
//! `store::put_pixels`, and `blend::gray_run` with `store::store`) with
//! the same operations in the same order per lane, so each equals the
//! reference's `Source::bilinear` and `finish` in `kernels::scalar`, and the
//! `u8` store `geom::Element::from_f32`, bit for bit.

use super::chunks::prefetch;
use super::geometry::{Geometry, LANES};
use super::lanes::widening_control;
use super::plan::{ColumnProducts, Planned, Span, read_extent, span_batches};
use super::store::{put_pixels, write_u8};
use crate::coords::Row;
use crate::kernels::sink::RawRow;
use crate::options::ChannelAffine;
use core::arch::x86_64::*;

mod edge;
mod gray;
mod nearest;
mod vbmi;

pub(super) use edge::edge_block_u8_avx512;
pub(super) use gray::gray_blocks_avx512;
use gray::gray_pairs;
pub(super) use nearest::nearest_bytes_avx512;
pub(super) use vbmi::colour_span_vbmi;

/// [`plan_avx512`] for consecutive blocks from pixel `j0`, one per slot
/// (one call for all, so the planning stays inlined); `border`: `u8`
/// blocks under `Border` whose taps leave the source are planned clamped
/// into it (as `plan::plan_border`).
///
/// # Safety
/// The CPU must support AVX-512 F/DQ/VL.
#[target_feature(enable = "avx2,fma,avx512f,avx512dq,avx512vl")]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn plan_blocks_avx512<const C: usize>(
    g: Geometry,
    row: &Row<'_>,
    products: Option<&[ColumnProducts]>,
    span: Option<Span>,
    j0: usize,
    wide: bool,
    border: bool,
    plans: &mut [Option<Planned>],
) {
    let first = j0 / LANES;
    for (b, slot) in plans.iter_mut().enumerate() {
        let j = j0 + b * LANES;
        let products = products.and_then(|p| p.get(first + b));
        // SAFETY: the caller's guarantee.
        *slot = unsafe {
            if Span::exempts(span, products, j) {
                plan_avx512::<C, false>(g, row, products, j, wide, false)
            } else {
                plan_avx512::<C, true>(g, row, products, j, wide, border)
            }
        };
    }
}

/// `u8` blocks of an affine row that its `Span` holds, from pixel `j0`:
/// planned a batch at a time without the tests (`plan_avx512::<C, false>`,
/// see `plan::span_batches`), prefetched `lead` elements on
/// (`super::chunks::prefetch`), then blended and stored, colour blocks one at a
/// time, gray ones two per vector from gathered words. The same steps as
/// planning a chunk into an array and blending its runs
/// ([`plan_blocks_avx512`], [`colour_blocks_avx512`],
/// [`gray_blocks_avx512`]), without the chunk's `Option`s and the run
/// counting between them.
///
/// # Safety
/// The CPU must support AVX-512 F/BW/DQ/VL; `row`'s span, found with wide
/// reads for `data`, holds every block; `products` are the row's.
#[target_feature(enable = "avx2,fma,avx512f,avx512bw,avx512dq,avx512vl")]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn span_blocks_avx512<const C: usize>(
    data: &[u8],
    g: Geometry,
    row: &Row<'_>,
    products: &[ColumnProducts],
    j0: usize,
    blocks: usize,
    lead: Option<isize>,
    values: Option<&ChannelAffine>,
    out: &mut RawRow<'_>,
) {
    let affine = affine_lanes(values);
    let take = |j: usize, planned: &[Planned]| {
        if C == 1 {
            // SAFETY: the caller's guarantee: the span's blocks are wide
            // plans, whose gray reads are 4 bytes.
            unsafe { gray_pairs(data, g, values, planned.iter(), j, out) };
            return;
        }
        for (b, plan) in planned.iter().enumerate() {
            // SAFETY: the caller's guarantee: the span's blocks are wide
            // plans.
            let halves = unsafe { blend_u8_avx512::<C>(data, g, plan) };
            put_halves::<C>(halves, affine, j + b * LANES, out);
        }
    };
    // SAFETY: the caller's guarantee.
    unsafe { span_plans::<C>(data, g, row, products, j0, blocks, lead, take) };
}

/// The blocks of an affine row's span from pixel `j0`, planned a batch at
/// a time without the tests (`plan_avx512::<C, false>`, see
/// `plan::span_batches`) and prefetched `lead` elements on
/// (`super::chunks::prefetch`); `take` gets each batch's first pixel and
/// plans. The loop of [`span_blocks_avx512`] and
/// `vbmi::colour_span_vbmi`: always inlined, it runs with each one's
/// instruction sets.
///
/// # Safety
/// The CPU must support AVX-512 F/DQ/VL; `row`'s span, found with wide
/// reads for `data`, holds the `blocks` blocks from `j0`; `products` are
/// the row's.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn span_plans<const C: usize>(
    data: &[u8],
    g: Geometry,
    row: &Row<'_>,
    products: &[ColumnProducts],
    j0: usize,
    blocks: usize,
    lead: Option<isize>,
    mut take: impl FnMut(usize, &[Planned]),
) {
    span_batches(
        products,
        j0,
        blocks,
        // SAFETY: the caller's guarantee includes AVX2.
        unsafe { Planned::unset() },
        // SAFETY: the caller's guarantee.
        |j, products| unsafe { plan_avx512::<C, false>(g, row, Some(products), j, true, false) },
        |j, planned| {
            if let Some(lead) = lead {
                // SAFETY: the caller's guarantee includes AVX2; a prefetch
                // never faults.
                unsafe { prefetch(data, g, lead, planned.iter()) };
            }
            take(j, planned);
        },
    );
}

/// [`plan::plan`](super::plan::plan) with the positions and their split
/// into taps computed eight `f64` lanes at a time: the same operations in the same order per lane
/// (`a*j + rx`, the divide, `floor`, `(x - floor x) as f32`), so the same
/// taps and weights; the inside test and the offsets are worked out on the
/// `f64` values, which gives the same answers exactly (see the comments).
/// With `border`, a block that fails the inside test is clamped into the
/// source instead, as [`plan_border`](super::plan::plan_border) does.
///
/// # Safety
/// The CPU must support AVX-512 F/DQ/VL.
#[target_feature(enable = "avx2,fma,avx512f,avx512dq,avx512vl")]
#[inline]
unsafe fn plan_avx512<const C: usize, const CHECKED: bool>(
    g: Geometry,
    row: &Row<'_>,
    products: Option<&ColumnProducts>,
    j0: usize,
    wide: bool,
    border: bool,
) -> Option<Planned> {
    let j = _mm512_add_pd(
        _mm512_set1_pd(j0 as f64),
        _mm512_setr_pd(0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0),
    );
    let line =
        |a: f64, r: f64| _mm512_add_pd(_mm512_mul_pd(_mm512_set1_pd(a), j), _mm512_set1_pd(r));
    // SAFETY: 8 doubles read from each 8-double array.
    let product = |p: &[f64; LANES]| unsafe { _mm512_loadu_pd(p.as_ptr()) };
    let (mut x, mut y) = match *row {
        Row::Affine { rx, ry, .. } if let Some([ax, dy]) = products => (
            _mm512_add_pd(product(ax), _mm512_set1_pd(rx)),
            _mm512_add_pd(product(dy), _mm512_set1_pd(ry)),
        ),
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
    // Blocks of an affine row's `Span` skip it (and the reads' test).
    if CHECKED {
        let zero = _mm512_setzero_pd();
        let below = |side: i32| _mm512_set1_pd(f64::from(side - 1));
        let inside = _mm512_cmp_pd_mask::<_CMP_GE_OQ>(x, zero);
        let inside = _mm512_mask_cmp_pd_mask::<_CMP_LT_OQ>(inside, x, below(g.w));
        let inside = _mm512_mask_cmp_pd_mask::<_CMP_GE_OQ>(inside, y, zero);
        let inside = _mm512_mask_cmp_pd_mask::<_CMP_LT_OQ>(inside, y, below(g.h));
        if inside != 0xff {
            // `plan::plan_border`'s clamp into the source, for `u8` blocks
            // under `Border`: the same bits as the padding rule.
            let finite = |v: __m512d| _mm512_cmp_pd_mask::<_CMP_EQ_OQ>(_mm512_sub_pd(v, v), zero);
            if !border || finite(x) & finite(y) != 0xff {
                return None;
            }
            let clamp = |v: __m512d, side: i32| _mm512_min_pd(_mm512_max_pd(v, zero), below(side));
            (x, y) = (clamp(x, g.w), clamp(y, g.h));
        }
    }
    // The fractions first, `x - trunc(x)` in one `vreducepd` each, then
    // the floors as `x - fraction`: on the Xeon (Emerald Rapids) a gray
    // 1024x768 warp 3-4 % faster than `roundscale` for the floor and a
    // subtraction for the fraction. Every position planned here is +0, -0
    // or more (inside the source, or clamped into it), where truncation is
    // the floor; the fraction, exactly representable, is exact, and
    // `x - fraction` is the floor exactly. Truncation, not rounding down:
    // an exact zero difference is +0 in every rounding mode but downward,
    // and the reference's `x - floor(x)` of a whole `x` (or -0) is +0,
    // which is the f32 to blend with (`f32` sources can hold -0 taps,
    // where the sign would show: `tests/paths.rs`, signed zeros).
    let fraction = |v: __m512d| _mm512_reduce_pd::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(v);
    let (frac_x, frac_y) = (fraction(x), fraction(y));
    let (floor_x, floor_y) = (_mm512_sub_pd(x, frac_x), _mm512_sub_pd(y, frac_y));
    // `fy * stride + fx * C` in f64: whole numbers below the buffer's
    // length (< 2^31), so exact however the sum is formed (hence the FMA),
    // and the same offsets `offsets` computes in i32.
    let base = _mm512_cvttpd_epi32(_mm512_fmadd_pd(
        floor_y,
        _mm512_set1_pd(f64::from(g.stride)),
        _mm512_mul_pd(floor_x, _mm512_set1_pd(C as f64)),
    ));
    let (extra, width) = read_extent::<C>(g, wide);
    if CHECKED && !g.reads_fit(base, extra, width) {
        return None;
    }
    Some(Planned {
        base: bytemuck::cast(base),
        fx: _mm512_cvtpd_ps(frac_x),
        fy: _mm512_cvtpd_ps(frac_y),
    })
}

/// `chunks::colour_blocks` for `u8` sources under
/// AVX-512: four pixels per 512-bit vector (one per 128-bit lane, channels side by side), so each
/// widening shuffle, conversion and lerp step serves twice the pixels of
/// the 256-bit blocks. Once 512-bit work is in flight the 256-bit code gets
/// two vector ports instead of three, so the halved instruction count is
/// the gain. Same reads, same lane arithmetic, same bits.
///
/// # Safety
/// The CPU must support AVX-512 F/BW/DQ/VL.
#[target_feature(enable = "avx2,fma,avx512f,avx512bw,avx512dq,avx512vl")]
pub(super) unsafe fn colour_blocks_avx512<const C: usize>(
    data: &[u8],
    g: Geometry,
    values: Option<&ChannelAffine>,
    plans: &[Option<Planned>],
    j0: usize,
    out: &mut RawRow<'_>,
) {
    let affine = affine_lanes(values);
    for (b, plan) in plans.iter().enumerate() {
        let Some(plan) = plan else { continue };
        // SAFETY: the caller's guarantee; `plan` is a planned (wide) block.
        let halves = unsafe { blend_u8_avx512::<C>(data, g, plan) };
        put_halves::<C>(halves, affine, j0 + b * LANES, out);
    }
}

/// The value affine's scales and offsets, each channel's repeated in every
/// 128-bit lane (the layout of [`blend_u8_avx512`]'s halves).
#[target_feature(enable = "avx2,fma,avx512f,avx512bw,avx512dq,avx512vl")]
#[inline]
fn affine_lanes(values: Option<&ChannelAffine>) -> Option<(__m512, __m512)> {
    values.map(|a| {
        // SAFETY: 4 floats read from each 4-float array.
        unsafe {
            (
                _mm512_broadcast_f32x4(_mm_loadu_ps(a.scale.as_ptr())),
                _mm512_broadcast_f32x4(_mm_loadu_ps(a.offset.as_ptr())),
            )
        }
    })
}

/// Stores a block's blended halves (pixels 0..4, then 4..8, one per
/// 128-bit lane, as [`blend_u8_avx512`] gives them) as pixels `j..j + 8`
/// of `out`, through the value affine if any: `store`'s arithmetic on 16
/// lanes. The halves are blends of bytes, so without an affine the `u8`
/// rounding needs no clamp (see [`narrow_u8`]).
#[target_feature(enable = "avx2,fma,avx512f,avx512bw,avx512dq,avx512vl")]
#[inline]
fn put_halves<const C: usize>(
    mut halves: [__m512; 2],
    affine: Option<(__m512, __m512)>,
    j: usize,
    out: &mut RawRow<'_>,
) {
    if let Some((scale, offset)) = affine {
        for h in halves.iter_mut() {
            *h = _mm512_add_ps(_mm512_mul_ps(*h, scale), offset);
        }
    }
    match out {
        RawRow::U8(row) => {
            // Pixels 0..4 then 4..8, four bytes each, in order; the
            // clamp only with a value affine (see `narrow_u8`).
            let clamp = affine.is_some();
            let words = _mm256_set_m128i(narrow_u8(halves[1], clamp), narrow_u8(halves[0], clamp));
            write_u8::<C>(&mut row[j * C..(j + LANES) * C], words);
        }
        RawRow::Planar(planes) => {
            // Channel c of pixels 0..4 is element 4k + c of the first
            // half, of pixels 4..8 the same of the second: one
            // two-source permute per plane.
            for (c, plane) in planes.iter_mut().enumerate().take(C) {
                let c = c as i32;
                let at = |k: i32| 4 * k + c;
                let gather = _mm512_setr_epi32(
                    at(0),
                    at(1),
                    at(2),
                    at(3),
                    16 + at(0),
                    16 + at(1),
                    16 + at(2),
                    16 + at(3),
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                );
                let v = _mm512_permutex2var_ps(halves[0], gather, halves[1]);
                let Ok(dst) = <&mut [f32; LANES]>::try_from(&mut plane[j..j + LANES]) else {
                    return;
                };
                // SAFETY: 8 floats written to an 8-float array.
                unsafe { _mm256_storeu_ps(dst.as_mut_ptr(), _mm512_castps512_ps256(v)) };
            }
        }
        RawRow::F32(_) => {
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
            put_pixels::<C>([p0, p1, p2, p3], j, true, out);
        }
    }
}

/// The blended pixels of a planned `u8` colour block under AVX-512: pixels
/// 0..4 in the first vector, 4..8 in the second, one per 128-bit lane. The
/// reads are `blend::blend`'s 16-byte reads, four to a vector.
///
/// # Safety
/// The CPU must support AVX-512 F/BW/DQ/VL; `plan` is a wide plan of `data`.
#[target_feature(enable = "avx2,fma,avx512f,avx512bw,avx512dq,avx512vl")]
#[inline]
unsafe fn blend_u8_avx512<const C: usize>(data: &[u8], g: Geometry, plan: &Planned) -> [__m512; 2] {
    // Constant tables (a control built per call measured slower).
    let controls = widening_controls(
        const {
            &[
                widening_control(0),
                widening_control(C as i8),
                widening_control(0),
                widening_control(C as i8),
            ]
        },
    );
    let mut halves = [_mm512_setzero_ps(); 2];
    for (h, half) in halves.iter_mut().enumerate() {
        // SAFETY: the caller's guarantee.
        let (top, bottom) = unsafe { half_bytes(data, g, plan, h) };
        *half = blend_half(top, bottom, &controls, plan.fx, plan.fy, h);
    }
    halves
}

/// Byte-shuffle controls (`lanes::widening_control` tables) broadcast to
/// every 128-bit lane.
#[target_feature(enable = "avx2,fma,avx512f,avx512bw,avx512dq,avx512vl")]
#[inline]
fn widening_controls(tables: &[[i8; 16]; 4]) -> [__m512i; 4] {
    tables.each_ref().map(|lane| {
        // SAFETY: 16 bytes read from a 16-byte array.
        _mm512_broadcast_i32x4(unsafe { _mm_loadu_si128(lane.as_ptr().cast()) })
    })
}

/// Half `h` (pixels `4h..4h + 4`, one per 128-bit lane) of a colour block
/// blended: the taps widened from `top` and `bottom` by `controls` (top
/// left, top right, bottom left, bottom right), then the reference's
/// lerps with weights `fx`, `fy`.
#[target_feature(enable = "avx2,fma,avx512f,avx512bw,avx512dq,avx512vl")]
#[inline]
fn blend_half(
    top: __m512i,
    bottom: __m512i,
    controls: &[__m512i; 4],
    fx: __m256,
    fy: __m256,
    h: usize,
) -> __m512 {
    let widened =
        |bytes: __m512i, control: __m512i| _mm512_cvtepi32_ps(_mm512_shuffle_epi8(bytes, control));
    let (wx, wy) = (pixel_weights(fx, h), pixel_weights(fy, h));
    let t = lerp512(widened(top, controls[0]), widened(top, controls[1]), wx);
    let b = lerp512(
        widened(bottom, controls[2]),
        widened(bottom, controls[3]),
        wx,
    );
    lerp512(t, b, wy)
}

/// The source bytes of half `h` (pixels `4h..4h + 4`, one per 128-bit
/// lane) of a planned colour block: the top and bottom rows' 16-byte reads
/// from each left tap. Loads inserted into the vector, not gathers: on
/// the Xeon (Emerald Rapids) gathering each pixel's two 8-byte pairs made
/// RGBA 11 % slower (1024x768, rotate 17° zoom 1.1: 2.12 against 1.87
/// ns/px), and RGB's 3-byte pixels never gathered.
///
/// # Safety
/// The CPU must support AVX-512 F/BW/DQ/VL; `plan` is a wide plan of
/// `data`.
#[target_feature(enable = "avx2,fma,avx512f,avx512bw,avx512dq,avx512vl")]
#[inline]
unsafe fn half_bytes(data: &[u8], g: Geometry, plan: &Planned, h: usize) -> (__m512i, __m512i) {
    let p = data.as_ptr();
    let k = 4 * h;
    let s = g.stride as usize;
    // SAFETY: every tap is inside the source, so each `base[k]` is a pixel
    // offset, and `plan` (wide) showed the 16-byte reads at `base[k] + s`
    // (the furthest) end within the buffer.
    let row = |off: usize| unsafe {
        let at = |i: usize| _mm_loadu_si128(p.add(plan.base[k + i] as usize + off).cast());
        let v = _mm512_castsi128_si512(at(0));
        let v = _mm512_inserti32x4::<1>(v, at(1));
        let v = _mm512_inserti32x4::<2>(v, at(2));
        _mm512_inserti32x4::<3>(v, at(3))
    };
    (row(0), row(s))
}

/// Each of pixels `4h..4h + 4`'s weight in `w` across its 128-bit lane's
/// four channels.
#[target_feature(enable = "avx2,fma,avx512f,avx512bw,avx512dq,avx512vl")]
#[inline]
fn pixel_weights(w: __m256, h: usize) -> __m512 {
    let i = 4 * h as i32;
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
    _mm512_permutexvar_ps(spread, _mm512_castps256_ps512(w))
}

/// `t*(b - a) + a` on 16 lanes: the reference's lerp (one FMA), as
/// `lanes::lerp` on 8.
#[target_feature(enable = "avx2,fma,avx512f,avx512dq,avx512vl")]
#[inline]
fn lerp512(a: __m512, b: __m512, t: __m512) -> __m512 {
    _mm512_fmadd_ps(t, _mm512_sub_ps(b, a), a)
}

/// `round_u8` of `store` on 16 lanes, as bytes: clamp to 0..=255 (NaN to
/// 0), add 1.5 * 2^23, keep the low byte (the truncating narrow). Without
/// a value affine the clamp may be skipped: blends of bytes stay within
/// 0..=255 give or take rounding far below 0.5, where adding 1.5 * 2^23
/// alone already gives the clamped value's byte.
#[target_feature(enable = "avx2,fma,avx512f,avx512dq,avx512vl")]
#[inline]
fn narrow_u8(v: __m512, clamp: bool) -> __m128i {
    let clamped = if clamp {
        _mm512_min_ps(_mm512_max_ps(v, _mm512_setzero_ps()), _mm512_set1_ps(255.0))
    } else {
        v
    };
    let magic = _mm512_add_ps(clamped, _mm512_set1_ps(12_582_912.0));
    _mm512_cvtepi32_epi8(_mm512_castps_si512(magic))
}
