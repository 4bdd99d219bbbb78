//! BMP: the file and DIB headers read here, the `image` crate for pixels.
//!
//! After the 14-byte file header (`BM`, size, pixel offset) comes the DIB
//! header, whose first field is its own size: 12 bytes (OS/2 `BITMAPCOREHEADER`,
//! 16-bit width and height) or 40 and more (`BITMAPINFOHEADER` and later:
//! signed 32-bit width and height, a negative height meaning rows stored
//! top-down). Bitmaps have no EXIF.

use super::pixels::{Layout, to_rgb};
use super::{ColorModel, DecodeError, Format, Header, Orientation, fit};
use image::ImageDecoder;
use std::io::Cursor;

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

fn decode_error(e: image::ImageError) -> DecodeError {
    match e {
        image::ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            truncated("the pixel data ends early")
        }
        image::ImageError::Unsupported(u) => DecodeError::Unsupported {
            format: Format::Bmp,
            what: u.to_string(),
        },
        image::ImageError::Limits(_) => DecodeError::OutOfMemory { bytes: usize::MAX },
        other => corrupt(other.to_string()),
    }
}

pub(super) fn decode(
    bytes: &[u8],
    header: &Header,
    out: &mut Vec<u8>,
    tmp: &mut Vec<u8>,
) -> Result<(), DecodeError> {
    let decoder = image::codecs::bmp::BmpDecoder::new(Cursor::new(bytes)).map_err(decode_error)?;
    if decoder.dimensions() != (header.width, header.height) {
        return Err(corrupt("the decoder read another size".into()));
    }
    let channels = match decoder.color_type() {
        image::ColorType::L8 => 1,
        image::ColorType::La8 => 2,
        image::ColorType::Rgb8 => 3,
        image::ColorType::Rgba8 => 4,
        other => {
            return Err(DecodeError::Unsupported {
                format: Format::Bmp,
                what: format!("pixel type {other:?}"),
            });
        }
    };
    let len = usize::try_from(decoder.total_bytes())
        .map_err(|_| DecodeError::OutOfMemory { bytes: usize::MAX })?;
    let pixels = header.width as usize * header.height as usize;
    if len != pixels * channels {
        return Err(corrupt("unexpected decoded layout".into()));
    }
    if channels == 3 {
        fit(out, len)?;
        return decoder.read_image(out).map_err(decode_error);
    }
    fit(tmp, len)?;
    decoder.read_image(tmp).map_err(decode_error)?;
    let layout = Layout { channels, bytes: 1 };
    to_rgb(tmp, layout, pixels, out)
}
