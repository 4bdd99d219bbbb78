//! Pipelines read from and write to serde formats, checked like the
//! builder: what issue 6's pipeline files build on.

use augment::{Image, Padding, Pipeline};

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn pipelines_round_trip_through_json_and_give_the_same_images() -> TestResult {
    let src = Image::<u8>::from_fn(80, 60, 3, |x, y, c| (x * 3 + y * 2 + c * 40) as u8)?;
    for pipeline in [
        Pipeline::fastai_default(48, 48).seed(9).build()?,
        Pipeline::fastai_validation(48, 48).build()?,
        Pipeline::builder()
            .elastic(1.0..=3.0, 20.0, 0.5)
            .jitter(0.5, 0.5)
            .tilt(-0.2..=0.2, 0.5)
            .cutout(1.0..=2.0, 8.0, 8.0, 1.0)
            .motion_blur(5.0, -45.0..=45.0, 0.5)
            .random_resized_crop(32, 32)
            .padding(Padding::Constant(17.0))
            .mask_fill(3.0)
            .min_box_visibility(0.25)
            .antialias(false)
            .build()?,
    ] {
        let text = serde_json::to_string_pretty(&pipeline)?;
        let back: Pipeline = serde_json::from_str(&text)?;
        assert_eq!(back, pipeline, "{text}");
        for k in 0..4 {
            assert_eq!(back.apply(src.view(), k)?, pipeline.apply(src.view(), k)?);
        }
    }
    Ok(())
}

#[test]
fn a_hand_written_file_means_what_it_says() -> TestResult {
    let text = r#"{
        "steps": [
            {"transform": {"type": "flip_horizontal"}, "p": 0.5},
            {"transform": {"type": "rotate", "degrees": [-10, 10]}, "p": 0.75},
            {"transform": {"type": "mid_grey_contrast", "scale": {"log_uniform": [0.8, 1.25]}}},
            {"transform": {"type": "resize", "width": 32, "height": 24, "method": "crop"}}
        ],
        "padding": "zeros",
        "seed": 3
    }"#;
    let from_file: Pipeline = serde_json::from_str(text)?;
    let built = Pipeline::builder()
        .flip_horizontal(0.5)
        .rotate(-10.0..=10.0, 0.75)
        .mid_grey_contrast(augment::Param::LogUniform(0.8, 1.25), 1.0)
        .resize_with(32, 24, augment::ResizeMethod::Crop)
        .padding(Padding::Zeros)
        .seed(3)
        .build()?;
    assert_eq!(from_file, built);
    Ok(())
}

#[test]
fn files_with_unknown_fields_or_bad_values_are_refused() {
    let unknown_step =
        r#"{"steps": [{"transform": {"type": "rotate", "degrees": 5, "centre": 1}}]}"#;
    let unknown_setting = r#"{"steps": [], "sede": 3}"#;
    let unknown_type = r#"{"steps": [{"transform": {"type": "swirl"}}]}"#;
    for text in [unknown_step, unknown_setting, unknown_type] {
        assert!(serde_json::from_str::<Pipeline>(text).is_err(), "{text}");
    }
    // Values are checked as the builder checks them, and the message names them.
    let bad = r#"{"steps": [{"transform": {"type": "zoom", "scale": [0, 2]}}]}"#;
    let err = serde_json::from_str::<Pipeline>(bad)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("zoom") && err.contains("scale") && err.contains("0..=2"),
        "{err}"
    );
    let p = r#"{"steps": [{"transform": {"type": "flip_vertical"}, "p": 2}]}"#;
    assert!(serde_json::from_str::<Pipeline>(p).is_err());
}
