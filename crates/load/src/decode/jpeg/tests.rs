//! The in-tree decoder against zune-jpeg (the whole-image decoder it
//! stands in for), its regions against its own whole image, and its
//! scaled decodes against the full-size one and their own regions.

use super::baseline;
use crate::decode::{DecodeBuffer, Region, Request, decode};

mod damaged;

/// Sequential JPEGs of the bundled photos in every subsampling and with
/// restart intervals, plus gray.
fn samples() -> Vec<(String, Vec<u8>)> {
    encoded(false)
}

/// The same images as [`samples`], progressive (the encoder's spectral
/// selection and successive approximation), in the same order.
fn progressive_samples() -> Vec<(String, Vec<u8>)> {
    encoded(true)
}

fn encoded(progressive: bool) -> Vec<(String, Vec<u8>)> {
    use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
    let photo = image::open(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../augment-cli/assets/coffee.png"
    ))
    .map(|i| i.to_rgb8());
    let Ok(photo) = photo else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (w, h) in [(173usize, 131usize), (64, 48), (9, 7), (1, 1), (301, 17)] {
        let small = image::imageops::resize(
            &photo,
            w as u32,
            h as u32,
            image::imageops::FilterType::Triangle,
        );
        for (name, factor) in [
            ("444", SamplingFactor::F_1_1),
            ("422", SamplingFactor::F_2_1),
            ("420", SamplingFactor::F_2_2),
        ] {
            for restart in [0u16, 3] {
                let mut bytes = Vec::new();
                let mut encoder = Encoder::new(&mut bytes, 87);
                encoder.set_sampling_factor(factor);
                encoder.set_progressive(progressive);
                if restart > 0 {
                    encoder.set_restart_interval(restart);
                }
                if encoder
                    .encode(small.as_raw(), w as u16, h as u16, ColorType::Rgb)
                    .is_ok()
                {
                    out.push((format!("{w}x{h} {name} restart {restart}"), bytes));
                }
            }
        }
        let gray = image::imageops::grayscale(&small);
        let mut bytes = Vec::new();
        let mut encoder = Encoder::new(&mut bytes, 80);
        encoder.set_progressive(progressive);
        if encoder
            .encode(gray.as_raw(), w as u16, h as u16, ColorType::Luma)
            .is_ok()
        {
            out.push((format!("{w}x{h} gray"), bytes));
        }
    }
    out
}

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

fn whole(bytes: &[u8]) -> Result<(DecodeBuffer, u32, u32)> {
    let mut buffer = DecodeBuffer::new();
    let delivered = decode(bytes, &Request::new(), &mut buffer)?;
    Ok((buffer, delivered.width, delivered.height))
}

#[test]
fn the_in_tree_decoder_takes_every_sample_and_stays_close_to_zune_jpeg() -> Result {
    let samples = samples();
    assert!(samples.len() >= 30, "{} samples", samples.len());
    for (name, bytes) in &samples {
        let mut scratch = baseline::Scratch::default();
        let header = crate::decode::probe(bytes)?;
        let region = Region {
            x: 0,
            y: 0,
            width: header.width,
            height: header.height,
        };
        let mut ours = Vec::new();
        assert_eq!(
            baseline::decode(bytes, region, 8, &mut scratch, &mut ours, None)?,
            Some(region),
            "{name}: not taken by the in-tree decoder"
        );
        let mut zune = Vec::new();
        super::decode_whole(bytes, &header, &mut zune)?;
        assert_eq!(ours.len(), zune.len(), "{name}");
        // Both are islow-exact IDCTs; they differ in upsampling (zune's
        // own filter) and colour rounding.
        let worst = ours
            .iter()
            .zip(&zune)
            .map(|(a, b)| a.abs_diff(*b))
            .max()
            .unwrap_or(0);
        let mean = ours
            .iter()
            .zip(&zune)
            .map(|(a, b)| f64::from(a.abs_diff(*b)))
            .sum::<f64>()
            / ours.len() as f64;
        assert!(
            mean < 0.6 && worst <= 24,
            "{name}: mean {mean:.3}, worst {worst}"
        );
    }
    Ok(())
}

