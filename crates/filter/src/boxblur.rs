//! Box blur with running sums: cost per pixel independent of the box size.
//!
//! The window of output pixel `x` on an axis of box size `k` covers
//! `x - k/2 ..= x + (k-1)/2` (OpenCV's default anchor), read through the
//! padding rule. Two exact-by-construction paths:
//!
//! * `u8` with an integral padding constant (or none): sums are integers.
//!   Each padded row is summed horizontally by a running sum
//!   (`s[x+1] = s[x] + p[x+k] - p[x]`, exact in `i32`), the columns of those
//!   sums by a running sum down the image, and the output is
//!   `u8::from_f32((sum as f32) * inv)`, `inv` being `1 / (kx·ky)` computed
//!   in `f64` and rounded to `f32`: within 0.5 LSB of
//!   the exact mean plus about 1e-5 (two `f32` roundings).
//! * otherwise (`f32`, or a fractional constant), the same running sums in
//!   `f64`, stored as `T::from_f32(((sum * (1 / (kx·ky))) as f32)`. A running
//!   sum carries an error of about `1e-16 · k · max|value|`, far below the
//!   `f32` output's resolution. A NaN or infinity would poison every later
//!   window, so `f32` inputs holding one are filtered by direct summation
//!   instead (the same window, a flat kernel of `1/k` weights), which keeps
//!   non-finite values local as any convolution does.
//!
//! Both paths compute each output element with the same operations on every
//! instruction set (integer sums are exact; the running sums are sequential
//! scalar code), so every [`Isa`] gives the same bits.

use crate::kernels::{as_u8, on_isa};
use crate::rows::{RowCache, axis_map, row_key};
use crate::separable::{self, Axis, Method};
use geom::{Element, ImageView, ImageViewMut, Isa, Padding};
use std::any::TypeId;

/// Box blur of `width x height` (both at least 1, already checked).
pub(crate) fn box_blur<T: Element>(
    isa: Isa,
    src: ImageView<'_, T>,
    dst: ImageViewMut<'_, T>,
    kx: usize,
    ky: usize,
    padding: Padding,
) {
    let constant = padding.constant().unwrap_or(0.0);
    let largest = f64::from(constant.abs()).max(255.0);
    let integral = TypeId::of::<T>() == TypeId::of::<u8>()
        && constant.fract() == 0.0
        && (kx as f64) * (ky as f64) * largest <= f64::from(i32::MAX);
    if integral {
        running::<T, i32>(isa, src, dst, kx, ky, padding);
    } else if has_non_finite(src) {
        let (wx, wy) = (vec![1.0 / kx as f32; kx], vec![1.0 / ky as f32; ky]);
        separable::convolve(
            isa,
            src,
            dst,
            Axis {
                weights: &wx,
                before: kx / 2,
                method: Method::Direct,
            },
            Axis {
                weights: &wy,
                before: ky / 2,
                method: Method::Direct,
            },
            padding,
        );
    } else {
        running::<T, f64>(isa, src, dst, kx, ky, padding);
    }
}

fn has_non_finite<T: Element>(src: ImageView<'_, T>) -> bool {
    TypeId::of::<T>() != TypeId::of::<u8>()
        && src
            .rows()
            .any(|row| row.iter().any(|v| !v.to_f32().is_finite()))
}

/// The number type running sums are kept in.
trait Sum:
    Copy + Default + std::ops::Add<Output = Self> + std::ops::Sub<Output = Self> + 'static
{
    fn from_sample<T: Element>(v: T) -> Self;
    fn from_constant(v: f32) -> Self;
    /// `sum * inv` as `f32`, with `inv = 1 / area` in this type.
    fn mean(self, inv: f64) -> f32;
}

impl Sum for i32 {
    #[inline(always)]
    fn from_sample<T: Element>(v: T) -> Self {
        v.to_f32() as i32
    }
    #[inline(always)]
    fn from_constant(v: f32) -> Self {
        v as i32
    }
    #[inline(always)]
    fn mean(self, inv: f64) -> f32 {
        self as f32 * inv as f32
    }
}

