//! Decoding steered by the plan (`load::FileAugmenter`, what the loader's
//! workers run): arbitrary bytes through a header probe, a plan drawn from
//! the header's upright size, a region and scale asked of the decoder and
//! the delivered window sampled, under a pixel limit of 2^20.
//!
//! Asserts:
//! - no panic, no out-of-bounds access (AddressSanitizer), whatever size,
//!   orientation or damage the header claims;
//! - an image made is the pipeline's output size, with finite values, and
//!   the same on a second run (the buffers kept between images carry
//!   nothing over);
//! - with region and scaled decoding off, an image made is the pipeline
//!   applied to the whole decoded image (`apply_tensor`).
#![no_main]

use augment::{Normalisation, Pipeline};
use libfuzzer_sys::fuzz_target;
use load::decode::{DecodeBuffer, Request, decode};
use load::{FileAugmenter, SampleName};
use std::sync::OnceLock;

const SIDE: usize = 16;

fn pipelines() -> &'static [Pipeline] {
    static PIPELINES: OnceLock<Vec<Pipeline>> = OnceLock::new();
    PIPELINES.get_or_init(|| {
        let build = |b: augment::PipelineBuilder| b.build().expect("a valid pipeline");
        vec![
            build(Pipeline::builder().random_resized_crop(SIDE, SIDE).flip_horizontal(0.5)),
            build(
                Pipeline::builder()
                    .rotate(-30.0..=30.0, 1.0)
                    .zoom(0.3..=1.0, 1.0)
                    .resize(SIDE, SIDE),
            ),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let name = SampleName::file("fuzz");
    let norm = Normalisation::IMAGENET;
    let (mut first, mut again) = (Vec::new(), Vec::new());
    for (p, pipeline) in pipelines().iter().enumerate() {
        let mut steered = FileAugmenter::new(pipeline.clone()).max_pixels(1 << 20);
        for index in 0..3u64 {
            let made = steered.tensor(&name, data, index, &norm, &mut first);
            if let Ok(size) = made {
                assert_eq!(size, (SIDE, SIDE));
                assert_eq!(first.len(), 3 * SIDE * SIDE);
                assert!(first.iter().all(|v| v.is_finite()), "pipeline {p} image {index}");
                steered.tensor(&name, data, index, &norm, &mut again).expect("made once");
                assert!(first == again, "pipeline {p} image {index} made twice differs");
            }
        }
        let mut whole = FileAugmenter::new(pipeline.clone())
            .max_pixels(1 << 20)
            .region_decoding(false)
            .scaled_decoding(false);
        if whole.tensor(&name, data, 1, &norm, &mut first).is_ok() {
            let mut decoded = DecodeBuffer::new();
            decode(data, &Request::new().max_pixels(1 << 20), &mut decoded).expect("decoded once");
            let view = decoded.view().expect("an image");
            again.resize(3 * SIDE * SIDE, 0.0);
            pipeline
                .apply_tensor(view, 1, &norm, &mut again)
                .expect("augmented once");
            assert!(first == again, "pipeline {p}: whole decoding is not apply_tensor");
        }
    }
});
