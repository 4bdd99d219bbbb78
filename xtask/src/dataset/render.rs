//! Pixels: a grid of tiles, each a random crop of a bundled photograph,
//! shrunk, maybe mirrored; then one colour shift, grain, a mottled texture
//! and camera-like sharpening over the whole picture, so that JPEG sizes come
//! out near ImageNet's (a crop of these clean photos stretched to the sample's
//! size compresses several times smaller).
//!
//! Arithmetic: bilinear sampling at source position
//! `x0 + (j + 0.5) * step - 0.5`, clamped to the photo; colour as
//! `lum + (c - lum) * saturation`, times a per-channel gain, then
//! `(c - 128) * contrast + 128 + brightness`, plus texture and grain; unsharp
//! masking `v + amount * (v - blur(v))` last. All in `f32` with `+ - * /`
//! only (no `exp`, `sin`, `powf`: their last bit differs between math
//! libraries), in a fixed order, so the same draws give the same bits on
//! every machine. Quantisation rounds half up and clamps.

use anyhow::{Context, Result, ensure};
use rand::{Rng, RngExt};
use rand_chacha::ChaCha8Rng;
use std::path::Path;

/// The photographs under `assets/` that samples are cut from (fixed, so a
/// stray file in the folder cannot change the dataset).
pub const PHOTOS: [&str; 3] = ["astronaut.png", "chelsea.png", "coffee.png"];

/// A decoded 8-bit RGB photograph.
#[derive(Debug, Clone)]
pub struct Photo {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Interleaved RGB, row-major, no padding.
    pub rgb: Vec<u8>,
}

/// Decodes [`PHOTOS`] from `dir`.
pub fn load_photos(dir: &Path) -> Result<Vec<Photo>> {
    PHOTOS
        .iter()
        .map(|name| {
            let path = dir.join(name);
            let img = image::open(&path).with_context(|| format!("decoding {}", path.display()))?;
            let rgb = img.into_rgb8();
            let (width, height) = (rgb.width() as usize, rgb.height() as usize);
            ensure!(width >= 2 && height >= 2, "{} is too small", path.display());
            Ok(Photo {
                width,
                height,
                rgb: rgb.into_raw(),
            })
        })
        .collect()
}

/// An upright picture before quantisation: interleaved RGB `f32`, nominally
/// 0 to 255 (noise may overshoot; quantisation clamps).
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Interleaved RGB.
    pub rgb: Vec<f32>,
}

/// Rounds half up into 0..=255.
pub fn to_u8(v: f32) -> u8 {
    // `as` truncates and saturates; +0.5 first makes it round half up.
    (v + 0.5).clamp(0.0, 255.0) as u8
}

/// Rounds half up into 0..=65535, with 255 mapping to 65535.
pub fn to_u16(v: f32) -> u16 {
    (v * 257.0 + 0.5).clamp(0.0, 65535.0) as u16
}

/// Rec. 601 luma, as JPEG's YCbCr uses.
pub fn luma(r: f32, g: f32, b: f32) -> f32 {
    0.299 * r + 0.587 * g + 0.114 * b
}

impl Picture {
    /// 8-bit RGB.
    pub fn rgb8(&self) -> Vec<u8> {
        self.rgb.iter().map(|&v| to_u8(v)).collect()
    }

    /// 16-bit RGB, native `u16` values.
    pub fn rgb16(&self) -> Vec<u16> {
        self.rgb.iter().map(|&v| to_u16(v)).collect()
    }

    /// 8-bit luma.
    pub fn gray8(&self) -> Vec<u8> {
        self.rgb
            .chunks_exact(3)
            .map(|p| to_u8(luma(p[0], p[1], p[2])))
            .collect()
    }
}

/// Where one output column or row reads: two source taps and the weight of
/// the second.
#[derive(Debug, Clone, Copy)]
struct Tap {
    i0: usize,
    i1: usize,
    t: f32,
}

/// Taps for `n` outputs covering `len` source pixels from `start`, over a
/// source axis of `size` pixels.
fn taps(n: usize, start: f32, len: f32, size: usize, flip: bool) -> Vec<Tap> {
    let step = len / n as f32;
    let last = (size - 1) as f32;
    (0..n)
        .map(|j| {
            let j = if flip { n - 1 - j } else { j };
            let s = (start + (j as f32 + 0.5) * step - 0.5).clamp(0.0, last);
            // s >= 0, so truncation is floor.
            let i0 = s as usize;
            Tap {
                i0,
                i1: (i0 + 1).min(size - 1),
                t: s - i0 as f32,
            }
        })
        .collect()
}

