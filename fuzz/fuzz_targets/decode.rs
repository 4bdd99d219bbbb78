//! Image files (`load::decode`): arbitrary bytes decoded whole and as a
//! region at three scales, without and with a seek index.
//!
//! Asserts:
//! - no panic, no out-of-bounds access (AddressSanitizer) on any bytes,
//!   under a pixel limit of 2^20 (how a loader reads files it does not
//!   trust);
//! - a decode through a `SeekIndex` (built by the decodes before it, from
//!   the same bytes, however damaged) gives the plain decode's pixels, or
//!   fails as it does;
//! - where both decode, the region is the same pixels as that rectangle of
//!   the whole image (the in-tree JPEG decoder skips or scans past what is
//!   outside the region; other decoders deliver the whole image).
#![no_main]

use libfuzzer_sys::fuzz_target;
use load::decode::{DecodeBuffer, Region, Request, SeekIndex, decode, decode_with_index, probe};

fuzz_target!(|data: &[u8]| {
    let whole = Request::new().max_pixels(1 << 20);
    let mut plain = DecodeBuffer::new();
    let Ok(header) = probe(data) else {
        let _ = decode(data, &whole, &mut plain);
        return;
    };
    let (w, h) = (header.width, header.height);
    let lower_right = whole.region(Region {
        x: w / 2,
        y: h / 2,
        width: w - w / 2,
        height: h - h / 2,
    });
    let mut part = DecodeBuffer::new();
    if let (Ok(_), Ok(delivered)) = (
        decode(data, &whole, &mut plain),
        decode(data, &lower_right, &mut part),
    ) && delivered.orientation == load::decode::Orientation::Normal
    {
        let (x, y) = (delivered.region.x as usize, delivered.region.y as usize);
        let (width, stride) = (delivered.width as usize, w as usize);
        for (row, got) in part.as_slice().chunks_exact(3 * width).enumerate() {
            let at = 3 * ((y + row) * stride + x);
            assert_eq!(got, &plain.as_slice()[at..at + 3 * width], "row {row}");
        }
    }
    let (mut indexed, mut index) = (DecodeBuffer::new(), SeekIndex::new());
    for request in [
        whole,
        lower_right,
        lower_right.scale(2),
        lower_right.eighths(5),
        lower_right,
    ] {
        let a = decode(data, &request, &mut plain).map(|_| plain.as_slice());
        let b =
            decode_with_index(data, &request, &mut indexed, &mut index).map(|_| indexed.as_slice());
        assert_eq!(a.ok(), b.ok(), "{request:?}");
    }
});
