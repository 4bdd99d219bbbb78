//! Every format and variant the loader promises, decoded to 8-bit RGB:
//! JPEG baseline 4:4:4 / 4:2:2 / 4:2:0, progressive, gray, CMYK, YCCK;
//! PNG 8 and 16 bit, palette (with tRNS), gray, gray + alpha, 1-bit;
//! WebP lossy and lossless, with alpha; BMP. EXIF orientation applied and
//! switched off, in JPEG, PNG and WebP.

mod common;

use common::*;
use jpeg_encoder::{ColorType, SamplingFactor};
use load::decode::{
    ColorModel, DecodeBuffer, DecodeError, Format, Orientation, Region, Request, decode, probe,
};

const W: usize = 40;
const H: usize = 30;

fn decoded(bytes: &[u8], request: &Request) -> Result<(Vec<u8>, usize, usize), DecodeError> {
    let mut buffer = DecodeBuffer::new();
    let d = decode(bytes, request, &mut buffer)?;
    assert_eq!(
        (d.width as usize, d.height as usize),
        (buffer.width(), buffer.height())
    );
    assert_eq!(
        buffer.as_slice().len(),
        buffer.width() * buffer.height() * 3
    );
    Ok((buffer.as_slice().to_vec(), buffer.width(), buffer.height()))
}

#[test]
fn jpeg_subsamplings_and_progressive() -> TestResult {
    let src = gradient(W, H);
    let cases = [
        ("4:4:4", SamplingFactor::R_4_4_4, false, 2.0, 12),
        ("4:2:2", SamplingFactor::R_4_2_2, false, 3.0, 40),
        ("4:2:0", SamplingFactor::R_4_2_0, false, 3.0, 40),
        ("4:2:0 progressive", SamplingFactor::R_4_2_0, true, 3.0, 40),
        ("4:4:4 progressive", SamplingFactor::R_4_4_4, true, 2.0, 12),
    ];
    for (name, sampling, progressive, mean_limit, max_limit) in cases {
        let file = jpeg(
            &src,
            W,
            H,
            Jpeg {
                sampling,
                progressive,
                ..Jpeg::default()
            },
        )?;
        let header = probe(&file)?;
        assert_eq!(header.format, Format::Jpeg);
        assert_eq!((header.width, header.height), (W as u32, H as u32));
        assert_eq!(header.progressive, progressive, "{name}");
        assert_eq!(header.color, ColorModel::Rgb);
        let (rgb, w, h) = decoded(&file, &Request::new())?;
        assert_eq!((w, h), (W, H));
        let (mean, max) = difference(&rgb, &src);
        assert!(
            mean < mean_limit && max < max_limit,
            "{name}: mean {mean}, max {max}"
        );
    }
    Ok(())
}

#[test]
fn jpeg_gray_is_replicated() -> TestResult {
    let gray: Vec<u8> = (0..W * H).map(|i| (i % W * 6) as u8).collect();
    let file = jpeg(
        &gray,
        W,
        H,
        Jpeg {
            color: ColorType::Luma,
            ..Jpeg::default()
        },
    )?;
    assert_eq!(probe(&file)?.color, ColorModel::Gray);
    let (rgb, _, _) = decoded(&file, &Request::new())?;
    for (px, &g) in rgb.chunks_exact(3).zip(&gray) {
        assert!(px[0] == px[1] && px[1] == px[2]);
        assert!(px[0].abs_diff(g) <= 3, "{} vs {g}", px[0]);
    }
    Ok(())
}

