//! What the `u8` pixel-pair kernels read and write.

/// A row of values to pair up: the source row itself (`u8`, when a block
/// is one row high) or column sums.
#[derive(Clone, Copy)]
pub(crate) enum Row<'a> {
    /// Source values.
    U8(&'a [u8]),
    /// Sums over several rows or a previous pairing round.
    U16(&'a [u16]),
}

impl Row<'_> {
    /// Values in the row.
    pub(crate) fn len(self) -> usize {
        match self {
            Row::U8(r) => r.len(),
            Row::U16(r) => r.len(),
        }
    }
}

/// Where the output of a pairing round goes.
pub(crate) enum Out<'a> {
    /// Pair sums, for another round.
    Sums(&'a mut [u16]),
    /// Pair sums divided by `2^shift`, rounded half to even: the level.
    Means(&'a mut [u8], u32),
}
