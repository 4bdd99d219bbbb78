//! Huffman decoding of a sequential scan: code tables with one-lookup
//! fast paths, and a 64-bit bit reader that unstuffs `FF 00` and stops at
//! markers.
//!
//! Each table resolves codes of up to [`LOOKAHEAD`] bits with one lookup
//! of the next bits; a second table also yields the sign-extended value
//! (and for AC the run) when code and magnitude bits together fit, and
//! the magnitude's size when only the code does, so that every code of
//! up to [`LOOKAHEAD`] bits, DC or AC, the end of the block included,
//! costs one lookup. Longer codes take the canonical slow path (the
//! `maxcode` / `valoff` walk of the JPEG standard, F.2.2.3).

/// Bits resolved by one table lookup.
pub(super) const LOOKAHEAD: u32 = 10;

const ENTRIES: usize = 1 << LOOKAHEAD;

/// Bits resolved by one lookup when stepping over a block: wider than
/// [`LOOKAHEAD`], since a skipped block needs no symbols, only how far its
/// codes reach, and a wider window covers more codes per lookup.
const SKIP_LOOKAHEAD: u32 = 12;

const SKIP_ENTRIES: usize = 1 << SKIP_LOOKAHEAD;

/// The run of [`Table::fast_value`]'s end-of-block entries: from any
/// position it reaches past the last coefficient (63), so the block's
/// loop ends as after a coefficient at position 63.
const END_OF_BLOCK: i32 = 63;

/// The flag of a [`Table::fast_value`] entry that holds the value.
const FULL: i32 = 0x80;

/// The flag of a [`Table::fast_value`] entry that holds only the code:
/// its magnitude bits reach past the lookahead.
const CODE_ONLY: i32 = 0x40;

/// The run field of a [`Table::fast_value`] entry.
#[inline(always)]
fn fast_run(fast: i32) -> usize {
    ((fast >> 8) & 63) as usize
}

/// Why a table or a scan is refused.
pub(super) type Invalid = &'static str;

/// `v` (`bits` wide, `bits >= 1`) as the signed value it codes (F.2.2.1).
#[inline(always)]
fn extend(v: i32, bits: u32) -> i32 {
    if v < (1 << (bits - 1)) {
        v - (1 << bits) + 1
    } else {
        v
    }
}

/// The reader's position and bits, kept apart from the data so that the
/// slow paths take and return it by value: the hot loop's copy then never
/// has its address taken and stays in registers.
#[derive(Debug, Clone, Copy)]
struct State {
    pos: usize,
    acc: u64,
    count: u32,
    at_marker: bool,
    /// Zero bits supplied past a marker (or the data's end), at the
    /// bottom of the word: fewer than `count` while real bits are left.
    padded: u32,
}

/// A bit reader over entropy-coded data: the next bits left-aligned in a
/// 64-bit word. At a marker it stops and supplies zero bits, as libjpeg
/// does, so a damaged scan decodes to something rather than reading on.
pub(super) struct Bits<'a> {
    data: &'a [u8],
    s: State,
}

/// Tops `s` up byte by byte, unstuffing `FF 00` and stopping at a marker.
#[cold]
#[inline(never)]
fn refill_bytes(data: &[u8], mut s: State) -> State {
    while s.count <= 56 {
        let mut byte = None;
        if !s.at_marker
            && let Some(&b) = data.get(s.pos)
        {
            if b == 0xFF {
                if data.get(s.pos + 1) == Some(&0x00) {
                    byte = Some(0xFF);
                    s.pos += 2;
                } else {
                    s.at_marker = true;
                }
            } else {
                byte = Some(b);
                s.pos += 1;
            }
        }
        match byte {
            Some(byte) => s.acc |= u64::from(byte) << (56 - s.count),
            None => s.padded += 8,
        }
        s.count += 8;
    }
    s
}

/// A code longer than the lookahead: the canonical walk.
#[inline(never)]
fn symbol_slow(table: &Table, mut s: State) -> (State, u8) {
    for length in LOOKAHEAD as usize + 1..=16 {
        let code = (s.acc >> (64 - length)) as i32;
        if code <= table.maxcode[length] {
            s.acc <<= length;
            s.count = s.count.saturating_sub(length as u32);
            return (
                s,
                table.symbols[((code + table.valoff[length]) & 0xFF) as usize],
            );
        }
    }
    // No code matches (damaged data): as libjpeg, whose walk stops at a
    // sentinel length of 17, drop 17 bits and take symbol 0 (a DC
    // difference of 0, or the end of the block).
    s.acc <<= 17;
    s.count = s.count.saturating_sub(17);
    (s, 0)
}

impl<'a> Bits<'a> {
    pub(super) fn new(data: &'a [u8], pos: usize) -> Self {
        Bits {
            data,
            s: State {
                pos,
                acc: 0,
                count: 0,
                at_marker: false,
                padded: 0,
            },
        }
    }