/// Ink values (C, M, Y, K) in flat 8x8-aligned blocks, and what they
/// must give: `(255 - C)(255 - K) / 255` per channel (Pillow's convert).
#[test]
fn jpeg_cmyk_and_ycck_convert_like_pillow() -> TestResult {
    let inks: [[u8; 4]; 4] = [
        [0, 0, 0, 0],
        [255, 0, 0, 0],
        [0, 128, 255, 64],
        [40, 80, 120, 200],
    ];
    let (w, h) = (32, 8);
    let mut cmyk = Vec::new();
    for _ in 0..h {
        for x in 0..w {
            cmyk.extend_from_slice(&inks[x / 8]);
        }
    }
    for (color, model) in [
        (ColorType::Cmyk, ColorModel::Cmyk),
        (ColorType::CmykAsYcck, ColorModel::Ycck),
    ] {
        let file = jpeg(
            &cmyk,
            w,
            h,
            Jpeg {
                quality: 100,
                sampling: SamplingFactor::R_4_4_4,
                color,
                ..Jpeg::default()
            },
        )?;
        assert_eq!(probe(&file)?.color, model);
        let (rgb, _, _) = decoded(&file, &Request::new())?;
        for (block, ink) in inks.iter().enumerate() {
            let expected: Vec<u8> = (0..3)
                .map(|c| {
                    let v = f64::from(255 - ink[c]) * f64::from(255 - ink[3]) / 255.0;
                    v.round() as u8
                })
                .collect();
            let px = &rgb[3 * (4 * w + block * 8 + 4)..][..3];
            for c in 0..3 {
                assert!(
                    px[c].abs_diff(expected[c]) <= 3,
                    "{model:?} block {block}: {px:?} vs {expected:?}"
                );
            }
        }
    }
    Ok(())
}

#[test]
fn png_every_colour_type_and_depth() -> TestResult {
    let (w, h) = (5, 3);
    let n = w * h;
    let src = gradient(w, h);
    let rgba: Vec<u8> = src
        .chunks_exact(3)
        .enumerate()
        .flat_map(|(i, p)| [p[0], p[1], p[2], (i * 17) as u8])
        .collect();
    let gray: Vec<u8> = (0..n).map(|i| (i * 16) as u8).collect();
    let replicated: Vec<u8> = gray.iter().flat_map(|&g| [g, g, g]).collect();
    let gray_alpha: Vec<u8> = gray.iter().flat_map(|&g| [g, 255 - g]).collect();
    let values16: Vec<u16> = (0..n * 3).map(|i| (i as u16).wrapping_mul(4421)).collect();
    let rgb16: Vec<u8> = values16.iter().flat_map(|v| v.to_be_bytes()).collect();
    let rounded16: Vec<u8> = values16
        .iter()
        .map(|&v| (f64::from(v) * 255.0 / 65535.0).round() as u8)
        .collect();
    let gray16: Vec<u8> = values16[..n].iter().flat_map(|v| v.to_be_bytes()).collect();
    let gray16_expected: Vec<u8> = values16[..n]
        .iter()
        .flat_map(|&v| {
            let g = (f64::from(v) * 255.0 / 65535.0).round() as u8;
            [g, g, g]
        })
        .collect();
    let palette = [10, 20, 30, 200, 100, 0, 0, 0, 255];
    let indices: Vec<u8> = (0..n).map(|i| (i % 3) as u8).collect();
    let from_palette: Vec<u8> = indices
        .iter()
        .flat_map(|&i| palette[3 * i as usize..][..3].to_vec())
        .collect();
    // 1-bit gray, rows padded to whole bytes: 5 pixels 10110 -> 0b1011_0000.
    let bits = vec![0b1011_0000u8; h];
    let bits_expected: Vec<u8> = (0..n)
        .flat_map(|i| {
            let on = [1, 0, 1, 1, 0][i % w] == 1;
            [if on { 255 } else { 0 }; 3]
        })
        .collect();
    use png::{BitDepth::*, ColorType::*};
    let cases: Vec<(&str, Vec<u8>, Vec<u8>, ColorModel)> = vec![
        (
            "rgb8",
            png(&src, w, h, Rgb, Eight, None, None)?,
            src.clone(),
            ColorModel::Rgb,
        ),
        (
            "rgba8 (alpha dropped, colour kept)",
            png(&rgba, w, h, Rgba, Eight, None, None)?,
            src.clone(),
            ColorModel::Rgba,
        ),
        (
            "gray8",
            png(&gray, w, h, Grayscale, Eight, None, None)?,
            replicated.clone(),
            ColorModel::Gray,
        ),
        (
            "gray+alpha8",
            png(&gray_alpha, w, h, GrayscaleAlpha, Eight, None, None)?,
            replicated,
            ColorModel::GrayAlpha,
        ),
        (
            "rgb16 (rounded)",
            png(&rgb16, w, h, Rgb, Sixteen, None, None)?,
            rounded16,
            ColorModel::Rgb,
        ),
        (
            "gray16 (rounded)",
            png(&gray16, w, h, Grayscale, Sixteen, None, None)?,
            gray16_expected,
            ColorModel::Gray,
        ),
        (
            "palette",
            png(&indices, w, h, Indexed, Eight, Some((&palette, None)), None)?,
            from_palette.clone(),
            ColorModel::Palette,
        ),
        (
            "palette + tRNS",
            png(
                &indices,
                w,
                h,
                Indexed,
                Eight,
                Some((&palette, Some(&[0, 128]))),
                None,
            )?,
            from_palette,
            ColorModel::Palette,
        ),
        (
            "gray 1-bit",
            png(&bits, w, h, Grayscale, One, None, None)?,
            bits_expected,
            ColorModel::Gray,
        ),
    ];
    for (name, file, expected, model) in cases {
        let header = probe(&file)?;
        assert_eq!(
            (header.format, header.color),
            (Format::Png, model),
            "{name}"
        );
        let (rgb, ww, hh) = decoded(&file, &Request::new())?;
        assert_eq!((ww, hh), (w, h), "{name}");
        assert_eq!(rgb, expected, "{name}");
        // A region is that rectangle of the whole decode, and delivered
        // as asked (rows below it are never decoded).
        for (x, y, rw, rh) in [(1, 1, 3, 2), (0, 0, 5, 1), (4, 2, 1, 1), (2, 0, 2, 3)] {
            let region = Region {
                x,
                y,
                width: rw,
                height: rh,
            };
            let mut buffer = DecodeBuffer::new();
            let delivered = decode(&file, &Request::new().region(region), &mut buffer)?;
            assert_eq!(delivered.region, region, "{name} {region:?}");
            assert_eq!(
                crop(&expected, w, region),
                buffer.as_slice(),
                "{name} {region:?}"
            );
        }
    }
    Ok(())
}

