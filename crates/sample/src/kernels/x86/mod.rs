//! AVX2 hot path for `u8` and `f32` sources: hand-written because the
//! lane-wise generic code left most of the time in tap gathers and in the
//! interleaving store (measured: RGB u8 13 ns/px generic vs this kernel's
//! figure in the README's bench table). Under AVX-512 (pulp's `V4`) the
//! blocks are planned eight `f64` lanes at a time and `u8` colour blocks
//! blend four pixels per 512-bit vector and, where the CPU gathers fast
//! (`geom::gathers`), runs of `u8` gray blocks sixteen pixels per vector
//! (`avx512`), colour `u8` edge blocks too; `f32` and the other edge
//! blocks stay 256-bit.
//!
//! Same structure as `kernels::generic`: blocks of 8 output pixels whose taps
//! are all inside the source run the fast vector code; blocks with taps
//! outside, or non-finite positions, run the vector edge path; the few where
//! a read would pass the buffer's end, and the row's tail, run the scalar
//! reference pixel by pixel. The vector code repeats the reference's
//! arithmetic (see `kernels::scalar`) lane by lane and in the same order —
//! `f64` positions `a*j + rx`, `floor`, `(x - floor x) as f32`, the lerp
//! as a difference and one FMA, the value affine as a multiply then an
//! add, and the `u8` store as `geom::Element::from_f32` (clamp, add
//! 1.5 * 2^23) — so it gives the reference's bits; `tests/paths.rs` checks
//! that on every case.
//!
//! One file per stage of a block: `plan` (positions, taps, weights, the
//! inside test), `blend` (reads and lerps of planned blocks), `nearest`,
//! `edge` (padding per lane), `store` (value affine, rounding, interleaving),
//! `avx512` (the 512-bit planning and colour blend, and in `avx512::edge`
//! the colour edge blocks), `axis` (planning for axis-aligned maps, whose
//! blocks' column halves are the same on every row), with `geometry` and
//! `lanes` holding what they share; `tests` holds the kernel's proptests.
//! This file walks a row through them.

mod avx512;
mod axis;
mod blend;
mod edge;
mod geometry;
mod lanes;
mod nearest;
mod plan;
mod store;

use super::scalar::Source;
use super::sink::{RawRow, RawRows};
use super::typed::Texels;
use crate::coords::{Prepared, Row};
use crate::options::{ChannelAffine, Interpolation};
use avx512::{
    colour_blocks_avx512, gray_blocks_avx512, nearest_bytes_avx512, plan_blocks_avx512,
    span_blocks_avx512,
};
use axis::{Columns, MAX_BLOCKS};
use blend::{colour_run, gray_run};
use core::arch::x86_64::*;
use edge::{edge, edge_or_scalar, filled_ends, outside_blocks, outside_fill, scalar_pixels};
use geom::{Element, Isa, Padding};
use geometry::{Geometry, LANES};
use lanes::last_holding;
use nearest::{nearest, nearest_bytes};
use plan::{
    ColumnProducts, Planned, Span, block_positions, column_products, inside_span, plan,
    plan_border, plan_flat, positions, span_batches,
};
use store::store;

/// Which flavour of the kernel runs: 256-bit throughout (AVX2 and FMA), or
/// with blocks planned and `u8` colour blocks blended 512 bits at a time
/// (AVX-512 F/BW/CD/DQ/VL, see `avx512`). Made only by [`Flavour::of`] once
/// pulp has detected the flavour's features, so holding one proves the CPU
/// has them.
#[derive(Clone, Copy)]
pub(crate) struct Flavour {
    avx512: bool,
    /// Read scattered taps with hardware gathers ([`geom::gathers`]).
    gathers: bool,
}

impl Flavour {
    /// The flavour of `isa` if it is an x86 path this CPU runs (pulp's `V3`
    /// for AVX2, `V4`, which includes `V3`, for AVX-512). Both AVX-512 paths
    /// take the same flavour: the kernel uses no VBMI.
    pub(crate) fn of(isa: Isa) -> Option<Flavour> {
        let avx512 = match isa {
            Isa::Avx2 => false,
            isa if isa.is_avx512() => true,
            _ => return None,
        };
        let detected = if avx512 {
            pulp::x86::V4::try_new().is_some()
        } else {
            pulp::x86::V3::try_new().is_some()
        };
        detected.then_some(Flavour {
            avx512,
            gathers: gathers_setting(),
        })
    }
}

