//! Projective steps, fastai's corner warps: perspective, symmetric warp,
//! skew and tilt. Each draws offsets for the four canvas corners (fractions
//! of the half side) and pushes the homography that moves the corners
//! there; the frame's chain becomes projective from then on.

use crate::error::Result;
use crate::param::Param;
use crate::plan::Frame;
use geom::{Point, Projective};
use rand::{Rng, RngExt};

/// Error unless `magnitude` keeps every corner within half a side of where
/// it was (larger offsets can fold the image over itself).
pub(super) fn check_corner_offset(
    name: &'static str,
    parameter: &'static str,
    magnitude: &Param,
) -> Result<()> {
    magnitude.check(
        name,
        parameter,
        -0.5,
        0.5,
        "a fraction of the half side within ±0.5 (larger can fold the image)",
    )
}

/// Each of the 8 corner coordinates drawn from `distortion`, corner by
/// corner, x before y.
pub(super) fn perspective<R: Rng + ?Sized>(
    frame: &mut Frame,
    rng: &mut R,
    distortion: &Param,
) -> Result<()> {
    let mut offsets = [(0.0, 0.0); 4];
    for o in &mut offsets {
        *o = (distortion.draw(rng), distortion.draw(rng));
    }
    push_corner_warp(frame, offsets)
}

pub(super) fn symmetric_warp<R: Rng + ?Sized>(
    frame: &mut Frame,
    rng: &mut R,
    magnitude: &Param,
) -> Result<()> {
    let m: [f64; 4] = std::array::from_fn(|_| magnitude.draw(rng));
    // fastai's order: top-left, bottom-left, top-right, bottom-right.
    push_corner_warp(
        frame,
        [(-m[3], -m[1]), (-m[2], m[1]), (m[3], -m[0]), (m[2], m[0])],
    )
}

/// The direction (corner and axis) is drawn before the magnitude, as fastai does.
pub(super) fn skew<R: Rng + ?Sized>(
    frame: &mut Frame,
    rng: &mut R,
    magnitude: &Param,
) -> Result<()> {
    let direction: u8 = rng.random_range(0..8);
    let m = magnitude.draw(rng);
    let mut offsets = [(0.0, 0.0); 4];
    let (corner, offset) = match direction {
        0 => (0, (-m, 0.0)),
        1 => (0, (0.0, -m)),
        2 => (1, (-m, 0.0)),
        3 => (1, (0.0, m)),
        4 => (2, (m, 0.0)),
        5 => (2, (0.0, -m)),
        6 => (3, (m, 0.0)),
        _ => (3, (0.0, m)),
    };
    offsets[corner] = offset;
    push_corner_warp(frame, offsets)
}

/// The side is drawn before the magnitude, as fastai does.
pub(super) fn tilt<R: Rng + ?Sized>(
    frame: &mut Frame,
    rng: &mut R,
    magnitude: &Param,
) -> Result<()> {
    let direction: u8 = rng.random_range(0..4);
    let m = magnitude.draw(rng);
    let z = (0.0, 0.0);
    let offsets = match direction {
        0 => [z, z, (0.0, -m), (0.0, m)],
        1 => [(0.0, -m), (0.0, m), z, z],
        2 => [z, (-m, 0.0), z, (m, 0.0)],
        _ => [(-m, 0.0), z, (m, 0.0), z],
    };
    push_corner_warp(frame, offsets)
}

/// Moves the canvas corners (fastai's order: top-left, bottom-left,
/// top-right, bottom-right) by `offsets`, in fractions of the half side,
/// and pushes the homography that does it. No offset at all pushes
/// nothing, so the chain stays affine.
fn push_corner_warp(frame: &mut Frame, offsets: [(f64, f64); 4]) -> Result<()> {
    let (w, h) = (frame.width as f64, frame.height as f64);
    let corners: [Point; 4] = [
        (-0.5, -0.5),
        (-0.5, h - 0.5),
        (w - 0.5, -0.5),
        (w - 0.5, h - 0.5),
    ];
    let targets: [Point; 4] = std::array::from_fn(|k| {
        (
            corners[k].0 + offsets[k].0 * w / 2.0,
            corners[k].1 + offsets[k].1 * h / 2.0,
        )
    });
    if offsets.iter().all(|&(x, y)| x == 0.0 && y == 0.0) {
        return Ok(());
    }
    frame.push_projective(Projective::from_points(corners, targets)?);
    Ok(())
}
