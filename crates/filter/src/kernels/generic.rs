//! The SIMD weighted sum, written once over [`pulp::Simd`] (AVX-512, AVX2,
//! NEON): equals [`super::scalar::weighted_sum`] bit for bit.
//!
//! Vectorised across output elements `e`; for each block of elements the
//! terms are visited in the scalar order, one `mul` and one `add` per term
//! and lane, never fused. Several independent accumulators per block hide
//! the add latency without changing any element's order of operations.

use super::{Term, as_f32_mut, common_len, scalar};
use geom::Element;
use pulp::Simd;

/// The weighted sum of shifted rows as a pulp operation.
pub(crate) struct WeightedSum<'t, 's, 'o, T> {
    pub terms: &'t [Term<'s>],
    pub out: &'o mut [T],
}

impl<T: Element> pulp::WithSimd for WeightedSum<'_, '_, '_, T> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let terms = self.terms;
        let n = common_len(terms, self.out.len());
        let lanes = S::F32_LANES;
        let mut e = 0;
        match as_f32_mut(self.out) {
            Some(out) => {
                while e + 8 * lanes <= n {
                    let acc = block::<S, 8>(simd, terms, e);
                    store_f32(&acc, &mut out[e..e + 8 * lanes]);
                    e += 8 * lanes;
                }
                while e + 2 * lanes <= n {
                    let acc = block::<S, 2>(simd, terms, e);
                    store_f32(&acc, &mut out[e..e + 2 * lanes]);
                    e += 2 * lanes;
                }
                while e + lanes <= n {
                    let acc = block::<S, 1>(simd, terms, e);
                    store_f32(&acc, &mut out[e..e + lanes]);
                    e += lanes;
                }
                for (i, o) in out.iter_mut().enumerate().take(n).skip(e) {
                    *o = scalar::weighted_sum_at(terms, i);
                }
            }
            None => {
                let out = self.out;
                while e + 8 * lanes <= n {
                    let acc = block::<S, 8>(simd, terms, e);
                    store_converted(&acc, &mut out[e..e + 8 * lanes]);
                    e += 8 * lanes;
                }
                while e + 2 * lanes <= n {
                    let acc = block::<S, 2>(simd, terms, e);
                    store_converted(&acc, &mut out[e..e + 2 * lanes]);
                    e += 2 * lanes;
                }
                while e + lanes <= n {
                    let acc = block::<S, 1>(simd, terms, e);
                    store_converted(&acc, &mut out[e..e + lanes]);
                    e += lanes;
                }
                for (i, o) in out.iter_mut().enumerate().take(n).skip(e) {
                    *o = T::from_f32(scalar::weighted_sum_at(terms, i));
                }
            }
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
            *a = simd.add_f32s(*a, simd.mul_f32s(w, x));
        }
    }
    acc
}

#[inline(always)]
fn store_f32<V: bytemuck::Pod>(acc: &[V], out: &mut [f32]) {
    out.copy_from_slice(bytemuck::cast_slice(acc));
}

#[inline(always)]
fn store_converted<V: bytemuck::Pod, T: Element>(acc: &[V], out: &mut [T]) {
    let values: &[f32] = bytemuck::cast_slice(acc);
    for (o, &v) in out.iter_mut().zip(values) {
        *o = T::from_f32(v);
    }
}
