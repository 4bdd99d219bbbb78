//! The SIMD weighted sum, written once over [`pulp::Simd`] (AVX-512, AVX2,
//! NEON): equals [`super::scalar::weighted_sum`] bit for bit.
//!
//! Vectorised across output elements `e`; for each block of elements the
//! terms are visited in the scalar order, one fused multiply-add per term
//! and lane, as the reference. Several independent accumulators per block hide
//! the add latency without changing any element's order of operations.

use super::scalar;
use super::terms::{SharedTerm, Term, common_len, row_terms, terms_of};
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
        for (i, o) in out.iter_mut().enumerate().take(n).skip(e) {
            *o = T::store(scalar::weighted_sum_at(terms, i));
        }
    }
}

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

/// [`super::weighted_sum_group`] as a pulp operation.
pub(crate) struct WeightedSumGroup<'t, 's, 'o, T, const G: usize> {
    pub shared: &'t [SharedTerm<'s, G>],
    pub outs: [&'o mut [T]; G],
}

impl<T: Sample, const G: usize> pulp::WithSimd for WeightedSumGroup<'_, '_, '_, T, G> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let shared = self.shared;
        let mut outs = self.outs;
        let n = shared
            .iter()
            .map(|t| t.src.len())
            .chain(outs.iter().map(|o| o.len()))
            .min()
            .unwrap_or(0);
        // G rows of `V` vectors of sums, `V` loaded vectors and a weight
        // stay in the registers (32 with AVX-512, 16 with AVX2; NEON,
        // unmeasured, takes the AVX2 sizes):
        // four rows of 6 take 31 of AVX-512's, and ran 3-5 % faster than
        // blocks of 4 on the project's Xeon.
        // Pairs on 16 registers go 6 vectors wide with each vector loaded
        // just before its two multiply-adds (`pair_terms_block`): 12 sums,
        // one loaded vector and two weights fit, and 12 independent sums
        // hide the multiply-add latency that 8 could not (each sum is a
        // chain of one multiply-add per tap).
        let wide = S::F32_LANES >= 16;
        let mut e = 0;
        if G <= 2 {
            if wide {
                e = group_blocks::<S, T, G, 8>(simd, shared, &mut outs, e, n);
            } else {
                e = blocks_by::<S, T, G, 6>(&mut outs, e, n, |e| {
                    pair_terms_block::<S, G, 6>(simd, shared, e)
                });
            }
            e = group_blocks::<S, T, G, 4>(simd, shared, &mut outs, e, n);
        } else if G <= 4 {
            if wide {
                e = group_blocks::<S, T, G, 6>(simd, shared, &mut outs, e, n);
                e = group_blocks::<S, T, G, 4>(simd, shared, &mut outs, e, n);
            }
            e = group_blocks::<S, T, G, 2>(simd, shared, &mut outs, e, n);
        }
        e = group_blocks::<S, T, G, 1>(simd, shared, &mut outs, e, n);
        if e < n {
            for (k, out) in outs.iter_mut().enumerate() {
                let terms = terms_of(shared, k);
                for (i, o) in out.iter_mut().enumerate().take(n).skip(e) {
                    *o = T::store(scalar::weighted_sum_at(&terms, i));
                }
            }
        }
    }
}

