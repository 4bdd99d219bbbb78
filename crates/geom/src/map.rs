//! Pull maps as samplers take them, and the output window that sizes them.

use crate::affine::{Affine, Point};
use crate::error::{Error, Result};
use crate::grid::Grid;
use crate::projective::Projective;

/// A rectangle in the image plane, by its edges (not pixel centres): the whole
/// `w x h` image is `Rect::image(w, h)` = left -0.5, top -0.5, `w` by `h`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// x of the left edge.
    pub left: f64,
    /// y of the top edge.
    pub top: f64,
    /// Width (positive).
    pub width: f64,
    /// Height (positive).
    pub height: f64,
}

impl Rect {
    /// The area covered by a `width x height` image: `[-0.5, w-0.5] x [-0.5, h-0.5]`.
    pub fn image(width: usize, height: usize) -> Rect {
        Rect {
            left: -0.5,
            top: -0.5,
            width: width as f64,
            height: height as f64,
        }
    }

    /// The `width x height` pixels whose top-left pixel is `(x, y)`.
    pub fn pixels(x: i64, y: i64, width: usize, height: usize) -> Rect {
        Rect {
            left: x as f64 - 0.5,
            top: y as f64 - 0.5,
            width: width as f64,
            height: height as f64,
        }
    }

    /// Centre point.
    pub fn centre(&self) -> Point {
        (self.left + self.width / 2.0, self.top + self.height / 2.0)
    }

    /// x of the right edge.
    pub fn right(&self) -> f64 {
        self.left + self.width
    }

    /// y of the bottom edge.
    pub fn bottom(&self) -> f64 {
        self.top + self.height
    }

    /// Area (width times height).
    pub fn area(&self) -> f64 {
        self.width * self.height
    }

    /// The overlap with `other`, if it has positive area.
    pub fn intersect(&self, other: &Rect) -> Option<Rect> {
        let left = self.left.max(other.left);
        let top = self.top.max(other.top);
        let right = self.right().min(other.right());
        let bottom = self.bottom().min(other.bottom());
        (right > left && bottom > top).then_some(Rect {
            left,
            top,
            width: right - left,
            height: bottom - top,
        })
    }

    /// The pull map that fills an `out_width x out_height` image from this
    /// window: output pixel `(j, i)` reads the plane at
    /// `(left + (j + 0.5) * width / out_width, top + (i + 0.5) * height / out_height)`
    /// (half-pixel centres, as OpenCV's `resize` and PyTorch with
    /// `align_corners=False`).
    ///
    /// ```
    /// use geom::Rect;
    /// // A 2x downscale: output pixel 0 reads between source pixels 0 and 1.
    /// let m = Rect::image(8, 8).to_output(4, 4)?;
    /// assert_eq!(m.apply(0.0, 0.0), (0.5, 0.5));
    /// # Ok::<(), geom::Error>(())
    /// ```
    pub fn to_output(&self, out_width: usize, out_height: usize) -> Result<Affine> {
        if out_width == 0 || out_height == 0 {
            return Err(Error::EmptyImage {
                width: out_width,
                height: out_height,
            });
        }
        for (what, v) in [
            ("window left", self.left),
            ("window top", self.top),
            ("window width", self.width),
            ("window height", self.height),
        ] {
            if !v.is_finite() {
                return Err(Error::NonFinite { what, value: v });
            }
        }
        for (what, v) in [("window width", self.width), ("window height", self.height)] {
            if v <= 0.0 {
                return Err(Error::OutOfRange {
                    what,
                    value: v,
                    expected: "positive",
                });
            }
        }
        let sx = self.width / out_width as f64;
        let sy = self.height / out_height as f64;
        // Finite edges can still overflow here (left and width near f64::MAX).
        Affine::new(sx, 0.0, self.left + 0.5 * sx, 0.0, sy, self.top + 0.5 * sy).check_finite()
    }
}

