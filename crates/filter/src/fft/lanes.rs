//! Thirty-two complex signals transformed at once, one per lane: the
//! column FFTs of the vertical pass, run on rows of the intermediate as
//! they lie.
//!
//! A [`Row`] holds value `p` of 32 signals: signal `k` is `re[k] +
//! i·im[k]`. Every step of a transform does the same arithmetic on all
//! 32 lanes, so it is element-wise pulp code on the real and imaginary
//! halves: two AVX-512 vectors each (four AVX2, eight NEON, 32 scalars on
//! the scalar path), with no shuffles and no transposition of the data.
//! The operations and their order do not depend on the instruction set,
//! and no multiply is fused with an add, so every path gives the bits of
//! the scalar one.
//!
//! The strip layout writes each row of the intermediate in whole lines and
//! keeps the working set in L2; the stages of spans up to 128 rows run
//! block by block in L1 (see `Convolve`). A thin image still pays for a
//! whole strip of 64 columns: the buffers are 256 bytes per padded row
//! whatever the width.
//!
//! The transform is a mixed-radix decimation in frequency (radices 4, 2, 3
//! and 5) without the final digit reversal: its spectrum comes out in a
//! scrambled order ([`LanePlan::position`]). Convolution does not need the
//! natural order. The kernel's spectrum is put in the same order, the two
//! are multiplied, and the inverse runs the stages backwards, each one
//! conjugated and transposed, which undoes the scrambling.

use super::plan::smooth_factors;
use crate::cache::recent;
use geom::Isa;
use pulp::Simd;
use std::f64::consts::TAU;
use std::sync::{Arc, Mutex};

/// Signals per [`Row`].
pub(crate) const LANES: usize = 32;

/// Value `p` of 32 complex signals, aligned to a cache line (a row is four
/// whole lines).
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C, align(64))]
pub(crate) struct Row {
    pub(crate) re: [f32; LANES],
    pub(crate) im: [f32; LANES],
}

impl Row {
    pub(crate) const ZERO: Row = Row {
        re: [0.0; LANES],
        im: [0.0; LANES],
    };
}

/// Lanes `v·L .. v·L + L` of a row (`L` = `S::F32_LANES`), one vector each
/// for the real and imaginary parts.
#[derive(Clone, Copy)]
struct Cv<S: Simd> {
    re: S::f32s,
    im: S::f32s,
}

#[inline(always)]
fn load<S: Simd>(row: &Row, v: usize) -> Cv<S> {
    Cv {
        re: S::as_simd_f32s(&row.re).0[v],
        im: S::as_simd_f32s(&row.im).0[v],
    }
}

#[inline(always)]
fn store<S: Simd>(row: &mut Row, v: usize, value: Cv<S>) {
    S::as_mut_simd_f32s(&mut row.re).0[v] = value.re;
    S::as_mut_simd_f32s(&mut row.im).0[v] = value.im;
}

#[inline(always)]
fn add<S: Simd>(simd: S, a: Cv<S>, b: Cv<S>) -> Cv<S> {
    Cv {
        re: simd.add_f32s(a.re, b.re),
        im: simd.add_f32s(a.im, b.im),
    }
}

#[inline(always)]
fn sub<S: Simd>(simd: S, a: Cv<S>, b: Cv<S>) -> Cv<S> {
    Cv {
        re: simd.sub_f32s(a.re, b.re),
        im: simd.sub_f32s(a.im, b.im),
    }
}

/// `a · (c + i·s)`, `c` and `s` splatted.
#[inline(always)]
fn rotate<S: Simd>(simd: S, a: Cv<S>, c: S::f32s, s: S::f32s) -> Cv<S> {
    Cv {
        re: simd.sub_f32s(simd.mul_f32s(a.re, c), simd.mul_f32s(a.im, s)),
        im: simd.add_f32s(simd.mul_f32s(a.re, s), simd.mul_f32s(a.im, c)),
    }
}

/// `a · w`, real `w` splatted.
#[inline(always)]
fn scale<S: Simd>(simd: S, a: Cv<S>, w: S::f32s) -> Cv<S> {
    Cv {
        re: simd.mul_f32s(a.re, w),
        im: simd.mul_f32s(a.im, w),
    }
}

