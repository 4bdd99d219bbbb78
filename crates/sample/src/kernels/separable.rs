//! Axis-aligned bilinear maps (resizes, crops, flips: `b = d = 0` in
//! `[[a, b, c], [d, e, f]]`) sampled separably: each source row's
//! horizontal blends once, then one vertical blend per output value.
//!
//! The reference blends `top = fx*(p01 - p00) + p00` on the tap row `y0`,
//! `bottom` likewise on `y0 + 1`, then `fy*(bottom - top) + top` (step 4 of
//! `kernels::scalar`). On an axis-aligned map `x`, so `fx` and both column
//! taps, depends on the output column only, and `y` on the output row only
//! (the argument is in `kernels::x86::axis`), so `top` and `bottom` are a
//! function of (source row, output column): a *blended row*. Output rows
//! that read the same source row (every upscale, and a crop at scale 1)
//! share its blended row, worked out once; each output value is then one
//! difference and one multiply-add. The operations and their order are the
//! reference's, value by value, so the bits are the same.
//!
//! A tap outside the source reads through the padding rule as in the
//! reference: the columns a row's taps can reach, `x0_min ..= x0_max + 1`,
//! are read once per source row into a *padded row* (the fill where the rule
//! maps nowhere), and a row the rule maps nowhere is a padded row of fills.
//! Non-finite positions give the fill, unblended, as in the reference.
//!
//! `Job::run` sends a job here on every vector path when
//! [`Columns::plan`] takes the map: output rows at most [`max_row_step`]
//! source rows apart (every upscale, and the milder downscales), which
//! includes crops (scale 1). A crop of a `u8` source into `u8` rows copies
//! the source's bytes: with `fx = fy = 0` every blend returns its first
//! tap, a whole number the store gives back unchanged. An `f32` crop blends
//! like any other map, since there the blend is not always its first tap
//! (`0 * inf` is NaN, and `-0 + 0` is `+0`). Steeper downscales, where each
//! output row blends two source rows of its own, stay with the hand-written
//! kernel, as do gray maps whose columns step more than
//! [`MAX_GRAY_COLUMN_STEP`]. Measured on AMD Zen 3
//! (`benches/RESULTS.md`, 2026-12-06), 224x224 outputs in the kernel's
//! time: `u8` upscales gray 0.53-0.94, RGB 0.61-0.94, crops 0.12-0.15, `f32`
//! upscales gray 0.40-0.62, RGB 0.56-0.83, RGBA 0.62-0.90; downscales as in
//! [`max_row_step`]. On x86 with AVX2 a gray row's blends go 8 at a time
//! (`kernels::x86::rows`: each block's taps picked from two vectors by
//! permutes): gray then ran in 0.77-0.93 of the time; colour keeps the
//! 4-value loads of `Columns::blend`, which the permutes did not beat.
//! On a Xeon under AVX-512, whose kernel is faster, the route took
//! 0.29-0.84 of the kernel's time within the same limits (the figures at
//! `Job::run`).
//!
//! An output row is finished as it is blended where nothing stands
//! between: `u8` rows needing no clamp and `f32` rows without a value
//! affine are stored straight from the vertical blend, and on AVX2 an RGB
//! row bound for planes (a tensor) is blended, split into channels and
//! normalised 8 pixels at a time (`kernels::x86::rows`); the rest go
//! through a row of finished values.
//!
//! The plan's vectors and the rows a run blends into are a thread's own,
//! kept from one call to the next ([`Buffers`]): once a thread has sampled
//! its largest image, a call allocates nothing. The loader counts on that
//! (its steady state allocates nothing per image), and its scaled decodes
//! make these mild downscales common.

use super::scalar::{Source, bilinear_tap, finish};
use super::sink::{RawRow, RawRows, round_u8, round_u8_in_range};
use super::typed::Texels;
use crate::coords::Prepared;
use crate::options::{ChannelAffine, Interpolation};
use geom::Element;
use std::cell::Cell;

