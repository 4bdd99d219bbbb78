//! Blocks whose taps leave the source, or whose positions are not finite:
//! steps 1 to 4 of the `kernels::scalar` reference lane by lane. A
//! non-finite position reads the fill value; positions are clamped to
//! `±FAR`; each tap index goes through the padding rule
//! (`geom::Padding::index`, here in `i32` lanes, with the fill value where
//! the rule maps nowhere), and the four taps blend in the reference's order.
//! (`u8` blocks under `Border` mostly come here no more: they are planned
//! clamped into the source, `plan::plan_border` and `plan::plan_flat`,
//! which give the same bits; nor do blocks wholly outside the source under
//! a fill, which are one value, [`outside_fill`].)

use super::avx512::edge_block_u8_avx512;
use super::geometry::{Geometry, LANES};
use super::lanes::{
    byte_of, copy_channels, finite, finite_and_clamped, in_range, last_holding, lerp, load_words,
    soa,
};
use super::plan::{positions, split};
use super::store::store;
use crate::coords::Row;
use crate::kernels::scalar::{Source, finish, lerp2, nearest_tap};
use crate::kernels::sink::RawRow;
use crate::kernels::typed::Texels;
use crate::options::{ChannelAffine, Interpolation};
use core::arch::x86_64::*;
use geom::{Element, Padding};

/// A bilinear block under `Constant` or `Zeros` padding whose every tap
/// lies outside the source, at finite positions: `x < -1` or `x >= w`
/// (both columns `floor(x)`, `floor(x) + 1` outside `0..w`), or the same
/// for `y`, in every lane. The reference then blends four fill values,
/// which gives `lerp2` of the fill with itself in every lane and channel,
/// whatever the weights (`fx * (f - f) + f`, with `f - f` a zero): so the
/// block is that one value, with no reads. Rotations and zooms out with a
/// constant fill leave many such blocks in their corners, which would
/// otherwise take [`edge`]'s lane-by-lane path. `None` for any other block.
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn outside_fill<const C: usize>(
    g: Geometry,
    [xl, xh, yl, yh]: [__m256d; 4],
) -> Option<[__m256; C]> {
    let fill = g.padding.constant()?;
    let outside = |v: __m256d, side: i32| {
        _mm256_or_pd(
            _mm256_cmp_pd::<_CMP_LT_OQ>(v, _mm256_set1_pd(-1.0)),
            _mm256_cmp_pd::<_CMP_GE_OQ>(v, _mm256_set1_pd(f64::from(side))),
        )
    };
    let lanes = |x: __m256d, y: __m256d| {
        _mm256_and_pd(
            _mm256_or_pd(outside(x, g.w), outside(y, g.h)),
            _mm256_and_pd(finite(x), finite(y)),
        )
    };
    let all = _mm256_and_pd(lanes(xl, yl), lanes(xh, yh));
    if _mm256_movemask_pd(all) != 0b1111 {
        return None;
    }
    let value = lerp2(fill, fill, fill, fill, 0.0, 0.0);
    Some([_mm256_set1_ps(value); C])
}

