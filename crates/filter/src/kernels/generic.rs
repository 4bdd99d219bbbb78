//! The SIMD weighted sum, written once over [`pulp::Simd`] (AVX-512, AVX2,
//! NEON): equals [`super::scalar::weighted_sum`] bit for bit.
//!
//! Vectorised across output elements `e`; for each block of elements the
//! terms are visited in the scalar order, one fused multiply-add per term
//! and lane, as the reference. Several independent accumulators per block hide
//! the add latency without changing any element's order of operations.

use super::terms::{ColumnRun, MAX_GROUP, RUN_ROWS, Term, common_len, row_terms, run_terms};
use crate::element::Sample;
use pulp::Simd;

/// The weighted sum of shifted rows as a pulp operation.
pub(crate) struct WeightedSum<'t, 's, 'o, T> {
    pub terms: &'t [Term<'s>],
    pub out: &'o mut [T],
}

impl<T: Sample> pulp::WithSimd for WeightedSum<'_, '_, '_, T> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let terms = self.terms;
        let n = common_len(terms, self.out.len());
        let lanes = S::F32_LANES;
        let out = self.out;
        let mut e = 0;
        while e + 8 * lanes <= n {
            let acc = block::<S, 8>(simd, terms, e);
            store(&acc, &mut out[e..e + 8 * lanes]);
            e += 8 * lanes;
        }
        while e + 2 * lanes <= n {
            let acc = block::<S, 2>(simd, terms, e);
            store(&acc, &mut out[e..e + 2 * lanes]);
            e += 2 * lanes;
        }
        while e + lanes <= n {
            let acc = block::<S, 1>(simd, terms, e);
            store(&acc, &mut out[e..e + lanes]);
            e += lanes;
        }
        if e < n {
            let mut acc = simd.splat_f32s(0.0);
            for term in terms {
                let x = simd.partial_load_f32s(&term.src[e..n]);
                acc = simd.mul_add_f32s(simd.splat_f32s(term.weight), x, acc);
            }
            store_part(simd, acc, &mut out[e..n]);
        }
    }
}

/// The first `out.len()` lanes of `acc` (fewer than a vector's), stored
/// by the store rule of `T`. A row's last elements go through one vector
/// loaded in part ([`pulp::Simd::partial_load_f32s`]) instead of element
/// by element: each element's sum in scalar code is one chain of
/// dependent multiply-adds, and on AVX-512 the 13 of a 223-pixel RGB row
/// made a Gaussian at σ = 1 take twice as long per pixel as at 224.
#[inline(always)]
fn store_part<S: Simd, T: Sample>(simd: S, acc: S::f32s, out: &mut [T]) {
    let mut sums = [0.0f32; MAX_LANES];
    let m = out.len().min(MAX_LANES);
    simd.partial_store_f32s(&mut sums[..m], acc);
    T::store_row(&sums[..m], &mut out[..m]);
}

/// The most `f32` lanes of any path's vector (AVX-512).
const MAX_LANES: usize = 16;

/// `V` vectors of sums for elements `e .. e + V * lanes`.
///
/// The caller guarantees `e + V * lanes <= common_len(terms, _)`.
#[inline(always)]
fn block<S: Simd, const V: usize>(simd: S, terms: &[Term<'_>], e: usize) -> [S::f32s; V] {
    let lanes = S::F32_LANES;
    let mut acc = [simd.splat_f32s(0.0); V];
    for term in terms {
        debug_assert!(e + V * lanes <= term.src.len());
        let w = simd.splat_f32s(term.weight);
        let base = term.src.as_ptr();
        for (j, a) in acc.iter_mut().enumerate() {
            // SAFETY: the caller guarantees e + V * lanes <= common_len(terms, _)
            // <= term.src.len(), so the `lanes` floats read at
            // base + e + j * lanes (j < V) lie inside term.src; the read is
            // unaligned and `S::f32s` is plain old data.
            let x = unsafe { base.add(e + j * lanes).cast::<S::f32s>().read_unaligned() };
            *a = simd.mul_add_f32s(w, x, *a);
        }
    }
    acc
}

/// [`super::weighted_sum_columns`] as a pulp operation.
pub(crate) struct WeightedSumColumns<'t, 's, 'o, T, const G: usize> {
    pub runs: &'t [ColumnRun<'s>],
    pub outs: [&'o mut [T]; G],
}