/// A pull map: output pixel centre to the source position it reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Map {
    /// Affine: evaluated incrementally along rows, no coordinate buffer.
    Affine(Affine),
    /// Projective: one divide per pixel.
    Projective(Projective),
    /// Dense: one stored position per output pixel.
    Grid(Grid),
}

impl Map {
    /// The source position output pixel `(j, i)` reads (`None`: padding).
    pub fn source_of(&self, j: usize, i: usize) -> Option<Point> {
        let (x, y) = (j as f64, i as f64);
        match self {
            Map::Affine(a) => Some(a.apply(x, y)),
            Map::Projective(p) => p.apply(x, y),
            Map::Grid(g) => g
                .get(j, i)
                .map(|(x, y)| (f64::from(x), f64::from(y)))
                .filter(|(x, y)| x.is_finite() && y.is_finite()),
        }
    }

    /// This pull map followed by the affine `next`: output pixel to source
    /// position, then `next` of that position (say, source coordinates to
    /// those of a downscaled copy of the source). Affine stays affine and
    /// projective projective; a grid's positions are changed in place.
    ///
    /// A grid position is mapped in `f64` and rounded to `f32` once:
    /// `x' = a x + b y + c`, `y' = d x + e y + f`. When `next` keeps the
    /// axes apart (`b = d = 0`, a scale and shift) each coordinate is
    /// `a x + c` or `e y + f` on its own, so a non-finite coordinate (a
    /// position lost on one axis) leaves the other as it would be alone.
    ///
    /// ```
    /// use geom::{Affine, Grid, Map};
    /// // Source coordinates to those of a copy halved on each axis.
    /// let half = Affine::new(0.5, 0.0, -0.25, 0.0, 0.5, -0.25);
    /// let m = Map::from(Affine::translate(10.0, 20.0)).then_affine(&half);
    /// assert_eq!(m.source_of(2, 4), Some((5.75, 11.75)));
    ///
    /// let grid = Grid::from_fn(3, 2, |j, i| (j as f32 + 10.0, i as f32 + 20.0))?;
    /// let m = Map::from(grid).then_affine(&half);
    /// assert_eq!(m.source_of(2, 1), Some((5.75, 10.25)));
    /// # Ok::<(), geom::Error>(())
    /// ```
    #[must_use]
    pub fn then_affine(self, next: &Affine) -> Map {
        match self {
            Map::Affine(a) => Map::Affine(a.then(next)),
            Map::Projective(p) => Map::Projective(p.then(&Projective::from(*next))),
            Map::Grid(mut g) => {
                let [[a, b, c], [d, e, f]] = next.rows();
                let positions = g.as_mut_slice().chunks_exact_mut(2);
                if b == 0.0 && d == 0.0 {
                    for xy in positions {
                        xy[0] = (a * f64::from(xy[0]) + c) as f32;
                        xy[1] = (e * f64::from(xy[1]) + f) as f32;
                    }
                } else {
                    for xy in positions {
                        let (x, y) = next.apply(f64::from(xy[0]), f64::from(xy[1]));
                        xy[0] = x as f32;
                        xy[1] = y as f32;
                    }
                }
                Map::Grid(g)
            }
        }
    }
}

impl From<Affine> for Map {
    fn from(a: Affine) -> Self {
        Map::Affine(a)
    }
}

impl From<Projective> for Map {
    fn from(p: Projective) -> Self {
        Map::Projective(p)
    }
}

