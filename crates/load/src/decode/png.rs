//! PNG: a chunk walk for the header, the `png` crate for the pixels.
//!
//! The walk reads IHDR (size, depth, colour type, interlace) and the
//! chunks up to the first IDAT, where an `eXIf` chunk gives the
//! orientation. The `png` crate decodes with `EXPAND` only (palette to
//! RGB(A), low bit depths to 8, `tRNS` to alpha), not `STRIP_16`, which
//! truncates: 16-bit samples are rounded here instead.

use super::pixels::{Layout, to_rgb};
use super::{ColorModel, DecodeError, Format, Header, Region, exif, fit};
use std::io::Cursor;

const SIGNATURE: usize = 8;

fn truncated(what: &str) -> DecodeError {
    DecodeError::Truncated {
        format: Format::Png,
        what: what.to_string(),
    }
}

fn corrupt(what: String) -> DecodeError {
    DecodeError::Corrupt {
        format: Format::Png,
        what,
    }
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

pub(super) fn probe(bytes: &[u8]) -> Result<Header, DecodeError> {
    let ihdr = bytes
        .get(SIGNATURE..SIGNATURE + 8 + 13)
        .ok_or_else(|| truncated("the header chunk is cut"))?;
    if &ihdr[4..8] != b"IHDR" || be32(ihdr, 0) != Some(13) {
        return Err(corrupt("the first chunk is not a 13-byte IHDR".into()));
    }
    let (width, height) = (be32(ihdr, 8).unwrap_or(0), be32(ihdr, 12).unwrap_or(0));
    let (depth, kind, interlace) = (ihdr[16], ihdr[17], ihdr[20]);
    if width == 0 || height == 0 || width > i32::MAX as u32 || height > i32::MAX as u32 {
        return Err(corrupt(format!("size {width}x{height}")));
    }
    let color = match (kind, depth) {
        (0, 1 | 2 | 4 | 8 | 16) => ColorModel::Gray,
        (2, 8 | 16) => ColorModel::Rgb,
        (3, 1 | 2 | 4 | 8) => ColorModel::Palette,
        (4, 8 | 16) => ColorModel::GrayAlpha,
        (6, 8 | 16) => ColorModel::Rgba,
        _ => {
            return Err(corrupt(format!(
                "colour type {kind} with bit depth {depth}"
            )));
        }
    };
    // Chunks up to the image data: the orientation, if any, is there.
    let mut at = SIGNATURE + 8 + 13 + 4;
    let mut orientation = None;
    while let (Some(len), Some(kind)) = (be32(bytes, at), bytes.get(at + 4..at + 8)) {
        if kind == b"IDAT" || kind == b"IEND" {
            break;
        }
        let len = len as usize;
        let Some(data) = bytes.get(at + 8..at + 8 + len) else {
            break;
        };
        if kind == b"eXIf" {
            orientation = exif::orientation(data);
        }
        at += 12 + len;
    }
    Ok(Header {
        format: Format::Png,
        width,
        height,
        orientation: orientation.unwrap_or_default(),
        color,
        bit_depth: depth,
        progressive: interlace != 0,
    })
}

fn decode_error(e: png::DecodingError) -> DecodeError {
    match e {
        png::DecodingError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            truncated("the image data ends early")
        }
        png::DecodingError::LimitsExceeded => DecodeError::OutOfMemory { bytes: usize::MAX },
        other => corrupt(other.to_string()),
    }
}

