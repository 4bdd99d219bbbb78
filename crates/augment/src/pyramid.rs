//! Antialiasing (DESIGN.md step 3): where the composed map shrinks the
//! source by more than 2x, sample a box-downscaled copy instead.
//!
//! Bilinear sampling reads four taps, so shrinking by more than 2x skips
//! source pixels and aliases. A copy downscaled by powers of two per axis
//! (each pixel the mean of a `kx x ky` block) brings the remaining shrink
//! below 2x; its scale is folded into the map, so the pipeline still
//! samples once. Factors are chosen per axis, so a squish only averages
//! along the axis it compresses.

use crate::error::Result;
use geom::{Affine, Element, Image, ImageView, Map, Padding, Shape};
use std::ops::Range;

/// The power-of-two block sides `(kx, ky)` for a source footprint of
/// `(fx, fy)` pixels per output pixel: none up to 2 (bilinear at a 2x
/// shrink already averages 2x2), beyond that the largest power of two not
/// above the footprint, leaving a shrink in `[1, 2)` (capped at the source
/// size). A power-of-two shrink so reads the level at its pixel centres and
/// returns the exact block means.
pub(crate) fn level_factors(footprint: (f64, f64), source: (usize, usize)) -> (usize, usize) {
    let factor = |mut f: f64, side: usize| {
        let cap = side.next_power_of_two();
        let mut k = 1;
        if f > 2.0 {
            while f >= 2.0 && k < cap {
                f /= 2.0;
                k *= 2;
            }
        }
        k
    };
    (factor(footprint.0, source.0), factor(footprint.1, source.1))
}

/// Source coordinates to those of the level with blocks `kx x ky`: block
/// `j` covers source pixels `kx*j .. kx*j + kx`, centred at
/// `kx*j + (kx-1)/2`, so `x_level = (x + 0.5) / kx - 0.5`.
pub(crate) fn level_map(kx: usize, ky: usize) -> Affine {
    let (sx, sy) = (1.0 / kx as f64, 1.0 / ky as f64);
    Affine::new(sx, 0.0, 0.5 * sx - 0.5, 0.0, sy, 0.5 * sy - 0.5)
}

/// The mean of each `kx x ky` block of `src` (powers of two), one rounding
/// per value. A block hanging over the right or bottom edge reads the
/// missing pixels through `padding`, as the sampler would.
///
/// Sums are `f32`, exact for `u8` (at most 255 · 2^16 < 2^24 for blocks up
/// to 256 x 256; larger blocks round, which no photograph notices), and the
/// scale `1 / (kx ky)` is a power of two, so `u8` means are correctly
/// rounded (half to even).
///
/// With `needed` (see [`read_region`]), only those blocks are computed;
/// the rest of the level is left as it was (zeros for a fresh one).
// The pipeline builds levels into per-thread buffers (`box_level_into`);
// this allocating form serves the tests.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn box_level<T: Element>(
    src: ImageView<'_, T>,
    kx: usize,
    ky: usize,
    padding: Padding,
    needed: Option<&Region>,
) -> Result<Image<T>> {
    let (mut data, mut column_sums) = (Vec::new(), Vec::new());
    let shape = box_level_into(src, kx, ky, padding, needed, &mut data, &mut column_sums)?;
    Ok(Image::from_vec(
        shape.width,
        shape.height,
        shape.channels,
        data,
    )?)
}

/// [`box_level`] into `out` (resized to the level, its capacity reused),
/// with `column_sums` as scratch; returns the level's shape. A batch keeps
/// both buffers per thread, so the steady state allocates nothing.
pub(crate) fn box_level_into<T: Element>(
    src: ImageView<'_, T>,
    kx: usize,
    ky: usize,
    padding: Padding,
    needed: Option<&Region>,
    out: &mut Vec<T>,
    column_sums: &mut Vec<f32>,
) -> Result<Shape> {
    box_level_with_isa(
        geom::Isa::selected(),
        src,
        kx,
        ky,
        padding,
        needed,
        out,
        column_sums,
    )
}