impl From<Grid> for Map {
    fn from(g: Grid) -> Self {
        Map::Grid(g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_crop_reads_whole_pixels() -> Result<()> {
        let m = Rect::pixels(10, 20, 5, 4).to_output(5, 4)?;
        assert_eq!(m.apply(0.0, 0.0), (10.0, 20.0));
        assert_eq!(m.apply(4.0, 3.0), (14.0, 23.0));
        Ok(())
    }

    #[test]
    fn resize_matches_opencv_half_pixel_rule() -> Result<()> {
        // cv2.resize 10 -> 4: dst x reads (x + 0.5) * 2.5 - 0.5.
        let m = Rect::image(10, 10).to_output(4, 4)?;
        for j in 0..4 {
            let want = (j as f64 + 0.5) * 2.5 - 0.5;
            assert!((m.apply(j as f64, 0.0).0 - want).abs() < 1e-12);
        }
        Ok(())
    }

    #[test]
    fn bad_windows_are_refused() {
        assert!(Rect::image(4, 4).to_output(0, 4).is_err());
        let mut r = Rect::image(4, 4);
        r.width = f64::NAN;
        assert!(r.to_output(4, 4).is_err());
        r.width = -1.0;
        assert!(r.to_output(4, 4).is_err());
    }

    #[test]
    fn then_affine_composes_every_kind_of_map() -> Result<()> {
        let next = Affine::new(0.25, 0.0, -0.375, 0.0, 0.5, -0.25);
        let pull = Affine::rotate_about(25.0, (8.0, 6.0));
        let square = [(0.0, 0.0), (16.0, 0.0), (16.0, 12.0), (0.0, 12.0)];
        let kite = [(1.0, -1.0), (17.0, 0.0), (15.0, 12.0), (0.0, 11.0)];
        let projective = Projective::from_points(square, kite)?;
        let grid = Grid::from_fn(16, 12, |j, i| {
            let (x, y) = pull.apply(j as f64, i as f64);
            (x as f32, y as f32)
        })?;
        assert_eq!(
            Map::from(pull).then_affine(&next),
            Map::Affine(pull.then(&next))
        );
        let Map::Projective(p) = Map::from(projective).then_affine(&next) else {
            return Err(Error::Singular { determinant: 0.0 });
        };
        assert_eq!(p, projective.then(&Projective::from(next)));
        let before = Map::from(grid.clone());
        let after = Map::from(grid).then_affine(&next);
        for (j, i) in [(0, 0), (15, 0), (7, 5), (15, 11)] {
            let (Some((x, y)), Some(got)) = (before.source_of(j, i), after.source_of(j, i)) else {
                return Err(Error::Singular { determinant: 0.0 });
            };
            // The f32 grid position, mapped in f64, rounded once.
            let want = next.apply(x, y);
            assert_eq!(got, (f64::from(want.0 as f32), f64::from(want.1 as f32)));
        }
        Ok(())
    }

    #[test]
    fn then_affine_on_a_grid_keeps_lost_positions_lost() -> Result<()> {
        let grid = Grid::new(2, 1, vec![f32::NAN, 3.0, f32::INFINITY, f32::NAN])?;
        let scaled =
            Map::from(grid.clone()).then_affine(&Affine::new(0.5, 0.0, 1.0, 0.0, 2.0, 0.0));
        let Map::Grid(g) = &scaled else {
            return Err(Error::Singular { determinant: 0.0 });
        };
        // Axis-aligned: the finite coordinate is mapped as it would be alone.
        assert!(g.as_slice()[0].is_nan() && g.as_slice()[1] == 6.0);
        assert!(g.as_slice()[2].is_infinite() && g.as_slice()[3].is_nan());
        assert_eq!(scaled.source_of(0, 0), None);
        let turned = Map::from(grid).then_affine(&Affine::rotate(30.0));
        assert_eq!(
            (turned.source_of(0, 0), turned.source_of(1, 0)),
            (None, None)
        );
        Ok(())
    }

    #[test]
    fn intersect_clips() {
        let a = Rect::image(10, 10);
        let b = Rect {
            left: 5.0,
            top: -3.0,
            width: 10.0,
            height: 5.0,
        };
        let c = a.intersect(&b);
        assert_eq!(
            c,
            Some(Rect {
                left: 5.0,
                top: -0.5,
                width: 4.5,
                height: 2.5
            })
        );
        assert_eq!(a.intersect(&Rect::pixels(20, 20, 1, 1)), None);
    }
}