impl Sum for f64 {
    #[inline(always)]
    fn from_sample<T: Element>(v: T) -> Self {
        f64::from(v.to_f32())
    }
    #[inline(always)]
    fn from_constant(v: f32) -> Self {
        f64::from(v)
    }
    #[inline(always)]
    fn mean(self, inv: f64) -> f32 {
        (self * inv) as f32
    }
}

/// Horizontal running sums of one padded row: `out[x·c + ch]` is the sum of
/// `padded[(x + j)·c + ch]` for `j < k`.
#[inline(always)]
fn row_sums<S: Sum>(padded: &[S], channels: usize, k: usize, out: &mut [S]) {
    let c = channels;
    for ch in 0..c.min(out.len()) {
        let mut s = S::default();
        for j in 0..k {
            s = s + padded[j * c + ch];
        }
        out[ch] = s;
    }
    let reach = (k - 1) * c;
    for e in c..out.len() {
        out[e] = out[e - c] + padded[e + reach] - padded[e - c];
    }
}

fn running<T: Element, S: Sum>(
    isa: Isa,
    src: ImageView<'_, T>,
    mut dst: ImageViewMut<'_, T>,
    kx: usize,
    ky: usize,
    padding: Padding,
) {
    let (w, h, c) = (src.width(), src.height(), src.channels());
    let row_len = w * c;
    let (ax, ay) = (kx / 2, ky / 2);
    let map = axis_map(padding, w, ax, kx - 1 - ax);
    let fill = S::from_constant(padding.constant().unwrap_or(0.0));
    let mut padded = vec![S::default(); (w + kx - 1) * c];
    let inv = 1.0 / (kx as f64 * ky as f64);
    let mut make = |key: usize, out: &mut [S]| {
        on_isa(isa, || {
            if key < h {
                let row = src.row(key);
                for (i, px) in padded.chunks_exact_mut(c).enumerate() {
                    match map[i] {
                        Some(x) => {
                            if let Some(bytes) = as_u8(&row[x * c..x * c + c]) {
                                for (p, &v) in px.iter_mut().zip(bytes) {
                                    *p = S::from_sample(v);
                                }
                            } else {
                                for (p, &v) in px.iter_mut().zip(&row[x * c..x * c + c]) {
                                    *p = S::from_sample(v);
                                }
                            }
                        }
                        None => px.fill(fill),
                    }
                }
            } else {
                padded.fill(fill);
            }
            row_sums(&padded, c, kx, out);
        })
    };
    // The window of output row y is padded rows y .. y + ky; one more slot
    // keeps the row that leaves while the next one enters.
    let mut cache = RowCache::<S>::new(row_len, ky + 1, h);
    let mut acc = vec![S::default(); row_len];
    for p in 0..ky {
        let slot = cache.fill(p, row_key(padding, p, ay, h), &mut make);
        on_isa(isa, || {
            for (a, &v) in acc.iter_mut().zip(cache.row(slot)) {
                *a = *a + v;
            }
        });
    }
    for y in 0..h {
        let out = dst.row_mut(y);
        on_isa(isa, || {
            for (o, &a) in out.iter_mut().zip(&acc) {
                *o = T::from_f32(a.mean(inv));
            }
        });
        if y + 1 < h {
            let leave = cache.fill(y, row_key(padding, y, ay, h), &mut make);
            let enter = cache.fill(y + ky, row_key(padding, y + ky, ay, h), &mut make);
            let (leave, enter) = (cache.row(leave), cache.row(enter));
            on_isa(isa, || {
                for ((a, &i), &o) in acc.iter_mut().zip(enter).zip(leave) {
                    *a = *a + i - o;
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_sums_slide_exactly() {
        let padded: Vec<i32> = (0..10).collect();
        let mut out = vec![0; 8];
        row_sums(&padded, 1, 3, &mut out);
        assert_eq!(out, vec![3, 6, 9, 12, 15, 18, 21, 24]);
        let mut out = vec![0; 4];
        row_sums(&padded, 2, 3, &mut out);
        // Channel 0: 0+2+4, 2+4+6; channel 1: 1+3+5, 3+5+7.
        assert_eq!(out, vec![6, 9, 12, 15]);
    }
}
