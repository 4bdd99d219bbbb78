//! The operand of every row kernel: a weighted sum of shifted rows is a
//! list of terms, each a row of `f32` values and its weight.

/// One term of a weighted sum: a row of values and its weight.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Term<'a> {
    /// Values; element `e` of the output reads `src[e]`.
    pub src: &'a [f32],
    /// The tap weight.
    pub weight: f32,
}

/// Elements both the output and every term can supply: the kernels only
/// touch `0..common_len`, which is what makes their reads in bounds.
#[inline]
pub(crate) fn common_len(terms: &[Term<'_>], out_len: usize) -> usize {
    terms.iter().map(|t| t.src.len()).fold(out_len, usize::min)
}

/// The terms `(rows[t], w[t])`.
#[inline]
pub(crate) fn row_terms<'a>(rows: &[&'a [f32]], weights: &[f32]) -> Vec<Term<'a>> {
    rows.iter()
        .zip(weights)
        .map(|(&src, &weight)| Term { src, weight })
        .collect()
}

/// Longest run of taps one [`ColumnRun`] holds; longer kernel columns are
/// split. How long a path takes is [`super::longest_run`].
pub(crate) const MAX_RUN: usize = 4;

/// Most output rows a group of [`super::weighted_sum_columns`] computes.
pub(crate) const MAX_GROUP: usize = 4;

/// Rows a [`ColumnRun`] has room for: its taps for the largest group.
pub(crate) const RUN_ROWS: usize = MAX_RUN + MAX_GROUP - 1;

/// A run of consecutive taps down one column of a 2-D kernel, for a group
/// of `G` output rows ([`super::weighted_sum_columns`]): output row `k`'s
/// tap `t` has weight `weights[t]` and reads `rows[t + k]`, so the run
/// reads `taps + G - 1` rows, and a row feeds every output whose tap it is.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ColumnRun<'a> {
    /// The rows, top to bottom, from the run's column on; those past
    /// `taps + G - 1` are empty and unused.
    pub rows: [&'a [f32]; RUN_ROWS],
    /// Number of taps, 1 to [`MAX_RUN`].
    pub taps: usize,
    /// The weights, top to bottom; those past `taps` are 0 and unused.
    pub weights: [f32; MAX_RUN],
}

impl<'a> ColumnRun<'a> {
    /// The run of `weights` (1 to [`MAX_RUN`] of them, top to bottom) for a
    /// group of `group` outputs (1 to [`MAX_GROUP`]), reading `row(i)` as its
    /// row `i`; `None` for any other count.
    pub(crate) fn new(
        weights: &[f32],
        group: usize,
        row: impl Fn(usize) -> &'a [f32],
    ) -> Option<ColumnRun<'a>> {
        let mut padded = [0.0; MAX_RUN];
        padded.get_mut(..weights.len())?.copy_from_slice(weights);
        let used = weights.len() + group - 1;
        (!weights.is_empty() && (1..=MAX_GROUP).contains(&group)).then(|| ColumnRun {
            rows: std::array::from_fn(|i| if i < used { row(i) } else { &[] }),
            taps: weights.len(),
            weights: padded,
        })
    }

    /// The rows a group of `G` outputs reads.
    #[inline]
    pub(crate) fn used_rows<const G: usize>(&self) -> &[&'a [f32]] {
        &self.rows[..self.taps + G - 1]
    }
}

/// The terms of output row `k` of a group summed by runs, in the runs'
/// order, each run top to bottom.
#[inline]
pub(crate) fn run_terms<'a>(runs: &[ColumnRun<'a>], k: usize) -> Vec<Term<'a>> {
    runs.iter()
        .flat_map(|run| {
            run.weights[..run.taps]
                .iter()
                .enumerate()
                .map(move |(t, &weight)| Term {
                    src: run.rows[t + k],
                    weight,
                })
        })
        .collect()
}
