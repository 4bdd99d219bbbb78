//! Every bad parameter is a typed error that names the transform, the
//! parameter and the value given; nothing panics.

use augment::{
    BoxFormat, Boxes, Error, Image, Padding, Param, Pipeline, PipelineBuilder, Targets, Transform,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// `(pipeline, transform, parameter, text the value must show)`.
fn bad_pipelines() -> Vec<(PipelineBuilder, &'static str, &'static str, &'static str)> {
    let b = Pipeline::builder;
    vec![
        (b().rotate(f64::NAN, 1.0), "rotate", "degrees", "NaN"),
        (
            b().rotate(10.0..=-10.0, 1.0),
            "rotate",
            "degrees",
            "10..=-10",
        ),
        (b().zoom(0.0, 1.0), "zoom", "scale", "0"),
        (b().zoom_at(1.2, 1.5, 0.5, 1.0), "zoom", "x", "1.5"),
        (b().translate(0.0, 20.0, 1.0), "translate", "y", "20"),
        (b().scale(1.0, -2.0, 1.0), "scale", "y", "-2"),
        (b().shear(85.0, 0.0, 1.0), "shear", "x_degrees", "85"),
        // A singular shear (the angles add up to 90°).
        (
            b().shear(45.0, 45.0, 1.0),
            "shear",
            "x_degrees, y_degrees",
            "45",
        ),
        (
            b().shear(-30.0, -60.0, 1.0),
            "shear",
            "x_degrees, y_degrees",
            "-60",
        ),
        (
            b().perspective(0.6, 1.0),
            "perspective",
            "distortion",
            "0.6",
        ),
        (
            b().symmetric_warp(-0.7..=0.7, 1.0),
            "symmetric_warp",
            "magnitude",
            "-0.7..=0.7",
        ),
        (b().skew(-0.8, 1.0), "skew", "magnitude", "-0.8"),
        (b().tilt(f64::INFINITY, 1.0), "tilt", "magnitude", "inf"),
        (b().jitter(200.0, 1.0), "jitter", "magnitude", "200"),
        (b().elastic(-1.0, 20.0, 1.0), "elastic", "magnitude", "-1"),
        (b().elastic(3.0, 1.0, 1.0), "elastic", "smoothness", "1"),
        (b().resize(0, 10), "resize", "width", "0"),
        (
            b().centre_crop(10, 70_000),
            "centre_crop",
            "height",
            "70000",
        ),
        (b().random_crop(0, 5), "random_crop", "width", "0"),
        (b().crop_pad(10, 10, -0.1, 0.5), "crop_pad", "x", "-0.1"),
        (
            b().random_resized_crop_with(10, 10, 0.0..=1.0, 0.75..=1.33),
            "random_resized_crop",
            "scale",
            "0..=1",
        ),
        (
            b().random_resized_crop_with(10, 10, 0.5..=1.0, Param::LogUniform(0.0, 1.0)),
            "random_resized_crop",
            "ratio",
            "log-uniform 0..=1",
        ),
        (b().zoom_crop(10, 10, 0.0), "zoom_crop", "scale", "0"),
        (b().brightness(2.0, 1.0), "brightness", "delta", "2"),
        (b().contrast(-2.0, 1.0), "contrast", "factor", "-2"),
        (
            b().mid_grey_contrast(11.0, 1.0),
            "mid_grey_contrast",
            "scale",
            "11",
        ),
        (b().cutout(2000.0, 8.0, 8.0, 1.0), "cutout", "holes", "2000"),
        (b().cutout(1.0, -8.0, 8.0, 1.0), "cutout", "width", "-8"),
        (
            b().step(
                Transform::Cutout {
                    holes: 1.0.into(),
                    width: 4.0.into(),
                    height: 4.0.into(),
                    fill: 3.0,
                },
                1.0,
            ),
            "cutout",
            "fill",
            "3",
        ),
        (
            b().gaussian_blur(200.0, 1.0),
            "gaussian_blur",
            "sigma",
            "200",
        ),
        (
            b().motion_blur(-1.0, 0.0, 1.0),
            "motion_blur",
            "length",
            "-1",
        ),
        (
            b().motion_blur(5.0, f64::NEG_INFINITY, 1.0),
            "motion_blur",
            "degrees",
            "-inf",
        ),
        (
            b().shear_blur(5.0, 70.0, 1.0),
            "shear_blur",
            "degrees",
            "70",
        ),
        (b().flip_horizontal(1.5), "flip_horizontal", "p", "1.5"),
        (b().dihedral(f64::NAN), "dihedral", "p", "NaN"),
        (
            b().padding(Padding::Constant(f32::NAN)),
            "pipeline",
            "padding constant",
            "NaN",
        ),
        (b().mask_fill(f32::INFINITY), "pipeline", "mask_fill", "inf"),
        (
            b().min_box_visibility(1.5),
            "pipeline",
            "min_box_visibility",
            "1.5",
        ),
        (
            b().max_output_pixels(0),
            "pipeline",
            "max_output_pixels",
            "0",
        ),
    ]
}

#[test]
fn every_bad_parameter_is_a_typed_error_naming_the_value() {
    for (builder, want_transform, want_parameter, want_value) in bad_pipelines() {
        match builder.build() {
            Err(Error::InvalidParameter {
                transform,
                parameter,
                value,
                ..
            }) => {
                assert_eq!(
                    (transform, parameter),
                    (want_transform, want_parameter),
                    "value {value}"
                );
                assert!(
                    value.contains(want_value),
                    "{transform}.{parameter}: message shows {value:?}, not {want_value:?}"
                );
                let message = Error::InvalidParameter {
                    transform,
                    parameter,
                    value: value.clone(),
                    expected: "",
                }
                .to_string();
                assert!(message.contains(&value) && message.contains(parameter));
            }
            other => panic!(
                "{want_transform}.{want_parameter}: expected InvalidParameter, got {other:?}"
            ),
        }
    }
}

#[test]
fn bad_boxes_and_targets_are_typed_errors() -> TestResult {
    assert!(matches!(
        Boxes::new(
            BoxFormat::PixelXyxy,
            vec![[0.0, 0.0, 1.0, 1.0]],
            Vec::<u32>::new()
        ),
        Err(Error::LabelCount {
            boxes: 1,
            labels: 0
        })
    ));
    assert!(matches!(
        Boxes::new(
            BoxFormat::PixelXyxy,
            vec![[0.0, 0.0, 1.0, 1.0], [5.0, 1.0, 4.0, 2.0]],
            vec![1, 2]
        ),
        Err(Error::InvalidBox {
            index: 1,
            xyxy: [5.0, 1.0, 4.0, 2.0],
            ..
        })
    ));
    assert!(matches!(
        Boxes::new(
            BoxFormat::NormalisedXyxy,
            vec![[0.0, f64::NAN, 1.0, 1.0]],
            vec![1]
        ),
        Err(Error::InvalidBox { index: 0, .. })
    ));
    let pipeline = Pipeline::builder().resize(10, 10).build()?;
    let plan = pipeline.plan(20, 20, 0)?;
    let boxes = Boxes::new(BoxFormat::PixelXyxy, vec![[0.0, 0.0, 1.0, 1.0]], vec![1])?;
    assert!(matches!(
        plan.map_boxes(&boxes, 2.0),
        Err(Error::InvalidParameter {
            parameter: "min_visibility",
            ..
        })
    ));
    // A mask of another size than the image, a source of another size than the plan.
    let image = Image::<u8>::new(20, 20, 3)?;
    let small = Image::<u8>::new(19, 20, 1)?;
    let targets = Targets {
        mask: Some(small.view()),
        ..Targets::<u32>::default()
    };
    assert!(matches!(
        pipeline.apply_with_targets(image.view(), &targets, 0),
        Err(Error::Geometry(_))
    ));
    assert!(matches!(
        pipeline.apply_plan(small.view(), &plan),
        Err(Error::Geometry(_))
    ));
    Ok(())
}

#[test]
fn hostile_sizes_are_refused_not_allocated() -> TestResult {
    let src = Image::<u8>::new(4, 4, 1)?;
    let huge = Pipeline::builder().resize(65_536, 65_536).build()?;
    assert!(matches!(
        huge.apply(src.view(), 0),
        Err(Error::OutputTooLarge { .. })
    ));
    assert!(Pipeline::builder().build()?.plan(0, 10, 0).is_err());
    Ok(())
}
