//! The SIMD sampler, written once over `S::F32_LANES` lanes and instantiated
//! by pulp for AVX-512, AVX2, NEON (and, in tests, every other lane width).
//!
//! Each output row is cut into blocks of one vector of pixels. A block whose
//! taps all lie inside the source runs the vector code; any other block
//! (near an edge, outside the source, non-finite positions, the row's tail)
//! runs the scalar reference pixel by pixel. The vector code repeats the
//! reference's arithmetic lane by lane in the same order (see
//! `kernels::scalar`), so both give the same bits.

use super::scalar::{Source, lerp2};
use super::sink::{Block, BlockSink, MAX_LANES};
use super::typed::Texels;
use crate::coords::Row;
use crate::options::{ChannelAffine, Interpolation};
use geom::Element;
use pulp::Simd;

/// Fills `xs`, `ys` with the positions of pixels `j0..j0 + lanes`.
#[inline(always)]
fn positions(
    row: &Row<'_>,
    j0: usize,
    lanes: usize,
    xs: &mut [f64; MAX_LANES],
    ys: &mut [f64; MAX_LANES],
) {
    match *row {
        Row::Affine { a, rx, d, ry } => {
            for k in 0..lanes {
                let fj = (j0 + k) as f64;
                xs[k] = a * fj + rx;
                ys[k] = d * fj + ry;
            }
        }
        _ => {
            for k in 0..lanes {
                (xs[k], ys[k]) = row.at(j0 + k);
            }
        }
    }
}

/// Samples output row `row` (`width` pixels) into `sink`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn sample_row<S: Simd, T: Element, K: BlockSink, const C: usize>(
    source: &Source<'_, T>,
    interpolation: Interpolation,
    values: Option<&ChannelAffine>,
    row: &Row<'_>,
    width: usize,
    sink: &mut K,
) {
    let lanes = S::F32_LANES.min(MAX_LANES);
    let w = source.view.width() as f64;
    let h = source.view.height() as f64;
    let mut j0 = 0;
    while j0 < width {
        let n = lanes.min(width - j0);
        let mut xs = [0.0f64; MAX_LANES];
        let mut ys = [0.0f64; MAX_LANES];
        positions(row, j0, lanes.min(n), &mut xs, &mut ys);
        let done = n == lanes
            && match interpolation {
                Interpolation::Bilinear => {
                    bilinear_block::<T, K, C>(source, values, lanes, &xs, &ys, w, h, j0, sink)
                }
                Interpolation::Nearest => {
                    nearest_block::<T, K, C>(source, values, lanes, &xs, &ys, w, h, j0, sink)
                }
            };
        if !done {
            let mut px = [0.0f32; 4];
            for k in 0..n {
                source.sample(interpolation, xs[k], ys[k], &mut px);
                for (c, &v) in px.iter().enumerate().take(C) {
                    sink.put(j0 + k, c, super::scalar::finish(values, c, v));
                }
            }
        }
        j0 += n;
    }
}

/// Applies the value affine to a block (step 5 of the reference).
#[inline(always)]
fn finish_block<const C: usize>(values: Option<&ChannelAffine>, lanes: usize, v: &mut Block<C>) {
    if let Some(a) = values {
        for (c, vc) in v.iter_mut().enumerate() {
            let (s, o) = (a.scale[c], a.offset[c]);
            for x in vc.iter_mut().take(lanes) {
                *x = *x * s + o;
            }
        }
    }
}

/// The vector path for one block of bilinear pixels, if all their taps are
/// inside the source; `false` (nothing written) otherwise.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn bilinear_block<T: Element, K: BlockSink, const C: usize>(
    source: &Source<'_, T>,
    values: Option<&ChannelAffine>,
    lanes: usize,
    xs: &[f64; MAX_LANES],
    ys: &[f64; MAX_LANES],
    w: f64,
    h: f64,
    j0: usize,
    sink: &mut K,
) -> bool {
    // floor(x) in 0..=w-2 exactly when 0 <= x < w-1; NaN fails both.
    let mut inside = true;
    for k in 0..lanes {
        inside &= (xs[k] >= 0.0) & (xs[k] < w - 1.0) & (ys[k] >= 0.0) & (ys[k] < h - 1.0);
    }
    if !inside {
        return false;
    }
    let stride = source.view.stride();
    let data = source.view.data();
    // Inside the source, so the reference's clamp to ±FAR changes nothing,
    // and floor(x), floor(y) are whole numbers in 0..2^24: exact in i32.
    let mut base = [0u32; MAX_LANES];
    let mut fx = [0.0f32; MAX_LANES];
    let mut fy = [0.0f32; MAX_LANES];
    for k in 0..lanes {
        let (xf, yf) = (xs[k].floor(), ys[k].floor());
        fx[k] = (xs[k] - xf) as f32;
        fy[k] = (ys[k] - yf) as f32;
        base[k] = small_int(yf) * stride as u32 + small_int(xf) * C as u32;
    }
    let mut v: Block<C> = [[0.0; MAX_LANES]; C];
    if let Some(Texels::U8(bytes)) = Texels::of(data) {
        if !bilinear_u8::<C>(bytes, stride, lanes, &base, &fx, &fy, &mut v) {
            return false;
        }
    } else {
        for (c, vc) in v.iter_mut().enumerate() {
            for k in 0..lanes {
                let b = base[k] as usize + c;
                let p00 = data[b].to_f32();
                let p01 = data[b + C].to_f32();
                let p10 = data[b + stride].to_f32();
                let p11 = data[b + stride + C].to_f32();
                vc[k] = lerp2(p00, p01, p10, p11, fx[k], fy[k]);
            }
        }
    }
    finish_block(values, lanes, &mut v);
    sink.store(j0, lanes, &v);
    true
}

