//! The first half of a block: where its 8 pixels read. Positions are
//! `Row::at` of `coords` computed four `f64` lanes at a time in the same
//! operations and order (`a*j + rx`, an affine map's products `a*j` taken
//! from a table built once per call; the projective divide and its
//! "at infinity" NaN; the grid's exact widening); taps and weights are
//! `Source::bilinear`'s in `kernels::scalar`: `x0 = floor(x)` and
//! `fx = (x - x0) as f32`. A block is planned for the fast path only if every
//! tap is inside the source (the reference would not consult padding) and
//! every read stays within the buffer; otherwise it is left to the edge path.
//! An affine row works out once the [`Span`] of pixels that pass both tests
//! (its positions are monotonic), and its blocks inside skip them.
//! The AVX-512 flavour plans the same way eight lanes at a time
//! (`avx512::plan_avx512`).

use super::geometry::{Geometry, LANES};
use super::lanes::finite;
use super::lanes::in_range;
use crate::coords::Row;
use core::arch::x86_64::*;
use core::mem::MaybeUninit;

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

/// The [`ColumnProducts`] of the block from pixel `j`, if the table has
/// them: only blocks that start on a multiple of [`LANES`] are tabled.
pub(super) fn block_products(
    products: Option<&[ColumnProducts]>,
    j: usize,
) -> Option<&ColumnProducts> {
    products
        .filter(|_| j.is_multiple_of(LANES))
        .and_then(|p| p.get(j / LANES))
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

impl Planned {
    /// A placeholder for arrays of plans, overwritten before any read.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub(super) fn unset() -> Planned {
        Planned {
            base: [0; LANES],
            fx: _mm256_setzero_ps(),
            fy: _mm256_setzero_ps(),
        }
    }
}

/// Blocks per batch of a span's planning (`span_blocks`,
/// `avx512::span_blocks_avx512`): planning independent blocks in a row
/// overlaps, where a block's blend waiting on its own planning would not.
/// Measured (scratch harness, RGBA `u8` 1024x768 rotate 17° zoom 1.1,
/// best of eight, ns/px): one block at a time 2.59, batches of 8 / 16 / 32
/// 2.38 / 2.30 / 2.33.
const SPAN_BATCH: usize = 16;

