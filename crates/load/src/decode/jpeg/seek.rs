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

/// The start of one MCU row, packed in 64 bits: the byte offset that
/// [`super::huffman::Bits::tell`] gave (28 bits, so rows of files up to
/// 256 MiB), the bits of that byte already read (3) and the three DC
/// predictors (11 bits each, signed). A valid 8-bit file's quantised DC
/// lies within -1024..=1016 (eight times a level-shifted sample), so the
/// predictors fit; a row whose do not, damaged data, is not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RowStart(u64);

const POS_BITS: u32 = 28;
const DC_BITS: u32 = 11;
/// Where the predictors start: after the read bits and the offset.
const DC_SHIFT: u32 = 3 + POS_BITS;

impl RowStart {
    /// The packed start, if every part fits.
    fn pack(pos: usize, read_bits: u32, dc: [i32; 3]) -> Option<RowStart> {
        let limit = 1i32 << (DC_BITS - 1);
        if pos >= 1 << POS_BITS || read_bits > 7 || dc.iter().any(|d| !(-limit..limit).contains(d))
        {
            return None;
        }
        let mut packed = (pos as u64) << 3 | u64::from(read_bits);
        for (i, &d) in dc.iter().enumerate() {
            packed |= (d as u64 & ((1 << DC_BITS) - 1)) << (DC_SHIFT + DC_BITS * i as u32);
        }
        Some(RowStart(packed))
    }

    fn pos(self) -> usize {
        ((self.0 >> 3) & ((1 << POS_BITS) - 1)) as usize
    }

    fn read_bits(self) -> u32 {
        (self.0 & 7) as u32
    }

    fn dc(self) -> [i32; 3] {
        std::array::from_fn(|i| {
            // The field's bits at the top of the word, shifted back down
            // with their sign.
            let top = self.0 << (64 - DC_SHIFT - DC_BITS * (i as u32 + 1));
            ((top as i64) >> (64 - DC_BITS)) as i32
        })
    }

    /// Puts the reader and the DC predictors where the row starts.
    pub fn resume(&self, bits: &mut Bits<'_>, predictors: &mut [i32; 3]) {
        bits.seek(self.pos(), self.read_bits());
        *predictors = self.dc();
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
/// nothing. It holds 8 bytes per MCU row (a 500x375 photo with 4:2:0
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
        if let Some(start) = RowStart::pack(pos, read_bits, dc) {
            self.starts.push(start);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_row_start_unpacks_to_what_was_packed(
            pos in 0usize..1 << POS_BITS,
            read_bits in 0u32..8,
            dc in prop::array::uniform3(-1024i32..1024),
        ) {
            let start = RowStart::pack(pos, read_bits, dc);
            prop_assert!(start.is_some());
            let start = start.unwrap_or(RowStart(0));
            prop_assert_eq!((start.pos(), start.read_bits(), start.dc()), (pos, read_bits, dc));
        }

        #[test]
        fn a_row_start_that_does_not_fit_is_refused(
            pos in 0usize..1 << POS_BITS,
            dc in prop::array::uniform3(-1024i32..1024),
            which in 0usize..4,
            over in prop_oneof![-100_000i32..-1024, 1024i32..100_000],
        ) {
            let (mut pos, mut dc) = (pos, dc);
            match which {
                3 => pos += 1 << POS_BITS,
                i => dc[i] = over,
            }
            prop_assert_eq!(RowStart::pack(pos, 0, dc), None);
        }
    }
}
