//! Image files to 8-bit RGB: [`probe`] reads a header, [`decode`] the pixels.
//!
//! The format is sniffed from the first bytes, never taken from the file
//! name: JPEG (`FF D8 FF`), PNG (its 8-byte signature), WebP (`RIFF....WEBP`),
//! BMP (`BM`), TIFF (`II*\0`, `MM\0*`) and Netpbm (`P1` to `P7`): with
//! them every extension torchvision's `ImageFolder` takes. GIF, AVIF, HEIC,
//! JPEG XL, JPEG 2000 and QOI are recognised and refused by name.
//!
//! What every decode delivers, whatever the file holds:
//!
//! - 3 channels, 8 bits, interleaved RGB, rows packed (stride `3 * width`);
//! - gray (with or without alpha) replicated to the three channels;
//! - alpha dropped, not composited: the colour values stay as stored, as
//!   Pillow's `.convert("RGB")` (and so torchvision's loader) does;
//! - 16-bit samples rounded to 8 bits: `v8 = round(v16 * 255 / 65535)`,
//!   computed as `(v16 * 255 + 32767) / 65535` in integers (never a tie).
//!   Pillow takes the high byte of 16-bit RGB instead (and clips 16-bit
//!   gray), so 16-bit files may differ from torchvision's by one level;
//! - palette images expanded through their palette;
//! - JPEG CMYK and YCCK (Adobe APP14 transform 0 and 2, inverted ink as
//!   Adobe writes it) converted to RGB as `R = c * k / 255` on the stored
//!   (inverted) values, which is Pillow's `(255 - C)(255 - K) / 255`
//!   on ink values, rounded;
//! - EXIF orientation applied by default ([`Request::orientation`]): the
//!   pixels come upright, as a Pillow-based loader calling
//!   `ImageOps.exif_transpose` gives them. torchvision's `ImageFolder`
//!   (plain `Image.open(...).convert("RGB")`) does **not** apply it, so
//!   turn it off to match torchvision on rotated phone photos. The
//!   orientation is read from JPEG's APP1 `Exif`, PNG's `eXIf` chunk (before
//!   the image data), WebP's `EXIF` chunk and TIFF's Orientation tag.
//!
//! A header over the pixel limit ([`Request::max_pixels`], default
//! [`DEFAULT_MAX_PIXELS`]) is refused before anything is decoded or
//! allocated (a decompression bomb costs one header read). Empty, cut,
//! corrupt and non-image bytes each get their own [`DecodeError`]; a JPEG
//! without its end-of-image marker is reported as truncated, as Pillow
//! reports it, rather than decoded with its tail missing.
//!
//! The request can name a region of the stored image and a scale in
//! eighths (1/8 to 8/8, libjpeg's `scale_num / 8`), so a later stage can
//! decode only what a plan reads, at the DCT scale it needs. Huffman-coded
//! JPEGs, sequential or progressive (gray, or YCbCr 4:4:4, 4:2:2, 4:2:0:
//! nearly every photo), are decoded by the in-tree decoder, which honours
//! both: at full size it delivers exactly the region asked for,
//! bit-identical to the same pixels of its whole-image decode; at a
//! reduced scale it runs libjpeg-turbo's reduced inverse DCTs and delivers
//! the region widened to whole scaled pixels, bit-identical to the same
//! pixels of its whole scaled decode.
//! Every other file is decoded whole at full size. [`Delivered`] says
//! what came back: callers map coordinates through
//! [`Delivered::to_stored`].

mod bmp;
mod exif;
mod jpeg;
mod orientation;
mod pixels;
mod png;
mod request;
mod via_image;
mod webp;

use augment::ImageView;
use image::codecs::{pnm::PnmDecoder, tiff::TiffDecoder};
use std::fmt;

pub use jpeg::SeekIndex;
pub use orientation::Orientation;
pub use request::{Delivered, Region, Request, scaled_side};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The pixel limit a decode refuses beyond unless told otherwise: 2^28
/// (about 268 million pixels, 16384 x 16384), the `augment` pipeline's own
/// default output limit.
pub const DEFAULT_MAX_PIXELS: u64 = 1 << 28;

/// An image file format the loader decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// JPEG (baseline, extended and progressive Huffman; 8-bit).
    Jpeg,
    /// PNG (every colour type and bit depth; the default image of an APNG).
    Png,
    /// WebP (lossy, lossless; the first frame of an animation).
    WebP,
    /// Windows bitmap.
    Bmp,
    /// TIFF (the first image; 8 or 16 bits per sample).
    Tiff,
    /// Netpbm: PBM, PGM, PPM and PAM.
    Pnm,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Jpeg => "JPEG",
            Format::Png => "PNG",
            Format::WebP => "WebP",
            Format::Bmp => "BMP",
            Format::Tiff => "TIFF",
            Format::Pnm => "Netpbm",
        })
    }
}

