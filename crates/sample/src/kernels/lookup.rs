//! Axis-aligned nearest maps (resizes, crops and flips of masks and label
//! maps: `b = d = 0` in `[[a, b, c], [d, e, f]]`) of `u8` or `f32` sources
//! into interleaved outputs of the same type, without a value affine: each
//! output pixel is a source pixel's elements or the fill, looked up.
//!
//! The reference takes the tap `floor(x + 0.5), floor(y + 0.5)` through the
//! padding rule, reads the pixel's values as `f32` and stores them back
//! (steps 2, 3 and 6 of `kernels::scalar`). For `u8` and `f32` that round
//! trip gives the element back unchanged, so the output pixel *is* the
//! source pixel, or `T::from_f32(fill)` where the rule maps nowhere or a
//! position is not finite. On an axis-aligned map `x` depends on the output
//! column only and `y` on the output row only (the argument is in
//! `kernels::x86::axis`), so the column taps are worked out once per call,
//! from the reference's own positions and tap function, into a table of
//! element offsets ([`Lookup`]). Each output row is then its source row
//! read through the table:
//!
//! - a row whose source row is its predecessor's (every upscale) is a copy
//!   of the row before it;
//! - columns reading consecutive pixels (a crop) make each row a copy of a
//!   stretch of its source row;
//! - on AVX2, a `u8` row goes 16 output bytes at a time, shuffled out of a
//!   32- or 64-byte window of the source row planned once per call
//!   ([`Window`], `kernels::x86::windows`), wherever a block's taps lie
//!   that close together (steps up to about 2 and 4);
//! - the rest pixel by pixel, gray ones eight reads to one store.
//!
//! `Job::run` sends a job here on every vector path when
//! [`Lookup::plan`] takes it. The hand-written kernel it replaces there
//! worked out `f64` positions for every pixel. Measured on AMD Zen 3
//! (`benches/RESULTS.md`, 2026-12-07), 224x224 outputs from crops of a
//! 1024x768 photo, in the kernel's time: gray 0.11-0.24, RGB 0.15-0.42,
//! RGBA 0.18-0.51; on a Xeon under AVX-512 (whose kernel is faster) RGB
//! 0.20-0.41 (the 2026-12-07, 15:30 UTC sitting). NEON has no window
//! shuffles yet (`vqtbl2q_u8` would serve; it cannot be built here).
//!
//! The table is a thread's own, kept from one call to the next, so a call
//! allocates nothing once the thread has sampled its widest output.

use super::scalar::{Source, nearest_tap};
use super::sink::RawRows;
use super::typed::{Texels, TexelsMut};
use crate::coords::Prepared;
use crate::options::{ChannelAffine, Interpolation};
use geom::{Element, Padding};
use std::cell::Cell;

/// A column whose tap is the fill (the rule maps it nowhere, or `x` is not
/// finite).
const FILL: u32 = u32::MAX;

/// A map's column half: per output column, the offset in a source row of
/// the first element of the pixel its tap reads, or [`FILL`]; and for
/// `u8` rows on AVX2, the [`Window`]s of its blocks.
pub(crate) struct Lookup {
    columns: Vec<u32>,
    /// Whether any column is [`FILL`].
    fills: bool,
    /// Per block of [`window_pixels`] output pixels, its window where it
    /// has one; empty where the rows are not gathered by windows.
    windows: Vec<Option<Window>>,
    /// Whether the windows are 64 bytes (else 32).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    wide: bool,
    /// Where the columns read consecutive pixels of the source row (a
    /// crop), the first one's offset: a row is then a copy.
    copied_from: Option<usize>,
}

/// Where a block of output pixels finds its bytes: the 32 bytes of a
/// source row from `start` (64 if the table is `wide`), and the shuffles that pick
/// the block's 16 output bytes from them (all of a table's windows are
/// 32 bytes, or all 64, so that a row's loop does not ask). The window is
/// read as 16-byte lanes, and output byte `t` comes from the lane holding
/// its source byte:
/// byte `t` of that lane's control names it, and byte `t` of every other
/// lane's control has its top bit set, which shuffles in a zero, so the
/// OR of the lanes' shuffles is the output.
#[derive(Clone, Copy)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) struct Window {
    pub(crate) start: u32,
    /// The controls of lanes 0 and 1, then (if the table's windows are
    /// wide) 2 and 3.
    pub(crate) control: [[u8; 32]; 2],
}

