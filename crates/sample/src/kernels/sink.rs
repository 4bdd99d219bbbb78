//! Where finished values go: the output rows every kernel path writes, and
//! the one rounding they share.
//!
//! A value reaching a sink is final except for the store's conversion:
//! `f32` outputs keep it as is, `u8` outputs take `u8::from_f32` (clamp to
//! 0–255 with NaN to 0, then round half to even; step 6 of the
//! `kernels::scalar` reference). Every store here, per pixel, per block or
//! through a raw row, performs exactly that conversion.
//!
//! Three views of the same output serve the three kinds of code: [`Rows`]
//! hands out one [`BlockSink`] per row to the scalar reference and the
//! generic SIMD code; [`RawRows`] gives the hand-written kernels the whole
//! output typed by layout and sample type, decided once per call.

use super::typed::TexelsMut;
use geom::{Element, ImageViewMut};

/// Widest vector of `f32` lanes any path uses (AVX-512).
pub(crate) const MAX_LANES: usize = 16;

/// Channel values of one block of pixels, lane `k` for pixel `j0 + k`.
pub(crate) type Block<const C: usize> = [[f32; MAX_LANES]; C];

/// Where a row's finished values go.
pub(crate) trait BlockSink {
    /// Stores the first `lanes` pixels of `values` at output pixels `j0..`.
    fn store<const C: usize>(&mut self, j0: usize, lanes: usize, values: &Block<C>);
    /// Stores channel `c` of pixel `j` (the scalar path).
    fn put(&mut self, j: usize, c: usize, v: f32);
}

/// Output rows, handed out one at a time.
pub(crate) trait Rows {
    /// The sink of one row.
    type Row<'r>: BlockSink
    where
        Self: 'r;
    /// Row `i`.
    fn row(&mut self, i: usize) -> Self::Row<'_>;
    /// The whole output as the hand-written kernels write it, if its layout
    /// and sample type are ones they know.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    fn raw(&mut self) -> Option<RawRows<'_>>;
}

/// Interleaved output rows of `T`.
pub(crate) struct InterleavedRows<'a, T>(pub ImageViewMut<'a, T>);

/// One interleaved output row with `channels` channels.
pub(crate) struct InterleavedRow<'r, T> {
    row: &'r mut [T],
    channels: usize,
}

impl<'a, T: Element> Rows for InterleavedRows<'a, T> {
    type Row<'r>
        = InterleavedRow<'r, T>
    where
        Self: 'r;
    #[inline(always)]
    fn row(&mut self, i: usize) -> InterleavedRow<'_, T> {
        let channels = self.0.channels();
        InterleavedRow {
            row: self.0.row_mut(i),
            channels,
        }
    }
    fn raw(&mut self) -> Option<RawRows<'_>> {
        let (stride, row_len) = (self.0.stride(), self.0.shape().row_len());
        let layout = |rows| RawRows::Interleaved {
            rows,
            stride,
            row_len,
        };
        Some(match TexelsMut::of(self.0.data_mut())? {
            TexelsMut::U8(data) => layout(TexelsMut::U8(data)),
            TexelsMut::F32(data) => layout(TexelsMut::F32(data)),
        })
    }
}

impl<T: Element> BlockSink for InterleavedRow<'_, T> {
    #[inline(always)]
    fn store<const C: usize>(&mut self, j0: usize, lanes: usize, values: &Block<C>) {
        let out = &mut self.row[j0 * C..(j0 + lanes) * C];
        if let Some(TexelsMut::U8(bytes)) = TexelsMut::of(&mut *out) {
            store_u8::<C>(bytes, lanes, values);
            return;
        }
        for (k, px) in out.chunks_exact_mut(C).enumerate() {
            for (c, o) in px.iter_mut().enumerate() {
                *o = T::from_f32(values[c][k]);
            }
        }
    }
    #[inline(always)]
    fn put(&mut self, j: usize, c: usize, v: f32) {
        self.row[j * self.channels + c] = T::from_f32(v);
    }
}

/// `u8::from_f32` in a form that vectorises: clamp to 0–255 (NaN to 0),
/// then [`round_u8_in_range`].
#[inline(always)]
pub(crate) fn round_u8(v: f32) -> u8 {
    let clamped = if v >= 0.0 { v.min(255.0) } else { 0.0 };
    round_u8_in_range(clamped)
}

/// `u8::from_f32` of a value in `-0.5..255.5` (255.5 itself would give
/// 256's low byte, 0), where no clamp is needed: adding 1.5 * 2^23 leaves
/// a unit in the last place of 1, so the sum's low byte is the value
/// rounded half to even.
#[inline(always)]
pub(crate) fn round_u8_in_range(v: f32) -> u8 {
    (v + 12_582_912.0).to_bits() as u8
}

/// Rounds a block to `u8` (as `u8::from_f32`) and interleaves it: channels
/// packed into one word per pixel, then the words' low `C` bytes copied out,
/// written so the compiler turns both steps into shuffles.
#[inline(always)]
fn store_u8<const C: usize>(out: &mut [u8], lanes: usize, values: &Block<C>) {
    let mut words = [0u32; MAX_LANES];
    for (c, vc) in values.iter().enumerate() {
        for k in 0..lanes {
            let v = vc[k];
            words[k] |= u32::from(round_u8(v)) << (8 * c);
        }
    }
    let bytes: [u8; 4 * MAX_LANES] = bytemuck::cast(words);
    let mut packed = [0u8; 4 * MAX_LANES];
    for k in 0..lanes {
        for c in 0..C {
            packed[C * k + c] = bytes[4 * k + c];
        }
    }
    out.copy_from_slice(&packed[..C * lanes]);
}