#[test]
fn one_scratch_decodes_images_with_other_huffman_tables_as_a_fresh_one() -> Result {
    // A scratch keeps its built tables for the next image with the same
    // ones: standard, optimised (each image its own) and progressive files
    // (tables redefined between scans), in turn, must each decode as with
    // a fresh scratch.
    use jpeg_encoder::{ColorType, Encoder};
    let mut files = Vec::new();
    for ((name, bytes), (_, progressive)) in samples().into_iter().zip(progressive_samples()) {
        let header = crate::decode::probe(&bytes)?;
        let pixels = baseline::decode(
            &bytes,
            Region {
                x: 0,
                y: 0,
                width: header.width,
                height: header.height,
            },
            8,
            &mut baseline::Scratch::default(),
            &mut Vec::new(),
            None,
        )?;
        if pixels.is_none() {
            continue;
        }
        let (w, h) = (header.width as u16, header.height as u16);
        let mut rgb = Vec::new();
        super::decode_whole(&bytes, &header, &mut rgb)?;
        let mut optimised = Vec::new();
        let mut encoder = Encoder::new(&mut optimised, 90);
        encoder.set_optimized_huffman_tables(true);
        if rgb.len() == usize::from(w) * usize::from(h) * 3 {
            encoder.encode(&rgb, w, h, ColorType::Rgb)?;
            files.push((format!("{name} optimised"), optimised));
        }
        files.push((name.clone(), bytes));
        files.push((format!("{name} progressive"), progressive));
    }
    assert!(files.len() >= 30, "{} files", files.len());
    let mut shared = DecodeBuffer::new();
    for round in 0..2 {
        for (name, bytes) in &files {
            let (fresh, _, _) = whole(bytes)?;
            decode(bytes, &Request::new(), &mut shared)?;
            assert!(
                shared.as_slice() == fresh.as_slice(),
                "{name} (round {round}): differs after the images before it"
            );
        }
    }
    Ok(())
}

#[test]
fn every_region_is_bit_identical_to_the_same_pixels_of_the_whole_image() -> Result {
    for (name, bytes) in samples() {
        let (full, w, h) = whole(&bytes)?;
        let full = full.as_slice().to_vec();
        let (w, h) = (w as usize, h as usize);
        let mut buffer = DecodeBuffer::new();
        let mut regions = vec![(0, 0, w, h), (0, 0, 1, 1), (w - 1, h - 1, 1, 1)];
        for (fx0, fy0, fx1, fy1) in [(1, 3, 7, 5), (0, 5, 3, 8), (4, 0, 8, 2), (2, 2, 6, 6)] {
            let (x0, y0) = (w * fx0 / 8, h * fy0 / 8);
            let (x1, y1) = ((w * fx1 / 8).max(x0 + 1), (h * fy1 / 8).max(y0 + 1));
            regions.push((x0, y0, x1 - x0, y1 - y0));
        }
        for (x, y, rw, rh) in regions {
            let region = Region {
                x: x as u32,
                y: y as u32,
                width: rw as u32,
                height: rh as u32,
            };
            let delivered = decode(&bytes, &Request::new().region(region), &mut buffer)?;
            assert_eq!(delivered.region, region, "{name}");
            assert_eq!(
                (delivered.width as usize, delivered.height as usize),
                (rw, rh)
            );
            for row in 0..rh {
                let want = &full[3 * ((y + row) * w + x)..][..3 * rw];
                let got = &buffer.as_slice()[3 * row * rw..][..3 * rw];
                assert_eq!(got, want, "{name}: region {region:?}, row {row}");
            }
        }
    }
    Ok(())
}

/// The whole image of `bytes` decoded at `eighths / 8`.
fn whole_scaled(bytes: &[u8], eighths: u32) -> Result<(Vec<u8>, usize, usize)> {
    let mut buffer = DecodeBuffer::new();
    let delivered = decode(bytes, &Request::new().eighths(eighths), &mut buffer)?;
    assert_eq!(delivered.eighths, eighths);
    Ok((
        buffer.as_slice().to_vec(),
        delivered.width as usize,
        delivered.height as usize,
    ))
}

