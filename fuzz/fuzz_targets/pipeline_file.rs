//! Pipeline files (`augment::Pipeline::parse`): arbitrary bytes read as TOML
//! and as JSON, and the pipelines they give run on a small image.
//!
//! Asserts:
//! - no panic, no out-of-bounds access (AddressSanitizer) on any text;
//! - a file that parses writes back to text that parses to the same
//!   pipeline (JSON always; TOML when TOML can hold the values);
//! - with the output limit lowered to 2^16 pixels (how a program runs a file
//!   it does not trust), applying it either gives an image of the plan's
//!   size or a typed error: a hostile file cannot allocate without bound.
#![no_main]

use augment::{Image, Pipeline, PipelineFormat};
use libfuzzer_sys::fuzz_target;

/// The limit the target runs pipelines under.
const MAX_PIXELS: usize = 1 << 16;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for format in [PipelineFormat::Toml, PipelineFormat::Json] {
        let Ok(pipeline) = Pipeline::parse(&text, format) else {
            continue;
        };
        for written_as in [PipelineFormat::Json, PipelineFormat::Toml] {
            let Ok(written) = pipeline.to_text(written_as) else {
                assert_eq!(
                    written_as,
                    PipelineFormat::Toml,
                    "JSON holds every pipeline"
                );
                continue;
            };
            match Pipeline::parse(&written, written_as) {
                Ok(back) => assert_eq!(back, pipeline, "{written}"),
                Err(e) => panic!("written {written_as} does not read back: {e}\n{written}"),
            }
        }
        let pipeline = pipeline.with_max_output_pixels(MAX_PIXELS);
        let Ok(src) = Image::<u8>::from_fn(13, 9, 3, |x, y, c| (x * 19 + y * 7 + c * 80) as u8)
        else {
            return;
        };
        for index in 0..2 {
            if let Ok(plan) = pipeline.plan(13, 9, index) {
                assert!(plan.width() * plan.height() <= MAX_PIXELS);
                if let Ok(out) = pipeline.apply_plan(src.view(), &plan) {
                    assert_eq!((out.width(), out.height()), (plan.width(), plan.height()));
                    assert_eq!(out.channels(), 3);
                }
            }
        }
    }
});
