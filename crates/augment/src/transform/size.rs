//! Size and crop steps: resize (squish, crop or pad), centre, random and
//! fastai's crop-pad windows, torchvision's random resized crop and
//! fastai's zoom crop. Each keeps a window of the canvas (by its edges) as
//! a new canvas of the size it names, so the output size and the crop are
//! part of the one map and nothing outside the window is ever sampled.
//! Crops at whole-pixel offsets are integer translations: they copy pixels
//! exactly.

use super::{MAX_OUTPUT_SIDE, ResizeMethod, check_position, window_at};
use crate::error::{Error, Result};
use crate::param::Param;
use crate::plan::Frame;
use geom::Rect;
use rand::{Rng, RngExt};

/// Error unless `v` is a usable output side.
fn check_side(transform: &'static str, parameter: &'static str, v: usize) -> Result<()> {
    if v == 0 || v > MAX_OUTPUT_SIDE {
        return Err(Error::InvalidParameter {
            transform,
            parameter,
            value: v.to_string(),
            expected: "a side from 1 to 65536 pixels",
        });
    }
    Ok(())
}

/// Error unless `width x height` is a usable output size.
pub(super) fn check_size(name: &'static str, width: usize, height: usize) -> Result<()> {
    check_side(name, "width", width)?;
    check_side(name, "height", height)
}

/// Resize and crop-pad: a size and a position.
pub(super) fn check_placed(
    name: &'static str,
    width: usize,
    height: usize,
    x: &Param,
    y: &Param,
) -> Result<()> {
    check_size(name, width, height)?;
    check_position(name, x, y)
}

pub(super) fn resize<R: Rng + ?Sized>(
    frame: &mut Frame,
    rng: &mut R,
    (width, height): (usize, usize),
    method: ResizeMethod,
    x: &Param,
    y: &Param,
) -> Result<()> {
    let (cw, ch) = (frame.width as f64, frame.height as f64);
    let (w, h) = (width as f64, height as f64);
    let (fx, fy) = (x.draw(rng), y.draw(rng));
    let window = match method {
        ResizeMethod::Squish => Rect::image(frame.width, frame.height),
        ResizeMethod::Crop | ResizeMethod::Pad => {
            let s = if method == ResizeMethod::Crop {
                (w / cw).max(h / ch)
            } else {
                (w / cw).min(h / ch)
            };
            window_at((cw, ch), (w / s, h / s), (fx, fy))
        }
    };
    frame.window(window, width, height)
}

pub(super) fn centre_crop(frame: &mut Frame, (width, height): (usize, usize)) -> Result<()> {
    let (cw, ch) = (frame.width as f64, frame.height as f64);
    // Whole-pixel offsets (rounded like torchvision) keep a crop exact.
    let x0 = ((cw - width as f64) / 2.0).round();
    let y0 = ((ch - height as f64) / 2.0).round();
    frame.crop(x0, y0, width, height);
    Ok(())
}

pub(super) fn random_crop<R: Rng + ?Sized>(
    frame: &mut Frame,
    rng: &mut R,
    (width, height): (usize, usize),
) -> Result<()> {
    let x0 = random_offset(rng, frame.width, width);
    let y0 = random_offset(rng, frame.height, height);
    frame.crop(x0, y0, width, height);
    Ok(())
}

pub(super) fn crop_pad<R: Rng + ?Sized>(
    frame: &mut Frame,
    rng: &mut R,
    (width, height): (usize, usize),
    x: &Param,
    y: &Param,
) -> Result<()> {
    let x0 = fraction_offset(frame.width, width, x.draw(rng));
    let y0 = fraction_offset(frame.height, height, y.draw(rng));
    frame.crop(x0, y0, width, height);
    Ok(())
}

pub(super) fn check_random_resized_crop(
    name: &'static str,
    width: usize,
    height: usize,
    scale: &Param,
    ratio: &Param,
) -> Result<()> {
    check_size(name, width, height)?;
    scale.check(name, "scale", 1e-6, 1.0, "an area fraction in (0, 1]")?;
    ratio.check(
        name,
        "ratio",
        1e-3,
        1e3,
        "an aspect ratio from 0.001 to 1000",
    )
}

pub(super) fn random_resized_crop<R: Rng + ?Sized>(
    frame: &mut Frame,
    rng: &mut R,
    (width, height): (usize, usize),
    scale: &Param,
    ratio: &Param,
) -> Result<()> {
    let (x0, y0, ww, wh) = resized_crop_window(rng, frame.width, frame.height, scale, ratio);
    frame.window(Rect::pixels(x0, y0, ww, wh), width, height)
}

pub(super) fn check_zoom_crop(
    name: &'static str,
    width: usize,
    height: usize,
    scale: &Param,
) -> Result<()> {
    check_size(name, width, height)?;
    scale.check(name, "scale", 1e-3, 1e3, "a factor from 0.001 to 1000")
}