/// A map's column half: the padded columns the taps reach and, per output
/// column, where its left tap sits in them and its weight.
pub(crate) struct Columns {
    /// Per padded column `k` (column `x0_min + k`), the source column the
    /// padding rule maps it to, `None` where it maps nowhere.
    sources: Vec<Option<usize>>,
    /// The padded columns `inner` read source columns `shift ..` in order
    /// (the stretch inside the source).
    inner: std::ops::Range<usize>,
    shift: usize,
    /// Per output column, its left tap's padded column (0 where `x` is not
    /// finite). Every `k + 1` is a padded column too: `plan` returns no
    /// `Columns` otherwise, and `blend`'s unchecked reads rely on it.
    lefts: Vec<u32>,
    /// Per output column, `fx` (0 where `x` is not finite).
    weights: Vec<f32>,
    /// The output columns whose `x` is not finite: the fill.
    fills: Vec<usize>,
    /// A gray blended row's values in blocks of 8, for the AVX2 blend
    /// (empty for colour, or where the CPU lacks AVX2 and FMA): per block,
    /// where its left taps start in the padded row and each one's offset
    /// from there, `None` for a block whose taps reach past two vectors.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    blocks: Vec<Option<ValueBlock>>,
    /// For a map that moves columns by a whole number (a crop: `fx = 0`
    /// everywhere, `x0 = j + shift`) and keeps them inside the source, the
    /// source column of output column 0.
    copied_from: Option<usize>,
}

/// How far the padded columns may stretch past the source and output widths
/// together before this route declines (a map that zooms out a millionfold
/// reads a handful of far-apart columns, which the blocks of the other
/// routes do better, and would otherwise size a padded row by its reach).
const SPAN_FACTOR: usize = 4;

/// The largest step in `x` from one output column to the next that this
/// route takes for gray sources (see [`Columns::plan`]).
const MAX_GRAY_COLUMN_STEP: f64 = 2.0;

/// The largest step in `y` from one output row to the next that this route
/// takes, by element type and channel count. Up to a step of 1 output rows
/// share blended rows; beyond it each output row blends a new source row or
/// two of its own, yet for gray, whose hand-written kernel costs the most
/// per value, and `u8` colour at mild downscales, that still beats the
/// kernel. Measured on AMD Zen 3 (AVX2), 224x224 outputs, paired per call
/// against the kernel (time, this route / the kernel; `benches/RESULTS.md`,
/// 2026-12-06): the route wins everywhere at steps up to 1 (gray 0.40-0.97,
/// RGB 0.56-0.95, RGBA 0.62-0.94); above it, `u8` gray 0.56-0.60 /
/// 0.70-0.74 / 0.86-0.88 / 0.97-0.98 at 1.16 / 1.43 / 2.68 / 3, RGB 0.74 /
/// 0.80-0.82 / 0.90-0.95 / 1.0 at 1.16 / 1.34 / 1.61 / 1.79, RGBA 0.85 /
/// 0.94-0.96 / 0.99 at 1.16 / 1.34 / 1.43; `f32` gray 0.68-0.71 / 0.79 /
/// 0.84-0.88 / 1.0 at 1.16 / 1.34 / 1.5 / 1.79, RGB 0.90-0.96 / 1.0-1.1
/// and RGBA 1.05-1.16 at 1.16 / 1.34. Crops (a step of 1 from a whole
/// offset, columns too) copy bytes: 0.14 of the kernel's time.
fn max_row_step(bytes: bool, channels: usize) -> f64 {
    match (bytes, channels) {
        (true, 1) => 2.5,
        (true, 3) | (false, 1) => 1.5,
        (true, _) => 1.25,
        (false, _) => 1.0,
    }
}