/// The colour model a file stores (before conversion to RGB).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColorModel {
    /// One gray channel.
    Gray,
    /// Gray and alpha.
    GrayAlpha,
    /// Red, green, blue (including JPEG's YCbCr).
    Rgb,
    /// RGB and alpha.
    Rgba,
    /// Indices into a palette.
    Palette,
    /// JPEG CMYK (Adobe transform 0 on four components).
    Cmyk,
    /// JPEG YCCK (Adobe transform 2).
    Ycck,
}

/// What a file's header says, read without decoding any pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Header {
    /// The format sniffed from the magic bytes.
    pub format: Format,
    /// Width as stored (before orientation).
    pub width: u32,
    /// Height as stored (before orientation).
    pub height: u32,
    /// The EXIF orientation ([`Orientation::Normal`] if none).
    pub orientation: Orientation,
    /// The stored colour model.
    pub color: ColorModel,
    /// Bits per sample as stored (per pixel for BMP).
    pub bit_depth: u8,
    /// A progressive JPEG or an interlaced PNG (decoding needs the whole
    /// file before the first row is final).
    pub progressive: bool,
}

impl Header {
    /// Stored pixels, `width * height`.
    pub fn pixels(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }

    /// The size of the picture shown upright (width and height swapped by
    /// orientations 5 to 8).
    pub fn upright_size(&self) -> (u32, u32) {
        self.orientation.upright_size((self.width, self.height))
    }
}

/// Why bytes did not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Zero bytes.
    #[error("empty file (0 bytes)")]
    Empty,
    /// The first bytes match no image format known here.
    #[error("not an image: unknown format (first bytes {start})")]
    NotAnImage {
        /// The first bytes, in hex.
        start: String,
    },
    /// A known image format this loader does not decode.
    #[error("{format} files are not supported (JPEG, PNG, WebP, BMP, TIFF and Netpbm are)")]
    UnsupportedFormat {
        /// The format's name.
        format: &'static str,
    },
    /// The file ends early.
    #[error("truncated {format}: {what}")]
    Truncated {
        /// The format.
        format: Format,
        /// What was missing.
        what: String,
    },
    /// The file breaks its format's rules.
    #[error("corrupt {format}: {what}")]
    Corrupt {
        /// The format.
        format: Format,
        /// What was wrong.
        what: String,
    },
    /// A valid file using a feature no decoder here implements.
    #[error("unsupported {format}: {what}")]
    Unsupported {
        /// The format.
        format: Format,
        /// The feature.
        what: String,
    },
    /// The header announces more pixels than the limit (checked before
    /// decoding or allocating).
    #[error("image {width}x{height} exceeds the limit of {limit} pixels")]
    TooLarge {
        /// Stored width.
        width: u32,
        /// Stored height.
        height: u32,
        /// The limit.
        limit: u64,
    },
    /// The output buffer could not be allocated.
    #[error("cannot allocate {bytes} bytes for the decoded image")]
    OutOfMemory {
        /// Bytes asked for.
        bytes: usize,
    },
    /// The request itself is invalid (scale, region).
    #[error("invalid decode request: {what}")]
    Request {
        /// What was wrong.
        what: String,
    },
}

/// A thread's reusable decode output: the RGB pixels of the last decode
/// and the scratch the decoders convert through. Once it has held the
/// largest image, decoding again allocates nothing here (the decoders'
/// own working memory is theirs).
#[derive(Debug, Default, Clone)]
pub struct DecodeBuffer {
    pixels: Vec<u8>,
    scratch: Vec<u8>,
    jpeg: jpeg::Scratch,
    width: usize,
    height: usize,
}

impl DecodeBuffer {
    /// An empty buffer, allocating nothing yet.
    pub fn new() -> DecodeBuffer {
        DecodeBuffer::default()
    }

    /// Width of the last decoded image (0 before any).
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height of the last decoded image (0 before any).
    pub fn height(&self) -> usize {
        self.height
    }

    /// The last decoded image's pixels, RGB, rows packed.
    pub fn as_slice(&self) -> &[u8] {
        self.pixels
            .get(..self.width * self.height * 3)
            .unwrap_or_default()
    }

    /// The last decoded image as a view, or `None` before the first
    /// successful decode.
    pub fn view(&self) -> Option<ImageView<'_, u8>> {
        ImageView::new(self.as_slice(), self.width, self.height, 3).ok()
    }

    /// Bytes held (pixels and scratch), for memory accounting.
    pub fn capacity_bytes(&self) -> usize {
        self.pixels.capacity() + self.scratch.capacity()
    }
}

