//! The row kernels every filter is built from: the scalar reference (the
//! specification) and the pulp-generic SIMD path that must equal it bit for
//! bit.
//!
//! Every filter in this crate reduces to one operation on rows of `f32`:
//! a *weighted sum of shifted rows*, `out[e] = Σ_i w_i · x_i[e]`, where each
//! term `x_i` is a slice (a padded row, shifted by the tap's offset). The
//! horizontal pass of a separable filter uses shifts of one padded row; the
//! vertical pass uses whole rows of the intermediate; a 2-D kernel (motion,
//! directional) uses shifted rows of several padded source rows. One kernel,
//! one specification, one SIMD implementation. One exception, for speed:
//! [`columns`] sums `u8` source rows straight from their bytes on AVX2 (the
//! same values as converting them first), and runs the horizontal pass that
//! follows into bytes.

pub(crate) mod area;
pub(crate) mod columns;
pub(crate) mod downscale;
pub(crate) mod generic;
pub(crate) mod scalar;
mod terms;

pub(crate) use terms::{ColumnRun, MAX_RUN, RUN_ROWS, Term, row_terms, run_terms};

use crate::element::Sample;
use geom::Isa;

/// `out[e] = T::from_f32(Σ_i w_i · x_i[e])` on the chosen path (see
/// [`scalar::weighted_sum`] for the exact arithmetic). `scratch` is reused
/// between calls by the scalar path.
#[inline]
pub(crate) fn weighted_sum<T: Sample>(
    isa: Isa,
    terms: &[Term<'_>],
    scratch: &mut Vec<f32>,
    out: &mut [T],
) {
    match isa {
        Isa::Scalar => scalar::weighted_sum(terms, scratch, out),
        _ => isa.vectorize(generic::WeightedSum { terms, out }),
    }
}

/// Longest run of taps down a column ([`ColumnRun`]) that `isa`'s
/// [`weighted_sum_columns`] takes in one piece: 4 on AVX-512, 2 elsewhere
/// (the scalar path sums tap by tap, so any length gives its bits).
///
/// Longer runs load fewer rows: a column of `n` taps split into runs
/// reloads `G - 1` rows per extra run. Measured on a Xeon (AVX-512), RGB
/// `u8` 1024x768, L = 15, ns per pixel for runs of 2 / 3 / 4: at 77°
/// 2.52 / 2.24 / 2.04, at 60° 2.43 / 2.10 / 1.98, at 30° (columns of at
/// most 2) 2.17 / 2.14 / 2.13. On AVX2, forced on the same Xeon, runs of
/// 3 against 2 were 2-4 % slower at 30° and 2-8 % faster at 60° and 77°;
/// AVX2's own machine (Zen 3) set its sizes at 30°, the benchmark's angle,
/// so it keeps 2 until it is measured there. NEON, unmeasured, takes
/// AVX2's sizes.
pub(crate) fn longest_run(isa: Isa) -> usize {
    match isa {
        Isa::Avx512 | Isa::Avx512Vbmi => MAX_RUN,
        _ => 2,
    }
}

/// `G` output rows of a 2-D kernel, summed column run by column run:
/// output `k` is exactly [`weighted_sum`] of `run_terms(runs, k)`. A
/// kernel's taps down one column read, for output `k`, the rows `k`
/// further down, so the SIMD path loads each row of a run once for every
/// output that takes it, and the taps of a run go through one piece of
/// straight-line code instead of a branch per tap.
///
/// `G` is 1 to [`terms::MAX_GROUP`], and every run was made for groups of
/// `G` ([`ColumnRun::new`]).
#[inline]
pub(crate) fn weighted_sum_columns<T: Sample, const G: usize>(
    isa: Isa,
    runs: &[ColumnRun<'_>],
    scratch: &mut Vec<f32>,
    outs: [&mut [T]; G],
) {
    match isa {
        Isa::Scalar => {
            for (k, out) in outs.into_iter().enumerate() {
                scalar::weighted_sum(&run_terms(runs, k), scratch, out);
            }
        }
        _ => isa.vectorize(generic::WeightedSumColumns { runs, outs }),
    }
}

/// Output rows at once: `outs[i][e] = T::from_f32(Σ_t w[t] · rows[i + t][e])`
/// (`rows` holds `weights.len() + outs.len() - 1` rows). Each output row is
/// exactly [`weighted_sum`] of its own terms `(rows[i + t], w[t])`; the SIMD
/// path works on several output rows together so each loaded input vector
/// feeds all of them (the vertical pass of a separable filter).
#[inline]
pub(crate) fn vertical_rows<T: Sample>(
    isa: Isa,
    rows: &[&[f32]],
    weights: &[f32],
    scratch: &mut Vec<f32>,
    outs: &mut [&mut [T]],
) {
    if rows.len() + 1 < weights.len() + outs.len() {
        return;
    }
    match isa {
        Isa::Scalar => {
            for (i, out) in outs.iter_mut().enumerate() {
                let terms = row_terms(&rows[i..], weights);
                scalar::weighted_sum(&terms, scratch, out);
            }
        }
        _ => isa.vectorize(generic::VerticalRows {
            rows,
            weights,
            outs,
        }),
    }
}

/// Converts a source row to `f32` and pads it: `out[i*c + ch]` is channel
/// `ch` of source pixel `map[i]`, or `fill` where the map says `None`.
/// Exact on every path (integer to float conversion, copies), so it only
/// goes through [`Isa::vectorize`] for the code generation.
#[inline]
pub(crate) fn pad_row<T: Sample>(
    isa: Isa,
    row: &[T],
    channels: usize,
    map: &[Option<usize>],
    before: usize,
    fill: f32,
    out: &mut [f32],
) {
    let op = PadRow {
        row,
        channels,
        map,
        before,
        fill,
        out,
    };
    match isa {
        Isa::Scalar => op.run(),
        _ => isa.vectorize(op),
    }
}

struct PadRow<'a, T> {
    row: &'a [T],
    channels: usize,
    map: &'a [Option<usize>],
    before: usize,
    fill: f32,
    out: &'a mut [f32],
}

impl<T: Sample> PadRow<'_, T> {
    #[inline(always)]
    fn run(self) {
        let c = self.channels;
        let width = self.row.len() / c;
        let edge = |out: &mut [f32], first: usize| {
            for (i, px) in out.chunks_exact_mut(c).enumerate() {
                match self.map.get(first + i).copied().flatten() {
                    Some(x) => {
                        for (o, v) in px.iter_mut().zip(&self.row[x * c..x * c + c]) {
                            *o = v.to_f32();
                        }
                    }
                    None => px.fill(self.fill),
                }
            }
        };
        let (left, rest) = self.out.split_at_mut((self.before * c).min(self.out.len()));
        let (middle, right) = rest.split_at_mut((width * c).min(rest.len()));
        edge(left, 0);
        edge(right, self.before + width);
        T::load_row(self.row, middle);
    }
}

impl<T: Sample> pulp::WithSimd for PadRow<'_, T> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        self.run()
    }
}

/// Runs a closure inside [`Isa::vectorize`], so plain loops in it are
/// compiled for that instruction set (used for integer and conversion loops
/// whose results are exact on every path).
pub(crate) struct Vectorized<F>(pub F);

impl<F: FnOnce() -> R, R> pulp::WithSimd for Vectorized<F> {
    type Output = R;
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> R {
        (self.0)()
    }
}

/// Runs `f` compiled for `isa` (plain code for [`Isa::Scalar`]).
#[inline(always)]
pub(crate) fn on_isa<R>(isa: Isa, f: impl FnOnce() -> R) -> R {
    match isa {
        Isa::Scalar => f(),
        _ => isa.vectorize(Vectorized(f)),
    }
}
