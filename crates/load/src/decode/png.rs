//! PNG: a chunk walk for the header, the `png` crate for the pixels.
//!
//! The walk reads IHDR (size, depth, colour type, interlace) and the
//! chunks up to the first IDAT, where an `eXIf` chunk gives the
//! orientation. The `png` crate decodes with `EXPAND` only (palette to
//! RGB(A), low bit depths to 8, `tRNS` to alpha), not `STRIP_16`, which
//! truncates: 16-bit samples are rounded here instead.

use super::pixels::{Layout, to_rgb};
use super::{ColorModel, DecodeError, Format, Header, exif, fit};
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

pub(super) fn decode(
    bytes: &[u8],
    header: &Header,
    out: &mut Vec<u8>,
    tmp: &mut Vec<u8>,
) -> Result<(), DecodeError> {
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
    if layout.channels == 3 && layout.bytes == 1 {
        fit(out, len)?;
        reader.next_frame(out).map_err(decode_error)?;
        return Ok(());
    }
    fit(tmp, len)?;
    reader.next_frame(tmp).map_err(decode_error)?;
    to_rgb(tmp, layout, pixels, out)
}