/// Output pixels per [`Window`]: as many as fill 16 bytes (RGB 15).
pub(crate) const fn window_pixels(channels: usize) -> usize {
    16 / channels
}

/// The table's vectors, kept by a thread from one call to the next.
#[derive(Default)]
struct Buffers {
    columns: Vec<u32>,
    windows: Vec<Option<Window>>,
}

thread_local! {
    static BUFFERS: Cell<Buffers> = Cell::new(Buffers::default());
}

impl Drop for Lookup {
    fn drop(&mut self) {
        let buffers = Buffers {
            columns: std::mem::take(&mut self.columns),
            windows: std::mem::take(&mut self.windows),
        };
        // A thread being torn down keeps nothing.
        let _ = BUFFERS.try_with(|b| b.set(buffers));
    }
}

impl Lookup {
    /// The table for a job, if the route takes it: nearest, an axis-aligned
    /// affine map, no value affine, a `u8` or `f32` source whose row offsets
    /// fit `u32`.
    pub(crate) fn plan<T: Element>(
        source: &Source<'_, T>,
        interpolation: Interpolation,
        values: Option<&ChannelAffine>,
        map: &Prepared<'_>,
        width: usize,
    ) -> Option<Lookup> {
        let Prepared::Affine([[_, b, _], [d, _, _]]) = *map else {
            return None;
        };
        if interpolation != Interpolation::Nearest || b != 0.0 || d != 0.0 || values.is_some() {
            return None;
        }
        Texels::of(source.view.data())?;
        let (w, channels) = (source.view.width(), source.view.channels());
        if u32::try_from(w * channels).ok()? == FILL {
            return None;
        }
        // Row 0's `x`, which every row shares (`kernels::x86::axis`).
        let row = map.row(0);
        let Buffers {
            mut columns,
            mut windows,
        } = BUFFERS.take();
        columns.clear();
        windows.clear();
        let mut fills = false;
        columns.extend((0..width).map(|j| {
            let (x, _) = row.at(j);
            let tap = x.is_finite().then(|| nearest_tap(x) as i64);
            match tap.and_then(|ix| source.padding.index(ix, w)) {
                // Below `w * channels`, which fits `u32` and is not FILL.
                Some(ix) => (ix * channels) as u32,
                None => {
                    fills = true;
                    FILL
                }
            }
        }));
        let first = columns.first().map_or(0, |&k| k as usize);
        let consecutive = columns
            .iter()
            .enumerate()
            .all(|(j, &k)| k as usize == first + j * channels);
        let copied_from = (!fills && consecutive).then_some(first);
        let mut wide = false;
        if copied_from.is_none()
            && matches!(Texels::of(source.view.data()), Some(Texels::U8(_)))
            && avx2()
        {
            wide = plan_windows(&columns, channels, w * channels, &mut windows);
        }
        Some(Lookup {
            columns,
            fills,
            windows,
            wide,
            copied_from,
        })
    }
}

/// Whether the CPU has AVX2, for the windows' byte shuffles.
fn avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The [`Window`] of each whole block of `columns` in `u8` rows of
/// `row_len` bytes: where the bytes of its columns other than [`FILL`] lie
/// within one window of the row (32 bytes, or 64 for every block if some
/// block needs more than 32; the size is returned, `true` for 64) and its
/// 16-byte store stays within the output row (an RGB block's store writes the next block's first byte,
/// which that block then writes). A [`FILL`] column's bytes are named by
/// no lane's control, so the shuffles give it zeros, which
/// `x86::windows::gather` replaces by the fill. None at all where no block
/// has one.
fn plan_windows(
    columns: &[u32],
    channels: usize,
    row_len: usize,
    windows: &mut Vec<Option<Window>>,
) -> bool {
    let pixels = window_pixels(channels);
    let out_len = columns.len() * channels;
    let spans = || {
        columns.chunks_exact(pixels).map(|block| {
            let taps = || block.iter().filter(|&&k| k != FILL);
            let lo = taps().min().map_or(0, |&k| k as usize);
            let hi = taps().max().map_or(0, |&k| k as usize + channels);
            (lo, hi - lo)
        })
    };
    // 64-byte windows if a block needs them: a shuffle more per block.
    let wide = spans().any(|(_, span)| (33..=64).contains(&span));
    let span = if wide { 64 } else { 32 };
    if row_len < span {
        return false;
    }
    windows.extend(spans().enumerate().map(|(b, (lo, reach))| {
        if reach > span || b * pixels * channels + 16 > out_len {
            return None;
        }
        // The window starts at the block's first byte, or ends on the
        // row's last one where that would run past it.
        let start = lo.min(row_len - span);
        let mut control = [[0x80; 32]; 2];
        let block = &columns[b * pixels..(b + 1) * pixels];
        for (n, &k) in block.iter().enumerate().filter(|&(_, &k)| k != FILL) {
            for c in 0..channels {
                let t = n * channels + c;
                let at = k as usize + c - start;
                control[at / 32][(at % 32) / 16 * 16 + t] = (at % 16) as u8;
            }
        }
        Some(Window {
            start: start as u32,
            control,
        })
    }));
    if windows.iter().all(Option::is_none) {
        windows.clear();
    }
    wide
}

