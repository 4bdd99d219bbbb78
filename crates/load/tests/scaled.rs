//! Scaled decoding: where a plan shrinks a JPEG by at least 8/7 on both
//! axes, the loader decodes it at the smallest scale `m / 8` that keeps the
//! output's resolution and samples the smaller image through the plan
//! composed with the scale. The outputs then differ from decoding at full
//! size by the difference of two low-pass filters (the reduced inverse DCT
//! against the sampler's filtering of the full image). The bound kept, on
//! photographs in every orientation and subsampling, against the same
//! loader decoding at full size: a mean absolute difference below 2.5
//! levels of 255 per image and below 1.5 over all images (measured: at
//! most 1.96 and 1.23; single pixels at sharp edges differ by up to about
//! 64), with every image decoded at a reduced scale where its plan allows.

mod common;

use augment::Pipeline;
use common::*;
use load::{Dataset, Loader, Output};

/// The bundled photograph at `w x h`.
fn photo(w: u32, h: u32) -> Res<Vec<u8>> {
    let photo = image::open(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../augment-cli/assets/coffee.png"
    ))?
    .to_rgb8();
    let resized = image::imageops::resize(&photo, w, h, image::imageops::FilterType::Triangle);
    Ok(resized.into_raw())
}

fn dataset(dir: &std::path::Path) -> Res<()> {
    use jpeg_encoder::{ColorType, SamplingFactor};
    let cases = [
        (640, 480, SamplingFactor::R_4_2_0, ColorType::Rgb, 1),
        (1000, 750, SamplingFactor::R_4_2_0, ColorType::Rgb, 6),
        (777, 555, SamplingFactor::R_4_2_2, ColorType::Rgb, 3),
        (901, 601, SamplingFactor::R_4_4_4, ColorType::Rgb, 8),
        (533, 799, SamplingFactor::R_4_2_0, ColorType::Rgb, 5),
        (700, 500, SamplingFactor::R_4_2_0, ColorType::Luma, 2),
    ];
    for (i, (w, h, sampling, color, orientation)) in cases.into_iter().enumerate() {
        let mut px = photo(w, h)?;
        if color == ColorType::Luma {
            px = px.chunks_exact(3).map(|p| p[1]).collect();
        }
        let options = Jpeg {
            quality: 90,
            sampling,
            color,
            orientation: Some(orientation),
            ..Jpeg::default()
        };
        let bytes = jpeg(&px, w as usize, h as usize, options)?;
        write(&dir.join(format!("{}/{i}.jpg", ["a", "b"][i % 2])), &bytes)?;
    }
    Ok(())
}

#[test]
fn scaled_decoding_stays_within_its_bound_of_full_size_decoding() -> TestResult {
    let dir = tempfile::tempdir()?;
    dataset(dir.path())?;
    let pipelines = [
        Pipeline::builder()
            .random_resized_crop(96, 96)
            .flip_horizontal(0.5)
            .seed(3)
            .build()?,
        Pipeline::fastai_default(112, 112).seed(4).build()?,
        Pipeline::builder().resize(150, 120).seed(5).build()?,
        // Upright shrinks of 1.5x to 3.3x: decoded at 3/4 and 5/8.
        Pipeline::builder().resize(400, 300).seed(6).build()?,
    ];
    // Pipelines whose every plan is affine and shrinks at least 2x here
    // (so every image decodes at 1/2 or less: at most a quarter of the
    // pixels) or 1.5x (3/4 or less: 36/64 of them), and the fastai preset,
    // whose perspective warps and mild zooms keep some images at full size.
    let pixel_shares = [Some(16), None, Some(16), Some(36)];
    for (pipeline, share) in pipelines.into_iter().zip(pixel_shares) {
        let make = |scaled: bool| {
            Loader::builder(Dataset::image_folder(dir.path())?, pipeline.clone())
                .batch_size(4)
                .threads(2)
                .output(Output::Pixels)
                .scaled_decoding(scaled)
                .build()
        };
        let (mut on, mut off) = (make(true)?, make(false)?);
        let (mut total, mut n) = (0.0, 0);
        for e in 0..4 {
            on.set_epoch(e)?;
            off.set_epoch(e)?;
            for (a, b) in on.iter().zip(off.iter()) {
                let (a, b) = (a?, b?);
                let (pa, pb) = (a.pixels().ok_or("pixels")?, b.pixels().ok_or("pixels")?);
                let per = pa.len() / a.len();
                for (i, (x, y)) in pa.chunks_exact(per).zip(pb.chunks_exact(per)).enumerate() {
                    let (mean, _) = difference(x, y);
                    assert!(
                        mean < 2.5,
                        "sample {} of epoch {e}: mean difference {mean:.3}",
                        a.samples()[i]
                    );
                    total += mean;
                    n += 1;
                }
            }
        }
        let overall = total / f64::from(n);
        assert!(
            overall < 1.5,
            "mean difference {overall:.3} over {n} images"
        );
        let (scaled, full) = (on.stats(), off.stats());
        assert_eq!((scaled.images, full.images), (24, 24));
        assert_eq!(full.scaled_decodes, 0);
        if let Some(share) = share {
            assert_eq!(scaled.scaled_decodes, 24);
            // At most `share / 64` of the pixels, plus the widening of
            // regions to whole scaled pixels.
            assert!(scaled.decoded_pixels * 64 <= full.decoded_pixels * share + 24 * 32_000);
        } else {
            assert!(scaled.scaled_decodes > 0 && scaled.decoded_pixels < full.decoded_pixels);
        }
    }
    Ok(())
}