/// `v` as an integer, for whole numbers `0 <= v < 2^31` (adding 2^52 puts
/// it in the low mantissa bits): plain float ops, unlike `as` with its
/// saturation checks.
#[inline(always)]
fn small_int(v: f64) -> u32 {
    (v + 4_503_599_627_370_496.0).to_bits() as u32
}

/// Bilinear blend of `u8` taps starting at `base[k]`: each tap's channels
/// come from one little-endian word (two bytes for gray), unpacked in
/// registers. `false` if the block's last word would read past the buffer
/// (RGB's fourth byte at the very last pixel).
#[inline(always)]
fn bilinear_u8<const C: usize>(
    data: &[u8],
    stride: usize,
    lanes: usize,
    base: &[u32; MAX_LANES],
    fx: &[f32; MAX_LANES],
    fy: &[f32; MAX_LANES],
    v: &mut Block<C>,
) -> bool {
    let mut last = 0u32;
    for &b in base.iter().take(lanes) {
        last = last.max(b);
    }
    // The furthest byte any word below reads.
    let word = if C == 1 { 2 } else { 4 };
    if last as usize + stride + if C == 1 { 0 } else { C } + word > data.len() {
        return false;
    }
    let read = |at: usize| -> u32 {
        debug_assert!(at + word <= data.len());
        // SAFETY: every `at` below is at most `last + stride + C` (for gray
        // `last + stride`), and the test above showed that plus `word` bytes
        // lies within `data`; `read_unaligned` has no alignment requirement.
        unsafe {
            if C == 1 {
                u32::from(data.as_ptr().add(at).cast::<u16>().read_unaligned().to_le())
            } else {
                u32::from_le(data.as_ptr().add(at).cast::<u32>().read_unaligned())
            }
        }
    };
    let mut t00 = [0u32; MAX_LANES];
    let mut t01 = [0u32; MAX_LANES];
    let mut t10 = [0u32; MAX_LANES];
    let mut t11 = [0u32; MAX_LANES];
    for k in 0..lanes {
        let b = base[k] as usize;
        t00[k] = read(b);
        t10[k] = read(b + stride);
        if C != 1 {
            t01[k] = read(b + C);
            t11[k] = read(b + stride + C);
        }
    }
    let byte = |w: u32, n: usize| ((w >> (8 * n)) & 0xff) as i32 as f32;
    for (c, vc) in v.iter_mut().enumerate() {
        for k in 0..lanes {
            let (p00, p01, p10, p11) = if C == 1 {
                (
                    byte(t00[k], 0),
                    byte(t00[k], 1),
                    byte(t10[k], 0),
                    byte(t10[k], 1),
                )
            } else {
                (
                    byte(t00[k], c),
                    byte(t01[k], c),
                    byte(t10[k], c),
                    byte(t11[k], c),
                )
            };
            vc[k] = lerp2(p00, p01, p10, p11, fx[k], fy[k]);
        }
    }
    true
}

/// The vector path for one block of nearest pixels, if all their taps are
/// inside the source; `false` (nothing written) otherwise.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn nearest_block<T: Element, K: BlockSink, const C: usize>(
    source: &Source<'_, T>,
    values: Option<&ChannelAffine>,
    lanes: usize,
    xs: &[f64; MAX_LANES],
    ys: &[f64; MAX_LANES],
    w: f64,
    h: f64,
    j0: usize,
    sink: &mut K,
) -> bool {
    let mut tx = [0.0f64; MAX_LANES];
    let mut ty = [0.0f64; MAX_LANES];
    let mut inside = true;
    for k in 0..lanes {
        // Where this test passes the reference's clamp to ±FAR changed nothing.
        tx[k] = xs[k] + 0.5;
        ty[k] = ys[k] + 0.5;
        // floor(t) in 0..=w-1 exactly when 0 <= t < w.
        inside &= (tx[k] >= 0.0) & (tx[k] < w) & (ty[k] >= 0.0) & (ty[k] < h);
    }
    if !inside {
        return false;
    }
    let stride = source.view.stride();
    let data = source.view.data();
    let mut base = [0usize; MAX_LANES];
    for k in 0..lanes {
        base[k] = ty[k].floor() as usize * stride + tx[k].floor() as usize * C;
    }
    let mut v: Block<C> = [[0.0; MAX_LANES]; C];
    for (c, vc) in v.iter_mut().enumerate() {
        for k in 0..lanes {
            vc[k] = data[base[k] + c].to_f32();
        }
    }
    finish_block(values, lanes, &mut v);
    sink.store(j0, lanes, &v);
    true
}