/// `a + i·b` when `plus`, else `a - i·b`.
#[inline(always)]
fn add_i<S: Simd>(simd: S, a: Cv<S>, b: Cv<S>, plus: bool) -> Cv<S> {
    if plus {
        Cv {
            re: simd.sub_f32s(a.re, b.im),
            im: simd.add_f32s(a.im, b.re),
        }
    } else {
        Cv {
            re: simd.add_f32s(a.re, b.im),
            im: simd.sub_f32s(a.im, b.re),
        }
    }
}

/// The DFT of `R` points, `y[p] = Σ_q x[q] · e^{∓2πi·pq/R}` (minus sign
/// when `FORWARD`); `roots[r - 1]` is `(cos, sin)` of `2π·r/R`.
#[inline(always)]
fn dft<S: Simd, const R: usize, const FORWARD: bool>(
    simd: S,
    x: [Cv<S>; R],
    roots: &[[f32; 2]; 2],
) -> [Cv<S>; R] {
    let mut y = x;
    match R {
        2 => {
            y[0] = add(simd, x[0], x[1]);
            y[1] = sub(simd, x[0], x[1]);
        }
        4 => {
            let (t0, t1) = (add(simd, x[0], x[2]), sub(simd, x[0], x[2]));
            let (t2, t3) = (add(simd, x[1], x[3]), sub(simd, x[1], x[3]));
            y[0] = add(simd, t0, t2);
            y[2] = sub(simd, t0, t2);
            // e^{-iπ/2} = -i forward, +i inverse.
            y[1] = add_i(simd, t1, t3, !FORWARD);
            y[3] = add_i(simd, t1, t3, FORWARD);
        }
        _ => {
            // Odd R: points q and R - q share cos(θpq) and have opposite
            // sines, so their sum and difference serve both.
            let half = R / 2;
            let mut sums = [x[0]; 2];
            let mut diffs = [x[0]; 2];
            for q in 1..=half {
                sums[q - 1] = add(simd, x[q], x[R - q]);
                diffs[q - 1] = sub(simd, x[q], x[R - q]);
            }
            for sum in &sums[..half] {
                y[0] = add(simd, y[0], *sum);
            }
            for p in 1..=half {
                let mut even = x[0];
                let mut odd: Option<Cv<S>> = None;
                for q in 1..=half {
                    // θ·pq folded to r in 1 ..= half: cos is even, sin odd.
                    let r = (p * q) % R;
                    let (r, sign) = if r <= half { (r, 1.0) } else { (R - r, -1.0) };
                    let [c, s] = roots[r - 1];
                    even = add(simd, even, scale(simd, sums[q - 1], simd.splat_f32s(c)));
                    let term = scale(simd, diffs[q - 1], simd.splat_f32s(sign * s));
                    odd = Some(match odd {
                        Some(odd) => add(simd, odd, term),
                        None => term,
                    });
                }
                let odd = odd.unwrap_or(x[0]);
                // Forward: y[p] = even - i·odd, y[R - p] = even + i·odd.
                y[p] = add_i(simd, even, odd, !FORWARD);
                y[R - p] = add_i(simd, even, odd, FORWARD);
            }
        }
    }
    y
}

// Plain loops, not `std::array::from_fn`: that one is not always inlined,
// and out of line it runs without the path's target features (the vectors
// then go through memory; it took a quarter of a σ = 30 blur).

/// Lanes `v` of rows `j + q·m`, `q < R`.
#[inline(always)]
fn load_points<S: Simd, const R: usize>(
    simd: S,
    block: &[Row],
    j: usize,
    m: usize,
    v: usize,
) -> [Cv<S>; R] {
    let zero = simd.splat_f32s(0.0);
    let mut x = [Cv { re: zero, im: zero }; R];
    for (q, x) in x.iter_mut().enumerate() {
        *x = load(&block[j + q * m], v);
    }
    x
}

/// The twiddles `w` (`R - 1` of them) splatted, at indices `1 .. R`;
/// conjugated when `conjugate`.
#[inline(always)]
fn twiddles<S: Simd, const R: usize>(
    simd: S,
    w: &[[f32; 2]],
    conjugate: bool,
) -> ([S::f32s; R], [S::f32s; R]) {
    let zero = simd.splat_f32s(0.0);
    let (mut c, mut s) = ([zero; R], [zero; R]);
    for (p, &[cos, sin]) in w.iter().enumerate().take(R - 1) {
        c[p + 1] = simd.splat_f32s(cos);
        s[p + 1] = simd.splat_f32s(if conjugate { -sin } else { sin });
    }
    (c, s)
}

