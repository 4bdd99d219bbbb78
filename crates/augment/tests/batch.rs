//! Batches to NCHW tensors: each image equals `apply` then `normalise`,
//! whatever the thread count or the way a dataset is cut into batches, and
//! a reused tensor allocates nothing image-sized in the steady state.

mod common;

use augment::{Element, Error, Image, Normalisation, Padding, Pipeline, PipelineBuilder, Tensor};
use common::TestResult;

/// Photographs of different sizes and channel counts, smooth enough for
/// interpolation to matter and with detail enough for errors to show.
fn photo<T: Element>(width: usize, height: usize, channels: usize, seed: usize) -> Image<T> {
    Image::from_fn(width, height, channels, |x, y, c| {
        let v = 127.5
            + 60.0 * ((x as f64 * 0.11 + seed as f64).sin() + (y as f64 * 0.07 + c as f64).cos())
            + ((x * 7 + y * 13 + c * 5 + seed) % 9) as f64;
        T::from_f32((v.clamp(0.0, 255.0) / 255.0) as f32 * T::FULL_SCALE)
    })
    .unwrap_or_else(|e| panic!("photo: {e}"))
}

/// Pipelines that exercise every branch of the tensor path: plain affine,
/// lighting (clamped for u8), displacement grids, antialiasing levels,
/// cutout and blurs on the planes, constant padding outside 0..=1.
fn pipelines(w: usize, h: usize) -> Result<Vec<(&'static str, Pipeline)>, Error> {
    let b = Pipeline::builder;
    let cases: Vec<(&'static str, PipelineBuilder)> = vec![
        ("fastai default", Pipeline::fastai_default(w, h)),
        ("validation", Pipeline::fastai_validation(w, h)),
        (
            "lighting strong",
            b().brightness(-0.5..=0.5, 1.0)
                .contrast(-0.6..=0.6, 1.0)
                .rotate(-30.0..=30.0, 1.0)
                .resize(w, h),
        ),
        (
            "jitter and elastic",
            b().jitter(0.0..=0.7, 1.0)
                .elastic(1.0..=3.0, 16.0, 1.0)
                .resize(w, h),
        ),
        (
            "shrink 5x (antialias level)",
            b().rotate(-5.0..=5.0, 1.0).resize(w / 2, h / 2),
        ),
        (
            "cutout, blurs",
            b().cutout(1.0..=3.0, 8.0, 6.0, 1.0)
                .gaussian_blur(0.5..=1.5, 1.0)
                .motion_blur(3.0..=7.0, -90.0..=90.0, 0.5)
                .resize(w, h),
        ),
        (
            "constant padding out of range",
            b().rotate(20.0..=40.0, 1.0)
                .zoom(0.5..=0.7, 1.0)
                .padding(Padding::Constant(300.0))
                .resize(w, h),
        ),
    ];
    cases
        .into_iter()
        .map(|(name, builder)| Ok((name, builder.seed(11).build()?)))
        .collect()
}

/// Largest |tensor - normalise(apply)| over a batch, in units of one step
/// of the source type after normalisation (1/255/std for u8).
fn worst_error<T: Element>(
    pipeline: &Pipeline,
    images: &[Image<T>],
    first: u64,
    norm: &Normalisation,
    tensor: &Tensor,
) -> Result<f64, Box<dyn std::error::Error>> {
    let channels = images[0].channels();
    let affine = norm.channel_affine(channels, T::FULL_SCALE)?;
    let mut worst = 0.0f64;
    for (k, img) in images.iter().enumerate() {
        let out = pipeline.apply(img.view(), first + k as u64)?;
        let mut expected = vec![0.0; out.width() * out.height() * channels];
        norm.normalise(out.view(), &mut expected)?;
        let got = tensor.image(k).ok_or("missing image")?;
        assert_eq!(got.len(), expected.len());
        let plane = out.width() * out.height();
        for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
            let step = f64::from(affine.scale[i / plane]).abs();
            worst = worst.max(f64::from(g - e).abs() / step);
        }
    }
    Ok(worst)
}

