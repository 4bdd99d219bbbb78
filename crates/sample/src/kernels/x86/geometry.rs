//! What the blocks know about the source, worked out once per call: the
//! sides and the largest nearest tap index on each axis, the stride and
//! buffer length as `i32` (so tap offsets are 32-bit lanes), the padding
//! rule and its fill value, whether blocks are planned with AVX-512 (and
//! VBMI) and whether scattered words are gathered.
//!
//! Nothing here changes a value; it decides which reads are in bounds. The
//! in-image tests it supports are the reference's: bilinear taps
//! `floor(x)` in `0..=w-2` (both taps of a row inside; the planning tests
//! `0 <= x < w - 1` on the positions), nearest taps `floor(x + 0.5)` in
//! `0..=w-1` (`Source::bilinear`, `Source::nearest` in `kernels::scalar`).

use crate::kernels::scalar::Source;
use core::arch::x86_64::*;
use geom::{Element, Padding};

/// Pixels per block: one `__m256` of `f32` lanes.
pub(super) const LANES: usize = 8;

/// Everything about the source the blocks need, checked once per image.
#[derive(Clone, Copy)]
pub(crate) struct Geometry {
    /// The largest nearest tap index on each axis (`w - 1`, `h - 1`), as
    /// unsigned 32-bit lanes compare them.
    pub(super) nearest_x: i32,
    pub(super) nearest_y: i32,
    pub(super) stride: i32,
    /// Elements in the buffer.
    pub(super) len: i32,
    /// Width and height.
    pub(super) w: i32,
    pub(super) h: i32,
    /// The padding rule and the value of reads it does not map inside.
    pub(super) padding: Padding,
    pub(super) fill: f32,
    /// Plan blocks with AVX-512 (set only where pulp detected its `V4`
    /// features).
    pub(super) avx512: bool,
    /// Read scattered 4-byte words with hardware gathers rather than one
    /// load per lane ([`geom::gathers`]): the same words either way.
    pub(super) gathers: bool,
    /// The CPU has AVX-512 VBMI (set only on the AVX-512 + VBMI path):
    /// RGB span blocks store through a byte permute
    /// (`avx512::colour_span_vbmi`).
    pub(super) vbmi: bool,
}

impl Geometry {
    /// `None` when offsets do not fit `i32` (buffers of 2^31 elements or
    /// more), which then take the generic path.
    pub(crate) fn new<T: Element>(source: &Source<'_, T>) -> Option<Geometry> {
        let view = source.view;
        let side = |n: usize| i32::try_from(n).ok();
        let (w, h) = (side(view.width())?, side(view.height())?);
        Some(Geometry {
            nearest_x: w - 1,
            nearest_y: h - 1,
            stride: side(view.stride())?,
            len: side(view.data().len())?,
            w,
            h,
            padding: source.padding,
            fill: source.fill,
            avx512: false,
            gathers: false,
            vbmi: false,
        })
    }

    /// The same, planning blocks with AVX-512 if `avx512` (the caller has
    /// seen pulp detect `V4`, so the CPU has AVX-512 F/BW/CD/DQ/VL).
    pub(crate) fn with_avx512(self, avx512: bool) -> Geometry {
        Geometry { avx512, ..self }
    }

    /// The same, with VBMI kernels if `vbmi` (the caller has seen the CPU
    /// report AVX-512 VBMI).
    pub(crate) fn with_vbmi(self, vbmi: bool) -> Geometry {
        Geometry { vbmi, ..self }
    }

    /// The same, gathering scattered words if `gathers`.
    pub(crate) fn with_gathers(self, gathers: bool) -> Geometry {
        Geometry { gathers, ..self }
    }

    /// The same with a stride of 0, for blocks whose lower tap row has
    /// weight 0 in every lane (see [`plan_flat`](super::plan::plan_flat)):
    /// their blends read the upper row twice, never the row below it.
    #[inline]
    pub(super) fn flat(self) -> Geometry {
        Geometry { stride: 0, ..self }
    }

    /// Whether reads of `width` elements from every tap offset `base + extra`
    /// stay within the buffer.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub(super) fn reads_fit(&self, base: __m256i, extra: i32, width: i32) -> bool {
        let limit = self.len as i64 - extra as i64 - width as i64;
        if limit < 0 {
            return false;
        }
        let limit = limit.min(i32::MAX as i64) as i32;
        _mm256_movemask_epi8(_mm256_cmpgt_epi32(base, _mm256_set1_epi32(limit))) == 0
    }
}