    /// Whether the reader has handed out zero bits past a marker (or the
    /// data's end): libjpeg then leaves every later MCU of the restart
    /// interval all zeros (uniform gray), and so must its callers.
    #[inline(always)]
    pub(super) fn exhausted(&self) -> bool {
        self.s.count < self.s.padded
    }

    /// Tops the word up to at least 57 bits: eight bytes at once when none
    /// of them is `FF` (no stuffing, no marker), byte by byte otherwise.
    #[inline(always)]
    pub(super) fn refill(&mut self) {
        let s = &mut self.s;
        if let Some(bytes) = self.data.get(s.pos..s.pos + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(bytes);
            let w = u64::from_be_bytes(word);
            // A zero byte in !w is an FF byte in w.
            let inverted = !w;
            if inverted.wrapping_sub(0x0101_0101_0101_0101) & !inverted & 0x8080_8080_8080_8080 == 0
            {
                let take = (63 - s.count) >> 3;
                s.acc |= (w >> (64 - 8 * take)) << (64 - 8 * take - s.count);
                s.count += 8 * take;
                s.pos += take as usize;
                return;
            }
        }
        self.s = refill_bytes(self.data, self.s);
    }

    #[inline(always)]
    fn consume(&mut self, bits: u32) {
        self.s.acc <<= bits;
        self.s.count = self.s.count.saturating_sub(bits);
    }

    #[inline(always)]
    fn count(&self) -> u32 {
        self.s.count
    }

    #[inline(always)]
    fn peek(&self) -> usize {
        (self.s.acc >> (64 - LOOKAHEAD)) as usize
    }

    /// The next symbol of `table` (needs 17 bits in the word).
    #[inline(always)]
    pub(super) fn symbol(&mut self, table: &Table) -> u8 {
        let entry = table.fast[self.peek()];
        if entry >> 8 != 0 {
            self.consume(u32::from(entry >> 8));
            return entry as u8;
        }
        let (s, symbol) = symbol_slow(table, self.s);
        self.s = s;
        symbol
    }

    /// Tops the word up if it holds fewer than `n` bits (`n <= 57`).
    #[inline(always)]
    pub(super) fn ensure(&mut self, n: u32) {
        if self.s.count < n {
            self.refill();
        }
    }

    /// The next `n` bits (`n <= 16`, held in the word) as a number.
    #[inline(always)]
    pub(super) fn bits(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        let v = (self.s.acc >> (64 - n)) as u32;
        self.consume(n);
        v
    }

    /// The offset of the next byte not yet in the word: a marker that ends
    /// the scan lies there or after.
    pub(super) fn position(&self) -> usize {
        self.s.pos
    }

    /// `size` magnitude bits as a signed value (needs `size` bits in the word).
    #[inline(always)]
    pub(super) fn value(&mut self, size: u32) -> i32 {
        if size == 0 {
            return 0;
        }
        let raw = (self.s.acc >> (64 - size)) as i32;
        self.consume(size);
        extend(raw, size)
    }

    /// Adds the next DC difference to `predictor` (needs 32 bits in the
    /// word): one lookup where code and magnitude bits fit together.
    #[inline(always)]
    fn dc_difference(&mut self, dc: &Table, predictor: &mut i32) {
        let fast = dc.fast_value[self.peek()];
        if fast != 0 {
            self.consume((fast & 0x1F) as u32);
            // A code-only entry: code and magnitude take at most 10 + 15
            // bits of the 32.
            let difference = if fast & FULL != 0 {
                fast >> 16
            } else {
                self.value((fast >> 16) as u32)
            };
            *predictor = predictor.wrapping_add(difference);
            return;
        }
        let size = u32::from(self.symbol(dc)).min(16);
        if self.count() < 16 {
            self.refill();
        }
        *predictor = predictor.wrapping_add(self.value(size));
    }

