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

use crate::axis::Axis;
use crate::element::{Filter, Sample};
use crate::kernels::on_isa;
use crate::method::Method;
use crate::rows::{axis_map, row_key};
use crate::separable;
use geom::{Element, ImageView, ImageViewMut, Isa, Padding};

/// Box blur of `kx x ky` (both at least 1, already checked), as a
/// [`Filter`]: the route (integer sums, direct summation, `f64` running
/// sums) is chosen once, in [`Filter::apply`].
pub(crate) struct BoxBlur {
    pub isa: Isa,
    pub kx: usize,
    pub ky: usize,
    pub padding: Padding,
}

impl Filter for BoxBlur {
    fn apply<T: Sample>(&self, src: ImageView<'_, T>, dst: ImageViewMut<'_, T>) {
        let BoxBlur {
            isa,
            kx,
            ky,
            padding,
        } = *self;
        let constant = padding.constant().unwrap_or(0.0);
        let largest = f64::from(constant.abs()).max(255.0);
        let integral =
            constant.fract() == 0.0 && (kx as f64) * (ky as f64) * largest <= f64::from(i32::MAX);
        let bytes = T::as_u8_view(src);
        let dst = match (bytes, integral) {
            (Some(src), true) => match T::as_u8_view_mut(dst) {
                Ok(dst) => return running::<u8, i32>(isa, src, dst, kx, ky, padding),
                Err(dst) => dst,
            },
            _ => dst,
        };
        if bytes.is_none() && has_non_finite(src) {
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
}

fn has_non_finite<T: Element>(src: ImageView<'_, T>) -> bool {
    src.rows()
        .any(|row| row.iter().any(|v| !v.to_f32().is_finite()))
}

/// The number type running sums are kept in.
trait Sum:
    Copy
    + Default
    + PartialEq
    + std::fmt::Debug
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + 'static
{
    fn from_constant(v: f32) -> Self;
    fn from_count(n: usize) -> Self;
    /// `sum * inv` as `f32`, with `inv = 1 / area`.
    fn mean(self, inv: f64) -> f32;
}

impl Sum for i32 {
    #[inline(always)]
    fn from_constant(v: f32) -> Self {
        v as i32
    }
    #[inline(always)]
    fn from_count(n: usize) -> Self {
        n as i32
    }
    #[inline(always)]
    fn mean(self, inv: f64) -> f32 {
        self as f32 * inv as f32
    }
}

impl Sum for f64 {
    #[inline(always)]
    fn from_constant(v: f32) -> Self {
        f64::from(v)
    }
    #[inline(always)]
    fn from_count(n: usize) -> Self {
        n as f64
    }
    #[inline(always)]
    fn mean(self, inv: f64) -> f32 {
        (self * inv) as f32
    }
}

/// A sample as a term of running sums of type `S`, exactly: `u8` in `i32`
/// (the integer route), any sample in `f64`.
trait Summand<S>: Sample {
    fn widen(self) -> S;
}

impl Summand<i32> for u8 {
    #[inline(always)]
    fn widen(self) -> i32 {
        i32::from(self)
    }
}

impl<T: Sample> Summand<f64> for T {
    #[inline(always)]
    fn widen(self) -> f64 {
        f64::from(self.to_f32())
    }
}

/// `acc[e] += row[e]` (or `-=`), a source row or the constant row (`None`).
#[inline(always)]
fn accumulate<T: Summand<S>, S: Sum>(acc: &mut [S], row: Option<&[T]>, fill: S, add: bool) {
    match (row, add) {
        (Some(row), true) => acc
            .iter_mut()
            .zip(row)
            .for_each(|(a, &v)| *a = *a + v.widen()),
        (Some(row), false) => acc
            .iter_mut()
            .zip(row)
            .for_each(|(a, &v)| *a = *a - v.widen()),
        (None, true) => acc.iter_mut().for_each(|a| *a = *a + fill),
        (None, false) => acc.iter_mut().for_each(|a| *a = *a - fill),
    }
}

/// Horizontal running sums of one padded row: `out[x·c + ch]` is the sum of
/// `padded[(x + j)·c + ch]` for `j < k`, for every pixel of `out`.
#[inline(always)]
fn row_sums<S: Sum>(padded: &[S], channels: usize, k: usize, out: &mut [S]) {
    match channels {
        1 => row_sums_c::<S, 1>(padded, k, out),
        3 => row_sums_c::<S, 3>(padded, k, out),
        _ => row_sums_c::<S, 4>(padded, k, out),
    }
}

/// [`row_sums`] for `C` channels: one running sum per channel, kept in
/// registers, over exact-size chunks (no bounds checks in the loop).
#[inline(always)]
fn row_sums_c<S: Sum, const C: usize>(padded: &[S], k: usize, out: &mut [S]) {
    let mut s = [S::default(); C];
    for px in padded[..k * C].chunks_exact(C) {
        for (s, &v) in s.iter_mut().zip(px) {
            *s = *s + v;
        }
    }
    let leave = padded.chunks_exact(C);
    let enter = padded[k * C..].chunks_exact(C);
    let mut outs = out.chunks_exact_mut(C);
    // Every pixel but the last stores its sum, then slides the window.
    let last = outs.next_back();
    for ((o, l), i) in outs.zip(leave).zip(enter) {
        o.copy_from_slice(&s);
        for ((s, &l), &i) in s.iter_mut().zip(l).zip(i) {
            *s = *s + i - l;
        }
    }
    if let Some(o) = last {
        o.copy_from_slice(&s);
    }
}

/// Running box sums, columns first: a running sum down each column of the
/// source (read through the padding rule), then a running sum along each
/// row of those column sums. With integer sums the order changes nothing.
fn running<T: Summand<S>, S: Sum>(
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
    let column_fill = fill * S::from_count(ky);
    let inv = 1.0 / (kx as f64 * ky as f64);
    let source = |p: usize| {
        let key = row_key(padding, p, ay, h);
        (key < h).then(|| src.row(key))
    };
    // The column sums live in the middle of the padded row, so only the
    // edges are copied for each output row.
    let mut padded = vec![S::default(); (w + kx - 1) * c];
    let middle = ax * c..ax * c + row_len;
    let mut sums = vec![S::default(); row_len];
    on_isa(
        isa,
        #[inline(always)]
        || {
            for p in 0..ky {
                accumulate(&mut padded[middle.clone()], source(p), fill, true);
            }
        },
    );
    for y in 0..h {
        let out = dst.row_mut(y);
        on_isa(
            isa,
            #[inline(always)]
            || {
                for i in (0..ax).chain(ax + w..w + kx - 1) {
                    let at = i * c;
                    match map[i] {
                        Some(x) => {
                            let from = middle.start + x * c;
                            padded.copy_within(from..from + c, at);
                        }
                        None => padded[at..at + c].fill(column_fill),
                    }
                }
                row_sums(&padded, c, kx, &mut sums);
                for (o, &s) in out.iter_mut().zip(&sums) {
                    *o = T::store(s.mean(inv));
                }
                if y + 1 < h {
                    let columns = &mut padded[middle.clone()];
                    accumulate(columns, source(y + ky), fill, true);
                    accumulate(columns, source(y), fill, false);
                }
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_sums_slide_exactly() {
        let padded: Vec<i32> = (0..20).collect();
        let mut out = vec![0; 8];
        row_sums(&padded[..10], 1, 3, &mut out);
        assert_eq!(out, vec![3, 6, 9, 12, 15, 18, 21, 24]);
        for c in [3, 4] {
            let mut out = vec![0; 2 * c];
            row_sums(&padded[..4 * c], c, 3, &mut out);
            for (e, &v) in out.iter().enumerate() {
                let want: i32 = (0..3).map(|j| padded[e + j * c]).sum();
                assert_eq!(v, want, "{c} channels, element {e}");
            }
        }
    }
}
