//! Shared test helpers: random images and exact `f64` references written
//! from the definitions (padding rule, then the sum), independent of the
//! crate's row machinery.
#![allow(dead_code)]

use filter::Kernel2d;
use geom::{Element, Image, ImageView, ImageViewMut, Padding};
use proptest::prelude::*;

/// A source image as a strided buffer.
#[derive(Debug, Clone)]
pub struct Src<T> {
    pub data: Vec<T>,
    pub w: usize,
    pub h: usize,
    pub c: usize,
    pub stride: usize,
}

impl<T: Element> Src<T> {
    pub fn view(&self) -> geom::Result<ImageView<'_, T>> {
        ImageView::with_stride(&self.data, self.w, self.h, self.c, self.stride)
    }

    /// An output buffer with a different stride, filled with a marker.
    pub fn output(&self) -> (Vec<T>, usize) {
        let stride = self.w * self.c + 3;
        (
            vec![T::from_f32(77.0); stride * (self.h - 1) + self.w * self.c],
            stride,
        )
    }
}

pub fn out_view<T: Element>(
    buf: &mut [T],
    w: usize,
    h: usize,
    c: usize,
    stride: usize,
) -> geom::Result<ImageViewMut<'_, T>> {
    ImageViewMut::with_stride(buf, w, h, c, stride)
}

/// The pixels of an output buffer, without the stride gaps.
pub fn pixels<T: Element>(buf: &[T], w: usize, h: usize, c: usize, stride: usize) -> Vec<T> {
    (0..h)
        .flat_map(|y| buf[y * stride..y * stride + w * c].to_vec())
        .collect()
}

pub fn images<T: Element + std::fmt::Debug>(
    values: impl Strategy<Value = T> + Clone + 'static,
    max_side: usize,
) -> impl Strategy<Value = Src<T>> {
    sized_images(values, 1..=max_side, 1..=max_side)
}

/// Images whose width and height are drawn from the given ranges.
pub fn sized_images<T: Element + std::fmt::Debug>(
    values: impl Strategy<Value = T> + Clone + 'static,
    widths: std::ops::RangeInclusive<usize>,
    heights: std::ops::RangeInclusive<usize>,
) -> impl Strategy<Value = Src<T>> {
    (
        widths,
        heights,
        prop_oneof![Just(1usize), Just(3), Just(4)],
        0usize..4,
    )
        .prop_flat_map(move |(w, h, c, gap)| {
            let stride = w * c + gap;
            let len = stride * (h - 1) + w * c;
            proptest::collection::vec(values.clone(), len).prop_map(move |data| Src {
                data,
                w,
                h,
                c,
                stride,
            })
        })
}

pub fn u8_images(max_side: usize) -> impl Strategy<Value = Src<u8>> {
    images(any::<u8>(), max_side)
}

/// f32 images with ordinary values only.
pub fn f32_images(max_side: usize) -> impl Strategy<Value = Src<f32>> {
    images(-100.0f32..400.0, max_side)
}

/// f32 images that may hold NaN, infinities and huge values.
pub fn wild_f32_images(max_side: usize) -> impl Strategy<Value = Src<f32>> {
    images(
        prop_oneof![
            12 => -100.0f32..400.0,
            1 => Just(f32::NAN),
            1 => Just(f32::INFINITY),
            1 => Just(f32::NEG_INFINITY),
            1 => -1e30f32..1e30,
            1 => Just(-0.0f32),
        ],
        max_side,
    )
}

pub fn paddings() -> impl Strategy<Value = Padding> {
    prop_oneof![
        (-10.0f32..300.0).prop_map(|v| Padding::Constant(v.round())),
        (-10.0f32..300.0).prop_map(Padding::Constant),
        Just(Padding::Zeros),
        Just(Padding::Border),
        Just(Padding::Reflect),
        Just(Padding::Reflect101),
        Just(Padding::Wrap),
    ]
}

/// Odd-length kernels with arbitrary (possibly negative) weights.
pub fn any_kernels(max_radius: usize) -> impl Strategy<Value = Vec<f32>> {
    (0..=max_radius).prop_flat_map(|r| proptest::collection::vec(-1.0f32..1.0, 2 * r + 1))
}

/// Odd-length kernels of `min_radius ..= max_radius` with arbitrary
/// weights, often longer than the images: in the `u8` columns-first route most
/// rows then feed every output of a group.
pub fn long_kernels(min_radius: usize, max_radius: usize) -> impl Strategy<Value = Vec<f32>> {
    (min_radius..=max_radius).prop_flat_map(|r| proptest::collection::vec(-1.0f32..1.0, 2 * r + 1))
}