/// The mean of channel `c` of the RGB image `full` (`w` wide) over the
/// square `[x0, x0 + side) x [y0, y0 + side)` in pixel units (each pixel
/// weighted by the part of it inside).
fn area_mean(full: &[u8], w: usize, c: usize, (x0, y0): (f64, f64), side: f64) -> f64 {
    let span = |lo: f64| {
        let first = lo.floor() as usize;
        let last = (lo + side).ceil() as usize;
        // Rounding can put the end a hair past a pixel edge: that pixel
        // (possibly outside the image) covers nothing.
        (first..last)
            .map(move |i| (i, (lo + side).min(i as f64 + 1.0) - lo.max(i as f64)))
            .filter(|&(_, cover)| cover > 1e-9)
    };
    let mut sum = 0.0;
    for (y, wy) in span(y0) {
        for (x, wx) in span(x0) {
            sum += wx * wy * f64::from(full[3 * (y * w + x) + c]);
        }
    }
    sum / (side * side)
}

#[test]
fn a_scaled_decode_stays_near_area_means_of_the_full_decode() -> Result {
    for (name, bytes) in samples() {
        let (full, w, h) = whole(&bytes)?;
        let (full, w, h) = (full.as_slice().to_vec(), w as usize, h as usize);
        for eighths in 1..8usize {
            let (small, sw, sh) = whole_scaled(&bytes, eighths as u32)?;
            let scaled = |v: usize| (v * eighths).div_ceil(8);
            assert_eq!((sw, sh), (scaled(w), scaled(h)), "{name}");
            // Compare the pixels whose area lies inside the image with the
            // mean of the full decode over it: the transforms of 1/2, 1/4
            // and 1/8 are that mean of the exact transform (up to
            // rounding), the others the block's lowest frequencies, which
            // ring at sharp edges where the mean is flat; chroma
            // upsampling differs only near colour edges.
            let side = 8.0 / eighths as f64;
            let (mut sum, mut n, mut worst) = (0.0, 0usize, 0.0f64);
            for y in 0..h * eighths / 8 {
                for x in 0..w * eighths / 8 {
                    for c in 0..3 {
                        let at = (x as f64 * side, y as f64 * side);
                        let mean = area_mean(&full, w, c, at, side);
                        let diff = (f64::from(small[3 * (y * sw + x) + c]) - mean).abs();
                        sum += diff;
                        n += 1;
                        worst = worst.max(diff);
                    }
                }
            }
            if n > 0 {
                let mean = sum / n as f64;
                // Subsampled chroma differs more: the scaled decode
                // reconstructs it at its own (reduced) resolution, 4:2:2
                // at half the luma's across (libjpeg-turbo's choice, which
                // this decoder matches bit for bit at 1/2, 1/4 and 1/8:
                // checked against OpenCV's IMREAD_REDUCED_COLOR_{2,4,8}).
                let plain = name.contains("444") || name.contains("gray");
                // The other transforms, measured: means up to 4.1 on the
                // larger images and 7.0 on 9x7 (a few pixels, each near the
                // replicated edge), single samples up to 34 at sharp edges.
                let (mean_bound, worst_bound) = match (plain, 8 % eighths == 0) {
                    (true, true) => (0.7, 6.0),
                    (true, false) => (7.5, 36.0),
                    (false, _) => (8.0, 42.0),
                };
                assert!(
                    mean < mean_bound && worst < worst_bound,
                    "{name} at {eighths}/8: mean {mean:.2}, worst {worst:.1}"
                );
            }
        }
    }
    Ok(())
}

