//! Progressive JPEG (SOF2): scans that each carry a band of coefficients
//! (spectral selection) or one more bit of them (successive
//! approximation), for one component or, for DC, several. Every scan
//! covers the whole image, so the coefficients of every block down to the
//! region's last MCU row are kept (`Scratch::stored`) and refined scan by
//! scan; each scan stops after that row and the next marker is found by
//! its bytes. Then the region's MCU rows go through the same inverse DCT,
//! upsampling and colour conversion as a sequential file's.
//!
//! The decoding steps are the JPEG standard's (G.1.2), in libjpeg's
//! formulation (`jdphuff.c`): DC first and refinement, AC first with
//! end-of-band runs, AC refinement with correction bits. Quantisation
//! tables are latched per component at its first scan, as libjpeg does.

use super::super::huffman::{Bits, Table};
use super::{Frame, GROUP, LANES, NATURAL, Scratch, be16, corrupt, fit_i16, read_dht, read_dqt};
use crate::decode::DecodeError;

/// One scan's header.
struct Scan {
    /// Frame component indices, in the scan's order.
    components: [usize; 3],
    count: usize,
    dc: [usize; 3],
    ac: [usize; 3],
    /// Spectral selection `ss..=se` (zigzag positions).
    ss: usize,
    se: usize,
    /// Successive approximation: the bit position before (`ah`, 0 on a
    /// first scan) and in (`al`) this scan.
    ah: u32,
    al: u32,
}

/// What the segments between scans change.
struct Tables {
    quant: [[i32; 64]; 4],
    have_quant: [bool; 4],
    latched: [Option<[i32; 64]>; 3],
    built: [[bool; 4]; 2],
    restart_interval: usize,
}

/// Decodes every scan of the progressive file `bytes` into
/// `scratch.stored`, for MCU rows `0..rows`, and returns each component's
/// dequantisation table (latched at its first scan).
pub(super) fn decode_scans(
    bytes: &[u8],
    frame: &Frame,
    rows: usize,
    scratch: &mut Scratch,
) -> Result<[[i32; 64]; 3], DecodeError> {
    let mcus_x = frame.width.div_ceil(8 * frame.hmax);
    for (c, comp) in frame.components[..frame.count].iter().enumerate() {
        let blocks = mcus_x * comp.h * rows * comp.v;
        fit_i16(&mut scratch.stored[c], 64 * blocks)?;
        scratch.stored[c].fill(0);
    }
    let mut tables = Tables {
        quant: frame.quant,
        have_quant: [true; 4],
        latched: [None; 3],
        built: frame.built,
        restart_interval: frame.restart_interval,
    };
    // `at` is a segment's length field, `marker` its marker.
    let (mut at, mut marker) = (frame.data, 0xDA);
    loop {
        let len = be16(bytes, at)
            .filter(|&l| l >= 2)
            .ok_or_else(|| corrupt("a segment between scans is cut"))?;
        let segment = bytes
            .get(at + 2..at + len)
            .ok_or_else(|| corrupt("a segment between scans is cut"))?;
        let mut next = at + len;
        match marker {
            0xDA => next = scan(bytes, next, segment, frame, rows, scratch, &mut tables)?,
            0xC4 => read_dht(segment, scratch, &mut tables.built)?,
            0xDB => read_dqt(segment, &mut tables.quant, &mut tables.have_quant)?,
            0xDD => tables.restart_interval = be16(segment, 0).unwrap_or(0),
            _ => {}
        }
        match next_marker(bytes, next) {
            Some((m, after)) if m != 0xD9 => (marker, at) = (m, after),
            // The end of the image, or of the bytes: what the scans gave.
            _ => break,
        }
    }
    Ok(std::array::from_fn(|c| {
        tables.latched[c].unwrap_or(frame.quant[frame.components[c].quant & 3])
    }))
}