/// `region` of an RGB image `w` pixels wide.
fn crop(rgb: &[u8], w: usize, region: Region) -> Vec<u8> {
    let (x, y) = (region.x as usize, region.y as usize);
    (y..y + region.height as usize)
        .flat_map(|row| rgb[3 * (row * w + x)..3 * (row * w + x + region.width as usize)].to_vec())
        .collect()
}

/// An interlaced (Adam7) 8-bit gray PNG, which `png`'s encoder does not
/// write: each pass's rows unfiltered, in stored (uncompressed) deflate
/// blocks.
fn adam7_gray(gray: &[u8], w: usize, h: usize) -> Vec<u8> {
    const PASSES: [(usize, usize, usize, usize); 7] = [
        (0, 0, 8, 8),
        (4, 0, 8, 8),
        (0, 4, 4, 8),
        (2, 0, 4, 4),
        (0, 2, 2, 4),
        (1, 0, 2, 2),
        (0, 1, 1, 2),
    ];
    let mut raw = Vec::new();
    for (x0, y0, dx, dy) in PASSES {
        if x0 >= w {
            continue;
        }
        for y in (y0..h).step_by(dy) {
            raw.push(0);
            raw.extend((x0..w).step_by(dx).map(|x| gray[y * w + x]));
        }
    }
    let mut zlib = vec![0x78, 0x01, 0x01];
    let len = raw.len() as u16;
    zlib.extend(len.to_le_bytes());
    zlib.extend((!len).to_le_bytes());
    zlib.extend(&raw);
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    zlib.extend((b << 16 | a).to_be_bytes());
    let mut ihdr = Vec::new();
    ihdr.extend((w as u32).to_be_bytes());
    ihdr.extend((h as u32).to_be_bytes());
    ihdr.extend([8, 0, 0, 0, 1]);
    let mut file = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(*b"IHDR", ihdr), (*b"IDAT", zlib), (*b"IEND", Vec::new())] {
        file.extend((data.len() as u32).to_be_bytes());
        let body: Vec<u8> = kind.iter().chain(&data).copied().collect();
        file.extend(&body);
        file.extend(crc32fast::hash(&body).to_be_bytes());
    }
    file
}

