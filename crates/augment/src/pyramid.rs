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
    let (w, h, c) = (src.width(), src.height(), src.channels());
    let (out_w, out_h) = (w.div_ceil(kx), h.div_ceil(ky));
    let shape = Shape::new(out_w, out_h, c)?;
    out.clear();
    out.resize(shape.len(), T::default());
    let fill = padding.constant().unwrap_or(0.0);
    let scale = 1.0 / (kx * ky) as f32;
    // Column sums of the block's rows that are in the image (or mapped into
    // it by the padding rule); a simple loop the compiler vectorises.
    column_sums.clear();
    column_sums.resize(w * c, 0.0);
    for (oy, out_row) in out.chunks_exact_mut(shape.row_len()).enumerate() {
        column_sums.fill(0.0);
        let mut fill_rows = 0usize;
        for sy in oy * ky..(oy + 1) * ky {
            match padding.index(sy as i64, h) {
                Some(r) => {
                    for (s, v) in column_sums.iter_mut().zip(src.row(r)) {
                        *s += v.to_f32();
                    }
                }
                None => fill_rows += 1,
            }
        }
        // Rows read as the constant add `fill` for each of their kx columns;
        // columns read as the constant add `fill` for each real row.
        let fill_from_rows = fill * (fill_rows * kx) as f32;
        let fill_per_column = fill * (ky - fill_rows) as f32;
        let (full, partial) = out_row.split_at_mut((w / kx) * c);
        let reduce = match c {
            1 => reduce_blocks::<T, 1>,
            3 => reduce_blocks::<T, 3>,
            _ => reduce_blocks::<T, 4>,
        };
        reduce(full, column_sums, kx, fill_from_rows, scale);
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
    Ok(shape)
}

/// Sums each run of `kx` pixels of `sums` (channels `C`, starting from
/// `init`) and stores `sum * scale`. `C` is a constant so the per-channel
/// sums stay in registers.
fn reduce_blocks<T: Element, const C: usize>(
    out: &mut [T],
    sums: &[f32],
    kx: usize,
    init: f32,
    scale: f32,
) {
    for (out_px, block) in out.chunks_exact_mut(C).zip(sums.chunks_exact(kx * C)) {
        let mut acc = [init; C];
        for px in block.chunks_exact(C) {
            for (a, v) in acc.iter_mut().zip(px) {
                *a += v;
            }
        }
        for (o, a) in out_px.iter_mut().zip(acc) {
            *o = T::from_f32(a * scale);
        }
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
    fn constant_padding_blends_into_the_fill() -> Result<()> {
        let src = Image::<f32>::from_fn(3, 1, 1, |_, _, _| 1.0)?;
        let level = box_level(src.view(), 2, 2, Padding::Constant(0.5))?;
        // Block (1, 0): one real pixel and three padding reads.
        assert_eq!(level.as_slice(), &[0.75, (1.0 + 0.5 * 3.0) / 4.0]);
        Ok(())
    }
}
