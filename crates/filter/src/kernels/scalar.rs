//! The scalar reference: the specification every other path must equal bit
//! for bit.
//!
//! # The weighted sum of shifted rows
//!
//! For output element `e` and terms `(x_0, w_0), …, (x_{n-1}, w_{n-1})`:
//!
//! ```text
//! s = +0.0
//! for i in 0..n:  s = w_i.mul_add(x_i[e], s)  // fused: one f32 rounding
//! out[e] = T::from_f32(s)
//! ```
//!
//! Terms are summed in the order given (every filter documents its order:
//! taps left to right, rows top to bottom). Each term is one IEEE `f32`
//! fused multiply-add, so any path that performs the same operations per
//! element in the same order gets the same bits (every SIMD path the crate
//! has, AVX2, AVX-512 and NEON, has a fused multiply-add); the SIMD path
//! vectorises across `e` and keeps the order of `i`. Fusing halves the
//! arithmetic of every direct filter against a multiply then an add, and
//! rounds once per tap instead of twice. Starting from `+0.0`
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
            *s = w.mul_add(x, *s);
        }
    }
    T::store_row(scratch, &mut out[..n]);
}