#[test]
fn each_image_of_a_batch_is_apply_then_normalise() -> TestResult {
    let sizes = [(64, 48), (50, 70), (97, 33), (120, 90)];
    for channels in [1usize, 3, 4] {
        let images: Vec<Image<u8>> = sizes
            .iter()
            .enumerate()
            .map(|(i, &(w, h))| photo(w, h, channels, i))
            .collect();
        let views: Vec<_> = images.iter().map(|i| i.view()).collect();
        let norm = if channels == 1 {
            Normalisation::new(&[0.45], &[0.27])?
        } else {
            Normalisation::IMAGENET
        };
        for (name, pipeline) in pipelines(40, 32)? {
            let mut tensor = Tensor::new();
            pipeline.apply_batch(&views, 5, &norm, &mut tensor)?;
            assert_eq!(tensor.shape()[..2], [4, channels], "{name}");
            let worst = worst_error(&pipeline, &images, 5, &norm, &tensor)?;
            // `apply` rounds to u8 once after sampling and once more after each
            // blur (this case has up to two); the tensor never rounds. Half a
            // step each, plus f32 noise.
            let bound = if name.contains("blurs") { 1.51 } else { 0.51 };
            assert!(worst <= bound, "{name}, {channels} channels: {worst} steps");
        }
    }
    Ok(())
}

#[test]
fn f32_batches_match_apply_to_float_precision() -> TestResult {
    let images: Vec<Image<f32>> = (0..3).map(|i| photo(60 + 9 * i, 45, 3, i)).collect();
    let views: Vec<_> = images.iter().map(|i| i.view()).collect();
    for (name, pipeline) in pipelines(40, 32)? {
        let mut tensor = Tensor::new();
        pipeline.apply_batch(&views, 0, &Normalisation::IMAGENET, &mut tensor)?;
        // One step of an f32 "type" is 1/std in tensor units: allow 1e-5 of the range.
        let worst = worst_error(&pipeline, &images, 0, &Normalisation::IMAGENET, &tensor)?;
        assert!(worst <= 2e-5, "{name}: {worst}");
    }
    Ok(())
}

#[test]
fn the_tensor_does_not_depend_on_threads_or_on_batch_boundaries() -> TestResult {
    let images: Vec<Image<u8>> = (0..7)
        .map(|i| photo(50 + 11 * i, 40 + 7 * i, 3, i))
        .collect();
    let views: Vec<_> = images.iter().map(|i| i.view()).collect();
    for (name, pipeline) in pipelines(40, 32)? {
        let mut reference = Tensor::new();
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()?
            .install(|| {
                pipeline.apply_batch(&views, 100, &Normalisation::IMAGENET, &mut reference)
            })?;
        for threads in [2, 3, 4] {
            let mut tensor = Tensor::new();
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()?
                .install(|| {
                    pipeline.apply_batch(&views, 100, &Normalisation::IMAGENET, &mut tensor)
                })?;
            assert!(
                tensor
                    .as_slice()
                    .iter()
                    .map(|v| v.to_bits())
                    .eq(reference.as_slice().iter().map(|v| v.to_bits())),
                "{name}: {threads} threads differ from 1"
            );
        }
        // The same images cut into batches of 3, 3 and 1.
        let mut pieces = Vec::new();
        for (start, chunk) in [(0usize, 3usize), (3, 3), (6, 1)] {
            let mut part = Tensor::new();
            pipeline.apply_batch(
                &views[start..start + chunk],
                100 + start as u64,
                &Normalisation::IMAGENET,
                &mut part,
            )?;
            pieces.extend_from_slice(part.as_slice());
        }
        assert!(
            pieces
                .iter()
                .map(|v| v.to_bits())
                .eq(reference.as_slice().iter().map(|v| v.to_bits())),
            "{name}: split batches differ"
        );
    }
    Ok(())
}