/// Decodes the stored pixels of `region` (the whole image when the
/// file is interlaced, whose rows come in seven passes) to RGB in `out`,
/// and returns the region delivered. Rows are inflated and unfiltered in
/// order (each is filtered against the one above), so the rows above the
/// region are decoded and dropped; decoding stops after its last row, and
/// only its columns are kept and converted.
pub(super) fn decode(
    bytes: &[u8],
    header: &Header,
    region: Region,
    out: &mut Vec<u8>,
    tmp: &mut Vec<u8>,
) -> Result<Region, DecodeError> {
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    // The pixel limit was checked on the header; this only bounds the
    // decoder's own buffers to what such an image needs (8 bytes a pixel).
    decoder.set_limits(png::Limits {
        bytes: usize::try_from(header.pixels().saturating_mul(8).saturating_add(1 << 20))
            .unwrap_or(usize::MAX),
    });
    let mut reader = decoder.read_info().map_err(decode_error)?;
    let (kind, depth) = reader.output_color_type();
    let info = reader.info();
    if (info.width, info.height) != (header.width, header.height) {
        return Err(corrupt("the decoder read another size".into()));
    }
    let whole = Region {
        x: 0,
        y: 0,
        width: header.width,
        height: header.height,
    };
    let region = if info.interlaced { whole } else { region };
    let layout = Layout {
        channels: kind.samples(),
        bytes: if depth == png::BitDepth::Sixteen {
            2
        } else {
            1
        },
    };
    let len = reader
        .output_buffer_size()
        .ok_or(DecodeError::OutOfMemory { bytes: usize::MAX })?;
    let pixels = header.width as usize * header.height as usize;
    if len != pixels * layout.channels * layout.bytes {
        return Err(corrupt("unexpected decoded row layout".into()));
    }
    let rgb8 = layout.channels == 3 && layout.bytes == 1;
    if region == whole {
        if rgb8 {
            fit(out, len)?;
            reader.next_frame(out).map_err(decode_error)?;
            return Ok(whole);
        }
        fit(tmp, len)?;
        reader.next_frame(tmp).map_err(decode_error)?;
        to_rgb(tmp, layout, pixels, out)?;
        return Ok(whole);
    }
    let step = layout.channels * layout.bytes;
    let (x0, y0) = (region.x as usize, region.y as usize);
    let (width, height) = (region.width as usize, region.height as usize);
    let kept = width * step;
    let target = if rgb8 { &mut *out } else { &mut *tmp };
    fit(target, kept * height)?;
    for y in 0..y0 + height {
        let row = reader
            .next_row()
            .map_err(decode_error)?
            .ok_or_else(|| truncated("the image data ends early"))?;
        if y < y0 {
            continue;
        }
        let columns = row
            .data()
            .get(x0 * step..x0 * step + kept)
            .ok_or_else(|| corrupt("unexpected decoded row layout".into()))?;
        target[(y - y0) * kept..][..kept].copy_from_slice(columns);
    }
    if !rgb8 {
        to_rgb(tmp, layout, width * height, out)?;
    }
    check_image_chunks(bytes)?;
    Ok(region)
}

/// Whether every chunk up to the end of the image data is whole and
/// passes its CRC, as a whole decode would have found: a region decode
/// stops inflating after the region's last row, and a file damaged or
/// cut below it should still fail (whatever region an epoch's crop
/// asks for), not load in one epoch and be skipped in the next. Damage
/// inside the compressed stream under intact CRCs is what it cannot see.
fn check_image_chunks(bytes: &[u8]) -> Result<(), DecodeError> {
    let mut at = SIGNATURE;
    let mut in_data = false;
    loop {
        let len = be32(bytes, at).ok_or_else(|| truncated("the image data ends early"))? as usize;
        let kind = bytes
            .get(at + 4..at + 8)
            .ok_or_else(|| truncated("a chunk is cut"))?;
        let is_data = kind == b"IDAT";
        if kind == b"IEND" || (in_data && !is_data) {
            return Ok(());
        }
        in_data |= is_data;
        let end = at.saturating_add(8).saturating_add(len);
        let body = bytes
            .get(at + 4..end)
            .ok_or_else(|| truncated("the image data ends early"))?;
        let crc = be32(bytes, end).ok_or_else(|| truncated("the image data ends early"))?;
        if crc32fast::hash(body) != crc {
            let name = String::from_utf8_lossy(&body[..4]).into_owned();
            return Err(corrupt(format!("the {name} chunk fails its CRC check")));
        }
        at = end + 4;
    }
}
