//! Sparse 2-D kernels: arbitrary taps, the anti-aliased motion line and the
//! directional (anisotropic, rotated) Gaussian.
//!
//! Angles follow ARCHITECTURE.md ("Conventions": transforms are described
//! forward, on screen): degrees, counter-clockwise on screen from the
//! `+x` axis. With `y` pointing down, direction `θ` is the pixel offset
//! `(cos θ, -sin θ)`.

use super::one_d::{MAX_RADIUS, check_sigma};
use crate::error::{Error, Result};

/// Largest number of taps a 2-D kernel may have (cost per pixel is linear in it).
pub const MAX_TAPS: usize = 1 << 17;

/// One weight of a 2-D kernel: output pixel `(x, y)` adds
/// `weight * input(x + dx, y + dy)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tap {
    /// Column offset.
    pub dx: i32,
    /// Row offset (down is positive).
    pub dy: i32,
    /// The weight.
    pub weight: f32,
}

/// A sparse 2-D kernel: only its non-zero taps are stored and visited, so a
/// line of length `L` costs `O(L)` per pixel, not `O(L²)`.
///
/// Taps are kept sorted by column, then row (column by column from the
/// left, each top to bottom); that is the order the filter sums them in.
///
/// ```
/// use filter::{Kernel2d, Tap};
/// let k = Kernel2d::from_taps([
///     Tap { dx: 1, dy: 0, weight: 0.5 },
///     Tap { dx: -1, dy: 0, weight: 0.5 },
/// ])?;
/// assert_eq!(k.taps()[0].dx, -1);
/// assert_eq!((k.radius_x(), k.radius_y()), (1, 0));
/// # Ok::<(), filter::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Kernel2d {
    taps: Vec<Tap>,
    radius_x: usize,
    radius_y: usize,
}

impl Kernel2d {
    /// A kernel from taps in any order: offsets within [`MAX_RADIUS`], finite
    /// weights, at most [`MAX_TAPS`] taps, at least one. Taps at the same
    /// offset are merged (weights added in the order given).
    pub fn from_taps(taps: impl IntoIterator<Item = Tap>) -> Result<Kernel2d> {
        let mut list = Vec::new();
        for (index, tap) in taps.into_iter().enumerate() {
            if index >= MAX_TAPS {
                return Err(Error::TooManyTaps {
                    what: "2-D kernel",
                    taps: index as u64 + 1,
                    max: MAX_TAPS,
                });
            }
            let reach = tap.dx.unsigned_abs().max(tap.dy.unsigned_abs());
            if reach as usize > MAX_RADIUS {
                let value = if tap.dx.unsigned_abs() == reach {
                    tap.dx
                } else {
                    tap.dy
                };
                return Err(Error::RadiusTooLarge {
                    what: "2-D kernel tap offset",
                    value: f64::from(value),
                    radius: u64::from(reach),
                    max: MAX_RADIUS,
                });
            }
            if !tap.weight.is_finite() {
                return Err(Error::NonFiniteWeight {
                    what: "2-D kernel",
                    index,
                    value: tap.weight,
                });
            }
            list.push(tap);
        }
        if list.is_empty() {
            return Err(Error::InvalidParameter {
                what: "2-D kernel tap count",
                value: 0.0,
                expected: "at least one tap",
            });
        }
        list.sort_by_key(|t| (t.dx, t.dy));
        let mut taps: Vec<Tap> = Vec::with_capacity(list.len());
        for tap in list {
            match taps.last_mut() {
                Some(last) if (last.dx, last.dy) == (tap.dx, tap.dy) => last.weight += tap.weight,
                _ => taps.push(tap),
            }
        }
        // Finite weights at one offset can still sum past f32::MAX.
        if let Some((index, tap)) = taps.iter().enumerate().find(|(_, t)| !t.weight.is_finite()) {
            return Err(Error::NonFiniteWeight {
                what: "2-D kernel (taps at one offset summed)",
                index,
                value: tap.weight,
            });
        }
        let radius_x = taps
            .iter()
            .map(|t| t.dx.unsigned_abs() as usize)
            .max()
            .unwrap_or(0);
        let radius_y = taps
            .iter()
            .map(|t| t.dy.unsigned_abs() as usize)
            .max()
            .unwrap_or(0);
        Ok(Kernel2d {
            taps,
            radius_x,
            radius_y,
        })
    }

