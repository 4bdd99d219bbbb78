//! FFT plans per length and instruction set, kernel spectra, and the
//! pointwise product of a transformed signal with a spectrum.

use crate::cache::recent;
use crate::kernels;
use geom::Isa;
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner, FftPlannerAvx, FftPlannerNeon, FftPlannerScalar};
use std::sync::{Arc, Mutex};

/// One complex value of a transform.
pub(crate) type C = Complex<f32>;

/// Forward and inverse transforms of one length.
pub(crate) struct Plan {
    pub(crate) n: usize,
    forward: Arc<dyn Fft<f32>>,
    inverse: Arc<dyn Fft<f32>>,
}

impl Plan {
    pub(crate) fn scratch_len(&self) -> usize {
        self.forward
            .get_inplace_scratch_len()
            .max(self.inverse.get_inplace_scratch_len())
    }

    /// The spectrum of `kernel` (taps `t = 0 .. L`, `before` of them ahead
    /// of the centre) placed at `(before - t) mod n` and scaled by `1/n`, so
    /// that `ifft(fft(z) · spectrum)[x + before] = Σ_t k[t] · z[x + t]`.
    /// A symmetric, centred kernel is then even about 0 and its spectrum
    /// real: the imaginary parts (rounding noise) are dropped and the
    /// product takes two multiplications per point instead of six.
    pub(crate) fn kernel_spectrum(&self, kernel: &[f32], before: usize) -> Spectrum {
        let n = self.n;
        let mut g = vec![C::new(0.0, 0.0); n];
        for (t, &w) in kernel.iter().enumerate() {
            g[(before + n - t) % n] = C::new(w, 0.0);
        }
        let mut scratch = vec![C::new(0.0, 0.0); self.forward.get_inplace_scratch_len()];
        self.forward.process_with_scratch(&mut g, &mut scratch);
        let scale = 1.0 / n as f32;
        let symmetric = 2 * before + 1 == kernel.len() && kernel.iter().eq(kernel.iter().rev());
        if symmetric {
            Spectrum::Real(g.iter().map(|v| v.re * scale).collect())
        } else {
            Spectrum::Complex(g.iter().map(|v| v * scale).collect())
        }
    }

    /// Transforms `buffer` (whole segments of length `n`), multiplies each by
    /// `spectrum` and transforms back.
    pub(crate) fn convolve(
        &self,
        isa: Isa,
        buffer: &mut [C],
        spectrum: &Spectrum,
        scratch: &mut [C],
    ) {
        self.forward.process_with_scratch(buffer, scratch);
        kernels::on_isa(
            isa,
            #[inline(always)]
            || multiply(buffer, self.n, spectrum),
        );
        self.inverse.process_with_scratch(buffer, scratch);
    }
}

/// Multiplies each segment (length `n`) of `buffer` by `spectrum`; always
/// inlined, so [`kernels::on_isa`] compiles it for the path's instruction
/// set (a closure body the compiler keeps out of line gets the baseline).
#[inline(always)]
fn multiply(buffer: &mut [C], n: usize, spectrum: &Spectrum) {
    for segment in buffer.chunks_exact_mut(n) {
        match spectrum {
            Spectrum::Real(g) => {
                for (z, &g) in segment.iter_mut().zip(g) {
                    *z = C::new(z.re * g, z.im * g);
                }
            }
            Spectrum::Complex(g) => {
                for (z, g) in segment.iter_mut().zip(g) {
                    *z *= *g;
                }
            }
        }
    }
}

/// A kernel's spectrum: real for a symmetric, centred kernel.
pub(crate) enum Spectrum {
    Real(Vec<f32>),
    Complex(Vec<C>),
}

/// Plans kept (per length and ISA); a planner's own cache would grow with
/// every new image size, so each plan gets a fresh planner and only the
/// last few plans are kept.
const PLAN_CACHE_CAPACITY: usize = 8;

type PlanCache = Vec<((Isa, usize), Arc<Plan>)>;
static PLANS: Mutex<PlanCache> = Mutex::new(Vec::new());

