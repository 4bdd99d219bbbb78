//! The two sample types the specialised code knows by name, `u8` and `f32`,
//! recognised from a generic `T: Element` buffer.
//!
//! This is the only place the crate asks which type `T` is. The test is a
//! comparison of type ids, which the compiler folds to a constant in each
//! instantiation, so code that branches on it keeps only the branch for its
//! own type. Nothing here computes: it only relabels a buffer, and the values
//! read through it are those `Element::to_f32` gives.

use geom::Element;
use std::any::TypeId;

/// A source buffer by sample type. (Only the x86 kernel reads the `f32`
/// arm.)
#[derive(Clone, Copy)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) enum Texels<'a> {
    U8(&'a [u8]),
    F32(&'a [f32]),
}

/// A writable buffer by sample type.
pub(crate) enum TexelsMut<'a> {
    U8(&'a mut [u8]),
    F32(&'a mut [f32]),
}

impl<'a> Texels<'a> {
    /// `data` as `u8` or `f32`, or `None` for any other element type.
    #[inline(always)]
    pub(crate) fn of<T: Element>(data: &'a [T]) -> Option<Texels<'a>> {
        if TypeId::of::<T>() == TypeId::of::<u8>() {
            Some(Texels::U8(bytemuck::cast_slice(data)))
        } else if TypeId::of::<T>() == TypeId::of::<f32>() {
            Some(Texels::F32(bytemuck::cast_slice(data)))
        } else {
            None
        }
    }
}

impl<'a> TexelsMut<'a> {
    /// `data` as `u8` or `f32`, or `None` for any other element type.
    #[inline(always)]
    pub(crate) fn of<T: Element>(data: &'a mut [T]) -> Option<TexelsMut<'a>> {
        if TypeId::of::<T>() == TypeId::of::<u8>() {
            Some(TexelsMut::U8(bytemuck::cast_slice_mut(data)))
        } else if TypeId::of::<T>() == TypeId::of::<f32>() {
            Some(TexelsMut::F32(bytemuck::cast_slice_mut(data)))
        } else {
            None
        }
    }
}
