//! The segments before the first scan: frame and scan headers, Huffman
//! and quantisation tables, restart interval; whether this decoder takes
//! the file.

use super::{Component, Frame, NATURAL, Scratch, corrupt};
use crate::decode::DecodeError;

pub(super) fn be16(bytes: &[u8], at: usize) -> Option<usize> {
    bytes
        .get(at..at + 2)
        .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
}

/// Reads the segments up to the first scan into `scratch`'s tables;
/// `None` if the file is not one this decoder takes.
pub(super) fn parse(bytes: &[u8], scratch: &mut Scratch) -> Result<Option<Frame>, DecodeError> {
    let mut quant = [[0i32; 64]; 4];
    let mut have_quant = [false; 4];
    let mut built = [[false; 4]; 2];
    let mut components = [Component::default(); 3];
    let mut count = 0;
    let mut size = None;
    let mut restart_interval = 0;
    let mut adobe_rgb = false;
    let mut progressive = false;
    let mut pos = 2;
    loop {
        let Some(ff) = bytes
            .get(pos..)
            .and_then(|rest| rest.iter().position(|&b| b == 0xFF))
        else {
            return Ok(None);
        };
        pos += ff;
        while bytes.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let Some(&marker) = bytes.get(pos) else {
            return Ok(None);
        };
        pos += 1;
        if matches!(marker, 0x00 | 0x01 | 0xD0..=0xD8) {
            continue;
        }
        let Some(len) = be16(bytes, pos).filter(|&l| l >= 2) else {
            return Ok(None);
        };
        let Some(segment) = bytes.get(pos + 2..pos + len) else {
            return Ok(None);
        };
        match marker {
            0xC0..=0xC2 => {
                progressive = marker == 0xC2;
                let [8, h0, h1, w0, w1, n, ref rest @ ..] = *segment else {
                    return Ok(None);
                };
                count = usize::from(n);
                if !matches!(count, 1 | 3) || rest.len() < 3 * count || size.is_some() {
                    return Ok(None);
                }
                for (c, spec) in components.iter_mut().zip(rest.chunks_exact(3)) {
                    *c = Component {
                        id: spec[0],
                        h: usize::from(spec[1] >> 4),
                        v: usize::from(spec[1] & 15),
                        quant: usize::from(spec[2]),
                        ..Component::default()
                    };
                }
                size = Some((
                    usize::from(u16::from_be_bytes([w0, w1])),
                    usize::from(u16::from_be_bytes([h0, h1])),
                ));
            }
            // Lossless, hierarchical, arithmetic: not here.
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return Ok(None),
            0xC4 => read_dht(segment, scratch, &mut built)?,
            0xDB => read_dqt(segment, &mut quant, &mut have_quant)?,
            0xDD => restart_interval = be16(segment, 0).unwrap_or(0),
            0xEE if segment.starts_with(b"Adobe") && segment.get(11) == Some(&0) => {
                adobe_rgb = true
            }
            0xDA => {
                let Some((width, height)) = size else {
                    return Ok(None);
                };
                if !progressive {
                    let [n, ref rest @ ..] = *segment else {
                        return Ok(None);
                    };
                    if usize::from(n) != count || rest.len() < 2 * count + 3 {
                        return Ok(None);
                    }
                    // Sequential: spectral selection 0..=63, no successive approximation.
                    if rest[2 * count..2 * count + 3] != [0, 63, 0] {
                        return Ok(None);
                    }
                    // The MCU interleaves blocks in the scan's order: this
                    // decoder takes the frame's order only.
                    for (c, spec) in components[..count]
                        .iter_mut()
                        .zip(rest[..2 * count].chunks_exact(2))
                    {
                        if c.id != spec[0] {
                            return Ok(None);
                        }
                        c.dc = usize::from(spec[1] >> 4);
                        c.ac = usize::from(spec[1] & 15);
                    }
                }
                // A progressive file's scans name their tables one by one
                // (`progressive.rs` checks them).
                let usable = |c: &Component| {
                    c.quant < 4
                        && have_quant[c.quant]
                        && (progressive
                            || (c.dc < 4 && c.ac < 4 && built[0][c.dc] && built[1][c.ac]))
                        && (1..=4).contains(&c.h)
                        && (1..=4).contains(&c.v)
                };
                if width == 0 || height == 0 || !components[..count].iter().all(usable) {
                    return Ok(None);
                }
                if !progressive
                    && !components[..count]
                        .iter()
                        .all(|c| scratch.dc[c.dc].fits_dc())
                {
                    return Err(corrupt(DC_SYMBOL_OVER_15));
                }
                let (hmax, vmax) = if count == 1 {
                    // One component: one block per MCU whatever its factors.
                    components[0].h = 1;
                    components[0].v = 1;
                    (1, 1)
                } else {
                    let [y, cb, cr] = components;
                    let chroma_ok = (cb.h, cb.v, cr.h, cr.v) == (1, 1, 1, 1);
                    let luma_ok = matches!((y.h, y.v), (1, 1) | (2, 1) | (2, 2));
                    // libjpeg reads components named R, G, B as RGB.
                    let rgb = adobe_rgb || (y.id, cb.id, cr.id) == (b'R', b'G', b'B');
                    if !chroma_ok || !luma_ok || rgb {
                        return Ok(None);
                    }
                    (y.h, y.v)
                };
                return Ok(Some(Frame {
                    width,
                    height,
                    components,
                    count,
                    hmax,
                    vmax,
                    restart_interval,
                    data: if progressive { pos } else { pos + len },
                    quant,
                    progressive,
                    built,
                }));
            }
            0xD9 => return Ok(None),
            _ => {}
        }
        pos += len;
    }
}