/// An interlaced PNG comes in seven passes over the whole image, so a
/// region request gets the whole image, and says so.
#[test]
fn png_interlaced_is_decoded_whole_whatever_the_region() -> TestResult {
    let (w, h) = (11, 9);
    let gray: Vec<u8> = (0..w * h).map(|i| (i * 7 % 251) as u8).collect();
    let replicated: Vec<u8> = gray.iter().flat_map(|&g| [g, g, g]).collect();
    let file = adam7_gray(&gray, w, h);
    let (rgb, ww, hh) = decoded(&file, &Request::new())?;
    assert_eq!((ww, hh, &rgb), (w, h, &replicated));
    let region = Region {
        x: 2,
        y: 3,
        width: 4,
        height: 2,
    };
    let mut buffer = DecodeBuffer::new();
    let delivered = decode(&file, &Request::new().region(region), &mut buffer)?;
    let whole = Region {
        x: 0,
        y: 0,
        width: w as u32,
        height: h as u32,
    };
    assert_eq!(delivered.region, whole);
    assert_eq!(buffer.as_slice(), &replicated[..]);
    Ok(())
}

#[test]
fn webp_lossless_lossy_and_alpha() -> TestResult {
    let (w, h) = (32, 24);
    let src = gradient(w, h);
    let lossless = webp_lossless(&src, w, h, image::ExtendedColorType::Rgb8)?;
    assert_eq!(probe(&lossless)?.format, Format::WebP);
    assert_eq!(decoded(&lossless, &Request::new())?.0, src);

    let rgba: Vec<u8> = src
        .chunks_exact(3)
        .flat_map(|p| [p[0], p[1], p[2], 7])
        .collect();
    let with_alpha = webp_lossless(&rgba, w, h, image::ExtendedColorType::Rgba8)?;
    assert_eq!(probe(&with_alpha)?.color, ColorModel::Rgba);
    assert_eq!(decoded(&with_alpha, &Request::new())?.0, src);

    let lossy = include_bytes!("fixtures/lossy.webp");
    let (rgb, ww, hh) = decoded(lossy, &Request::new())?;
    assert_eq!((ww, hh), (w, h));
    let (mean, max) = difference(&rgb, &src);
    assert!(mean < 3.0 && max < 40, "lossy: mean {mean}, max {max}");

    // Extended lossy with alpha and orientation 6: upright is 24x32.
    let turned = include_bytes!("fixtures/lossy-alpha-orientation6.webp");
    let header = probe(turned)?;
    assert_eq!(header.orientation, Orientation::Rotate90);
    assert_eq!(header.color, ColorModel::Rgba);
    let (stored, _, _) = decoded(turned, &Request::new().orientation(false))?;
    let (mean, _) = difference(&stored, &src);
    assert!(mean < 3.0, "lossy with alpha: mean {mean}");
    let (upright, uw, uh) = decoded(turned, &Request::new())?;
    assert_eq!((uw, uh), (h, w));
    // Upright (u, v) is stored (v, h - 1 - u).
    for (u, v) in [(0, 0), (5, 7), (h - 1, w - 1)] {
        let a = &upright[3 * (v * uw + u)..][..3];
        let b = &stored[3 * ((h - 1 - u) * w + v)..][..3];
        assert_eq!(a, b);
    }
    Ok(())
}

