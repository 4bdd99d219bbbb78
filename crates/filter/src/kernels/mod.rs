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
//! one specification, one SIMD implementation.

pub(crate) mod generic;
pub(crate) mod scalar;

use geom::{Element, Isa};
use std::any::TypeId;

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

/// `out[e] = T::from_f32(Σ_i w_i · x_i[e])` on the chosen path (see
/// [`scalar::weighted_sum`] for the exact arithmetic). `scratch` is reused
/// between calls by the scalar path.
#[inline]
pub(crate) fn weighted_sum<T: Element>(
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

/// Output rows at once: `outs[i][e] = T::from_f32(Σ_t w[t] · rows[i + t][e])`
/// (`rows` holds `weights.len() + outs.len() - 1` rows). Each output row is
/// exactly [`weighted_sum`] of its own terms `(rows[i + t], w[t])`; the SIMD
/// path works on several output rows together so each loaded input vector
/// feeds all of them (the vertical pass of a separable filter).
#[inline]
pub(crate) fn vertical_rows<T: Element>(
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

/// The terms `(rows[t], w[t])`.
#[inline]
pub(crate) fn row_terms<'a>(rows: &[&'a [f32]], weights: &[f32]) -> Vec<Term<'a>> {
    rows.iter()
        .zip(weights)
        .map(|(&src, &weight)| Term { src, weight })
        .collect()
}

/// Converts a source row to `f32` and pads it: `out[i*c + ch]` is channel
/// `ch` of source pixel `map[i]`, or `fill` where the map says `None`.
/// Exact on every path (integer to float conversion, copies), so it only
/// goes through [`Isa::vectorize`] for the code generation.
#[inline]
pub(crate) fn pad_row<T: Element>(
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

impl<T: Element> PadRow<'_, T> {
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
        convert_to_f32(self.row, middle);
    }
}

impl<T: Element> pulp::WithSimd for PadRow<'_, T> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        self.run()
    }
}

/// `out[i] = row[i].to_f32()`, with the `u8` case spelled out so it
/// vectorises.
#[inline(always)]
fn convert_to_f32<T: Element>(row: &[T], out: &mut [f32]) {
    if let Some(bytes) = as_u8(row) {
        for (o, &v) in out.iter_mut().zip(bytes) {
            *o = f32::from(v);
        }
    } else {
        for (o, v) in out.iter_mut().zip(row) {
            *o = v.to_f32();
        }
    }
}

/// `out[i] = T::from_f32(values[i])`, with the `u8` case spelled out so it
/// vectorises (see [`f32_to_u8`]).
#[inline(always)]
pub(crate) fn store_row<T: Element>(values: &[f32], out: &mut [T]) {
    if let Some(bytes) = as_u8_mut(out) {
        for (o, &v) in bytes.iter_mut().zip(values) {
            *o = f32_to_u8(v);
        }
    } else {
        for (o, &v) in out.iter_mut().zip(values) {
            *o = T::from_f32(v);
        }
    }
}

/// Exactly `u8::from_f32` (round half to even, clamp to 0–255, NaN to 0),
/// in plain SSE2-level operations so it vectorises on every target: clamp
/// first (a comparison with NaN is false, so NaN takes the 0 branch, as
/// `maxps` does), then add 2^23, which rounds a value in 0–255 to the
/// nearest integer, ties to even, and leaves that integer in the low
/// mantissa bits. Rounding and clamping commute here because the bounds are
/// integers.
#[inline(always)]
pub(crate) fn f32_to_u8(v: f32) -> u8 {
    const ROUND: f32 = 8_388_608.0; // 2^23
    let v = if v > 0.0 { v } else { 0.0 };
    let v = if v < 255.0 { v } else { 255.0 };
    (v + ROUND).to_bits() as u8
}

/// The row as bytes when `T` is `u8`.
#[inline(always)]
pub(crate) fn as_u8<T: Element>(row: &[T]) -> Option<&[u8]> {
    (TypeId::of::<T>() == TypeId::of::<u8>()).then(|| bytemuck::cast_slice(row))
}

/// The row as bytes when `T` is `u8`, writable.
#[inline(always)]
pub(crate) fn as_u8_mut<T: Element>(row: &mut [T]) -> Option<&mut [u8]> {
    if TypeId::of::<T>() == TypeId::of::<u8>() {
        Some(bytemuck::cast_slice_mut(row))
    } else {
        None
    }
}

/// The row as `f32` when `T` is `f32`.
#[inline(always)]
pub(crate) fn as_f32_mut<T: Element>(row: &mut [T]) -> Option<&mut [f32]> {
    if TypeId::of::<T>() == TypeId::of::<f32>() {
        Some(bytemuck::cast_slice_mut(row))
    } else {
        None
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_to_u8_is_the_store_rule() {
        let special = [
            f32::NAN,
            -f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            -0.0,
            0.0,
            -0.5,
            0.5,
            1.5,
            2.5,
            254.5,
            255.49998,
            255.5,
            256.0,
            -1e30,
            1e30,
            f32::MIN_POSITIVE,
        ];
        let sweep = (0..200_000).map(|i| -300.0 + i as f32 * 0.003_125);
        for v in special.into_iter().chain(sweep) {
            assert_eq!(f32_to_u8(v), u8::from_f32(v), "{v}");
        }
    }
}