/// The `blocks` blocks of a span from pixel `j0`, a batch of
/// [`SPAN_BATCH`] at a time: `plan` plans each (given its first pixel and
/// the row's [`ColumnProducts`] for it; unchecked planning always plans,
/// and a block it did not would be `unset`) into an array, then `take`
/// gets the batch's first pixel and plans. Both span paths (`span_blocks`,
/// `avx512::span_blocks_avx512`) share this loop; inlined into each, it
/// runs with their instruction sets.
#[inline(always)]
pub(super) fn span_batches(
    products: &[ColumnProducts],
    j0: usize,
    blocks: usize,
    unset: Planned,
    mut plan: impl FnMut(usize, &ColumnProducts) -> Option<Planned>,
    mut take: impl FnMut(usize, &[Planned]),
) {
    // Left uninitialised: filling the 16 slots (1.5 KB) on every call,
    // once per row, cost 64x64 warps 3-5 % on the Xeon (Emerald Rapids).
    let mut plans = [const { MaybeUninit::<Planned>::uninit() }; SPAN_BATCH];
    let first = j0 / LANES;
    let Some(products) = products.get(first..first + blocks) else {
        return;
    };
    for (c, batch) in products.chunks(SPAN_BATCH).enumerate() {
        let j = j0 + c * SPAN_BATCH * LANES;
        for (b, (slot, products)) in plans.iter_mut().zip(batch).enumerate() {
            slot.write(plan(j + b * LANES, products).unwrap_or(unset));
        }
        // SAFETY: `batch` holds at most `SPAN_BATCH` blocks, so the loop
        // above wrote each of the first `batch.len()` slots, which are the
        // ones this slice covers; `MaybeUninit<Planned>` has `Planned`'s
        // layout.
        let planned =
            unsafe { core::slice::from_raw_parts(plans.as_ptr().cast::<Planned>(), batch.len()) };
        take(j, planned);
    }
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
pub(super) fn plan<const C: usize, const CHECKED: bool>(
    g: Geometry,
    [xl, xh, yl, yh]: [__m256d; 4],
    wide: bool,
) -> Option<Planned> {
    // The reference's test, floor(x) in 0..=w-2 and floor(y) in 0..=h-2,
    // as 0 <= x < w - 1 and 0 <= y < h - 1 on the positions (NaN fails each
    // compare; a side under 2 fails them all), as `avx512::plan_avx512`
    // does: eight compares instead of converting and range-testing floors.
    // Blocks of an affine row's `Span` skip it (and the reads' test).
    if CHECKED {
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
    if CHECKED && !g.reads_fit(vbase, extra, width) {
        return None;
    }
    let frac = |v: __m256d, f: __m256d| _mm256_cvtpd_ps(_mm256_sub_pd(v, f));
    Some(Planned {
        base: bytemuck::cast(vbase),
        fx: _mm256_set_m128(frac(xh, fxh), frac(xl, fxl)),
        fy: _mm256_set_m128(frac(yh, fyh), frac(yl, fyl)),
    })
}

/// All-ones in each lane where all four of a block's position vectors
/// (`[x 0..4, x 4..8, y 0..4, y 4..8]`) are finite.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn all_finite([xl, xh, yl, yh]: [__m256d; 4]) -> __m256d {
    _mm256_and_pd(
        _mm256_and_pd(finite(xl), finite(xh)),
        _mm256_and_pd(finite(yl), finite(yh)),
    )
}

/// Positions `v` clamped into `0..=side-1`, as `Border` maps them.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn clamp_to(v: __m256d, side: i32) -> __m256d {
    _mm256_min_pd(
        _mm256_max_pd(v, _mm256_setzero_pd()),
        _mm256_set1_pd(f64::from(side - 1)),
    )
}

/// A `u8` block with taps outside the source under
/// [`Padding::Border`](geom::Padding::Border), planned as a block inside
/// it: each position clamped to `0..=w-1` and `0..=h-1`. The reference's
/// padding maps both taps of a clamped axis to the same edge pixel `p`,
/// whose lerp with itself is `p` exactly; the clamped position puts that
/// pixel in the first tap with weight 0, and `0·(q - p) + p` is `p` exactly
/// for any byte `q` in the second (the pixel after the edge in the buffer,
/// or the row below: read, never used). So the planned blend gives the
/// reference's bits, at the cost of a planned block instead of an edge
/// block. Bytes only: a `f32` neighbour could be infinite, and `0·∞` is
/// NaN.
///
/// `None` where a position is not finite (the reference reads the fill
/// there) or a read would pass the buffer's end (the bottom row's second
/// tap row lies past it: blocks wholly on that row are [`plan_flat`]'s).
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn plan_border<const C: usize>(
    g: Geometry,
    [xl, xh, yl, yh]: [__m256d; 4],
) -> Option<Planned> {
    if _mm256_movemask_pd(all_finite([xl, xh, yl, yh])) != 0b1111 {
        return None;
    }
    let positions = [
        clamp_to(xl, g.w),
        clamp_to(xh, g.w),
        clamp_to(yl, g.h),
        clamp_to(yh, g.h),
    ];
    // Clamped positions are inside `0..w` and `0..h`, so every offset is
    // that of an in-image pixel; only the reads' end needs the test.
    let planned = plan::<C, false>(g, positions, true)?;
    let (extra, width) = read_extent::<C>(g, true);
    g.reads_fit(bytemuck::cast(planned.base), extra, width)
        .then_some(planned)
}