/// The next marker at or after `from` (skipping stuffed `FF 00`, restart
/// markers and fill bytes) and the offset just past it.
fn next_marker(bytes: &[u8], from: usize) -> Option<(u8, usize)> {
    let mut pos = from;
    loop {
        pos += bytes.get(pos..)?.iter().position(|&b| b == 0xFF)?;
        while bytes.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        match *bytes.get(pos + 1)? {
            0x00 | 0xD0..=0xD7 => pos += 2,
            m => return Some((m, pos + 2)),
        }
    }
}

fn scan_header(segment: &[u8], frame: &Frame, tables: &Tables) -> Result<Scan, DecodeError> {
    let bad = || corrupt("a progressive scan header is invalid");
    let [n, ref rest @ ..] = *segment else {
        return Err(bad());
    };
    let count = usize::from(n);
    if count == 0 || count > frame.count || rest.len() < 2 * count + 3 {
        return Err(bad());
    }
    let mut s = Scan {
        components: [0; 3],
        count,
        dc: [0; 3],
        ac: [0; 3],
        ss: usize::from(rest[2 * count]),
        se: usize::from(rest[2 * count + 1]),
        ah: u32::from(rest[2 * count + 2] >> 4),
        al: u32::from(rest[2 * count + 2] & 15),
    };
    for (i, spec) in rest[..2 * count].chunks_exact(2).enumerate() {
        let c = frame.components[..frame.count]
            .iter()
            .position(|comp| comp.id == spec[0])
            .ok_or_else(bad)?;
        if s.components[..i].contains(&c) {
            return Err(bad());
        }
        s.components[i] = c;
        s.dc[i] = usize::from(spec[1] >> 4);
        s.ac[i] = usize::from(spec[1] & 15);
    }
    let dc_scan = s.ss == 0;
    let band_ok = if dc_scan {
        s.se == 0
    } else {
        count == 1 && s.ss <= s.se && s.se <= 63
    };
    if !band_ok || s.al > 13 || s.ah > 13 {
        return Err(bad());
    }
    for i in 0..count {
        let needed = if dc_scan {
            s.ah != 0 || (s.dc[i] < 4 && tables.built[0][s.dc[i]])
        } else {
            s.ac[i] < 4 && tables.built[1][s.ac[i]]
        };
        if !needed {
            return Err(corrupt("a scan uses a Huffman table never defined"));
        }
    }
    Ok(s)
}

