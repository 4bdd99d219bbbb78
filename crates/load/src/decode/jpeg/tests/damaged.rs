//! Damaged scans: decoded as libjpeg decodes them, and a region the same
//! pixels as that rectangle of the whole image.

use super::Result;
use crate::decode::{DecodeBuffer, Region, Request, decode};

/// Damaged data, where a run can overshoot the block: stepping over a
/// block (above and left of a region) must leave the reader where decoding
/// it does, or a region of a damaged file would not be the same pixels of
/// its whole image (nor a decode through a seek index the plain decode).
#[test]
fn a_damaged_scan_decodes_its_regions_as_the_same_pixels_of_its_whole_image() -> Result {
    let (w, h) = (16usize, 40usize);
    let gray: Vec<u8> = (0..w * h).map(|i| ((i * 37) % 251) as u8).collect();
    // Without restart intervals, and with one every MCU (where intervals
    // outside the region are found by scanning for their markers).
    for restart in [0u16, 1] {
        damaged_regions(&gray, (w, h), restart)?;
    }
    Ok(())
}

/// `gray` encoded (with a restart marker every `restart` MCUs, if any),
/// then damaged one byte of its scan at a time: each copy that decodes
/// gives its lower-right region as the same pixels of its whole image.
fn damaged_regions(gray: &[u8], (w, h): (usize, usize), restart: u16) -> Result {
    let mut bytes = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut bytes, 75);
    if restart > 0 {
        encoder.set_restart_interval(restart);
    }
    encoder.encode(gray, w as u16, h as u16, jpeg_encoder::ColorType::Luma)?;
    let scan = bytes
        .windows(2)
        .rposition(|m| m == [0xFF, 0xDA])
        .ok_or("no scan")?
        + 10;
    let region = Region {
        x: 8,
        y: 20,
        width: 8,
        height: 20,
    };
    let (mut whole_buffer, mut part) = (DecodeBuffer::new(), DecodeBuffer::new());
    let mut compared = 0;
    for at in scan..bytes.len() - 2 {
        for flip in [0x01u8, 0x10, 0x5A, 0xC3] {
            let mut damaged = bytes.clone();
            damaged[at] ^= flip;
            let (Ok(_), Ok(_)) = (
                decode(&damaged, &Request::new(), &mut whole_buffer),
                decode(&damaged, &Request::new().region(region), &mut part),
            ) else {
                continue;
            };
            let full = whole_buffer.as_slice();
            for row in 0..20 {
                let want = &full[3 * ((20 + row) * w + 8)..][..3 * 8];
                let got = &part.as_slice()[3 * row * 8..][..3 * 8];
                assert_eq!(
                    got, want,
                    "restart {restart}: byte {at} ^ {flip:#x}, row {row}"
                );
            }
            compared += 1;
        }
    }
    assert!(compared > 100, "{compared} damaged files decoded");
    Ok(())
}

/// A scan cut short by a marker (here an EOI where data should go on):
/// libjpeg leaves every MCU after the one the data ran out in all zeros,
/// uniform gray, rather than decoding the zero bits it supplies; so must
/// ours, in a whole decode and a region alike.
#[test]
fn a_scan_cut_by_a_marker_ends_in_uniform_gray() -> Result {
    let (w, h) = (64usize, 64usize);
    let gray: Vec<u8> = (0..w * h).map(|i| (200 + (i % w) / 8) as u8).collect();
    let mut bytes = Vec::new();
    jpeg_encoder::Encoder::new(&mut bytes, 90).encode(
        &gray,
        w as u16,
        h as u16,
        jpeg_encoder::ColorType::Luma,
    )?;
    let scan = bytes
        .windows(2)
        .rposition(|m| m == [0xFF, 0xDA])
        .ok_or("no scan")?
        + 10;
    let mut cut = bytes[..scan + (bytes.len() - scan) / 3].to_vec();
    cut.extend([0xFF, 0xD9]);
    let mut out = DecodeBuffer::new();
    decode(&cut, &Request::new(), &mut out)?;
    let px = out.as_slice();
    let row = |y: usize| &px[3 * w * y..3 * w * (y + 1)];
    assert!(row(0).iter().all(|&v| v >= 190), "the first row decodes");
    for y in h - 16..h {
        assert!(
            row(y).iter().all(|&v| v == 128),
            "row {y}: {:?}",
            &row(y)[..6]
        );
    }
    let region = Region {
        x: 16,
        y: 40,
        width: 32,
        height: 24,
    };
    let mut part = DecodeBuffer::new();
    decode(&cut, &Request::new().region(region), &mut part)?;
    for (r, got) in part.as_slice().chunks_exact(3 * 32).enumerate() {
        assert_eq!(got, &row(40 + r)[3 * 16..3 * 48], "region row {r}");
    }
    Ok(())
}

/// A DC table with a symbol over 15 (a difference of more than 15 bits,
/// which no 8-bit image has) makes libjpeg refuse the scan that uses it;
/// so does ours, sequential or progressive, rather than decode garbage.
#[test]
fn a_dc_table_with_a_symbol_over_15_is_refused() -> Result {
    let gray: Vec<u8> = (0..32 * 24).map(|i| (i * 7 % 256) as u8).collect();
    for progressive in [false, true] {
        let mut bytes = Vec::new();
        let mut encoder = jpeg_encoder::Encoder::new(&mut bytes, 80);
        encoder.set_progressive(progressive);
        encoder.encode(&gray, 32, 24, jpeg_encoder::ColorType::Luma)?;
        decode(&bytes, &Request::new(), &mut DecodeBuffer::new())?;
        // Every DC table's last symbol becomes 16.
        let mut at = 2;
        let mut changed = 0;
        while at + 4 <= bytes.len() && bytes[at] == 0xFF && bytes[at + 1] != 0xDA {
            let len = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
            if bytes[at + 1] == 0xC4 {
                let mut t = at + 4;
                while t < at + 2 + len {
                    let n: usize = bytes[t + 1..t + 17].iter().map(|&c| usize::from(c)).sum();
                    if bytes[t] >> 4 == 0 && n > 0 {
                        bytes[t + 16 + n] = 16;
                        changed += 1;
                    }
                    t += 17 + n;
                }
            }
            at += 2 + len;
        }
        assert!(changed > 0, "no DC table found");
        let error = decode(&bytes, &Request::new(), &mut DecodeBuffer::new())
            .err()
            .ok_or("a DC symbol of 16 decoded")?;
        assert!(error.to_string().contains("over 15"), "{error}");
    }
    Ok(())
}
