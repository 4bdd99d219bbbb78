//! 1-D kernel weights: validation, the Gaussian, and the bounded cache of
//! Gaussian kernels.

use crate::cache::recent;
use crate::error::{Error, Result};
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Mutex};

/// Largest distance, in pixels, a kernel may reach from its centre. Keeps
/// every buffer a filter allocates proportional to the image (plus at most
/// this many pixels of padding per side), whatever σ or length is asked for.
/// `ceil(3σ)` stays within it up to σ ≈ 5461.
pub const MAX_RADIUS: usize = 1 << 14;

/// A 1-D convolution kernel: an odd number of finite weights, centred on the
/// middle one. `out[x] = Σ_t w[t] · in[x + t - radius]` (correlation, as in
/// OpenCV's `filter2D`; for symmetric kernels the same as convolution).
///
/// Cheap to clone (the weights are shared).
///
/// ```
/// let k = filter::Kernel::new(vec![0.25, 0.5, 0.25])?;
/// assert_eq!((k.len(), k.radius()), (3, 1));
/// # Ok::<(), filter::Error>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct Kernel {
    weights: Arc<[f32]>,
}

impl fmt::Debug for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Kernel").field(&&*self.weights).finish()
    }
}

impl Kernel {
    /// Checks the weights: odd length, radius at most [`MAX_RADIUS`], all finite.
    pub fn new(weights: impl Into<Vec<f32>>) -> Result<Kernel> {
        let weights: Vec<f32> = weights.into();
        check_weights("kernel", &weights)?;
        Ok(Kernel {
            weights: weights.into(),
        })
    }

    /// The weights, left to right.
    #[inline]
    pub fn weights(&self) -> &[f32] {
        &self.weights
    }

    /// Taps on each side of the centre: `(len - 1) / 2`.
    #[inline]
    pub fn radius(&self) -> usize {
        self.weights.len() / 2
    }
}

impl Deref for Kernel {
    type Target = [f32];
    #[inline]
    fn deref(&self) -> &[f32] {
        &self.weights
    }
}

impl AsRef<[f32]> for Kernel {
    #[inline]
    fn as_ref(&self) -> &[f32] {
        &self.weights
    }
}

/// Checks 1-D kernel weights: odd length, radius within [`MAX_RADIUS`], finite.
pub(crate) fn check_weights(what: &'static str, weights: &[f32]) -> Result<()> {
    if weights.len().is_multiple_of(2) {
        return Err(Error::KernelLength {
            what,
            len: weights.len(),
        });
    }
    if weights.len() / 2 > MAX_RADIUS {
        return Err(Error::RadiusTooLarge {
            what,
            value: weights.len() as f64,
            radius: (weights.len() / 2) as u64,
            max: MAX_RADIUS,
        });
    }
    if let Some((index, &value)) = weights.iter().enumerate().find(|(_, w)| !w.is_finite()) {
        return Err(Error::NonFiniteWeight { what, index, value });
    }
    Ok(())
}

/// Checks that a σ is finite and positive.
pub(crate) fn check_sigma(what: &'static str, sigma: f32) -> Result<()> {
    if sigma.is_finite() && sigma > 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            what,
            value: f64::from(sigma),
            expected: "a finite number greater than 0",
        })
    }
}

/// The radius a Gaussian of standard deviation `sigma` gets when none is
/// given: `ceil(3σ)`, which keeps 99.7 % of the mass (saturates for huge or
/// non-finite σ, which [`gaussian_kernel`] rejects).
///
/// ```
/// assert_eq!(filter::default_radius(1.0), 3);
/// assert_eq!(filter::default_radius(0.4), 2);
/// ```
pub fn default_radius(sigma: f32) -> usize {
    (3.0 * f64::from(sigma)).ceil() as usize
}

/// The radius for `sigma`, checked against [`MAX_RADIUS`].
pub(crate) fn gaussian_radius(
    what: &'static str,
    sigma: f32,
    radius: Option<usize>,
) -> Result<usize> {
    check_sigma(what, sigma)?;
    let (what, value, radius) = match radius {
        Some(r) => ("radius", r as f64, r),
        None => (what, f64::from(sigma), default_radius(sigma)),
    };
    if radius > MAX_RADIUS {
        return Err(Error::RadiusTooLarge {
            what,
            value,
            radius: radius as u64,
            max: MAX_RADIUS,
        });
    }
    Ok(radius)
}

/// The sampled Gaussian `exp(-x² / (2σ²))` for `x = -radius ..= radius`,
/// normalised to sum 1 (in `f64`, then rounded to `f32`). `radius` defaults
/// to [`default_radius`]`(sigma)`.
///
/// Kernels are cached per distinct `(σ, radius)`: the last
/// [`KERNEL_CACHE_CAPACITY`] are kept, so random σ cannot grow the cache.
///
/// ```
/// let k = filter::gaussian_kernel(1.0, None)?;
/// assert_eq!(k.len(), 7);
/// assert!((k.iter().sum::<f32>() - 1.0).abs() < 1e-6);
/// assert_eq!(k[0], k[6]);
/// # Ok::<(), filter::Error>(())
/// ```
pub fn gaussian_kernel(sigma: f32, radius: Option<usize>) -> Result<Kernel> {
    let radius = gaussian_radius("sigma", sigma, radius)?;
    let key = (sigma.to_bits(), radius);
    Ok(recent(&KERNELS, KERNEL_CACHE_CAPACITY, key, || Kernel {
        weights: sampled_gaussian(sigma, radius).into(),
    }))
}

/// How many Gaussian kernels [`gaussian_kernel`] keeps.
pub const KERNEL_CACHE_CAPACITY: usize = 32;

type KernelCache = Vec<((u32, usize), Kernel)>;
static KERNELS: Mutex<KernelCache> = Mutex::new(Vec::new());

fn sampled_gaussian(sigma: f32, radius: usize) -> Vec<f32> {
    let sigma = f64::from(sigma);
    // (x / σ)² rather than x² / σ²: stays 0 at the centre even when σ² underflows.
    let raw: Vec<f64> = (0..2 * radius + 1)
        .map(|i| {
            let z = (i as f64 - radius as f64) / sigma;
            (-0.5 * z * z).exp()
        })
        .collect();
    let sum: f64 = raw.iter().sum();
    raw.iter().map(|w| (w / sum) as f32).collect()
}

#[cfg(test)]
pub(crate) fn cached_kernels() -> usize {
    crate::cache::lock(&KERNELS).len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_stays_bounded_and_reuses_kernels() -> Result<()> {
        for i in 0..500 {
            gaussian_kernel(0.5 + i as f32 * 0.013, None)?;
        }
        assert!(cached_kernels() <= KERNEL_CACHE_CAPACITY);
        let a = gaussian_kernel(2.5, None)?;
        let b = gaussian_kernel(2.5, None)?;
        assert!(Arc::ptr_eq(&a.weights, &b.weights));
        let c = gaussian_kernel(2.5, Some(4))?;
        assert!(!Arc::ptr_eq(&a.weights, &c.weights));
        assert_eq!(c.len(), 9);
        Ok(())
    }

    #[test]
    fn tiny_sigma_is_the_identity() -> Result<()> {
        let k = gaussian_kernel(1e-30, None)?;
        assert_eq!(k.weights(), &[0.0, 1.0, 0.0]);
        Ok(())
    }
}
