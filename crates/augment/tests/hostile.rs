//! Hostile arguments to the facade: builder steps with NaN, infinite,
//! negative and huge parameters and probabilities; pipeline files that are
//! garbage, mutated, deeply nested, or ask for 10^9-pixel sides, p = 2,
//! negative sizes, unknown keys; targets with NaN boxes and points; batch
//! buffers of the wrong length; truncated image files. Each case returns
//! the typed error that names the bad value (proptest fails on a panic),
//! huge outputs are refused before they are allocated, and accepted
//! pipelines give outputs of the size their plan says.

use augment::{
    BoxFormat, Boxes, Error, Image, MappedPoint, Normalisation, Padding, Param, Pipeline,
    PipelineBuilder, PipelineFormat, Targets, Tensor,
};
use proptest::prelude::*;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Peak heap bytes a refused request may use (plan, messages).
const REFUSAL_BYTES: u64 = 64 * 1024;

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        // In range for every transform (angles, factors, fractions, pixels).
        30 => 0.05f64..0.45,
        1 => Just(0.0),
        1 => Just(-1.0),
        1 => Just(2.0),
        1 => Just(1e30),
        1 => Just(-1e300),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
    ]
}

fn param() -> impl Strategy<Value = Param> {
    prop_oneof![
        3 => value().prop_map(Param::Fixed),
        1 => (value(), value()).prop_map(|(a, b)| Param::Uniform(a.min(b), a.max(b))),
        1 => (value(), value()).prop_map(|(a, b)| Param::Uniform(a, b)),
        1 => (value(), value()).prop_map(|(a, b)| Param::LogUniform(a, b)),
    ]
}

fn probability() -> impl Strategy<Value = f64> {
    prop_oneof![
        12 => 0.0f64..=1.0,
        1 => Just(1.0),
        1 => Just(2.0),
        1 => Just(-0.5),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
    ]
}

fn side() -> impl Strategy<Value = usize> {
    prop_oneof![
        20 => 1usize..48,
        1 => Just(0usize),
        1 => Just(65_536usize),
        1 => Just(65_537usize),
        1 => Just(1_000_000_000usize),
        1 => Just(usize::MAX),
    ]
}

/// One builder call with hostile arguments.
#[derive(Debug, Clone)]
enum Call {
    Resize(usize, usize),
    RandomCrop(usize, usize),
    CropPad(usize, usize, Param, Param),
    RandomResizedCrop(usize, usize, Param, Param),
    Rotate(Param, f64),
    Zoom(Param, f64),
    Translate(Param, Param, f64),
    Shear(Param, Param, f64),
    Perspective(Param, f64),
    Jitter(Param, f64),
    Elastic(Param, f64, f64),
    Brightness(Param, f64),
    Contrast(Param, f64),
    Cutout(Param, Param, Param, f64),
    GaussianBlur(Param, f64),
    MotionBlur(Param, Param, f64),
    FlipHorizontal(f64),
    Dihedral(f64),
}

fn call() -> impl Strategy<Value = Call> {
    prop_oneof![
        (side(), side()).prop_map(|(w, h)| Call::Resize(w, h)),
        (side(), side()).prop_map(|(w, h)| Call::RandomCrop(w, h)),
        (side(), side(), param(), param()).prop_map(|(w, h, x, y)| Call::CropPad(w, h, x, y)),
        (side(), side(), param(), param())
            .prop_map(|(w, h, s, r)| Call::RandomResizedCrop(w, h, s, r)),
        (param(), probability()).prop_map(|(d, p)| Call::Rotate(d, p)),
        (param(), probability()).prop_map(|(s, p)| Call::Zoom(s, p)),
        (param(), param(), probability()).prop_map(|(x, y, p)| Call::Translate(x, y, p)),
        (param(), param(), probability()).prop_map(|(x, y, p)| Call::Shear(x, y, p)),
        (param(), probability()).prop_map(|(d, p)| Call::Perspective(d, p)),
        (param(), probability()).prop_map(|(m, p)| Call::Jitter(m, p)),
        (
            param(),
            prop_oneof![4 => 2.0f64..50.0, 1 => value()],
            probability()
        )
            .prop_map(|(m, s, p)| Call::Elastic(m, s, p)),
        (param(), probability()).prop_map(|(d, p)| Call::Brightness(d, p)),
        (param(), probability()).prop_map(|(f, p)| Call::Contrast(f, p)),
        (param(), param(), param(), probability())
            .prop_map(|(n, w, h, p)| Call::Cutout(n, w, h, p)),
        (param(), probability()).prop_map(|(s, p)| Call::GaussianBlur(s, p)),
        (param(), param(), probability()).prop_map(|(l, d, p)| Call::MotionBlur(l, d, p)),
        probability().prop_map(Call::FlipHorizontal),
        probability().prop_map(Call::Dihedral),
    ]
}