/// Whether kernels gather: the process's choice ([`geom::gathers`]), which
/// tests replace per thread to run both ways.
#[cfg(not(test))]
fn gathers_setting() -> bool {
    geom::gathers().enabled
}

#[cfg(test)]
thread_local! {
    /// The gathers setting this test thread runs the kernel with.
    pub(crate) static TEST_GATHERS: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}

#[cfg(test)]
fn gathers_setting() -> bool {
    TEST_GATHERS.get()
}

/// The kernel bound to one call: the source and the output typed, and the
/// source's geometry, which records the flavour.
pub(crate) struct Kernel<'s> {
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
        Some(Kernel {
            texels,
            geometry: Geometry::new(source)?
                .with_avx512(flavour.avx512)
                .with_gathers(flavour.gathers),
            out,
        })
    }

    /// The flavour's name, for tests.
    #[cfg(test)]
    pub(crate) fn flavour_name(&self) -> &'static str {
        if self.geometry.avx512 {
            "avx512"
        } else {
            "avx2"
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
            texels,
            geometry,
            mut out,
        } = self;
        // Resizes, crops and flips: `x` depends on the column only, `y` on
        // the row only.
        let axis_aligned =
            matches!(*map, Prepared::Affine([[_, b, _], [d, _, _]]) if b == 0.0 && d == 0.0);
        // An axis-aligned map plans the column half of its blocks once.
        let columns = match *map {
            Prepared::Affine([[a, b, c], _])
                if axis_aligned
                    && interpolation == Interpolation::Bilinear
                    && width / LANES <= MAX_BLOCKS =>
            {
                // Row 0's `rx` (`Prepared::row`), which every row shares.
                Some(Columns::new::<C>(geometry, a, b * 0.0 + c, width / LANES))
            }
            _ => None,
        };
        // Other affine maps work out their column products once, for the
        // planning of bilinear blocks.
        let products = match *map {
            Prepared::Affine([[a, _, _], [d, _, _]])
                if columns.is_none() && interpolation == Interpolation::Bilinear =>
            {
                Some(column_products(a, d, width / LANES))
            }
            _ => None,
        };
        // Colour sources of affine maps that are not axis-aligned prefetch
        // what the blocks will read `PREFETCH_ROWS` output rows on (see
        // `prefetch`).
        let lead = match *map {
            Prepared::Affine([[_, b, _], [_, e, _]]) if C > 1 && !axis_aligned => {
                let per_row = e * f64::from(geometry.stride) + b * C as f64;
                // `as` saturates (NaN to 0): a wild lead only prefetches
                // nothing useful.
                Some((per_row * PREFETCH_ROWS) as isize)
            }
            _ => None,
        };
        for i in 0..height {
            let row = map.row(i);
            let mut raw = out.row(i);
            // SAFETY: a `Kernel` is made only from a `Flavour`, which exists
            // only where pulp detected AVX2 and FMA, and `geometry.avx512`
            // is set only for a flavour whose AVX-512 F/BW/CD/DQ/VL pulp
            // detected (`Kernel::new`).
            unsafe {
                sample_row::<T, C>(
                    source,
                    texels,
                    geometry,
                    interpolation,
                    values,
                    &row,
                    columns.as_ref(),
                    products.as_deref(),
                    lead,
                    width,
                    &mut raw,
                )
            }
        }
    }
}

/// Output rows ahead whose source reads [`prefetch`] asks for.
const PREFETCH_ROWS: f64 = 8.0;

