//! Homographies that stay affine as long as they can.
//!
//! A chain of transforms is mostly affine (flips, turns, zooms, crops,
//! resizes), and an affine map is cheaper to sample (no divide per pixel)
//! and exact where a projective one is not (a projective chain is
//! renormalised after every product). [`Homography`] composes like a 3x3
//! matrix but keeps the affine form until a projective step joins the
//! chain: affine after affine is [`Affine::then`], bit for bit; anything
//! with a projective step is [`Projective::then`] of the two.

use crate::affine::{Affine, Point};
use crate::error::Result;
use crate::map::Map;
use crate::projective::Projective;

/// An affine or projective map, composed without leaving the affine form
/// until a projective map joins.
///
/// Whether it is a forward transform or a pull map is, as for [`Affine`],
/// said by whoever holds it.
///
/// ```
/// use geom::{Affine, Homography, Map, Projective};
/// let turn = Homography::from(Affine::rotate_about(30.0, (50.0, 40.0)));
/// let shrink = Homography::from(Affine::scale(0.5, 0.5));
/// // Affine then affine stays affine: one matrix, no divide when sampled.
/// let both = turn.then(&shrink);
/// assert_eq!(both, Homography::Affine(Affine::rotate_about(30.0, (50.0, 40.0)).then(&Affine::scale(0.5, 0.5))));
///
/// // A projective step makes the chain projective; the inverse undoes it.
/// let square = [(0.0, 0.0), (99.0, 0.0), (99.0, 79.0), (0.0, 79.0)];
/// let kite = [(3.0, -2.0), (99.0, 0.0), (95.0, 79.0), (0.0, 75.0)];
/// let warp = both.then(&Projective::from_points(square, kite)?.into());
/// assert!(matches!(warp, Homography::Projective(_)));
/// let (x, y) = warp.apply(10.0, 20.0).ok_or(geom::Error::Singular { determinant: 0.0 })?;
/// let (u, v) = warp.inverse()?.apply(x, y).ok_or(geom::Error::Singular { determinant: 0.0 })?;
/// assert!((u - 10.0).abs() < 1e-9 && (v - 20.0).abs() < 1e-9);
///
/// // As a pull map for a sampler.
/// assert!(matches!(Map::from(both), Map::Affine(_)));
/// # Ok::<(), geom::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Homography {
    /// An affine map (last row `[0, 0, 1]`).
    Affine(Affine),
    /// A general projective map.
    Projective(Projective),
}

impl Default for Homography {
    fn default() -> Self {
        Self::IDENTITY
    }
}

impl Homography {
    /// The map that changes nothing (affine).
    pub const IDENTITY: Homography = Homography::Affine(Affine::IDENTITY);

    /// This map, then `next`: `next ∘ self`. Affine if both are.
    #[must_use]
    pub fn then(&self, next: &Homography) -> Homography {
        match (self, next) {
            (Homography::Affine(a), Homography::Affine(b)) => Homography::Affine(a.then(b)),
            _ => Homography::Projective(self.to_projective().then(&next.to_projective())),
        }
    }

    /// Where `(x, y)` goes; `None` at or beyond the horizon of a projective
    /// map (see [`Projective::apply`]), never for an affine one.
    #[inline]
    pub fn apply(&self, x: f64, y: f64) -> Option<Point> {
        match self {
            Homography::Affine(a) => Some(a.apply(x, y)),
            Homography::Projective(p) => p.apply(x, y),
        }
    }

    /// The inverse map, in the same form; an error if singular or not finite.
    pub fn inverse(&self) -> Result<Homography> {
        Ok(match self {
            Homography::Affine(a) => Homography::Affine(a.inverse()?),
            Homography::Projective(p) => Homography::Projective(p.inverse()?),
        })
    }

    /// Whether the map is in affine form.
    pub fn is_affine(&self) -> bool {
        matches!(self, Homography::Affine(_))
    }