impl<T: Sample, const G: usize> pulp::WithSimd for WeightedSumColumns<'_, '_, '_, T, G> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        const { assert!(G >= 1 && G <= MAX_GROUP) };
        let runs = self.runs;
        let mut outs = self.outs;
        let n = runs
            .iter()
            .flat_map(|run| run.used_rows::<G>().iter().map(|row| row.len()))
            .chain(outs.iter().map(|o| o.len()))
            .min()
            .unwrap_or(0);
        // G rows of `V` vectors of sums, a run's weights and one loaded
        // vector stay in the registers: 16 with AVX2 (NEON, unmeasured,
        // takes the AVX2 sizes), 32 with AVX-512, which also takes runs of
        // up to 4 taps (`R`, [`super::longest_run`], which this follows).
        // Four rows of 3 take 15 of AVX2's; on Zen 3 (RGB `u8`, L = 15 at
        // 30°) they ran 7 % faster than pairs of 6, which load 3 rows per
        // 4 multiply-adds to their 5 per 8. Single rows go 8 wide: 6 and
        // 12 were 1-6 % slower. AVX-512: four rows of 6 ran within 2 % of
        // four rows of 4.
        let wide = S::F32_LANES >= 16;
        let longest = if wide { 4 } else { 2 };
        if runs.iter().any(|run| run.taps > longest) {
            // Runs made for another path: the same sums, tap by tap.
            for (k, out) in outs.into_iter().enumerate() {
                let terms = run_terms(runs, k);
                WeightedSum { terms: &terms, out }.with_simd(simd);
            }
            return;
        }
        let mut e = 0;
        e = match (G, wide) {
            (1, false) => column_blocks::<S, T, G, 8, 2>(simd, runs, &mut outs, e, n),
            (1, true) => column_blocks::<S, T, G, 8, 4>(simd, runs, &mut outs, e, n),
            (2, false) => column_blocks::<S, T, G, 6, 2>(simd, runs, &mut outs, e, n),
            (2, true) => column_blocks::<S, T, G, 6, 4>(simd, runs, &mut outs, e, n),
            (_, false) => column_blocks::<S, T, G, 3, 2>(simd, runs, &mut outs, e, n),
            (_, true) => column_blocks::<S, T, G, 4, 4>(simd, runs, &mut outs, e, n),
        };
        e = if wide {
            column_blocks::<S, T, G, 1, 4>(simd, runs, &mut outs, e, n)
        } else {
            column_blocks::<S, T, G, 1, 2>(simd, runs, &mut outs, e, n)
        };
        if e < n {
            if wide {
                column_part::<S, T, G, 4>(simd, runs, &mut outs, e, n);
            } else {
                column_part::<S, T, G, 2>(simd, runs, &mut outs, e, n);
            }
        }
    }
}

