//! A nearest-neighbour block whose taps are all inside the source:
//! `floor(x + 0.5), floor(y + 0.5)` in `f64` and the tap's channels read as
//! they are, which is `Source::nearest` in `kernels::scalar` wherever that
//! reads no padding. Other blocks go to the edge path.

use super::geometry::{Geometry, LANES};
use super::lanes::{byte_of, copy_channels, load_words, soa};
use super::plan::{all_inside, offsets, split};
use crate::kernels::typed::Texels;
use core::arch::x86_64::*;

/// One nearest block, or `None` if a tap lies outside the source.
#[target_feature(enable = "avx2,fma")]
#[inline]
pub(super) fn nearest<const C: usize>(
    texels: Texels<'_>,
    g: Geometry,
    [xl, xh, yl, yh]: [__m256d; 4],
) -> Option<[__m256; C]> {
    let shifted = {
        let half = _mm256_set1_pd(0.5);
        [
            _mm256_add_pd(xl, half),
            _mm256_add_pd(xh, half),
            _mm256_add_pd(yl, half),
            _mm256_add_pd(yh, half),
        ]
    };
    let taps = split(shifted);
    // floor(x + 0.5) in 0..=w-1 (the reference's tap, inside).
    if !all_inside(&taps, g.nearest_x, g.nearest_y) {
        return None;
    }
    let base = offsets::<C>(&taps, g.stride);
    let vbase = bytemuck::cast::<[i32; LANES], __m256i>(base);
    match texels {
        Texels::U8(data) => {
            if !g.reads_fit(vbase, 0, 4) {
                return None;
            }
            // SAFETY: each tap is a pixel of the source and `reads_fit`
            // showed its 4-byte read ends within `data`.
            let words = unsafe { load_words(data, &base) };
            Some(core::array::from_fn(|c| byte_of(words, c)))
        }
        Texels::F32(data) => {
            let p = data.as_ptr();
            if C == 1 {
                // SAFETY: each tap is a pixel of the source.
                let v = unsafe {
                    let f = |k: usize| *p.add(base[k] as usize);
                    _mm256_setr_ps(f(0), f(1), f(2), f(3), f(4), f(5), f(6), f(7))
                };
                return Some(copy_channels::<C>(&[v; 4]));
            }
            if !g.reads_fit(vbase, 0, 4) {
                return None;
            }
            // SAFETY: each tap is a pixel of the source and `reads_fit`
            // showed its 16-byte read ends within `data`.
            let pixels = unsafe {
                let px = |k: usize| _mm_loadu_ps(p.add(base[k] as usize));
                core::array::from_fn(|k| _mm256_set_m128(px(k + 4), px(k)))
            };
            Some(copy_channels::<C>(&soa(pixels)))
        }
    }
}
