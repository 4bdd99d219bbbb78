//! Formats read through an `image` crate decoder: its samples, 8 or 16
//! bits, gray or colour, with or without alpha, to packed RGB by the
//! shared conversions.
//!
//! - BMP: the header read in `bmp`, the pixels here.
//! - TIFF (`II*\0` or `MM\0*`): the decoder reads the first image's
//!   directory for the header (size, samples, the Orientation tag) and
//!   decodes its pixels, with any compression the `tiff` crate knows; float
//!   samples are refused by name.
//! - Netpbm (`P1` to `P7`: PBM, PGM, PPM, PAM): the decoder reads the text
//!   header and the samples; bitmaps come as black and white.

use super::pixels::{Layout, to_rgb};
use super::{ColorModel, DecodeError, Format, Header, Orientation, fit};
use image::{ColorType, ImageDecoder, ImageResult};
use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The header of `bytes` as `open`'s decoder reads it; a panic in that
/// decoder is the file's `Corrupt` error.
pub(super) fn probe<'a, D: ImageDecoder>(
    format: Format,
    bytes: &'a [u8],
    open: impl FnOnce(Cursor<&'a [u8]>) -> ImageResult<D>,
) -> Result<Header, DecodeError> {
    guarded(format, || {
        let decoder = open(Cursor::new(bytes)).map_err(|e| decode_error(format, e))?;
        header(format, decoder)
    })
}

/// All of `bytes`' pixels as packed RGB into `out`, by `open`'s decoder
/// (`tmp` holds other layouts on the way).
pub(super) fn decode<'a, D: ImageDecoder>(
    format: Format,
    bytes: &'a [u8],
    open: impl FnOnce(Cursor<&'a [u8]>) -> ImageResult<D>,
    header: &Header,
    out: &mut Vec<u8>,
    tmp: &mut Vec<u8>,
) -> Result<(), DecodeError> {
    let decoder = open(Cursor::new(bytes)).map_err(|e| decode_error(format, e))?;
    read_rgb(format, decoder, header, out, tmp)
}

/// `read` run so that a panic in another crate's decoder on a hostile
/// file is that file's `Corrupt` error, not the caller's thread's end.
fn guarded<T>(
    format: Format,
    read: impl FnOnce() -> Result<T, DecodeError>,
) -> Result<T, DecodeError> {
    catch_unwind(AssertUnwindSafe(read)).unwrap_or_else(|_| {
        Err(DecodeError::Corrupt {
            format,
            what: "the decoder gave up (it panicked)".into(),
        })
    })
}

/// The error a decoder's failure becomes, for `format`.
fn decode_error(format: Format, e: image::ImageError) -> DecodeError {
    match e {
        image::ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            DecodeError::Truncated {
                format,
                what: "the pixel data ends early".into(),
            }
        }
        image::ImageError::Unsupported(u) => DecodeError::Unsupported {
            format,
            what: u.to_string(),
        },
        image::ImageError::Limits(_) => DecodeError::OutOfMemory { bytes: usize::MAX },
        other => DecodeError::Corrupt {
            format,
            what: other.to_string(),
        },
    }
}

/// Samples per pixel, bytes per sample and colour model of a pixel type
/// the conversions take; an error naming it otherwise (float samples).
fn layout_of(format: Format, color: ColorType) -> Result<(Layout, ColorModel), DecodeError> {
    let (channels, bytes, model) = match color {
        ColorType::L8 => (1, 1, ColorModel::Gray),
        ColorType::La8 => (2, 1, ColorModel::GrayAlpha),
        ColorType::Rgb8 => (3, 1, ColorModel::Rgb),
        ColorType::Rgba8 => (4, 1, ColorModel::Rgba),
        ColorType::L16 => (1, 2, ColorModel::Gray),
        ColorType::La16 => (2, 2, ColorModel::GrayAlpha),
        ColorType::Rgb16 => (3, 2, ColorModel::Rgb),
        ColorType::Rgba16 => (4, 2, ColorModel::Rgba),
        other => {
            return Err(DecodeError::Unsupported {
                format,
                what: format!("pixel type {other:?}"),
            });
        }
    };
    Ok((Layout { channels, bytes }, model))
}

/// The header an `image` decoder reports: size, pixel type, orientation.
fn header<D: ImageDecoder>(format: Format, mut decoder: D) -> Result<Header, DecodeError> {
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(DecodeError::Corrupt {
            format,
            what: format!("size {width}x{height}"),
        });
    }
    let (layout, color) = layout_of(format, decoder.color_type())?;
    let orientation = decoder
        .orientation()
        .ok()
        .and_then(|o| Orientation::from_exif(u16::from(o.to_exif())))
        .unwrap_or_default();
    Ok(Header {
        format,
        width,
        height,
        orientation,
        color,
        bit_depth: 8 * layout.bytes as u8,
        progressive: false,
    })
}

/// Decodes all of `decoder`'s pixels as packed RGB into `out` (`tmp` holds
/// other layouts on the way); `header` is what probing the same bytes said.
fn read_rgb<D: ImageDecoder>(
    format: Format,
    decoder: D,
    header: &Header,
    out: &mut Vec<u8>,
    tmp: &mut Vec<u8>,
) -> Result<(), DecodeError> {
    if decoder.dimensions() != (header.width, header.height) {
        return Err(DecodeError::Corrupt {
            format,
            what: "the decoder read another size".into(),
        });
    }
    let (layout, _) = layout_of(format, decoder.color_type())?;
    let len = usize::try_from(decoder.total_bytes())
        .map_err(|_| DecodeError::OutOfMemory { bytes: usize::MAX })?;
    let pixels = header.width as usize * header.height as usize;
    if len != pixels * layout.channels * layout.bytes {
        return Err(DecodeError::Corrupt {
            format,
            what: "unexpected decoded layout".into(),
        });
    }
    if layout
        == (Layout {
            channels: 3,
            bytes: 1,
        })
    {
        fit(out, len)?;
        return decoder.read_image(out).map_err(|e| decode_error(format, e));
    }
    fit(tmp, len)?;
    decoder
        .read_image(tmp)
        .map_err(|e| decode_error(format, e))?;
    if layout.bytes == 2 {
        // `image` gives 16-bit samples in native order; the conversions
        // read them big-endian, as PNG stores them.
        for sample in tmp.chunks_exact_mut(2) {
            let v = u16::from_ne_bytes([sample[0], sample[1]]);
            sample.copy_from_slice(&v.to_be_bytes());
        }
    }
    to_rgb(tmp, layout, pixels, out)
}
