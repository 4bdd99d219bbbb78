//! Where the reader is in the data, and moving it there again: what a
//! row start (`jpeg/seek.rs`) records and resumes.

use super::{Bits, State};

impl Bits<'_> {
    /// Where the next unread bit lies: the offset of the data byte holding
    /// it and how many of that byte's bits are already read, for
    /// [`Bits::seek`]; `None` once the reader has met a marker (its word
    /// then holds zero bits that are not in the data).
    ///
    /// The word holds the last bytes read, unstuffed, so the byte is found
    /// by stepping back over them: a `00` after an `FF` is the stuffing of
    /// that `FF` (data bytes never follow an `FF` otherwise).
    pub(in crate::decode::jpeg) fn tell(&self) -> Option<(usize, u32)> {
        if self.s.at_marker || self.s.padded > 0 {
            return None;
        }
        let mut pos = self.s.pos;
        for _ in 0..self.s.count.div_ceil(8) {
            pos = pos.checked_sub(1)?;
            if self.data.get(pos) == Some(&0x00) && pos > 0 && self.data.get(pos - 1) == Some(&0xFF)
            {
                pos -= 1;
            }
        }
        Some((pos, (8 - self.s.count % 8) % 8))
    }

    /// Moves the reader to a place [`Bits::tell`] gave for the same data.
    pub(in crate::decode::jpeg) fn seek(&mut self, pos: usize, read_bits: u32) {
        self.s = State {
            pos,
            acc: 0,
            count: 0,
            at_marker: false,
            padded: 0,
        };
        self.refill();
        self.consume(read_bits.min(7));
    }
}