/// Blocks of a level: column and row ranges, in level pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Region {
    pub(crate) columns: Range<usize>,
    pub(crate) rows: Range<usize>,
}

/// The blocks of a `level` (width, height) that bilinear sampling of
/// `map` (in level coordinates) over an `output` (width, height) reads,
/// when every tap lies inside the level, so that no padding rule (which
/// could send a read anywhere) is involved; `None` otherwise, and for grid
/// maps, whose positions would cost a pass to bound.
///
/// Affine and projective maps (with `w > 0` at the output's corners, so on
/// all of it) take the output rectangle to a convex quadrilateral, bounded
/// by its corners. The bounds keep a margin far above the rounding by
/// which the sampler's own evaluation of a position can differ.
///
/// A crop or zoom-in of a large photo so builds the level only where it is
/// read, instead of over the whole source.
pub(crate) fn read_region(
    map: &Map,
    output: (usize, usize),
    level: (usize, usize),
) -> Option<Region> {
    let (ow, oh) = output;
    if ow == 0 || oh == 0 {
        return None;
    }
    let (xr, yr) = ((ow - 1) as f64, (oh - 1) as f64);
    let corners = [(0.0, 0.0), (xr, 0.0), (0.0, yr), (xr, yr)];
    let mut points = [(0.0, 0.0); 4];
    for (p, &(x, y)) in points.iter_mut().zip(&corners) {
        *p = match map {
            Map::Affine(a) => a.apply(x, y),
            Map::Projective(m) => m.apply(x, y)?,
            Map::Grid(_) => return None,
        };
    }
    const MARGIN: f64 = 1e-3;
    let range = |v: [f64; 4], n: usize| -> Option<Range<usize>> {
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min) - MARGIN;
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max) + MARGIN;
        // Taps are floor(v) and floor(v) + 1: inside while 0 <= v < n - 1.
        (lo >= 0.0 && hi < n as f64 - 1.0)
            .then(|| lo.floor() as usize..(hi.floor() as usize + 2).min(n))
    };
    Some(Region {
        columns: range(points.map(|p| p.0), level.0)?,
        rows: range(points.map(|p| p.1), level.1)?,
    })
}

/// [`box_level_into`] on the given instruction-set path.
#[allow(clippy::too_many_arguments)]
fn box_level_with_isa<T: Element>(
    isa: geom::Isa,
    src: ImageView<'_, T>,
    kx: usize,
    ky: usize,
    padding: Padding,
    needed: Option<&Region>,
    out: &mut Vec<T>,
    column_sums: &mut Vec<f32>,
) -> Result<Shape> {
    let (w, h, c) = (src.width(), src.height(), src.channels());
    let (out_w, out_h) = (w.div_ceil(kx), h.div_ceil(ky));
    let shape = Shape::new(out_w, out_h, c)?;
    // Every value is written below: resizing without clearing spares a
    // memset of the whole level per image when the buffer is reused.
    out.resize(shape.len(), T::default());
    // The sums of one row of blocks, then as much room again for the reduction.
    column_sums.resize(2 * w * c, 0.0);
    let rows = needed.map_or(0..out_h, |r| r.rows.start.min(out_h)..r.rows.end.min(out_h));
    // Only whole blocks are cut out of the source, so no column padding
    // changes meaning; a region that reaches a block hanging over the right
    // edge takes every column.
    let columns = match needed {
        Some(r) if r.columns.start < r.columns.end && r.columns.end * kx <= w => r.columns.clone(),
        _ => 0..out_w,
    };
    let src = if columns == (0..out_w) {
        src
    } else {
        src.crop(columns.start * kx, 0, columns.len() * kx, h)?
    };
    // Compiled for the selected ISA (the loops below are plain Rust that
    // the compiler vectorises; under SSE2 alone the 3-channel reduction
    // cost more than the sampling it feeds). The same additions run in the
    // same order on every path, so the level is the same bit for bit.
    isa.vectorize(LevelRows {
        src,
        kx,
        ky,
        padding,
        shape,
        rows,
        first_column: columns.start,
        out,
        column_sums,
    });
    Ok(shape)
}