/// Why a scan whose DC table codes differences of more than 15 bits is
/// refused (as libjpeg refuses it).
pub(super) const DC_SYMBOL_OVER_15: &str = "a scan's DC Huffman table has a symbol over 15";

/// Builds the Huffman tables of a DHT segment into `scratch`.
pub(super) fn read_dht(
    segment: &[u8],
    scratch: &mut Scratch,
    built: &mut [[bool; 4]; 2],
) -> Result<(), DecodeError> {
    let mut rest = segment;
    while let [class_id, ref tail @ ..] = *rest {
        let (class, id) = (usize::from(class_id >> 4), usize::from(class_id & 15));
        let Some(counts) = tail.get(..16) else {
            return Err(corrupt("a Huffman table is cut"));
        };
        let counts: [u8; 16] = std::array::from_fn(|i| counts[i]);
        let n: usize = counts.iter().map(|&c| usize::from(c)).sum();
        let Some(symbols) = tail.get(16..16 + n) else {
            return Err(corrupt("a Huffman table is cut"));
        };
        if class > 1 || id > 3 {
            return Err(corrupt("a Huffman table with a bad class or number"));
        }
        let table = if class == 0 {
            &mut scratch.dc[id]
        } else {
            &mut scratch.ac[id]
        };
        table.build(&counts, symbols, class == 1).map_err(corrupt)?;
        built[class][id] = true;
        rest = &tail[16 + n..];
    }
    Ok(())
}

/// Reads the quantisation tables of a DQT segment, in natural order.
pub(super) fn read_dqt(
    segment: &[u8],
    quant: &mut [[i32; 64]; 4],
    have: &mut [bool; 4],
) -> Result<(), DecodeError> {
    let mut rest = segment;
    while let [precision_id, ref tail @ ..] = *rest {
        let (wide, id) = (precision_id >> 4 != 0, usize::from(precision_id & 15));
        let bytes_per = if wide { 2 } else { 1 };
        let Some(values) = tail.get(..64 * bytes_per) else {
            return Err(corrupt("a quantisation table is cut"));
        };
        if id > 3 {
            return Err(corrupt("a quantisation table with a bad number"));
        }
        for (k, &natural) in NATURAL.iter().enumerate() {
            quant[id][natural] = if wide {
                i32::from(u16::from_be_bytes([values[2 * k], values[2 * k + 1]]))
            } else {
                i32::from(values[k])
            };
        }
        have[id] = true;
        rest = &tail[64 * bytes_per..];
    }
    Ok(())
}