/// Samples a job into `out` if the route takes it ([`Lookup::plan`]) and
/// `out` is interleaved rows of the source's sample type; returns whether
/// it did. The output is asked first, so a job this route cannot write
/// plans no table.
pub(crate) fn run<T: Element, const C: usize>(
    source: &Source<'_, T>,
    interpolation: Interpolation,
    values: Option<&ChannelAffine>,
    map: &Prepared<'_>,
    (width, height): (usize, usize),
    out: &mut RawRows<'_>,
) -> bool {
    let RawRows::Interleaved {
        rows,
        stride,
        row_len,
    } = out
    else {
        return false;
    };
    let plan = || Lookup::plan(source, interpolation, values, map, width);
    let rows_of = |lookup: &Lookup| Rows {
        padding: source.padding,
        source_height: source.view.height(),
        copied_from: lookup.copied_from,
        map,
        height,
        stride: *stride,
        row_len: *row_len,
    };
    match (Texels::of(source.view.data()), rows) {
        (Some(Texels::U8(_)), TexelsMut::U8(data)) => {
            let Some(lookup) = plan() else {
                return false;
            };
            let fill = u8::from_f32(source.fill);
            rows_of(&lookup).run::<u8, C>(
                |y| match Texels::of(source.view.row(y)) {
                    Some(Texels::U8(row)) => row,
                    _ => &[],
                },
                |row, out| gather_u8::<C>(row, &lookup, fill, out),
                fill,
                data,
            )
        }
        (Some(Texels::F32(_)), TexelsMut::F32(data)) => {
            let Some(lookup) = plan() else {
                return false;
            };
            rows_of(&lookup).run::<f32, C>(
                |y| match Texels::of(source.view.row(y)) {
                    Some(Texels::F32(row)) => row,
                    _ => &[],
                },
                |row, out| gather::<f32, C>(row, &lookup.columns, lookup.fills, source.fill, out),
                source.fill,
                data,
            )
        }
        _ => return false,
    }
    true
}

/// What [`run`] needs of the job, whatever the sample type.
struct Rows<'j> {
    padding: Padding,
    /// The source's height.
    source_height: usize,
    /// `Lookup::copied_from`.
    copied_from: Option<usize>,
    map: &'j Prepared<'j>,
    height: usize,
    stride: usize,
    row_len: usize,
}

impl Rows<'_> {
    /// Every output row into `data`, source row `y` being `source_row(y)`,
    /// each row read through the table by `gather_row`.
    fn run<'s, E: Copy + 's, const C: usize>(
        &self,
        source_row: impl Fn(usize) -> &'s [E],
        gather_row: impl Fn(&[E], &mut [E]),
        fill: E,
        data: &mut [E],
    ) {
        let mut previous: Option<(usize, usize)> = None;
        for i in 0..self.height {
            let at = i * self.stride;
            let (_, y) = self.map.row(i).at(0);
            let tap = y.is_finite().then(|| nearest_tap(y) as i64);
            let Some(y) = tap.and_then(|iy| self.padding.index(iy, self.source_height)) else {
                data[at..at + self.row_len].fill(fill);
                continue;
            };
            if let Some((from, earlier)) = previous
                && from == y
            {
                let start = earlier * self.stride;
                data.copy_within(start..start + self.row_len, at);
                continue;
            }
            let out = &mut data[at..at + self.row_len];
            match self.copied_from {
                Some(first) => out.copy_from_slice(&source_row(y)[first..first + self.row_len]),
                None => gather_row(source_row(y), out),
            }
            previous = Some((y, i));
        }
    }
}

