//! The scalar reference sampler: the specification every other path must
//! equal bit for bit (the exactness contract of ARCHITECTURE.md,
//! "Conventions").
//!
//! Per output pixel, from its source position `(x, y)` (see `coords`):
//!
//! 1. A non-finite position reads the fill value (the `Constant` value, or 0
//!    for the other padding modes) in every channel.
//! 2. Positions are clamped to `±FAR`, far enough outside any image that
//!    padding decides the value, near enough that the integer parts are exact.
//! 3. Nearest: the tap is `floor(x + 0.5), floor(y + 0.5)` (in `f64`).
//!    Bilinear: `x0 = floor(x)`, `fx = (x - x0) as f32` (exact subtraction,
//!    one rounding to `f32`), likewise `y0`, `fy`; the taps are `(x0, y0)`,
//!    `(x0+1, y0)`, `(x0, y0+1)`, `(x0+1, y0+1)`. A tap outside the image
//!    reads through the padding rule (the fill value for `Constant`/`Zeros`),
//!    so the four taps always blend.
//! 4. Per channel, in `f32`, each step a difference then one fused
//!    multiply-add (`mul_add`, one rounding):
//!    `top = fx*(p01 - p00) + p00`, `bottom = fx*(p11 - p10) + p10`,
//!    `v = fy*(bottom - top) + top`.
//! 5. Optional value affine per channel `v*scale + offset` (two roundings).
//! 6. Store: `f32` as is; `u8` rounded half to even after clamping to 0–255
//!    (NaN gives 0), i.e. [`geom::Element::from_f32`].
//!
//! The lerp form is exact at the taps: an identity or integer-translation map
//! (`fx = fy = 0`) returns source values unchanged.

use super::sink::BlockSink;
use crate::coords::Row;
use crate::options::{ChannelAffine, Interpolation};
use geom::{Element, ImageView, Padding};

/// Positions are clamped to this distance from the origin before their
/// integer parts are taken (`2^30`: exact in `f64` and `i64`, beyond any
/// image side).
pub(crate) const FAR: f64 = (1u64 << 30) as f64;

/// The nearest tap's index along one axis of a finite position (step 2,
/// then `floor(v + 0.5)`): non-decreasing in `v`, which the SIMD paths'
/// search for a row's outside ends relies on.
#[inline]
pub(crate) fn nearest_tap(v: f64) -> f64 {
    (v.clamp(-FAR, FAR) + 0.5).floor()
}

/// The first bilinear tap's index along one axis of a finite position and
/// the weight of the second (steps 2–3: clamp to `±FAR`, `floor`, then the
/// fraction, exact in `f64`, rounded once to `f32`).
#[inline]
pub(crate) fn bilinear_tap(v: f64) -> (i64, f32) {
    let v = v.clamp(-FAR, FAR);
    let floor = v.floor();
    (floor as i64, (v - floor) as f32)
}

/// A source image with its padding rule.
#[derive(Clone, Copy)]
pub(crate) struct Source<'a, T> {
    pub view: ImageView<'a, T>,
    pub padding: Padding,
    /// The value of reads that the padding rule does not map into the image.
    pub fill: f32,
}

impl<'a, T: Element> Source<'a, T> {
    pub(crate) fn new(view: ImageView<'a, T>, padding: Padding) -> Self {
        Source {
            view,
            padding,
            fill: padding.constant().unwrap_or(0.0),
        }
    }

    /// Channel values of tap `(ix, iy)`, through the padding rule.
    #[inline]
    fn tap(&self, ix: i64, iy: i64, out: &mut [f32; 4]) {
        let channels = self.view.channels();
        match (
            self.padding.index(ix, self.view.width()),
            self.padding.index(iy, self.view.height()),
        ) {
            (Some(x), Some(y)) => {
                for (o, v) in out.iter_mut().zip(self.view.pixel(x, y)) {
                    *o = v.to_f32();
                }
            }
            _ => out[..channels].fill(self.fill),
        }
    }

    /// Nearest-neighbour value at `(x, y)` (steps 1–3).
    #[inline]
    pub(crate) fn nearest(&self, x: f64, y: f64, out: &mut [f32; 4]) {
        if !(x.is_finite() && y.is_finite()) {
            *out = [self.fill; 4];
            return;
        }
        self.tap(nearest_tap(x) as i64, nearest_tap(y) as i64, out);
    }

    /// Bilinear value at `(x, y)` (steps 1–4).
    #[inline]
    pub(crate) fn bilinear(&self, x: f64, y: f64, out: &mut [f32; 4]) {
        if !(x.is_finite() && y.is_finite()) {
            *out = [self.fill; 4];
            return;
        }
        let ((x0, fx), (y0, fy)) = (bilinear_tap(x), bilinear_tap(y));
        let mut p00 = [0.0; 4];
        let mut p01 = [0.0; 4];
        let mut p10 = [0.0; 4];
        let mut p11 = [0.0; 4];
        self.tap(x0, y0, &mut p00);
        self.tap(x0 + 1, y0, &mut p01);
        self.tap(x0, y0 + 1, &mut p10);
        self.tap(x0 + 1, y0 + 1, &mut p11);
        for c in 0..self.view.channels() {
            out[c] = lerp2(p00[c], p01[c], p10[c], p11[c], fx, fy);
        }
    }

    /// The interpolated value at `(x, y)` (steps 1–4).
    #[inline]
    pub(crate) fn sample(&self, interpolation: Interpolation, x: f64, y: f64, out: &mut [f32; 4]) {
        match interpolation {
            Interpolation::Nearest => self.nearest(x, y, out),
            Interpolation::Bilinear => self.bilinear(x, y, out),
        }
    }
}

/// Step 4: bilinear blend of four taps, in this order of operations. The
/// fused form rounds once per step where `a + t*(b - a)` rounded twice: a
/// little closer to the exact blend, and on AVX2, AVX-512 and NEON one
/// instruction fewer per step; where the CPU has no FMA, `mul_add` is
/// libm's `fmaf`, which gives the same bits.
#[inline(always)]
pub(crate) fn lerp2(p00: f32, p01: f32, p10: f32, p11: f32, fx: f32, fy: f32) -> f32 {
    let top = fx.mul_add(p01 - p00, p00);
    let bottom = fx.mul_add(p11 - p10, p10);
    fy.mul_add(bottom - top, top)
}

/// Step 5: the optional value affine of channel `c`.
#[inline(always)]
pub(crate) fn finish(values: Option<&ChannelAffine>, c: usize, v: f32) -> f32 {
    match values {
        Some(a) => v * a.scale[c] + a.offset[c],
        None => v,
    }
}

/// Samples pixels `range` of output row `row` through the scalar reference.
#[inline]
pub(crate) fn sample_run<T: Element, S: BlockSink>(
    source: &Source<'_, T>,
    interpolation: Interpolation,
    values: Option<&ChannelAffine>,
    row: &Row<'_>,
    range: std::ops::Range<usize>,
    sink: &mut S,
) {
    let channels = source.view.channels();
    let mut px = [0.0f32; 4];
    for j in range {
        let (x, y) = row.at(j);
        source.sample(interpolation, x, y, &mut px);
        for (c, &v) in px.iter().enumerate().take(channels) {
            sink.put(j, c, finish(values, c, v));
        }
    }
}
