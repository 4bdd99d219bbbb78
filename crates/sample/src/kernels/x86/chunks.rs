//! The bilinear blocks of a row between its filled ends: chunks of
//! blocks planned into an array, then blended run by run, and the blocks
//! of an affine row's `Span` planned a batch at a time without the tests
//! (`span_blocks`, and `avx512::span_blocks_avx512` for `u8` under
//! AVX-512). Blocks the planning leaves (taps outside the source under
//! padding other than `Border`, reads past the buffer's end) take
//! `edge::edge_or_scalar`; under a fill, runs of blocks wholly outside
//! are stored as one value without planning.

use super::Call;
use super::avx512::{
    colour_blocks_avx512, colour_span_vbmi, gray_blocks_avx512, plan_blocks_avx512,
    span_blocks_avx512,
};
use super::blend::{colour_run, gray_run};
use super::edge::{edge_or_scalar, outside_blocks, outside_fill};
use super::geometry::{Geometry, LANES};
use super::lanes::last_holding;
use super::plan::{
    ColumnProducts, Planned, Span, block_positions, plan, plan_border, plan_flat, positions,
    span_batches,
};
use super::store::store;
use crate::coords::Row;
use crate::kernels::sink::RawRow;
use crate::kernels::typed::Texels;
use crate::options::{ChannelAffine, Interpolation};
use core::arch::x86_64::*;
use geom::{Element, Padding};

/// The narrowest output row that looks for its span (`plan::SpanLimits`).
/// On narrower rows, finding the span and setting up its path cost more
/// than the tests its blocks skip. Measured on the Xeon (Emerald Rapids),
/// square `u8` warps rotated 17° and zoomed 1.1, best of 40 batches, ns/px
/// with the span / without: AVX-512, 32 pixels wide gray 3.94-4.01 / 3.34-3.36,
/// RGB 4.70-4.80 / 4.32-4.38, RGBA 4.73-4.76 / 4.24-4.32; 48 wide gray
/// 2.85-2.87 / 2.59-2.60, RGB 3.70-3.71 / 3.58-3.62; 64 wide gray
/// 2.36-2.58 / 2.28, RGB 3.10-3.11 / 3.30-3.31; 96 wide gray 1.86 / 1.94,
/// RGB 2.59 / 2.99. AVX2 (forced): 32 wide gray 3.70-3.73 / 3.45, RGB 4.83
/// / 4.38-4.43; 64 wide gray 2.57-2.69 / 2.92, RGB 3.57 / 3.63. Since the
/// rows share their `SpanLimits`, gray 64 wide also gains from its span
/// (2.20-2.21 / 2.28-2.31; RGB 2.97-2.98 / 3.31-3.35) and 48 wide still
/// does not (gray 2.71-2.72 / 2.56-2.59).
pub(super) const SPAN_MIN_WIDTH: usize = 64;

/// Blocks planned at a time, then read (see `plan`).
pub(super) const CHUNK: usize = 32;

