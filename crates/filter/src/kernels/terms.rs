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

/// One load of two output rows' weighted sums ([`super::weighted_sum_pair`]):
/// the values `src` are a term of output row 0 with `weights[0]`, of output
/// row 1 with `weights[1]`, or of both.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SharedTerm<'a> {
    /// Values; element `e` of either output reads `src[e]`.
    pub src: &'a [f32],
    /// The weight in each output row's sum, `None` where the row does not
    /// take this term.
    pub weights: [Option<f32>; 2],
}

/// The terms of output row `k` of a pair, in the pair's order.
#[inline]
pub(crate) fn terms_of<'a>(shared: &[SharedTerm<'a>], k: usize) -> Vec<Term<'a>> {
    shared
        .iter()
        .filter_map(|t| t.weights[k].map(|weight| Term { src: t.src, weight }))
        .collect()
}