#[test]
fn every_scaled_region_is_bit_identical_to_the_same_pixels_of_the_whole_scaled_image() -> Result {
    for (name, bytes) in samples() {
        let header = crate::decode::probe(&bytes)?;
        let (w, h) = (header.width as usize, header.height as usize);
        for eighths in 1..8usize {
            let (full, sw, sh) = whole_scaled(&bytes, eighths as u32)?;
            // `step` stored pixels make `pixels` whole scaled ones.
            let (step, pixels) = super::baseline::whole_pixels(eighths);
            let mut buffer = DecodeBuffer::new();
            let mut regions = vec![(0, 0, w, h), (0, 0, 1, 1), (w - 1, h - 1, 1, 1)];
            for (fx0, fy0, fx1, fy1) in [(1, 3, 7, 5), (0, 5, 3, 8), (4, 0, 8, 2), (2, 2, 6, 6)] {
                let (x0, y0) = (w * fx0 / 8 + 1, h * fy0 / 8);
                let x0 = x0.min(w - 1);
                let (x1, y1) = ((w * fx1 / 8).max(x0 + 1), (h * fy1 / 8).max(y0 + 1));
                regions.push((x0, y0, x1 - x0, y1 - y0));
            }
            for (x, y, rw, rh) in regions {
                let region = Region {
                    x: x as u32,
                    y: y as u32,
                    width: rw as u32,
                    height: rh as u32,
                };
                let request = Request::new().region(region).eighths(eighths as u32);
                let delivered = decode(&bytes, &request, &mut buffer)?;
                // The region widened to whole scaled pixels, clipped.
                let (dx, dy) = (x / step * step, y / step * step);
                let (dx1, dy1) = (
                    ((x + rw).div_ceil(step) * step).min(w),
                    ((y + rh).div_ceil(step) * step).min(h),
                );
                let want_region = Region {
                    x: dx as u32,
                    y: dy as u32,
                    width: (dx1 - dx) as u32,
                    height: (dy1 - dy) as u32,
                };
                assert_eq!(delivered.region, want_region, "{name} at {eighths}/8");
                let (ow, oh) = (delivered.width as usize, delivered.height as usize);
                let (sx, sy) = (dx / step * pixels, dy / step * pixels);
                let scaled = |v: usize| (v * eighths).div_ceil(8);
                assert_eq!(
                    (ow, oh),
                    (
                        (scaled(dx1) - sx).min(sw - sx),
                        (scaled(dy1) - sy).min(sh - sy)
                    ),
                    "{name} at {eighths}/8"
                );
                assert_eq!(
                    delivered.upright_window(),
                    Some((sx as u32, sy as u32, ow as u32, oh as u32))
                );
                for row in 0..oh {
                    let want = &full[3 * ((sy + row) * sw + sx)..][..3 * ow];
                    let got = &buffer.as_slice()[3 * row * ow..][..3 * ow];
                    assert_eq!(
                        got, want,
                        "{name} at {eighths}/8: region {region:?}, row {row}"
                    );
                }
            }
        }
    }
    Ok(())
}

/// A progressive file holds the coefficients its sequential twin holds
/// (the same encoder, quality and subsampling), so every scale and region
/// of it decodes to the same bits.
#[test]
fn progressive_files_decode_to_the_pixels_of_their_sequential_twins() -> Result {
    let (sequential, progressive) = (samples(), progressive_samples());
    assert_eq!(sequential.len(), progressive.len());
    for ((name, seq), (_, prog)) in sequential.iter().zip(&progressive) {
        assert!(crate::decode::probe(prog)?.progressive, "{name}");
        assert_ne!(seq, prog, "{name}: the same bytes");
        let header = crate::decode::probe(prog)?;
        let (w, h) = (header.width, header.height);
        for eighths in 1..=8 {
            for region in [
                Region {
                    x: 0,
                    y: 0,
                    width: w,
                    height: h,
                },
                Region {
                    x: w / 3,
                    y: h / 2,
                    width: (w / 2).max(1),
                    height: (h / 3).max(1),
                },
            ] {
                let request = Request::new().eighths(eighths).region(region);
                let (mut a, mut b) = (DecodeBuffer::new(), DecodeBuffer::new());
                let da = decode(seq, &request, &mut a)?;
                let db = decode(prog, &request, &mut b)?;
                assert_eq!((db.eighths, db.region), (eighths, da.region), "{name}");
                assert_eq!(
                    a.as_slice(),
                    b.as_slice(),
                    "{name} at {eighths}/8, {region:?}"
                );
            }
        }
    }
    Ok(())
}

