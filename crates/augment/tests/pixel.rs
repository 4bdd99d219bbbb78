//! Pixel steps: lighting fused into the sampling pass, cutout and blurs run
//! on the output afterwards, exactly as the filter crate would run them.

use augment::raw::filter;
use augment::{Image, Padding, Pipeline};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn card() -> Result<Image<u8>, augment::Error> {
    Ok(Image::from_fn(40, 30, 3, |x, y, c| {
        ((x * 7 + y * 13 + c * 101) % 251) as u8
    })?)
}

#[test]
fn blurs_equal_the_filter_crate_on_the_sampled_output() -> TestResult {
    let src = card()?;
    let geometry = || Pipeline::builder().rotate(12.0, 1.0).resize(32, 24);
    let sharp = geometry().build()?.apply(src.view(), 0)?;
    let cases = [
        (
            geometry().gaussian_blur(1.5, 1.0).build()?,
            filter::Blur::Gaussian {
                sigma_x: 1.5,
                sigma_y: 1.5,
            },
        ),
        (
            geometry().motion_blur(7.0, 30.0, 1.0).build()?,
            filter::Blur::Motion {
                length: 7.0,
                angle_degrees: 30.0,
            },
        ),
    ];
    for (pipeline, blur) in cases {
        let mut want = Image::<u8>::new(32, 24, 3)?;
        blur.apply_into(sharp.view(), want.view_mut(), Padding::Reflect101)?;
        assert_eq!(pipeline.apply(src.view(), 0)?, want, "{blur:?}");
    }
    Ok(())
}

#[test]
fn shear_blur_is_a_shear_in_the_map_and_an_odd_box_along_rows() -> TestResult {
    let src = card()?;
    let sheared = Pipeline::builder()
        .shear(10.0, 0.0, 1.0)
        .build()?
        .apply(src.view(), 0)?;
    // Length 6 rounds to the odd box 7 (an even box would shift by half a pixel).
    let out = Pipeline::builder()
        .shear_blur(6.0, 10.0, 1.0)
        .build()?
        .apply(src.view(), 0)?;
    let want = filter::box_blur(sheared.view(), 7, 1, Padding::Reflect101)?;
    assert_eq!(out, want);
    Ok(())
}

#[test]
fn cutout_blacks_out_whole_rectangles_inside_the_image() -> TestResult {
    let white = Image::<u8>::from_fn(64, 48, 1, |_, _, _| 255)?;
    let pipeline = Pipeline::builder()
        .cutout(2.0, 6.0, 4.0, 1.0)
        .seed(4)
        .build()?;
    let mut sizes = std::collections::HashSet::new();
    for k in 0..20 {
        let out = pipeline.apply(white.view(), k)?;
        let black: Vec<(usize, usize)> = (0..48)
            .flat_map(|y| (0..64).map(move |x| (x, y)))
            .filter(|&(x, y)| out.pixel(x, y)[0] == 0)
            .collect();
        // Two 6x4 holes: at most 48 pixels, fewer if they overlap or hang over an edge.
        assert!(!black.is_empty() && black.len() <= 48, "{}", black.len());
        assert!(out.as_slice().iter().all(|&v| v == 0 || v == 255));
        sizes.insert(black.len());
    }
    assert!(
        sizes.contains(&48),
        "holes should usually be whole: {sizes:?}"
    );
    Ok(())
}

#[test]
fn mid_grey_contrast_pivots_on_mid_grey_in_the_same_pass() -> TestResult {
    let src = Image::<u8>::from_vec(3, 1, 1, vec![0, 128, 255])?;
    let out = Pipeline::builder()
        .mid_grey_contrast(1.25, 1.0)
        .brightness(0.1, 1.0)
        .build()?
        .apply(src.view(), 0)?;
    // (v - 127.5) * 1.25 + 127.5 + 25.5, rounded once, clamped:
    // 0 -> -6.375 -> 0; 128 -> 153.625 -> 154; 255 -> 312.375 -> 255.
    assert_eq!(out.as_slice(), &[0, 154, 255]);
    let f = Image::<f32>::from_vec(1, 1, 1, vec![0.2])?;
    let out = Pipeline::builder()
        .mid_grey_contrast(0.5, 1.0)
        .build()?
        .apply(f.view(), 0)?;
    assert!((out.as_slice()[0] - 0.35).abs() < 1e-6);
    Ok(())
}

#[test]
fn fastai_default_and_validation_behave_like_fastai() -> TestResult {
    let src = Image::<u8>::from_fn(300, 200, 3, |x, y, c| (x + y + c) as u8)?;
    let train = Pipeline::fastai_default(64, 64).seed(3).build()?;
    let valid = Pipeline::fastai_validation(64, 64).build()?;
    let names: Vec<&str> = train.steps().iter().map(|s| s.transform.name()).collect();
    assert_eq!(
        names,
        [
            "flip_horizontal",
            "symmetric_warp",
            "rotate",
            "zoom",
            "brightness",
            "mid_grey_contrast",
            "resize"
        ]
    );
    let ps: Vec<f64> = train.steps().iter().map(|s| s.p).collect();
    assert_eq!(ps, [0.5, 0.75, 0.75, 0.75, 0.75, 0.75, 1.0]);
    // Training draws differ per image; validation is the same every time and
    // is the centred square of the shorter side, resized.
    let a = train.apply(src.view(), 0)?;
    let b = train.apply(src.view(), 1)?;
    assert_eq!((a.width(), a.height()), (64, 64));
    assert_ne!(a, b);
    let v = valid.apply(src.view(), 0)?;
    assert_eq!(v, valid.apply(src.view(), 9)?);
    let plan = valid.plan(300, 200, 0)?;
    let (x, _) = plan.map_point(149.5, 99.5).ok_or("lost")?;
    assert!((x - 31.5).abs() < 1e-9, "centre maps to the centre: {x}");
    let (left, _) = plan.map_point(49.5, 0.0).ok_or("lost")?;
    assert!(
        (left + 0.5).abs() < 1e-9,
        "the crop starts at x = 50: {left}"
    );
    // About 3/4 of the training plans are projective (the warp fired).
    let projective = (0..400)
        .filter(|&k| train.plan(300, 200, k).is_ok_and(|p| !p.is_affine()))
        .count();
    assert!((250..350).contains(&projective), "{projective}");
    Ok(())
}
