//! Hostile bytes to the decoders: empty, foreign, cut at every length,
//! mutated at random, and headers announcing 2^32 pixels. Each gets a
//! typed error (proptest fails on a panic), and an oversized header is
//! refused before anything large is allocated.

mod common;

use common::*;
use load::decode::{DecodeBuffer, DecodeError, Format, Request, decode, probe};
use proptest::prelude::*;

/// Peak heap bytes a refused header may cost.
const REFUSAL_BYTES: u64 = 64 * 1024;

fn samples() -> Res<Vec<(Format, Vec<u8>)>> {
    let (w, h) = (24, 16);
    let px = gradient(w, h);
    Ok(vec![
        (Format::Jpeg, jpeg(&px, w, h, Jpeg::default())?),
        (
            Format::Jpeg,
            jpeg(
                &px,
                w,
                h,
                Jpeg {
                    progressive: true,
                    orientation: Some(6),
                    ..Jpeg::default()
                },
            )?,
        ),
        (Format::Png, png_rgb(&px, w, h)?),
        (
            Format::WebP,
            webp_lossless(&px, w, h, image::ExtendedColorType::Rgb8)?,
        ),
        (
            Format::WebP,
            include_bytes!("fixtures/lossy-alpha-orientation6.webp").to_vec(),
        ),
        (Format::Bmp, bmp(&px, w, h, image::ExtendedColorType::Rgb8)?),
        (
            Format::Tiff,
            tiff(&px, w, h, image::ExtendedColorType::Rgb8)?,
        ),
        (
            Format::Pnm,
            pnm(
                &px,
                w,
                h,
                image::ExtendedColorType::Rgb8,
                image::codecs::pnm::PnmSubtype::Pixmap(image::codecs::pnm::SampleEncoding::Binary),
            )?,
        ),
    ])
}

fn attempt(bytes: &[u8]) -> Result<(), DecodeError> {
    let mut buffer = DecodeBuffer::new();
    let _ = probe(bytes);
    decode(bytes, &Request::new(), &mut buffer).map(drop)
}

#[test]
fn readme_rows() -> TestResult {
    let mut buffer = DecodeBuffer::new();
    let mut run = |b: &[u8]| decode(b, &Request::new(), &mut buffer).map(drop);
    assert_eq!(run(b""), Err(DecodeError::Empty));
    assert!(matches!(
        run(b"<html></html>"),
        Err(DecodeError::NotAnImage { .. })
    ));
    assert_eq!(
        run(b"GIF89a\x01\x00\x01\x00"),
        Err(DecodeError::UnsupportedFormat { format: "GIF" })
    );
    assert!(matches!(
        run(b"II*\x00\x08\x00\x00\x00"),
        Err(DecodeError::Truncated {
            format: Format::Tiff,
            ..
        } | DecodeError::Corrupt {
            format: Format::Tiff,
            ..
        })
    ));
    assert_eq!(
        run(b"\x00\x00\x00\x0cjP  \r\n\x87\n"),
        Err(DecodeError::UnsupportedFormat {
            format: "JPEG 2000"
        })
    );
    for (format, file) in samples()? {
        // Cut in the middle of the image data.
        let cut = &file[..file.len() * 3 / 4];
        match run(cut) {
            Err(DecodeError::Truncated { format: f, .. }) => assert_eq!(f, format),
            // Formats whose decoders read a cut stream as damaged data.
            Err(DecodeError::Corrupt { format: f, .. }) => assert_eq!(f, format),
            other => return Err(format!("{format} cut: {other:?}").into()),
        }
    }
    // A JPEG cut anywhere after its header is truncated: no EOI.
    let jpg = jpeg(&gradient(24, 16), 24, 16, Jpeg::default())?;
    assert!(matches!(
        run(&jpg[..jpg.len() - 2]),
        Err(DecodeError::Truncated {
            format: Format::Jpeg,
            ..
        })
    ));
    // A PNG with a damaged chunk.
    let mut png = png_rgb(&gradient(24, 16), 24, 16)?;
    let at = png.len() - 20;
    png[at] ^= 0xFF;
    assert!(matches!(
        run(&png),
        Err(DecodeError::Corrupt {
            format: Format::Png,
            ..
        })
    ));
    Ok(())
}