// The ranges below were tuned (n = 100 to 2000) for JPEG sizes: the
// bundled photos alone encode at about 0.2 bytes per pixel at quality 85,
// where ImageNet's photos, downscaled from cameras and sharpened, average
// 0.6 to 0.8. Shrinking the photos into tiles, grain, texture and camera-like
// sharpening (which amplifies the grain, as in a camera) close most of that gap.

/// Tile size range (pixels): pictures up to this size are one crop.
const TILE: (u32, u32) = (180, 600);
/// Source pixels per output pixel (above 1 shrinks the photo, packing detail).
const SCALE: (f32, f32) = (1.2, 3.0);
/// Grain standard deviation range, in levels.
const GRAIN: (f32, f32) = (2.0, 6.0);
/// Texture amplitude range, in levels.
const TEXTURE: (f32, f32) = (4.0, 12.0);
/// Texture grid cell sizes (pixels).
const TEXTURE_CELLS: [usize; 3] = [2, 4, 8];
/// Unsharp-mask amount range.
const SHARPEN: (f32, f32) = (1.0, 3.0);

/// A triangular draw in [-1, 1] from two bytes (variance 1/6).
fn tri(a: u8, b: u8) -> f32 {
    (f32::from(a) - f32::from(b)) / 255.0
}

/// Fills the `region` (x and y ranges) of `rgb`, a `width`-wide RGB buffer,
/// with a crop of a random photo at a random scale, maybe mirrored.
fn draw_tile(
    photos: &[Photo],
    rgb: &mut [f32],
    width: usize,
    (xs, ys): (std::ops::Range<usize>, std::ops::Range<usize>),
    rng: &mut ChaCha8Rng,
) {
    let photo = &photos[rng.random_range(0..photos.len() as u32) as usize];
    let (sw, sh) = (photo.width as f32, photo.height as f32);
    let (tw, th) = (xs.len() as f32, ys.len() as f32);
    // Source pixels per output pixel: above 1, so the detail per pixel is a
    // downscaled photograph's; capped where the tile would not fit (a tile
    // wider than the photo stretches it).
    let wanted: f32 = rng.random_range(SCALE.0..=SCALE.1);
    let scale = wanted.min(sw / tw).min(sh / th);
    let (cw, ch) = (tw * scale, th * scale);
    let x0 = rng.random_range(0.0..=(sw - cw).max(0.0));
    let y0 = rng.random_range(0.0..=(sh - ch).max(0.0));
    let flip = rng.random_bool(0.5);
    let cols = taps(xs.len(), x0, cw, photo.width, flip);
    let rows = taps(ys.len(), y0, ch, photo.height, false);
    let src = |x: usize, y: usize, c: usize| f32::from(photo.rgb[(y * photo.width + x) * 3 + c]);
    for (y, r) in ys.zip(&rows) {
        let row = &mut rgb[(y * width + xs.start) * 3..(y * width + xs.end) * 3];
        for (px, c) in row.chunks_exact_mut(3).zip(&cols) {
            for (k, v) in px.iter_mut().enumerate() {
                let top = src(c.i0, r.i0, k) + (src(c.i1, r.i0, k) - src(c.i0, r.i0, k)) * c.t;
                let bottom = src(c.i0, r.i1, k) + (src(c.i1, r.i1, k) - src(c.i0, r.i1, k)) * c.t;
                *v = top + (bottom - top) * r.t;
            }
        }
    }
}