/// Reads `bytes`' header: format, stored size, orientation, colour model,
/// without decoding pixels.
///
/// ```
/// use load::decode::{Format, probe};
/// # let png = load::decode::tests_support::tiny_png();
/// let header = probe(&png)?;
/// assert_eq!((header.format, header.width, header.height), (Format::Png, 2, 1));
/// assert!(probe(b"hello").is_err());
/// # Ok::<(), load::decode::DecodeError>(())
/// ```
pub fn probe(bytes: &[u8]) -> Result<Header, DecodeError> {
    probe_inner(bytes).map(|(header, _)| header)
}

/// The header and, for JPEG, where the first scan starts.
fn probe_inner(bytes: &[u8]) -> Result<(Header, usize), DecodeError> {
    match sniff(bytes)? {
        Format::Jpeg => jpeg::probe(bytes),
        Format::Png => png::probe(bytes).map(|h| (h, 0)),
        Format::WebP => webp::probe(bytes).map(|h| (h, 0)),
        Format::Bmp => bmp::probe(bytes).map(|h| (h, 0)),
        Format::Tiff => via_image::probe(Format::Tiff, bytes, TiffDecoder::new).map(|h| (h, 0)),
        Format::Pnm => via_image::probe(Format::Pnm, bytes, PnmDecoder::new).map(|h| (h, 0)),
    }
}

/// Decodes `bytes` into `buffer` as 8-bit RGB, as `request` asks (see the
/// module documentation for the conversions), and says what it delivered.
///
/// ```
/// use load::decode::{DecodeBuffer, Request, decode};
/// # let png = load::decode::tests_support::tiny_png();
/// let mut buffer = DecodeBuffer::new();
/// let delivered = decode(&png, &Request::new(), &mut buffer)?;
/// assert_eq!((delivered.width, delivered.height, delivered.eighths), (2, 1, 8));
/// assert_eq!(buffer.as_slice(), &[255, 0, 0, 0, 0, 255]);
/// # Ok::<(), load::decode::DecodeError>(())
/// ```
pub fn decode(
    bytes: &[u8],
    request: &Request,
    buffer: &mut DecodeBuffer,
) -> Result<Delivered, DecodeError> {
    decode_inner(bytes, request, buffer, None)
}

/// As [`decode`], keeping in `index` where the MCU rows of a sequential
/// JPEG start, and using what it already knows: decoding the same file
/// again (the next epoch's random crop, say) jumps to the region's first
/// row and from its right edge to the next row instead of reading the
/// codes between. The pixels are the same bits as [`decode`]'s. Other
/// formats, progressive JPEGs and JPEGs with restart intervals leave
/// `index` empty; an index made from other bytes is started again.
pub fn decode_with_index(
    bytes: &[u8],
    request: &Request,
    buffer: &mut DecodeBuffer,
    index: &mut SeekIndex,
) -> Result<Delivered, DecodeError> {
    decode_inner(bytes, request, buffer, Some(index))
}

fn decode_inner(
    bytes: &[u8],
    request: &Request,
    buffer: &mut DecodeBuffer,
    index: Option<&mut SeekIndex>,
) -> Result<Delivered, DecodeError> {
    let (header, scan) = probe_inner(bytes)?;
    request.check(&header)?;
    let orientation = if request.orientation {
        header.orientation
    } else {
        Orientation::Normal
    };
    buffer.width = 0;
    buffer.height = 0;
    let whole = Region {
        x: 0,
        y: 0,
        width: header.width,
        height: header.height,
    };
    let wanted = request.region.unwrap_or(whole);
    let DecodeBuffer {
        pixels,
        scratch,
        jpeg: jpeg_scratch,
        ..
    } = buffer;
    // Decode straight into the pixels when nothing turns them afterwards.
    let (stored, tmp) = if orientation == Orientation::Normal {
        (&mut *pixels, &mut *scratch)
    } else {
        (&mut *scratch, &mut *pixels)
    };
    // The decoders are other crates: should one panic on a hostile file,
    // the file is corrupt, not the caller's thread.
    let decoded = catch_unwind(AssertUnwindSafe(|| match header.format {
        Format::Jpeg => jpeg::decode(
            bytes,
            &header,
            scan,
            (wanted, request.eighths),
            jpeg_scratch,
            stored,
            index,
        ),
        Format::Png => png::decode(bytes, &header, wanted, stored, tmp).map(|r| (r, 8)),
        Format::WebP => webp::decode(bytes, &header, stored, tmp).map(|()| (whole, 8)),
        Format::Bmp => bmp::decode(bytes, &header, stored, tmp).map(|()| (whole, 8)),
        Format::Tiff => {
            via_image::decode(Format::Tiff, bytes, TiffDecoder::new, &header, stored, tmp)
                .map(|()| (whole, 8))
        }
        Format::Pnm => via_image::decode(Format::Pnm, bytes, PnmDecoder::new, &header, stored, tmp)
            .map(|()| (whole, 8)),
    }));
    let (region, eighths) = decoded.unwrap_or_else(|_| {
        Err(DecodeError::Corrupt {
            format: header.format,
            what: "the decoder gave up (it panicked)".into(),
        })
    })?;
    let (stored_w, stored_h) = (
        scaled_side(region.width, eighths),
        scaled_side(region.height, eighths),
    );
    if orientation != Orientation::Normal {
        let size = (stored_w as usize, stored_h as usize);
        pixels::orient(scratch, size, orientation, pixels)?;
    }
    let (width, height) = orientation.upright_size((stored_w, stored_h));
    buffer.width = width as usize;
    buffer.height = height as usize;
    Ok(Delivered {
        header,
        region,
        eighths,
        orientation,
        width,
        height,
    })
}

