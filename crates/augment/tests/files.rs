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

#[test]
fn pipelines_round_trip_through_toml_files_on_disk() -> TestResult {
    let dir = tempfile::tempdir()?;
    let src = Image::<u8>::from_fn(70, 50, 3, |x, y, c| (x * 5 + y * 3 + c * 60) as u8)?;
    for (k, pipeline) in [
        Pipeline::fastai_default(32, 32).seed(u64::MAX).build()?,
        Pipeline::builder()
            .perspective(-0.1..=0.1, 0.5)
            .mid_grey_contrast(augment::Param::LogUniform(0.8, 1.25), 0.5)
            .cutout(1.0..=2.0, 6.0, 6.0, 1.0)
            .random_resized_crop(24, 24)
            .padding(Padding::Constant(0.25))
            .seed(1 << 63)
            .build()?,
    ]
    .into_iter()
    .enumerate()
    {
        for name in ["p.toml", "p.json"] {
            let path = dir.path().join(format!("{k}-{name}"));
            pipeline.save(&path)?;
            let back = Pipeline::load(&path)?;
            assert_eq!(back, pipeline, "{}", std::fs::read_to_string(&path)?);
            assert_eq!(back.apply(src.view(), 3)?, pipeline.apply(src.view(), 3)?);
        }
        // The text forms are stable: writing what was read gives the same text.
        let toml = pipeline.to_toml()?;
        assert_eq!(Pipeline::from_toml(&toml)?.to_toml()?, toml);
    }
    Ok(())
}

#[test]
fn file_errors_name_the_key_and_the_problem() -> TestResult {
    let cases = [
        (
            "[[steps]]\ntransform = { type = \"rotate\", degrees = 5, centre = 1 }\n",
            "steps[0]",
            "centre",
        ),
        ("sede = 3\nsteps = []\n", "sede", "unknown field"),
        (
            "[[steps]]\ntransform = { type = \"zoom\", scale = [1.0, 1.1] }\np = 2\n",
            "steps[0]",
            "p = 2",
        ),
        (
            "[[steps]]\ntransform = { type = \"flip_horizontal\" }\n[[steps]]\ntransform = { type = \"rotate\", degrees = [1, 2, 3] }\n",
            "steps[1].transform",
            "pair",
        ),
        (
            "[[steps]]\ntransform = { type = \"swirl\" }\n",
            "steps[0].transform",
            "swirl",
        ),
        ("seed = -1\nsteps = []\n", "seed", "-1"),
        (
            "steps = []\nmax_output_pixels = 1000000000000\n",
            ".",
            "max_output_pixels",
        ),
        ("steps = [\n", ".", "line"),
    ];
    for (text, key, problem) in cases {
        let err = match Pipeline::from_toml(text) {
            Err(e @ augment::Error::PipelineFile { .. }) => e.to_string(),
            Err(e @ augment::Error::InvalidParameter { .. }) => e.to_string(),
            other => return Err(format!("{text:?}: expected a file error, got {other:?}").into()),
        };
        assert!(
            err.contains(key) && err.contains(problem),
            "{text:?}: {err}"
        );
    }
    let json = r#"{"steps": [{"transform": {"type": "resize", "width": 0, "height": 10}}]}"#;
    let err = Pipeline::from_json(json)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("steps[0]") && err.contains("width"), "{err}");
    let trailing = r#"{"steps": []} {"steps": []}"#;
    assert!(Pipeline::from_json(trailing).is_err());
    // A value the checks refuse in a later step: the key says where, and
    // no excerpt of another step's line calls it a parse error.
    let third = "[[steps]]\ntransform = { type = \"flip_horizontal\" }\n[[steps]]\ntransform = { type = \"flip_vertical\" }\n[[steps]]\ntransform = { type = \"rotate\", degrees = 5 }\np = 7\n";
    let err = Pipeline::from_toml(third)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("steps[2]") && err.contains("p = 7") && !err.contains("parse error"),
        "{err}"
    );
    // A byte-order mark (Windows editors) is not part of the text.
    let marked =
        "\u{feff}{\"seed\": 3, \"steps\": [{\"transform\": {\"type\": \"flip_vertical\"}}]}";
    assert_eq!(
        Pipeline::from_json(marked)?,
        Pipeline::from_json(&marked[3..])?
    );
    Ok(())
}

#[test]
fn load_refuses_unknown_formats_and_oversized_files() -> TestResult {
    let dir = tempfile::tempdir()?;
    let yaml = dir.path().join("p.yaml");
    std::fs::write(&yaml, "steps: []")?;
    assert!(matches!(
        Pipeline::load(&yaml),
        Err(augment::Error::PipelineFormat(_))
    ));
    let missing = dir.path().join("missing.toml");
    assert!(matches!(
        Pipeline::load(&missing),
        Err(augment::Error::Io { .. })
    ));
    let huge = dir.path().join("huge.json");
    let mut text = String::from("{\"steps\": [], \"seed\": 1");
    text.push_str(&" ".repeat(augment::MAX_PIPELINE_FILE_BYTES as usize));
    text.push('}');
    std::fs::write(&huge, &text)?;
    let err = Pipeline::load(&huge);
    assert!(
        matches!(err, Err(augment::Error::PipelineFileTooLarge { len, .. }) if len == text.len() as u64),
        "{err:?}"
    );
    Ok(())
}