/// The zoom's window at a uniformly random place (two draws after the
/// scale), resized to `width x height`.
pub(super) fn zoom_crop<R: Rng + ?Sized>(
    frame: &mut Frame,
    rng: &mut R,
    (width, height): (usize, usize),
    scale: &Param,
) -> Result<()> {
    let (cw, ch) = (frame.width as f64, frame.height as f64);
    let s = scale.draw(rng);
    let (fx, fy) = (rng.random::<f64>(), rng.random::<f64>());
    let window = window_at((cw, ch), (cw / s, ch / s), (fx, fy));
    frame.window(window, width, height)
}

/// A whole-pixel offset in `0..=canvas-window`, or in `canvas-window..=0`
/// when the window is larger (the content lands at a random place in it).
fn random_offset<R: Rng + ?Sized>(rng: &mut R, canvas: usize, window: usize) -> f64 {
    let slack = canvas as i64 - window as i64;
    let (lo, hi) = if slack >= 0 { (0, slack) } else { (slack, 0) };
    rng.random_range(lo..=hi) as f64
}

/// The whole-pixel offset at fraction `t` of the room, fastai's
/// `int((room + 1) * t)`: uniform `t` makes every offset equally likely, and
/// 0.5 is the centred crop rounded as torchvision rounds it. A larger window
/// puts the content at the left for 0 and at the right for 1.
fn fraction_offset(canvas: usize, window: usize, t: f64) -> f64 {
    let room = canvas.abs_diff(window) as f64;
    let steps = ((room + 1.0) * t).floor().clamp(0.0, room);
    if canvas >= window { steps } else { -steps }
}

/// torchvision's `RandomResizedCrop.get_params`: `(left, top, width, height)`
/// in whole pixels of a `width x height` canvas.
fn resized_crop_window<R: Rng + ?Sized>(
    rng: &mut R,
    width: usize,
    height: usize,
    scale: &Param,
    ratio: &Param,
) -> (i64, i64, usize, usize) {
    let area = (width * height) as f64;
    for _ in 0..10 {
        let target = area * scale.draw(rng);
        let aspect = ratio.draw(rng);
        let w = (target * aspect).sqrt().round();
        let h = (target / aspect).sqrt().round();
        if w >= 1.0 && h >= 1.0 && w <= width as f64 && h <= height as f64 {
            let (w, h) = (w as usize, h as usize);
            let top = rng.random_range(0..=height - h) as i64;
            let left = rng.random_range(0..=width - w) as i64;
            return (left, top, w, h);
        }
    }
    // Fallback: the whole canvas, cut to the nearest allowed ratio, centred.
    let (lo, hi) = ratio.bounds();
    let in_ratio = width as f64 / height as f64;
    let (w, h) = if in_ratio < lo {
        (
            width,
            ((width as f64 / lo).round() as usize).clamp(1, height),
        )
    } else if in_ratio > hi {
        (
            ((height as f64 * hi).round() as usize).clamp(1, width),
            height,
        )
    } else {
        (width, height)
    };
    (((width - w) / 2) as i64, ((height - h) / 2) as i64, w, h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::{torchvision_ratio, torchvision_scale};
    use rand::SeedableRng;

    #[test]
    fn fraction_offsets_cover_every_place_and_centre_like_torchvision() {
        assert_eq!(fraction_offset(10, 4, 0.0), 0.0);
        assert_eq!(fraction_offset(10, 4, 1.0), 6.0);
        assert_eq!(fraction_offset(10, 4, 0.5), 3.0);
        assert_eq!(fraction_offset(9, 4, 0.5), 3.0); // round(2.5) = 3
        assert_eq!(fraction_offset(4, 10, 1.0), -6.0);
        assert_eq!(fraction_offset(4, 10, 0.0), 0.0);
        let places: std::collections::HashSet<i64> = (0..70)
            .map(|k| fraction_offset(10, 4, k as f64 / 70.0) as i64)
            .collect();
        assert_eq!(places.len(), 7);
    }

    #[test]
    fn resized_crop_windows_fit_and_follow_scale_and_ratio() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        let (scale, ratio) = (torchvision_scale(), torchvision_ratio());
        for _ in 0..500 {
            let (x, y, w, h) = resized_crop_window(&mut rng, 200, 100, &scale, &ratio);
            assert!(x >= 0 && y >= 0 && x as usize + w <= 200 && y as usize + h <= 100);
            let frac = (w * h) as f64 / 20_000.0;
            assert!((0.07..=1.01).contains(&frac), "{frac}");
        }
        // No window of ratio 5..=10 fits in 100x100 at area 1: the fallback
        // is the whole width at the nearest allowed ratio, 5.
        let window = resized_crop_window(
            &mut rng,
            100,
            100,
            &Param::Fixed(1.0),
            &Param::Uniform(5.0, 10.0),
        );
        assert_eq!(window, (0, 40, 100, 20));
    }
}
