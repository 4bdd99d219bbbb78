//! The bit reader and block decoding on hand-made scans: damaged data
//! read as libjpeg reads it.

use super::*;

/// `bits` (a string of 0s and 1s, padded with 0s) as scan bytes, with
/// an FF stuffed as encoders do.
fn scan(bits: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    for chunk in bits.as_bytes().chunks(8) {
        let byte = chunk
            .iter()
            .enumerate()
            .fold(0u8, |b, (i, &c)| b | (u8::from(c == b'1') << (7 - i)));
        bytes.push(byte);
        if byte == 0xFF {
            bytes.push(0);
        }
    }
    bytes.extend([0; 8]);
    bytes
}

/// A table whose codes all have `length` bits, for `symbols` in order.
fn table(length: usize, symbols: &[u8], ac: bool) -> Result<Table, Invalid> {
    let mut counts = [0u8; 16];
    counts[length - 1] = symbols.len() as u8;
    let mut table = Table::default();
    table.build(&counts, symbols, ac)?;
    Ok(table)
}

/// A damaged block whose zero run overshoots position 63: libjpeg
/// (whose zigzag table maps positions 64..=78 to 63) reads the
/// magnitude bits and stores the value at the last coefficient, on
/// the fast path (code and magnitude within one lookup) and the slow
/// one (a code longer than the lookahead) alike.
#[test]
fn a_run_past_the_block_lands_on_the_last_coefficient() -> Result<(), Invalid> {
    let dc = table(1, &[0x00], false)?;
    for length in [1usize, 12] {
        // Symbols 0xF1 (run 15, one magnitude bit) and 0x00 (EOB).
        let ac = table(length, &[0xF1, 0x00], true)?;
        let (f1, eob) = if length == 1 {
            ("0".to_string(), "1")
        } else {
            ("0".repeat(12), "000000000001")
        };
        // DC size 0; four runs of 15 with values 1, -1, 1, 1 (the last
        // overshoots to 64); then an EOB the block must not read.
        let bits = format!("0{f1}1{f1}0{f1}1{f1}1{eob}");
        let data = scan(&bits);
        let mut reader = Bits::new(&data, 0);
        let (mut predictor, mut stored) = (0, Vec::new());
        reader.block(&dc, &ac, &mut predictor, |k, v| stored.push((k, v)));
        assert_eq!(
            stored,
            [(0, 0), (16, 1), (32, -1), (48, 1), (63, 1)],
            "code length {length}"
        );
        // The reader stops after the overshooting value's bit, where
        // stepping over the block stops too.
        let mut skipper = Bits::new(&data, 0);
        let mut predictors = [0; 3];
        skipper.skip_mcus(1, &[(&dc, &ac, 1)], &mut predictors);
        let at = |b: &Bits| (b.s.pos, b.s.count, b.s.acc);
        assert_eq!(at(&reader), at(&skipper), "code length {length}");
        assert_eq!(predictors[0], predictor);
        assert_eq!(reader.symbol(&ac), 0x00, "the EOB after the block");
    }
    Ok(())
}

/// Bits that match no code (damaged data): libjpeg's canonical walk
/// stops at its sentinel length 17, having read 17 bits, and takes
/// symbol 0 (here the end of the block).
#[test]
fn bits_matching_no_code_take_17_bits_and_end_the_block() -> Result<(), Invalid> {
    let dc = table(1, &[0x00], false)?;
    // Two 12-bit codes, 0...00 and 0...01: a 1 starts no code.
    let ac = table(12, &[0xF1, 0x00], true)?;
    // DC size 0, then ones (no code), then the next block's DC.
    let data = scan(&format!("0{}0", "1".repeat(17)));
    let mut reader = Bits::new(&data, 0);
    let (mut predictor, mut stored) = (0, Vec::new());
    reader.block(&dc, &ac, &mut predictor, |k, v| stored.push((k, v)));
    assert_eq!(stored, [(0, 0)]);
    // 1 + 17 bits read: 2 bits into the third data byte, which is at
    // offset 3 (the second, FF, is stuffed with a 00).
    assert_eq!(reader.tell(), Some((3, 2)));
    Ok(())
}

