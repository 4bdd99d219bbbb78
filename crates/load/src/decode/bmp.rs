//! BMP: the file and DIB headers read here, the `image` crate for pixels
//! ([`super::via_image`]).
//!
//! After the 14-byte file header (`BM`, size, pixel offset) comes the DIB
//! header, whose first field is its own size: 12 bytes (OS/2 `BITMAPCOREHEADER`,
//! 16-bit width and height) or 40 and more (`BITMAPINFOHEADER` and later:
//! signed 32-bit width and height, a negative height meaning rows stored
//! top-down). Bitmaps have no EXIF.

use super::{ColorModel, DecodeError, Format, Header, Orientation, via_image};
use image::codecs::bmp::BmpDecoder;

fn truncated(what: &str) -> DecodeError {
    DecodeError::Truncated {
        format: Format::Bmp,
        what: what.to_string(),
    }
}

fn corrupt(what: String) -> DecodeError {
    DecodeError::Corrupt {
        format: Format::Bmp,
        what,
    }
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

pub(super) fn probe(bytes: &[u8]) -> Result<Header, DecodeError> {
    let cut = || truncated("the header is cut");
    let dib = le32(bytes, 14).ok_or_else(cut)?;
    let (width, height, bits) = match dib {
        12 => (
            i64::from(le16(bytes, 18).ok_or_else(cut)?),
            i64::from(le16(bytes, 20).ok_or_else(cut)?),
            le16(bytes, 24).ok_or_else(cut)?,
        ),
        40.. => (
            i64::from(le32(bytes, 18).ok_or_else(cut)? as i32),
            i64::from(le32(bytes, 22).ok_or_else(cut)? as i32),
            le16(bytes, 28).ok_or_else(cut)?,
        ),
        other => return Err(corrupt(format!("DIB header size {other}"))),
    };
    let height = height.abs();
    if width <= 0 || height == 0 || width > i64::from(i32::MAX) || height > i64::from(i32::MAX) {
        return Err(corrupt(format!("size {width}x{height}")));
    }
    let color = match bits {
        1 | 2 | 4 | 8 => ColorModel::Palette,
        16 | 24 => ColorModel::Rgb,
        32 => ColorModel::Rgba,
        other => return Err(corrupt(format!("{other} bits per pixel"))),
    };
    Ok(Header {
        format: Format::Bmp,
        width: width as u32,
        height: height as u32,
        orientation: Orientation::Normal,
        color,
        bit_depth: bits as u8,
        progressive: false,
    })
}

pub(super) fn decode(
    bytes: &[u8],
    header: &Header,
    out: &mut Vec<u8>,
    tmp: &mut Vec<u8>,
) -> Result<(), DecodeError> {
    via_image::decode(Format::Bmp, bytes, BmpDecoder::new, header, out, tmp)
}