impl Columns {
    /// The column half of `map` if it is affine, axis-aligned and bilinear,
    /// steps at most [`max_row_step`] source rows per output row, and has a
    /// span of padded columns this route takes on.
    pub(crate) fn plan<T: Element>(
        source: &Source<'_, T>,
        interpolation: Interpolation,
        map: &Prepared<'_>,
        width: usize,
    ) -> Option<Columns> {
        let Prepared::Affine([[a, b, _], [d, e, _]]) = *map else {
            return None;
        };
        if interpolation != Interpolation::Bilinear || b != 0.0 || d != 0.0 || width == 0 {
            return None;
        }
        // Steeper steps leave each output row blending source rows of its
        // own, where the blocks of the other routes, which blend only what
        // a pixel needs, ran faster. (A NaN step fails the test.)
        let bytes = matches!(Texels::of(source.view.data()), Some(Texels::U8(_)));
        let within = e.abs() <= max_row_step(bytes, source.view.channels());
        if !within {
            return None;
        }
        // Gray rows blend 8 values per vector only where 8 outputs read
        // within 16 source columns; steeper column steps blend value by
        // value, which on a Xeon (224x224 gray `u8`, steps 2.4-2.5 both
        // ways) took 2.1 ns/px against the kernel's 1.1 (AVX-512) and 1.6
        // (AVX2), where a step of 2 took 0.9.
        if source.view.channels() == 1 && a.abs() > MAX_GRAY_COLUMN_STEP {
            return None;
        }
        // Row 0's `x`, which every row shares (`kernels::x86::axis`), its
        // taps worked out twice (for the reach, then for `lefts`) rather
        // than kept in a vector of their own.
        let row = map.row(0);
        let taps = || {
            (0..width).map(move |j| {
                let (x, _) = row.at(j);
                x.is_finite().then(|| bilinear_tap(x))
            })
        };
        let reach = taps().flatten().fold(None, |reach, (x0, _)| match reach {
            Some((lo, hi)) => Some((x0.min(lo), x0.max(hi))),
            None => Some((x0, x0)),
        });
        let (start, last) = match reach {
            Some((lo, hi)) => (lo, hi + 1),
            // No finite column: every pixel is the fill (two padded
            // columns, for the left taps of 0 that `lefts` holds).
            _ => (0, 1),
        };
        let span = usize::try_from(last - start + 1).ok()?;
        if span > SPAN_FACTOR * (source.view.width() + width) || u32::try_from(span).is_err() {
            return None;
        }
        let Buffers {
            mut sources,
            mut lefts,
            mut weights,
            mut fills,
            mut blocks,
        } = BUFFERS.take();
        let w = source.view.width();
        sources.clear();
        sources.extend((0..span as i64).map(|k| source.padding.index(start + k, w)));
        // The longest stretch of padded columns reading consecutive source
        // columns: all of them but the padding, for a crop inside the source.
        let (mut inner, mut shift) = (0..0, 0);
        let mut k = 0;
        while k < span {
            let Some(first) = sources[k] else {
                k += 1;
                continue;
            };
            let mut end = k + 1;
            while end < span && sources[end] == Some(first + (end - k)) {
                end += 1;
            }
            if end - k > inner.len() {
                (inner, shift) = (k..end, first);
            }
            k = end;
        }
        fills.clear();
        lefts.clear();
        weights.clear();
        for (j, left) in taps().enumerate() {
            let (k, fx) = match left {
                Some((x0, fx)) => ((x0 - start) as u32, fx),
                None => {
                    fills.push(j);
                    (0, 0.0)
                }
            };
            lefts.push(k);
            weights.push(fx);
        }
        let first = lefts[0] as usize;
        let copied_from = (fills.is_empty()
            && weights.iter().all(|&fx| fx == 0.0)
            && lefts
                .iter()
                .enumerate()
                .all(|(j, &k)| k as usize == first + j)
            && inner.start <= first
            && first + width <= inner.end)
            .then(|| shift + (first - inner.start));
        // Gray only: for colour the permutes cost what the 4-value loads
        // of `blend` do, and ran slower.
        blocks.clear();
        if source.view.channels() == 1 && avx2_fma() {
            blocks.extend(value_blocks(&lefts));
        }
        let columns = Columns {
            sources,
            inner,
            shift,
            lefts,
            weights,
            blocks,
            fills,
            copied_from,
        };
        // Dropped on the way out, the plan gives its vectors back.
        let paired = columns.lefts.iter().all(|&k| (k as usize) + 1 < span);
        paired.then_some(columns)
    }

    /// The padded row of source row `y` (`None`: every column the fill), `C`
    /// values a column, and one spare value after them.
    #[inline(always)]
    fn padded<T: Element, const C: usize>(
        &self,
        source: &Source<'_, T>,
        y: Option<usize>,
        out: &mut Vec<f32>,
    ) {
        // The spare values: `blend` reads a column's `C` values 4 at a
        // time, and a block's taps 16 at a time from its start.
        out.resize(self.sources.len() * C + SPARE, 0.0);
        let Some(y) = y else {
            out.fill(source.fill);
            return;
        };
        let row = source.view.row(y);
        let (inner, first) = (&self.inner, self.shift);
        let values = &row[first * C..(first + inner.len()) * C];
        for (o, v) in out[inner.start * C..inner.end * C].iter_mut().zip(values) {
            *o = v.to_f32();
        }
        let outer = (0..inner.start).chain(inner.end..self.sources.len());
        for k in outer {
            let px = &mut out[k * C..k * C + C];
            match self.sources[k] {
                Some(x) => {
                    for (o, v) in px.iter_mut().zip(&row[x * C..x * C + C]) {
                        *o = v.to_f32();
                    }
                }
                None => px.fill(source.fill),
            }
        }
    }

