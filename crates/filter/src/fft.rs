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
use crate::kernels;
use crate::separable::Axis;
use geom::{Element, ImageView, ImageViewMut, Isa, Padding};
use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner, FftPlannerAvx, FftPlannerNeon, FftPlannerScalar};
use std::sync::{Arc, Mutex};

type C = Complex<f32>;

/// Signal pairs transformed per call (keeps the working set in L2).
const PAIRS: usize = 32;

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

/// Horizontal pass by FFT: calls `emit(y, row)` with the horizontal pass of
/// every source row, in order. Rows go in pairs, channel by channel: row `y`
/// as the real part, row `y + 1` as the imaginary part.
pub(crate) fn horizontal<T: Element>(
    isa: Isa,
    src: ImageView<'_, T>,
    axis: Axis<'_>,
    padding: Padding,
    mut emit: impl FnMut(usize, &[f32]),
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
    let mut buffer = vec![C::new(0.0, 0.0); c * n];
    let mut scratch = vec![C::new(0.0, 0.0); plan.scratch_len()];
    let (mut first, mut second) = (vec![0.0f32; len * c], vec![0.0f32; len * c]);
    let (mut top, mut bottom) = (vec![0.0f32; row_len], vec![0.0f32; row_len]);
    for y in (0..h).step_by(2) {
        kernels::pad_row(isa, src.row(y), c, &map, axis.before, fill, &mut first);
        if y + 1 < h {
            kernels::pad_row(isa, src.row(y + 1), c, &map, axis.before, fill, &mut second);
        }
        for (ch, segment) in buffer.chunks_exact_mut(n).enumerate() {
            let (head, tail) = segment.split_at_mut(len);
            for ((z, a), b) in head
                .iter_mut()
                .zip(first[ch..].iter().step_by(c))
                .zip(second[ch..].iter().step_by(c))
            {
                *z = C::new(*a, *b);
            }
            tail.fill(C::new(0.0, 0.0));
        }
        plan.convolve(&mut buffer, &spectrum, &mut scratch);
        for (ch, segment) in buffer.chunks_exact(n).enumerate() {
            let valid = &segment[shift..shift + w];
            for ((a, b), z) in top[ch..]
                .iter_mut()
                .step_by(c)
                .zip(bottom[ch..].iter_mut().step_by(c))
                .zip(valid)
            {
                *a = z.re;
                *b = z.im;
            }
        }
        emit(y, &top);
        if y + 1 < h {
            emit(y + 1, &bottom);
        }
    }
}

/// Columns of the intermediate handed to [`vertical`]: `rows` rows (the
/// source rows, then the constant row) stored in blocks of [`BLOCK`]
/// columns, so that reading one block down the image is sequential.
pub(crate) struct Columns {
    data: Vec<f32>,
    rows: usize,
    row_len: usize,
}

/// Columns per block of [`Columns`]: the signals transformed together.
const BLOCK: usize = 2 * PAIRS;

impl Columns {
    pub(crate) fn new(row_len: usize, rows: usize) -> Self {
        Columns {
            data: vec![0.0; row_len.div_ceil(BLOCK) * BLOCK * rows],
            rows,
            row_len,
        }
    }

    /// Stores row `key`.
    pub(crate) fn put(&mut self, key: usize, values: &[f32]) {
        for (b, chunk) in values[..self.row_len].chunks(BLOCK).enumerate() {
            let start = (b * self.rows + key) * BLOCK;
            self.data[start..start + chunk.len()].copy_from_slice(chunk);
        }
    }

    /// Block `b`: `rows` runs of `BLOCK` values.
    fn block(&self, b: usize) -> &[f32] {
        &self.data[b * self.rows * BLOCK..(b + 1) * self.rows * BLOCK]
    }
}

/// Vertical pass by FFT: `columns` holds the horizontal pass of every
/// source row and then of the constant row (used for reads the padding maps
/// to the constant); writes `dst`.
pub(crate) fn vertical<T: Element>(
    isa: Isa,
    columns: &Columns,
    axis: Axis<'_>,
    padding: Padding,
    mut dst: ImageViewMut<'_, T>,
) {
    let (h, row_len) = (dst.height(), columns.row_len);
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
    let mut values = [0.0f32; BLOCK];
    for b in 0..row_len.div_ceil(BLOCK) {
        let e0 = b * BLOCK;
        let cols = (row_len - e0).min(BLOCK);
        let pairs = cols.div_ceil(2);
        let buffer = &mut buffer[..pairs * n];
        let block = columns.block(b);
        for (i, &key) in keys.iter().enumerate() {
            let row = &block[key * BLOCK..key * BLOCK + cols];
            for (p, pair) in row.chunks(2).enumerate() {
                buffer[p * n + i] = C::new(pair[0], pair.get(1).copied().unwrap_or(0.0));
            }
        }
        for segment in buffer.chunks_exact_mut(n) {
            segment[len..].fill(C::new(0.0, 0.0));
        }
        plan.convolve(buffer, &spectrum, &mut scratch);
        for y in 0..h {
            for (p, pair) in values[..cols].chunks_mut(2).enumerate() {
                let z = buffer[p * n + y + shift];
                pair[0] = z.re;
                if let Some(second) = pair.get_mut(1) {
                    *second = z.im;
                }
            }
            kernels::store_row(&values[..cols], &mut dst.row_mut(y)[e0..e0 + cols]);
        }
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
