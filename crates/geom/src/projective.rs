//! Projective maps (homographies): 3x3 `f64` matrices applied with a divide.

use crate::affine::{Affine, Point, SINGULAR_DETERMINANT};
use crate::error::{Error, Result};

/// A 2D projective transform: `(x, y) -> ((a x + b y + c) / w, (d x + e y + f) / w)`
/// with `w = g x + h y + i`.
///
/// ```
/// use geom::Projective;
/// // The unit square onto a trapezoid, and back.
/// let square = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)];
/// let trapezoid = [(0.2, 0.0), (0.8, 0.0), (1.0, 1.0), (0.0, 1.0)];
/// let h = Projective::from_points(square, trapezoid)?;
/// let (x, y) = h.apply(1.0, 0.0).unwrap();
/// assert!((x - 0.8).abs() < 1e-12 && y.abs() < 1e-12);
/// # Ok::<(), geom::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projective {
    m: [[f64; 3]; 3],
}

impl From<Affine> for Projective {
    fn from(a: Affine) -> Self {
        Projective { m: a.matrix() }
    }
}

impl Projective {
    /// The map that changes nothing.
    pub const IDENTITY: Projective = Projective {
        m: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    };

    /// From a row-major 3x3 matrix; an error if any entry is not finite.
    pub fn new(m: [[f64; 3]; 3]) -> Result<Projective> {
        for &v in m.iter().flatten() {
            if !v.is_finite() {
                return Err(Error::NonFinite {
                    what: "projective coefficient",
                    value: v,
                });
            }
        }
        Ok(Projective { m })
    }

    /// The row-major matrix.
    pub const fn matrix(&self) -> [[f64; 3]; 3] {
        self.m
    }

    /// The affine map this is, if its last row is `[0, 0, 1]` (after scaling).
    pub fn as_affine(&self) -> Option<Affine> {
        let [[a, b, c], [d, e, f], [g, h, i]] = self.m;
        (g == 0.0 && h == 0.0 && i != 0.0)
            .then(|| Affine::new(a / i, b / i, c / i, d / i, e / i, f / i))
    }

    /// Where `(x, y)` goes; `None` where the point maps to infinity or
    /// behind the viewer (`w <= 0`), which samplers read as padding.
    #[inline]
    pub fn apply(&self, x: f64, y: f64) -> Option<Point> {
        let [[a, b, c], [d, e, f], [g, h, i]] = self.m;
        let w = g * x + h * y + i;
        if w <= f64::EPSILON * (g.abs() + h.abs() + i.abs()) {
            return None;
        }
        Some(((a * x + b * y + c) / w, (d * x + e * y + f) / w))
    }

    /// This map, then `next`: `next ∘ self`.
    #[must_use]
    pub fn then(&self, next: &Projective) -> Projective {
        let (a, b) = (next.m, self.m);
        let mut out = [[0.0; 3]; 3];
        for (r, row) in out.iter_mut().enumerate() {
            for (c, v) in row.iter_mut().enumerate() {
                *v = (0..3).map(|k| a[r][k] * b[k][c]).sum();
            }
        }
        Projective { m: out }.normalised()
    }

    /// Scales the matrix so its largest entry is 1 in magnitude (same map,
    /// better conditioned for long chains).
    fn normalised(self) -> Projective {
        let max = self.m.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
        if max > 0.0 && max.is_finite() {
            let mut m = self.m;
            m.iter_mut().flatten().for_each(|v| *v /= max);
            Projective { m }
        } else {
            self
        }
    }

    /// Determinant of the 3x3 matrix.
    pub fn determinant(&self) -> f64 {
        let [[a, b, c], [d, e, f], [g, h, i]] = self.m;
        a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    }

    /// The inverse map; an error if singular.
    pub fn inverse(&self) -> Result<Projective> {
        let n = self.normalised();
        let det = n.determinant();
        if !det.is_finite() || det.abs() < SINGULAR_DETERMINANT {
            return Err(Error::Singular { determinant: det });
        }
        let [[a, b, c], [d, e, f], [g, h, i]] = n.m;
        let adj = [
            [e * i - f * h, c * h - b * i, b * f - c * e],
            [f * g - d * i, a * i - c * g, c * d - a * f],
            [d * h - e * g, b * g - a * h, a * e - b * d],
        ];
        let mut m = adj;
        m.iter_mut().flatten().for_each(|v| *v /= det);
        Projective::new(m).map(Projective::normalised)
    }