/// The level's rows, as a [`pulp::WithSimd`] op so that the loops compile
/// with the instruction set the op is instantiated for.
struct LevelRows<'s, 'b, T: Element> {
    src: ImageView<'s, T>,
    kx: usize,
    ky: usize,
    padding: Padding,
    shape: Shape,
    /// Level rows to compute.
    rows: Range<usize>,
    /// The level column where `src` (cropped to whole blocks) starts.
    first_column: usize,
    out: &'b mut [T],
    column_sums: &'b mut [f32],
}

impl<T: Element> pulp::WithSimd for LevelRows<'_, '_, T> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, simd: S) {
        let LevelRows {
            src,
            kx,
            ky,
            padding,
            shape,
            rows: level_rows,
            first_column,
            out,
            column_sums,
        } = self;
        let (w, h, c) = (src.width(), src.height(), src.channels());
        let fill = padding.constant().unwrap_or(0.0);
        let row_part = w.div_ceil(kx) * c;
        let scale = 1.0 / (kx * ky) as f32;
        // `u8` blocks of up to 256 values have `u16` sums: the integer
        // kernels give the same bits as the `f32` code below, which stays
        // the reference (Isa::Scalar) and handles `f32` images, bigger
        // blocks and rows of constant padding.
        use std::any::TypeId;
        let integer = TypeId::of::<T>() == TypeId::of::<u8>()
            && TypeId::of::<S>() != TypeId::of::<pulp::Scalar>()
            && kx * ky <= 256;
        let mut rows = Vec::with_capacity(ky);
        for oy in level_rows {
            let start = oy * shape.row_len() + first_column * c;
            let Some(out_row) = out.get_mut(start..start + row_part) else {
                return;
            };
            rows.clear();
            rows.extend((oy * ky..(oy + 1) * ky).map(|sy| padding.index(sy as i64, h)));
            if integer && rows.iter().all(Option::is_some) {
                integer_row(
                    simd,
                    src,
                    &rows,
                    kx,
                    padding,
                    fill * ky as f32,
                    scale,
                    bytemuck::cast_slice_mut(out_row),
                    bytemuck::cast_slice_mut(column_sums),
                );
                continue;
            }
            let (column_sums, tmp) = column_sums.split_at_mut(w * c);
            // Column sums of the block's rows that are in the image (or mapped into
            // it by the padding rule); a simple loop the compiler vectorises.
            // The first real row is stored rather than added to zeros: a
            // memset per row cost as much as the sums when ky is 1.
            let mut fill_rows = 0usize;
            for (i, row) in rows.iter().enumerate() {
                match *row {
                    Some(r) if i == fill_rows => {
                        for (s, v) in column_sums.iter_mut().zip(src.row(r)) {
                            *s = v.to_f32();
                        }
                    }
                    Some(r) => {
                        for (s, v) in column_sums.iter_mut().zip(src.row(r)) {
                            *s += v.to_f32();
                        }
                    }
                    None => fill_rows += 1,
                }
            }
            if fill_rows == ky {
                column_sums.fill(0.0);
            }
            // Rows read as the constant add `fill` for each of their kx columns;
            // columns read as the constant add `fill` for each real row.
            let fill_from_rows = fill * (fill_rows * kx) as f32;
            let fill_per_column = fill * (ky - fill_rows) as f32;
            let (full, partial) = out_row.split_at_mut((w / kx) * c);
            // The last block, if it hangs over the right edge, first: the
            // reduction below reuses `column_sums` as scratch, and Wrap
            // reads this block's missing columns from the row's start.
            let bx = w / kx;
            for (ch, o) in partial.iter_mut().enumerate() {
                let mut sum = fill_from_rows;
                for sx in bx * kx..(bx + 1) * kx {
                    sum += match padding.index(sx as i64, w) {
                        Some(x) => column_sums[x * c + ch],
                        None => fill_per_column,
                    };
                }
                *o = T::from_f32(sum * scale);
            }
            match c {
                1 => reduce_blocks::<T, 1>(full, column_sums, tmp, kx, fill_from_rows, scale),
                3 => reduce_blocks::<T, 3>(full, column_sums, tmp, kx, fill_from_rows, scale),
                _ => reduce_blocks::<T, 4>(full, column_sums, tmp, kx, fill_from_rows, scale),
            }
        }
    }
}

