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

use crate::axis::Axis;
use crate::cache::lock;
use crate::kernels;
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

    /// The spectrum of `kernel` (taps `t = 0 .. L`, `before` of them ahead
    /// of the centre) placed at `(before - t) mod n` and scaled by `1/n`, so
    /// that `ifft(fft(z) · spectrum)[x + before] = Σ_t k[t] · z[x + t]`.
    /// A symmetric, centred kernel is then even about 0 and its spectrum
    /// real: the imaginary parts (rounding noise) are dropped and the
    /// product takes two multiplications per point instead of six.
    fn kernel_spectrum(&self, kernel: &[f32], before: usize) -> Spectrum {
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
    fn convolve(&self, isa: Isa, buffer: &mut [C], spectrum: &Spectrum, scratch: &mut [C]) {
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
enum Spectrum {
    Real(Vec<f32>),
    Complex(Vec<C>),
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

/// Row pairs the horizontal pass transforms per batch: 32 rows, so each
/// column pair of [`Columns`] receives 32 consecutive complex values (four
/// whole cache lines) per batch.
const BATCH_PAIRS: usize = 16;

/// Complex values between the segments of a horizontal batch.
const SEGMENT_GAP: usize = 24;

/// Rows per batch of the horizontal pass.
const BATCH_ROWS: usize = 2 * BATCH_PAIRS;

/// The results of one batch of the horizontal pass: for row pair `j` and
/// channel `ch`, segment `j·c + ch` (`stride` apart) holds row `y0 + 2j` as the
/// real part and row `y0 + 2j + 1` as the imaginary part, pixel `x` at
/// `start + x`.
pub(crate) struct Batch<'a> {
    data: &'a [C],
    stride: usize,
    start: usize,
    width: usize,
    channels: usize,
    /// First row of the batch.
    pub y0: usize,
    /// Rows in the batch (`1 ..= BATCH_ROWS`).
    pub count: usize,
}

impl Batch<'_> {
    /// Row `y0 + r` of the batch into `out` (`width · channels` values).
    pub(crate) fn row(&self, r: usize, out: &mut [f32]) {
        let c = self.channels;
        for (ch, start) in (0..c).map(|ch| (ch, ((r / 2) * c + ch) * self.stride + self.start)) {
            let segment = &self.data[start..start + self.width];
            for (o, z) in out[ch..].iter_mut().step_by(c).zip(segment) {
                *o = if r.is_multiple_of(2) { z.re } else { z.im };
            }
        }
    }
}

/// `z[i] = a[i·C + ch] + i·b[i·C + ch]` for every channel `ch`, segment
/// `ch` of `out` (length `n`) taking the padded row: `map` (from
/// [`crate::rows::axis_map`]) says which pixel each of the `len` padded
/// positions reads, `before` of them ahead of the image; the rest of each
/// segment is zero.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn load_pair<T: Element, const CH: usize>(
    a: &[T],
    b: &[T],
    map: &[Option<usize>],
    before: usize,
    fill: f32,
    n: usize,
    out: &mut [C],
) {
    let w = a.len() / CH;
    for (ch, segment) in out.chunks_exact_mut(n).enumerate().take(CH) {
        let (head, tail) = segment.split_at_mut(map.len());
        let (edge, rest) = head.split_at_mut(before);
        let (middle, end) = rest.split_at_mut(w);
        for ((z, pa), pb) in middle
            .iter_mut()
            .zip(a.chunks_exact(CH))
            .zip(b.chunks_exact(CH))
        {
            *z = C::new(pa[ch].to_f32(), pb[ch].to_f32());
        }
        for (z, m) in edge
            .iter_mut()
            .zip(&map[..before])
            .chain(end.iter_mut().zip(&map[before + w..]))
        {
            *z = match *m {
                Some(x) => C::new(a[x * CH + ch].to_f32(), b[x * CH + ch].to_f32()),
                None => C::new(fill, fill),
            };
        }
        tail.fill(C::new(0.0, 0.0));
    }
}