/// The format `bytes` start with.
fn sniff(bytes: &[u8]) -> Result<Format, DecodeError> {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    let unsupported = |format| Err(DecodeError::UnsupportedFormat { format });
    match bytes {
        [] => Err(DecodeError::Empty),
        [0xFF, 0xD8, 0xFF, ..] => Ok(Format::Jpeg),
        b if b.starts_with(PNG) => Ok(Format::Png),
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => Ok(Format::WebP),
        [b'B', b'M', ..] => Ok(Format::Bmp),
        [b'G', b'I', b'F', b'8', ..] => unsupported("GIF"),
        [b'I', b'I', 42, 0, ..] | [b'M', b'M', 0, 42, ..] => Ok(Format::Tiff),
        [b'P', b'1'..=b'7', space, ..] if space.is_ascii_whitespace() => Ok(Format::Pnm),
        [0xFF, 0x0A, ..] | [0, 0, 0, 0x0C, b'J', b'X', b'L', b' ', ..] => unsupported("JPEG XL"),
        [0, 0, 0, 0x0C, b'j', b'P', b' ', b' ', ..] | [0xFF, 0x4F, 0xFF, 0x51, ..] => {
            unsupported("JPEG 2000")
        }
        [
            _,
            _,
            _,
            _,
            b'f',
            b't',
            b'y',
            b'p',
            b'a',
            b'v',
            b'i',
            b'f',
            ..,
        ] => unsupported("AVIF"),
        [
            _,
            _,
            _,
            _,
            b'f',
            b't',
            b'y',
            b'p',
            b'h',
            b'e',
            b'i' | b'v',
            _,
            ..,
        ]
        | [
            _,
            _,
            _,
            _,
            b'f',
            b't',
            b'y',
            b'p',
            b'm',
            b'i',
            b'f',
            b'1',
            ..,
        ] => unsupported("HEIF"),
        [b'q', b'o', b'i', b'f', ..] => unsupported("QOI"),
        _ => Err(DecodeError::NotAnImage {
            start: bytes
                .iter()
                .take(8)
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" "),
        }),
    }
}

/// Makes `v` exactly `len` bytes, reusing its capacity; what it held is
/// kept where it fits (every decoder overwrites all of it).
fn fit(v: &mut Vec<u8>, len: usize) -> Result<(), DecodeError> {
    if len > v.capacity() {
        v.clear();
        v.try_reserve_exact(len)
            .map_err(|_| DecodeError::OutOfMemory { bytes: len })?;
    }
    v.truncate(len);
    v.resize(len, 0);
    Ok(())
}

/// `w * h * channels` bytes, or the error a too-large header deserves.
fn image_len(header: &Header, channels: usize) -> Result<usize, DecodeError> {
    (header.width as usize)
        .checked_mul(header.height as usize)
        .and_then(|p| p.checked_mul(channels))
        .ok_or(DecodeError::OutOfMemory { bytes: usize::MAX })
}

/// Fixtures for the documentation examples and the tests of this crate
/// and the ones above it.
#[doc(hidden)]
pub mod tests_support {
    /// An EXIF block (little-endian TIFF) with one entry: orientation
    /// `value`.
    pub fn exif_orientation(value: u16) -> Vec<u8> {
        let mut b = b"II".to_vec();
        b.extend_from_slice(&42u16.to_le_bytes());
        b.extend_from_slice(&8u32.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&0x0112u16.to_le_bytes());
        b.extend_from_slice(&3u16.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&value.to_le_bytes());
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(&0u32.to_le_bytes());
        b
    }

    /// A 2x1 RGB PNG: red, blue.
    pub fn tiny_png() -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = ::png::Encoder::new(&mut out, 2, 1);
        encoder.set_color(::png::ColorType::Rgb);
        let written = encoder
            .write_header()
            .and_then(|mut w| w.write_image_data(&[255, 0, 0, 0, 0, 255]));
        if written.is_err() {
            out.clear();
        }
        out
    }
}

#[cfg(test)]
mod tests;