/// The runs of pixels wholly outside the source at finite positions (for
/// bilinear taps as [`outside_fill`] tests them; a nearest tap outside
/// `0..w` or `0..h`) at the two ends of an affine row of
/// `width` pixels: pixels `..lead` are, pixel `lead` is not, and pixels
/// `tail..` are, pixel `tail - 1` is not (`lead == width` and `tail == 0`
/// if every pixel is). `None` for other rows.
///
/// An affine row's `x` and `y` are monotone in the pixel index (a product
/// by a fixed `a`, then a fixed sum, each rounding monotone), and so is a
/// nearest tap ([`nearest_tap`]). So each of the four sides holds on an
/// interval of pixels, and so does finiteness. The sides are `x < -1`,
/// `x >= w`, `y < -1`, `y >= h` for bilinear taps, and for a nearest one
/// `tap(x) < 0`, `tap(x) >= w`, `tap(y) < 0`, `tap(y) >= h`. Each run
/// is found side by side from the row's end: where the side's line
/// crosses its bound, solved in `f64`, is a guess, which [`run_end`]
/// corrects with [`Row::at`] (the positions the blocks compute), so the
/// ends are exact whatever the guess's rounding. (AVX2 for the `floor`s and `ceil`s,
/// which baseline x86-64 leaves to libm calls.)
#[target_feature(enable = "avx2,fma")]
pub(super) fn outside_ends(
    g: Geometry,
    interpolation: Interpolation,
    row: &Row<'_>,
    width: usize,
) -> Option<(usize, usize)> {
    let Row::Affine { a, rx, d, ry } = *row else {
        return None;
    };
    let (w, h) = (f64::from(g.w), f64::from(g.h));
    let nearest = interpolation == Interpolation::Nearest;
    let sides = |j: usize| -> u32 {
        // `Row::at`'s positions for an affine row.
        let (x, y) = (a * j as f64 + rx, d * j as f64 + ry);
        if !(x.is_finite() && y.is_finite()) {
            return 0;
        }
        // Bilinear taps leave the source below -1 (both columns before
        // it); a nearest tap, below 0.
        let (x, y, low) = if nearest {
            (nearest_tap(x), nearest_tap(y), 0.0)
        } else {
            (x, y, -1.0)
        };
        u32::from(x < low)
            | u32::from(x >= w) << 1
            | u32::from(y < low) << 2
            | u32::from(y >= h) << 3
    };
    // Side `k`'s line `slope * j + offset` meets its bound (for a nearest
    // tap, half a pixel before it) at `j = cross(k)`.
    let shift = if nearest { 0.5 } else { 0.0 };
    let cross = |k: u32| {
        let (slope, offset, bound) = [
            (a, rx, -1.0 + shift),
            (a, rx, w - shift),
            (d, ry, -1.0 + shift),
            (d, ry, h - shift),
        ][k as usize];
        (bound - offset) / slope
    };
    // A side ends (`forward`) or starts (backward) near its crossing if
    // that lies ahead of `j` in the run's direction; otherwise it holds
    // to the row's end. A NaN crossing (a zero slope) gives the row's end.
    let guess = |k: u32, j: usize, forward: bool| -> f64 {
        let at = cross(k);
        match forward {
            true if at > j as f64 => at.ceil(),
            true => width as f64,
            false if at < j as f64 => at.floor() + 1.0,
            false => 0.0,
        }
    };
    // From the first pixel on, side by side, while the pixel reached is
    // still outside (another side may hold there).
    let mut lead = 0;
    while let first @ 1.. = if lead < width { sides(lead) } else { 0 } {
        let from = lead;
        for k in (0..4).filter(|k| first >> k & 1 != 0) {
            let to = index_at(guess(k, from, true), width);
            lead = lead.max(run_end(from, width, to, |j| sides(j) >> k & 1 != 0));
        }
    }
    // The same from the last pixel back, on indices counted from the end.
    let back = |i: usize| width - 1 - i;
    // (Nothing left to find where every pixel is outside.)
    let mut tail = if lead == width { 0 } else { width };
    while let last @ 1.. = if tail > 0 { sides(tail - 1) } else { 0 } {
        let from = width - tail;
        for k in (0..4).filter(|k| last >> k & 1 != 0) {
            let to = width - index_at(guess(k, tail - 1, false), width);
            tail = tail.min(width - run_end(from, width, to, |i| sides(back(i)) >> k & 1 != 0));
        }
    }
    Some((lead, tail))
}

/// `v` as an index in `0..=limit` (`limit` for NaN).
fn index_at(v: f64, limit: usize) -> usize {
    if v.is_nan() {
        limit
    } else {
        v.clamp(0.0, limit as f64) as usize
    }
}

/// The first index after `from` where `holds` is false (`limit` if none
/// below it), given that it holds at `from` and, from there, on an
/// interval of indices; searched from `guess` by doubling steps (forward
/// or back), then bisection, so a good guess costs a few tests.
fn run_end(from: usize, limit: usize, guess: usize, holds: impl Fn(usize) -> bool) -> usize {
    let guess = guess.clamp(from + 1, limit);
    let (on, off) = if guess < limit && holds(guess) {
        let (mut on, mut step) = (guess, 1);
        while on + step < limit && holds(on + step) {
            on += step;
            step *= 2;
        }
        (on, (on + step).min(limit))
    } else {
        let (mut off, mut step) = (guess, 1);
        while off - from > step && !holds(off - step) {
            off -= step;
            step *= 2;
        }
        (off.saturating_sub(step).max(from), off)
    };
    last_holding(on, off, holds) + 1
}

/// The blocks from pixel `j0` that lie wholly outside the source under a
/// fill ([`outside_fill`]), tested one by one (rows other than affine
/// ones, whose runs [`outside_ends`] finds), stored by [`fill_blocks`].
/// Returns the pixel after them (`j0` if there are none).
#[target_feature(enable = "avx2,fma")]
pub(super) fn outside_blocks<const C: usize>(
    geometry: Geometry,
    values: Option<&ChannelAffine>,
    row: &Row<'_>,
    j0: usize,
    width: usize,
    out: &mut RawRow<'_>,
) -> usize {
    let mut end = j0;
    while end + LANES <= width && outside_fill::<C>(geometry, positions(row, end)).is_some() {
        end += LANES;
    }
    if end > j0 {
        fill_blocks::<C>(geometry, Interpolation::Bilinear, values, j0, end, out);
    }
    end
}

