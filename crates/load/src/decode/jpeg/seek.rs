//! Where each MCU row of a sequential JPEG's scan starts, remembered from
//! one decode of a file to the next.
//!
//! Huffman codes cannot be skipped without reading them: each code's length
//! depends on the one before. So a region decode reads every MCU above the
//! region and right of it in each of its rows only to find where the next
//! one starts, a sixth of a loader's time on ImageNet-like files. The
//! state at the start of an MCU row (the bit position and the DC
//! predictors; a file without restart intervals has no other) is a few
//! bytes, so a loader that decodes the same file again in the next epoch
//! keeps it and jumps: to the region's first row, and from the region's
//! right edge to the next row.

use super::huffman::Bits;
use std::hash::{DefaultHasher, Hasher};

/// The start of one MCU row: what [`super::huffman::Bits::tell`] gave and
/// the DC predictors (each fits `i16` in a valid file; a row whose do not
/// is not kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RowStart {
    pub pos: u32,
    pub dc: [i16; 3],
    pub read_bits: u8,
}

impl RowStart {
    /// Puts the reader and the DC predictors where the row starts.
    pub fn resume(&self, bits: &mut Bits<'_>, predictors: &mut [i32; 3]) {
        bits.seek(self.pos as usize, u32::from(self.read_bits));
        *predictors = self.dc.map(i32::from);
    }
}

/// The starts of a JPEG's MCU rows as far as decoding has read, kept
/// between decodes of the same file to skip what a region does not need
/// (see [`decode_with_index`](crate::decode::decode_with_index)).
///
/// It belongs to one file: it carries a digest of the file's length, its
/// headers and its last bytes, and a decode of other bytes starts it
/// again rather than use it. Progressive files and files with restart
/// intervals (whose markers already let a decoder resynchronise) keep
/// nothing. It holds 12 bytes per MCU row (a 500x375 photo with 4:2:0
/// chroma has 24 rows).
///
/// ```
/// use load::decode::{DecodeBuffer, Region, Request, SeekIndex, decode_with_index};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let mut jpeg = Vec::new();
/// # let gradient: Vec<u8> = (0..64 * 64 * 3).map(|i| (i % 251) as u8).collect();
/// # let mut encoder = jpeg_encoder::Encoder::new(&mut jpeg, 90);
/// # encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
/// # encoder.encode(&gradient, 64, 64, jpeg_encoder::ColorType::Rgb)?;
/// let mut buffer = DecodeBuffer::new();
/// let mut index = SeekIndex::new();
/// // A 64x64 photo with 4:2:0 chroma has four MCU rows of 16 pixels.
/// let bottom = Request::new().region(Region { x: 40, y: 48, width: 8, height: 8 });
/// decode_with_index(&jpeg, &bottom, &mut buffer, &mut index)?;
/// assert_eq!(index.rows(), 4);
/// // The next decode of that region starts at its row.
/// decode_with_index(&jpeg, &bottom, &mut buffer, &mut index)?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeekIndex {
    digest: u64,
    starts: Vec<RowStart>,
}

impl SeekIndex {
    /// An empty index, allocating nothing.
    pub fn new() -> SeekIndex {
        SeekIndex::default()
    }

    /// MCU rows whose start is known.
    pub fn rows(&self) -> usize {
        self.starts.len()
    }

    /// Heap bytes held, for a caller keeping many.
    pub fn heap_bytes(&self) -> usize {
        self.starts.capacity() * size_of::<RowStart>()
    }

    /// Makes the index `bytes`' (keeping what it knows if it already is),
    /// with room for `rows` starts.
    pub(super) fn open(&mut self, bytes: &[u8], headers_end: usize, rows: usize) {
        let mut hasher = DefaultHasher::new();
        hasher.write_usize(bytes.len());
        hasher.write(bytes.get(..headers_end).unwrap_or(bytes));
        hasher.write(&bytes[bytes.len().saturating_sub(64)..]);
        let digest = hasher.finish();
        if digest != self.digest || self.starts.len() > rows {
            self.digest = digest;
            self.starts = Vec::new();
        }
        if self.starts.capacity() < rows {
            self.starts.reserve_exact(rows - self.starts.len());
        }
    }

    /// The start of row `row`, if known.
    pub(super) fn get(&self, row: usize) -> Option<RowStart> {
        self.starts.get(row).copied()
    }

    /// The last known row start at or before `row`.
    pub(super) fn at_or_before(&self, row: usize) -> Option<(usize, RowStart)> {
        let last = row.min(self.starts.len().checked_sub(1)?);
        Some((last, self.starts[last]))
    }

    /// Records the start of row `row` (`at` says where the reader is) if
    /// it is the next one unknown and fits; rows must be recorded in order.
    pub(super) fn record(
        &mut self,
        row: usize,
        at: impl FnOnce() -> Option<(usize, u32)>,
        dc: [i32; 3],
    ) {
        if row != self.starts.len() {
            return;
        }
        let Some((pos, read_bits)) = at() else {
            return;
        };
        let (Ok(pos), Ok(d0), Ok(d1), Ok(d2)) = (
            u32::try_from(pos),
            i16::try_from(dc[0]),
            i16::try_from(dc[1]),
            i16::try_from(dc[2]),
        ) else {
            return;
        };
        self.starts.push(RowStart {
            pos,
            dc: [d0, d1, d2],
            read_bits: read_bits as u8,
        });
    }
}
