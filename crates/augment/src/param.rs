//! Parameters that are fixed or drawn at random for each image.

use crate::error::{Error, Result};
use rand::{Rng, RngExt};
use std::ops::RangeInclusive;

/// A number given once, or drawn for each image from a range.
///
/// In pipeline files (serde) a fixed value is a number, a uniform range a
/// pair `[low, high]`, a log-uniform range `{"log_uniform": [low, high]}`.
///
/// ```
/// use augment::Param;
/// assert_eq!(Param::from(3.0), Param::Fixed(3.0));
/// assert_eq!(Param::from(-10.0..=10.0), Param::Uniform(-10.0, 10.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(into = "ParamRepr")]
pub enum Param {
    /// Always this value.
    Fixed(f64),
    /// Uniform in `[low, high]`.
    Uniform(f64, f64),
    /// Log-uniform in `[low, high]` (both positive): as likely to halve as to
    /// double, the way torchvision draws aspect ratios and fastai contrast.
    LogUniform(f64, f64),
}

/// How a [`Param`] is written in pipeline files.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum ParamRepr {
    Fixed(f64),
    Uniform([f64; 2]),
    LogUniform(LogUniformRepr),
}

#[derive(serde::Serialize)]
struct LogUniformRepr {
    log_uniform: [f64; 2],
}

/// Reading by hand rather than through an untagged enum, so a bad value
/// gets a message that says which forms are allowed (an untagged enum
/// only says that no variant matched).
impl<'de> serde::Deserialize<'de> for Param {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Param, D::Error> {
        d.deserialize_any(ParamVisitor)
    }
}

struct ParamVisitor;

impl<'de> serde::de::Visitor<'de> for ParamVisitor {
    type Value = Param;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a number, a range [low, high], or {log_uniform = [low, high]}")
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<Param, E> {
        Ok(Param::Fixed(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<Param, E> {
        Ok(Param::Fixed(v as f64))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<Param, E> {
        Ok(Param::Fixed(v as f64))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        seq: A,
    ) -> std::result::Result<Param, A::Error> {
        let [a, b] = read_pair(seq)?;
        Ok(Param::Uniform(a, b))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Param, A::Error> {
        use serde::de::Error as _;
        const FIELDS: &[&str] = &["log_uniform"];
        let Some(key) = map.next_key::<String>()? else {
            return Err(A::Error::missing_field("log_uniform"));
        };
        if key != "log_uniform" {
            return Err(A::Error::unknown_field(&key, FIELDS));
        }
        let [a, b] = map.next_value::<Pair>()?.0;
        if let Some(extra) = map.next_key::<String>()? {
            return Err(A::Error::unknown_field(&extra, &[]));
        }
        Ok(Param::LogUniform(a, b))
    }
}

/// Exactly two numbers.
struct Pair([f64; 2]);

impl<'de> serde::Deserialize<'de> for Pair {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Pair, D::Error> {
        struct PairVisitor;
        impl<'de> serde::de::Visitor<'de> for PairVisitor {
            type Value = Pair;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a pair of numbers [low, high]")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> std::result::Result<Pair, A::Error> {
                read_pair(seq).map(Pair)
            }
        }
        d.deserialize_seq(PairVisitor)
    }
}

/// Two numbers from `seq`, and no more.
fn read_pair<'de, A: serde::de::SeqAccess<'de>>(
    mut seq: A,
) -> std::result::Result<[f64; 2], A::Error> {
    use serde::de::Error as _;
    let expected = &"a pair of numbers [low, high]";
    let a = seq
        .next_element::<f64>()?
        .ok_or_else(|| A::Error::invalid_length(0, expected))?;
    let b = seq
        .next_element::<f64>()?
        .ok_or_else(|| A::Error::invalid_length(1, expected))?;
    if seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
        return Err(A::Error::invalid_length(3, expected));
    }
    Ok([a, b])
}

impl From<Param> for ParamRepr {
    fn from(p: Param) -> Self {
        match p {
            Param::Fixed(v) => ParamRepr::Fixed(v),
            Param::Uniform(a, b) => ParamRepr::Uniform([a, b]),
            Param::LogUniform(a, b) => ParamRepr::LogUniform(LogUniformRepr {
                log_uniform: [a, b],
            }),
        }
    }
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
            Param::LogUniform(a, b) => write!(f, "log-uniform {a}..={b}"),
        }
    }
}

impl Param {
    /// The smallest and largest value it can take.
    pub fn bounds(&self) -> (f64, f64) {
        match *self {
            Param::Fixed(v) => (v, v),
            Param::Uniform(a, b) | Param::LogUniform(a, b) => (a, b),
        }
    }