/// Headers announcing 65535 x 65535 (JPEG) or more: refused by the pixel
/// limit with a few KiB allocated at most.
#[test]
fn bombs_are_refused_before_allocating() -> TestResult {
    let big = 65_535u32;
    let mut jpg = jpeg(&gradient(8, 8), 8, 8, Jpeg::default())?;
    let sof = jpg
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .ok_or("no SOF0")?;
    jpg[sof + 5..sof + 7].copy_from_slice(&(big as u16).to_be_bytes());
    jpg[sof + 7..sof + 9].copy_from_slice(&(big as u16).to_be_bytes());

    let mut png = png_rgb(&gradient(1, 1), 1, 1)?;
    png[16..20].copy_from_slice(&1_000_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&1_000_000u32.to_be_bytes());

    // A VP8X canvas of 2^24 x 2^24.
    let mut webp = b"RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00".to_vec();
    webp.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);

    let mut bmp = bmp(&gradient(1, 1), 1, 1, image::ExtendedColorType::Rgb8)?;
    bmp[18..22].copy_from_slice(&1_000_000i32.to_le_bytes());
    bmp[22..26].copy_from_slice(&(-1_000_000i32).to_le_bytes());

    let tiff = tiff_oriented(&gradient(1, 1), 1_000_000, 1_000_000, 1);
    let pnm = b"P6\n1000000 1000000\n255\n\x00\x00\x00".to_vec();

    for (format, file) in [
        (Format::Jpeg, jpg),
        (Format::Png, png),
        (Format::WebP, webp),
        (Format::Bmp, bmp),
        (Format::Tiff, tiff),
        (Format::Pnm, pnm),
    ] {
        let header = probe(&file)?;
        assert!(header.pixels() > 1 << 28, "{format}");
        let mut buffer = DecodeBuffer::new();
        let mut result = Ok(());
        let info = allocation_counter::measure(|| {
            result = decode(&file, &Request::new(), &mut buffer).map(drop);
        });
        assert!(
            matches!(result, Err(DecodeError::TooLarge { limit, .. }) if limit == 1 << 28),
            "{format}: {result:?}"
        );
        assert!(
            info.bytes_max < REFUSAL_BYTES,
            "{format}: {} bytes",
            info.bytes_max
        );
    }
    Ok(())
}

#[test]
fn every_cut_of_every_format_is_an_error_or_an_image() -> TestResult {
    for (format, file) in samples()? {
        for len in 0..file.len() {
            match attempt(&file[..len]) {
                Ok(()) => {
                    // Only cuts that lose nothing the decoder needs: none
                    // for JPEG (the EOI goes first); trailing bytes elsewhere.
                    assert!(format != Format::Jpeg, "{format} cut to {len} decoded");
                }
                Err(DecodeError::Empty) => assert_eq!(len, 0),
                Err(_) => {}
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn mutated_files_never_panic(
        which in 0usize..8,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12),
        cut in any::<prop::sample::Index>(),
        cut_it in any::<bool>(),
    ) {
        let samples = samples().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (_, mut file) = samples[which].clone();
        for (at, value) in flips {
            let i = at.index(file.len());
            file[i] = value;
        }
        if cut_it {
            file.truncate(cut.index(file.len()));
        }
        let _ = attempt(&file);
        // And through the limits: a tiny pixel limit refuses, never panics.
        let mut buffer = DecodeBuffer::new();
        let _ = decode(&file, &Request::new().max_pixels(1).orientation(false), &mut buffer);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = attempt(&bytes);
        for magic in [&b"\xff\xd8\xff"[..], b"\x89PNG\r\n\x1a\n", b"RIFF\0\0\0\0WEBPVP8 ", b"BM", b"II*\0", b"MM\0*", b"P6 ", b"P7\n"] {
            let mut b = magic.to_vec();
            b.extend_from_slice(&bytes);
            let _ = attempt(&b);
        }
    }
}
