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
//! outside, or non-finite positions, run the vector edge path, as does the
//! row's tail (fewer than 8 pixels, stored in part); the few where a read
//! would pass the buffer's end run the scalar reference pixel by pixel.
//! The vector code repeats the reference's arithmetic (see
//! `kernels::scalar`) lane by lane and in the same order — `f64`
//! positions `a*j + rx`, `floor`, `(x - floor x) as f32`, the lerp as a
//! difference and one FMA, the value affine as a multiply then an add,
//! and the `u8` store as `geom::Element::from_f32` (clamp, add
//! 1.5 * 2^23) — so it gives the reference's bits; `tests/paths.rs` checks
//! that on every case.
//!
//! One file per stage of a block: `chunks` (a row's bilinear blocks,
//! planned a chunk or a span's batch at a time, then blended), `plan`
//! (positions, taps, weights, the inside test), `blend` (reads and lerps
//! of planned blocks), `nearest`,
//! `edge` (padding per lane), `store` (value affine, rounding, interleaving),
//! `avx512` (the 512-bit planning and colour blend, in `avx512::edge`
//! the colour edge blocks, in `avx512::vbmi` the RGB store with VBMI),
//! `axis` (planning for axis-aligned maps, whose
//! blocks' column halves are the same on every row), with `geometry` and
//! `lanes` holding what they share; `tests` holds the kernel's proptests.
//! `rows` and `windows` are apart from the kernel: the separable route's
//! gray blend and the ends of its output rows, and the lookup route's
//! byte shuffles.
//! This file walks a row through them: its filled ends, then the
//! bilinear chunks or the nearest blocks, then the edge and scalar paths.

mod avx512;
mod axis;
mod blend;
mod chunks;
mod edge;
mod geometry;
mod lanes;
mod nearest;
mod plan;
pub(crate) mod rows;
mod store;
pub(crate) mod windows;

use super::scalar::Source;
use super::sink::{RawRow, RawRows};
use super::typed::Texels;
use crate::coords::Prepared;
use crate::options::{ChannelAffine, Interpolation};
use avx512::nearest_bytes_avx512;
use axis::{Columns, MAX_BLOCKS};
use chunks::{CHUNK, PREFETCH_ROWS, SPAN_MIN_WIDTH, bilinear_blocks};
use core::arch::x86_64::*;
use edge::{edge, filled_ends, scalar_pixels};
use geom::{Element, Isa};
use geometry::{Geometry, LANES};
use nearest::{nearest, nearest_bytes};
use plan::{ColumnProducts, SpanLimits, column_products, positions};
use store::store;

/// Which flavour of the kernel runs: 256-bit throughout (AVX2 and FMA), or
/// with blocks planned and `u8` colour blocks blended 512 bits at a time
/// (AVX-512 F/BW/CD/DQ/VL, see `avx512`). Made only by [`Flavour::of`] once
/// pulp has detected the flavour's features, so holding one proves the CPU
/// has them.
#[derive(Clone, Copy)]
pub(crate) struct Flavour {
    avx512: bool,
    /// AVX-512 VBMI too (the [`Isa::Avx512Vbmi`] path).
    vbmi: bool,
    /// Read scattered taps with hardware gathers ([`geom::gathers`]).
    gathers: bool,
}