/// Decodes one scan whose entropy-coded data starts at `data`; returns
/// where to look for the next marker.
fn scan(
    bytes: &[u8],
    data: usize,
    segment: &[u8],
    frame: &Frame,
    rows: usize,
    scratch: &mut Scratch,
    tables: &mut Tables,
) -> Result<usize, DecodeError> {
    let s = scan_header(segment, frame, tables)?;
    for &c in &s.components[..s.count] {
        if tables.latched[c].is_none() {
            let id = frame.components[c].quant & 3;
            if !tables.have_quant[id] {
                return Err(corrupt("a component's quantisation table is missing"));
            }
            tables.latched[c] = Some(tables.quant[id]);
        }
    }
    let Scratch { dc, ac, stored, .. } = scratch;
    if s.ss == 0 && s.ah == 0 && !s.dc[..s.count].iter().all(|&t| dc[t & 3].fits_dc()) {
        return Err(corrupt(super::parse::DC_SYMBOL_OVER_15));
    }
    let mut bits = Bits::new(bytes, data);
    let mut predictors = [0i32; 3];
    let mut eobrun = 0u32;
    let interval = tables.restart_interval;
    let mut left = interval;
    let mut restart = |bits: &mut Bits, predictors: &mut [i32; 3], eobrun: &mut u32| {
        if interval > 0 {
            if left == 0 {
                if !bits.restart() {
                    return false;
                }
                *predictors = [0; 3];
                *eobrun = 0;
                left = interval;
            }
            left -= 1;
        }
        true
    };
    let mcus_x = frame.width.div_ceil(8 * frame.hmax);
    let one_block = |bits: &mut Bits,
                     i: usize,
                     block: &mut [i16],
                     predictors: &mut [i32; 3],
                     eobrun: &mut u32| {
        let Ok(block) = <&mut [i16; 64]>::try_from(block) else {
            return;
        };

        match (s.ss, s.ah) {
            (0, 0) => dc_first(bits, &dc[s.dc[i] & 3], block, &mut predictors[i], s.al),
            (0, _) => dc_refine(bits, block, s.al),
            // The AC scans on a local copy of the reader, which stays in
            // registers through the block's codes (`Bits::on_local`).
            (_, 0) => bits.on_local(|bits| {
                ac_first(bits, &ac[s.ac[i] & 3], block, (s.ss, s.se), s.al, eobrun)
            }),
            _ => bits.on_local(|bits| {
                ac_refine(bits, &ac[s.ac[i] & 3], block, (s.ss, s.se), s.al, eobrun)
            }),
        }
    };
    let missing = || corrupt("a restart marker is missing");
    let outside = || corrupt("a block outside the kept rows");
    if s.count > 1 {
        // Interleaved (DC only): MCUs as in a sequential scan.
        for my in 0..rows {
            for mx in 0..mcus_x {
                if !restart(&mut bits, &mut predictors, &mut eobrun) {
                    return Err(missing());
                }
                if bits.exhausted() {
                    // Past a marker in the data (damaged or cut): as
                    // libjpeg, the rest of the restart interval leaves its
                    // MCUs as they are.
                    continue;
                }
                for (i, &c) in s.components[..s.count].iter().enumerate() {
                    let comp = &frame.components[c];
                    let width = mcus_x * comp.h;
                    for by in 0..comp.v {
                        for bx in 0..comp.h {
                            let at = ((my * comp.v + by) * width + mx * comp.h + bx) * 64;
                            let block = stored[c].get_mut(at..at + 64).ok_or_else(outside)?;
                            one_block(&mut bits, i, block, &mut predictors, &mut eobrun);
                        }
                    }
                }
            }
        }
    } else {
        // One component: its own blocks in raster order, without the
        // MCU padding.
        let c = s.components[0];
        let comp = &frame.components[c];
        let samples = |side: usize, f: usize, max: usize| (side * f).div_ceil(max);
        let blocks_w = samples(frame.width, comp.h, frame.hmax).div_ceil(8);
        let blocks_h = samples(frame.height, comp.v, frame.vmax).div_ceil(8);
        let width = mcus_x * comp.h;
        for by in 0..blocks_h.min(rows * comp.v) {
            for bx in 0..blocks_w {
                if !restart(&mut bits, &mut predictors, &mut eobrun) {
                    return Err(missing());
                }
                if bits.exhausted() {
                    continue;
                }
                let at = (by * width + bx) * 64;
                let block = stored[c].get_mut(at..at + 64).ok_or_else(outside)?;
                one_block(&mut bits, 0, block, &mut predictors, &mut eobrun);
            }
        }
    }
    Ok(bits.position())
}

fn dc_first(bits: &mut Bits, table: &Table, block: &mut [i16; 64], predictor: &mut i32, al: u32) {
    bits.ensure(32);
    let size = u32::from(bits.symbol(table)).min(16);
    *predictor = predictor.wrapping_add(bits.value(size));
    block[0] = predictor.wrapping_shl(al) as i16;
}

fn dc_refine(bits: &mut Bits, block: &mut [i16; 64], al: u32) {
    bits.ensure(1);
    if bits.bits(1) != 0 {
        block[0] |= 1 << al;
    }
}

#[inline(always)]
fn ac_first(
    bits: &mut Bits,
    table: &Table,
    block: &mut [i16; 64],
    (ss, se): (usize, usize),
    al: u32,
    eobrun: &mut u32,
) {
    if *eobrun > 0 {
        *eobrun -= 1;
        return;
    }
    let mut k = ss;
    while k <= se {
        bits.ensure(32);
        let rs = bits.symbol(table);
        let (run, size) = (usize::from(rs >> 4), u32::from(rs & 15));
        if size != 0 {
            // A run past the last coefficient (damaged data) still takes
            // its magnitude bits and lands on the last coefficient, as in
            // libjpeg (whose zigzag table maps positions 64..=78 to 63).
            k += run;
            block[NATURAL[k.min(63)] & 63] = bits.value(size).wrapping_shl(al) as i16;
            k += 1;
        } else if run == 15 {
            k += 16;
        } else {
            // End of band here and in the next `2^run + bits - 1` blocks.
            let extra = bits.bits(run as u32);
            *eobrun = (1u32 << run) + extra - 1;
            break;
        }
    }
}

