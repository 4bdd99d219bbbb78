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
use geom::{Affine, Element, Image, ImageView, Padding, Shape};

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
pub(crate) fn box_level<T: Element>(
    src: ImageView<'_, T>,
    kx: usize,
    ky: usize,
    padding: Padding,
) -> Result<Image<T>> {
    let (mut data, mut column_sums) = (Vec::new(), Vec::new());
    let shape = box_level_into(src, kx, ky, padding, &mut data, &mut column_sums)?;
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
    out: &mut Vec<T>,
    column_sums: &mut Vec<f32>,
) -> Result<Shape> {
    box_level_with_isa(
        geom::Isa::selected(),
        src,
        kx,
        ky,
        padding,
        out,
        column_sums,
    )
}

/// [`box_level_into`] on the given instruction-set path.
fn box_level_with_isa<T: Element>(
    isa: geom::Isa,
    src: ImageView<'_, T>,
    kx: usize,
    ky: usize,
    padding: Padding,
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
    out: &'b mut [T],
    column_sums: &'b mut [f32],
}

impl<T: Element> pulp::WithSimd for LevelRows<'_, '_, T> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let LevelRows {
            src,
            kx,
            ky,
            padding,
            shape,
            out,
            column_sums,
        } = self;
        let (w, h, c) = (src.width(), src.height(), src.channels());
        let (column_sums, tmp) = column_sums.split_at_mut(w * c);
        let fill = padding.constant().unwrap_or(0.0);
        let scale = 1.0 / (kx * ky) as f32;
        // Column sums of the block's rows that are in the image (or mapped into
        // it by the padding rule); a simple loop the compiler vectorises.
        for (oy, out_row) in out.chunks_exact_mut(shape.row_len()).enumerate() {
            // The first real row is stored rather than added to zeros: a
            // memset per row cost as much as the sums when ky is 1.
            let mut fill_rows = 0usize;
            for sy in oy * ky..(oy + 1) * ky {
                match padding.index(sy as i64, h) {
                    Some(r) if sy - oy * ky == fill_rows => {
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
            match c {
                1 => reduce_blocks::<T, 1>(full, column_sums, tmp, kx, fill_from_rows, scale),
                3 => reduce_blocks::<T, 3>(full, column_sums, tmp, kx, fill_from_rows, scale),
                _ => reduce_blocks::<T, 4>(full, column_sums, tmp, kx, fill_from_rows, scale),
            }
            // The last block, if it hangs over the right edge.
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
        }
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
        let level = box_level(src.view(), 2, 4, Padding::Border)?;
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

    #[test]
    fn constant_padding_blends_into_the_fill() -> Result<()> {
        let src = Image::<f32>::from_fn(3, 1, 1, |_, _, _| 1.0)?;
        let level = box_level(src.view(), 2, 2, Padding::Constant(0.5))?;
        // Block (1, 0): one real pixel and three padding reads.
        assert_eq!(level.as_slice(), &[0.75, (1.0 + 0.5 * 3.0) / 4.0]);
        Ok(())
    }
}