    /// The same map as a [`Projective`] (an affine map's 3x3 matrix).
    pub fn to_projective(&self) -> Projective {
        match *self {
            Homography::Affine(a) => Projective::from(a),
            Homography::Projective(p) => p,
        }
    }

    /// The map as a sampler's pull map (the caller says it is one): affine
    /// stays affine, so the sampler takes its divide-free path.
    pub fn to_map(&self) -> Map {
        Map::from(*self)
    }
}

impl From<Affine> for Homography {
    fn from(a: Affine) -> Self {
        Homography::Affine(a)
    }
}

/// Kept projective even when its last row is `[0, 0, 1]`: converting would
/// divide by the last entry and change the coefficients' rounding.
impl From<Projective> for Homography {
    fn from(p: Projective) -> Self {
        Homography::Projective(p)
    }
}

impl From<Homography> for Map {
    fn from(h: Homography) -> Self {
        match h {
            Homography::Affine(a) => Map::Affine(a),
            Homography::Projective(p) => Map::Projective(p),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn kite() -> Result<Projective> {
        let square = [(0.0, 0.0), (40.0, 0.0), (40.0, 30.0), (0.0, 30.0)];
        let kite = [(0.0, 0.0), (44.0, 0.0), (40.0, 30.0), (0.0, 27.0)];
        Projective::from_points(square, kite)
    }

    #[test]
    fn affine_chains_stay_affine_and_equal_affine_then() {
        let a = Affine::rotate_about(17.0, (3.0, 4.0));
        let b = Affine::scale(1.1, 0.9).then(&Affine::translate(-2.0, 5.0));
        let h = Homography::from(a).then(&b.into());
        assert_eq!(h, Homography::Affine(a.then(&b)));
        assert!(h.is_affine());
        assert_eq!(
            Homography::IDENTITY.then(&h),
            Homography::Affine(Affine::IDENTITY.then(&a.then(&b)))
        );
        assert_eq!(Homography::default(), Homography::IDENTITY);
    }

    #[test]
    fn a_projective_step_makes_the_chain_projective_on_either_side() -> Result<()> {
        let a = Homography::from(Affine::rotate_about(20.0, (20.0, 15.0)));
        let p = Homography::from(kite()?);
        for h in [a.then(&p), p.then(&a)] {
            assert!(!h.is_affine());
        }
        // The composition applies the steps in order.
        let h = a.then(&p);
        let step = a.apply(7.0, 9.0).and_then(|(x, y)| p.apply(x, y));
        let both = h.apply(7.0, 9.0);
        let (Some(s), Some(b)) = (step, both) else {
            return Err(Error::Singular { determinant: 0.0 });
        };
        assert!((s.0 - b.0).abs() < 1e-9 && (s.1 - b.1).abs() < 1e-9);
        Ok(())
    }

    #[test]
    fn inverse_keeps_the_form_and_undoes() -> Result<()> {
        let a = Homography::from(Affine::new(2.0, 0.5, 3.0, -1.0, 4.0, 7.0));
        assert!(a.inverse()?.is_affine());
        let p = Homography::from(kite()?);
        let back = p.then(&p.inverse()?);
        assert!(!back.is_affine());
        for h in [a.then(&a.inverse()?), back] {
            let (x, y) = h
                .apply(12.5, -3.0)
                .ok_or(Error::Singular { determinant: 0.0 })?;
            assert!((x - 12.5).abs() < 1e-9 && (y + 3.0).abs() < 1e-9);
        }
        assert!(matches!(
            Homography::from(Affine::scale(0.0, 1.0)).inverse(),
            Err(Error::Singular { .. })
        ));
        Ok(())
    }

    #[test]
    fn maps_keep_the_form() -> Result<()> {
        let a = Affine::translate(1.0, 2.0);
        assert_eq!(Homography::from(a).to_map(), Map::Affine(a));
        let p = kite()?;
        assert_eq!(Homography::from(p).to_map(), Map::Projective(p));
        assert_eq!(Homography::from(a).to_projective(), Projective::from(a));
        Ok(())
    }
}