/// A `u8` block under [`Padding::Border`](geom::Padding::Border) that lies
/// wholly on or below the source's last row, planned as [`plan_border`]
/// plans it but for blending with [`Geometry::flat`]: every position
/// clamped to `0..=w-1` and to row `h-1`, where the weight of the row below
/// is 0 in every lane, so that row may as well be row `h-1` again. The
/// blend then reads only row `h-1` (`0·(p - p) + p` is `p`, as the
/// reference's lerp of the edge row with itself), and the block joins the
/// planned runs instead of taking the edge path, which [`plan_border`]
/// leaves it to because the row below lies past the buffer's end.
///
/// `None` unless every position is finite, every `y` is at least `h - 1`,
/// and the reads of row `h-1` end within the buffer.
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn plan_flat<const C: usize>(
    g: Geometry,
    [xl, xh, yl, yh]: [__m256d; 4],
) -> Option<Planned> {
    let last = _mm256_set1_pd(f64::from(g.h - 1));
    // NaN fails the compare; +∞ passes it, and is refused as not finite
    // (the reference reads the fill there).
    let below = |v: __m256d| _mm256_cmp_pd::<_CMP_GE_OQ>(v, last);
    let all = _mm256_and_pd(
        _mm256_and_pd(below(yl), below(yh)),
        all_finite([xl, xh, yl, yh]),
    );
    if _mm256_movemask_pd(all) != 0b1111 {
        return None;
    }
    // Planned with the source's stride, so each offset is that of a pixel
    // of row `h-1`; the flat geometry's reads are the top row's alone.
    let planned = plan::<C, false>(g, [clamp_to(xl, g.w), clamp_to(xh, g.w), last, last], true)?;
    let (extra, width) = read_extent::<C>(g.flat(), true);
    g.reads_fit(bytemuck::cast(planned.base), extra, width)
        .then_some(planned)
}

/// The output columns `first..=last` of an affine row where every pixel
/// passes the planning's tests (taps inside, reads within the buffer), so
/// blocks wholly inside need not test again (`plan::<C, false>`, where
/// [`Span::exempts`] says so).
#[derive(Clone, Copy)]
pub(super) struct Span {
    first: usize,
    last: usize,
}

impl Span {
    /// Whether the block from pixel `j0`, positioned from the row's
    /// `products`, may skip the planning's tests: it lies wholly in the
    /// span, whose test used the products' positions (a block without
    /// them is tested).
    #[inline(always)]
    pub(super) fn exempts(
        span: Option<Span>,
        products: Option<&ColumnProducts>,
        j0: usize,
    ) -> bool {
        span.is_some_and(|s| products.is_some() && s.blocks_from(j0) > 0)
    }

    /// The number of consecutive blocks from pixel `j0` that lie wholly in
    /// the span (0 if the block at `j0` does not).
    pub(super) fn blocks_from(self, j0: usize) -> usize {
        if self.first <= j0 && j0 + (LANES - 1) <= self.last {
            (self.last + 1 - j0) / LANES
        } else {
            0
        }
    }

    /// The first pixel of the first block at a multiple of [`LANES`] that
    /// lies wholly in the span (if any does).
    pub(super) fn first_block(self) -> usize {
        self.first.div_ceil(LANES) * LANES
    }
}

/// What the rows of one affine map share in finding their [`Span`]s,
/// worked out once per call: the bounds of the planning's tests on `x`
/// and `y`, the last pixel, and the reciprocals of the map's column steps
/// `a` and `d` (a row's own `a`, `d` are the map's), so that each row
/// estimates its span's ends with multiplies. Worked out per row, with an
/// integer divide and two `f64` divides, they made 64x64 warps 3-5 %
/// slower (`benches/RESULTS.md`, 2026-12-07, 21:30 UTC).
#[derive(Clone, Copy)]
pub(super) struct SpanLimits {
    x_end: f64,
    y_end: f64,
    last: f64,
    steps: [f64; 2],
    reciprocals: [f64; 2],
}