/// Elements `e .. n` (fewer than a vector's lanes) as [`column_blocks`]
/// sums them, from vectors loaded in part.
#[inline(always)]
fn column_part<S: Simd, T: Sample, const G: usize, const R: usize>(
    simd: S,
    runs: &[ColumnRun<'_>],
    outs: &mut [&mut [T]; G],
    e: usize,
    n: usize,
) {
    let mut acc = [[simd.splat_f32s(0.0); 1]; G];
    for run in runs {
        acc = add_run::<S, G, 1, R, true>(simd, acc, run, e, n);
    }
    for (out, [acc]) in outs.iter_mut().zip(acc) {
        store_part(simd, acc, &mut out[e..n]);
    }
}

/// Elements from `e` on in whole blocks of `V` vectors, up to `n` (at
/// most the length of every row the runs read); returns the first element
/// left over. Runs have 1 to `R` taps.
#[inline(always)]
fn column_blocks<S: Simd, T: Sample, const G: usize, const V: usize, const R: usize>(
    simd: S,
    runs: &[ColumnRun<'_>],
    outs: &mut [&mut [T]; G],
    mut e: usize,
    n: usize,
) -> usize {
    let width = V * S::F32_LANES;
    while e + width <= n {
        let mut acc = [[simd.splat_f32s(0.0); V]; G];
        for run in runs {
            acc = add_run::<S, G, V, R, false>(simd, acc, run, e, n);
        }
        for (out, acc) in outs.iter_mut().zip(&acc) {
            store(acc, &mut out[e..e + width]);
        }
        e += width;
    }
    e
}

/// `run` added to the sums of elements `e ..` ([`column`]; with `PART`,
/// `e .. end` in one vector loaded in part). One jump on the run's length,
/// then straight-line code. The sums go in and out by value: borrowed into
/// the arms, with runs of 3 and 4 among them, the compiler kept them in
/// memory and the group ran 2-3x slower (on AVX2 too, with runs of 3).
#[inline(always)]
fn add_run<S: Simd, const G: usize, const V: usize, const R: usize, const PART: bool>(
    simd: S,
    acc: [[S::f32s; V]; G],
    run: &ColumnRun<'_>,
    e: usize,
    end: usize,
) -> [[S::f32s; V]; G] {
    let (rows, w) = (&run.rows, &run.weights);
    match run.taps {
        1 => column::<S, G, V, 1, PART>(simd, acc, rows, [w[0]], e, end),
        2 => column::<S, G, V, 2, PART>(simd, acc, rows, [w[0], w[1]], e, end),
        3 if R >= 3 => column::<S, G, V, 3, PART>(simd, acc, rows, [w[0], w[1], w[2]], e, end),
        _ if R >= 4 => column::<S, G, V, 4, PART>(simd, acc, rows, *w, e, end),
        // Longer runs went tap by tap before the first block.
        _ => acc,
    }
}

/// Adds one run of `N` taps to `V` vectors of the `G` outputs' sums from
/// element `e`: row `i` of the run feeds output `k` with weight
/// `weights[i - k]`, rows visited top to bottom, so each output takes the
/// run's taps in order. Each vector is loaded just before the
/// multiply-adds that take it, so only one is live at a time.
///
/// The caller guarantees that `e + V * lanes` is within each of the run's
/// first `N + G - 1` rows.
#[inline(always)]
fn column<S: Simd, const G: usize, const V: usize, const N: usize, const PART: bool>(
    simd: S,
    mut acc: [[S::f32s; V]; G],
    rows: &[&[f32]; RUN_ROWS],
    weights: [f32; N],
    e: usize,
    end: usize,
) -> [[S::f32s; V]; G] {
    const { assert!(N + G - 1 <= RUN_ROWS) };
    let w = weights.map(|w| simd.splat_f32s(w));
    // Row by row with the row's index a constant, so that every index
    // into the sums, weights and rows is one: the sums stay in registers
    // (a loop over the rows, not fully unrolled, left them in memory).
    feed::<S, G, V, N, 0, PART>(simd, &mut acc, rows, &w, e, end);
    feed::<S, G, V, N, 1, PART>(simd, &mut acc, rows, &w, e, end);
    feed::<S, G, V, N, 2, PART>(simd, &mut acc, rows, &w, e, end);
    feed::<S, G, V, N, 3, PART>(simd, &mut acc, rows, &w, e, end);
    feed::<S, G, V, N, 4, PART>(simd, &mut acc, rows, &w, e, end);
    feed::<S, G, V, N, 5, PART>(simd, &mut acc, rows, &w, e, end);
    feed::<S, G, V, N, 6, PART>(simd, &mut acc, rows, &w, e, end);
    const { assert!(RUN_ROWS <= 7, "one `feed` per row a run can read") };
    acc
}

/// Row `I` of a run of `N` taps into the sums of the outputs that take it
/// (output `k` with weight `w[I - k]`); nothing past the run's last row.
#[inline(always)]
fn feed<
    S: Simd,
    const G: usize,
    const V: usize,
    const N: usize,
    const I: usize,
    const PART: bool,
>(
    simd: S,
    acc: &mut [[S::f32s; V]; G],
    rows: &[&[f32]; RUN_ROWS],
    w: &[S::f32s; N],
    e: usize,
    end: usize,
) {
    if I >= N + G - 1 {
        return;
    }
    let row = rows[I];
    for j in 0..V {
        let [x] = if PART {
            [simd.partial_load_f32s(&row[e..end])]
        } else {
            load_rows::<S, 1>(simd, row, e + j * S::F32_LANES)
        };
        for (k, acc) in acc.iter_mut().enumerate() {
            if I >= k && I - k < N {
                acc[j] = simd.mul_add_f32s(w[I - k], x, acc[j]);
            }
        }
    }
}

/// Output rows processed together by [`VerticalRows`] on paths with 16
/// vector registers (AVX2, NEON): 4 rows of 2 vectors of sums.
const GROUP: usize = 4;

/// Output rows processed together on paths with 32 vector registers and
/// 16 lanes (AVX-512): 8 rows of 2 vectors of sums, 16 accumulators. Each
/// input row is then read once per 8 outputs instead of 4, which halves
/// the vertical pass's reads of the intermediate (at σ ≥ 3 its window of
/// rows lives in L2). Measured on the project's Zen 4 (AVX-512), RGB `u8`
/// 1024x768, same process, alternating, against groups of 4: σ = 3:
/// 0.90-0.98, σ = 10: 0.90-0.98, σ = 1: 0.99-1.09 (noise of this
/// measurement: ±2%).
const GROUP_WIDE: usize = 8;

/// [`super::vertical_rows`] as a pulp operation: groups of [`GROUP_WIDE`]
/// (AVX-512) or [`GROUP`] output rows share every input load; the rows left
/// over go through [`WeightedSum`] one by one. Grouping changes which loads
/// are shared, never an output's operations or their order.
pub(crate) struct VerticalRows<'a, 'r, 'o, T> {
    pub rows: &'a [&'r [f32]],
    pub weights: &'a [f32],
    pub outs: &'a mut [&'o mut [T]],
}

