//! Building a Huffman table from a DHT segment: the canonical codes
//! (F.2.2.3's `maxcode` / `valoff`), the one-lookup tables of codes and
//! of codes with their values, and the several-codes table for stepping
//! over blocks. The reader in `huffman.rs` decodes with them.

use super::{
    CODE_ONLY, END_OF_BLOCK, ENTRIES, FULL, Invalid, LOOKAHEAD, SKIP_ENTRIES, SKIP_LOOKAHEAD,
    extend,
};

/// One Huffman table (DC or AC), built from a DHT segment's counts and
/// symbols.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    /// `length << 8 | symbol` of the code the next [`LOOKAHEAD`] bits
    /// start with; length 0 when that code is longer.
    pub(super) fast: Box<[u16; ENTRIES]>,
    /// `value << 16 | run << 8 | FULL | (code + magnitude bits)` where
    /// both fit in [`LOOKAHEAD`] bits: for DC tables (run 0) every
    /// difference, 0 included; for AC tables every symbol, the zero run
    /// (run 15, value 0) and the end of the block (run [`END_OF_BLOCK`],
    /// value 0) included, so that a block's last code also costs one
    /// lookup. Where only the code fits, `size << 16 | run << 8 |
    /// CODE_ONLY | code bits`, and the magnitude bits are read after it
    /// with no second lookup; 0 where the code is longer.
    pub(super) fast_value: Box<[i32; ENTRIES]>,
    /// AC only, for stepping over blocks: the codes (with their magnitude
    /// bits) that the next [`SKIP_LOOKAHEAD`] bits hold completely, as
    /// `eob << 15 | positions << 4 | bits`: the bits they take (at most
    /// 12), the coefficient positions they advance (`run + 1` each, 16 for
    /// a zero run; at most 6 codes of 2 bits, 96 positions) and whether
    /// the last is the end of the block; 0 where the first code does not
    /// fit. 16-bit entries keep both AC tables' within the L1 cache with
    /// the rest of the tables a skip reads.
    pub(super) skip: Box<[u16; SKIP_ENTRIES]>,
    /// Largest code of each length (1..=16), -1 where none; index 17 is a
    /// sentinel that ends the walk.
    pub(super) maxcode: [i32; 18],
    /// Index into `symbols` of a code of each length, minus the code.
    pub(super) valoff: [i32; 17],
    pub(super) symbols: [u8; 256],
    /// The largest symbol: a DC table's must be at most 15.
    largest: u8,
    /// What the table was last built from (class, counts, symbols), empty
    /// if nothing or a build failed: most JPEGs carry the standard tables
    /// (or their encoder's), so the next image's are usually the same and
    /// need no rebuilding.
    built_from: Vec<u8>,
}

impl Default for Table {
    fn default() -> Self {
        Table {
            fast: Box::new([0; ENTRIES]),
            fast_value: Box::new([0; ENTRIES]),
            skip: Box::new([0; SKIP_ENTRIES]),
            maxcode: [-1; 18],
            valoff: [0; 17],
            symbols: [0; 256],
            largest: 0,
            built_from: Vec::new(),
        }
    }
}

impl Table {
    /// Rebuilds this table from `counts` (codes of each length 1..=16)
    /// and `symbols`, reusing its memory.
    pub(crate) fn build(
        &mut self,
        counts: &[u8; 16],
        symbols: &[u8],
        ac: bool,
    ) -> Result<(), Invalid> {
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        if total > 256 || symbols.len() < total {
            return Err("a Huffman table has more than 256 codes");
        }
        let source = [&[u8::from(ac)][..], counts, &symbols[..total]];
        if self.built_from.iter().eq(source.iter().copied().flatten()) {
            return Ok(());
        }
        self.built_from.clear();
        self.fast.fill(0);
        self.fast_value.fill(0);
        self.maxcode = [-1; 18];
        self.valoff = [0; 17];
        self.symbols = [0; 256];
        self.symbols[..total].copy_from_slice(&symbols[..total]);
        self.largest = symbols[..total].iter().copied().max().unwrap_or(0);
        let mut code: i32 = 0;
        let mut k: usize = 0;
        for length in 1..=16u32 {
            let n = usize::from(counts[length as usize - 1]);
            self.valoff[length as usize] = k as i32 - code;
            for _ in 0..n {
                if code >= 1 << length {
                    return Err("a Huffman table's codes overflow their lengths");
                }
                if length <= LOOKAHEAD {
                    let shift = LOOKAHEAD - length;
                    let first = (code as usize) << shift;
                    let symbol = self.symbols[k];
                    for p in first..first + (1 << shift) {
                        self.fast[p] = ((length as u16) << 8) | u16::from(symbol);
                        let mut run = i32::from(symbol >> 4);
                        let size = u32::from(symbol & 15);
                        if ac && size == 0 && run != 15 {
                            // The end of the block (in a sequential scan,
                            // every size-0 symbol but the zero run ends
                            // it): a run to past the last position.
                            run = END_OF_BLOCK;
                        }
                        // A DC symbol is the difference's size alone; an
                        // AC symbol of size 0 has the value 0.
                        let has_value = ac || symbol <= 15;
                        if has_value && length + size <= LOOKAHEAD {
                            let raw =
                                ((p >> (LOOKAHEAD - length - size)) & ((1 << size) - 1)) as i32;
                            let value = if size == 0 { 0 } else { extend(raw, size) };
                            self.fast_value[p] =
                                (value << 16) | (run << 8) | FULL | (length + size) as i32;
                        } else if has_value {
                            // The code fits, its magnitude bits not: the
                            // size they take instead of the value.
                            self.fast_value[p] =
                                ((size as i32) << 16) | (run << 8) | CODE_ONLY | length as i32;
                        }
                    }
                }
                code += 1;
                k += 1;
            }
            self.maxcode[length as usize] = if n > 0 { code - 1 } else { -1 };
            code <<= 1;
        }
        self.maxcode[17] = i32::MAX;
        if ac {
            self.build_skip();
        }
        self.built_from.extend(source.iter().copied().flatten());
        Ok(())
    }

    /// Whether the table can code DC differences: as libjpeg, which
    /// refuses a scan whose DC table has a symbol over 15 (a difference
    /// of more than 15 bits).
    pub(crate) fn fits_dc(&self) -> bool {
        self.largest <= 15
    }

    /// Fills [`Table::skip`] from the one-code table: each entry chains
    /// lookups of the bits left after the codes before.
    fn build_skip(&mut self) {
        for (p, entry) in self.skip.iter_mut().enumerate() {
            let (mut used, mut positions, mut eob) = (0u32, 0u32, false);
            while used < SKIP_LOOKAHEAD {
                let rest = (p << used) & (SKIP_ENTRIES - 1);
                let fast = self.fast[rest >> (SKIP_LOOKAHEAD - LOOKAHEAD)];
                let length = u32::from(fast >> 8);
                if length == 0 || length > SKIP_LOOKAHEAD - used {
                    break;
                }
                let (run, size) = (u32::from((fast as u8) >> 4), u32::from(fast & 15));
                if size == 0 {
                    match run {
                        15 => {
                            used += length;
                            positions += 16;
                            continue;
                        }
                        0 => {
                            used += length;
                            eob = true;
                        }
                        // Not a baseline symbol: left to the one-code path.
                        _ => {}
                    }
                    break;
                }
                if length + size > SKIP_LOOKAHEAD - used {
                    break;
                }
                used += length + size;
                positions += run + 1;
            }
            *entry = if used == 0 {
                0
            } else {
                (u16::from(eob) << 15) | (positions as u16) << 4 | used as u16
            };
        }
    }
}