impl Flavour {
    /// The flavour of `isa` if it is an x86 path this CPU runs (pulp's `V3`
    /// for AVX2, `V4`, which includes `V3`, for AVX-512). The AVX-512 +
    /// VBMI path adds VBMI (`Isa::is_available` checked the CPU has it).
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
            vbmi: isa == Isa::Avx512Vbmi && isa.is_available(),
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
                .with_vbmi(flavour.vbmi)
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
        // planning of bilinear blocks and the positions of nearest ones.
        let products = match *map {
            Prepared::Affine([[a, _, _], [d, _, _]]) if columns.is_none() => {
                Some(column_products(a, d, width / LANES))
            }
            _ => None,
        };
        // Their rows of `SPAN_MIN_WIDTH` pixels or more look for the span
        // of blocks that skip the planning's tests.
        let span_limits = match *map {
            Prepared::Affine([[a, _, _], [d, _, _]])
                if products.is_some() && width >= SPAN_MIN_WIDTH =>
            {
                let wide = matches!(texels, Texels::U8(_));
                SpanLimits::new::<C>(geometry, width, wide, a, d)
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
        let call = Call {
            source,
            texels,
            geometry,
            interpolation,
            values,
            columns: columns.as_ref(),
            products: products.as_deref(),
            span_limits,
            lead,
            width,
        };
        // SAFETY: a `Kernel` is made only from a `Flavour`, which exists
        // only where pulp detected AVX2 and FMA, and `geometry.avx512`
        // is set only for a flavour whose AVX-512 F/BW/CD/DQ/VL pulp
        // detected (`Kernel::new`).
        unsafe { sample_rows::<T, C>(&call, map, &mut out, height) }
    }
}

/// What every row of one [`Kernel::run`] shares: the source, its texels
/// and geometry, the options, and what `run` works out once from the map.
#[derive(Clone, Copy)]
struct Call<'a, T: Element> {
    source: &'a Source<'a, T>,
    texels: Texels<'a>,
    geometry: Geometry,
    interpolation: Interpolation,
    values: Option<&'a ChannelAffine>,
    /// An axis-aligned map's column halves of every block's plan.
    columns: Option<&'a Columns>,
    /// Other affine maps' products `a*j`, `d*j` per block.
    products: Option<&'a [ColumnProducts]>,
    /// What their rows share in finding their spans.
    span_limits: Option<SpanLimits>,
    /// How far on colour blocks prefetch their reads (`chunks::prefetch`).
    lead: Option<isize>,
    /// Output pixels per row.
    width: usize,
}

/// Samples output rows `0..height` (`call.width` pixels each) of `map`
/// into `rows`. The row loop is here, inside the target features, not in
/// [`Kernel::run`]: a call per row redid the rows' common set-up (the
/// call's constants broadcast and spilled) for every row. On the Xeon
/// (Emerald Rapids), rotate 17° zoom 1.1, `u8` gray, ns/px: 32x32
/// 3.34 -> 2.90, 1024x768 1.15 -> 1.11; RGB 32x32 4.51 -> 4.30.
///
/// # Safety
/// The CPU must support AVX2 and FMA, and AVX-512 F/BW/CD/DQ/VL if
/// `call.geometry.avx512` is set (as [`Kernel::run`] ensures).
#[target_feature(enable = "avx2,fma")]
unsafe fn sample_rows<T: Element, const C: usize>(
    call: &Call<'_, T>,
    map: &Prepared<'_>,
    rows: &mut RawRows<'_>,
    height: usize,
) {
    let Call {
        source,
        texels,
        geometry,
        interpolation,
        values,
        products,
        width,
        ..
    } = *call;
    let mut plans = [None; CHUNK];
    let whole = width / LANES * LANES;
    for i in 0..height {
        let row = &map.row(i);
        let out = &mut rows.row(i);
        // Under a fill, an affine row's ends wholly outside the source are
        // stored first (`filled_ends`), and the blocks run between them.
        let ends = filled_ends::<C>(geometry, interpolation, values, row, width, out);
        let (mut j0, end) = ends.unwrap_or((0, whole));
        if interpolation == Interpolation::Bilinear {
            // SAFETY: `bilinear_blocks` asks for what this function's contract
            // gives: AVX2 and FMA, and AVX-512 where `geometry.avx512` is set.
            j0 = unsafe {
                bilinear_blocks::<T, C>(call, row, ends.is_some(), j0, end, &mut plans, out)
            };
        }
        // Nearest `u8` to `u8` blocks are source bytes moved: no `f32`.
        if interpolation == Interpolation::Nearest
            && values.is_none()
            && let (Texels::U8(data), RawRow::U8(bytes)) = (texels, &mut *out)
        {
            if geometry.avx512 {
                // SAFETY: `avx512` is set only where the CPU has AVX-512
                // F/BW/CD/DQ/VL.
                j0 = unsafe {
                    nearest_bytes_avx512::<C>(data, geometry, row, products, j0, end, bytes)
                };
            }
            j0 = nearest_bytes::<C>(data, geometry, row, products, j0, end, bytes);
        }
        while j0 + LANES <= end {
            let pos = positions(row, j0);
            match other_block::<C>(texels, geometry, interpolation, pos) {
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
            let n = width - j0;
            let mut xs = [0.0f64; LANES];
            let mut ys = [0.0f64; LANES];
            // Lanes past the row's end repeat its last pixel's position: their
            // values are computed and dropped.
            for (k, (x, y)) in xs.iter_mut().zip(&mut ys).enumerate() {
                (*x, *y) = row.at(j0 + k.min(n - 1));
            }
            if !tail_block::<T, C>(call, &xs, &ys, j0, n, out) {
                scalar_pixels::<T, C>(source, interpolation, values, j0, &xs[..n], &ys[..n], out);
            }
        }
    }
}

/// A block the bilinear chunks and nearest byte loops left: the nearest
/// block where its taps are inside, else the edge path; `None` where a
/// wide read would pass the buffer's end.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn other_block<const C: usize>(
    texels: Texels<'_>,
    geometry: Geometry,
    interpolation: Interpolation,
    pos: [__m256d; 4],
) -> Option<[__m256; C]> {
    let block = match interpolation {
        Interpolation::Bilinear => None,
        Interpolation::Nearest => nearest::<C>(texels, geometry, pos),
    };
    block.or_else(|| edge::<C>(texels, geometry, interpolation, pos))
}