    /// A value for one image. Fixed values draw nothing, so adding a fixed
    /// parameter does not shift the random draws of the steps after it.
    pub fn draw<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match *self {
            Param::Fixed(v) => v,
            Param::Uniform(a, b) => a + (b - a) * rng.random::<f64>(),
            Param::LogUniform(a, b) => {
                let (la, lb) = (a.ln(), b.ln());
                (la + (lb - la) * rng.random::<f64>()).exp().clamp(a, b)
            }
        }
    }

    /// A whole number for one image, each of `ceil(low)..=floor(high)`
    /// equally likely (rounding a uniform draw would halve the ends' odds).
    pub(crate) fn draw_count<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        let (a, b) = self.bounds();
        let (lo, hi) = (a.ceil().max(0.0) as u64, b.floor().max(0.0) as u64);
        if hi <= lo {
            lo
        } else {
            rng.random_range(lo..=hi)
        }
    }

    /// Error unless both bounds are finite, ordered and within `[min, max]`
    /// (and positive for a log-uniform range).
    pub(crate) fn check(
        &self,
        transform: &'static str,
        parameter: &'static str,
        min: f64,
        max: f64,
        expected: &'static str,
    ) -> Result<()> {
        let (a, b) = self.bounds();
        let positive = !matches!(self, Param::LogUniform(..)) || a > 0.0;
        let ok = a.is_finite() && b.is_finite() && a <= b && a >= min && b <= max && positive;
        if ok {
            return Ok(());
        }
        // Reversed bounds are the mistake to name: "finite, within ±3600"
        // for (10, -10) would send the caller looking in the wrong place.
        let expected = if a > b {
            "a range (low, high) with low <= high"
        } else {
            expected
        };
        Err(Error::InvalidParameter {
            transform,
            parameter,
            value: self.to_string(),
            expected,
        })
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
    fn log_uniform_is_symmetric_in_log_space() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let p = Param::LogUniform(0.5, 2.0);
        let draws: Vec<f64> = (0..20_000).map(|_| p.draw(&mut rng)).collect();
        assert!(draws.iter().all(|v| (0.5..=2.0).contains(v)));
        // Half the mass below 1 (the geometric middle), not below 1.25.
        let below = draws.iter().filter(|&&v| v < 1.0).count() as f64 / 20_000.0;
        assert!((below - 0.5).abs() < 0.02, "{below}");
    }

    #[test]
    fn counts_hit_both_ends_equally() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let p = Param::Uniform(1.0, 3.0);
        let mut seen = [0usize; 4];
        for _ in 0..9000 {
            seen[p.draw_count(&mut rng) as usize] += 1;
        }
        assert_eq!(seen[0], 0);
        for n in &seen[1..] {
            assert!((2700..3300).contains(n), "{seen:?}");
        }
    }

    #[test]
    fn check_rejects_nan_reversed_and_out_of_range() {
        let check = |p: Param| p.check("t", "x", -1.0, 1.0, "in -1..=1");
        assert!(check(Param::Uniform(-0.5, 0.5)).is_ok());
        let reversed = check(Param::Uniform(0.5, -0.5)).map_err(|e| e.to_string());
        assert!(
            reversed.as_ref().is_err_and(|e| e.contains("low <= high")),
            "{reversed:?}"
        );
        let outside = check(Param::Uniform(-0.5, 2.0)).map_err(|e| e.to_string());
        assert!(
            outside.as_ref().is_err_and(|e| e.contains("in -1..=1")),
            "{outside:?}"
        );
        assert!(check(Param::Fixed(f64::NAN)).is_err());
        assert!(check(Param::Fixed(2.0)).is_err());
        assert!(check(Param::LogUniform(0.0, 0.5)).is_err());
        assert!(check_probability("t", 1.5).is_err());
        assert!(check_probability("t", f64::NAN).is_err());
    }

    #[test]
    fn file_form_round_trips() -> std::result::Result<(), serde_json::Error> {
        for p in [
            Param::Fixed(2.5),
            Param::Uniform(-1.0, 1.0),
            Param::LogUniform(0.8, 1.25),
        ] {
            let text = serde_json::to_string(&p)?;
            assert_eq!(serde_json::from_str::<Param>(&text)?, p, "{text}");
        }
        assert_eq!(
            serde_json::from_str::<Param>("[-10, 10]")?,
            Param::Uniform(-10.0, 10.0)
        );
        assert!(serde_json::from_str::<Param>(r#"{"log_uniformm": [1, 2]}"#).is_err());
        Ok(())
    }
}
