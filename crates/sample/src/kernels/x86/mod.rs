//! AVX2 hot path for `u8` and `f32` sources: hand-written because the
//! lane-wise generic code left most of the time in tap gathers and in the
//! interleaving store (measured: RGB u8 13 ns/px generic vs this kernel's
//! figure in the README's bench table). Under AVX-512 (pulp's `V4`) the
//! blocks are planned eight `f64` lanes at a time and `u8` colour blocks
//! blend four pixels per 512-bit vector (`avx512`); gray, `f32` and edge
//! blocks stay 256-bit.
//!
//! Same structure as `kernels::generic`: blocks of 8 output pixels whose taps
//! are all inside the source run the fast vector code; blocks with taps
//! outside, or non-finite positions, run the vector edge path; the few where
//! a read would pass the buffer's end, and the row's tail, run the scalar
//! reference pixel by pixel. The vector code repeats the reference's
//! arithmetic (see `kernels::scalar`) lane by lane and in the same order —
//! `f64` positions `a*j + rx`, `floor`, `(x - floor x) as f32`, the lerp
//! without FMA, the value affine as a multiply then an add, and the `u8`
//! store as `geom::Element::from_f32` (clamp, add 1.5 * 2^23) — so it gives
//! the reference's bits; `tests/paths.rs` checks that on every case.
//!
//! One file per stage of a block: `plan` (positions, taps, weights, the
//! inside test), `blend` (reads and lerps of planned blocks), `nearest`,
//! `edge` (padding per lane), `store` (value affine, rounding, interleaving),
//! `avx512` (the 512-bit planning and colour blend), with `geometry` and
//! `lanes` holding what they share. This file walks a row through them.

mod avx512;
mod blend;
mod edge;
mod geometry;
mod lanes;
mod nearest;
mod plan;
mod store;

use super::scalar::{Source, finish};
use super::sink::{RawRow, RawRows};
use super::typed::Texels;
use crate::coords::{Prepared, Row};
use crate::options::{ChannelAffine, Interpolation};
use avx512::{colour_blocks_avx512, plan_blocks_avx512};
use blend::{colour_run, gray_run};
use core::arch::x86_64::*;
use edge::edge;
use geom::{Element, Isa};
use geometry::{Geometry, LANES};
use nearest::nearest;
use plan::{Planned, plan, positions};
use store::store;

/// Which flavour of the kernel runs, holding the pulp token that proves the
/// CPU has its features.
#[derive(Clone, Copy)]
pub(crate) enum Flavour {
    /// AVX2 and FMA (pulp's `V3`): 256-bit throughout.
    Avx2(pulp::x86::V3),
    /// AVX-512 F/BW/CD/DQ/VL (pulp's `V4`): blocks planned and `u8` colour
    /// blocks blended 512 bits at a time (`avx512`).
    Avx512(pulp::x86::V4),
}

impl Flavour {
    /// The flavour of `isa` if it is an x86 path this CPU runs. Both AVX-512
    /// paths take the same flavour: the kernel uses no VBMI.
    pub(crate) fn of(isa: Isa) -> Option<Flavour> {
        match isa {
            Isa::Avx2 => pulp::x86::V3::try_new().map(Flavour::Avx2),
            isa if isa.is_avx512() => pulp::x86::V4::try_new().map(Flavour::Avx512),
            _ => None,
        }
    }
}

/// The kernel bound to one call: its flavour, the source and the output
/// typed, and the source's geometry.
pub(crate) struct Kernel<'s> {
    flavour: Flavour,
    texels: Texels<'s>,
    geometry: Geometry,
    out: RawRows<'s>,
}