#[test]
fn a_reused_tensor_allocates_nothing_image_sized() -> TestResult {
    let images: Vec<Image<u8>> = (0..6)
        .map(|i| photo(300 + 17 * i, 200 + 13 * i, 3, i))
        .collect();
    let views: Vec<_> = images.iter().map(|i| i.view()).collect();
    // One worker thread, and the batch started from it, so every allocation
    // the batch makes happens on the measured thread.
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    for (name, pipeline) in pipelines(224, 224)? {
        let mut tensor = Tensor::new();
        pool.install(|| pipeline.apply_batch(&views, 0, &Normalisation::IMAGENET, &mut tensor))?;
        let address = tensor.as_slice().as_ptr();
        let mut second = Ok(());
        let info = pool.install(|| {
            allocation_counter::measure(|| {
                second = pipeline.apply_batch(&views, 6, &Normalisation::IMAGENET, &mut tensor);
            })
        });
        second?;
        assert_eq!(
            tensor.as_slice().as_ptr(),
            address,
            "{name}: tensor reallocated"
        );
        // Plans hold a few small vectors (steps drawn, pixel ops); nothing
        // the size of an image, a level or a grid may be allocated again
        // (an eighth of one output plane is far below any of those).
        let one_plane = 224 * 224 * 4 / 8;
        assert!(
            info.bytes_max < one_plane as u64,
            "{name}: peak {} bytes allocated in the steady state ({} allocations)",
            info.bytes_max,
            info.count_total
        );
    }
    Ok(())
}

#[test]
fn batches_refuse_what_does_not_fit() -> TestResult {
    let rgb = photo::<u8>(40, 30, 3, 0);
    let gray = photo::<u8>(40, 30, 1, 0);
    let pipeline = Pipeline::builder().resize(16, 16).build()?;
    let mut tensor = Tensor::new();

    let mixed = pipeline.apply_batch(
        &[rgb.view(), gray.view()],
        0,
        &Normalisation::IMAGENET,
        &mut tensor,
    );
    assert!(
        matches!(mixed, Err(Error::BatchShape { index: 1, .. })),
        "{mixed:?}"
    );

    let wrong_stats =
        pipeline.apply_batch(&[gray.view()], 0, &Normalisation::IMAGENET, &mut tensor);
    assert!(
        matches!(
            wrong_stats,
            Err(Error::NormalisationChannels {
                values: 3,
                channels: 1
            })
        ),
        "{wrong_stats:?}"
    );

    // No resize at the end: outputs follow the sources' sizes, which differ.
    let unsized_pipeline = Pipeline::builder().flip_horizontal(1.0).build()?;
    let other = photo::<u8>(41, 30, 3, 1);
    let sizes = unsized_pipeline.apply_batch(
        &[rgb.view(), other.view()],
        0,
        &Normalisation::IMAGENET,
        &mut tensor,
    );
    assert!(
        matches!(sizes, Err(Error::BatchImage { index: 1, .. })),
        "{sizes:?}"
    );

    let mut short = vec![0.0; 3 * 16 * 16 - 1];
    let len = pipeline.apply_batch_into(&[rgb.view()], 0, &Normalisation::IMAGENET, &mut short);
    assert!(
        matches!(len, Err(Error::TensorLength { needed: 768, .. })),
        "{len:?}"
    );

    for (mean, std) in [
        (0.5, 0.0),
        (f32::NAN, 1.0),
        (0.5, -1.0),
        (0.5, f32::INFINITY),
        (0.5, 1e-45),
    ] {
        let bad = Normalisation::new(&[mean], &[std]);
        assert!(
            matches!(bad, Err(Error::InvalidNormalisation { .. })),
            "{mean} {std}: {bad:?}"
        );
    }
    assert!(Normalisation::new(&[0.5, 0.5], &[1.0]).is_err());

    // Statistics in 0..=255 units for 8-bit images, whose values are
    // scaled to 0..=1 first: refused naming the channel, not every value
    // near -2. Float images are in the caller's units.
    let mmcv = Normalisation::new(&[0.4, 116.28, 103.53], &[0.2, 57.12, 57.375])?;
    let units = pipeline.apply_batch(&[rgb.view()], 0, &mmcv, &mut tensor);
    assert!(
        matches!(
            &units,
            Err(Error::InvalidNormalisation { channel: 1, expected, .. }) if expected.contains("255")
        ),
        "{units:?}"
    );
    let float = photo::<f32>(40, 30, 3, 0);
    pipeline.apply_batch(&[float.view()], 0, &mmcv, &mut tensor)?;

    let mut empty = Tensor::new();
    pipeline.apply_batch::<u8>(&[], 0, &Normalisation::IMAGENET, &mut empty)?;
    assert_eq!(empty.shape(), [0; 4]);
    Ok(())
}