/// Unsharp masking: `v + amount * (v - blur(v))`, the blur a 3x3 binomial
/// (`[1 2 1] / 4` each way, edge pixels repeated).
fn sharpen(rgb: &mut [f32], width: usize, height: usize, amount: f32) {
    if amount == 0.0 {
        return;
    }
    let at = |x: usize, y: usize, c: usize| (y * width + x) * 3 + c;
    // Horizontal pass into `h`, vertical pass reading `h`.
    let mut h = vec![0f32; rgb.len()];
    for y in 0..height {
        for x in 0..width {
            let (l, r) = (x.saturating_sub(1), (x + 1).min(width - 1));
            for c in 0..3 {
                h[at(x, y, c)] =
                    (rgb[at(l, y, c)] + 2.0 * rgb[at(x, y, c)] + rgb[at(r, y, c)]) * 0.25;
            }
        }
    }
    for y in 0..height {
        let (u, d) = (y.saturating_sub(1), (y + 1).min(height - 1));
        for x in 0..width {
            for c in 0..3 {
                let blur = (h[at(x, u, c)] + 2.0 * h[at(x, y, c)] + h[at(x, d, c)]) * 0.25;
                let v = &mut rgb[at(x, y, c)];
                *v += amount * (*v - blur);
            }
        }
    }
}

/// Draws a picture of `width x height` from `photos` with `rng`.
///
/// The picture is a grid of tiles (one tile when the drawn tile size exceeds
/// the picture), each a shrunk crop of a photo: the photos are at most 600
/// pixels wide, and a single crop stretched to 1600 would be too smooth to
/// compress like a photograph.
pub fn render(photos: &[Photo], width: usize, height: usize, rng: &mut ChaCha8Rng) -> Picture {
    let mut rgb = vec![0f32; width * height * 3];
    let tile = rng.random_range(TILE.0..=TILE.1) as usize;
    let (cols, rows) = (width.div_ceil(tile), height.div_ceil(tile));
    for ty in 0..rows {
        for tx in 0..cols {
            let xs = tx * width / cols..(tx + 1) * width / cols;
            let ys = ty * height / rows..(ty + 1) * height / rows;
            draw_tile(photos, &mut rgb, width, (xs, ys), rng);
        }
    }

    let saturation: f32 = rng.random_range(0.6..=1.3);
    let gain: [f32; 3] = [
        rng.random_range(0.85..=1.15),
        rng.random_range(0.85..=1.15),
        rng.random_range(0.85..=1.15),
    ];
    let contrast: f32 = rng.random_range(0.8..=1.2);
    let brightness: f32 = rng.random_range(-20.0..=20.0);

    // Grain: luma noise of standard deviation `grain` levels (triangular,
    // variance 1/6 before scaling), chroma noise a third of that (uniform,
    // variance 1/3).
    let grain: f32 = rng.random_range(GRAIN.0..=GRAIN.1);
    let (k_luma, k_chroma) = (grain * 6f32.sqrt(), grain * 3f32.sqrt() / 3.0);
    // Texture: a random field on a coarse grid, bilinearly smooth.
    let texture: f32 = rng.random_range(TEXTURE.0..=TEXTURE.1);
    let cell = TEXTURE_CELLS[rng.random_range(0..TEXTURE_CELLS.len() as u32) as usize];
    let (gw, gh) = (width / cell + 2, height / cell + 2);
    let mut field_bytes = vec![0u8; gw * gh * 2];
    rng.fill_bytes(&mut field_bytes);
    let field: Vec<f32> = field_bytes
        .chunks_exact(2)
        .map(|b| tri(b[0], b[1]) * texture)
        .collect();
    let f = |x: usize, y: usize| field[y * gw + x];
    let amount: f32 = rng.random_range(SHARPEN.0..=SHARPEN.1);

    let mut noise = vec![0u8; width * 4];
    for (i, row) in rgb.chunks_exact_mut(width * 3).enumerate() {
        rng.fill_bytes(&mut noise);
        let gy = i / cell;
        let fy = (i % cell) as f32 / cell as f32;
        for (j, (px, n)) in row
            .chunks_exact_mut(3)
            .zip(noise.chunks_exact(4))
            .enumerate()
        {
            let lum = luma(px[0], px[1], px[2]);
            let gx = j / cell;
            let fx = (j % cell) as f32 / cell as f32;
            let f_top = f(gx, gy) + (f(gx + 1, gy) - f(gx, gy)) * fx;
            let f_bottom = f(gx, gy + 1) + (f(gx + 1, gy + 1) - f(gx, gy + 1)) * fx;
            let tex = f_top + (f_bottom - f_top) * fy;
            let grain_luma = tri(n[0], n[1]) * k_luma;
            let grain_chroma = [
                (f32::from(n[2]) - 127.5) / 127.5 * k_chroma,
                0.0,
                (f32::from(n[3]) - 127.5) / 127.5 * k_chroma,
            ];
            for k in 0..3 {
                let c = (lum + (px[k] - lum) * saturation) * gain[k];
                px[k] = (c - 128.0) * contrast
                    + 128.0
                    + brightness
                    + tex
                    + grain_luma
                    + grain_chroma[k];
            }
        }
    }
    sharpen(&mut rgb, width, height, amount);
    Picture { width, height, rgb }
}