/// One row of a `u8` level whose `rows` (`ky` of them) are all real
/// source rows (no constant padding), on integers: column sums (or the row
/// itself when `ky` is 1), `log2(kx)` rounds of pixel-pair sums, the last
/// of which divides by `kx * ky` and rounds half to even. `scratch` (the
/// `f32` column-sum buffer, `2 w c` of them, seen as `u16`) holds the sums.
///
/// The block hanging over the right edge, if any, is summed in `f32` as
/// the reference does, from the same (exact) column sums.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn integer_row<S: pulp::Simd, T: Element>(
    simd: S,
    src: ImageView<'_, T>,
    rows: &[Option<usize>],
    kx: usize,
    padding: Padding,
    fill_per_column: f32,
    scale: f32,
    out_row: &mut [u8],
    scratch: &mut [u16],
) {
    use crate::level_kernels::{Out, Row, pair_up, round_shift};
    let (w, c) = (src.width(), src.channels());
    let ky = rows.len();
    let shift = (kx * ky).trailing_zeros();
    let source_row = |r: Option<usize>| -> &[u8] {
        r.map_or(&[], |r| bytemuck::cast_slice::<T, u8>(src.row(r)))
    };
    let (sums, mut free) = scratch.split_at_mut(w * c);
    let column = if ky == 1 {
        Row::U8(source_row(rows[0]))
    } else {
        for (s, v) in sums.iter_mut().zip(source_row(rows[0])) {
            *s = u16::from(*v);
        }
        for &r in &rows[1..] {
            for (s, v) in sums.iter_mut().zip(source_row(r)) {
                *s += u16::from(*v);
            }
        }
        Row::U16(sums)
    };
    let blocks = w / kx;
    let (full, partial) = out_row.split_at_mut(blocks * c);
    if kx == 1 {
        match column {
            Row::U8(r) => full.copy_from_slice(&r[..full.len()]),
            Row::U16(sums) => {
                for (o, s) in full.iter_mut().zip(sums) {
                    *o = round_shift(*s, shift) as u8;
                }
            }
        }
    } else {
        let mut row = column;
        let mut width = blocks * kx;
        while width > 2 * blocks {
            width /= 2;
            let (dst, rest) = free.split_at_mut(width * c);
            free = rest;
            pair_up(simd, c, row, Out::Sums(dst));
            row = Row::U16(dst);
        }
        pair_up(simd, c, row, Out::Means(full, shift));
    }
    let value = |i: usize| match column {
        Row::U8(r) => f32::from(r[i]),
        Row::U16(r) => f32::from(r[i]),
    };
    for (ch, o) in partial.iter_mut().enumerate() {
        let mut sum = 0.0;
        for sx in blocks * kx..(blocks + 1) * kx {
            sum += match padding.index(sx as i64, w) {
                Some(x) => value(x * c + ch),
                None => fill_per_column,
            };
        }
        *o = u8::from_f32(sum * scale);
    }
}