    /// The blended row of a padded row: `fx*(p01 - p00) + p00` per output
    /// column and channel, interleaved like the output, plus spare values
    /// after them. Columns without a finite `x` get a value the output then
    /// replaces.
    #[inline(always)]
    fn blend<const C: usize>(&self, padded: &[f32], out: &mut [f32]) {
        let width = self.lefts.len();
        // Every left tap's right neighbour is a padded column (`lefts`, as
        // `plan` checked once), and `padded` holds spare values after the
        // last column: so the reads of columns `k` and `k + 1`, 4 values
        // from each for colour, stay inside it; `out` has room for 4 values
        // from the last pixel's first.
        let span = self.sources.len();
        assert!(padded.len() > span * C);
        assert!(out.len() >= width * C + 4);
        let (lefts, weights) = (&self.lefts[..width], &self.weights[..width]);
        #[cfg(target_arch = "x86_64")]
        if C == 1 && !self.blocks.is_empty() {
            assert!(padded.len() >= span + SPARE);
            // SAFETY: `blocks` are planned only where the CPU has AVX2 and
            // FMA (`avx2_fma`), and are `value_blocks` of `lefts`; each
            // left tap's right neighbour is a padded column (`lefts`), the
            // padded row holds `SPARE` values after the last column and
            // `out` room for `width` values (asserts).
            unsafe {
                super::x86::rows::blend_gray_blocks(&self.blocks, lefts, weights, padded, out)
            };
            return;
        }
        if C == 1 {
            blend_gray_values(0..width, lefts, weights, padded, out);
            return;
        }
        // The reads below stay inside `padded` for 3 or 4 channels only.
        assert!(C == 3 || C == 4);
        let (from, to) = (padded.as_ptr(), out.as_mut_ptr());
        for (j, (&k, &fx)) in lefts.iter().zip(weights).enumerate() {
            let k = k as usize * C;
            // SAFETY: column `k / C + 1` is a padded column (`lefts`), so
            // the 4 values from `k + C` end by `span * C + 1` (`C` is 3 or
            // 4), within `padded`; the 4 written from `j * C` end by
            // `width * C + 4`, within `out` (the asserts above). Reads and
            // writes are unaligned; a spare fourth value written for `C = 3`
            // is the next pixel's first, written again after it.
            unsafe {
                let p0 = from.add(k).cast::<[f32; 4]>().read_unaligned();
                let p1 = from.add(k + C).cast::<[f32; 4]>().read_unaligned();
                let v: [f32; 4] = core::array::from_fn(|c| fx.mul_add(p1[c] - p0[c], p0[c]));
                to.add(j * C).cast::<[f32; 4]>().write_unaligned(v);
            }
        }
    }
}

/// Values a padded row holds after its last column: a gray block reads 16
/// values from its first left tap and from the one after it.
const SPARE: usize = 16;

/// Eight consecutive values of a blended row: where their left taps start
/// in the padded row, and each value's left tap as an offset from there (at
/// most 15: two vectors).
#[derive(Clone, Copy)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) struct ValueBlock {
    pub base: u32,
    pub offsets: [i32; 8],
}

/// Whether this CPU runs the AVX2 blend (`x86::rows`).
fn avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The blocks of 8 values of a gray blended row, from its columns' left
/// taps (a last, partial block left out: `blend_gray_values` does it value
/// by value).
fn value_blocks(lefts: &[u32]) -> impl Iterator<Item = Option<ValueBlock>> + '_ {
    lefts.chunks_exact(8).map(|lefts| {
        let base = *lefts.iter().min()?;
        let offsets: [i32; 8] = core::array::from_fn(|i| (lefts[i] - base) as i32);
        (offsets.iter().all(|&o| o < 16)).then_some(ValueBlock { base, offsets })
    })
}

/// The vectors of a [`Columns`] plan, and those [`run`] blends rows into:
/// a thread's own, taken for a call and given back after it, so that they
/// keep the capacity of the largest call this thread has made (bounded by
/// `SPAN_FACTOR` and the output width). A nested call, should there ever be
/// one, finds them taken and starts from empty vectors.
#[derive(Default)]
struct Buffers {
    sources: Vec<Option<usize>>,
    lefts: Vec<u32>,
    weights: Vec<f32>,
    fills: Vec<usize>,
    blocks: Vec<Option<ValueBlock>>,
}

