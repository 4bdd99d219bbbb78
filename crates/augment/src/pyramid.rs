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
use geom::{Affine, Element, Image, ImageView, Padding};

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
    let (w, h, c) = (src.width(), src.height(), src.channels());
    let (out_w, out_h) = (w.div_ceil(kx), h.div_ceil(ky));
    let mut out = Image::<T>::new(out_w, out_h, c)?;
    let fill = padding.constant().unwrap_or(0.0);
    let full_blocks = w / kx;
    let scale = 1.0 / (kx * ky) as f32;
    let mut acc = vec![0.0f32; out_w * c];
    let mut pixel = [0.0f32; 4];
    for (oy, out_row) in out.view_mut().rows_mut().enumerate() {
        acc.fill(0.0);
        for sy in oy * ky..(oy + 1) * ky {
            let Some(row) = padding.index(sy as i64, h).map(|r| src.row(r)) else {
                acc.iter_mut().for_each(|a| *a += fill * kx as f32);
                continue;
            };
            for (bx, block) in row[..full_blocks * kx * c].chunks_exact(kx * c).enumerate() {
                let sums = &mut acc[bx * c..(bx + 1) * c];
                for px in block.chunks_exact(c) {
                    for (s, v) in sums.iter_mut().zip(px) {
                        *s += v.to_f32();
                    }
                }
            }
            if full_blocks < out_w {
                let sums = &mut acc[full_blocks * c..];
                for sx in full_blocks * kx..out_w * kx {
                    match padding.index(sx as i64, w) {
                        Some(x) => {
                            for (p, v) in pixel.iter_mut().zip(&row[x * c..(x + 1) * c]) {
                                *p = v.to_f32();
                            }
                        }
                        None => pixel = [fill; 4],
                    }
                    for (s, p) in sums.iter_mut().zip(&pixel) {
                        *s += *p;
                    }
                }
            }
        }
        for (o, s) in out_row.iter_mut().zip(&acc) {
            *o = T::from_f32(*s * scale);
        }
    }
    Ok(out)
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
