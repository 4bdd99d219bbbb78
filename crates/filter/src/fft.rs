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

/// Column pairs transformed per call of the vertical pass (keeps the
/// working set in L2).
const PAIRS: usize = 16;

/// Columns per call of the vertical pass.
const BLOCK: usize = 2 * PAIRS;

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

/// The smallest length `>= n` that RustFFT transforms fast: `2^a 3^b 5^c`
/// with at least as many factors 2 as 3s and 5s together. Measured on the
/// AVX planner: such lengths run at about 1.3 ns per point near 1000, while
/// 1215 = 3^5·5 takes 1.8, 1250 = 2·5^4 2.9 and lengths with a factor 7
/// about 3.6.
pub(crate) fn good_size(n: usize) -> usize {
    let fast = |m: usize| {
        let mut count = [0u32; 3];
        let mut rest = m;
        for (k, p) in [2, 3, 5].into_iter().enumerate() {
            while rest.is_multiple_of(p) {
                rest /= p;
                count[k] += 1;
            }
        }
        rest == 1 && count[0] >= count[1] + count[2]
    };
    (n.max(1)..).find(|&m| fast(m)).unwrap_or(n)
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
                .zip(first.chunks_exact(c))
                .zip(second.chunks_exact(c))
            {
                *z = C::new(a[ch], b[ch]);
            }
            tail.fill(C::new(0.0, 0.0));
        }
        plan.convolve(&mut buffer, &spectrum, &mut scratch);
        for (ch, segment) in buffer.chunks_exact(n).enumerate() {
            let valid = &segment[shift..shift + w];
            for ((a, b), z) in top
                .chunks_exact_mut(c)
                .zip(bottom.chunks_exact_mut(c))
                .zip(valid)
            {
                a[ch] = z.re;
                b[ch] = z.im;
            }
        }
        emit(y, &top);
        if y + 1 < h {
            emit(y + 1, &bottom);
        }
    }
}

/// The intermediate handed to [`vertical`], already in the shape the column
/// transforms want: columns `2q` and `2q + 1` as one complex signal down the
/// `rows` rows (the source rows, then the constant row), stored
/// contiguously. Rows arrive in order, so the scattered writes of
/// [`Columns::put`] fill each cache line within a few rows.
pub(crate) struct Columns {
    data: Vec<C>,
    rows: usize,
    row_len: usize,
    /// Rows waiting to be written: consecutive keys from `first`.
    pending: Vec<f32>,
    first: usize,
    count: usize,
}

/// Rows [`Columns`] gathers before writing them out, so each write fills
/// a whole cache line per column pair (and a page is visited once per
/// batch, not once per row).
const BATCH: usize = 8;

impl Columns {
    pub(crate) fn new(row_len: usize, rows: usize) -> Self {
        Columns {
            data: vec![C::new(0.0, 0.0); row_len.div_ceil(2) * rows],
            rows,
            row_len,
            pending: vec![0.0; BATCH * row_len],
            first: 0,
            count: 0,
        }
    }

    /// Stores row `key` (rows are cheapest given in increasing order).
    pub(crate) fn put(&mut self, key: usize, values: &[f32]) {
        if self.count > 0 && key != self.first + self.count {
            self.flush();
        }
        if self.count == 0 {
            self.first = key;
        }
        let at = self.count * self.row_len;
        self.pending[at..at + self.row_len].copy_from_slice(&values[..self.row_len]);
        self.count += 1;
        if self.count == BATCH {
            self.flush();
        }
    }

    /// Writes the pending rows into their column signals.
    fn flush(&mut self) {
        let (first, count, len) = (self.first, self.count, self.row_len);
        for (q, column) in self.data.chunks_exact_mut(self.rows).enumerate() {
            let out = &mut column[first..first + count];
            for (z, row) in out.iter_mut().zip(self.pending.chunks_exact(len)) {
                let im = if 2 * q + 1 < len { row[2 * q + 1] } else { 0.0 };
                *z = C::new(row[2 * q], im);
            }
        }
        self.count = 0;
    }

    /// Columns `2q` and `2q + 1`, row by row (after [`Columns::finish`]).
    fn signal(&self, q: usize) -> &[C] {
        &self.data[q * self.rows..(q + 1) * self.rows]
    }

    /// Writes out what is pending.
    pub(crate) fn finish(mut self) -> Self {
        if self.count > 0 {
            self.flush();
        }
        self
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
    // Results of one block, row by row, before the conversion to `T`.
    let mut tile = vec![0.0f32; h * BLOCK];
    for b in 0..row_len.div_ceil(BLOCK) {
        let e0 = b * BLOCK;
        let cols = (row_len - e0).min(BLOCK);
        let pairs = cols.div_ceil(2);
        let buffer = &mut buffer[..pairs * n];
        // Columns 2p and 2p+1 of the block down the padded image.
        for (p, segment) in buffer.chunks_exact_mut(n).enumerate() {
            let signal = columns.signal(b * PAIRS + p);
            let (head, tail) = segment.split_at_mut(len);
            // Padded rows `before .. before + h` are the image rows in order.
            let (edge, rest) = head.split_at_mut(axis.before);
            let (middle, end) = rest.split_at_mut(h);
            middle.copy_from_slice(&signal[..h]);
            for (z, &key) in edge
                .iter_mut()
                .zip(&keys)
                .chain(end.iter_mut().zip(&keys[axis.before + h..]))
            {
                *z = signal[key];
            }
            tail.fill(C::new(0.0, 0.0));
        }
        plan.convolve(buffer, &spectrum, &mut scratch);
        let segments: Vec<&[C]> = buffer
            .chunks_exact(n)
            .map(|s| &s[shift..shift + h])
            .collect();
        for (chunk, rows) in tile.chunks_mut(8 * BLOCK).enumerate() {
            for (p, segment) in segments.iter().enumerate() {
                let valid = &segment[chunk * 8..];
                for (row, z) in rows.chunks_exact_mut(BLOCK).zip(valid) {
                    row[2 * p] = z.re;
                    row[2 * p + 1] = z.im;
                }
            }
        }
        for (y, row) in tile.chunks_exact(BLOCK).enumerate() {
            kernels::store_row(&row[..cols], &mut dst.row_mut(y)[e0..e0 + cols]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_sizes_are_smooth_and_close() {
        assert_eq!(good_size(1), 1);
        assert_eq!(good_size(1204), 1280);
        assert_eq!(good_size(948), 960);
        assert_eq!(good_size(11), 12);
        for n in 1..5000 {
            let g = good_size(n);
            assert!(g >= n && g <= n + n / 4 + 2, "{n} -> {g}");
        }
    }
}