fn add(b: PipelineBuilder, call: &Call) -> PipelineBuilder {
    match call.clone() {
        Call::Resize(w, h) => b.resize(w, h),
        Call::RandomCrop(w, h) => b.random_crop(w, h),
        Call::CropPad(w, h, x, y) => b.crop_pad(w, h, x, y),
        Call::RandomResizedCrop(w, h, s, r) => b.random_resized_crop_with(w, h, s, r),
        Call::Rotate(d, p) => b.rotate(d, p),
        Call::Zoom(s, p) => b.zoom(s, p),
        Call::Translate(x, y, p) => b.translate(x, y, p),
        Call::Shear(x, y, p) => b.shear(x, y, p),
        Call::Perspective(d, p) => b.perspective(d, p),
        Call::Jitter(m, p) => b.jitter(m, p),
        Call::Elastic(m, s, p) => b.elastic(m, s, p),
        Call::Brightness(d, p) => b.brightness(d, p),
        Call::Contrast(f, p) => b.contrast(f, p),
        Call::Cutout(n, w, h, p) => b.cutout(n, w, h, p),
        Call::GaussianBlur(s, p) => b.gaussian_blur(s, p),
        Call::MotionBlur(l, d, p) => b.motion_blur(l, d, p),
        Call::FlipHorizontal(p) => b.flip_horizontal(p),
        Call::Dihedral(p) => b.dihedral(p),
    }
}

/// The text forms a value of `call` can take in an error message.
fn shown_values(call: &Call) -> Vec<String> {
    let mut shown = Vec::new();
    let mut param = |p: &Param| shown.push(p.to_string());
    match call {
        Call::Resize(w, h) | Call::RandomCrop(w, h) => {
            shown.push(w.to_string());
            shown.push(h.to_string());
        }
        Call::CropPad(w, h, x, y) | Call::RandomResizedCrop(w, h, x, y) => {
            param(x);
            param(y);
            shown.push(w.to_string());
            shown.push(h.to_string());
        }
        Call::Rotate(a, p)
        | Call::Zoom(a, p)
        | Call::Perspective(a, p)
        | Call::Jitter(a, p)
        | Call::Brightness(a, p)
        | Call::Contrast(a, p)
        | Call::GaussianBlur(a, p) => {
            param(a);
            shown.push(p.to_string());
        }
        Call::Translate(a, b, p) | Call::Shear(a, b, p) | Call::MotionBlur(a, b, p) => {
            param(a);
            param(b);
            shown.push(p.to_string());
        }
        Call::Elastic(a, s, p) => {
            param(a);
            shown.push(s.to_string());
            shown.push(p.to_string());
        }
        Call::Cutout(a, b, c, p) => {
            param(a);
            param(b);
            param(c);
            shown.push(p.to_string());
        }
        Call::FlipHorizontal(p) | Call::Dihedral(p) => shown.push(p.to_string()),
    }
    shown
}

/// A valid pipeline file to mutate.
const VALID_TOML: &str = r#"seed = 7
padding = { constant = 0.5 }
max_output_pixels = 4096

[[steps]]
transform = { type = "rotate", degrees = [-10, 10] }
p = 0.75

[[steps]]
transform = { type = "zoom", scale = { log_uniform = [1.0, 1.2] } }

