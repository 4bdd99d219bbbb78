//! The scalar reference: the specification every other path must equal bit
//! for bit.
//!
//! # The weighted sum of shifted rows
//!
//! For output element `e` and terms `(x_0, w_0), …, (x_{n-1}, w_{n-1})`:
//!
//! ```text
//! s = +0.0
//! for i in 0..n:  s = s + (w_i * x_i[e])     // two f32 roundings, no FMA
//! out[e] = T::from_f32(s)
//! ```
//!
//! Terms are summed in the order given (every filter documents its order:
//! taps left to right, rows top to bottom). Each product and each sum is one
//! IEEE `f32` operation, never fused, so any path that performs the same
//! operations per element in the same order gets the same bits; the SIMD path
//! vectorises across `e` and keeps the order of `i`. Starting from `+0.0`
//! (rather than the first product) only changes the sign of a zero sum.
//!
//! `T::from_f32` is the store rule of [`geom::Element`]: `f32` unchanged,
//! `u8` rounded half to even after clamping to 0–255 (NaN gives 0).

use super::terms::{Term, common_len};
use crate::element::Sample;

/// `out[e] = T::from_f32(Σ_i w_i · x_i[e])`, summed as the module docs say.
///
/// Written term by term over a row of accumulators (`scratch`) for speed;
/// per element the operations and their order are exactly the loop above.
pub(crate) fn weighted_sum<T: Sample>(terms: &[Term<'_>], scratch: &mut Vec<f32>, out: &mut [T]) {
    let n = common_len(terms, out.len());
    scratch.clear();
    scratch.resize(n, 0.0);
    for term in terms {
        let w = term.weight;
        for (s, &x) in scratch.iter_mut().zip(&term.src[..n]) {
            *s += w * x;
        }
    }
    T::store_row(scratch, &mut out[..n]);
}

/// The same sum for one element (used for the SIMD path's last partial vector).
#[inline(always)]
pub(crate) fn weighted_sum_at(terms: &[Term<'_>], e: usize) -> f32 {
    let mut s = 0.0f32;
    for term in terms {
        s += term.weight * term.src[e];
    }
    s
}
