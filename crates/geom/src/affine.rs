//! Affine maps: a 3x3 `f64` matrix with last row `[0, 0, 1]`.
//!
//! An [`Affine`] is only a matrix; whether it is a *forward* transform (source
//! content to where it appears) or a *pull* map (output pixel to the source
//! position it reads) is said by whoever holds it. The builders here describe
//! forward transforms of content in pixel coordinates (y down), so
//! `Affine::rotate_about(30.0, c)` turns content 30° counter-clockwise *on
//! screen* about `c`, as OpenCV, torchvision and Pillow do. Pixels are square
//! in this frame, so a rotation never shears a non-square image.

use crate::error::{Error, Result};

/// Smallest |determinant| treated as invertible. Maps that shrink area by
/// more than 10^12 cannot sample anything meaningful.
pub const SINGULAR_DETERMINANT: f64 = 1e-12;

/// A point in the image plane: `(x, y)` with pixel `(j, i)` centred at `(j, i)`.
pub type Point = (f64, f64);

/// A 2D affine transform.
///
/// ```
/// use geom::Affine;
/// // Content turned 90° counter-clockwise on screen about the origin:
/// // a point to the right (1, 0) ends up above, at (0, -1) since y is down.
/// let (x, y) = Affine::rotate(90.0).apply(1.0, 0.0);
/// assert!((x - 0.0).abs() < 1e-12 && (y + 1.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine {
    m: [[f64; 3]; 2],
}

impl Default for Affine {
    fn default() -> Self {
        Self::IDENTITY
    }
}

impl Affine {
    /// The map that changes nothing.
    pub const IDENTITY: Affine = Affine {
        m: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
    };

    /// `x' = a x + b y + c`, `y' = d x + e y + f`.
    pub const fn new(a: f64, b: f64, c: f64, d: f64, e: f64, f: f64) -> Affine {
        Affine {
            m: [[a, b, c], [d, e, f]],
        }
    }

    /// The top two rows, `[[a, b, c], [d, e, f]]`.
    pub const fn rows(&self) -> [[f64; 3]; 2] {
        self.m
    }

    /// The full 3x3 matrix.
    pub const fn matrix(&self) -> [[f64; 3]; 3] {
        [self.m[0], self.m[1], [0.0, 0.0, 1.0]]
    }

    /// Error unless every coefficient is finite.
    pub fn check_finite(&self) -> Result<Self> {
        for &v in self.m.iter().flatten() {
            if !v.is_finite() {
                return Err(Error::NonFinite {
                    what: "affine coefficient",
                    value: v,
                });
            }
        }
        Ok(*self)
    }

    /// Where `(x, y)` goes.
    #[inline]
    pub fn apply(&self, x: f64, y: f64) -> Point {
        let [[a, b, c], [d, e, f]] = self.m;
        (a * x + b * y + c, d * x + e * y + f)
    }

    /// This map, then `next`: `next ∘ self`.
    #[must_use]
    pub fn then(&self, next: &Affine) -> Affine {
        let [[a, b, c], [d, e, f]] = next.m;
        let [[p, q, r], [s, t, u]] = self.m;
        Affine::new(
            a * p + b * s,
            a * q + b * t,
            a * r + b * u + c,
            d * p + e * s,
            d * q + e * t,
            d * r + e * u + f,
        )
    }

    /// Determinant of the linear part: the factor by which it scales area
    /// (negative when it mirrors).
    pub fn determinant(&self) -> f64 {
        let [[a, b, _], [d, e, _]] = self.m;
        a * e - b * d
    }