/// Odd-length kernels whose finite weights may be huge, so sums of `u8`
/// pixels reach 2^31, overflow to ±∞ or cancel to NaN: the store rule's
/// far cases.
pub fn wild_kernels(max_radius: usize) -> impl Strategy<Value = Vec<f32>> {
    let weight = prop_oneof![
        4 => -1.0f32..1.0,
        1 => -1e7f32..1e7,
        1 => -3e38f32..3e38,
        1 => Just(f32::MAX),
        1 => Just(f32::MIN),
    ];
    (0..=max_radius).prop_flat_map(move |r| proptest::collection::vec(weight.clone(), 2 * r + 1))
}

/// Odd-length kernels of positive weights summing to 1 (in f64, then f32).
pub fn smoothing_kernels(max_radius: usize) -> impl Strategy<Value = Vec<f32>> {
    (0..=max_radius)
        .prop_flat_map(|r| proptest::collection::vec(0.01f64..1.0, 2 * r + 1))
        .prop_map(|w| {
            let s: f64 = w.iter().sum();
            w.iter().map(|v| (v / s) as f32).collect()
        })
}

/// Source value at any position, through the padding rule.
pub fn at<T: Element>(src: &ImageView<'_, T>, padding: Padding, x: i64, y: i64, ch: usize) -> f64 {
    match (
        padding.index(x, src.width()),
        padding.index(y, src.height()),
    ) {
        (Some(x), Some(y)) => f64::from(src.pixel(x, y)[ch].to_f32()),
        _ => f64::from(padding.constant().unwrap_or(0.0)),
    }
}

/// Exact separable convolution (correlation) with centred kernels.
pub fn exact_separable<T: Element>(
    src: &ImageView<'_, T>,
    kx: &[f32],
    ky: &[f32],
    padding: Padding,
) -> Vec<f64> {
    let (rx, ry) = ((kx.len() / 2) as i64, (ky.len() / 2) as i64);
    let mut out = Vec::new();
    for y in 0..src.height() as i64 {
        for x in 0..src.width() as i64 {
            for ch in 0..src.channels() {
                let mut s = 0.0;
                for (t, &wy) in ky.iter().enumerate() {
                    for (u, &wx) in kx.iter().enumerate() {
                        let v = at(src, padding, x + u as i64 - rx, y + t as i64 - ry, ch);
                        s += f64::from(wy) * f64::from(wx) * v;
                    }
                }
                out.push(s);
            }
        }
    }
    out
}

/// Exact mean over OpenCV-anchored boxes.
pub fn exact_box<T: Element>(
    src: &ImageView<'_, T>,
    kx: usize,
    ky: usize,
    padding: Padding,
) -> Vec<f64> {
    let (ax, ay) = ((kx / 2) as i64, (ky / 2) as i64);
    let mut out = Vec::new();
    for y in 0..src.height() as i64 {
        for x in 0..src.width() as i64 {
            for ch in 0..src.channels() {
                let mut s = 0.0;
                for j in 0..ky as i64 {
                    for i in 0..kx as i64 {
                        s += at(src, padding, x + i - ax, y + j - ay, ch);
                    }
                }
                out.push(s / (kx * ky) as f64);
            }
        }
    }
    out
}

/// Exact 2-D correlation with a sparse kernel.
pub fn exact_2d<T: Element>(
    src: &ImageView<'_, T>,
    kernel: &Kernel2d,
    padding: Padding,
) -> Vec<f64> {
    let mut out = Vec::new();
    for y in 0..src.height() as i64 {
        for x in 0..src.width() as i64 {
            for ch in 0..src.channels() {
                let s: f64 = kernel
                    .taps()
                    .iter()
                    .map(|t| {
                        f64::from(t.weight)
                            * at(src, padding, x + i64::from(t.dx), y + i64::from(t.dy), ch)
                    })
                    .sum();
                out.push(s);
            }
        }
    }
    out
}

/// Largest |value| of the padded source (constant included), at least 1.
pub fn value_scale<T: Element>(src: &ImageView<'_, T>, padding: Padding) -> f64 {
    let mut m = f64::from(padding.constant().unwrap_or(0.0).abs()).max(1.0);
    for row in src.rows() {
        for v in row {
            m = m.max(f64::from(v.to_f32().abs()));
        }
    }
    m
}

/// Largest |got - exact| for u8 output, against the exact value clamped to 0–255.
pub fn u8_error(got: &[u8], exact: &[f64]) -> f64 {
    got.iter()
        .zip(exact)
        .map(|(&g, &e)| (f64::from(g) - e.clamp(0.0, 255.0)).abs())
        .fold(0.0, f64::max)
}

/// Largest |got - exact| for f32 output.
pub fn f32_error(got: &[f32], exact: &[f64]) -> f64 {
    got.iter()
        .zip(exact)
        .map(|(&g, &e)| (f64::from(g) - e).abs())
        .fold(0.0, f64::max)
}