/// Planar `f32` output: `planes[c]` is channel `c`, `width` values a row.
pub(crate) struct PlanarRows<'a> {
    pub planes: Vec<&'a mut [f32]>,
    pub width: usize,
}

/// One row of each plane.
pub(crate) struct PlanarRow<'r> {
    planes: [&'r mut [f32]; 4],
}

/// Row `i` (`width` values) of each of up to four planes; missing planes
/// give empty rows, which the first `C` never include.
#[inline(always)]
fn plane_rows<'r>(
    planes: impl IntoIterator<Item = &'r mut [f32]>,
    i: usize,
    width: usize,
) -> [&'r mut [f32]; 4] {
    let mut rows = planes
        .into_iter()
        .map(|p| &mut p[i * width..(i + 1) * width]);
    let mut take = || rows.next().unwrap_or(&mut []);
    [take(), take(), take(), take()]
}

impl<'a> Rows for PlanarRows<'a> {
    type Row<'r>
        = PlanarRow<'r>
    where
        Self: 'r;
    #[inline(always)]
    fn row(&mut self, i: usize) -> PlanarRow<'_> {
        let planes = self.planes.iter_mut().map(|p| &mut **p);
        PlanarRow {
            planes: plane_rows(planes, i, self.width),
        }
    }
    fn raw(&mut self) -> Option<RawRows<'_>> {
        let count = self.planes.len();
        let mut planes = self.planes.iter_mut().map(|p| &mut **p);
        let mut take = || planes.next().unwrap_or(&mut []);
        Some(RawRows::Planar {
            planes: [take(), take(), take(), take()],
            count,
            width: self.width,
        })
    }
}

impl BlockSink for PlanarRow<'_> {
    #[inline(always)]
    fn store<const C: usize>(&mut self, j0: usize, lanes: usize, values: &Block<C>) {
        for (plane, v) in self.planes.iter_mut().zip(values) {
            plane[j0..j0 + lanes].copy_from_slice(&v[..lanes]);
        }
    }
    #[inline(always)]
    fn put(&mut self, j: usize, c: usize, v: f32) {
        self.planes[c][j] = v;
    }
}

/// The whole output, typed by layout and sample type, for the hand-written
/// kernels (x86 only, for now).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) enum RawRows<'r> {
    /// Interleaved rows of `row_len` values, `stride` values apart.
    Interleaved {
        rows: TexelsMut<'r>,
        stride: usize,
        row_len: usize,
    },
    /// The first `count` of `planes` are whole planes of `width`-value rows
    /// (the rest are empty).
    Planar {
        planes: [&'r mut [f32]; 4],
        count: usize,
        width: usize,
    },
}

#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
impl RawRows<'_> {
    /// Row `i`.
    #[inline(always)]
    pub(crate) fn row(&mut self, i: usize) -> RawRow<'_> {
        match self {
            RawRows::Interleaved {
                rows,
                stride,
                row_len,
            } => {
                let at = i * *stride..i * *stride + *row_len;
                match rows {
                    TexelsMut::U8(data) => RawRow::U8(&mut data[at]),
                    TexelsMut::F32(data) => RawRow::F32(&mut data[at]),
                }
            }
            RawRows::Planar {
                planes,
                count,
                width,
            } => {
                let planes = planes.iter_mut().take(*count).map(|p| &mut **p);
                RawRow::Planar(plane_rows(planes, i, *width))
            }
        }
    }
}

/// An output row by layout and sample type.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) enum RawRow<'r> {
    /// Interleaved `u8`, `width * C` values.
    U8(&'r mut [u8]),
    /// Interleaved `f32`, `width * C` values.
    F32(&'r mut [f32]),
    /// One row of each plane (the first `C` are used).
    Planar([&'r mut [f32]; 4]),
}

#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
impl RawRow<'_> {
    /// Stores channel `c` of pixel `j` of a `C`-channel row (the scalar path).
    #[inline(always)]
    pub(crate) fn put<const C: usize>(&mut self, j: usize, c: usize, v: f32) {
        match self {
            RawRow::U8(row) => row[j * C + c] = u8::from_f32(v),
            RawRow::F32(row) => row[j * C + c] = v,
            RawRow::Planar(planes) => planes[c][j] = v,
        }
    }

    /// Repeats pixels `j0..j0 + n` of a `C`-channel row over pixels
    /// `j0 + n..end` (for runs of one value, stored once).
    #[inline]
    pub(crate) fn repeat<const C: usize>(&mut self, j0: usize, n: usize, end: usize) {
        match self {
            RawRow::U8(row) => repeat_values(&mut row[j0 * C..end * C], n * C),
            RawRow::F32(row) => repeat_values(&mut row[j0 * C..end * C], n * C),
            RawRow::Planar(planes) => {
                for plane in planes.iter_mut().take(C) {
                    repeat_values(&mut plane[j0..end], n);
                }
            }
        }
    }
}

/// Repeats `values[..n]` over the rest of `values`, doubling the copied
/// stretch each step (a whole number of repeats each time).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
fn repeat_values<T: Copy>(values: &mut [T], n: usize) {
    if n == 0 {
        return;
    }
    // One value: a plain fill (a `memset` for bytes).
    if let (1, Some(&v)) = (n, values.first()) {
        return values.fill(v);
    }
    let mut done = n.min(values.len());
    while done < values.len() {
        let count = done.min(values.len() - done);
        values.copy_within(..count, done);
        done += count;
    }
}