/// Sums each run of `kx` pixels of `sums` (channels `C`, plus `init`) and
/// stores `sum * scale`, with `tmp` (as long as `sums`) as scratch.
///
/// A run-time `kx` and interleaved channels leave the compiler a shuffle
/// per value, so the sums are built by halving instead: `log2(kx)` rounds
/// of `t[j] = s[j] + s[j + r]` over whole rows (contiguous, vectorised),
/// then one copy that picks each block's `C` sums, then the scaling and
/// conversion over a contiguous row. Every path runs these same additions.
#[inline(always)]
fn reduce_blocks<T: Element, const C: usize>(
    out: &mut [T],
    sums: &mut [f32],
    tmp: &mut [f32],
    kx: usize,
    init: f32,
    scale: f32,
) {
    let blocks = out.len() / C;
    if blocks == 0 {
        return;
    }
    let (mut cur, mut next) = (sums, tmp);
    let mut len = blocks * kx * C;
    let mut r = C;
    while r < kx * C {
        let (head, tail) = (&cur[..len - r], &cur[r..len]);
        for ((t, a), b) in next[..len - r].iter_mut().zip(head).zip(tail) {
            *t = a + b;
        }
        std::mem::swap(&mut cur, &mut next);
        len -= r;
        r *= 2;
    }
    // Block `i`'s sums now start at `cur[i * kx * C]`.
    let packed: &[f32] = if kx == 1 {
        &cur[..blocks * C]
    } else {
        for (dst, block) in next
            .chunks_exact_mut(C)
            .zip(cur.chunks(kx * C))
            .take(blocks)
        {
            dst.copy_from_slice(&block[..C]);
        }
        &next[..blocks * C]
    };
    for (o, s) in out.iter_mut().zip(packed) {
        *o = T::from_f32((init + s) * scale);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_leave_at_most_2x() {
        assert_eq!(level_factors((1.9, 2.0), (100, 100)), (1, 1));
        assert_eq!(level_factors((4.0, 3.9), (100, 100)), (4, 2));
        assert_eq!(level_factors((2.01, 4.5), (100, 100)), (2, 4));
        assert_eq!(level_factors((1e9, 1.0), (5, 5)), (8, 1));
    }

    #[test]
    fn level_is_the_exact_block_mean_and_lines_up() -> Result<()> {
        let src = Image::<u8>::from_fn(7, 5, 3, |x, y, c| (x * 31 + y * 17 + c * 5) as u8)?;
        let level = box_level(src.view(), 2, 4, Padding::Border, None)?;
        assert_eq!((level.width(), level.height()), (4, 2));
        for ly in 0..2 {
            for lx in 0..4 {
                for ch in 0..3 {
                    let mut sum = 0.0;
                    for sy in ly * 4..ly * 4 + 4 {
                        for sx in lx * 2..lx * 2 + 2 {
                            sum += f64::from(src.pixel(sx.min(6), sy.min(4))[ch]);
                        }
                    }
                    let exact = sum / 8.0;
                    let got = f64::from(level.pixel(lx, ly)[ch]);
                    assert!((got - exact).abs() <= 0.5, "{got} vs {exact}");
                }
            }
        }
        // Level pixel (1, 0) is centred on source (2.5, 1.5).
        let (x, y) = level_map(2, 4).apply(2.5, 1.5);
        assert!((x - 1.0).abs() < 1e-12 && y.abs() < 1e-12);
        Ok(())
    }

    #[test]
    fn every_factor_and_channel_count_gives_block_means_on_every_isa() -> Result<()> {
        for c in [1usize, 3, 4] {
            for (w, h) in [(1usize, 1usize), (5, 3), (37, 21), (64, 16)] {
                let src = Image::<u8>::from_fn(w, h, c, |x, y, ch| {
                    ((x * 37 + y * 101 + ch * 59) % 256) as u8
                })?;
                for (kx, ky) in [(1, 2), (2, 1), (2, 2), (4, 1), (8, 4), (16, 2), (64, 1)] {
                    let (mut reference, mut sums) = (Vec::new(), Vec::new());
                    box_level_with_isa(
                        geom::Isa::Scalar,
                        src.view(),
                        kx,
                        ky,
                        Padding::Border,
                        None,
                        &mut reference,
                        &mut sums,
                    )?;
                    let (lw, lh) = (w.div_ceil(kx), h.div_ceil(ky));
                    for ly in 0..lh {
                        for lx in 0..lw {
                            for ch in 0..c {
                                let mut sum = 0.0;
                                for sy in ly * ky..(ly + 1) * ky {
                                    for sx in lx * kx..(lx + 1) * kx {
                                        sum +=
                                            f64::from(src.pixel(sx.min(w - 1), sy.min(h - 1))[ch]);
                                    }
                                }
                                let exact = sum / (kx * ky) as f64;
                                let got = f64::from(reference[(ly * lw + lx) * c + ch]);
                                assert!(
                                    (got - exact).abs() <= 0.5,
                                    "{w}x{h}x{c} k {kx}x{ky} at ({lx}, {ly}): {got} vs {exact}"
                                );
                            }
                        }
                    }
                    for isa in geom::Isa::available() {
                        let mut level = Vec::new();
                        box_level_with_isa(
                            isa,
                            src.view(),
                            kx,
                            ky,
                            Padding::Border,
                            None,
                            &mut level,
                            &mut sums,
                        )?;
                        assert_eq!(level, reference, "{isa} {w}x{h}x{c} k {kx}x{ky}");
                    }
                }
            }
        }
        Ok(())
    }

    fn paddings() -> impl proptest::strategy::Strategy<Value = Padding> {
        use proptest::prelude::*;
        prop_oneof![
            (-10.0f32..300.0).prop_map(Padding::Constant),
            Just(Padding::Constant(255.0)),
            Just(Padding::Zeros),
            Just(Padding::Border),
            Just(Padding::Reflect),
            Just(Padding::Reflect101),
            Just(Padding::Wrap),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(256))]

        /// The integer `u8` kernels (every ISA but scalar) against the `f32`
        /// reference, bit for bit: strided views, every padding mode, block
        /// sides from 1 to 32 (so sums above 256 values take the `f32` path
        /// on every ISA), edge blocks hanging over either edge.
        #[test]
        fn every_isa_builds_the_reference_level(
            (w, h) in (1usize..90, 1usize..40),
            c in proptest::sample::select(vec![1usize, 3, 4]),
            (log_kx, log_ky) in (0u32..6, 0u32..6),
            padding in paddings(),
            extra in 0usize..7,
            seed in proptest::num::u64::ANY,
        ) {
            let (kx, ky) = (1usize << log_kx, 1usize << log_ky);
            let stride = w * c + extra;
            let mut state = seed | 1;
            let data: Vec<u8> = (0..stride * h)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state >> 32) as u8
                })
                .collect();
            let src = ImageView::with_stride(&data, w, h, c, stride)?;
            let (mut reference, mut sums) = (Vec::new(), Vec::new());
            let shape = box_level_with_isa(
                geom::Isa::Scalar, src, kx, ky, padding, None, &mut reference, &mut sums,
            )?;
            proptest::prop_assert_eq!(
                (shape.width, shape.height),
                (w.div_ceil(kx), h.div_ceil(ky))
            );
            // The reference against exact block means, padding included.
            let fill = f64::from(padding.constant().unwrap_or(0.0));
            for ly in 0..shape.height {
                for lx in 0..shape.width {
                    for ch in 0..c {
                        let mut sum = 0.0;
                        for sy in ly * ky..(ly + 1) * ky {
                            for sx in lx * kx..(lx + 1) * kx {
                                sum += match (
                                    padding.index(sx as i64, w),
                                    padding.index(sy as i64, h),
                                ) {
                                    (Some(x), Some(y)) => f64::from(src.pixel(x, y)[ch]),
                                    _ => fill,
                                };
                            }
                        }
                        let exact = (sum / (kx * ky) as f64).clamp(0.0, 255.0);
                        let got = f64::from(reference[(ly * shape.width + lx) * c + ch]);
                        proptest::prop_assert!(
                            (got - exact).abs() <= 0.5 + 1e-4,
                            "k {}x{} at ({}, {}, {}): {} vs exact {}", kx, ky, lx, ly, ch, got, exact
                        );
                    }
                }
            }
            for isa in geom::Isa::available() {
                let mut level = vec![7u8; 3];
                box_level_with_isa(isa, src, kx, ky, padding, None, &mut level, &mut sums)?;
                proptest::prop_assert_eq!(&level, &reference, "{} k {}x{}", isa, kx, ky);
            }
        }
    }

    #[test]
    fn read_region_covers_a_zoom_in_and_refuses_what_needs_padding() {
        // Output 10x10 reading level x in 20..=29, y in 40..=49.
        let inside = Map::Affine(Affine::new(1.0, 0.0, 20.0, 0.0, 1.0, 40.0));
        let region = read_region(&inside, (10, 10), (100, 100));
        assert_eq!(
            region,
            Some(Region {
                columns: 19..31,
                rows: 39..51
            })
        );
        // The last tap column would be 99 + 1: padding decides, so no region.
        let edge = Map::Affine(Affine::new(1.0, 0.0, 90.0, 0.0, 1.0, 0.0));
        assert_eq!(read_region(&edge, (10, 10), (100, 100)), None);
        let behind = geom::Projective::new([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [-0.5, 0.0, 1.0]])
            .map(Map::Projective);
        assert!(matches!(behind, Ok(ref m) if read_region(m, (10, 10), (100, 100)).is_none()));
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(128))]

        /// Sampling a level built only over its read region gives the same
        /// bits as sampling the whole level, for rotated, zoomed and
        /// projective crops, strided sources and every padding mode.
        #[test]
        fn a_level_built_over_the_read_region_samples_like_the_whole_level(
            (w, h) in (8usize..160, 8usize..120),
            c in proptest::sample::select(vec![1usize, 3, 4]),
            (log_kx, log_ky) in (0u32..3, 0u32..3),
            padding in paddings(),
            (ow, oh) in (1usize..40, 1usize..40),
            (cx, cy, zoom, angle, tilt) in (0.0f64..1.0, 0.0f64..1.0, 0.05f64..1.2, -0.6f64..0.6, -0.002f64..0.002),
        ) {
            let (kx, ky) = (1usize << log_kx, 1usize << log_ky);
            let data: Vec<u8> = (0..w * h * c).map(|i| (i * 131 % 251) as u8).collect();
            let src = ImageView::new(&data, w, h, c)?;
            let (lw, lh) = (w.div_ceil(kx), h.div_ceil(ky));
            // Output pixel (j, i) to level coordinates: a rotated, scaled
            // window centred at (cx lw, cy lh), optionally tilted.
            let s = zoom * lw.min(lh) as f64 / ow.max(oh) as f64;
            let (sin, cos) = angle.sin_cos();
            let (a, b, d, e) = (s * cos, -s * sin, s * sin, s * cos);
            let (hx, hy) = ((ow as f64 - 1.0) / 2.0, (oh as f64 - 1.0) / 2.0);
            let (tx, ty) = (cx * lw as f64 - a * hx - b * hy, cy * lh as f64 - d * hx - e * hy);
            let map = if tilt == 0.0 || ow < 4 {
                Map::Affine(Affine::new(a, b, tx, d, e, ty))
            } else {
                Map::Projective(geom::Projective::new([[a, b, tx], [d, e, ty], [tilt / s, 0.0, 1.0]])?)
            };
            let region = read_region(&map, (ow, oh), (lw, lh));
            let whole = box_level(src, kx, ky, padding, None)?;
            let part = box_level(src, kx, ky, padding, region.as_ref())?;
            let options = sample::WarpOptions {
                interpolation: sample::Interpolation::Bilinear,
                padding,
                values: None,
            };
            let (mut from_whole, mut from_part) = (Image::<u8>::new(ow, oh, c)?, Image::<u8>::new(ow, oh, c)?);
            sample::warp(whole.view(), from_whole.view_mut(), &map, &options)?;
            sample::warp(part.view(), from_part.view_mut(), &map, &options)?;
            proptest::prop_assert_eq!(from_whole.as_slice(), from_part.as_slice(), "region {:?}", region);
        }
    }

    #[test]
    fn constant_padding_blends_into_the_fill() -> Result<()> {
        let src = Image::<f32>::from_fn(3, 1, 1, |_, _, _| 1.0)?;
        let level = box_level(src.view(), 2, 2, Padding::Constant(0.5), None)?;
        // Block (1, 0): one real pixel and three padding reads.
        assert_eq!(level.as_slice(), &[0.75, (1.0 + 0.5 * 3.0) / 4.0]);
        Ok(())
    }
}
