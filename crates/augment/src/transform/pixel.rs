//! Pixel steps: lighting (brightness, contrast, mid-grey contrast), which
//! composes into the value affine `v * gain + offset * full_scale` of the
//! sampling pass, and cutout and blurs, which the frame queues to run on
//! the output after it, in list order. Shear blur is both: its shear goes
//! into the map (free) and its box blur into the queue.

use crate::error::Result;
use crate::param::Param;
use crate::pixel::{Hole, PixelOp};
use crate::plan::Frame;
use geom::Affine;
use rand::{Rng, RngExt};

pub(super) fn check_brightness(name: &'static str, delta: &Param) -> Result<()> {
    delta.check(name, "delta", -1.0, 1.0, "a fraction in -1..=1")
}

/// `v -> v + delta * full_scale`, after the lighting already drawn.
pub(super) fn brightness<R: Rng + ?Sized>(
    frame: &mut Frame,
    rng: &mut R,
    delta: &Param,
) -> Result<()> {
    frame.offset += delta.draw(rng);
    Ok(())
}

pub(super) fn check_contrast(name: &'static str, factor: &Param) -> Result<()> {
    factor.check(name, "factor", -1.0, 10.0, "a gain minus one in -1..=10")
}

/// `v -> v * (1 + factor)`, after the lighting already drawn.
pub(super) fn contrast<R: Rng + ?Sized>(
    frame: &mut Frame,
    rng: &mut R,
    factor: &Param,
) -> Result<()> {
    let gain = 1.0 + factor.draw(rng);
    frame.gain *= gain;
    frame.offset *= gain;
    Ok(())
}

pub(super) fn check_mid_grey_contrast(name: &'static str, scale: &Param) -> Result<()> {
    scale.check(name, "scale", 0.0, 10.0, "a gain in 0..=10")
}

/// `v -> (v - ½) * scale + ½` (in units of full intensity), after the
/// lighting already drawn.
pub(super) fn mid_grey_contrast<R: Rng + ?Sized>(
    frame: &mut Frame,
    rng: &mut R,
    scale: &Param,
) -> Result<()> {
    let s = scale.draw(rng);
    frame.gain *= s;
    frame.offset = frame.offset * s + 0.5 * (1.0 - s);
    Ok(())
}

pub(super) fn check_cutout(
    name: &'static str,
    holes: &Param,
    width: &Param,
    height: &Param,
    fill: f64,
) -> Result<()> {
    holes.check(name, "holes", 0.0, 1000.0, "a count in 0..=1000")?;
    width.check(name, "width", 0.0, 65536.0, "pixels in 0..=65536")?;
    height.check(name, "height", 0.0, 65536.0, "pixels in 0..=65536")?;
    Param::Fixed(fill).check(name, "fill", 0.0, 1.0, "a fraction in 0..=1")
}

/// The count, then per hole its centre (x, y) and its size (width, height).
pub(super) fn cutout<R: Rng + ?Sized>(
    frame: &mut Frame,
    rng: &mut R,
    holes: &Param,
    (width, height): (&Param, &Param),
    fill: f64,
) -> Result<()> {
    let count = holes.draw_count(rng);
    let holes = (0..count)
        .map(|_| Hole {
            centre: (rng.random::<f64>(), rng.random::<f64>()),
            size: (width.draw(rng), height.draw(rng)),
        })
        .collect();
    frame.pixel_ops.push(PixelOp::Cutout { holes, fill });
    Ok(())
}

pub(super) fn check_gaussian_blur(name: &'static str, sigma: &Param) -> Result<()> {
    sigma.check(name, "sigma", 0.0, 100.0, "pixels in 0..=100")
}

/// A drawn sigma of 0 queues nothing.
pub(super) fn gaussian_blur<R: Rng + ?Sized>(
    frame: &mut Frame,
    rng: &mut R,
    sigma: &Param,
) -> Result<()> {
    let sigma = sigma.draw(rng) as f32;
    if sigma > 0.0 {
        frame.pixel_ops.push(PixelOp::Blur(filter::Blur::Gaussian {
            sigma_x: sigma,
            sigma_y: sigma,
        }));
    }
    Ok(())
}

pub(super) fn check_motion_blur(name: &'static str, length: &Param, degrees: &Param) -> Result<()> {
    length.check(name, "length", 0.0, 1000.0, "pixels in 0..=1000")?;
    degrees.check(name, "degrees", -3600.0, 3600.0, "finite, within ±3600")
}

pub(super) fn motion_blur<R: Rng + ?Sized>(
    frame: &mut Frame,
    rng: &mut R,
    length: &Param,
    degrees: &Param,
) -> Result<()> {
    let (length, angle) = (length.draw(rng), degrees.draw(rng));
    frame.pixel_ops.push(PixelOp::Blur(filter::Blur::Motion {
        length: length as f32,
        angle_degrees: angle as f32,
    }));
    Ok(())
}

pub(super) fn check_shear_blur(name: &'static str, length: &Param, degrees: &Param) -> Result<()> {
    length.check(name, "length", 0.0, 1000.0, "pixels in 0..=1000")?;
    degrees.check(name, "degrees", -60.0, 60.0, "an angle within ±60 degrees")
}

pub(super) fn shear_blur<R: Rng + ?Sized>(
    frame: &mut Frame,
    rng: &mut R,
    length: &Param,
    degrees: &Param,
    vertical: bool,
) -> Result<()> {
    let centre = frame.centre();
    let (length, angle) = (length.draw(rng), degrees.draw(rng));
    let shear = if vertical {
        Affine::shear(0.0, angle)
    } else {
        Affine::shear(angle, 0.0)
    };
    frame.push(&shear.about(centre));
    // An odd box is centred on its pixel (an even one would shift
    // the content by half a pixel).
    let taps = 2 * ((length - 1.0) / 2.0).round().max(0.0) as usize + 1;
    if taps > 1 {
        let (width, height) = if vertical { (1, taps) } else { (taps, 1) };
        frame
            .pixel_ops
            .push(PixelOp::Blur(filter::Blur::Box { width, height }));
    }
    Ok(())
}