#[test]
fn bmp_tiff_and_netpbm_every_depth_and_colour() -> TestResult {
    use image::ExtendedColorType as C;
    use image::codecs::pnm::{PnmSubtype, SampleEncoding};
    let (w, h) = (7, 5);
    let src = gradient(w, h);
    let rgba: Vec<u8> = src
        .chunks_exact(3)
        .flat_map(|p| [p[0], p[1], p[2], 99])
        .collect();
    let gray: Vec<u8> = (0..w * h).map(|i| (i * 7) as u8).collect();
    let replicated = |g: &[u8]| -> Vec<u8> { g.iter().flat_map(|&g| [g, g, g]).collect() };
    // 16-bit samples spread over the whole range, native order as `image`
    // encoders take them, and what they round to.
    let wide: Vec<u16> = (0..w * h * 3)
        .map(|i| (i as u32 * 65535 / 104) as u16)
        .collect();
    let wide_bytes: Vec<u8> = wide.iter().flat_map(|v| v.to_ne_bytes()).collect();
    let rounded: Vec<u8> = wide
        .iter()
        .map(|&v| ((u32::from(v) * 255 + 32767) / 65535) as u8)
        .collect();
    let wide_gray = &wide[..w * h];
    let wide_gray_bytes: Vec<u8> = wide_gray.iter().flat_map(|v| v.to_ne_bytes()).collect();
    // PBM by hand, as the format defines it: a bit 1 is ink (black), rows
    // packed from the high bit and padded to whole bytes.
    let ink = |x: usize, y: usize| (x + y).is_multiple_of(3);
    let mut pbm = format!("P4\n{w} {h}\n").into_bytes();
    for y in 0..h {
        let mut row = [0u8; 1];
        for x in 0..w {
            row[x / 8] |= u8::from(ink(x, y)) << (7 - x % 8);
        }
        pbm.extend_from_slice(&row);
    }
    let bits: Vec<u8> = (0..w * h)
        .map(|i| if ink(i % w, i / w) { 0 } else { 255 })
        .collect();
    let cases = [
        (
            "bmp rgb",
            Format::Bmp,
            bmp(&src, w, h, C::Rgb8)?,
            src.clone(),
        ),
        (
            "bmp rgba",
            Format::Bmp,
            bmp(&rgba, w, h, C::Rgba8)?,
            src.clone(),
        ),
        (
            "bmp gray",
            Format::Bmp,
            bmp(&gray, w, h, C::L8)?,
            replicated(&gray),
        ),
        (
            "tiff rgb",
            Format::Tiff,
            tiff(&src, w, h, C::Rgb8)?,
            src.clone(),
        ),
        (
            "tiff rgba",
            Format::Tiff,
            tiff(&rgba, w, h, C::Rgba8)?,
            src.clone(),
        ),
        (
            "tiff gray",
            Format::Tiff,
            tiff(&gray, w, h, C::L8)?,
            replicated(&gray),
        ),
        (
            "tiff rgb16",
            Format::Tiff,
            tiff(&wide_bytes, w, h, C::Rgb16)?,
            rounded.clone(),
        ),
        (
            "tiff gray16",
            Format::Tiff,
            tiff(&wide_gray_bytes, w, h, C::L16)?,
            replicated(&rounded[..w * h]),
        ),
        (
            "tiff by hand",
            Format::Tiff,
            tiff_oriented(&src, w, h, 1),
            src.clone(),
        ),
        (
            "ppm",
            Format::Pnm,
            pnm(
                &src,
                w,
                h,
                C::Rgb8,
                PnmSubtype::Pixmap(SampleEncoding::Binary),
            )?,
            src.clone(),
        ),
        (
            "ppm ascii",
            Format::Pnm,
            pnm(
                &src,
                w,
                h,
                C::Rgb8,
                PnmSubtype::Pixmap(SampleEncoding::Ascii),
            )?,
            src.clone(),
        ),
        (
            "pgm",
            Format::Pnm,
            pnm(
                &gray,
                w,
                h,
                C::L8,
                PnmSubtype::Graymap(SampleEncoding::Binary),
            )?,
            replicated(&gray),
        ),
        (
            "pgm 16",
            Format::Pnm,
            // By hand: `image` writes no 16-bit PGM. Samples big-endian.
            format!("P5\n{w} {h}\n65535\n")
                .into_bytes()
                .into_iter()
                .chain(wide_gray.iter().flat_map(|v| v.to_be_bytes()))
                .collect(),
            replicated(&rounded[..w * h]),
        ),
        ("pbm", Format::Pnm, pbm, replicated(&bits)),
        (
            "pam rgba",
            Format::Pnm,
            pnm(&rgba, w, h, C::Rgba8, PnmSubtype::ArbitraryMap)?,
            src.clone(),
        ),
    ];
    for (name, format, file, expected) in cases {
        let header = probe(&file)?;
        assert_eq!(
            (header.format, header.width, header.height),
            (format, w as u32, h as u32),
            "{name}"
        );
        let (rgb, ww, hh) = decoded(&file, &Request::new())?;
        assert_eq!((ww, hh), (w, h), "{name}");
        assert_eq!(rgb, expected, "{name}");
    }
    Ok(())
}