/// Elements from `e` on in whole blocks of `V` vectors, up to `n`; returns
/// the first element left over.
#[inline(always)]
fn group_blocks<S: Simd, T: Sample, const G: usize, const V: usize>(
    simd: S,
    shared: &[SharedTerm<'_, G>],
    outs: &mut [&mut [T]; G],
    e: usize,
    n: usize,
) -> usize {
    blocks_by::<S, T, G, V>(outs, e, n, |e| {
        group_terms_block::<S, G, V>(simd, shared, e)
    })
}

/// Whole blocks of `V` vectors from `e` up to `n`, each summed by
/// `block(e)` and stored; returns the first element left over. `n` is at
/// most every term's length, which is what the block functions' reads
/// rely on.
#[inline(always)]
fn blocks_by<S: Simd, T: Sample, const G: usize, const V: usize>(
    outs: &mut [&mut [T]; G],
    mut e: usize,
    n: usize,
    block: impl Fn(usize) -> [[S::f32s; V]; G],
) -> usize {
    let width = V * S::F32_LANES;
    while e + width <= n {
        let acc = block(e);
        for (out, acc) in outs.iter_mut().zip(&acc) {
            store(acc, &mut out[e..e + width]);
        }
        e += width;
    }
    e
}

/// `V` vectors of the `G` rows' sums for elements `e .. e + V * lanes`;
/// each shared term is loaded once and feeds the rows it has a weight for,
/// in the shared order, so each row sees its own terms in order.
///
/// The caller guarantees `e + V * lanes` is within every term's values.
#[inline(always)]
fn group_terms_block<S: Simd, const G: usize, const V: usize>(
    simd: S,
    shared: &[SharedTerm<'_, G>],
    e: usize,
) -> [[S::f32s; V]; G] {
    let mut acc = [[simd.splat_f32s(0.0); V]; G];
    for term in shared {
        let x = load_rows::<S, V>(simd, term.src, e);
        // One jump on the rows that take the term, then straight-line
        // updates, instead of a test and branch per row.
        match term.present {
            1 => take::<S, G, V, 1>(simd, &mut acc, &term.weights, &x),
            2 => take::<S, G, V, 2>(simd, &mut acc, &term.weights, &x),
            3 => take::<S, G, V, 3>(simd, &mut acc, &term.weights, &x),
            4 => take::<S, G, V, 4>(simd, &mut acc, &term.weights, &x),
            5 => take::<S, G, V, 5>(simd, &mut acc, &term.weights, &x),
            6 => take::<S, G, V, 6>(simd, &mut acc, &term.weights, &x),
            7 => take::<S, G, V, 7>(simd, &mut acc, &term.weights, &x),
            8 => take::<S, G, V, 8>(simd, &mut acc, &term.weights, &x),
            9 => take::<S, G, V, 9>(simd, &mut acc, &term.weights, &x),
            10 => take::<S, G, V, 10>(simd, &mut acc, &term.weights, &x),
            11 => take::<S, G, V, 11>(simd, &mut acc, &term.weights, &x),
            12 => take::<S, G, V, 12>(simd, &mut acc, &term.weights, &x),
            13 => take::<S, G, V, 13>(simd, &mut acc, &term.weights, &x),
            14 => take::<S, G, V, 14>(simd, &mut acc, &term.weights, &x),
            15 => take::<S, G, V, 15>(simd, &mut acc, &term.weights, &x),
            present => add_to_rows::<S, G, V>(simd, &mut acc, &term.weights, &x, present),
        }
    }
    acc
}

/// [`group_terms_block`] for one or two rows, loading each vector of a
/// term just before the multiply-adds that take it rather than all `V`
/// first, so that `V` can be wider on 16 registers. Each row still sees
/// its terms in the shared order, one multiply-add each.
///
/// The caller guarantees `e + V * lanes` is within every term's values.
#[inline(always)]
fn pair_terms_block<S: Simd, const G: usize, const V: usize>(
    simd: S,
    shared: &[SharedTerm<'_, G>],
    e: usize,
) -> [[S::f32s; V]; G] {
    let mut acc = [[simd.splat_f32s(0.0); V]; G];
    for term in shared {
        let weights: [S::f32s; G] = std::array::from_fn(|k| simd.splat_f32s(term.weights[k]));
        // Literal masks for a pair's three cases, so the row tests fold.
        let (src, w) = (term.src, &weights);
        match term.present {
            1 => load_into_rows::<S, G, V>(simd, &mut acc, w, src, e, 1),
            2 => load_into_rows::<S, G, V>(simd, &mut acc, w, src, e, 2),
            3 => load_into_rows::<S, G, V>(simd, &mut acc, w, src, e, 3),
            present => load_into_rows::<S, G, V>(simd, &mut acc, w, src, e, present),
        }
    }
    acc
}

/// The term `src` into the sums of the rows whose bit is set in `mask`,
/// vector by vector.
#[inline(always)]
fn load_into_rows<S: Simd, const G: usize, const V: usize>(
    simd: S,
    acc: &mut [[S::f32s; V]; G],
    weights: &[S::f32s; G],
    src: &[f32],
    e: usize,
    mask: u32,
) {
    for j in 0..V {
        let [x] = load_rows::<S, 1>(simd, src, e + j * S::F32_LANES);
        for (k, acc) in acc.iter_mut().enumerate() {
            if mask >> k & 1 == 1 {
                acc[j] = simd.mul_add_f32s(weights[k], x, acc[j]);
            }
        }
    }
}

/// [`add_to_rows`] for a mask known at compile time, so the tests on its
/// bits fold away.
#[inline(always)]
fn take<S: Simd, const G: usize, const V: usize, const M: u32>(
    simd: S,
    acc: &mut [[S::f32s; V]; G],
    weights: &[f32; G],
    x: &[S::f32s; V],
) {
    add_to_rows::<S, G, V>(simd, acc, weights, x, M);
}

/// Adds `x` with its weight to the sums of the rows whose bit is set in
/// `mask`.
#[inline(always)]
fn add_to_rows<S: Simd, const G: usize, const V: usize>(
    simd: S,
    acc: &mut [[S::f32s; V]; G],
    weights: &[f32; G],
    x: &[S::f32s; V],
    mask: u32,
) {
    for (k, acc) in acc.iter_mut().enumerate() {
        if mask >> k & 1 == 1 {
            update::<S, V>(simd, acc, weights[k], x);
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
    for (i, out) in outs.iter_mut().enumerate() {
        let terms = row_terms(&rows[i..], weights);
        for (k, o) in out.iter_mut().enumerate().take(len).skip(e) {
            *o = T::store(scalar::weighted_sum_at(&terms, k));
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
    let n = weights.len();
    let mut acc = [[simd.splat_f32s(0.0); V]; G];
    // Input row p feeds output i with weight p - i when 0 <= p - i < n:
    // rows G-1 .. n feed every output; the few before and after are
    // checked one by one. Rows are visited in increasing p either way.
    for p in 0..G - 1 {
        let x = load_rows::<S, V>(simd, rows[p], e);
        for (i, acc) in acc.iter_mut().enumerate() {
            if p >= i && p - i < n {
                update::<S, V>(simd, acc, weights[p - i], &x);
            }
        }
    }
    for p in G - 1..n {
        let x = load_rows::<S, V>(simd, rows[p], e);
        for (i, acc) in acc.iter_mut().enumerate() {
            update::<S, V>(simd, acc, weights[p - i], &x);
        }
    }
    for p in n.max(G - 1)..n + G - 1 {
        let x = load_rows::<S, V>(simd, rows[p], e);
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
