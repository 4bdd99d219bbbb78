//! The FFT path of separable convolution: each padded row (or column) is
//! circularly convolved with the kernel by FFT.
//!
//! A row of `w` pixels padded by the kernel radius `r` each side (by the
//! padding rule, exactly as the direct path pads it) has `w + 2r` values;
//! convolving it circularly at any length `n >= w + 2r` leaves the `w`
//! outputs the direct pass computes free of wrap-around. For `Wrap` this is
//! exactly circular convolution of the image. Two real signals share one
//! complex FFT (`z = a + i·b`; the kernel is real, so the product's real and
//! imaginary parts are the two convolutions), which costs the same as a real
//! FFT each.
//!
//! RustFFT's algorithms differ by instruction set, so the planner follows
//! the requested [`Isa`]: scalar planner for [`Isa::Scalar`] (the same bits
//! on every machine), AVX for AVX2/AVX-512, NEON for NEON. The result is
//! within float noise of the direct path, not bit-identical to it.

use crate::kernel::lock;
use crate::separable::Axis;
use geom::{Element, ImageView, ImageViewMut, Isa, Padding};
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner, FftPlannerAvx, FftPlannerNeon, FftPlannerScalar};
use std::sync::{Arc, Mutex};

type C = Complex<f32>;

/// Signal pairs transformed per call (keeps the working set in L2).
const PAIRS: usize = 8;

/// Forward and inverse transforms of one length.
struct Plan {
    n: usize,
    forward: Arc<dyn Fft<f32>>,
    inverse: Arc<dyn Fft<f32>>,
}

impl Plan {
    fn scratch_len(&self) -> usize {
        self.forward
            .get_inplace_scratch_len()
            .max(self.inverse.get_inplace_scratch_len())
    }

    /// The spectrum of `kernel` (length `L`) reversed at `0 .. L`, scaled by
    /// `1/n`, so that `ifft(fft(z) · spectrum)[x + L - 1] = Σ_t k[t] · z[x + t]`.
    fn kernel_spectrum(&self, kernel: &[f32]) -> Vec<C> {
        let mut g = vec![C::new(0.0, 0.0); self.n];
        for (m, &w) in kernel.iter().rev().enumerate() {
            g[m] = C::new(w, 0.0);
        }
        let mut scratch = vec![C::new(0.0, 0.0); self.forward.get_inplace_scratch_len()];
        self.forward.process_with_scratch(&mut g, &mut scratch);
        let scale = 1.0 / self.n as f32;
        for v in &mut g {
            *v *= scale;
        }
        g
    }

    /// Transforms `buffer` (whole segments of length `n`), multiplies each by
    /// `spectrum` and transforms back.
    fn convolve(&self, buffer: &mut [C], spectrum: &[C], scratch: &mut [C]) {
        self.forward.process_with_scratch(buffer, scratch);
        for segment in buffer.chunks_exact_mut(self.n) {
            for (z, g) in segment.iter_mut().zip(spectrum) {
                *z *= *g;
            }
        }
        self.inverse.process_with_scratch(buffer, scratch);
    }
}

/// Plans kept (per length and ISA); a planner's own cache would grow with
/// every new image size, so each plan gets a fresh planner and only the
/// last few plans are kept.
const PLAN_CACHE_CAPACITY: usize = 8;

type PlanCache = Vec<((Isa, usize), Arc<Plan>)>;
static PLANS: Mutex<PlanCache> = Mutex::new(Vec::new());