impl SpanLimits {
    /// The limits for rows of `width` pixels of an affine map whose column
    /// steps are `a` (in `x`) and `d` (in `y`), whose blocks read `C`
    /// channels from the source of `g` (`wide` reads for `u8`); `None`
    /// where no row can have a span.
    pub(super) fn new<const C: usize>(
        g: Geometry,
        width: usize,
        wide: bool,
        a: f64,
        d: f64,
    ) -> Option<SpanLimits> {
        let (extra, reach) = read_extent::<C>(g, wide);
        let (w, h, stride) = (i64::from(g.w), i64::from(g.h), i64::from(g.stride));
        // The last source row whose taps' reads all end within the buffer
        // (`floor(x)` at most `w - 2`); the reads of the last row or two may
        // not, where the buffer ends with the image.
        let room = i64::from(g.len) - i64::from(extra) - i64::from(reach) - (w - 2) * C as i64;
        if w < 2 || h < 2 || room < 0 || stride <= 0 || width == 0 {
            return None;
        }
        if !(a.is_finite() && d.is_finite()) {
            return None;
        }
        Some(SpanLimits {
            x_end: (w - 1) as f64,
            y_end: ((room / stride).min(h - 2) + 1) as f64,
            last: (width - 1) as f64,
            steps: [a, d],
            reciprocals: [1.0 / a, 1.0 / d],
        })
    }

    /// The [`Span`] of an affine row, if it has one.
    ///
    /// The row's positions `x_j = a*j + rx` (and `y_j`) are monotonic in `j`:
    /// `a*j` is, and rounding to nearest never reverses an order, nor does
    /// adding `rx` and rounding again. Each of the tests `0 <= x`, `x < w - 1`,
    /// `0 <= y` and `y < h - 1` therefore holds on a prefix or a suffix of the
    /// row, and all four on an interval. Its ends are estimated in real
    /// arithmetic, then moved inward until the row's own test (the reference's
    /// arithmetic) passes at both: the test then passes at every pixel between.
    /// Reads are covered by bounding the span's rows: below the last whose
    /// reads all fit, wherever the tap lies along it. Always inlined, so
    /// that it runs with the caller's instruction sets (`floor` and `ceil`
    /// one instruction each, not library calls).
    #[inline(always)]
    pub(super) fn span(&self, row: &Row<'_>) -> Option<Span> {
        let Row::Affine { a, rx, d, ry } = *row else {
            return None;
        };
        if !(a.is_finite() && rx.is_finite() && d.is_finite() && ry.is_finite()) {
            return None;
        }
        let (x_end, y_end) = (self.x_end, self.y_end);
        let inside = |j: usize| {
            let j = j as f64;
            let (x, y) = (a * j + rx, d * j + ry);
            0.0 <= x && x < x_end && 0.0 <= y && y < y_end
        };
        // The real `j` with `0 <= p*j + r < end`, approximately: only the
        // steps below rely on the answer, so a reciprocal serves where it is
        // finite and the row's step is the map's.
        let bounds = |p: f64, r: f64, end: f64, step: f64, reciprocal: f64| {
            let over = |v: f64| {
                if p == step && reciprocal.is_finite() {
                    v * reciprocal
                } else {
                    v / p
                }
            };
            if p > 0.0 {
                (over(-r), over(end - r))
            } else if p < 0.0 {
                (over(end - r), over(-r))
            } else if 0.0 <= r && r < end {
                (f64::NEG_INFINITY, f64::INFINITY)
            } else {
                (f64::INFINITY, f64::NEG_INFINITY)
            }
        };
        let [sa, sd] = self.steps;
        let [qa, qd] = self.reciprocals;
        let ((xl, xh), (yl, yh)) = (bounds(a, rx, x_end, sa, qa), bounds(d, ry, y_end, sd, qd));
        let lo = xl.max(yl).max(0.0).ceil();
        let hi = xh.min(yh).min(self.last).floor();
        // NaN ends (which compare as neither) give no span either.
        if lo.partial_cmp(&hi).is_none_or(|order| order.is_gt()) {
            return None;
        }
        let (mut first, mut last) = (lo as usize, hi as usize);
        // The estimate is off by a rounding or two at most; a few steps fix
        // it, and a row where they do not simply goes without a span.
        let mut steps = 0;
        while !inside(first) {
            (first, steps) = (first + 1, steps + 1);
            if first > last || steps > 4 {
                return None;
            }
        }
        while !inside(last) {
            (last, steps) = (last - 1, steps + 1);
            if first > last || steps > 8 {
                return None;
            }
        }
        Some(Span { first, last })
    }
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

#[cfg(test)]
mod tests;