    /// A kernel from a dense `width x height` grid of weights (row-major,
    /// both sides odd, centred); zero weights are dropped.
    pub fn from_dense(width: usize, height: usize, weights: &[f32]) -> Result<Kernel2d> {
        for (what, len) in [("2-D kernel width", width), ("2-D kernel height", height)] {
            if len % 2 == 0 {
                return Err(Error::KernelLength { what, len });
            }
            if len / 2 > MAX_RADIUS {
                return Err(Error::RadiusTooLarge {
                    what,
                    value: len as f64,
                    radius: (len / 2) as u64,
                    max: MAX_RADIUS,
                });
            }
        }
        if weights.len() != width * height {
            return Err(Error::InvalidParameter {
                what: "2-D kernel weight count",
                value: weights.len() as f64,
                expected: "width * height",
            });
        }
        let (rx, ry) = ((width / 2) as i32, (height / 2) as i32);
        let taps = weights
            .iter()
            .enumerate()
            .filter(|(_, w)| **w != 0.0)
            .map(|(i, &weight)| Tap {
                dx: (i % width) as i32 - rx,
                dy: (i / width) as i32 - ry,
                weight,
            });
        Kernel2d::from_taps(taps)
    }

    /// The taps, sorted by column then row.
    #[inline]
    pub fn taps(&self) -> &[Tap] {
        &self.taps
    }

    /// Largest `|dx|`.
    #[inline]
    pub fn radius_x(&self) -> usize {
        self.radius_x
    }

    /// Largest `|dy|`.
    #[inline]
    pub fn radius_y(&self) -> usize {
        self.radius_y
    }

    /// The dense `(2·radius_x + 1) x (2·radius_y + 1)` grid of weights,
    /// row-major, for code that wants a plain matrix (OpenCV's `filter2D`,
    /// a plot). Refused with [`geom::Error::TooLarge`] above
    /// [`geom::DEFAULT_MAX_PIXELS`] weights: two far-apart taps would
    /// otherwise ask for gigabytes.
    ///
    /// ```
    /// let k = filter::motion_kernel(3.0, 0.0)?;
    /// let (w, h, dense) = k.to_dense()?;
    /// assert_eq!((w, h, dense.len()), (3, 1, 3));
    /// # Ok::<(), filter::Error>(())
    /// ```
    pub fn to_dense(&self) -> Result<(usize, usize, Vec<f32>)> {
        let (w, h) = (2 * self.radius_x + 1, 2 * self.radius_y + 1);
        if w * h > geom::DEFAULT_MAX_PIXELS {
            return Err(geom::Error::TooLarge {
                width: w,
                height: h,
                channels: 1,
                limit: geom::DEFAULT_MAX_PIXELS,
                unit: geom::LimitUnit::Pixels,
            }
            .into());
        }
        let mut grid = vec![0.0; w * h];
        for t in &self.taps {
            let x = (t.dx + self.radius_x as i32) as usize;
            let y = (t.dy + self.radius_y as i32) as usize;
            grid[y * w + x] = t.weight;
        }
        Ok((w, h, grid))
    }

    /// Normalised taps from `f64` weights (dropping those that are 0).
    fn normalised(raw: Vec<(i32, i32, f64)>) -> Result<Kernel2d> {
        let sum: f64 = raw.iter().map(|t| t.2).sum();
        if sum <= 0.0 || !sum.is_finite() {
            return Kernel2d::from_taps([IDENTITY]);
        }
        Kernel2d::from_taps(
            raw.into_iter()
                .filter(|t| t.2 > 0.0)
                .map(|(dx, dy, w)| Tap {
                    dx,
                    dy,
                    weight: (w / sum) as f32,
                }),
        )
    }
}