impl<'s> Kernel<'s> {
    /// `None` when tap offsets would not fit `i32` (buffers of 2^31
    /// elements or more), which the kernel cannot address.
    pub(crate) fn new<T: Element>(
        flavour: Flavour,
        source: &Source<'_, T>,
        texels: Texels<'s>,
        out: RawRows<'s>,
    ) -> Option<Kernel<'s>> {
        let avx512 = matches!(flavour, Flavour::Avx512(_));
        Some(Kernel {
            flavour,
            texels,
            geometry: Geometry::new(source)?.with_avx512(avx512),
            out,
        })
    }

    /// The flavour's name, for tests.
    #[cfg(test)]
    pub(crate) fn flavour_name(&self) -> &'static str {
        match self.flavour {
            Flavour::Avx2(_) => "avx2",
            Flavour::Avx512(_) => "avx512",
        }
    }

    /// Samples every output row (`width` x `height` pixels of `C` channels)
    /// of `source` through `map`.
    pub(crate) fn run<T: Element, const C: usize>(
        self,
        source: &Source<'_, T>,
        interpolation: Interpolation,
        values: Option<&ChannelAffine>,
        map: &Prepared<'_>,
        width: usize,
        height: usize,
    ) {
        let Kernel {
            flavour,
            texels,
            geometry,
            mut out,
        } = self;
        // Run under the token's `vectorize`, so the row loop and all it
        // inlines are compiled for the flavour's features.
        let rows = move || {
            for i in 0..height {
                let row = map.row(i);
                let mut raw = out.row(i);
                // SAFETY: this runs only inside `vectorize` of a pulp V3 or
                // V4 token, which exist only on CPUs with AVX2 and FMA; the
                // AVX-512 code it reaches needs `geometry.avx512`, set above
                // only for the V4 token.
                unsafe {
                    sample_row::<T, C>(
                        source,
                        texels,
                        geometry,
                        interpolation,
                        values,
                        &row,
                        width,
                        &mut raw,
                    )
                }
            }
        };
        match flavour {
            Flavour::Avx2(v3) => v3.vectorize(rows),
            Flavour::Avx512(v4) => v4.vectorize(rows),
        }
    }
}

/// Samples output row `row` (`width` pixels) into `out`.
///
/// # Safety
/// The CPU must support AVX2 and FMA, and AVX-512 F/BW/CD/DQ/VL if
/// `geometry.avx512` is set (as [`Kernel::run`] ensures).
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn sample_row<T: Element, const C: usize>(
    source: &Source<'_, T>,
    texels: Texels<'_>,
    geometry: Geometry,
    interpolation: Interpolation,
    values: Option<&ChannelAffine>,
    row: &Row<'_>,
    width: usize,
    out: &mut RawRow<'_>,
) {
    let mut j0 = 0;
    if interpolation == Interpolation::Bilinear {
        // Plan a chunk of blocks, then read them: see `plan`.
        const CHUNK: usize = 32;
        let mut plans = [None; CHUNK];
        while j0 + LANES <= width {
            let blocks = CHUNK.min((width - j0) / LANES);
            let wide = matches!(texels, Texels::U8(_));
            if geometry.avx512 {
                // SAFETY: `avx512` is set only for the V4 flavour, on CPUs
                // with AVX-512 (this function's safety contract).
                unsafe { plan_blocks_avx512::<C>(geometry, row, j0, wide, &mut plans[..blocks]) };
            } else {
                for (b, slot) in plans.iter_mut().enumerate().take(blocks) {
                    *slot = plan::<C>(geometry, positions(row, j0 + b * LANES), wide);
                }
            }
            let mut b = 0;
            while b < blocks {
                let j = j0 + b * LANES;
                // A run of planned colour blocks in one call, which keeps the
                // constants of `colour_run` in registers across its blocks.
                let run = plans[b..blocks].iter().take_while(|p| p.is_some()).count();
                if C > 1 && run > 0 {
                    colour_blocks::<C>(texels, geometry, values, &plans[b..b + run], j, out);
                    b += run;
                    continue;
                }
                match &plans[b] {
                    Some(plan) => {
                        let v = gray_run::<C>(texels, geometry, plan);
                        store::<C>(values, v, j, out);
                    }
                    None => edge_or_scalar::<T, C>(
                        source,
                        texels,
                        geometry,
                        interpolation,
                        values,
                        row,
                        j,
                        out,
                    ),
                }
                b += 1;
            }
            j0 += blocks * LANES;
        }
    }
    while j0 + LANES <= width {
        let pos = positions(row, j0);
        let block = match interpolation {
            Interpolation::Bilinear => None,
            Interpolation::Nearest => nearest::<C>(texels, geometry, pos),
        };
        let block = block.or_else(|| edge::<C>(texels, geometry, interpolation, pos));
        match block {
            Some(v) => store::<C>(values, v, j0, out),
            None => {
                let mut xs = [0.0f64; LANES];
                let mut ys = [0.0f64; LANES];
                // SAFETY: each array holds 8 f64, written as two unaligned
                // 4-lane stores.
                unsafe {
                    _mm256_storeu_pd(xs.as_mut_ptr(), pos[0]);
                    _mm256_storeu_pd(xs.as_mut_ptr().add(4), pos[1]);
                    _mm256_storeu_pd(ys.as_mut_ptr(), pos[2]);
                    _mm256_storeu_pd(ys.as_mut_ptr().add(4), pos[3]);
                }
                scalar_pixels::<T, C>(source, interpolation, values, j0, &xs, &ys, out);
            }
        }
        j0 += LANES;
    }
    if j0 < width {
        let mut xs = [0.0f64; LANES];
        let mut ys = [0.0f64; LANES];
        for (k, j) in (j0..width).enumerate() {
            (xs[k], ys[k]) = row.at(j);
        }
        let n = width - j0;
        scalar_pixels::<T, C>(source, interpolation, values, j0, &xs[..n], &ys[..n], out);
    }
}