impl<T: Sample> pulp::WithSimd for VerticalRows<'_, '_, '_, T> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let mut i = 0;
        if S::F32_LANES >= 16 {
            i = groups::<S, T, GROUP_WIDE>(simd, self.rows, self.weights, self.outs, i);
        }
        i = groups::<S, T, GROUP>(simd, self.rows, self.weights, self.outs, i);
        while i < self.outs.len() {
            let terms = row_terms(&self.rows[i..], self.weights);
            WeightedSum {
                terms: &terms,
                out: &mut *self.outs[i],
            }
            .with_simd(simd);
            i += 1;
        }
    }
}

/// Output rows from `i` on in whole groups of `G`; returns the first row
/// left over.
#[inline(always)]
fn groups<S: Simd, T: Sample, const G: usize>(
    simd: S,
    rows: &[&[f32]],
    weights: &[f32],
    outs: &mut [&mut [T]],
    mut i: usize,
) -> usize {
    let n = weights.len();
    while i + G <= outs.len() {
        group::<S, T, G>(simd, &rows[i..i + n + G - 1], weights, &mut outs[i..i + G]);
        i += G;
    }
    i
}

/// `G` output rows from `n + G - 1` input rows.
#[inline(always)]
fn group<S: Simd, T: Sample, const G: usize>(
    simd: S,
    rows: &[&[f32]],
    weights: &[f32],
    outs: &mut [&mut [T]],
) {
    let len = rows
        .iter()
        .map(|r| r.len())
        .chain(outs.iter().map(|o| o.len()))
        .min()
        .unwrap_or(0);
    let lanes = S::F32_LANES;
    let mut e = 0;
    while e + 2 * lanes <= len {
        let acc = group_block::<S, G, 2>(simd, rows, weights, e);
        for (out, acc) in outs.iter_mut().zip(&acc) {
            store(acc, &mut out[e..e + 2 * lanes]);
        }
        e += 2 * lanes;
    }
    while e + lanes <= len {
        let acc = group_block::<S, G, 1>(simd, rows, weights, e);
        for (out, acc) in outs.iter_mut().zip(&acc) {
            store(acc, &mut out[e..e + lanes]);
        }
        e += lanes;
    }
    if e < len {
        let acc = group_sums::<S, G, 1>(simd, rows, weights, |row| {
            [simd.partial_load_f32s(&row[e..len])]
        });
        for (out, [acc]) in outs.iter_mut().zip(acc) {
            store_part(simd, acc, &mut out[e..len]);
        }
    }
}