/// The row's last `n` (< 8) pixels, from `j0`, at the positions `xs`,
/// `ys` (8 lanes, those from `n` on repeating a real position), as one
/// vector block stored in part; `false` where a wide read would pass the
/// buffer's end (the scalar path takes those). Pixel by pixel, the scalar
/// reference took about 60 ns a pixel, which made a 223-pixel row's 7
/// last pixels cost as much as its 216 others.
#[target_feature(enable = "avx2,fma")]
fn tail_block<T: Element, const C: usize>(
    call: &Call<'_, T>,
    xs: &[f64; LANES],
    ys: &[f64; LANES],
    j0: usize,
    n: usize,
    out: &mut RawRow<'_>,
) -> bool {
    let Call {
        texels,
        geometry,
        interpolation,
        values,
        ..
    } = *call;
    // SAFETY: each array holds 8 f64, read as two unaligned 4-lane loads.
    let pos = unsafe {
        [
            _mm256_loadu_pd(xs.as_ptr()),
            _mm256_loadu_pd(xs.as_ptr().add(4)),
            _mm256_loadu_pd(ys.as_ptr()),
            _mm256_loadu_pd(ys.as_ptr().add(4)),
        ]
    };
    let Some(v) = other_block::<C>(texels, geometry, interpolation, pos) else {
        return false;
    };
    let (from, to) = (j0 * C, (j0 + n) * C);
    match out {
        RawRow::U8(row) => {
            let mut part = [0u8; LANES * 4];
            store::<C>(values, v, 0, true, &mut RawRow::U8(&mut part[..LANES * C]));
            row[from..to].copy_from_slice(&part[..n * C]);
        }
        RawRow::F32(row) => {
            let mut part = [0.0f32; LANES * 4];
            store::<C>(values, v, 0, true, &mut RawRow::F32(&mut part[..LANES * C]));
            row[from..to].copy_from_slice(&part[..n * C]);
        }
        RawRow::Planar(planes) => {
            let mut part = [[0.0f32; LANES]; 4];
            let [p0, p1, p2, p3] = &mut part;
            store::<C>(values, v, 0, true, &mut RawRow::Planar([p0, p1, p2, p3]));
            for (plane, part) in planes.iter_mut().zip(&part).take(C) {
                plane[j0..j0 + n].copy_from_slice(&part[..n]);
            }
        }
    }
    true
}

#[cfg(test)]
mod tests;