/// A block the fast path left: the vector edge path, or the scalar
/// reference where even that would read past the buffer's end.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
fn edge_or_scalar<T: Element, const C: usize>(
    source: &Source<'_, T>,
    texels: Texels<'_>,
    geometry: Geometry,
    interpolation: Interpolation,
    values: Option<&ChannelAffine>,
    row: &Row<'_>,
    j0: usize,
    out: &mut RawRow<'_>,
) {
    let pos = positions(row, j0);
    match edge::<C>(texels, geometry, interpolation, pos) {
        Some(v) => store::<C>(values, v, j0, out),
        None => {
            let mut xs = [0.0f64; LANES];
            let mut ys = [0.0f64; LANES];
            for (k, (x, y)) in xs.iter_mut().zip(&mut ys).enumerate() {
                (*x, *y) = row.at(j0 + k);
            }
            scalar_pixels::<T, C>(source, interpolation, values, j0, &xs, &ys, out);
        }
    }
}

/// The scalar reference for pixels `j0..` at the given positions.
#[inline(always)]
fn scalar_pixels<T: Element, const C: usize>(
    source: &Source<'_, T>,
    interpolation: Interpolation,
    values: Option<&ChannelAffine>,
    j0: usize,
    xs: &[f64],
    ys: &[f64],
    out: &mut RawRow<'_>,
) {
    let mut px = [0.0f32; 4];
    for (k, (&x, &y)) in xs.iter().zip(ys).enumerate() {
        source.sample(interpolation, x, y, &mut px);
        for (c, &v) in px.iter().enumerate().take(C) {
            out.put::<C>(j0 + k, c, finish(values, c, v));
        }
    }
}

/// [`colour_run`] for consecutive blocks from pixel `j0`, all planned.
#[target_feature(enable = "avx2,fma")]
fn colour_blocks<const C: usize>(
    texels: Texels<'_>,
    g: Geometry,
    values: Option<&ChannelAffine>,
    plans: &[Option<Planned>],
    j0: usize,
    out: &mut RawRow<'_>,
) {
    if let (true, Texels::U8(data)) = (g.avx512, texels) {
        // SAFETY: `avx512` is set only by `Kernel::new` for the V4 flavour,
        // whose token exists only on CPUs with AVX-512 F/BW/CD/DQ/VL.
        return unsafe { colour_blocks_avx512::<C>(data, g, values, plans, j0, out) };
    }
    for (b, plan) in plans.iter().enumerate() {
        if let Some(plan) = plan {
            colour_run::<C>(texels, g, values, plan, j0 + b * LANES, out);
        }
    }
}