[[steps]]
transform = { type = "resize", width = 32, height = 24, method = "crop" }

[[steps]]
transform = { type = "cutout", holes = [1, 3], width = 4, height = 4, fill = 0.5 }
p = 0.5
"#;

/// Parses `text`; any error must be a file error that says where.
fn parse_checked(text: &str, format: PipelineFormat) -> Result<Option<Pipeline>, TestCaseError> {
    match Pipeline::parse(text, format) {
        Ok(p) => Ok(Some(p)),
        Err(Error::PipelineFile {
            format: f,
            key,
            message,
        }) => {
            prop_assert_eq!(f, format.name());
            prop_assert!(
                !key.is_empty() && !message.is_empty(),
                "key {:?} message {:?} in {:?}",
                key,
                message,
                text
            );
            Ok(None)
        }
        Err(other) => Err(TestCaseError::fail(format!("unexpected {other:?}"))),
    }
}

/// Applies an accepted pipeline to a small photo-like image and checks the
/// output size against the plan (or a typed refusal).
fn run_accepted(pipeline: &Pipeline) -> Result<(), TestCaseError> {
    let src = Image::<u8>::from_fn(40, 30, 3, |x, y, c| (x * 6 + y * 3 + c * 50) as u8)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    for index in 0..3 {
        match pipeline.plan(40, 30, index) {
            Ok(plan) => {
                let out = pipeline
                    .apply(src.view(), index)
                    .map_err(|e| TestCaseError::fail(format!("planned but failed: {e}")))?;
                prop_assert_eq!((out.width(), out.height()), (plan.width(), plan.height()));
                prop_assert_eq!(out.as_slice().len(), plan.width() * plan.height() * 3);
            }
            Err(
                e @ Error::OutputTooLarge {
                    width,
                    height,
                    limit,
                },
            ) => {
                prop_assert!(width.saturating_mul(height) > limit);
                prop_assert_eq!(limit, pipeline.max_output_pixels());
                let size = format!("{width}x{height}");
                prop_assert!(e.to_string().contains(&size), "{}", e);
            }
            Err(other) => prop_assert!(false, "plan failed: {:?}", other),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Builders with hostile steps, probabilities and settings: `build`
    /// refuses by transform, parameter and value, or the pipeline runs and
    /// its outputs have the planned size.
    #[test]
    fn hostile_builders(
        calls in proptest::collection::vec(call(), 1..4),
        limit in prop_oneof![1 => Just(0usize), 1 => Just(1), 2 => Just(100), 8 => Just(4096)],
        constant in prop_oneof![8 => Just(0.5f32), 1 => Just(f32::NAN), 1 => Just(f32::INFINITY)],
    ) {
        let mut builder = Pipeline::builder()
            .max_output_pixels(limit)
            .padding(Padding::Constant(constant))
            .seed(3);
        for c in &calls {
            builder = add(builder, c);
        }
        match builder.build() {
            Ok(pipeline) => {
                prop_assert!(limit > 0 && constant.is_finite());
                run_accepted(&pipeline)?;
            }
            Err(e @ Error::InvalidParameter { transform, parameter, .. }) => {
                let message = e.to_string();
                prop_assert!(message.contains(transform) && message.contains(parameter), "{}", message);
                let Error::InvalidParameter { value, .. } = &e else { unreachable!() };
                if transform == "pipeline" {
                    prop_assert!(limit == 0 || !constant.is_finite(), "{}", message);
                } else {
                    // The value named is one that was given to a step.
                    let given: Vec<String> = calls.iter().flat_map(shown_values).collect();
                    prop_assert!(given.contains(value), "{} not among {:?}", message, given);
                }
            }
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
    }

    /// Pipeline files mutated at random (bytes replaced, inserted, cut):
    /// never a panic; errors are file errors with a key; accepted files
    /// run and write back to text that reads as the same pipeline.
    #[test]
    fn mutated_pipeline_files(
        edits in proptest::collection::vec(
            (any::<prop::sample::Index>(), prop_oneof![4 => Just(0u8), 4 => Just(1u8), 1 => Just(2u8)], prop::sample::select(
                vec!['"', '[', ']', '{', '}', '=', ',', '\n', '-', '9', '0', '1', 'e', '.', 'x', ' ', '#', '\0', 'é'],
            )),
            1..4,
        ),
        json in any::<bool>(),
    ) {
        let base = Pipeline::from_toml(VALID_TOML).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (format, original) = if json {
            (PipelineFormat::Json, base.to_json().map_err(|e| TestCaseError::fail(e.to_string()))?)
        } else {
            (PipelineFormat::Toml, VALID_TOML.to_string())
        };
        let mut text: Vec<char> = original.chars().collect();
        for (at, op, c) in edits {
            let i = at.index(text.len() + 1);
            match op {
                0 if i < text.len() => text[i] = c,
                1 => text.insert(i, c),
                _ => text.truncate(i),
            }
        }
        let text: String = text.into_iter().collect();
        if let Some(pipeline) = parse_checked(&text, format)? {
            prop_assert!(pipeline.max_output_pixels() <= geom_default_max());
            let again = Pipeline::parse(&pipeline.to_text(format).map_err(|e| TestCaseError::fail(e.to_string()))?, format)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&again, &pipeline);
            run_accepted(&pipeline)?;
        }
    }

    /// Arbitrary text, in either format: a file error, never a panic.
    #[test]
    fn garbage_pipeline_files(text in ".{0,200}", json in any::<bool>()) {
        let format = if json { PipelineFormat::Json } else { PipelineFormat::Toml };
        if let Some(pipeline) = parse_checked(&text, format)? {
            run_accepted(&pipeline)?;
        }
    }

    /// Boxes with non-finite or unordered coordinates and label counts
    /// that differ; keypoints anywhere, NaN included.
    #[test]
    fn hostile_targets(
        boxes in proptest::collection::vec(proptest::array::uniform4(value()), 0..4),
        labels in 0usize..5,
        points in proptest::collection::vec((value(), value()), 0..6),
    ) {
        let result = Boxes::new(BoxFormat::PixelXyxy, boxes.clone(), (0..labels as u32).collect());
        let bad = boxes.iter().position(|b| !(b.iter().all(|v| v.is_finite()) && b[0] < b[2] && b[1] < b[3]));
        let boxes_ok = match result {
            Ok(ref b) => {
                prop_assert_eq!(labels, boxes.len());
                prop_assert!(bad.is_none());
                Some(b.clone())
            }
            Err(Error::LabelCount { boxes: n, labels: l }) => {
                prop_assert_eq!((n, l), (boxes.len(), labels));
                None
            }
            Err(ref e @ Error::InvalidBox { index, .. }) => {
                prop_assert_eq!(Some(index), bad);
                prop_assert!(e.to_string().contains(&format!("box {index}")), "{}", e);
                None
            }
            Err(other) => return Err(TestCaseError::fail(format!("unexpected {other:?}"))),
        };
        let pipeline = Pipeline::builder()
            .rotate(-30.0..=30.0, 1.0)
            .elastic(3.0, 10.0, 0.5)
            .resize(24, 18)
            .build()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let photo = Image::<u8>::new(40, 30, 3).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let points: Vec<(f64, f64)> = points;
        let out = pipeline
            .apply_with_targets(
                photo.view(),
                &Targets { mask: None, keypoints: &points, boxes: boxes_ok.as_ref() },
                1,
            )
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(out.keypoints.len(), points.len());
        for (p, m) in points.iter().zip(&out.keypoints) {
            if !(p.0.is_finite() && p.1.is_finite()) {
                prop_assert!(!matches!(m, MappedPoint::Inside(_)), "{:?} -> {:?}", p, m);
            }
            if let Some((x, y)) = m.position() {
                prop_assert!(x.is_finite() && y.is_finite(), "{:?} -> {:?}", p, m);
            }
        }
        if let Some(b) = out.boxes {
            prop_assert!(b.boxes().iter().flatten().all(|v| v.is_finite()));
            prop_assert_eq!(b.boxes().len(), b.labels().len());
        }
    }
}

fn geom_default_max() -> usize {
    augment::raw::geom::DEFAULT_MAX_PIXELS
}

/// `resize 10^9 x 10^9` from a builder and from a file: refused by value.
#[test]
fn billion_pixel_sides_are_refused() -> TestResult {
    let e = Pipeline::builder()
        .resize(1_000_000_000, 1_000_000_000)
        .build()
        .err()
        .ok_or("accepted resize 1e9 x 1e9")?;
    assert!(
        matches!(
            e,
            Error::InvalidParameter {
                transform: "resize",
                parameter: "width",
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "resize: width = 1000000000 is invalid: a side from 1 to 65536 pixels"
    );
    let toml =
        "[[steps]]\ntransform = { type = \"resize\", width = 1000000000, height = 1000000000 }\n";
    let e = Pipeline::from_toml(toml)
        .err()
        .ok_or("file accepted resize 1e9")?;
    assert!(
        matches!(&e, Error::PipelineFile { key, message, .. } if key == "steps[0]" && message.contains("1000000000")),
        "{e:?}"
    );
    Ok(())
}

/// The largest sides a file may ask for (65536 x 65536, 2^32 pixels) are
/// refused by the pixel limit before the output is allocated.
#[test]
fn two_to_the_32_pixel_outputs_are_refused_unallocated() -> TestResult {
    let toml = "[[steps]]\ntransform = { type = \"resize\", width = 65536, height = 65536 }\n";
    let pipeline = Pipeline::from_toml(toml)?;
    let src = Image::<u8>::new(8, 8, 3)?;
    let mut result = None;
    let info = allocation_counter::measure(|| result = Some(pipeline.apply(src.view(), 0)));
    let e = result
        .ok_or("not run")?
        .err()
        .ok_or("allocated 2^32 pixels")?;
    assert!(
        matches!(
            e,
            Error::OutputTooLarge {
                width: 65_536,
                height: 65_536,
                limit
            } if limit == geom_default_max()
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "output 65536x65536 exceeds the limit of 268435456 pixels"
    );
    assert!(info.bytes_max < REFUSAL_BYTES, "{info:?}");
    // A file cannot raise the limit past the default.
    let e = Pipeline::from_toml("steps = []\nmax_output_pixels = 18446744073709551615\n")
        .err()
        .ok_or("file raised the pixel limit")?;
    assert!(e.to_string().contains("max_output_pixels"), "{e}");
    Ok(())
}

/// Deeply nested text in either format: an error, not a stack overflow.
#[test]
fn deeply_nested_files_are_refused() -> TestResult {
    for depth in [64, 1_000, 100_000] {
        let json = format!(
            "{{\"steps\": [{{\"transform\": {{\"type\": \"rotate\", \"degrees\": {}{}}}}}]}}",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        assert!(
            matches!(Pipeline::from_json(&json), Err(Error::PipelineFile { .. })),
            "JSON depth {depth}"
        );
        let toml = format!(
            "[[steps]]\ntransform = {{ type = \"rotate\", degrees = {}{} }}\n",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        assert!(
            matches!(Pipeline::from_toml(&toml), Err(Error::PipelineFile { .. })),
            "TOML depth {depth}"
        );
        let tables = format!("{}steps = []\n", "a.".repeat(depth));
        assert!(Pipeline::from_toml(&tables).is_err(), "TOML keys {depth}");
    }
    Ok(())
}

/// The README rows of the facade.
#[test]
fn readme_rows() -> TestResult {
    // pipeline file with unknown key
    let toml = "[[steps]]\ntransform = { type = \"rotate\", degrees = 5 }\nfoo = 1\n";
    let e = Pipeline::from_toml(toml)
        .err()
        .ok_or("accepted an unknown key")?;
    let Error::PipelineFile { key, message, .. } = &e else {
        return Err(format!("expected PipelineFile, got {e:?}").into());
    };
    assert_eq!(key, "steps[0].foo");
    assert!(message.contains("unknown field `foo`"), "{message}");
    // p = 2
    let e = Pipeline::builder()
        .rotate(5.0, 2.0)
        .build()
        .err()
        .ok_or("accepted p = 2")?;
    assert_eq!(
        e.to_string(),
        "rotate: p = 2 is invalid: a probability in 0..=1"
    );
    // NaN probability, in a TOML file
    let e = Pipeline::from_toml("[[steps]]\ntransform = { type = \"flip_horizontal\" }\np = nan\n")
        .err()
        .ok_or("accepted p = nan")?;
    assert!(
        matches!(&e, Error::PipelineFile { key, message, .. } if key == "steps[0]" && message.contains("p = NaN")),
        "{e:?}"
    );
    // negative size in a JSON file
    let json = r#"{"steps": [{"transform": {"type": "random_crop", "width": -5, "height": 10}}]}"#;
    let e = Pipeline::from_json(json).err().ok_or("accepted width -5")?;
    assert!(
        matches!(&e, Error::PipelineFile { key, message, .. } if key == "steps[0].transform" && message.contains("-5")),
        "{e:?}"
    );
    // Padding::Constant(NaN)
    let e = Pipeline::builder()
        .padding(Padding::Constant(f32::NAN))
        .build()
        .err()
        .ok_or("accepted a NaN padding constant")?;
    assert!(e.to_string().contains("padding constant = NaN"), "{e}");
    // max_output_pixels 0
    let e = Pipeline::builder()
        .max_output_pixels(0)
        .build()
        .err()
        .ok_or("accepted a zero pixel limit")?;
    assert!(e.to_string().contains("max_output_pixels = 0"), "{e}");
    // box with NaN
    let e = Boxes::new(
        BoxFormat::PixelXyxy,
        vec![[0.0, f64::NAN, 4.0, 4.0]],
        vec![1u32],
    )
    .err()
    .ok_or("accepted a NaN box")?;
    assert!(
        matches!(e, Error::InvalidBox { index: 0, .. }) && e.to_string().contains("NaN"),
        "{e:?}"
    );
    // tensor buffer of the wrong length
    let pipeline = Pipeline::builder().resize(8, 8).build()?;
    let photo = Image::<u8>::new(16, 16, 3)?;
    let mut short = vec![0.0f32; 3 * 8 * 8 - 1];
    let e = pipeline
        .apply_batch_into(&[photo.view()], 0, &Normalisation::IMAGENET, &mut short)
        .err()
        .ok_or("accepted a short tensor")?;
    assert!(
        matches!(
            e,
            Error::TensorLength {
                len: 191,
                needed: 192,
                ..
            }
        ),
        "{e:?}"
    );
    // std = 0
    let e = Normalisation::new(&[0.5], &[0.0])
        .err()
        .ok_or("accepted std 0")?;
    assert!(matches!(e, Error::InvalidNormalisation { .. }), "{e:?}");
    // 4-channel statistics for a 1-channel image
    let gray = Image::<u8>::new(16, 16, 1)?;
    let stats = Normalisation::new(&[0.5; 4], &[0.2; 4])?;
    let mut tensor = Tensor::new();
    let e = pipeline
        .apply_batch(&[gray.view()], 0, &stats, &mut tensor)
        .err()
        .ok_or("accepted 4 statistics for 1 channel")?;
    assert!(
        matches!(
            e,
            Error::NormalisationChannels {
                values: 4,
                channels: 1
            }
        ),
        "{e:?}"
    );
    // truncated PNG
    let mut png = Vec::new();
    let rgb = image::RgbImage::from_fn(32, 32, |x, y| image::Rgb([x as u8, y as u8, 7]));
    rgb.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
    let cut = &png[..png.len() / 2];
    let e: Error = image::load_from_memory(cut)
        .err()
        .ok_or("decoded half a PNG")?
        .into();
    assert!(matches!(e, Error::Codec(_)), "{e:?}");
    assert!(e.to_string().starts_with("image codec:"), "{e}");
    Ok(())
}
