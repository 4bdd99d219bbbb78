//! WebP: a RIFF walk for the header, `image-webp` for the pixels.
//!
//! The first chunk says the kind: `VP8 ` (lossy: a 14-bit width and height
//! after the start code `9D 01 2A`), `VP8L` (lossless: signature `2F`, then
//! 14-bit width - 1, height - 1 and an alpha bit) or `VP8X` (extended:
//! flags, then 24-bit canvas width - 1 and height - 1); an extended file's
//! `EXIF` chunk gives the orientation. Animations decode their first frame.

use super::pixels::{Layout, to_rgb};
use super::{ColorModel, DecodeError, Format, Header, exif, fit};
use std::io::Cursor;

fn truncated(what: &str) -> DecodeError {
    DecodeError::Truncated {
        format: Format::WebP,
        what: what.to_string(),
    }
}

fn corrupt(what: String) -> DecodeError {
    DecodeError::Corrupt {
        format: Format::WebP,
        what,
    }
}

fn le(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    Some(s.iter().rev().fold(0, |acc, &x| (acc << 8) | u32::from(x)))
}

pub(super) fn probe(bytes: &[u8]) -> Result<Header, DecodeError> {
    let cut = || truncated("the header is cut");
    let kind = bytes.get(12..16).ok_or_else(cut)?;
    let data = 20;
    let (width, height, alpha, extended) = match kind {
        b"VP8 " => {
            if bytes.get(data + 3..data + 6).ok_or_else(cut)? != [0x9D, 0x01, 0x2A] {
                return Err(corrupt("no VP8 start code".into()));
            }
            let w = le(bytes, data + 6, 2).ok_or_else(cut)? & 0x3FFF;
            let h = le(bytes, data + 8, 2).ok_or_else(cut)? & 0x3FFF;
            (w, h, false, false)
        }
        b"VP8L" => {
            if bytes.get(data) != Some(&0x2F) {
                return Err(corrupt("no VP8L signature".into()));
            }
            let bits = le(bytes, data + 1, 4).ok_or_else(cut)?;
            (
                (bits & 0x3FFF) + 1,
                ((bits >> 14) & 0x3FFF) + 1,
                (bits >> 28) & 1 == 1,
                false,
            )
        }
        b"VP8X" => {
            let flags = *bytes.get(data).ok_or_else(cut)?;
            let w = le(bytes, data + 4, 3).ok_or_else(cut)? + 1;
            let h = le(bytes, data + 7, 3).ok_or_else(cut)? + 1;
            (w, h, flags & 0x10 != 0, true)
        }
        other => {
            return Err(corrupt(format!(
                "first chunk {:?} is not VP8, VP8L or VP8X",
                String::from_utf8_lossy(other)
            )));
        }
    };
    if width == 0 || height == 0 {
        return Err(corrupt(format!("size {width}x{height}")));
    }
    let mut orientation = None;
    if extended {
        let mut at = 12;
        while let (Some(kind), Some(len)) = (bytes.get(at..at + 4), le(bytes, at + 4, 4)) {
            let len = len as usize;
            let Some(chunk) = bytes.get(at + 8..at + 8 + len) else {
                break;
            };
            if kind == b"EXIF" {
                orientation = exif::orientation(chunk);
                break;
            }
            at += 8 + len + (len & 1);
        }
    }
    Ok(Header {
        format: Format::WebP,
        width,
        height,
        orientation: orientation.unwrap_or_default(),
        color: if alpha {
            ColorModel::Rgba
        } else {
            ColorModel::Rgb
        },
        bit_depth: 8,
        progressive: false,
    })
}

fn decode_error(e: image_webp::DecodingError) -> DecodeError {
    match e {
        image_webp::DecodingError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            truncated("the image data ends early")
        }
        other => corrupt(other.to_string()),
    }
}

pub(super) fn decode(
    bytes: &[u8],
    header: &Header,
    out: &mut Vec<u8>,
    tmp: &mut Vec<u8>,
) -> Result<(), DecodeError> {
    let mut decoder = image_webp::WebPDecoder::new(Cursor::new(bytes)).map_err(decode_error)?;
    if decoder.dimensions() != (header.width, header.height) {
        return Err(corrupt("the decoder read another size".into()));
    }
    let pixels = header.width as usize * header.height as usize;
    let len = decoder
        .output_buffer_size()
        .ok_or(DecodeError::OutOfMemory { bytes: usize::MAX })?;
    if !decoder.has_alpha() {
        fit(out, len)?;
        return decoder.read_image(out).map_err(decode_error);
    }
    fit(tmp, len)?;
    decoder.read_image(tmp).map_err(decode_error)?;
    let layout = Layout {
        channels: 4,
        bytes: 1,
    };
    to_rgb(tmp, layout, pixels, out)
}
