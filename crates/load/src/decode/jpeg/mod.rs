//! JPEG: a marker walk for the header; the pixels from the in-tree
//! decoder for the common files, sequential and progressive
//! (`baseline.rs`: only the region and at the scale asked for), from
//! zune-jpeg (the whole image) for the rest.
//!
//! The walk reads segments from SOI to the first SOS: the frame header
//! (SOF0/1 sequential, SOF2 progressive; the lossless, hierarchical and
//! arithmetic-coded SOFs are refused as unsupported), APP1 `Exif` for the
//! orientation and APP14 `Adobe` for the colour transform (0: RGB with
//! three components, CMYK with four; 2: YCCK). zune-jpeg then decodes
//! straight into the caller's buffer as RGB, converting gray, CMYK and
//! YCCK itself. A file whose bytes after the first scan hold no EOI
//! marker is truncated: entropy-coded data cannot contain `FF D9` (every
//! `FF` in it is followed by `00` or a restart marker), so the last
//! `FF D9` after the first SOS is the real end of the image.

mod baseline;
mod color;
mod huffman;
mod idct;
mod seek;
#[cfg(test)]
mod tests;

pub(crate) use baseline::Scratch;
pub use seek::SeekIndex;

use super::{ColorModel, DecodeError, Format, Header, Orientation, Region, exif, fit, image_len};
use zune_jpeg::JpegDecoder;
use zune_jpeg::errors::DecodeErrors;
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;

fn truncated(what: &str) -> DecodeError {
    DecodeError::Truncated {
        format: Format::Jpeg,
        what: what.to_string(),
    }
}

fn corrupt(what: String) -> DecodeError {
    DecodeError::Corrupt {
        format: Format::Jpeg,
        what,
    }
}

fn unsupported(what: String) -> DecodeError {
    DecodeError::Unsupported {
        format: Format::Jpeg,
        what,
    }
}

/// The frame header's fields the loader needs.
struct Frame {
    width: u16,
    height: u16,
    /// Components: 1, 3 or 4.
    count: usize,
    progressive: bool,
}

/// The header and the offset of the first SOS marker.
pub(super) fn probe(bytes: &[u8]) -> Result<(Header, usize), DecodeError> {
    let mut pos = 2;
    let mut orientation = None;
    let mut adobe = None;
    let mut frame: Option<Frame> = None;
    loop {
        // Skip to the next marker: stray bytes between segments are
        // tolerated (as libjpeg and zune-jpeg do), fill bytes FF FF too.
        let rest = bytes
            .get(pos..)
            .ok_or_else(|| truncated("the header ends before the image data"))?;
        let ff = rest
            .iter()
            .position(|&b| b == 0xFF)
            .ok_or_else(|| truncated("the header ends before the image data"))?;
        pos += ff;
        while bytes.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let marker = *bytes
            .get(pos)
            .ok_or_else(|| truncated("the header ends before the image data"))?;
        let at = pos - 1;
        pos += 1;
        match marker {
            // Standalone markers: no length.
            0x00 | 0x01 | 0xD0..=0xD8 => continue,
            0xD9 => return Err(corrupt("end of image before the first scan".into())),
            0xDA => {
                let frame =
                    frame.ok_or_else(|| corrupt("a scan before the frame header".into()))?;
                return header(frame, orientation, adobe).map(|h| (h, at));
            }
            _ => {}
        }
        let len = bytes
            .get(pos..pos + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
            .ok_or_else(|| truncated("a segment header is cut"))?;
        if len < 2 {
            return Err(corrupt(format!(
                "segment FF{marker:02X} at byte {at} has length {len}"
            )));
        }
        let segment = bytes
            .get(pos + 2..pos + len)
            .ok_or_else(|| truncated("a header segment is cut"))?;
        match marker {
            0xE1 if orientation.is_none() && segment.starts_with(b"Exif\0\0") => {
                orientation = exif::orientation(segment);
            }
            0xEE if segment.starts_with(b"Adobe") && segment.len() >= 12 => {
                adobe = Some(segment[11]);
            }
            0xC0..=0xC2 if frame.is_none() => {
                frame = Some(frame_header(segment, marker == 0xC2)?);
            }
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                let what = match marker {
                    0xC3 => "lossless coding (SOF3)",
                    0xC5..=0xC7 => "hierarchical coding",
                    _ => "arithmetic coding",
                };
                return Err(unsupported(what.to_string()));
            }
            _ => {}
        }
        pos += len;
    }
}

