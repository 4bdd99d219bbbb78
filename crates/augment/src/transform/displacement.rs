//! Displacement steps: jitter and elastic. Each ends the frame's current
//! homography segment with a pull offset field on the current canvas, which
//! makes the composed map a grid (see `crate::displace` for the fields).

use crate::displace::{Displacement, ElasticField};
use crate::error::Result;
use crate::param::Param;
use crate::plan::Frame;
use rand::{Rng, RngExt};

pub(super) fn check_jitter(name: &'static str, magnitude: &Param) -> Result<()> {
    magnitude.check(name, "magnitude", 0.0, 100.0, "pixels in 0..=100")
}

/// Draws the magnitude and one key; the noise itself comes from a stream
/// keyed by it when the grid is built, so drawing costs two words whatever
/// the output size.
pub(super) fn jitter<R: Rng + ?Sized>(
    frame: &mut Frame,
    rng: &mut R,
    magnitude: &Param,
) -> Result<()> {
    let magnitude = magnitude.draw(rng);
    let key = rng.random::<u64>();
    frame.displace(Displacement::Jitter { magnitude, key });
    Ok(())
}

pub(super) fn check_elastic(name: &'static str, magnitude: &Param, smoothness: f64) -> Result<()> {
    magnitude.check(name, "magnitude", 0.0, 1000.0, "pixels in 0..=1000")?;
    Param::Fixed(smoothness).check(
        name,
        "smoothness",
        2.0,
        1e5,
        "a control-point spacing of 2 to 100000 pixels",
    )
}

pub(super) fn elastic<R: Rng + ?Sized>(
    frame: &mut Frame,
    rng: &mut R,
    magnitude: &Param,
    smoothness: f64,
) -> Result<()> {
    let m = magnitude.draw(rng);
    let field = ElasticField::draw(frame.width, frame.height, m, smoothness, rng);
    frame.displace(Displacement::Elastic(field));
    Ok(())
}