/// One stage of the transform: blocks of `span` rows, each split into
/// `radix` interleaved parts of `span / radix` rows.
struct Stage {
    radix: usize,
    span: usize,
    /// `e^{-2πi·pj/span}` as `[cos, sin]` at `j·(radix - 1) + p - 1`, for
    /// `j` in `0 .. span / radix` and `p` in `1 .. radix`.
    twiddles: Vec<[f32; 2]>,
    /// `(cos, sin)` of `2π·r/radix` for `r = 1, 2` (odd radices only).
    roots: [[f32; 2]; 2],
}

impl Stage {
    fn new(radix: usize, span: usize) -> Stage {
        let m = span / radix;
        let mut twiddles = Vec::with_capacity(m * (radix - 1));
        for j in 0..m {
            for p in 1..radix {
                let angle = -TAU * (p * j) as f64 / span as f64;
                twiddles.push([angle.cos() as f32, angle.sin() as f32]);
            }
        }
        let root = |r: usize| {
            let angle = TAU * r as f64 / radix as f64;
            [angle.cos() as f32, angle.sin() as f32]
        };
        Stage {
            radix,
            span,
            twiddles,
            roots: [root(1), root(2)],
        }
    }

    #[inline(always)]
    fn forward_any<S: Simd>(&self, simd: S, rows: &mut [Row]) {
        match self.radix {
            4 => self.forward::<S, 4>(simd, rows),
            2 => self.forward::<S, 2>(simd, rows),
            3 => self.forward::<S, 3>(simd, rows),
            _ => self.forward::<S, 5>(simd, rows),
        }
    }

    #[inline(always)]
    fn inverse_any<S: Simd>(&self, simd: S, rows: &mut [Row]) {
        match self.radix {
            4 => self.inverse::<S, 4>(simd, rows),
            2 => self.inverse::<S, 2>(simd, rows),
            3 => self.inverse::<S, 3>(simd, rows),
            _ => self.inverse::<S, 5>(simd, rows),
        }
    }

    #[inline(always)]
    fn forward<S: Simd, const R: usize>(&self, simd: S, rows: &mut [Row]) {
        let m = self.span / R;
        for block in rows.chunks_exact_mut(self.span) {
            for j in 0..m {
                let w = &self.twiddles[j * (R - 1)..(j + 1) * (R - 1)];
                let (c, s) = twiddles::<S, R>(simd, w, false);
                for v in 0..LANES / S::F32_LANES {
                    let x = load_points::<S, R>(simd, block, j, m, v);
                    let mut y = dft::<S, R, true>(simd, x, &self.roots);
                    if j > 0 {
                        for p in 1..R {
                            y[p] = rotate(simd, y[p], c[p], s[p]);
                        }
                    }
                    for (q, y) in y.into_iter().enumerate() {
                        store(&mut block[j + q * m], v, y);
                    }
                }
            }
        }
    }

    /// The forward stage conjugated and transposed: `R` times its inverse.
    #[inline(always)]
    fn inverse<S: Simd, const R: usize>(&self, simd: S, rows: &mut [Row]) {
        let m = self.span / R;
        for block in rows.chunks_exact_mut(self.span) {
            for j in 0..m {
                let w = &self.twiddles[j * (R - 1)..(j + 1) * (R - 1)];
                let (c, s) = twiddles::<S, R>(simd, w, true);
                for v in 0..LANES / S::F32_LANES {
                    let mut x = load_points::<S, R>(simd, block, j, m, v);
                    if j > 0 {
                        for p in 1..R {
                            x[p] = rotate(simd, x[p], c[p], s[p]);
                        }
                    }
                    let y = dft::<S, R, false>(simd, x, &self.roots);
                    for (q, y) in y.into_iter().enumerate() {
                        store(&mut block[j + q * m], v, y);
                    }
                }
            }
        }
    }
}

/// The transforms of one length.
pub(crate) struct LanePlan {
    pub(crate) n: usize,
    /// Forward order: spans `n`, `n / r₁`, ….
    stages: Vec<Stage>,
}

impl LanePlan {
    fn new(n: usize) -> LanePlan {
        let mut stages = Vec::new();
        let mut span = n;
        for radix in radices(n) {
            stages.push(Stage::new(radix, span));
            span /= radix;
        }
        LanePlan { n, stages }
    }

