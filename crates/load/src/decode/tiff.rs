//! TIFF (`II*\0` or `MM\0*`): the `image` crate reads the first image's
//! directory for the header (size, samples, the Orientation tag) and
//! decodes its pixels ([`super::via_image`]): 8 or 16 bits, gray, RGB,
//! with or without alpha, any compression the `tiff` crate knows; float
//! samples are refused by name.

use super::{DecodeError, Format, Header, via_image};
use image::codecs::tiff::TiffDecoder;
use std::io::Cursor;

fn open(bytes: &[u8]) -> Result<TiffDecoder<Cursor<&[u8]>>, DecodeError> {
    TiffDecoder::new(Cursor::new(bytes)).map_err(|e| via_image::decode_error(Format::Tiff, e))
}

pub(super) fn probe(bytes: &[u8]) -> Result<Header, DecodeError> {
    via_image::guarded(Format::Tiff, || {
        via_image::header(Format::Tiff, open(bytes)?)
    })
}

pub(super) fn decode(
    bytes: &[u8],
    header: &Header,
    out: &mut Vec<u8>,
    tmp: &mut Vec<u8>,
) -> Result<(), DecodeError> {
    via_image::read_rgb(Format::Tiff, open(bytes)?, header, out, tmp)
}
