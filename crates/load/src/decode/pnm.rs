//! Netpbm (`P1` to `P7`: PBM, PGM, PPM, PAM): the `image` crate reads the
//! text header and the samples ([`super::via_image`]); bitmaps come as
//! black and white, 16-bit maps are rounded as every 16-bit file is.

use super::{DecodeError, Format, Header, via_image};
use image::codecs::pnm::PnmDecoder;
use std::io::Cursor;

fn open(bytes: &[u8]) -> Result<PnmDecoder<Cursor<&[u8]>>, DecodeError> {
    PnmDecoder::new(Cursor::new(bytes)).map_err(|e| via_image::decode_error(Format::Pnm, e))
}

pub(super) fn probe(bytes: &[u8]) -> Result<Header, DecodeError> {
    via_image::guarded(Format::Pnm, || via_image::header(Format::Pnm, open(bytes)?))
}

pub(super) fn decode(
    bytes: &[u8],
    header: &Header,
    out: &mut Vec<u8>,
    tmp: &mut Vec<u8>,
) -> Result<(), DecodeError> {
    via_image::read_rgb(Format::Pnm, open(bytes)?, header, out, tmp)
}