/// Asks the cache for the source lines the planned blocks' first and last
/// pixels (and for `f32`, middle pixel) will read `lead` elements on (the
/// map's step over [`PREFETCH_ROWS`] output rows), in both tap rows. A rotated warp walks
/// the source along a slanted line, which the hardware prefetchers do not
/// follow: each output row meets new source lines all along it. Measured on
/// the project's Xeon (AVX-512), rotate 17° zoom 1.1, border, same sitting,
/// ns per pixel (`augment bench`, three alternations): RGB `u8` 1024x768
/// 2.81-2.86 -> 2.42-2.57, RGBA 2.88-2.93 -> 2.37-2.50, RGB `f32`
/// 3.54-3.75 -> 3.33-3.69; RGBA 2048x1536 4.3-6.8 -> 2.7-3.0; RGBA 512x384
/// (source in L2) unchanged; gray 2-15 % slower (a quarter of the lines per
/// pixel, and cheaper blocks), so gray does not prefetch, nor do
/// axis-aligned maps, which read the source row by row as the hardware
/// expects. A prefetch is a hint: it never faults, so addresses off the
/// source are harmless.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn prefetch<'p, E>(data: &[E], g: Geometry, lead: isize, plans: impl Iterator<Item = &'p Planned>) {
    let p = data.as_ptr();
    let stride = g.stride as isize;
    // A block's `f32` pixels span 96 or 128 bytes (and, rotated, more than
    // one source row): its middle pixel too. Measured, same sitting, RGB
    // `f32` 3.24-3.29 -> 2.99-3.14 ns/px with it; `u8` blocks (24 or 32
    // bytes) measured no faster with it. Two `u8` blocks span 48 or 64
    // bytes, so every other block's first pixel still asks for nearly every
    // line the row reads, with a quarter of the prefetches of both ends of
    // every block. Scratch harness, RGBA `u8`, alternated, median ns/px:
    // 1024x768 2.40 (both ends of every block) -> 2.27 (every other
    // block's first pixel), six rounds; 2048x1536 2.63-2.76 -> 2.48-2.54
    // (every block's first pixel), four; every fourth block: 2.45 -> 2.73
    // at 1024x768. RGB `u8` did not move.
    let pixels: &[usize] = if size_of::<E>() > 1 {
        &[0, LANES / 2, LANES - 1]
    } else {
        &[0]
    };
    let step = if size_of::<E>() > 1 { 1 } else { 2 };
    for plan in plans.step_by(step) {
        for &k in pixels {
            let at = p
                .wrapping_offset(plan.base[k] as isize)
                .wrapping_offset(lead);
            _mm_prefetch::<_MM_HINT_T0>(at.cast());
            _mm_prefetch::<_MM_HINT_T0>(at.wrapping_offset(stride).cast());
        }
    }
}