/// Stores an upright `width x height` image of `channels` interleaved
/// samples as a file with EXIF `orientation` must hold it: the viewer maps
/// stored pixel (x, y) to the upright position given below, so the stored
/// pixel takes the upright value there. Returns the stored pixels and their
/// width and height (swapped for orientations 5 to 8).
pub fn store_oriented<T: Copy>(
    upright: &[T],
    width: usize,
    height: usize,
    channels: usize,
    orientation: u8,
) -> (Vec<T>, usize, usize) {
    let transposed = orientation >= 5;
    let (sw, sh) = if transposed {
        (height, width)
    } else {
        (width, height)
    };
    let mut out = Vec::with_capacity(upright.len());
    for y in 0..sh {
        for x in 0..sw {
            // (u, v): where stored (x, y) lands once the viewer applies the tag.
            let (u, v) = match orientation {
                2 => (sw - 1 - x, y),          // mirror horizontally
                3 => (sw - 1 - x, sh - 1 - y), // rotate 180
                4 => (x, sh - 1 - y),          // mirror vertically
                5 => (y, x),                   // transpose
                6 => (sh - 1 - y, x),          // rotate 90 clockwise
                7 => (sh - 1 - y, sw - 1 - x), // transverse
                8 => (y, sw - 1 - x),          // rotate 90 counter-clockwise
                _ => (x, y),
            };
            let at = (v * width + u) * channels;
            out.extend_from_slice(&upright[at..at + channels]);
        }
    }
    (out, sw, sh)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::plan::{Purpose, rng};

    fn photos() -> Result<Vec<Photo>> {
        load_photos(&crate::workspace::Workspace::locate().root.join("assets"))
    }

    #[test]
    fn rounding_is_half_up_and_clamped() {
        assert_eq!(
            (
                to_u8(-3.0),
                to_u8(0.49),
                to_u8(0.5),
                to_u8(254.5),
                to_u8(300.0)
            ),
            (0, 0, 1, 255, 255)
        );
        assert_eq!((to_u16(0.0), to_u16(255.0), to_u16(1e9)), (0, 65535, 65535));
    }

    #[test]
    fn the_same_stream_draws_the_same_picture() -> Result<()> {
        let photos = photos()?;
        let a = render(&photos, 120, 90, &mut rng(1, Purpose::Pixels, 5));
        let b = render(&photos, 120, 90, &mut rng(1, Purpose::Pixels, 5));
        let c = render(&photos, 120, 90, &mut rng(1, Purpose::Pixels, 6));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.rgb.len(), 120 * 90 * 3);
        assert!(a.rgb.iter().all(|v| v.is_finite()));
        Ok(())
    }

    #[test]
    fn stored_orientations_are_the_inverse_of_the_viewers_transform() {
        // 3x2 upright, one channel: 0 1 2 / 3 4 5.
        let up = [0, 1, 2, 3, 4, 5];
        let stored = |o| store_oriented(&up, 3, 2, 1, o);
        assert_eq!(stored(1), (up.to_vec(), 3, 2));
        assert_eq!(stored(2), (vec![2, 1, 0, 5, 4, 3], 3, 2));
        assert_eq!(stored(3), (vec![5, 4, 3, 2, 1, 0], 3, 2));
        assert_eq!(stored(4), (vec![3, 4, 5, 0, 1, 2], 3, 2));
        // 6: the viewer turns the stored picture clockwise, so it is stored
        // turned counter-clockwise: the right column on top.
        assert_eq!(stored(6), (vec![2, 5, 1, 4, 0, 3], 2, 3));
        assert_eq!(stored(8), (vec![3, 0, 4, 1, 5, 2], 2, 3));
        assert_eq!(stored(5), (vec![0, 3, 1, 4, 2, 5], 2, 3));
        assert_eq!(stored(7), (vec![5, 2, 4, 1, 3, 0], 2, 3));
    }
}