    /// Runs `f` on a local copy of the reader, then goes on from where it
    /// got to: inlined into a caller's large loop the reader would live in
    /// memory, each code's bits stored and loaded again; the local copy
    /// stays in registers through `f`.
    #[inline(always)]
    pub(super) fn on_local<R>(&mut self, f: impl FnOnce(&mut Bits<'a>) -> R) -> R {
        let mut local = Bits {
            data: self.data,
            s: self.s,
        };
        let result = f(&mut local);
        self.s = local.s;
        result
    }

    /// Decodes one block's coefficients (zigzag order) with `dc` and `ac`,
    /// updating the DC `predictor`; `store(k, value)` receives each nonzero
    /// coefficient (`k` in zigzag order, the DC always) and may receive
    /// zeros for positions not yet given (the caller starts from a zeroed
    /// block, so they change nothing). Damaged data ends the
    /// block early rather than failing: as libjpeg, the result is some image.
    ///
    /// Inlined: callers run it on a local copy of the reader
    /// ([`Bits::on_local`]), for all the blocks of an MCU at once, so that
    /// the bit word stays in a register through the coefficient loops.
    #[inline(always)]
    pub(super) fn block(
        &mut self,
        dc: &Table,
        ac: &Table,
        predictor: &mut i32,
        mut store: impl FnMut(usize, i32),
    ) {
        if self.count() < 32 {
            self.refill();
        }
        self.dc_difference(dc, predictor);
        store(0, *predictor);
        let mut k = 1usize;
        while k < 64 {
            if self.count() < 26 {
                self.refill();
            }
            let fast = ac.fast_value[self.peek()];
            if fast != 0 {
                self.consume((fast & 0x1F) as u32);
                k += fast_run(fast);
                // A code-only entry's magnitude bits follow its code: at
                // most 15 of the 16 or more left after a code of at most
                // 10 bits.
                let v = if fast & FULL != 0 {
                    fast >> 16
                } else {
                    self.value((fast >> 16) as u32)
                };
                // A run past the last coefficient (damaged data) lands on
                // it, as in libjpeg, whose zigzag table maps positions
                // 64..=78 to 63; the loop then ends. A zero run or the end
                // of the block stores 0 where it lands, on a position not
                // yet written (positions only grow).
                store(k.min(63), v);
                k += 1;
                continue;
            }
            let rs = self.symbol(ac);
            let (run, size) = (usize::from(rs >> 4), u32::from(rs & 15));
            if size == 0 {
                if run == 15 {
                    k += 16;
                    continue;
                }
                break;
            }
            k += run;
            // A long code with a long magnitude can outrun the refill above.
            if self.count() < size {
                self.refill();
            }
            // As libjpeg: a damaged block whose run overshoots still takes
            // its magnitude bits (so decoding a block and stepping over it
            // leave the reader at the same bit) and stores the value at
            // the last coefficient.
            let v = self.value(size);
            store(k.min(63), v);
            k += 1;
        }
    }

    /// Steps over `mcus` MCUs without keeping their coefficients; the DC
    /// predictors still advance. `components` gives each component's DC
    /// and AC tables and its blocks per MCU, in scan order.
    ///
    /// One call for the whole run, so that the reader stays in registers
    /// from block to block (see [`Bits::on_local`]).
    #[inline(never)]
    pub(super) fn skip_mcus(
        &mut self,
        mcus: usize,
        components: &[(&Table, &Table, usize)],
        predictors: &mut [i32; 3],
    ) {
        let mut local = Bits {
            data: self.data,
            s: self.s,
        };
        let mut p = *predictors;
        for _ in 0..mcus {
            for (&(dc, ac, blocks), predictor) in components.iter().zip(p.iter_mut()) {
                for _ in 0..blocks {
                    local.skip_here(dc, ac, predictor);
                }
            }
        }
        *predictors = p;
        self.s = local.s;
    }

    #[inline(always)]
    fn skip_here(&mut self, dc: &Table, ac: &Table, predictor: &mut i32) {
        if self.count() < 32 {
            self.refill();
        }
        self.dc_difference(dc, predictor);
        let mut k = 1usize;
        while k < 64 {
            if self.count() < 26 {
                self.refill();
            }
            // Several codes at once, when they all end inside the block.
            let skip = ac.skip[(self.s.acc >> (64 - SKIP_LOOKAHEAD)) as usize];
            let positions = usize::from((skip >> 4) & 0x7F);
            if skip != 0 && k + positions <= 63 {
                self.consume(u32::from(skip & 0xF));
                k += positions;
                if skip & 0x8000 != 0 {
                    break;
                }
                continue;
            }
            let fast = ac.fast_value[self.peek()];
            if fast != 0 {
                // A code-only entry's magnitude bits are stepped over with
                // it: at most 10 + 15 bits of the 26 or more in the word.
                let magnitude = if fast & FULL != 0 { 0 } else { fast >> 16 };
                self.consume(((fast & 0x1F) + magnitude) as u32);
                k += fast_run(fast) + 1;
                continue;
            }
            let rs = self.symbol(ac);
            let (run, size) = (usize::from(rs >> 4), u32::from(rs & 15));
            if size == 0 {
                if run == 15 {
                    k += 16;
                    continue;
                }
                break;
            }
            k += run + 1;
            if self.count() < size {
                self.refill();
            }
            self.consume(size);
        }
    }

    /// Moves past the next restart marker, dropping the bits left in the
    /// interval (its last byte is padded with ones); false if none follows.
    pub(super) fn restart(&mut self) -> bool {
        let (found, s) = restart(self.data, self.s);
        self.s = s;
        found
    }
}

#[inline(never)]
fn restart(data: &[u8], mut s: State) -> (bool, State) {
    s.acc = 0;
    s.count = 0;
    s.at_marker = false;
    s.padded = 0;
    let rest = data.get(s.pos..).unwrap_or_default();
    match rest
        .windows(2)
        .position(|w| w[0] == 0xFF && (0xD0..=0xD7).contains(&w[1]))
    {
        Some(at) => {
            s.pos += at + 2;
            (true, s)
        }
        None => (false, s),
    }
}

mod position;
mod table;

pub(super) use table::Table;
#[cfg(test)]
mod tests;