/// The plan for length `n` on the `isa` path, from the cache or made.
pub(crate) fn plan(isa: Isa, n: usize) -> Arc<Plan> {
    recent(&PLANS, PLAN_CACHE_CAPACITY, (isa, n), || make_plan(isa, n))
}

/// A plan for length `n` on the `isa` path, with a fresh planner.
fn make_plan(isa: Isa, n: usize) -> Arc<Plan> {
    let (forward, inverse) = match isa {
        Isa::Avx2 | Isa::Avx512 | Isa::Avx512Vbmi if isa.is_available() => {
            match FftPlannerAvx::<f32>::new() {
                Ok(mut p) => (p.plan_fft_forward(n), p.plan_fft_inverse(n)),
                Err(()) => {
                    let mut p = FftPlanner::<f32>::new();
                    (p.plan_fft_forward(n), p.plan_fft_inverse(n))
                }
            }
        }
        Isa::Neon if isa.is_available() => match FftPlannerNeon::<f32>::new() {
            Ok(mut p) => (p.plan_fft_forward(n), p.plan_fft_inverse(n)),
            Err(()) => {
                let mut p = FftPlannerScalar::<f32>::new();
                (p.plan_fft_forward(n), p.plan_fft_inverse(n))
            }
        },
        _ => {
            let mut p = FftPlannerScalar::<f32>::new();
            (p.plan_fft_forward(n), p.plan_fft_inverse(n))
        }
    };
    Arc::new(Plan {
        n,
        forward,
        inverse,
    })
}

/// The length `>= n` that RustFFT's AVX planner transforms fastest, by a
/// model fitted to its timings on the project's Xeon (lengths 200-4400):
/// `m·log2(m)`, plus 3 % per factor 3, 5 % per factor 5 and 10 % more per
/// factor 5 after the first, over lengths `2^a 3^b 5^c` with at least as
/// many factors 2 as 3s and 5s together. A power of two often wins over a
/// shorter length: 1024 points took 0.82 µs against 0.94 for 960 and 1.38
/// for 1000. Over every `n` from 200 to 4000 the model's choice averages
/// 1 % above the fastest candidate (17 % at worst); the smallest smooth
/// length, the rule before, averaged 6 % above (68 % at worst).
pub(crate) fn good_size(n: usize) -> usize {
    let n = n.max(1);
    let mut best: Option<(f64, usize)> = None;
    for m in n.. {
        let work = m as f64 * (m as f64).log2().max(1.0);
        if best.is_some_and(|(cost, _)| work >= cost) {
            break;
        }
        if let Some([a, b, c]) = smooth_factors(m)
            && a >= b + c
        {
            let (b, c) = (f64::from(b), f64::from(c));
            let cost = work * (1.0 + 0.03 * b + 0.05 * c + 0.1 * (c - 1.0).max(0.0));
            if best.is_none_or(|(least, _)| cost < least) {
                best = Some((cost, m));
            }
        }
    }
    best.map_or(n, |(_, m)| m)
}

/// The exponents `[a, b, c]` of `m = 2^a 3^b 5^c`, if `m` has no other
/// prime factor.
pub(crate) fn smooth_factors(m: usize) -> Option<[u32; 3]> {
    let mut count = [0u32; 3];
    let mut rest = m;
    for (k, p) in [2, 3, 5].into_iter().enumerate() {
        while rest.is_multiple_of(p) {
            rest /= p;
            count[k] += 1;
        }
    }
    (rest == 1).then_some(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_sizes_are_smooth_and_close() {
        assert_eq!(good_size(0), 1);
        assert_eq!(good_size(1), 1);
        assert_eq!(good_size(11), 12);
        // A power of two over a shorter length with factors 3 and 5.
        assert_eq!(good_size(948), 1024);
        assert_eq!(good_size(1000), 1024);
        assert_eq!(good_size(1204), 1280);
        for n in 1..5000 {
            let g = good_size(n);
            let Some([a, b, c]) = smooth_factors(g) else {
                panic!("{n} -> {g}, not 2^a 3^b 5^c");
            };
            assert!(a >= b + c, "{n} -> {g}");
            assert!(g >= n && g <= n + n / 4 + 2, "{n} -> {g}");
        }
    }
}