/// Whole blocks from pixel `j0` to `end` wholly outside the source under
/// a fill: one value, stored once and copied over the rest. A bilinear
/// block's is [`outside_fill`]'s, the fill's blend with itself; a nearest
/// one's, the fill. Nothing under other paddings.
#[target_feature(enable = "avx2,fma")]
pub(super) fn fill_blocks<const C: usize>(
    geometry: Geometry,
    interpolation: Interpolation,
    values: Option<&ChannelAffine>,
    j0: usize,
    end: usize,
    out: &mut RawRow<'_>,
) {
    if let Some(fill) = geometry.padding.constant()
        && end > j0
    {
        let value = match interpolation {
            Interpolation::Bilinear => lerp2(fill, fill, fill, fill, 0.0, 0.0),
            Interpolation::Nearest => fill,
        };
        store::<C>(values, [_mm256_set1_ps(value); C], j0, true, out);
        out.repeat::<C>(j0, 1, end);
    }
}

/// Under a fill, the whole blocks of an affine row's two ends that lie
/// wholly outside the source (`outside_ends`), stored as their one value
/// (`fill_blocks`); returns the blocks left between them, from the first
/// pixel of the first to the end of the last. `None` (nothing stored) for
/// other paddings and rows.
#[target_feature(enable = "avx2,fma")]
pub(super) fn filled_ends<const C: usize>(
    geometry: Geometry,
    interpolation: Interpolation,
    values: Option<&ChannelAffine>,
    row: &Row<'_>,
    width: usize,
    out: &mut RawRow<'_>,
) -> Option<(usize, usize)> {
    geometry.padding.constant()?;
    let (lead, tail) = outside_ends(geometry, interpolation, row, width)?;
    let whole = width / LANES * LANES;
    let start = (lead / LANES * LANES).min(whole);
    let end = (tail.div_ceil(LANES) * LANES).clamp(start, whole);
    fill_blocks::<C>(geometry, interpolation, values, 0, start, out);
    fill_blocks::<C>(geometry, interpolation, values, end, whole, out);
    Some((start, end))
}

/// A block the fast path left: the vector edge path, or the scalar
/// reference where even that would read past the buffer's end.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub(super) fn edge_or_scalar<T: Element, const C: usize>(
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
    // Blocks wholly outside under a fill read nothing: one value.
    if interpolation == Interpolation::Bilinear
        && let Some(v) = outside_fill::<C>(geometry, pos)
    {
        return store::<C>(values, v, j0, true, out);
    }
    // Colour `u8` blocks blend 512 bits at a time where they can.
    if (C == 3 || C == 4)
        && geometry.avx512
        && geometry.gathers
        && interpolation == Interpolation::Bilinear
        && let Texels::U8(data) = texels
        // SAFETY: `avx512` is set only where the CPU has AVX-512
        // F/BW/CD/DQ/VL; `geometry` describes `data`.
        && unsafe { edge_block_u8_avx512::<C>(data, geometry, values, pos, j0, out) }
    {
        return;
    }
    match edge::<C>(texels, geometry, interpolation, pos) {
        Some(v) => store::<C>(values, v, j0, true, out),
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
pub(super) fn scalar_pixels<T: Element, const C: usize>(
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

/// One block with taps outside the source (or non-finite positions): the
/// padding rule applied lane by lane in `i32`, then the same blend. `None`
/// only where a wide read would pass the buffer's end (the scalar path
/// takes those few blocks).
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn edge<const C: usize>(
    texels: Texels<'_>,
    g: Geometry,
    interpolation: Interpolation,
    block: [__m256d; 4],
) -> Option<[__m256; C]> {
    // Steps 1 and 2 of the reference: non-finite positions read the fill
    // value (masked at the end), the rest are clamped to `±FAR`.
    let (finite_lanes, mut pos) = finite_and_clamped(block);
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
    let finite_lanes = _mm256_castsi256_ps(finite_lanes);
    Some(v.map(|vc| _mm256_blendv_ps(fill, vc, finite_lanes)))
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
pub(super) fn pad(padding: Padding, i: __m256i, n: i32) -> (__m256i, __m256i) {
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
            // pixel's offset, and `reads_fit` showed its 4-byte read (one
            // lane) ends within `data`.
            let words = unsafe {
                if g.gathers {
                    _mm256_i32gather_epi32::<1>(data.as_ptr().cast(), base_v)
                } else {
                    load_words(data, &base)
                }
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

#[cfg(test)]
mod tests;