    /// The inverse map; an error if singular or not finite.
    pub fn inverse(&self) -> Result<Affine> {
        self.check_finite()?;
        let det = self.determinant();
        if !det.is_finite() || det.abs() < SINGULAR_DETERMINANT {
            return Err(Error::Singular { determinant: det });
        }
        let [[a, b, c], [d, e, f]] = self.m;
        let (ia, ib, id, ie) = (e / det, -b / det, -d / det, a / det);
        let inv = Affine::new(ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f));
        inv.check_finite()
    }

    /// Shift by `(tx, ty)`.
    pub const fn translate(tx: f64, ty: f64) -> Affine {
        Affine::new(1.0, 0.0, tx, 0.0, 1.0, ty)
    }

    /// Scale by `sx` horizontally and `sy` vertically about the origin.
    pub const fn scale(sx: f64, sy: f64) -> Affine {
        Affine::new(sx, 0.0, 0.0, 0.0, sy, 0.0)
    }

    /// Turn content `degrees` counter-clockwise on screen (y down) about the origin.
    pub fn rotate(degrees: f64) -> Affine {
        // Quarter turns get exact 0/±1 entries (f64 cos(π/2) is 6e-17, not
        // 0), so 90° rotations move pixel centres onto pixel centres exactly.
        let quarter = degrees / 90.0;
        let (s, c) = if quarter.fract() == 0.0 && quarter.abs() < 1e15 {
            match quarter.rem_euclid(4.0) as u8 {
                0 => (0.0, 1.0),
                1 => (1.0, 0.0),
                2 => (0.0, -1.0),
                _ => (-1.0, 0.0),
            }
        } else {
            degrees.to_radians().sin_cos()
        };
        // On screen with y down, counter-clockwise takes +x towards -y.
        Affine::new(c, s, 0.0, -s, c, 0.0)
    }

    /// Shear: x moves by `tan(x_degrees) * y`, y by `tan(y_degrees) * x`, about the origin.
    pub fn shear(x_degrees: f64, y_degrees: f64) -> Affine {
        Affine::new(
            1.0,
            x_degrees.to_radians().tan(),
            0.0,
            y_degrees.to_radians().tan(),
            1.0,
            0.0,
        )
    }

    /// `self` applied about `centre` instead of the origin.
    #[must_use]
    pub fn about(&self, centre: Point) -> Affine {
        Affine::translate(-centre.0, -centre.1)
            .then(self)
            .then(&Affine::translate(centre.0, centre.1))
    }

    /// Turn content `degrees` counter-clockwise on screen about `centre`.
    pub fn rotate_about(degrees: f64, centre: Point) -> Affine {
        Affine::rotate(degrees).about(centre)
    }

    /// Scale (zoom in for factors above 1) about `centre`.
    pub fn scale_about(sx: f64, sy: f64, centre: Point) -> Affine {
        Affine::scale(sx, sy).about(centre)
    }

    /// Mirror left-right within an image `width` pixels wide.
    pub fn flip_horizontal(width: usize) -> Affine {
        Affine::new(-1.0, 0.0, width as f64 - 1.0, 0.0, 1.0, 0.0)
    }

    /// Mirror top-bottom within an image `height` pixels tall.
    pub fn flip_vertical(height: usize) -> Affine {
        Affine::new(1.0, 0.0, 0.0, 0.0, -1.0, height as f64 - 1.0)
    }

    /// From OpenCV's 2x3 *forward* matrix `M`, as passed to `cv2.warpAffine`
    /// without `WARP_INVERSE_MAP` (same pixel-centre convention as ours).
    pub fn from_opencv(m: [[f64; 3]; 2]) -> Result<Affine> {
        Affine { m }.check_finite()
    }

    /// OpenCV's 2x3 forward matrix: `self` must be the forward transform.
    pub fn to_opencv(&self) -> [[f64; 3]; 2] {
        self.m
    }

    /// PyTorch's `affine_grid` `theta` for this *pull* map (output pixel to
    /// source pixel), from a source of `src` (width, height) to an output of
    /// `out` (width, height).
    ///
    /// `theta` maps normalised output coordinates to normalised source
    /// coordinates; with `align_corners` the extreme pixel *centres* are at
    /// ±1, without it the image *edges* are.
    pub fn to_torch_theta(
        &self,
        src: (usize, usize),
        out: (usize, usize),
        align_corners: bool,
    ) -> Result<[[f64; 3]; 2]> {
        let to_norm_src = normalise(src, align_corners)?;
        let from_norm_out = normalise(out, align_corners)?.inverse()?;
        Ok(from_norm_out.then(self).then(&to_norm_src).m)
    }

    /// The *pull* map (output pixel to source pixel) for PyTorch's
    /// `affine_grid` `theta`; inverse of [`Affine::to_torch_theta`].
    pub fn from_torch_theta(
        theta: [[f64; 3]; 2],
        src: (usize, usize),
        out: (usize, usize),
        align_corners: bool,
    ) -> Result<Affine> {
        let theta = Affine { m: theta }.check_finite()?;
        let to_norm_out = normalise(out, align_corners)?;
        let from_norm_src = normalise(src, align_corners)?.inverse()?;
        Ok(to_norm_out.then(&theta).then(&from_norm_src))
    }
}