/// Samples output row `row` (`width` pixels) into `out`; `columns`, for
/// an axis-aligned map, holds the column half of every block's plan.
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
    columns: Option<&Columns>,
    products: Option<&[ColumnProducts]>,
    lead: Option<isize>,
    width: usize,
    out: &mut RawRow<'_>,
) {
    // Under a fill, an affine row's ends wholly outside the source are
    // stored first (`filled_ends`), and the blocks run between them.
    let whole = width / LANES * LANES;
    let ends = filled_ends::<C>(geometry, interpolation, values, row, width, out);
    let (mut j0, end) = ends.unwrap_or((0, whole));
    if interpolation == Interpolation::Bilinear {
        // Plan a chunk of blocks, then read them: see `plan`.
        const CHUNK: usize = 32;
        let mut plans = [None; CHUNK];
        let wide = matches!(texels, Texels::U8(_));
        let border = wide && geometry.padding == Padding::Border;
        // Where the row's blocks can skip the planning's tests.
        let span = match products {
            Some(_) => inside_span::<C>(geometry, row, width, wide),
            None => None,
        };
        // Blocks inside the span are planned a batch at a time and blended
        // without the chunk's array of `Option`s (`span_blocks`,
        // `avx512::span_blocks_avx512`). Under AVX-512, `f32` blocks and
        // gray `u8` ones without gathers keep the chunks: their planning is
        // 512-bit, their blend 256-bit.
        let fused = match (span, products, texels) {
            (Some(span), Some(products), Texels::U8(_))
                if C > 1 || !geometry.avx512 || geometry.gathers =>
            {
                Some((span, products))
            }
            (Some(span), Some(products), Texels::F32(_)) if C > 1 && !geometry.avx512 => {
                Some((span, products))
            }
            _ => None,
        };
        // Under a fill, blocks wholly outside the source are one value
        // (`outside_fill`), stored without planning: an affine row's were
        // stored above; other rows' are found where a run of them starts
        // a chunk, or one by one in `edge_or_scalar`.
        let per_block = ends.is_none() && geometry.padding.constant().is_some();
        while j0 + LANES <= end {
            if per_block {
                let run = outside_blocks::<C>(geometry, values, row, j0, end, out);
                if run > j0 {
                    j0 = run;
                    continue;
                }
            }
            let mut blocks = CHUNK.min((end - j0) / LANES);
            // A line leaves a rectangle once, so a chunk whose last block
            // is wholly outside ends with a run of them (its first block
            // is not, or the loop above would have taken it): the chunk
            // stops where they start, found by bisection, and the loop
            // above takes the run.
            let outside =
                |b: usize| outside_fill::<C>(geometry, positions(row, j0 + b * LANES)).is_some();
            if per_block && blocks > 1 && outside(blocks - 1) {
                blocks = last_holding(0, blocks - 1, |b| !outside(b)) + 1;
            }
            if let Some((span, products)) = fused {
                let inside = span.blocks_from(j0).min((end - j0) / LANES);
                if inside > 0 {
                    match texels {
                        // SAFETY: `avx512` is set only where the CPU has
                        // AVX-512 F/BW/CD/DQ/VL; the span, found for `data`
                        // with wide reads, holds these blocks.
                        Texels::U8(data) if geometry.avx512 => unsafe {
                            span_blocks_avx512::<C>(
                                data, geometry, row, products, j0, inside, lead, values, out,
                            )
                        },
                        _ => span_blocks::<C>(
                            texels, geometry, row, products, j0, inside, lead, values, out,
                        ),
                    }
                    j0 += inside * LANES;
                    continue;
                }
                // A chunk before the span ends where the span's blocks begin.
                if j0 < span.first_block() {
                    blocks = blocks.min((span.first_block() - j0) / LANES);
                }
            }
            // Under `Border`, `u8` blocks with taps outside the source are
            // planned too, their positions clamped into it (`plan_border`;
            // `plan_blocks_avx512` clamps the same way), and join the runs.
            if let (Some(columns), Row::Affine { d, ry, .. }) = (columns, row) {
                // One `y` for the row: `d` is a zero (see `axis`).
                columns.plan::<C>(
                    geometry,
                    d * 0.0 + ry,
                    j0 / LANES,
                    wide,
                    &mut plans[..blocks],
                );
                if border {
                    for (b, slot) in plans[..blocks].iter_mut().enumerate() {
                        if slot.is_none() {
                            *slot = plan_border::<C>(geometry, positions(row, j0 + b * LANES));
                        }
                    }
                }
            } else if geometry.avx512 {
                // SAFETY: `avx512` is set only where the CPU has AVX-512
                // F/BW/CD/DQ/VL (this function's safety contract).
                unsafe {
                    plan_blocks_avx512::<C>(
                        geometry,
                        row,
                        products,
                        span,
                        j0,
                        wide,
                        border,
                        &mut plans[..blocks],
                    )
                };
            } else {
                let first = j0 / LANES;
                for (b, slot) in plans.iter_mut().enumerate().take(blocks) {
                    let j = j0 + b * LANES;
                    let products = products.and_then(|p| p.get(first + b));
                    let positions = block_positions(row, products, j);
                    *slot = if Span::exempts(span, products, j) {
                        plan::<C, false>(geometry, positions, wide)
                    } else {
                        plan::<C, true>(geometry, positions, wide)
                            .or_else(|| border.then(|| plan_border::<C>(geometry, positions))?)
                    };
                }
            }
            // Blocks wholly on or below the source's last row (under
            // `Border`, `u8`) blend with the flat geometry, one bit each.
            let mut flat = 0u32;
            if border {
                let first = j0 / LANES;
                for (b, slot) in plans[..blocks].iter_mut().enumerate() {
                    if slot.is_none() {
                        let products = products.and_then(|p| p.get(first + b));
                        let positions = block_positions(row, products, j0 + b * LANES);
                        *slot = plan_flat::<C>(geometry, positions);
                        flat |= u32::from(slot.is_some()) << b;
                    }
                }
            }
            if let Some(lead) = lead {
                let planned = plans[..blocks].iter().flatten();
                match texels {
                    Texels::U8(data) => prefetch(data, geometry, lead, planned),
                    Texels::F32(data) => prefetch(data, geometry, lead, planned),
                }
            }
            let mut b = 0;
            while b < blocks {
                let j = j0 + b * LANES;
                // A run keeps one geometry: it ends where flatness changes.
                let (geometry, same) = if flat >> b & 1 == 1 {
                    (geometry.flat(), (!flat >> b).trailing_zeros() as usize)
                } else {
                    (geometry, (flat >> b).trailing_zeros() as usize)
                };
                // Counted only where a run is taken whole: counting before
                // each single block makes a chunk quadratic.
                let run = || {
                    plans[b..blocks]
                        .iter()
                        .take(same)
                        .take_while(|p| p.is_some())
                        .count()
                };
                // A run of planned colour blocks in one call, which keeps the
                // constants of `colour_run` in registers across its blocks.
                if C > 1
                    && let run @ 1.. = run()
                {
                    colour_blocks::<C>(texels, geometry, values, &plans[b..b + run], j, out);
                    b += run;
                    continue;
                }
                // Gray `u8` runs blend 16 pixels per vector from gathered
                // words; without gathers, 8 per block as under AVX2.
                if C == 1
                    && geometry.avx512
                    && geometry.gathers
                    && let Texels::U8(data) = texels
                    && let run @ 2.. = run()
                {
                    // SAFETY: `avx512` is set only where the CPU has AVX-512
                    // F/BW/CD/DQ/VL; the run's blocks are planned gray blocks.
                    unsafe {
                        gray_blocks_avx512(data, geometry, values, &plans[b..b + run], j, out);
                    }
                    b += run;
                    continue;
                }
                match &plans[b] {
                    Some(plan) => {
                        let v = gray_run::<C>(texels, geometry, plan);
                        // A planned block blends source bytes only.
                        store::<C>(values, v, j, values.is_some(), out);
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
    // Nearest `u8` to `u8` blocks are source bytes moved: no `f32`.
    if interpolation == Interpolation::Nearest
        && values.is_none()
        && let (Texels::U8(data), RawRow::U8(bytes)) = (texels, &mut *out)
    {
        if geometry.avx512 {
            // SAFETY: `avx512` is set only where the CPU has AVX-512
            // F/BW/CD/DQ/VL.
            j0 = unsafe { nearest_bytes_avx512::<C>(data, geometry, row, j0, end, bytes) };
        }
        j0 = nearest_bytes::<C>(data, geometry, row, j0, end, bytes);
    }
    while j0 + LANES <= end {
        let pos = positions(row, j0);
        let block = match interpolation {
            Interpolation::Bilinear => None,
            Interpolation::Nearest => nearest::<C>(texels, geometry, pos),
        };
        let block = block.or_else(|| edge::<C>(texels, geometry, interpolation, pos));
        match block {
            Some(v) => store::<C>(values, v, j0, true, out),
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
    if ends.is_some() {
        j0 = whole;
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

/// Blocks of an affine row that its `Span` holds, from pixel `j0`, under
/// AVX2: planned a batch at a time without the tests
/// (`plan::<C, false>`, see `plan::span_batches`), prefetched, then blended
/// and stored, as `avx512::span_blocks_avx512` does for `u8` under AVX-512.
/// The same steps as a chunk's, without its `Option`s and run counting.
///
/// `row`'s span, found with wide reads for `u8` texels, must hold every
/// block, and `products` be the row's.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
fn span_blocks<const C: usize>(
    texels: Texels<'_>,
    g: Geometry,
    row: &Row<'_>,
    products: &[ColumnProducts],
    j0: usize,
    blocks: usize,
    lead: Option<isize>,
    values: Option<&ChannelAffine>,
    out: &mut RawRow<'_>,
) {
    let wide = matches!(texels, Texels::U8(_));
    span_batches(
        products,
        j0,
        blocks,
        Planned::unset(),
        |j, products| plan::<C, false>(g, block_positions(row, Some(products), j), wide),
        |j, planned| {
            if let Some(lead) = lead {
                match texels {
                    Texels::U8(data) => prefetch(data, g, lead, planned.iter()),
                    Texels::F32(data) => prefetch(data, g, lead, planned.iter()),
                }
            }
            for (b, plan) in planned.iter().enumerate() {
                let j = j + b * LANES;
                if C == 1 {
                    // Gray spans here are `u8` (see `fused` in
                    // `sample_row`): a planned block blends source bytes
                    // only.
                    store::<C>(
                        values,
                        gray_run::<C>(texels, g, plan),
                        j,
                        values.is_some(),
                        out,
                    );
                } else {
                    colour_run::<C>(texels, g, values, plan, j, out);
                }
            }
        },
    );
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
        // SAFETY: `avx512` is set only by `Kernel::new`, for a flavour whose
        // AVX-512 F/BW/CD/DQ/VL pulp detected.
        return unsafe { colour_blocks_avx512::<C>(data, g, values, plans, j0, out) };
    }
    for (b, plan) in plans.iter().enumerate() {
        if let Some(plan) = plan {
            colour_run::<C>(texels, g, values, plan, j0 + b * LANES, out);
        }
    }
}

#[cfg(test)]
mod tests;