/// Bitwise equality, any NaN equal to any NaN.
pub fn same_bits<T: Element>(a: &[T], b: &[T]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            let (x, y) = (x.to_f32(), y.to_f32());
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        })
}

/// A tightly packed copy of a source.
pub fn packed<T: Element>(src: &Src<T>) -> geom::Result<Image<T>> {
    Ok(src.view()?.to_image())
}

/// Exact means of the `kx x ky` blocks of the box downscale (output
/// `ceil(w / kx) x ceil(h / ky)`), blocks hanging over the edge read
/// through the padding rule.
pub fn exact_block_means<T: Element>(
    src: &ImageView<'_, T>,
    kx: usize,
    ky: usize,
    padding: Padding,
) -> Vec<f64> {
    let (ow, oh) = (src.width().div_ceil(kx), src.height().div_ceil(ky));
    let mut out = Vec::new();
    for oy in 0..oh {
        for ox in 0..ow {
            for ch in 0..src.channels() {
                let mut s = 0.0;
                for y in oy * ky..(oy + 1) * ky {
                    for x in ox * kx..(ox + 1) * kx {
                        s += at(src, padding, x as i64, y as i64, ch);
                    }
                }
                out.push(s / (kx * ky) as f64);
            }
        }
    }
    out
}

/// Box downscale factors for a side: powers of two `2^log`, capped at the
/// side rounded up to a power of two (the largest factor accepted).
pub fn downscale_factor(log: u32, side: usize) -> usize {
    (1usize << log).min(side.next_power_of_two())
}

/// The ends of output pixel `i`'s interval on an area axis, in sixteenths
/// of a source pixel (edge coordinates), from the definition.
pub fn area_edges(axis: &filter::AreaAxis, i: usize) -> (i64, i64) {
    let c = axis.first + axis.step * i as f64 + 0.5;
    (
        (16.0 * (c - axis.width / 2.0)).round() as i64,
        (16.0 * (c + axis.width / 2.0)).round() as i64,
    )
}

/// Source pixel `j`'s weight in the interval `[e0, e1)` (sixteenths).
fn overlap(j: i64, (e0, e1): (i64, i64)) -> i64 {
    ((16 * j + 16).min(e1) - (16 * j).max(e0)).max(0)
}

/// The exact weighted sum `N` (in `f64`; exact for integer values) and the
/// total weight `D` of every output value of an area downscale, reading
/// through the padding rule pixel by pixel.
pub fn exact_area_sums<T: Element>(
    src: &ImageView<'_, T>,
    x: &filter::AreaAxis,
    y: &filter::AreaAxis,
    padding: Padding,
) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for oy in 0..y.count {
        let ey = area_edges(y, oy);
        for ox in 0..x.count {
            let ex = area_edges(x, ox);
            for ch in 0..src.channels() {
                let mut n = 0.0;
                for sy in ey.0.div_euclid(16)..=ey.1.div_euclid(16) {
                    let wy = overlap(sy, ey);
                    for sx in ex.0.div_euclid(16)..=ex.1.div_euclid(16) {
                        let w = wy * overlap(sx, ex);
                        if w > 0 {
                            n += w as f64 * at(src, padding, sx, sy, ch);
                        }
                    }
                }
                out.push((n, ((ex.1 - ex.0) * (ey.1 - ey.0)) as f64));
            }
        }
    }
    out
}

/// `n / d` rounded half to even and clamped to 0–255, in integers
/// (`n` and `d` exact integers).
pub fn round_half_even_u8(n: f64, d: f64) -> u8 {
    let (n, d) = (n as i64, d as i64);
    let (q, r) = (n.div_euclid(d), n.rem_euclid(d));
    let q = match (2 * r).cmp(&d) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => q + (q & 1),
    };
    q.clamp(0, 255) as u8
}

/// Random area axes over a source side of `n`: shrinks and stretches,
/// mirrored or not, starting anywhere from well outside the source,
/// widths from 1/16 pixel to 15 pixels; some identities.
pub fn area_axes(n: usize) -> impl Strategy<Value = filter::AreaAxis> {
    let n = n as f64;
    prop_oneof![
        1 => (0usize..4, 1usize..6).prop_map(|(s, k)| filter::AreaAxis::identity(s, k)),
        6 => (1usize..14, -6.0f64..n + 6.0, 0.2f64..5.0, any::<bool>(), 0.3f64..1.6)
            .prop_map(|(count, first, step, flip, widen)| {
                let step = if flip { -step } else { step };
                let width = (step.abs() * widen).clamp(1.0 / 16.0, 15.0);
                filter::AreaAxis::new(count, first, step, width)
            }),
    ]
}