fn frame_header(segment: &[u8], progressive: bool) -> Result<Frame, DecodeError> {
    let [precision, h0, h1, w0, w1, n, ..] = *segment else {
        return Err(truncated("the frame header is cut"));
    };
    if precision != 8 {
        return Err(unsupported(format!("{precision}-bit samples")));
    }
    let count = usize::from(n);
    if !matches!(count, 1 | 3 | 4) {
        return Err(unsupported(format!("{count} components")));
    }
    if segment.len() < 6 + 3 * count {
        return Err(truncated("the frame header is cut"));
    }
    Ok(Frame {
        width: u16::from_be_bytes([w0, w1]),
        height: u16::from_be_bytes([h0, h1]),
        count,
        progressive,
    })
}

fn header(
    frame: Frame,
    orientation: Option<Orientation>,
    adobe: Option<u8>,
) -> Result<Header, DecodeError> {
    if frame.width == 0 {
        return Err(corrupt("width 0".into()));
    }
    if frame.height == 0 {
        return Err(unsupported("a height given by a DNL marker".into()));
    }
    // Three components are RGB or YCbCr: both arrive as RGB.
    let color = match (frame.count, adobe) {
        (1, _) => ColorModel::Gray,
        (3, _) => ColorModel::Rgb,
        (_, Some(2)) => ColorModel::Ycck,
        _ => ColorModel::Cmyk,
    };
    Ok(Header {
        format: Format::Jpeg,
        width: u32::from(frame.width),
        height: u32::from(frame.height),
        orientation: orientation.unwrap_or_default(),
        color,
        bit_depth: 8,
        progressive: frame.progressive,
    })
}

/// Whether an EOI marker follows the first scan at `scan`.
fn has_end(bytes: &[u8], scan: usize) -> bool {
    // Searched from the end: the marker is normally the last two bytes.
    bytes
        .get(scan..)
        .is_some_and(|tail| tail.windows(2).rev().any(|w| w == [0xFF, 0xD9]))
}

fn decode_error(e: DecodeErrors) -> DecodeError {
    match e {
        DecodeErrors::ExhaustedData => truncated("the image data ends early"),
        DecodeErrors::Unsupported(scheme) => unsupported(format!("{scheme:?}")),
        other => corrupt(other.to_string()),
    }
}

/// Decodes `region` (or more of the image) as RGB into `out` at scale
/// `eighths / 8` (or a larger scale), and says which stored region and
/// which scale (in eighths) it delivered: the in-tree decoder honours
/// both (widening the region to whole scaled pixels); zune-jpeg decodes
/// the whole image at full size.
pub(super) fn decode(
    bytes: &[u8],
    header: &Header,
    scan: usize,
    (region, eighths): (Region, u32),
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
    index: Option<&mut SeekIndex>,
) -> Result<(Region, u32), DecodeError> {
    if !has_end(bytes, scan) {
        return Err(truncated("no end-of-image marker after the image data"));
    }
    if let Some(delivered) = baseline::decode(bytes, region, eighths as usize, scratch, out, index)?
    {
        return Ok((delivered, eighths));
    }
    decode_whole(bytes, header, out)?;
    let whole = Region {
        x: 0,
        y: 0,
        width: header.width,
        height: header.height,
    };
    Ok((whole, 8))
}

/// Decodes the whole image with zune-jpeg.
fn decode_whole(bytes: &[u8], header: &Header, out: &mut Vec<u8>) -> Result<(), DecodeError> {
    let side = usize::from(u16::MAX);
    let options = DecoderOptions::default()
        .jpeg_set_out_colorspace(ColorSpace::RGB)
        .set_max_width(side)
        .set_max_height(side);
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode_headers().map_err(decode_error)?;
    let dims = decoder.dimensions();
    if dims != Some((header.width as usize, header.height as usize)) {
        return Err(corrupt(format!(
            "the decoder read size {dims:?}, the header {}x{}",
            header.width, header.height
        )));
    }
    let len = image_len(header, 3)?;
    if decoder.output_buffer_size() != Some(len) {
        return Err(unsupported(
            "a colour space that does not convert to RGB".into(),
        ));
    }
    fit(out, len)?;
    decoder.decode_into(out).map_err(decode_error)
}
