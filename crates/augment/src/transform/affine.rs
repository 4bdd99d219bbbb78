//! Affine steps: flips, the dihedral group, rotation, zoom, translation,
//! scale and shear. Each multiplies one forward matrix into the frame's
//! homography (zoom through the window it keeps), about the canvas centre
//! where it has one, so a chain of them stays a single affine map.

use super::{check_position, window_at};
use crate::error::{Error, Result};
use crate::param::Param;
use crate::plan::Frame;
use geom::Affine;
use rand::{Rng, RngExt};

pub(super) fn flip_horizontal(frame: &mut Frame) -> Result<()> {
    frame.push(&Affine::flip_horizontal(frame.width));
    Ok(())
}

pub(super) fn flip_vertical(frame: &mut Frame) -> Result<()> {
    frame.push(&Affine::flip_vertical(frame.height));
    Ok(())
}

/// One draw of `0..8`: bit 0 flips left-right, bit 1 top-bottom, bit 2
/// transposes (in that order), so each of the 8 symmetries is equally likely.
pub(super) fn dihedral<R: Rng + ?Sized>(frame: &mut Frame, rng: &mut R) -> Result<()> {
    let k: u8 = rng.random_range(0..8);
    if k & 1 != 0 {
        frame.push(&Affine::flip_horizontal(frame.width));
    }
    if k & 2 != 0 {
        frame.push(&Affine::flip_vertical(frame.height));
    }
    if k & 4 != 0 {
        // Transpose: x and y swap, and so do the sides.
        frame.push(&Affine::new(0.0, 1.0, 0.0, 1.0, 0.0, 0.0));
        std::mem::swap(&mut frame.width, &mut frame.height);
    }
    Ok(())
}

pub(super) fn check_rotate(name: &'static str, degrees: &Param) -> Result<()> {
    degrees.check(name, "degrees", -3600.0, 3600.0, "finite, within ±3600")
}

pub(super) fn rotate<R: Rng + ?Sized>(
    frame: &mut Frame,
    rng: &mut R,
    degrees: &Param,
) -> Result<()> {
    let centre = frame.centre();
    frame.push(&Affine::rotate_about(degrees.draw(rng), centre));
    Ok(())
}

pub(super) fn check_zoom(name: &'static str, scale: &Param, x: &Param, y: &Param) -> Result<()> {
    scale.check(name, "scale", 1e-3, 1e3, "a factor from 0.001 to 1000")?;
    check_position(name, x, y)
}

/// Keeps the window `1 / scale` of the canvas at fraction `x`, `y` of the
/// room, as a canvas of the same size.
pub(super) fn zoom<R: Rng + ?Sized>(
    frame: &mut Frame,
    rng: &mut R,
    scale: &Param,
    x: &Param,
    y: &Param,
) -> Result<()> {
    let (cw, ch) = (frame.width as f64, frame.height as f64);
    let s = scale.draw(rng);
    let (fx, fy) = (x.draw(rng), y.draw(rng));
    let window = window_at((cw, ch), (cw / s, ch / s), (fx, fy));
    frame.window(window, frame.width, frame.height)
}

pub(super) fn check_translate(name: &'static str, x: &Param, y: &Param) -> Result<()> {
    x.check(name, "x", -10.0, 10.0, "a fraction of the width within ±10")?;
    y.check(
        name,
        "y",
        -10.0,
        10.0,
        "a fraction of the height within ±10",
    )
}

pub(super) fn translate<R: Rng + ?Sized>(
    frame: &mut Frame,
    rng: &mut R,
    x: &Param,
    y: &Param,
) -> Result<()> {
    let (cw, ch) = (frame.width as f64, frame.height as f64);
    let (tx, ty) = (x.draw(rng) * cw, y.draw(rng) * ch);
    frame.push(&Affine::translate(tx, ty));
    Ok(())
}

pub(super) fn check_scale(name: &'static str, x: &Param, y: &Param) -> Result<()> {
    x.check(name, "x", 1e-3, 1e3, "a factor from 0.001 to 1000")?;
    y.check(name, "y", 1e-3, 1e3, "a factor from 0.001 to 1000")
}

pub(super) fn scale<R: Rng + ?Sized>(
    frame: &mut Frame,
    rng: &mut R,
    x: &Param,
    y: &Param,
) -> Result<()> {
    let centre = frame.centre();
    let (sx, sy) = (x.draw(rng), y.draw(rng));
    frame.push(&Affine::scale_about(sx, sy, centre));
    Ok(())
}

pub(super) fn check_shear(name: &'static str, x_degrees: &Param, y_degrees: &Param) -> Result<()> {
    let expected = "an angle within ±80 degrees";
    x_degrees.check(name, "x_degrees", -80.0, 80.0, expected)?;
    y_degrees.check(name, "y_degrees", -80.0, 80.0, expected)?;
    // The shear's determinant is 1 - tan(x) tan(y): zero where the angles
    // add up to ±90°, which would fail every image at its first apply.
    if let (Param::Fixed(x), Param::Fixed(y)) = (x_degrees, y_degrees)
        && (1.0 - x.to_radians().tan() * y.to_radians().tan()).abs() < 1e-9
    {
        return Err(Error::InvalidParameter {
            transform: name,
            parameter: "x_degrees, y_degrees",
            value: format!("{x}, {y}"),
            expected: "angles that do not add up to ±90 degrees (the shear would flatten the image)",
        });
    }
    Ok(())
}

pub(super) fn shear<R: Rng + ?Sized>(
    frame: &mut Frame,
    rng: &mut R,
    x_degrees: &Param,
    y_degrees: &Param,
) -> Result<()> {
    let centre = frame.centre();
    let (a, b) = (x_degrees.draw(rng), y_degrees.draw(rng));
    frame.push(&Affine::shear(a, b).about(centre));
    Ok(())
}