/// One correction bit for an already nonzero coefficient: a 1 moves it
/// one step of `2^al` away from zero (unless this scan already did).
#[inline(always)]
fn correct(bits: &mut Bits, coefficient: &mut i16, p1: i16, m1: i16) {
    bits.ensure(1);
    if bits.bits(1) != 0 && *coefficient & p1 == 0 {
        *coefficient = coefficient.wrapping_add(if *coefficient >= 0 { p1 } else { m1 });
    }
}

#[inline(always)]
fn ac_refine(
    bits: &mut Bits,
    table: &Table,
    block: &mut [i16; 64],
    (ss, se): (usize, usize),
    al: u32,
    eobrun: &mut u32,
) {
    let p1: i16 = 1 << al;
    let m1: i16 = -1 << al;
    let mut k = ss;
    if *eobrun == 0 {
        while k <= se {
            bits.ensure(32);
            let rs = bits.symbol(table);
            let mut run = i32::from(rs >> 4);
            let mut new = 0i16;
            if rs & 15 != 0 {
                new = if bits.bits(1) != 0 { p1 } else { m1 };
            } else if run != 15 {
                let extra = bits.bits(run as u32);
                *eobrun = (1u32 << run) + extra;
                break;
            }
            // Step over nonzero coefficients (correcting them) and `run`
            // zero ones, to the zero one the new value goes in.
            while k <= se {
                let coefficient = &mut block[NATURAL[k] & 63];
                if *coefficient != 0 {
                    correct(bits, coefficient, p1, m1);
                } else {
                    run -= 1;
                    if run < 0 {
                        break;
                    }
                }
                k += 1;
            }
            if new != 0 {
                // Past the band's end only in damaged data: as libjpeg,
                // position 64 is coefficient 63.
                block[NATURAL[k.min(63)] & 63] = new;
            }
            k += 1;
        }
    }
    if *eobrun > 0 {
        while k <= se {
            let coefficient = &mut block[NATURAL[k] & 63];
            if *coefficient != 0 {
                correct(bits, coefficient, p1, m1);
            }
            k += 1;
        }
        *eobrun -= 1;
    }
}

/// Copies MCU row `my`'s blocks of columns `mx0..mx1` from the kept
/// coefficients into the group layout the inverse DCT reads.
pub(super) fn gather_row(
    frame: &Frame,
    scratch: &mut Scratch,
    my: usize,
    (mx0, mx1): (usize, usize),
    groups: &[usize; 3],
) -> Result<(), DecodeError> {
    let mcus_x = frame.width.div_ceil(8 * frame.hmax);
    let Scratch {
        coefficients,
        stored,
        ..
    } = scratch;
    for (c, comp) in frame.components[..frame.count].iter().enumerate() {
        let width = mcus_x * comp.h;
        let out = &mut coefficients[c];
        out.fill(0);
        for by in 0..comp.v {
            let row = my * comp.v + by;
            for column in 0..(mx1 - mx0) * comp.h {
                let at = (row * width + mx0 * comp.h + column) * 64;
                let src = stored[c]
                    .get(at..at + 64)
                    .ok_or_else(|| corrupt("a block outside the kept rows"))?;
                let base = (by * groups[c] + column / LANES) * GROUP + column % LANES;
                let dst = out
                    .get_mut(base..base + 63 * LANES + 1)
                    .ok_or_else(|| corrupt("a block outside the coefficient rows"))?;
                for (k, &v) in src.iter().enumerate() {
                    dst[k * LANES] = v;
                }
            }
        }
    }
    Ok(())
}
