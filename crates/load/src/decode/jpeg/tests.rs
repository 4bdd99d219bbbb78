//! The in-tree decoder against zune-jpeg (the whole-image decoder it
//! stands in for), and its regions against its own whole image.

use super::baseline;
use crate::decode::{DecodeBuffer, Region, Request, decode};

/// Sequential JPEGs of the bundled photos in every subsampling and with
/// restart intervals, plus gray.
fn samples() -> Vec<(String, Vec<u8>)> {
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
        if Encoder::new(&mut bytes, 80)
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
        assert!(
            baseline::decode(bytes, region, &mut scratch, &mut ours)?,
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

#[test]
fn cut_and_damaged_files_give_errors_or_pixels_never_a_panic() {
    for (name, bytes) in samples().into_iter().take(12) {
        let mut buffer = DecodeBuffer::new();
        for cut in (0..bytes.len()).step_by(7) {
            let _ = decode(&bytes[..cut], &Request::new(), &mut buffer);
        }
        let mut damaged = bytes.clone();
        for i in (bytes.len() / 3..bytes.len() - 2).step_by(11) {
            damaged[i] ^= 0x5A;
            let result = decode(&damaged, &Request::new(), &mut buffer);
            assert!(result.is_ok() || result.is_err(), "{name}");
        }
    }
}