/// Pixel coordinates to PyTorch's normalised `[-1, 1]` for an image of `size`.
fn normalise(size: (usize, usize), align_corners: bool) -> Result<Affine> {
    let (w, h) = (size.0 as f64, size.1 as f64);
    if align_corners {
        // Centres of the first and last pixel at -1 and 1: needs 2+ pixels.
        if size.0 < 2 || size.1 < 2 {
            return Err(Error::OutOfRange {
                what: "side with align_corners",
                value: size.0.min(size.1) as f64,
                expected: "at least 2 pixels",
            });
        }
        Ok(Affine::new(
            2.0 / (w - 1.0),
            0.0,
            -1.0,
            0.0,
            2.0 / (h - 1.0),
            -1.0,
        ))
    } else {
        if size.0 == 0 || size.1 == 0 {
            return Err(Error::EmptyImage {
                width: size.0,
                height: size.1,
            });
        }
        // Edges at -1 and 1: x = -0.5 -> -1, x = w - 0.5 -> 1.
        Ok(Affine::new(
            2.0 / w,
            0.0,
            1.0 / w - 1.0,
            0.0,
            2.0 / h,
            1.0 / h - 1.0,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &Affine, b: &Affine) -> bool {
        a.m.iter()
            .flatten()
            .zip(b.m.iter().flatten())
            .all(|(x, y)| (x - y).abs() < 1e-12)
    }

    #[test]
    fn rotate_is_counter_clockwise_on_screen() {
        // (2, 0) right of the centre goes to above it after 90°, i.e. y = -2.
        let r = Affine::rotate_about(90.0, (10.0, 5.0));
        let (x, y) = r.apply(12.0, 5.0);
        assert!(
            (x - 10.0).abs() < 1e-12 && (y - 3.0).abs() < 1e-12,
            "{x} {y}"
        );
        // Hand-computed: cos 30 = 0.8660, sin 30 = 0.5.
        let r30 = Affine::rotate(30.0).rows();
        let c = 3f64.sqrt() / 2.0;
        assert!(close(
            &Affine { m: r30 },
            &Affine::new(c, 0.5, 0.0, -0.5, c, 0.0)
        ));
    }

    #[test]
    fn matches_opencv_get_rotation_matrix_2d() {
        // cv2.getRotationMatrix2D((100, 50), 30, 1.5) =
        // [[1.29903811, 0.75, -67.40381057], [-0.75, 1.29903811, 60.04809472]]
        let m = Affine::rotate(30.0)
            .then(&Affine::scale(1.5, 1.5))
            .about((100.0, 50.0))
            .to_opencv();
        let cv = [
            [1.299_038_105_676_658, 0.75, -67.403_810_567_665_8],
            [-0.75, 1.299_038_105_676_658, 60.048_094_716_167_1],
        ];
        for (a, b) in m.iter().flatten().zip(cv.iter().flatten()) {
            assert!((a - b).abs() < 1e-9, "{m:?}");
        }
    }

    #[test]
    fn quarter_turns_are_exact() {
        assert_eq!(
            Affine::rotate(90.0),
            Affine::new(0.0, 1.0, 0.0, -1.0, 0.0, 0.0)
        );
        assert_eq!(
            Affine::rotate(-90.0),
            Affine::new(0.0, -1.0, 0.0, 1.0, 0.0, 0.0)
        );
        assert_eq!(
            Affine::rotate(540.0),
            Affine::new(-1.0, 0.0, 0.0, 0.0, -1.0, 0.0)
        );
        assert_eq!(Affine::rotate(0.0), Affine::IDENTITY);
    }

    #[test]
    fn then_applies_left_to_right() {
        let t = Affine::translate(3.0, 0.0).then(&Affine::scale(2.0, 2.0));
        assert_eq!(t.apply(1.0, 1.0), (8.0, 2.0));
    }

    #[test]
    fn inverse_undoes_and_singular_is_refused() -> Result<()> {
        let a = Affine::new(2.0, 0.5, 3.0, -1.0, 4.0, 7.0);
        assert!(close(&a.then(&a.inverse()?), &Affine::IDENTITY));
        assert!(matches!(
            Affine::scale(0.0, 1.0).inverse(),
            Err(Error::Singular { .. })
        ));
        assert!(matches!(
            Affine::new(f64::NAN, 0.0, 0.0, 0.0, 1.0, 0.0).inverse(),
            Err(Error::NonFinite { .. })
        ));
        Ok(())
    }

    #[test]
    fn flips_map_edge_pixels_onto_each_other() {
        assert_eq!(Affine::flip_horizontal(5).apply(0.0, 2.0), (4.0, 2.0));
        assert_eq!(Affine::flip_vertical(3).apply(1.0, 2.0), (1.0, 0.0));
    }

    #[test]
    fn torch_theta_of_identity_resample_is_identity() -> Result<()> {
        for align in [false, true] {
            let theta = Affine::IDENTITY.to_torch_theta((7, 5), (7, 5), align)?;
            assert!(close(&Affine { m: theta }, &Affine::IDENTITY));
        }
        Ok(())
    }

    #[test]
    fn torch_theta_hand_checked() -> Result<()> {
        // Horizontal flip of an 8-wide image is theta = diag(-1, 1) in both conventions.
        let flip = Affine::flip_horizontal(8);
        for align in [false, true] {
            let theta = flip.to_torch_theta((8, 4), (8, 4), align)?;
            assert!(close(
                &Affine { m: theta },
                &Affine::new(-1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
            ));
        }
        // Resizing 4 -> 8 wide with half-pixel centres (align_corners=False)
        // is theta = identity: edges map to edges.
        let pull = Affine::new(0.5, 0.0, -0.25, 0.0, 1.0, 0.0);
        let theta = pull.to_torch_theta((4, 4), (8, 4), false)?;
        assert!(close(&Affine { m: theta }, &Affine::IDENTITY), "{theta:?}");
        // and round-trips.
        let back = Affine::from_torch_theta(theta, (4, 4), (8, 4), false)?;
        assert!(close(&back, &pull));
        Ok(())
    }

    #[test]
    fn align_corners_needs_two_pixels() {
        assert!(
            Affine::IDENTITY
                .to_torch_theta((1, 5), (5, 5), true)
                .is_err()
        );
        assert!(
            Affine::IDENTITY
                .to_torch_theta((1, 5), (5, 5), false)
                .is_ok()
        );
    }
}