/// [`load_pair`] for any channel count (always inlined, as [`multiply`]).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn load_pair_any<T: Element>(
    a: &[T],
    b: &[T],
    c: usize,
    map: &[Option<usize>],
    before: usize,
    fill: f32,
    n: usize,
    out: &mut [C],
) {
    // A checked `Shape` has 1, 3 or 4 channels.
    match c {
        1 => load_pair::<T, 1>(a, b, map, before, fill, n, out),
        3 => load_pair::<T, 3>(a, b, map, before, fill, n, out),
        _ => load_pair::<T, 4>(a, b, map, before, fill, n, out),
    }
}

/// Loads the row pairs from `y0` into `buffer` (segments `stride` apart),
/// as many as it holds (always inlined, as [`multiply`]).
#[inline(always)]
fn load_batch<T: Element>(
    src: ImageView<'_, T>,
    y0: usize,
    map: &[Option<usize>],
    before: usize,
    fill: f32,
    stride: usize,
    buffer: &mut [C],
) {
    let (h, c) = (src.height(), src.channels());
    for (j, out) in buffer.chunks_exact_mut(c * stride).enumerate() {
        let y = y0 + 2 * j;
        // An odd last row pairs with itself; the copy is dropped.
        let second = if y + 1 < h { y + 1 } else { y };
        load_pair_any(
            src.row(y),
            src.row(second),
            c,
            map,
            before,
            fill,
            stride,
            out,
        );
    }
}