/// One output row: pixel `j` is `row[columns[j]..][..C]`, or the fill.
#[inline(always)]
fn gather<E: Copy, const C: usize>(
    row: &[E],
    columns: &[u32],
    fills: bool,
    fill: E,
    out: &mut [E],
) {
    if fills {
        for (px, &k) in out.chunks_exact_mut(C).zip(columns) {
            if k == FILL {
                px.fill(fill);
            } else {
                px.copy_from_slice(&row[k as usize..k as usize + C]);
            }
        }
        return;
    }
    if C == 1 {
        // Eight reads, then one store of all eight: per pixel, a store of
        // its own ran a third slower (Zen 3, `u8`).
        let mut eights = out.chunks_exact_mut(8);
        let mut taps = columns.chunks_exact(8);
        for (o, k) in (&mut eights).zip(&mut taps) {
            let v: [E; 8] = core::array::from_fn(|n| row[k[n] as usize]);
            o.copy_from_slice(&v);
        }
        for (o, &k) in eights.into_remainder().iter_mut().zip(taps.remainder()) {
            *o = row[k as usize];
        }
        return;
    }
    for (px, &k) in out.chunks_exact_mut(C).zip(columns) {
        px.copy_from_slice(&row[k as usize..k as usize + C]);
    }
}

/// [`gather`] for `u8` rows: on AVX2, the blocks that have a [`Window`]
/// take their bytes by a shuffle of it, the rest pixel by pixel.
#[inline(always)]
fn gather_u8<const C: usize>(row: &[u8], lookup: &Lookup, fill: u8, out: &mut [u8]) {
    #[cfg(target_arch = "x86_64")]
    if !lookup.windows.is_empty() {
        let pixels = window_pixels(C);
        let (columns, fills) = (&lookup.columns[..], lookup.fills);
        let other = |b: usize, out: &mut [u8]| {
            let taps = b * pixels..(b + 1) * pixels;
            let bytes = taps.start * C..taps.end * C;
            gather::<u8, C>(row, &columns[taps], fills, fill, &mut out[bytes]);
        };
        let windows = &lookup.windows[..];
        let block = pixels * C;
        use super::x86::windows::gather as shuffled;
        // SAFETY: `windows` is planned only where the CPU has AVX2
        // (`Lookup::plan`).
        unsafe {
            // Shuffles give a fill column zeros: a fill of 0 needs no more.
            match (lookup.wide, fills && fill != 0) {
                (false, false) => shuffled::<32, false>(row, windows, block, fill, out, other),
                (false, true) => shuffled::<32, true>(row, windows, block, fill, out, other),
                (true, false) => shuffled::<64, false>(row, windows, block, fill, out, other),
                (true, true) => shuffled::<64, true>(row, windows, block, fill, out, other),
            }
        }
        let done = lookup.windows.len() * pixels;
        gather::<u8, C>(row, &columns[done..], fills, fill, &mut out[done * C..]);
        return;
    }
    gather::<u8, C>(row, &lookup.columns, lookup.fills, fill, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::Path;
    use crate::kernels::tests::sampled;
    use geom::{Image, Isa};

    /// Rows read through every kind of table (a crop's copy, 32- and
    /// 64-byte windows, flipped ones, windows ending on the row's last
    /// byte, no windows, fills, rows outside) give the reference's bytes,
    /// one map after another on one thread, so that nothing of a table
    /// reaches the next.
    #[test]
    fn looked_up_rows_equal_the_reference() -> Result<(), Box<dyn std::error::Error>> {
        let maps = [
            // (a, c, e, f, width, height)
            (1.0, 5.0, 1.0, 1.0, 61, 5),
            (0.3, 2.0, 0.5, 0.0, 70, 9),
            (1.34, 0.2, 1.34, 0.4, 67, 5),
            (-1.0, 99.0, 1.0, 0.0, 100, 4),
            (2.5, 0.0, 2.0, 0.0, 40, 3),
            (-2.7, 120.0, 0.5, 1.0, 45, 6),
            (3.9, 1.0, 1.0, 0.0, 25, 3),
            (1.9, 20.0, 1.0, 0.0, 41, 3),
            (4.5, 0.0, 1.0, 0.0, 22, 3),
            (1.7, -20.0, 1.3, -2.0, 90, 9),
            (0.9, 0.0, -1.0, 6.0, 111, 7),
            // One column, outside under `Constant` and `Zeros`: a fill,
            // although a lone column is trivially "consecutive".
            (1.0, 150.0, 1.0, 0.0, 1, 3),
            (4.5, -41.0, 1.0, 0.0, 40, 3),
        ];
        let paddings = [
            Padding::Constant(300.0),
            Padding::Zeros,
            Padding::Border,
            Padding::Reflect,
            Padding::Wrap,
        ];
        for channels in [1, 3, 4] {
            let mut src = Image::<u8>::new(100, 7, channels)?;
            for (i, v) in src.as_mut_slice().iter_mut().enumerate() {
                *v = (i * 37 % 251) as u8;
            }
            for isa in Isa::available()
                .into_iter()
                .filter(|&isa| isa != Isa::Scalar)
            {
                for padding in paddings {
                    for &(a, c, e, f, width, height) in &maps {
                        let map = [[a, 0.0, c], [0.0, e, f]];
                        let source = Source::new(src.view(), padding);
                        let run = |path| {
                            sampled(path, source, Interpolation::Nearest, map, width, height)
                        };
                        let (want, got) = (run(Path::Isa(Isa::Scalar))?, run(Path::Isa(isa))?);
                        assert_eq!(
                            got.as_slice(),
                            want.as_slice(),
                            "{isa}, {channels} channels, {padding:?}, {map:?}"
                        );
                    }
                }
            }
        }
        Ok(())
    }

    /// The maps above reach each kind of table (on AVX2, the windows).
    #[test]
    fn the_maps_reach_every_kind_of_table() -> Result<(), Box<dyn std::error::Error>> {
        let src = Image::<u8>::new(100, 7, 1)?;
        let source = Source::new(src.view(), Padding::Border);
        let plan = |a: f64, c: f64, width: usize| {
            let map = Prepared::Affine([[a, 0.0, c], [0.0, 1.0, 0.0]]);
            Lookup::plan(&source, Interpolation::Nearest, None, &map, width)
        };
        let crop = plan(1.0, 5.0, 61).ok_or("no table")?;
        assert_eq!(crop.copied_from, Some(5));
        let fills = Source::new(src.view(), Padding::Zeros);
        let map = Prepared::Affine([[1.7, 0.0, -20.0], [0.0, 1.0, 0.0]]);
        let filled = Lookup::plan(&fills, Interpolation::Nearest, None, &map, 90).ok_or("none")?;
        assert!(filled.fills);
        if avx2() {
            // Fill columns join the windows of their blocks...
            assert!(filled.windows.iter().all(Option::is_some));
            // ... and make a block's taps close enough for a window where
            // the others' are not.
            let map = Prepared::Affine([[4.5, 0.0, -41.0], [0.0, 1.0, 0.0]]);
            let mixed =
                Lookup::plan(&fills, Interpolation::Nearest, None, &map, 40).ok_or("none")?;
            assert!(mixed.windows[0].is_some() && mixed.windows[1].is_none());
            let narrow = plan(1.34, 0.2, 67).ok_or("no table")?;
            assert!(!narrow.wide && narrow.windows.iter().all(Option::is_some));
            // The flipped crop's last block ends on the row's last byte.
            let flipped = plan(-1.0, 99.0, 100).ok_or("no table")?;
            assert!(flipped.windows.iter().all(Option::is_some));
            assert_eq!(flipped.windows[0].map(|w| w.start), Some(100 - 32));
            let wide = plan(2.5, 0.0, 40).ok_or("no table")?;
            assert!(wide.wide && wide.windows.iter().all(Option::is_some));
            let mixed = plan(4.5, 0.0, 22).ok_or("no table")?;
            assert!(mixed.windows.is_empty());
        }
        Ok(())
    }
}