    /// Transforms the `n` rows in place; frequency `k` lands at
    /// [`LanePlan::position`]`(k)`. (Convolution runs the stages itself,
    /// blocked; the whole transform is for the tests.)
    #[cfg(test)]
    fn forward<S: Simd>(&self, simd: S, rows: &mut [Row]) {
        for stage in &self.stages {
            stage.forward_any(simd, rows);
        }
    }

    /// `n` times the inverse of `forward`.
    #[cfg(test)]
    fn inverse<S: Simd>(&self, simd: S, rows: &mut [Row]) {
        for stage in self.stages.iter().rev() {
            stage.inverse_any(simd, rows);
        }
    }

    /// Where the forward transform puts frequency `k`.
    pub(crate) fn position(&self, k: usize) -> usize {
        let (mut k, mut at) = (k % self.n.max(1), 0);
        for stage in &self.stages {
            let m = stage.span / stage.radix;
            at += (k % stage.radix) * m;
            k /= stage.radix;
        }
        at
    }

    /// The spectrum of `kernel` (taps `t = 0 .. L`, `before` of them ahead
    /// of the centre) in the forward transform's order, scaled by `1/n`:
    /// after the forward transform, a product with it and the inverse,
    /// row `x + before` is `Σ_t k[t] · z[x + t]`
    /// (circularly). Computed in `f64` from the definition; real for a
    /// symmetric, centred kernel.
    pub(crate) fn kernel_spectrum(&self, kernel: &[f32], before: usize) -> LaneSpectrum {
        let n = self.n;
        // e^{-2πi·j/n} for every j, so each term is one lookup.
        let unit: Vec<(f64, f64)> = (0..n)
            .map(|j| {
                let angle = -TAU * j as f64 / n as f64;
                (angle.cos(), angle.sin())
            })
            .collect();
        let scale = 1.0 / n as f64;
        let symmetric = 2 * before + 1 == kernel.len() && kernel.iter().eq(kernel.iter().rev());
        if symmetric {
            // Even about 0: X[k] = w₀ + 2·Σ_d w_d·cos(2πkd/n), and X[n-k] = X[k].
            let mut real = vec![0.0f32; n];
            for k in 0..=n / 2 {
                let mut sum = f64::from(kernel[before]);
                let mut at = 0;
                for &w in &kernel[before + 1..] {
                    at += k;
                    if at >= n {
                        at -= n;
                    }
                    sum += 2.0 * f64::from(w) * unit[at].0;
                }
                let value = (sum * scale) as f32;
                real[self.position(k)] = value;
                real[self.position(n - k)] = value;
            }
            return LaneSpectrum::Real(real);
        }
        let mut complex = vec![[0.0f32; 2]; n];
        for k in 0..n {
            let (mut re, mut im) = (0.0, 0.0);
            for (t, &w) in kernel.iter().enumerate() {
                let (c, s) = unit[((before + n - t % n) % n * k) % n];
                re += f64::from(w) * c;
                im += f64::from(w) * s;
            }
            complex[self.position(k)] = [(re * scale) as f32, (im * scale) as f32];
        }
        LaneSpectrum::Complex(complex)
    }

    /// Circular convolution of each lane of `rows` (`n` of them) with the
    /// kernel whose spectrum is `spectrum` (from
    /// [`LanePlan::kernel_spectrum`]).
    pub(crate) fn convolve(&self, isa: Isa, rows: &mut [Row], spectrum: &LaneSpectrum) {
        isa.vectorize(Convolve {
            plan: self,
            rows,
            spectrum,
        });
    }
}

/// [`LanePlan::convolve`] as a pulp operation.
struct Convolve<'a> {
    plan: &'a LanePlan,
    rows: &'a mut [Row],
    spectrum: &'a LaneSpectrum,
}

impl pulp::WithSimd for Convolve<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let (plan, rows) = (self.plan, self.rows);
        // The stages of spans up to BLOCK_ROWS work within blocks that fit
        // in L1, so each block goes through them, the product and back
        // while it is there; only the larger stages pass over all rows.
        let split = plan
            .stages
            .iter()
            .position(|stage| stage.span <= BLOCK_ROWS)
            .unwrap_or(plan.stages.len());
        let (outer, inner) = plan.stages.split_at(split);
        let block = inner.first().map_or(plan.n, |stage| stage.span);
        for stage in outer {
            stage.forward_any(simd, rows);
        }
        for (rows, at) in rows
            .chunks_exact_mut(block.max(1))
            .zip((0..).step_by(block.max(1)))
        {
            for stage in inner {
                stage.forward_any(simd, rows);
            }
            multiply(simd, rows, self.spectrum, at);
            for stage in inner.iter().rev() {
                stage.inverse_any(simd, rows);
            }
        }
        for stage in outer.iter().rev() {
            stage.inverse_any(simd, rows);
        }
    }
}