/// DC differences of every size (0 to 15 bits, both signs), with codes
/// short enough for the one-lookup path and too long for it: each block
/// adds its difference to the predictor and stores it, and stepping over
/// the blocks reaches the same predictor and bit.
#[test]
fn dc_differences_of_every_size_on_both_paths() -> Result<(), Invalid> {
    let sizes: Vec<u8> = (0..=15).collect();
    let ac = table(1, &[0x00], true)?;
    for length in [4usize, 9] {
        let dc = table(length, &sizes, false)?;
        let (mut bits, mut want, mut predictor) = (String::new(), Vec::new(), 0i32);
        for size in 0..=15u32 {
            for negative in [false, true] {
                // Within the size's range, 2^(size-1) ..= 2^size - 1.
                let magnitude: i32 = if size == 0 {
                    0
                } else {
                    (1 << (size - 1)) + size as i32 - 1
                };
                let (value, raw) = match (size, negative) {
                    (0, _) => (0, String::new()),
                    (_, false) => (magnitude, format!("{magnitude:0w$b}", w = size as usize)),
                    // F.2.2.1: a negative value's bits are its one's complement.
                    (_, true) => (
                        -magnitude,
                        format!("{:0w$b}", ((1 << size) - 1) ^ magnitude, w = size as usize),
                    ),
                };
                bits += &format!("{size:0length$b}{raw}0");
                predictor += value;
                want.push(predictor);
            }
        }
        let data = scan(&bits);
        let blocks = want.len();
        let mut reader = Bits::new(&data, 0);
        let mut got = Vec::new();
        let mut p = 0;
        for _ in 0..blocks {
            reader.block(&dc, &ac, &mut p, |k, v| {
                if k == 0 {
                    got.push(v)
                }
            });
        }
        assert_eq!(got, want, "DC code length {length}");
        let mut skipper = Bits::new(&data, 0);
        let mut predictors = [0; 3];
        skipper.skip_mcus(blocks, &[(&dc, &ac, 1)], &mut predictors);
        assert_eq!(predictors[0], p, "DC code length {length}");
        assert_eq!(skipper.tell(), reader.tell(), "DC code length {length}");
    }
    Ok(())
}

/// AC values of every size (1 to 15 bits, both signs) after runs, a zero
/// run and the end of the block, with codes short enough for one lookup
/// of code and value (sizes up to 5), of the code alone (longer sizes),
/// and too long for either: each block stores its values at their
/// positions, and stepping over the blocks reaches the same bit.
#[test]
fn ac_values_runs_and_block_ends_on_every_path() -> Result<(), Invalid> {
    let dc = table(1, &[0x00], false)?;
    let sizes = 1..=15u8;
    // Symbol i has code i: EOB, the zero run, then each size after a
    // run of `size % 3`.
    let symbols: Vec<u8> = [0x00, 0xF0]
        .into_iter()
        .chain(sizes.clone().map(|s| (s % 3) << 4 | s))
        .collect();
    let code = |symbol: u8, length: usize| {
        let i = symbols.iter().position(|&s| s == symbol).unwrap_or(0);
        format!("{i:0length$b}")
    };
    let magnitude = |size: u8| (1i32 << (size - 1)) + i32::from(size) - 1;
    for length in [5usize, 12] {
        let ac = table(length, &symbols, true)?;
        let (mut bits, mut want) = (String::new(), Vec::new());
        for negative in [false, true] {
            // DC size 0, then the values, a zero run, one more value and
            // the end of the block.
            bits += "0";
            let mut block = vec![(0usize, 0i32)];
            let mut k = 1;
            let last = 15u8;
            for (size, run) in sizes
                .clone()
                .map(|s| (s, s % 3))
                .chain([(0, 15), (last, 0)])
            {
                if size == 0 {
                    bits += &code(0xF0, length);
                    k += 16;
                    continue;
                }
                let m = magnitude(size);
                let raw = if negative { ((1 << size) - 1) ^ m } else { m };
                bits += &code(run << 4 | size, length);
                bits += &format!("{raw:0w$b}", w = usize::from(size));
                k += usize::from(run);
                block.push((k, if negative { -m } else { m }));
                k += 1;
            }
            bits += &code(0x00, length);
            want.push(block);
        }
        let data = scan(&bits);
        let mut reader = Bits::new(&data, 0);
        let mut predictor = 0;
        for (b, block) in want.iter().enumerate() {
            let mut stored = Vec::new();
            reader.block(&dc, &ac, &mut predictor, |k, v| {
                // Zeros may land on positions not yet given.
                if v != 0 || k == 0 {
                    stored.push((k, v))
                }
            });
            assert_eq!(&stored, block, "code length {length}, block {b}");
        }
        let mut skipper = Bits::new(&data, 0);
        let mut predictors = [0; 3];
        skipper.skip_mcus(want.len(), &[(&dc, &ac, 1)], &mut predictors);
        assert_eq!(skipper.tell(), reader.tell(), "code length {length}");
        assert!(reader.tell().is_some_and(|(byte, _)| byte > 0));
    }
    Ok(())
}