/// Horizontal pass by FFT: calls `emit` with batches of the horizontal
/// pass of the source rows, in order. Rows go in pairs, channel by channel:
/// row `y` as the real part, row `y + 1` as the imaginary part.
pub(crate) fn horizontal<T: Element>(
    isa: Isa,
    src: ImageView<'_, T>,
    axis: Axis<'_>,
    padding: Padding,
    mut emit: impl FnMut(&Batch<'_>),
) {
    let (w, h, c) = (src.width(), src.height(), src.channels());
    let len = w + axis.weights.len() - 1;
    let plan = plan(isa, good_size(len));
    let n = plan.n;
    let spectrum = plan.kernel_spectrum(axis.weights, axis.before);
    let map = crate::rows::axis_map(padding, w, axis.before, axis.after());
    let fill = padding.constant().unwrap_or(0.0);
    // Segments a little more than `n` apart: at a stride of `n` the
    // segments of a batch fall in the same few L1 sets (1280 points are
    // 10 KiB), and the transposition that reads them across misses.
    let stride = n + SEGMENT_GAP;
    let mut buffer = vec![C::new(0.0, 0.0); BATCH_PAIRS * c * stride];
    let mut scratch = vec![C::new(0.0, 0.0); plan.scratch_len()];
    for y0 in (0..h).step_by(BATCH_ROWS) {
        let count = BATCH_ROWS.min(h - y0);
        let pairs = count.div_ceil(2);
        let buffer = &mut buffer[..pairs * c * stride];
        kernels::on_isa(
            isa,
            #[inline(always)]
            || load_batch(src, y0, &map, axis.before, fill, stride, buffer),
        );
        for segment in buffer.chunks_exact_mut(stride) {
            plan.convolve(isa, &mut segment[..n], &spectrum, &mut scratch);
        }
        emit(&Batch {
            data: buffer,
            stride,
            start: axis.before,
            width: w,
            channels: c,
            y0,
            count,
        });
    }
}

/// The intermediate handed to [`vertical`], already in the shape the column
/// transforms want: columns `2q` and `2q + 1` as one complex signal down the
/// padded rows (the padding rule applied, then zeros up to the transform
/// length `n`), each in its own segment of `data`, so the column transforms
/// run in place.
pub(crate) struct Columns {
    data: Vec<C>,
    plan: Arc<Plan>,
    row_len: usize,
    height: usize,
    /// Padded rows ahead of the image (the kernel's `before`).
    before: usize,
    /// The key (source row, or `height` for the constant row) of every
    /// padded row.
    keys: Vec<usize>,
    /// The horizontal pass of the constant row, per column pair.
    constant: Vec<C>,
    /// Rows given one at a time and not yet written: consecutive keys
    /// from `first`.
    pending: Vec<f32>,
    first: usize,
    count: usize,
}

impl Columns {
    /// Room for `height` rows of `row_len` values, padded for `axis` by
    /// `padding`.
    pub(crate) fn new(
        isa: Isa,
        row_len: usize,
        height: usize,
        axis: Axis<'_>,
        padding: Padding,
    ) -> Self {
        let len = height + axis.weights.len() - 1;
        let plan = plan(isa, good_size(len));
        let pairs = row_len.div_ceil(2);
        Columns {
            data: vec![C::new(0.0, 0.0); pairs * plan.n],
            plan,
            row_len,
            height,
            before: axis.before,
            keys: (0..len)
                .map(|p| crate::rows::row_key(padding, p, axis.before, height))
                .collect(),
            constant: vec![C::new(0.0, 0.0); pairs],
            pending: vec![0.0; BATCH_ROWS * row_len],
            first: 0,
            count: 0,
        }
    }

    /// Stores row `key` (`height`: the constant row); rows are cheapest
    /// given in increasing order.
    pub(crate) fn put(&mut self, key: usize, values: &[f32]) {
        let len = self.row_len;
        if key >= self.height {
            for (q, z) in self.constant.iter_mut().enumerate() {
                let im = if 2 * q + 1 < len {
                    values[2 * q + 1]
                } else {
                    0.0
                };
                *z = C::new(values[2 * q], im);
            }
            return;
        }
        if self.count > 0 && key != self.first + self.count {
            self.flush();
        }
        if self.count == 0 {
            self.first = key;
        }
        let at = self.count * len;
        self.pending[at..at + len].copy_from_slice(&values[..len]);
        self.count += 1;
        if self.count == BATCH_ROWS {
            self.flush();
        }
    }

    /// Writes the pending rows into their column signals.
    fn flush(&mut self) {
        let (first, count, len, n) = (self.first, self.count, self.row_len, self.plan.n);
        let at = self.before + first;
        for (q, column) in self.data.chunks_exact_mut(n).enumerate() {
            let out = &mut column[at..at + count];
            for (z, row) in out.iter_mut().zip(self.pending.chunks_exact(len)) {
                let im = if 2 * q + 1 < len { row[2 * q + 1] } else { 0.0 };
                *z = C::new(row[2 * q], im);
            }
        }
        self.count = 0;
    }

    /// Stores a batch of the FFT horizontal pass.
    pub(crate) fn put_batch(&mut self, isa: Isa, batch: &Batch<'_>) {
        let (len, n) = (self.row_len, self.plan.n);
        let at = self.before + batch.y0;
        let data = &mut self.data;
        kernels::on_isa(
            isa,
            #[inline(always)]
            || scatter(batch, data, n, at, len),
        );
    }

    /// Writes out what is pending.
    pub(crate) fn finish(mut self) -> Self {
        if self.count > 0 {
            self.flush();
        }
        self
    }

    /// Fills the padded rows of the column signals in `block` (column
    /// pairs from `q0`), just before they are transformed.
    fn pad(&self, q0: usize, block: &mut [C]) {
        let (n, before, h) = (self.plan.n, self.before, self.height);
        let (head, tail) = self.keys.split_at(before);
        let tail = &tail[h..];
        for (column, &constant) in block.chunks_exact_mut(n).zip(&self.constant[q0..]) {
            let mut fill = |p: usize, key: usize| {
                column[p] = if key < h {
                    column[before + key]
                } else {
                    constant
                };
            };
            // Two loops, not one over a chain: the chained form measured
            // 2-3% slower on a σ = 30 blur.
            for (p, &key) in head.iter().enumerate() {
                fill(p, key);
            }
            for (p, &key) in tail.iter().enumerate() {
                fill(before + h + p, key);
            }
        }
    }
}

/// Writes `batch` into the column segments (length `n`) of `columns`, rows
/// from `at` (always inlined, as [`multiply`]).
#[inline(always)]
fn scatter(batch: &Batch<'_>, columns: &mut [C], n: usize, at: usize, len: usize) {
    let (c, count, bn, start, data) = (
        batch.channels,
        batch.count,
        batch.stride,
        batch.start,
        batch.data,
    );
    // Element e = x·c + ch is pixel x, channel ch.
    let (mut x, mut ch) = (0usize, 0usize);
    for (q, column) in columns.chunks_exact_mut(n).enumerate() {
        let out = &mut column[at..at + count];
        let first = (ch * bn) + start + x;
        ch += 1;
        if ch == c {
            ch = 0;
            x += 1;
        }
        let second = (2 * q + 1 < len).then(|| (ch * bn) + start + x);
        ch += 1;
        if ch == c {
            ch = 0;
            x += 1;
        }
        for (j, rows) in out.chunks_mut(2).enumerate() {
            let offset = j * c * bn;
            let a = data[offset + first];
            let b = match second {
                Some(s) => data[offset + s],
                None => C::new(0.0, 0.0),
            };
            rows[0] = C::new(a.re, b.re);
            if let Some(z) = rows.get_mut(1) {
                *z = C::new(a.im, b.im);
            }
        }
    }
}

/// Vertical pass by FFT: `columns` holds the horizontal pass of every
/// source row and of the constant row (from [`Columns::finish`]); writes
/// `dst`.
pub(crate) fn vertical<T: Element>(
    isa: Isa,
    mut columns: Columns,
    axis: Axis<'_>,
    mut dst: ImageViewMut<'_, T>,
) {
    let (h, row_len) = (dst.height(), columns.row_len);
    let plan = columns.plan.clone();
    let n = plan.n;
    let spectrum = plan.kernel_spectrum(axis.weights, axis.before);
    let mut scratch = vec![C::new(0.0, 0.0); plan.scratch_len()];
    // Results of one block, row by row, before the conversion to `T`.
    let mut tile = vec![0.0f32; h * BLOCK];
    let mut data = std::mem::take(&mut columns.data);
    for (b, block) in data.chunks_mut(PAIRS * n).enumerate() {
        let e0 = b * BLOCK;
        let cols = (row_len - e0).min(BLOCK);
        columns.pad(b * PAIRS, block);
        plan.convolve(isa, block, &spectrum, &mut scratch);
        let rows = dst.rows_mut().map(|row| &mut row[e0..e0 + cols]);
        kernels::on_isa(
            isa,
            #[inline(always)]
            || store_block(block, n, axis.before, &mut tile, rows),
        );
    }
}

/// Writes the results in the column segments (length `n`, rows from
/// `before`) of `block` to the output rows, through `tile` (always inlined,
/// as [`multiply`]).
#[inline(always)]
fn store_block<'a, T: Element + 'a>(
    block: &[C],
    n: usize,
    before: usize,
    tile: &mut [f32],
    rows: impl Iterator<Item = &'a mut [T]>,
) {
    let h = tile.len() / BLOCK;
    for (chunk, tile_rows) in tile.chunks_mut(8 * BLOCK).enumerate() {
        for (p, segment) in block.chunks_exact(n).enumerate() {
            let valid = &segment[before + chunk * 8..before + h];
            for (row, z) in tile_rows.chunks_exact_mut(BLOCK).zip(valid) {
                row[2 * p] = z.re;
                row[2 * p + 1] = z.im;
            }
        }
    }
    for (row, out) in tile.chunks_exact(BLOCK).zip(rows) {
        let cols = out.len();
        kernels::store_row(&row[..cols], out);
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