const IDENTITY: Tap = Tap {
    dx: 0,
    dy: 0,
    weight: 1.0,
};

/// `(cos θ, sin θ)` of an angle in degrees, exact at multiples of 90°.
fn cos_sin_degrees(degrees: f32) -> (f64, f64) {
    let d = f64::from(degrees).rem_euclid(360.0);
    match d {
        0.0 => (1.0, 0.0),
        90.0 => (0.0, 1.0),
        180.0 => (-1.0, 0.0),
        270.0 => (0.0, -1.0),
        _ => {
            let r = d.to_radians();
            (r.cos(), r.sin())
        }
    }
}

fn check_angle(degrees: f32) -> Result<()> {
    if degrees.is_finite() {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            what: "angle (degrees)",
            value: f64::from(degrees),
            expected: "a finite number",
        })
    }
}

/// The motion-blur kernel: a straight segment of `length` pixels through the
/// centre at `angle_degrees` (counter-clockwise on screen), anti-aliased and
/// normalised to sum 1.
///
/// The segment is walked along its major axis (the one it advances fastest
/// on): each column (or row) it crosses gets the length of segment inside it,
/// split between the two pixels the segment passes between in proportion to
/// how close it passes (as in Wu's line). So the kernel has about `2L` taps,
/// and a length below one pixel is the identity.
///
/// ```
/// let k = filter::motion_kernel(15.0, 0.0)?;
/// assert_eq!(k.taps().len(), 15);
/// assert!(k.taps().iter().all(|t| t.dy == 0 && (t.weight - 1.0 / 15.0).abs() < 1e-7));
/// # Ok::<(), filter::Error>(())
/// ```
pub fn motion_kernel(length: f32, angle_degrees: f32) -> Result<Kernel2d> {
    check_angle(angle_degrees)?;
    if !(length.is_finite() && length >= 0.0) {
        return Err(Error::InvalidParameter {
            what: "motion blur length",
            value: f64::from(length),
            expected: "a finite number of pixels, at least 0",
        });
    }
    if (length / 2.0).ceil() as usize > MAX_RADIUS {
        return Err(Error::RadiusTooLarge {
            what: "motion blur length",
            value: f64::from(length),
            radius: (length / 2.0).ceil() as u64,
            max: MAX_RADIUS,
        });
    }
    let (cos, sin) = cos_sin_degrees(angle_degrees);
    let (dx, dy) = (cos, -sin);
    let half = f64::from(length) / 2.0;
    // Walk the major axis `a`; the minor axis `b` moves by `slope` per step.
    let x_major = dx.abs() >= dy.abs();
    let (da, db) = if x_major { (dx, dy) } else { (dy, dx) };
    let extent = half * da.abs();
    let slope = db / da;
    let reach = (extent + 0.5).floor() as i64;
    let mut raw = Vec::with_capacity(2 * (2 * reach as usize + 1));
    for a in -reach..=reach {
        let lo = (a as f64 - 0.5).max(-extent);
        let hi = (a as f64 + 0.5).min(extent);
        let inside = hi - lo;
        if inside <= 0.0 {
            continue;
        }
        let b = 0.5 * (lo + hi) * slope;
        let b0 = b.floor();
        let frac = b - b0;
        for (offset, share) in [(0, 1.0 - frac), (1, frac)] {
            // Shares far below f32 resolution only come from rounding in the slope.
            if share > 1e-9 {
                let (pa, pb) = (a as i32, b0 as i32 + offset);
                let (px, py) = if x_major { (pa, pb) } else { (pb, pa) };
                raw.push((px, py, inside * share));
            }
        }
    }
    Kernel2d::normalised(raw)
}