/// Bilinear blocks of `row` from pixel `j0` up to `end` (whole blocks),
/// into `out`; `ends_stored`: the row's wholly outside ends were stored
/// already (`edge::filled_ends`), so no block between them is; `plans`:
/// room for a chunk's plans, each slot written before it is read, kept
/// by the caller across rows (emptying 32 slots per row made a 32x32
/// gray warp 7 % slower on the Xeon: 2.70 against 2.90 ns/px). Returns
/// the pixel it stopped at (`end`).
///
/// Always inlined, into `sample_rows`, whose target features its code
/// then runs with (so it has none of its own: `inline(always)` excludes
/// them). As a call of its own, which the compiler chose for colour rows,
/// it redid its set-up for every row; on the Xeon (Emerald Rapids),
/// rotate 17° zoom 1.1, ns/px: 32x32 RGB 4.00 -> 3.26, RGBA 3.91 -> 3.29,
/// gray 2.61 -> 2.44; 64x64 RGB 2.83 -> 2.61, RGBA 2.85 -> 2.49.
///
/// # Safety
/// The CPU must support AVX2 and FMA, and AVX-512 F/BW/CD/DQ/VL if
/// `call.geometry.avx512` is set.
#[inline(always)]
pub(super) unsafe fn bilinear_blocks<T: Element, const C: usize>(
    call: &Call<'_, T>,
    row: &Row<'_>,
    ends_stored: bool,
    mut j0: usize,
    end: usize,
    plans: &mut [Option<Planned>; CHUNK],
    out: &mut RawRow<'_>,
) -> usize {
    let Call {
        source,
        texels,
        geometry,
        values,
        columns,
        products,
        lead,
        span_limits,
        ..
    } = *call;
    let wide = matches!(texels, Texels::U8(_));
    let border = wide && geometry.padding == Padding::Border;
    // Where the row's blocks can skip the planning's tests (rows of
    // `SPAN_MIN_WIDTH` pixels or more).
    let span = span_limits.and_then(|limits| limits.span(row));
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
    let per_block = !ends_stored && geometry.padding.constant().is_some();
    while j0 + LANES <= end {
        if per_block {
            // SAFETY: AVX2 and FMA (this function's contract).
            let run = unsafe { outside_blocks::<C>(geometry, values, row, j0, end, out) };
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
        // SAFETY: AVX2 and FMA (this function's contract).
        let outside = |b: usize| unsafe {
            outside_fill::<C>(geometry, positions(row, j0 + b * LANES)).is_some()
        };
        if per_block && blocks > 1 && outside(blocks - 1) {
            blocks = last_holding(0, blocks - 1, |b| !outside(b)) + 1;
        }
        if let Some((span, products)) = fused {
            let inside = span.blocks_from(j0).min((end - j0) / LANES);
            if inside > 0 {
                match texels {
                    Texels::U8(data) if geometry.avx512 => {
                        if C == 3
                            && geometry.vbmi
                            && let RawRow::U8(bytes) = out
                        {
                            // SAFETY: `vbmi` is set only where the CPU has
                            // AVX-512 F/BW/CD/DQ/VL and VBMI; the span,
                            // found for `data` with wide reads, holds these
                            // blocks.
                            unsafe {
                                colour_span_vbmi::<C>(
                                    data, geometry, row, products, j0, inside, lead, values, bytes,
                                )
                            }
                        } else {
                            // SAFETY: `avx512` is set only where the CPU
                            // has AVX-512 F/BW/CD/DQ/VL; the span, found
                            // for `data` with wide reads, holds these
                            // blocks.
                            unsafe {
                                span_blocks_avx512::<C>(
                                    data, geometry, row, products, j0, inside, lead, values, out,
                                )
                            }
                        }
                    }
                    // SAFETY: AVX2 and FMA (this function's contract); the
                    // span, found for `texels` with its reads, holds these
                    // blocks.
                    _ => unsafe {
                        span_blocks::<C>(
                            texels, geometry, row, products, j0, inside, lead, values, out,
                        )
                    },
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
            // SAFETY: AVX2 and FMA (this function's contract).
            unsafe {
                columns.plan::<C>(
                    geometry,
                    d * 0.0 + ry,
                    j0 / LANES,
                    wide,
                    &mut plans[..blocks],
                )
            };
            if border {
                for (b, slot) in plans[..blocks].iter_mut().enumerate() {
                    if slot.is_none() {
                        // SAFETY: AVX2 and FMA (this function's contract).
                        *slot =
                            unsafe { plan_border::<C>(geometry, positions(row, j0 + b * LANES)) };
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
                // SAFETY: AVX2 and FMA (this function's contract).
                *slot = unsafe {
                    let positions = block_positions(row, products, j);
                    if Span::exempts(span, products, j) {
                        plan::<C, false>(geometry, positions, wide)
                    } else {
                        plan::<C, true>(geometry, positions, wide)
                            .or_else(|| border.then(|| plan_border::<C>(geometry, positions))?)
                    }
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
                    // SAFETY: AVX2 and FMA (this function's contract).
                    *slot = unsafe {
                        plan_flat::<C>(geometry, block_positions(row, products, j0 + b * LANES))
                    };
                    flat |= u32::from(slot.is_some()) << b;
                }
            }
        }
        if let Some(lead) = lead {
            let planned = plans[..blocks].iter().flatten();
            // SAFETY: AVX2 and FMA (this function's contract); a prefetch
            // never faults.
            unsafe {
                match texels {
                    Texels::U8(data) => prefetch(data, geometry, lead, planned),
                    Texels::F32(data) => prefetch(data, geometry, lead, planned),
                }
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
                // SAFETY: AVX2 and FMA (this function's contract).
                unsafe { colour_blocks::<C>(texels, geometry, values, &plans[b..b + run], j, out) };
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
            // SAFETY: AVX2 and FMA (this function's contract).
            unsafe {
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
                        Interpolation::Bilinear,
                        values,
                        row,
                        j,
                        out,
                    ),
                }
            }
            b += 1;
        }
        j0 += blocks * LANES;
    }
    j0
}

/// Output rows ahead whose source reads [`prefetch`] asks for.
pub(super) const PREFETCH_ROWS: f64 = 8.0;

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
pub(super) fn prefetch<'p, E>(
    data: &[E],
    g: Geometry,
    lead: isize,
    plans: impl Iterator<Item = &'p Planned>,
) {
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
                    // `bilinear_blocks`): a planned block blends source bytes
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
