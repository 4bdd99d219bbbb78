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

/// One load of `G` output rows' weighted sums
/// ([`super::weighted_sum_group`]): the values `src` are a term of output
/// row `k` with `weights[k]`, for every `k` whose bit is set in `present`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SharedTerm<'a, const G: usize> {
    /// Values; element `e` of any of the outputs reads `src[e]`.
    pub src: &'a [f32],
    /// The weight in each output row's sum; 0 where the row does not take
    /// this term.
    pub weights: [f32; G],
    /// Bit `k` is set when output row `k` takes this term.
    pub present: u32,
}

impl<'a, const G: usize> SharedTerm<'a, G> {
    /// The term `src` with weight `weights[k]` in output row `k`, `None`
    /// where that row does not take it.
    #[inline]
    pub(crate) fn new(src: &'a [f32], weights: [Option<f32>; G]) -> Self {
        let present = (0..G)
            .filter(|&k| weights[k].is_some())
            .map(|k| 1 << k)
            .sum();
        SharedTerm {
            src,
            weights: weights.map(|w| w.unwrap_or(0.0)),
            present,
        }
    }

    /// The weight in output row `k`, if that row takes this term.
    #[inline]
    pub(crate) fn weight(&self, k: usize) -> Option<f32> {
        (self.present >> k & 1 == 1).then(|| self.weights[k])
    }
}

/// The terms of output row `k` of a group, in the group's order.
#[inline]
pub(crate) fn terms_of<'a, const G: usize>(
    shared: &[SharedTerm<'a, G>],
    k: usize,
) -> Vec<Term<'a>> {
    shared
        .iter()
        .filter_map(|t| t.weight(k).map(|weight| Term { src: t.src, weight }))
        .collect()
}