    /// The homography taking each `from[k]` to `to[k]` (four point pairs, no
    /// three of either set on a line).
    pub fn from_points(from: [Point; 4], to: [Point; 4]) -> Result<Projective> {
        // Solve the 8 unknowns a..h (i = 1) of
        //   a x + b y + c - g x X - h y X = X
        //   d x + e y + f - g x Y - h y Y = Y
        // by Gaussian elimination with partial pivoting.
        let mut rows = [[0.0f64; 9]; 8];
        for k in 0..4 {
            let (x, y) = from[k];
            let (tx, ty) = to[k];
            rows[2 * k] = [x, y, 1.0, 0.0, 0.0, 0.0, -x * tx, -y * tx, tx];
            rows[2 * k + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -x * ty, -y * ty, ty];
        }
        if rows.iter().flatten().any(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                what: "homography point",
                value: f64::NAN,
            });
        }
        let scale = rows
            .iter()
            .flatten()
            .fold(0.0f64, |m, v| m.max(v.abs()))
            .max(1.0);
        for col in 0..8 {
            let pivot = (col..8)
                .max_by(|&p, &q| rows[p][col].abs().total_cmp(&rows[q][col].abs()))
                .unwrap_or(col);
            if rows[pivot][col].abs() < 1e-12 * scale {
                return Err(Error::Singular {
                    determinant: rows[pivot][col],
                });
            }
            rows.swap(col, pivot);
            let pivot_row = rows[col];
            for (r, row) in rows.iter_mut().enumerate() {
                if r != col {
                    let f = row[col] / pivot_row[col];
                    for (v, p) in row.iter_mut().zip(&pivot_row).skip(col) {
                        *v -= f * p;
                    }
                }
            }
        }
        let s = |k: usize| rows[k][8] / rows[k][k];
        Projective::new([[s(0), s(1), s(2)], [s(3), s(4), s(5)], [s(6), s(7), 1.0]])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_points_hits_all_four_corners() -> Result<()> {
        let from = [(0.0, 0.0), (99.0, 0.0), (99.0, 49.0), (0.0, 49.0)];
        let to = [(5.0, -3.0), (90.0, 4.0), (101.0, 55.0), (-2.0, 40.0)];
        let h = Projective::from_points(from, to)?;
        for (p, q) in from.iter().zip(&to) {
            let (x, y) = h
                .apply(p.0, p.1)
                .ok_or(Error::Singular { determinant: 0.0 })?;
            assert!((x - q.0).abs() < 1e-9 && (y - q.1).abs() < 1e-9);
        }
        let back = h.inverse()?;
        let (x, y) = back
            .apply(-2.0, 40.0)
            .ok_or(Error::Singular { determinant: 0.0 })?;
        assert!((x - 0.0).abs() < 1e-9 && (y - 49.0).abs() < 1e-9);
        Ok(())
    }

    #[test]
    fn collinear_points_are_singular() {
        let line = [(0.0, 0.0), (1.0, 1.0), (2.0, 2.0), (3.0, 3.0)];
        let sq = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)];
        assert!(Projective::from_points(line, sq).is_err());
        assert!(Projective::from_points(sq, [(f64::NAN, 0.0); 4]).is_err());
    }

    #[test]
    fn affine_round_trips_and_composes_like_affine() -> Result<()> {
        let a = Affine::rotate_about(17.0, (3.0, 4.0));
        let b = Affine::scale(1.1, 0.9);
        let p = Projective::from(a).then(&Projective::from(b));
        let q = p.as_affine().ok_or(Error::Singular { determinant: 0.0 })?;
        let r = a.then(&b);
        let (x1, y1) = q.apply(5.0, -2.0);
        let (x2, y2) = r.apply(5.0, -2.0);
        assert!((x1 - x2).abs() < 1e-12 && (y1 - y2).abs() < 1e-12);
        Ok(())
    }

    #[test]
    fn points_at_infinity_are_none() -> Result<()> {
        // w = x: the line x = 0 goes to infinity, x < 0 is behind.
        let p = Projective::new([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])?;
        assert_eq!(p.apply(0.0, 3.0), None);
        assert_eq!(p.apply(-1.0, 3.0), None);
        assert!(p.apply(2.0, 3.0).is_some());
        Ok(())
    }
}