fn plan(isa: Isa, n: usize) -> Arc<Plan> {
    let key = (isa, n);
    let mut cache = lock(&PLANS);
    if let Some(pos) = cache.iter().position(|(k, _)| *k == key) {
        let entry = cache.remove(pos);
        let plan = entry.1.clone();
        cache.push(entry);
        return plan;
    }
    let (forward, inverse) = match isa {
        Isa::Avx2 | Isa::Avx512 if isa.is_available() => match FftPlannerAvx::<f32>::new() {
            Ok(mut p) => (p.plan_fft_forward(n), p.plan_fft_inverse(n)),
            Err(()) => {
                let mut p = FftPlanner::<f32>::new();
                (p.plan_fft_forward(n), p.plan_fft_inverse(n))
            }
        },
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
    let plan = Arc::new(Plan {
        n,
        forward,
        inverse,
    });
    if cache.len() >= PLAN_CACHE_CAPACITY {
        cache.remove(0);
    }
    cache.push((key, plan.clone()));
    plan
}

/// The smallest `2^a 3^b 5^c 7^d >= n`: lengths RustFFT handles with its
/// fast butterflies.
pub(crate) fn good_size(n: usize) -> usize {
    let smooth = |mut m: usize| {
        for p in [2, 3, 5, 7] {
            while m.is_multiple_of(p) {
                m /= p;
            }
        }
        m == 1
    };
    (n.max(1)..).find(|&m| smooth(m)).unwrap_or(n)
}

/// Horizontal pass by FFT: `out` (height rows of `width * channels`) gets
/// the horizontal pass of every source row.
pub(crate) fn horizontal<T: Element>(
    isa: Isa,
    src: ImageView<'_, T>,
    axis: Axis<'_>,
    padding: Padding,
    out: &mut [f32],
) {
    let (w, h, c) = (src.width(), src.height(), src.channels());
    let shift = axis.weights.len() - 1;
    let len = w + shift;
    let plan = plan(isa, good_size(len));
    let n = plan.n;
    let spectrum = plan.kernel_spectrum(axis.weights);
    let map = crate::rows::axis_map(padding, w, axis.before, axis.after());
    let fill = padding.constant().unwrap_or(0.0);
    let row_len = w * c;
    let mut buffer = vec![C::new(0.0, 0.0); PAIRS * n];
    let mut scratch = vec![C::new(0.0, 0.0); plan.scratch_len()];
    let signals = h * c;
    let signal = |s: usize, i: usize| -> f32 {
        let (y, ch) = (s / c, s % c);
        match map[i] {
            Some(x) => src.row(y)[x * c + ch].to_f32(),
            None => fill,
        }
    };
    let mut first = 0;
    while first < signals {
        let count = (signals - first).min(2 * PAIRS);
        let pairs = count.div_ceil(2);
        let buffer = &mut buffer[..pairs * n];
        for (p, segment) in buffer.chunks_exact_mut(n).enumerate() {
            let a = first + 2 * p;
            let b = (2 * p + 1 < count).then_some(a + 1);
            for (i, z) in segment[..len].iter_mut().enumerate() {
                *z = C::new(signal(a, i), b.map_or(0.0, |b| signal(b, i)));
            }
            segment[len..].fill(C::new(0.0, 0.0));
        }
        plan.convolve(buffer, &spectrum, &mut scratch);
        for (p, segment) in buffer.chunks_exact(n).enumerate() {
            let valid = &segment[shift..shift + w];
            for (s, part) in [(first + 2 * p, 0), (first + 2 * p + 1, 1)] {
                if s >= first + count {
                    continue;
                }
                let (y, ch) = (s / c, s % c);
                let row = &mut out[y * row_len..(y + 1) * row_len];
                for (x, z) in valid.iter().enumerate() {
                    row[x * c + ch] = if part == 0 { z.re } else { z.im };
                }
            }
        }
        first += count;
    }
}

/// Vertical pass by FFT: `inter` holds `height` horizontal-pass rows of
/// `row_len` values followed by the constant row (used for reads the padding
/// maps to the constant); writes `dst`.
pub(crate) fn vertical<T: Element>(
    isa: Isa,
    inter: &[f32],
    row_len: usize,
    axis: Axis<'_>,
    padding: Padding,
    mut dst: ImageViewMut<'_, T>,
) {
    let h = dst.height();
    let shift = axis.weights.len() - 1;
    let len = h + shift;
    let plan = plan(isa, good_size(len));
    let n = plan.n;
    let spectrum = plan.kernel_spectrum(axis.weights);
    let keys: Vec<usize> = (0..len)
        .map(|p| crate::rows::row_key(padding, p, axis.before, h))
        .collect();
    let mut buffer = vec![C::new(0.0, 0.0); PAIRS * n];
    let mut scratch = vec![C::new(0.0, 0.0); plan.scratch_len()];
    let mut e0 = 0;
    while e0 < row_len {
        let cols = (row_len - e0).min(2 * PAIRS);
        let pairs = cols.div_ceil(2);
        let buffer = &mut buffer[..pairs * n];
        for (i, &key) in keys.iter().enumerate() {
            let values = &inter[key * row_len + e0..key * row_len + e0 + cols];
            for (p, pair) in values.chunks(2).enumerate() {
                buffer[p * n + i] = C::new(pair[0], pair.get(1).copied().unwrap_or(0.0));
            }
        }
        for segment in buffer.chunks_exact_mut(n) {
            segment[len..].fill(C::new(0.0, 0.0));
        }
        plan.convolve(buffer, &spectrum, &mut scratch);
        for y in 0..h {
            let row = &mut dst.row_mut(y)[e0..e0 + cols];
            for (p, pair) in row.chunks_mut(2).enumerate() {
                let z = buffer[p * n + y + shift];
                pair[0] = T::from_f32(z.re);
                if let Some(second) = pair.get_mut(1) {
                    *second = T::from_f32(z.im);
                }
            }
        }
        e0 += cols;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_sizes_are_smooth_and_close() {
        assert_eq!(good_size(1), 1);
        assert_eq!(good_size(1204), 1215);
        assert_eq!(good_size(1025), 1029);
        assert_eq!(good_size(11), 12);
        for n in 1..3000 {
            let g = good_size(n);
            assert!(g >= n && g < n + n / 8 + 2, "{n} -> {g}");
        }
    }
}
