//! The steady state allocates nothing per image in the loader: after a
//! warm-up epoch, an epoch allocates exactly what the decoders and the
//! pipeline allocate inside themselves (measured by decoding and
//! augmenting the same files alone, the same way), and nothing more: no
//! per-image or per-batch buffers, no messages.
//!
//! `allocation-counter` counts the measuring thread's allocations only,
//! so the loader runs without worker threads (`threads(0)`): the calling
//! thread then does every step a worker does (claim, read, decode,
//! augment into the batch, recycle the batch's buffers), through
//! the same code.

mod common;

use augment::{Normalisation, Pipeline};
use common::*;
use load::decode::{DecodeBuffer, Request, decode};
use load::sampler::augment_index;
use load::{Dataset, Loader, Output};

fn dataset() -> Res<(tempfile::TempDir, Dataset)> {
    let dir = tempfile::tempdir()?;
    for i in 0..12 {
        let (w, h) = (48 + 8 * i, 40 + 4 * (i % 5));
        let px = gradient(w, h);
        let (bytes, ext) = if i % 3 == 0 {
            (png_rgb(&px, w, h)?, "png")
        } else {
            (jpeg(&px, w, h, Jpeg::default())?, "jpg")
        };
        write(&dir.path().join(format!("c{}/{i:02}.{ext}", i % 2)), &bytes)?;
    }
    let dataset = Dataset::image_folder(dir.path())?;
    Ok((dir, dataset))
}

/// Allocations inside the decoder and the pipeline when `slots`
/// (sample, position) of `epoch` are decoded and augmented alone, with
/// warm buffers, the way the loader does it.
fn inner_allocations(
    dataset: &Dataset,
    pipeline: &Pipeline,
    output: Output,
    epoch: u64,
    slots: &[(usize, u64)],
) -> Res<(u64, u64)> {
    let mut bytes = Vec::new();
    let mut buffer = DecodeBuffer::new();
    let mut tensor = vec![0.0f32; 3 * 40 * 32];
    let mut pixels = vec![0u8; 3 * 40 * 32];
    let (mut decoding, mut augmenting) = (0, 0);
    for measured in [false, true] {
        for &(sample, position) in slots {
            let index = augment_index(epoch, position);
            dataset.read(sample, &mut bytes)?;
            let info = allocation_counter::measure(|| {
                let _ = decode(&bytes, &Request::new(), &mut buffer);
            });
            let view = buffer.view().ok_or("no image")?;
            let mut result = Ok(());
            let augmented = allocation_counter::measure(|| {
                result =
                    match output {
                        Output::Tensor(n) => pipeline
                            .apply_tensor(view, index, &n, &mut tensor)
                            .map(drop),
                        Output::Pixels => pipeline
                            .plan(view.width(), view.height(), index)
                            .and_then(|plan| {
                                let dst = augment::ImageViewMut::new(&mut pixels, 40, 32, 3)?;
                                pipeline.apply_plan_into(view, dst, &plan)
                            }),
                    };
            });
            result?;
            if measured {
                decoding += info.count_total;
                augmenting += augmented.count_total;
            }
        }
    }
    Ok((decoding, augmenting))
}

#[test]
fn an_epoch_allocates_only_inside_the_decoders_and_the_pipeline() -> TestResult {
    let (_dir, dataset) = dataset()?;
    let settings = [Output::Tensor(Normalisation::IMAGENET), Output::Pixels]
        .into_iter()
        .flat_map(|output| [(output, false), (output, true)]);
    for (output, per_image_buffers) in settings {
        // No shrink beyond 2x: the u8 path's antialiasing level (an
        // `augment` allocation per image, see the crate docs) stays off.
        let pipeline = Pipeline::builder()
            .flip_horizontal(0.5)
            .rotate(-10.0..=10.0, 0.5)
            .resize(40, 32)
            .build()?;
        let mut loader = Loader::builder(dataset.clone(), pipeline)
            .threads(0)
            .batch_size(5)
            .output(output)
            .per_image_buffers(per_image_buffers)
            .build()?;
        for epoch in 0..2 {
            loader.set_epoch(epoch)?;
            for batch in loader.iter() {
                batch?;
            }
        }
        // Epoch 2, measured: every buffer has held its largest size.
        loader.set_epoch(2)?;
        let mut slots = Vec::with_capacity(dataset.len());
        let mut failures = 0;
        let info = allocation_counter::measure(|| {
            for batch in loader.iter() {
                match batch {
                    Ok(b) => slots.extend(
                        b.samples()
                            .iter()
                            .copied()
                            .zip(b.positions().iter().copied()),
                    ),
                    Err(_) => failures += 1,
                }
            }
        });
        assert_eq!((failures, slots.len()), (0, 12));
        let (decoding, augmenting) =
            inner_allocations(&dataset, loader.pipeline(), output, 2, &slots)?;
        assert_eq!(
            info.count_total,
            decoding + augmenting,
            "{output:?}, per-image buffers {per_image_buffers}: the epoch allocated {} times; alone, its decoders {decoding}, \
             the pipeline {augmenting}",
            info.count_total
        );
        assert!(
            decoding > 0,
            "the decoders do allocate: the test measures something"
        );
    }
    Ok(())
}