/// The directional blur kernel: a Gaussian with standard deviation
/// `sigma_along` along direction `angle_degrees` (counter-clockwise on
/// screen) and `sigma_across` across it, sampled at pixel offsets inside its
/// 3σ ellipse and normalised to sum 1.
///
/// With `sigma_along` much larger than `sigma_across` it is a soft motion
/// blur with a Gaussian profile. Cost per pixel is the number of taps,
/// about `28 · sigma_along · max(sigma_across, 0.4)`. Across widths below
/// about 0.5 px sample the profile coarsely at oblique angles (the kernel
/// stays normalised, but is no longer smooth across the line).
///
/// ```
/// let k = filter::directional_kernel(4.0, 0.7, 90.0)?;
/// assert!(k.radius_y() > 3 * k.radius_x());
/// # Ok::<(), filter::Error>(())
/// ```
pub fn directional_kernel(
    sigma_along: f32,
    sigma_across: f32,
    angle_degrees: f32,
) -> Result<Kernel2d> {
    check_sigma("sigma_along", sigma_along)?;
    check_sigma("sigma_across", sigma_across)?;
    check_angle(angle_degrees)?;
    let (cos, sin) = cos_sin_degrees(angle_degrees);
    let (su, sv) = (f64::from(sigma_along), f64::from(sigma_across));
    // Offset (x, y): along u = x cos - y sin, across v = x sin + y cos.
    // q = u²/su² + v²/sv² = A x² + B x y + C y², kept where q <= 9.
    let (iu, iv) = (1.0 / (su * su), 1.0 / (sv * sv));
    let a = cos * cos * iu + sin * sin * iv;
    let b = 2.0 * cos * sin * (iv - iu);
    let c = sin * sin * iu + cos * cos * iv;
    let reach_x = 3.0 * (su * su * cos * cos + sv * sv * sin * sin).sqrt();
    let reach_y = 3.0 * (su * su * sin * sin + sv * sv * cos * cos).sqrt();
    let reach = reach_x.max(reach_y);
    if reach.floor() > MAX_RADIUS as f64 {
        let (what, sigma) = if sigma_along >= sigma_across {
            ("sigma_along", sigma_along)
        } else {
            ("sigma_across", sigma_across)
        };
        return Err(Error::RadiusTooLarge {
            what,
            value: f64::from(sigma),
            radius: reach.floor() as u64,
            max: MAX_RADIUS,
        });
    }
    let ry = reach_y.floor() as i64;
    // Each row's span of x where q <= 9 (a quadratic in x); count before building.
    let span = |y: f64| -> Option<(i64, i64)> {
        let disc = b * b * y * y - 4.0 * a * (c * y * y - 9.0);
        if disc < 0.0 {
            return None;
        }
        let root = disc.sqrt();
        let lo = ((-b * y - root) / (2.0 * a)).ceil() as i64;
        let hi = ((-b * y + root) / (2.0 * a)).floor() as i64;
        (lo <= hi).then_some((lo, hi))
    };
    let count: u64 = (-ry..=ry)
        .filter_map(|y| span(y as f64))
        .map(|(lo, hi)| (hi - lo + 1) as u64)
        .sum();
    if count > MAX_TAPS as u64 {
        return Err(Error::TooManyTaps {
            what: "directional blur",
            taps: count,
            max: MAX_TAPS,
        });
    }
    let mut raw = Vec::with_capacity(count as usize);
    for y in -ry..=ry {
        if let Some((lo, hi)) = span(y as f64) {
            for x in lo..=hi {
                let (xf, yf) = (x as f64, y as f64);
                let q = a * xf * xf + b * xf * yf + c * yf * yf;
                raw.push((x as i32, y as i32, (-0.5 * q).exp()));
            }
        }
    }
    Kernel2d::normalised(raw)
}