/// Stores vectors of sums by the store rule of `T`.
#[inline(always)]
fn store<V: bytemuck::Pod, T: Sample>(acc: &[V], out: &mut [T]) {
    T::store_row(bytemuck::cast_slice(acc), out);
}

/// Sums for elements `e .. e + V * lanes` of the `G` output rows:
/// input row `p` contributes to output `i` with weight `w[p - i]`, visited
/// in increasing `p`, so each output sums its terms in the scalar order.
///
/// The caller guarantees `e + V * lanes` is within every row.
#[inline(always)]
fn group_block<S: Simd, const G: usize, const V: usize>(
    simd: S,
    rows: &[&[f32]],
    weights: &[f32],
    e: usize,
) -> [[S::f32s; V]; G] {
    group_sums::<S, G, V>(simd, rows, weights, |row| load_rows::<S, V>(simd, row, e))
}

/// [`group_block`] with each row's vectors from `load`.
#[inline(always)]
fn group_sums<S: Simd, const G: usize, const V: usize>(
    simd: S,
    rows: &[&[f32]],
    weights: &[f32],
    load: impl Fn(&[f32]) -> [S::f32s; V],
) -> [[S::f32s; V]; G] {
    let n = weights.len();
    let mut acc = [[simd.splat_f32s(0.0); V]; G];
    // Input row p feeds output i with weight p - i when 0 <= p - i < n:
    // rows G-1 .. n feed every output; the few before and after are
    // checked one by one. Rows are visited in increasing p either way.
    for p in 0..G - 1 {
        let x = load(rows[p]);
        for (i, acc) in acc.iter_mut().enumerate() {
            if p >= i && p - i < n {
                update::<S, V>(simd, acc, weights[p - i], &x);
            }
        }
    }
    for p in G - 1..n {
        let x = load(rows[p]);
        for (i, acc) in acc.iter_mut().enumerate() {
            update::<S, V>(simd, acc, weights[p - i], &x);
        }
    }
    for p in n.max(G - 1)..n + G - 1 {
        let x = load(rows[p]);
        for (i, acc) in acc.iter_mut().enumerate() {
            if p - i < n {
                update::<S, V>(simd, acc, weights[p - i], &x);
            }
        }
    }
    acc
}

/// `V` vectors of `row` from element `e`; the caller guarantees
/// `e + V * lanes <= row.len()`.
#[inline(always)]
fn load_rows<S: Simd, const V: usize>(simd: S, row: &[f32], e: usize) -> [S::f32s; V] {
    let lanes = S::F32_LANES;
    debug_assert!(e + V * lanes <= row.len());
    let base = row.as_ptr();
    let mut x = [simd.splat_f32s(0.0); V];
    for (j, x) in x.iter_mut().enumerate() {
        // SAFETY: the caller guarantees e + V * lanes <= row.len(), so the
        // `lanes` floats at base + e + j * lanes (j < V) are inside `row`;
        // the read is unaligned and `S::f32s` is plain old data.
        *x = unsafe { base.add(e + j * lanes).cast::<S::f32s>().read_unaligned() };
    }
    x
}

/// `acc = weight · x + acc`, one fused multiply-add per lane.
#[inline(always)]
fn update<S: Simd, const V: usize>(simd: S, acc: &mut [S::f32s; V], weight: f32, x: &[S::f32s; V]) {
    let w = simd.splat_f32s(weight);
    for (a, &x) in acc.iter_mut().zip(x) {
        *a = simd.mul_add_f32s(w, x, *a);
    }
}