/// The rows [`run`] works in: two blended rows, a padded row and a row of
/// finished values.
#[derive(Default)]
struct RowBuffers {
    blended: [Vec<f32>; 2],
    padded: Vec<f32>,
    values: Vec<f32>,
}

thread_local! {
    static BUFFERS: Cell<Buffers> = Cell::new(Buffers::default());
    static ROW_BUFFERS: Cell<RowBuffers> = Cell::new(RowBuffers::default());
}

impl Drop for Columns {
    fn drop(&mut self) {
        let buffers = Buffers {
            sources: core::mem::take(&mut self.sources),
            lefts: core::mem::take(&mut self.lefts),
            weights: core::mem::take(&mut self.weights),
            fills: core::mem::take(&mut self.fills),
            blocks: core::mem::take(&mut self.blocks),
        };
        // During the thread's teardown the slot may be gone: the vectors
        // are then simply freed.
        let _ = BUFFERS.try_with(|b| b.set(buffers));
    }
}

/// Values `range` of a gray blended row one by one: the whole row where
/// there is no AVX2 blend, else the blocks `x86::rows::blend_gray_blocks`
/// has no plan for and its last partial block.
#[inline]
pub(crate) fn blend_gray_values(
    range: core::ops::Range<usize>,
    lefts: &[u32],
    weights: &[f32],
    padded: &[f32],
    out: &mut [f32],
) {
    for v in range {
        let k = lefts[v] as usize;
        out[v] = weights[v].mul_add(padded[k + 1] - padded[k], padded[k]);
    }
}

/// Blended rows kept between output rows, by the source row they come from
/// (`Some(None)`: the padded row of fills).
struct Blended<'r> {
    keys: [Option<Option<usize>>; 2],
    rows: &'r mut [Vec<f32>; 2],
}

impl Blended<'_> {
    /// The slot holding source row `key`'s blended row, if any.
    fn find(&self, key: Option<usize>) -> Option<usize> {
        self.keys.iter().position(|k| *k == Some(key))
    }

    /// The slot holding source row `key`'s blended row, made if missing in
    /// the slot that is not `keep`.
    #[inline(always)]
    fn slot<T: Element, const C: usize>(
        &mut self,
        key: Option<usize>,
        keep: Option<usize>,
        columns: &Columns,
        source: &Source<'_, T>,
        padded: &mut Vec<f32>,
    ) -> usize {
        if let Some(s) = self.find(key) {
            return s;
        }
        let s = if keep == Some(0) { 1 } else { 0 };
        columns.padded::<T, C>(source, key, padded);
        columns.blend::<C>(padded, &mut self.rows[s]);
        self.keys[s] = Some(key);
        s
    }
}

