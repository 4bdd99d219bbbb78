//! Parameters that are fixed or drawn at random for each image.

use crate::error::{Error, Result};
use rand::{Rng, RngExt};
use std::ops::RangeInclusive;

/// A number given once, or drawn uniformly from a range for each image.
///
/// ```
/// use augment::Param;
/// assert_eq!(Param::from(3.0), Param::Fixed(3.0));
/// assert_eq!(Param::from(-10.0..=10.0), Param::Uniform(-10.0, 10.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Param {
    /// Always this value.
    Fixed(f64),
    /// Uniform in `[low, high]`.
    Uniform(f64, f64),
}

impl From<f64> for Param {
    fn from(v: f64) -> Self {
        Param::Fixed(v)
    }
}

impl From<RangeInclusive<f64>> for Param {
    fn from(r: RangeInclusive<f64>) -> Self {
        let (low, high) = r.into_inner();
        if low == high {
            Param::Fixed(low)
        } else {
            Param::Uniform(low, high)
        }
    }
}

impl std::fmt::Display for Param {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Param::Fixed(v) => write!(f, "{v}"),
            Param::Uniform(a, b) => write!(f, "{a}..={b}"),
        }
    }
}

impl Param {
    /// The smallest and largest value it can take.
    pub fn bounds(&self) -> (f64, f64) {
        match *self {
            Param::Fixed(v) => (v, v),
            Param::Uniform(a, b) => (a, b),
        }
    }

    /// A value for one image. Fixed values draw nothing, so adding a fixed
    /// parameter does not shift the random draws of the steps after it.
    pub fn draw<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match *self {
            Param::Fixed(v) => v,
            Param::Uniform(a, b) => a + (b - a) * rng.random::<f64>(),
        }
    }

    /// Error unless both bounds are finite, ordered and within `[min, max]`.
    pub(crate) fn check(
        &self,
        transform: &'static str,
        parameter: &'static str,
        min: f64,
        max: f64,
        expected: &'static str,
    ) -> Result<()> {
        let (a, b) = self.bounds();
        let ok = a.is_finite() && b.is_finite() && a <= b && a >= min && b <= max;
        if ok {
            Ok(())
        } else {
            Err(Error::InvalidParameter {
                transform,
                parameter,
                value: self.to_string(),
                expected,
            })
        }
    }
}

/// Error unless `p` is a probability.
pub(crate) fn check_probability(transform: &'static str, p: f64) -> Result<()> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            transform,
            parameter: "p",
            value: p.to_string(),
            expected: "a probability in 0..=1",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn uniform_draws_stay_in_range_and_fixed_draws_nothing() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let p = Param::Uniform(-2.0, 3.0);
        for _ in 0..1000 {
            let v = p.draw(&mut rng);
            assert!((-2.0..=3.0).contains(&v));
        }
        let mut a = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let b = a.clone();
        assert_eq!(Param::Fixed(4.0).draw(&mut a), 4.0);
        assert_eq!(a, b, "a fixed parameter must not consume randomness");
    }

    #[test]
    fn check_rejects_nan_reversed_and_out_of_range() {
        let check = |p: Param| p.check("t", "x", -1.0, 1.0, "in -1..=1");
        assert!(check(Param::Uniform(-0.5, 0.5)).is_ok());
        assert!(check(Param::Uniform(0.5, -0.5)).is_err());
        assert!(check(Param::Fixed(f64::NAN)).is_err());
        assert!(check(Param::Fixed(2.0)).is_err());
        assert!(check_probability("t", 1.5).is_err());
        assert!(check_probability("t", f64::NAN).is_err());
    }
}