/// Rows of the largest stages done block by block (32 KiB).
const BLOCK_ROWS: usize = 128;

/// Multiplies `rows` (from row `at` of the transform) by the spectrum.
#[inline(always)]
fn multiply<S: Simd>(simd: S, rows: &mut [Row], spectrum: &LaneSpectrum, at: usize) {
    let vectors = LANES / S::F32_LANES;
    match spectrum {
        LaneSpectrum::Real(g) => {
            for (row, &g) in rows.iter_mut().zip(&g[at..]) {
                let g = simd.splat_f32s(g);
                for v in 0..vectors {
                    store(row, v, scale(simd, load(row, v), g));
                }
            }
        }
        LaneSpectrum::Complex(g) => {
            for (row, &[c, s]) in rows.iter_mut().zip(&g[at..]) {
                let (c, s) = (simd.splat_f32s(c), simd.splat_f32s(s));
                for v in 0..vectors {
                    store(row, v, rotate(simd, load(row, v), c, s));
                }
            }
        }
    }
}

/// A kernel's spectrum in the forward transform's order.
pub(crate) enum LaneSpectrum {
    Real(Vec<f32>),
    Complex(Vec<[f32; 2]>),
}

/// The radices of `n = 2^a 3^b 5^c`, in stage order: 5s, 3s, 4s, then a 2
/// if `a` is odd. Lengths with other prime factors are not planned (see
/// [`lane_size`]).
fn radices(n: usize) -> Vec<usize> {
    let mut rest = n.max(1);
    let mut out = Vec::new();
    for p in [5, 3, 4, 2] {
        while rest.is_multiple_of(p) {
            rest /= p;
            out.push(p);
        }
    }
    debug_assert_eq!(rest, 1, "{n} is not 2^a 3^b 5^c");
    out
}

/// The cost of a stage per row, for [`lane_size`], in passes over the
/// rows: every stage loads and stores each row once, and that, not the
/// arithmetic, sets its time; radices 3 and 5 add a little arithmetic.
fn stage_cost(radix: usize) -> f64 {
    match radix {
        3 => 1.05,
        5 => 1.15,
        _ => 1.0,
    }
}

/// The rest of a column's work per row, in the same units: writing the
/// row in, padding, the product with the spectrum and the store.
const ROW_COST: f64 = 4.0;

/// The length `>= n` of `2^a 3^b 5^c` with the least work per transform,
/// `m · (Σ stage costs + ROW_COST)`: fewer rows, or fewer stages. Measured
/// on σ = 30, 1024x768 RGB (948 rows to transform), six alternations:
/// 960 rows (stages 4, 4, 4, 3, 5) 9.9-10.5 ns/px against 10.3-10.7 for
/// 1024 (five stages of 4), though 960 takes more arithmetic.
pub(crate) fn lane_size(n: usize) -> usize {
    let n = n.max(1);
    let cost =
        |m: usize| m as f64 * (radices(m).into_iter().map(stage_cost).sum::<f64>() + ROW_COST);
    let mut best = (f64::INFINITY, n);
    let mut m = n;
    // The next power of two bounds the search: a longer length has more
    // rows and no fewer stages.
    while m <= n.next_power_of_two() {
        if is_smooth(m) {
            let c = cost(m);
            if c < best.0 {
                best = (c, m);
            }
        }
        m += 1;
    }
    best.1
}

/// `m = 2^a 3^b 5^c` for some `a, b, c`.
fn is_smooth(m: usize) -> bool {
    smooth_factors(m).is_some()
}

/// Plans kept, most recent last.
const LANE_PLAN_CACHE_CAPACITY: usize = 8;

static LANE_PLANS: Mutex<Vec<(usize, Arc<LanePlan>)>> = Mutex::new(Vec::new());

/// The plan for length `n` (from [`lane_size`]), from the cache or made.
pub(crate) fn lane_plan(n: usize) -> Arc<LanePlan> {
    recent(&LANE_PLANS, LANE_PLAN_CACHE_CAPACITY, n, || {
        Arc::new(LanePlan::new(n))
    })
}

#[cfg(test)]
mod tests;