/// Samples every output row (`width` x `height`, `C` channels) of `source`
/// through the axis-aligned `map` whose column half is `columns`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn run<T: Element, const C: usize>(
    columns: &Columns,
    source: &Source<'_, T>,
    values: Option<&ChannelAffine>,
    map: &Prepared<'_>,
    width: usize,
    height: usize,
    out: &mut RawRows<'_>,
) {
    let h = source.view.height();
    let len = width * C;
    let mut buffers = ROW_BUFFERS.take();
    let RowBuffers {
        blended: rows,
        padded,
        values: row_values,
    } = &mut buffers;
    for row in rows.iter_mut() {
        row.resize(len + 4, 0.0);
    }
    row_values.resize(len, 0.0);
    let row_values = &mut row_values[..len];
    let mut blended = Blended {
        keys: [None, None],
        rows,
    };
    let fill: [f32; C] = core::array::from_fn(|c| finish(values, c, source.fill));
    #[cfg(target_arch = "x86_64")]
    let avx2 = avx2_fma();
    // Blends of bytes and a fill within 0..=255 stay within it, give or
    // take roundings far below 0.5, so without a value affine the `u8`
    // store may skip its clamp (see `store`).
    let clamp = !(values.is_none()
        && matches!(Texels::of(source.view.data()), Some(Texels::U8(_)))
        && (0.0..=255.0).contains(&source.fill));
    for i in 0..height {
        let (_, y) = map.row(i).at(0);
        let taps = y.is_finite().then(|| {
            let (y0, fy) = bilinear_tap(y);
            (
                source.padding.index(y0, h),
                source.padding.index(y0 + 1, h),
                fy,
            )
        });
        // A crop of a `u8` source: with `fx = fy = 0` each blend returns
        // its first tap, a whole number, which the store gives back
        // unchanged, so the output row is the source's bytes.
        if let (Some(x), Some((Some(y), _, fy)), None, RawRow::U8(row)) =
            (columns.copied_from, taps, values, out.row(i))
            && fy == 0.0
            && let Some(Texels::U8(bytes)) = Texels::of(source.view.row(y))
        {
            row.copy_from_slice(&bytes[x * C..(x + width) * C]);
            continue;
        }
        match taps {
            Some((top, bottom, fy)) => {
                let keep = blended.find(bottom);
                let t = blended.slot::<T, C>(top, keep, columns, source, padded);
                let b = blended.slot::<T, C>(bottom, Some(t), columns, source, padded);
                let (tops, bottoms) = (&blended.rows[t][..len], &blended.rows[b][..len]);
                // Without fills, and without a value affine (for `u8` rows,
                // without a clamp, which implies it), an interleaved row is
                // stored as it is blended, with no row of values between.
                if columns.fills.is_empty() {
                    match out.row(i) {
                        #[cfg(target_arch = "x86_64")]
                        RawRow::U8(row) if !clamp && avx2 => {
                            // SAFETY: the CPU has AVX2 and FMA (`avx2_fma`).
                            unsafe { super::x86::rows::finish_u8(fy, tops, bottoms, row) };
                            continue;
                        }
                        RawRow::U8(row) if !clamp => {
                            for ((o, &t), &b) in row.iter_mut().zip(tops).zip(bottoms) {
                                *o = round_u8_in_range(fy.mul_add(b - t, t));
                            }
                            continue;
                        }
                        RawRow::F32(row) if values.is_none() => {
                            for ((o, &t), &b) in row.iter_mut().zip(tops).zip(bottoms) {
                                *o = fy.mul_add(b - t, t);
                            }
                            continue;
                        }
                        _ => {}
                    }
                }
                // An RGB row bound for planes (a tensor) with its value
                // affine: blended, split into channels and finished 8
                // pixels at a time.
                #[cfg(target_arch = "x86_64")]
                if C == 3
                    && avx2
                    && columns.fills.is_empty()
                    && let Some(a) = values
                    && let RawRow::Planar(planes) = out.row(i)
                {
                    // SAFETY: the CPU has AVX2 and FMA (`avx2_fma`).
                    unsafe { super::x86::rows::finish_rgb_planes(fy, tops, bottoms, a, planes) };
                    continue;
                }
                for ((o, &t), &b) in row_values.iter_mut().zip(tops).zip(bottoms) {
                    *o = fy.mul_add(b - t, t);
                }
                if let Some(a) = values {
                    for px in row_values.chunks_exact_mut(C) {
                        for (c, v) in px.iter_mut().enumerate() {
                            *v = *v * a.scale[c] + a.offset[c];
                        }
                    }
                }
                for &j in &columns.fills {
                    row_values[j * C..j * C + C].copy_from_slice(&fill);
                }
            }
            // A non-finite `y`: every pixel of the row is the fill.
            None => {
                for px in row_values.chunks_exact_mut(C) {
                    px.copy_from_slice(&fill);
                }
            }
        }
        store::<C>(row_values, clamp, out.row(i));
    }
    let _ = ROW_BUFFERS.try_with(|b| b.set(buffers));
}

/// Stores a row of finished values, interleaved, by the output's layout:
/// `u8` as `u8::from_f32` (clamp to 0–255, NaN to 0, round half to even).
/// Without `clamp` the values must lie in `-0.5..255.5` (not NaN), where
/// [`round_u8_in_range`] gives what the clamp would have.
#[inline(always)]
fn store<const C: usize>(values: &[f32], clamp: bool, row: RawRow<'_>) {
    match row {
        RawRow::U8(out) if clamp => {
            for (o, &v) in out.iter_mut().zip(values) {
                *o = round_u8(v);
            }
        }
        RawRow::U8(out) => {
            for (o, &v) in out.iter_mut().zip(values) {
                *o = round_u8_in_range(v);
            }
        }
        RawRow::F32(out) => out.copy_from_slice(&values[..out.len()]),
        RawRow::Planar(planes) => {
            for (c, plane) in planes.into_iter().take(C).enumerate() {
                for (o, px) in plane.iter_mut().zip(values.chunks_exact(C)) {
                    *o = px[c];
                }
            }
        }
    }
}