/// Where the red quadrant lands: (left, top) halves of the upright image.
fn red_corner(rgb: &[u8], w: usize, h: usize) -> (bool, bool) {
    let at = |x: usize, y: usize| rgb[3 * (y * w + x)] > 128;
    let (l, r, t, b) = (w / 4, 3 * w / 4, h / 4, 3 * h / 4);
    let spots = [(l, t), (r, t), (l, b), (r, b)];
    let red: Vec<_> = spots.iter().filter(|&&(x, y)| at(x, y)).collect();
    assert_eq!(red.len(), 1, "exactly one quadrant is red");
    (red[0].0 == l, red[0].1 == t)
}

#[test]
fn exif_orientation_applied_and_switched_off() -> TestResult {
    let (w, h) = (48, 32);
    let src = quadrant(w, h);
    // Where the stored top-left quadrant shows upright, per EXIF value.
    let expected = [
        (1, (true, true)),
        (2, (false, true)),
        (3, (false, false)),
        (4, (true, false)),
        (5, (true, true)),
        (6, (false, true)),
        (7, (false, false)),
        (8, (true, false)),
    ];
    for (value, corner) in expected {
        let files = [
            (
                "jpeg",
                jpeg(
                    &src,
                    w,
                    h,
                    Jpeg {
                        orientation: Some(value),
                        ..Jpeg::default()
                    },
                )?,
            ),
            (
                "png",
                png(
                    &src,
                    w,
                    h,
                    png::ColorType::Rgb,
                    png::BitDepth::Eight,
                    None,
                    Some(value),
                )?,
            ),
            ("tiff", tiff_oriented(&src, w, h, value)),
        ];
        for (name, file) in files {
            let header = probe(&file)?;
            assert_eq!(header.orientation.exif(), value, "{name}");
            let (rgb, uw, uh) = decoded(&file, &Request::new())?;
            let swapped = value >= 5;
            assert_eq!((uw, uh), if swapped { (h, w) } else { (w, h) });
            assert_eq!(
                red_corner(&rgb, uw, uh),
                corner,
                "{name} orientation {value}"
            );
            if name == "png" {
                // Exactly the pixels of the coordinate map.
                let o = header.orientation;
                for (u, v) in [(0, 0), (uw - 1, 0), (3, uh - 1), (uw / 2, uh / 3)] {
                    let (x, y) = o.to_stored((u as f64, v as f64), (w as f64, h as f64));
                    let s = 3 * (y as usize * w + x as usize);
                    assert_eq!(&rgb[3 * (v * uw + u)..][..3], &src[s..s + 3]);
                }
            }
            // Switched off: as stored.
            let (rgb, sw, sh) = decoded(&file, &Request::new().orientation(false))?;
            assert_eq!((sw, sh), (w, h));
            assert_eq!(red_corner(&rgb, sw, sh), (true, true), "{name} off");
        }
    }
    Ok(())
}

/// A PNG damaged or cut below the region still fails a region decode, as
/// a whole decode fails (the chunks past the region's rows are checked
/// against their CRCs), so a bad file does not load or fail by its crop.
#[test]
fn png_damage_below_the_region_still_fails() -> TestResult {
    let (w, h) = (40, 30);
    let file = png_rgb(&gradient(w, h), w, h)?;
    let top = Region {
        x: 3,
        y: 0,
        width: 10,
        height: 2,
    };
    let mut buffer = DecodeBuffer::new();
    decode(&file, &Request::new().region(top), &mut buffer)?;
    let mut damaged = file.clone();
    let at = damaged.len() - 20;
    damaged[at] ^= 0xFF;
    let cut = &file[..file.len() - 30];
    for (name, bytes) in [("damaged", &damaged[..]), ("cut", cut)] {
        for request in [Request::new(), Request::new().region(top)] {
            let got = decode(bytes, &request, &mut buffer);
            assert!(
                matches!(
                    got,
                    Err(DecodeError::Corrupt { .. } | DecodeError::Truncated { .. })
                ),
                "{name} {:?}: {got:?}",
                request.region
            );
        }
    }
    Ok(())
}