#[test]
fn cut_and_damaged_files_give_errors_or_pixels_never_a_panic() {
    let progressive = progressive_samples().into_iter().take(12);
    for (name, bytes) in samples().into_iter().take(12).chain(progressive) {
        let mut buffer = DecodeBuffer::new();
        for cut in (0..bytes.len()).step_by(7) {
            let _ = decode(&bytes[..cut], &Request::new(), &mut buffer);
        }
        let mut damaged = bytes.clone();
        let mut indexed = DecodeBuffer::new();
        // The intact file's lower-right quarter, asked of every damaged copy.
        let (w, h) = crate::decode::probe(&bytes).map_or((1, 1), |h| (h.width, h.height));
        let tail = Request::new().region(Region {
            x: w / 2,
            y: h / 2,
            width: w - w / 2,
            height: h - h / 2,
        });
        for i in (bytes.len() / 3..bytes.len() - 2).step_by(11) {
            damaged[i] ^= 0x5A;
            for eighths in [8, 5, 4, 1] {
                let result = decode(&damaged, &Request::new().eighths(eighths), &mut buffer);
                assert!(result.is_ok() || result.is_err(), "{name}");
            }
            // Row starts read from damaged data lead to the same pixels
            // (or the same error) as reading it all again.
            let mut index = crate::decode::SeekIndex::new();
            for request in [Request::new(), tail, tail] {
                let plain = decode(&damaged, &request, &mut buffer).map(|_| buffer.as_slice());
                let with =
                    crate::decode::decode_with_index(&damaged, &request, &mut indexed, &mut index)
                        .map(|_| indexed.as_slice());
                assert_eq!(plain.ok(), with.ok(), "{name}, byte {i} damaged");
            }
        }
    }
}

#[test]
fn decoding_through_a_seek_index_gives_the_bits_of_decoding_without_one() -> Result {
    use crate::decode::{SeekIndex, decode_with_index};
    let samples = samples();
    let mut other = SeekIndex::new();
    for (name, bytes) in &samples {
        let (_, w, h) = whole(bytes)?;
        let (w, h) = (w as usize, h as usize);
        let (mut plain, mut indexed) = (DecodeBuffer::new(), DecodeBuffer::new());
        let mut index = SeekIndex::new();
        // Regions low, high, right, left and whole, at every scale, so the
        // index is used before it knows every row, after, and to jump from
        // a region's right edge to the next row.
        let fractions = [
            (5, 6, 8, 8),
            (0, 0, 2, 1),
            (1, 3, 7, 5),
            (6, 1, 8, 7),
            (0, 5, 3, 8),
            (0, 0, 8, 8),
            (2, 2, 6, 6),
        ];
        for (step, (fx0, fy0, fx1, fy1)) in fractions.into_iter().enumerate() {
            let (x0, y0) = (w * fx0 / 8, h * fy0 / 8);
            let (x1, y1) = ((w * fx1 / 8).max(x0 + 1), (h * fy1 / 8).max(y0 + 1));
            let region = Region {
                x: x0 as u32,
                y: y0 as u32,
                width: (x1 - x0) as u32,
                height: (y1 - y0) as u32,
            };
            let request = Request::new()
                .region(region)
                .eighths([8, 4, 8, 1, 2, 6, 7][step]);
            let want = decode(bytes, &request, &mut plain)?;
            let got = decode_with_index(bytes, &request, &mut indexed, &mut index)?;
            assert_eq!(got, want, "{name}: {region:?}");
            assert_eq!(indexed.as_slice(), plain.as_slice(), "{name}: {region:?}");
            // An index of another file is started again, not used.
            let got = decode_with_index(bytes, &request, &mut indexed, &mut other)?;
            assert_eq!(got, want, "{name}: {region:?} with another file's index");
            assert_eq!(indexed.as_slice(), plain.as_slice(), "{name}: {region:?}");
        }
        // Only sequential files without restart intervals keep row starts;
        // after a whole decode, every row's.
        let rows = h.div_ceil(if name.contains("420") { 16 } else { 8 });
        let expected = if name.contains("restart 3") { 0 } else { rows };
        assert_eq!(index.rows(), expected, "{name}");
    }
    for (name, bytes) in progressive_samples().iter().take(4) {
        let mut index = SeekIndex::new();
        decode_with_index(bytes, &Request::new(), &mut DecodeBuffer::new(), &mut index)?;
        assert_eq!(index.rows(), 0, "{name}");
    }
    Ok(())
}
