//! The sample types the kernels are specialised for (`u8` and `f32`), and
//! the one place where a filter call decides which it runs on.
//!
//! The public filters take any [`Element`]; [`run`] turns the caller's `T`
//! into a [`Sample`] once per call, at the entry, so no kernel asks what its
//! type is while it works. `u8` and `f32` views are reinterpreted in place;
//! any other element type (none in this workspace) is converted to `f32`,
//! filtered, and stored back with [`Element::from_f32`], which is exactly
//! what the generic kernels compute for it: every filter reads samples as
//! `f32` and rounds once, at the store.

use crate::error::Result as FilterResult;
use geom::{Element, ImageView, ImageViewMut};
use std::any::TypeId;

/// A sample type with kernels of its own: row conversions written so that
/// they vectorise, and the integer routes some filters have for `u8`.
pub(crate) trait Sample: Element {
    /// `out[i] = row[i].to_f32()`, exactly.
    fn load_row(row: &[Self], out: &mut [f32]);

    /// `out[i] = Self::from_f32(values[i])`, the store rule.
    fn store_row(values: &[f32], out: &mut [Self]);

    /// `Self::from_f32(value)`, in the form [`Sample::store_row`] uses.
    fn store(value: f32) -> Self;

    /// The view as bytes when `Self` is `u8`: the integer routes of box blur
    /// and box downscale, chosen at their entry.
    fn as_u8_view<'a>(view: ImageView<'a, Self>) -> Option<ImageView<'a, u8>>;

    /// The view as bytes when `Self` is `u8`, writable; the view back
    /// otherwise.
    fn as_u8_view_mut<'a>(
        view: ImageViewMut<'a, Self>,
    ) -> Result<ImageViewMut<'a, u8>, ImageViewMut<'a, Self>>;
}

impl Sample for u8 {
    #[inline(always)]
    fn load_row(row: &[u8], out: &mut [f32]) {
        for (o, &v) in out.iter_mut().zip(row) {
            *o = f32::from(v);
        }
    }

    #[inline(always)]
    fn store_row(values: &[f32], out: &mut [u8]) {
        for (o, &v) in out.iter_mut().zip(values) {
            *o = f32_to_u8(v);
        }
    }

    #[inline(always)]
    fn store(value: f32) -> u8 {
        f32_to_u8(value)
    }

    #[inline(always)]
    fn as_u8_view<'a>(view: ImageView<'a, u8>) -> Option<ImageView<'a, u8>> {
        Some(view)
    }

    #[inline(always)]
    fn as_u8_view_mut<'a>(
        view: ImageViewMut<'a, u8>,
    ) -> Result<ImageViewMut<'a, u8>, ImageViewMut<'a, u8>> {
        Ok(view)
    }
}

impl Sample for f32 {
    #[inline(always)]
    fn load_row(row: &[f32], out: &mut [f32]) {
        let n = row.len().min(out.len());
        out[..n].copy_from_slice(&row[..n]);
    }

    #[inline(always)]
    fn store_row(values: &[f32], out: &mut [f32]) {
        let n = values.len().min(out.len());
        out[..n].copy_from_slice(&values[..n]);
    }

    #[inline(always)]
    fn store(value: f32) -> f32 {
        value
    }

    #[inline(always)]
    fn as_u8_view<'a>(_: ImageView<'a, f32>) -> Option<ImageView<'a, u8>> {
        None
    }

    #[inline(always)]
    fn as_u8_view_mut<'a>(
        view: ImageViewMut<'a, f32>,
    ) -> Result<ImageViewMut<'a, u8>, ImageViewMut<'a, f32>> {
        Err(view)
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

/// A filter from a source view into a destination view of the same shape,
/// written once over [`Sample`] (a closure cannot be generic).
pub(crate) trait Filter {
    /// Filters `src` into `dst` (shapes and parameters already checked).
    fn apply<S: Sample>(&self, src: ImageView<'_, S>, dst: ImageViewMut<'_, S>);
}

/// Runs `filter` from `src` into `dst` on the sample type `T` is: `u8` and
/// `f32` in place, any other element type through an `f32` copy (see the
/// module docs). Shapes are already checked equal.
pub(crate) fn run<T: Element>(
    filter: &impl Filter,
    src: ImageView<'_, T>,
    mut dst: ImageViewMut<'_, T>,
) -> FilterResult<()> {
    if let Some((s, d)) = cast::<T, u8>(src, &mut dst) {
        filter.apply(s, d);
        return Ok(());
    }
    if let Some((s, d)) = cast::<T, f32>(src, &mut dst) {
        filter.apply(s, d);
        return Ok(());
    }
    let (w, h, c) = (src.width(), src.height(), src.channels());
    let row_len = w * c;
    let values: Vec<f32> = src.rows().flatten().map(|v| v.to_f32()).collect();
    let mut out = vec![0.0f32; values.len()];
    filter.apply(
        ImageView::new(&values, w, h, c)?,
        ImageViewMut::new(&mut out, w, h, c)?,
    );
    for (row, values) in dst.rows_mut().zip(out.chunks_exact(row_len)) {
        for (o, &v) in row.iter_mut().zip(values) {
            *o = T::from_f32(v);
        }
    }
    Ok(())
}

/// `view` as bytes when `T` is `u8` (routes with integer kernels for `u8`
/// that take a caller's `T`, decided at their entry).
pub(crate) fn as_u8_view<T: Element>(view: ImageView<'_, T>) -> Option<ImageView<'_, u8>> {
    if TypeId::of::<T>() != TypeId::of::<u8>() {
        return None;
    }
    let data = bytemuck::try_cast_slice(view.data()).ok()?;
    let (w, h, c) = (view.width(), view.height(), view.channels());
    ImageView::with_stride(data, w, h, c, view.stride()).ok()
}

/// `view` as bytes when `T` is `u8`, writable (the caller keeps `view`
/// for the other route).
pub(crate) fn as_u8_view_mut<'b, T: Element>(
    view: &'b mut ImageViewMut<'_, T>,
) -> Option<ImageViewMut<'b, u8>> {
    if TypeId::of::<T>() != TypeId::of::<u8>() {
        return None;
    }
    let (w, h, c, stride) = (view.width(), view.height(), view.channels(), view.stride());
    let data = bytemuck::try_cast_slice_mut(view.data_mut()).ok()?;
    ImageViewMut::with_stride(data, w, h, c, stride).ok()
}

/// `values` as bytes when `T` is `u8`.
pub(crate) fn as_u8_slice_mut<T: Element>(values: &mut [T]) -> Option<&mut [u8]> {
    if TypeId::of::<T>() != TypeId::of::<u8>() {
        return None;
    }
    bytemuck::try_cast_slice_mut(values).ok()
}

/// `src` and `dst` as views of `U`, when `T` is `U`.
fn cast<'a, 'b, T: Element, U: Element>(
    src: ImageView<'a, T>,
    dst: &'b mut ImageViewMut<'_, T>,
) -> Option<(ImageView<'a, U>, ImageViewMut<'b, U>)> {
    if TypeId::of::<T>() != TypeId::of::<U>() {
        return None;
    }
    let (w, h, c) = (src.width(), src.height(), src.channels());
    let (src_stride, dst_stride) = (src.stride(), dst.stride());
    let s = bytemuck::try_cast_slice(src.data()).ok()?;
    let d = bytemuck::try_cast_slice_mut(dst.data_mut()).ok()?;
    Some((
        ImageView::with_stride(s, w, h, c, src_stride).ok()?,
        ImageViewMut::with_stride(d, w, h, c, dst_stride).ok()?,
    ))
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
