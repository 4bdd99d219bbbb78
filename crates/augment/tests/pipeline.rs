//! The pipeline composes its steps into one map and samples once; these
//! tests pin what that map does to real pixels.

use augment::{Error, Image, Interpolation, Padding, Pipeline, Transform};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A test card whose every pixel differs, so any misplaced pixel shows.
fn card(width: usize, height: usize, channels: usize) -> Image<u8> {
    Image::from_fn(width, height, channels, |x, y, c| {
        ((x * 7 + y * 13 + c * 101) % 251) as u8
    })
    .unwrap_or_else(|e| panic!("test card: {e}"))
}

#[test]
fn flips_copy_pixels_exactly() -> TestResult {
    let src = card(9, 6, 3);
    let lr = Pipeline::builder().flip_horizontal(1.0).build()?;
    let ud = Pipeline::builder().flip_vertical(1.0).build()?;
    let out_lr = lr.apply(src.view(), 0)?;
    let out_ud = ud.apply(src.view(), 0)?;
    for y in 0..6 {
        for x in 0..9 {
            assert_eq!(out_lr.pixel(x, y), src.pixel(8 - x, y));
            assert_eq!(out_ud.pixel(x, y), src.pixel(x, 5 - y));
        }
    }
    Ok(())
}

#[test]
fn quarter_turn_is_exact_and_counter_clockwise() -> TestResult {
    // Square, so the turned content fills the canvas.
    let src = card(7, 7, 1);
    let p = Pipeline::builder().rotate(90.0, 1.0).build()?;
    let out = p.apply(src.view(), 0)?;
    for y in 0..7 {
        for x in 0..7 {
            // Counter-clockwise on screen: the top row becomes the left column,
            // read bottom to top; the source's right column becomes the top row.
            assert_eq!(out.pixel(x, y), src.pixel(6 - y, x), "at ({x}, {y})");
        }
    }
    Ok(())
}

#[test]
fn centre_crop_is_an_exact_window() -> TestResult {
    let src = card(10, 8, 4);
    let out = Pipeline::builder()
        .centre_crop(4, 4)
        .build()?
        .apply(src.view(), 0)?;
    // (10-4)/2 = 3, (8-4)/2 = 2.
    assert_eq!(out, src.view().crop(3, 2, 4, 4)?.to_image());
    Ok(())
}

#[test]
fn random_crops_are_exact_windows_at_varying_places() -> TestResult {
    let src = card(20, 15, 3);
    let p = Pipeline::builder().random_crop(5, 4).seed(3).build()?;
    let mut places = std::collections::HashSet::new();
    for k in 0..20 {
        let out = p.apply(src.view(), k)?;
        let found = (0..=15)
            .flat_map(|x| (0..=11).map(move |y| (x, y)))
            .find(|&(x, y)| {
                src.view()
                    .crop(x, y, 5, 4)
                    .is_ok_and(|w| w.to_image() == out)
            });
        places.insert(found.ok_or("crop is not a window of the source")?);
    }
    assert!(
        places.len() > 5,
        "crops should land in many places: {places:?}"
    );
    Ok(())
}

#[test]
fn resize_then_crop_samples_once_like_the_composed_map() -> TestResult {
    // Upscale 2x then centre-crop: one pass must equal sampling the source at
    // the composed positions (x_out + 2) / 2 - 0.25 (half-pixel centres).
    let src = card(6, 6, 1);
    let out = Pipeline::builder()
        .resize(12, 12)
        .centre_crop(8, 8)
        .padding(Padding::Border)
        .build()?
        .apply(src.view(), 0)?;
    for y in 0..8 {
        for x in 0..8 {
            let sx = (x as f64 + 2.0 + 0.5) / 2.0 - 0.5;
            let sy = (y as f64 + 2.0 + 0.5) / 2.0 - 0.5;
            let want = bilinear_exact(&src, sx, sy);
            let got = f64::from(out.pixel(x, y)[0]);
            assert!((got - want).abs() <= 0.501, "({x},{y}): {got} vs {want}");
        }
    }
    Ok(())
}

/// Exact bilinear with border padding, in f64.
fn bilinear_exact(src: &Image<u8>, x: f64, y: f64) -> f64 {
    let at = |i: f64, j: f64| {
        let xi = (i as i64).clamp(0, src.width() as i64 - 1) as usize;
        let yi = (j as i64).clamp(0, src.height() as i64 - 1) as usize;
        f64::from(src.pixel(xi, yi)[0])
    };
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1.0, y0) * fx;
    let bottom = at(x0, y0 + 1.0) * (1.0 - fx) + at(x0 + 1.0, y0 + 1.0) * fx;
    top * (1.0 - fy) + bottom * fy
}

#[test]
fn brightness_and_contrast_are_fused_with_one_rounding() -> TestResult {
    let src = Image::<u8>::from_vec(2, 1, 1, vec![100, 250])?;
    let out = Pipeline::builder()
        .contrast(0.5, 1.0) // x1.5
        .brightness(0.1, 1.0) // +25.5
        .build()?
        .apply(src.view(), 0)?;
    // 100 * 1.5 + 25.5 = 175.5 -> 176 (half to even); 250 -> saturates.
    assert_eq!(out.as_slice(), &[176, 255]);
    Ok(())
}

#[test]
fn same_seed_and_index_give_the_same_image_in_any_order() -> TestResult {
    let src = card(40, 30, 3);
    let p = Pipeline::builder()
        .flip_horizontal(0.5)
        .rotate(-30.0..=30.0, 0.75)
        .zoom(0.8..=1.3, 0.75)
        .brightness(-0.2..=0.2, 0.5)
        .random_crop(24, 24)
        .seed(99)
        .build()?;
    let forward: Vec<_> = (0..8)
        .map(|k| p.apply(src.view(), k))
        .collect::<Result<_, _>>()?;
    let backward: Vec<_> = (0..8)
        .rev()
        .map(|k| p.apply(src.view(), k))
        .collect::<Result<_, _>>()?;
    assert!(forward.iter().eq(backward.iter().rev()));
    let distinct: std::collections::HashSet<_> =
        forward.iter().map(|i| i.as_slice().to_vec()).collect();
    assert_eq!(
        distinct.len(),
        8,
        "different indices draw different parameters"
    );
    let other_seed = p.clone().with_seed(100).apply(src.view(), 0)?;
    assert_ne!(other_seed, forward[0]);
    Ok(())
}

#[test]
fn probability_zero_never_fires_and_one_always_does() -> TestResult {
    let src = card(8, 8, 1);
    let never = Pipeline::builder().rotate(30.0, 0.0).build()?;
    let always = Pipeline::builder().flip_horizontal(1.0).build()?;
    for k in 0..10 {
        assert_eq!(never.apply(src.view(), k)?, src);
        assert_ne!(always.apply(src.view(), k)?, src);
    }
    Ok(())
}

#[test]
fn flip_fires_about_half_the_time() -> TestResult {
    let p = Pipeline::builder().flip_horizontal(0.5).seed(5).build()?;
    let fired = (0..2000)
        .filter(|&k| {
            // Flipped when the source's left column lands on the right.
            p.plan(10, 10, k)
                .is_ok_and(|plan| plan.map_point(0.0, 0.0).is_some_and(|(x, _)| x > 4.5))
        })
        .count();
    // Binomial(2000, 0.5): 4.5 standard deviations is about ±100.
    assert!((900..=1100).contains(&fired), "{fired}");
    Ok(())
}

#[test]
fn plan_maps_points_where_the_pixels_go() -> TestResult {
    // A bright dot must land where the plan says its centre goes.
    let mut src = Image::<u8>::new(64, 64, 1)?;
    src.pixel_mut(20, 12)[0] = 255;
    let p = Pipeline::builder()
        .rotate(-40.0..=40.0, 1.0)
        .zoom(1.0..=1.5, 1.0)
        .flip_horizontal(0.5)
        .resize(96, 96)
        .padding(Padding::Zeros)
        .build()?;
    for k in 0..10 {
        let plan = p.plan(64, 64, k)?;
        let out = p.apply_plan(src.view(), &plan)?;
        let (px, py) = plan.map_point(20.0, 12.0).ok_or("point lost")?;
        let brightest = (0..96 * 96)
            .max_by_key(|&n| out.as_slice()[n])
            .map(|n| (n % 96, n / 96))
            .ok_or("empty output")?;
        let d = ((brightest.0 as f64 - px).powi(2) + (brightest.1 as f64 - py).powi(2)).sqrt();
        assert!(
            d <= 1.0,
            "image {k}: dot at {brightest:?}, plan says ({px:.2}, {py:.2})"
        );
    }
    Ok(())
}

#[test]
fn nearest_interpolation_keeps_only_existing_values() -> TestResult {
    let src = Image::<u8>::from_fn(
        16,
        16,
        1,
        |x, y, _| if (x / 4 + y / 4) % 2 == 0 { 10 } else { 200 },
    )?;
    let out = Pipeline::builder()
        .rotate(-30.0..=30.0, 1.0)
        .zoom(0.7..=1.3, 1.0)
        .interpolation(Interpolation::Nearest)
        .padding(Padding::Constant(10.0))
        .build()?
        .apply(src.view(), 4)?;
    assert!(out.as_slice().iter().all(|&v| v == 10 || v == 200));
    Ok(())
}

#[test]
fn f32_images_go_through_the_same_pipeline() -> TestResult {
    let src = Image::<f32>::from_fn(12, 10, 3, |x, y, c| (x + y + c) as f32 / 30.0)?;
    let out = Pipeline::builder()
        .flip_horizontal(1.0)
        .brightness(0.5, 1.0)
        .build()?
        .apply(src.view(), 0)?;
    // Brightness is a fraction of full intensity, 1.0 for f32.
    assert!((out.pixel(0, 0)[0] - (src.pixel(11, 0)[0] + 0.5)).abs() < 1e-6);
    Ok(())
}

#[test]
fn bad_parameters_are_typed_errors_naming_the_value() {
    let cases = [
        Pipeline::builder().rotate(f64::NAN, 1.0).build(),
        Pipeline::builder().zoom(0.0, 1.0).build(),
        Pipeline::builder().flip_horizontal(1.5).build(),
        Pipeline::builder().resize(0, 10).build(),
        Pipeline::builder().random_crop(10, 1 << 20).build(),
        Pipeline::builder().rotate(10.0..=-10.0, 1.0).build(),
        Pipeline::builder()
            .step(Transform::Brightness { delta: 2.0.into() }, 1.0)
            .build(),
    ];
    for case in cases {
        match case {
            Err(Error::InvalidParameter { value, .. }) => assert!(!value.is_empty()),
            other => panic!("expected InvalidParameter, got {other:?}"),
        }
    }
}

#[test]
fn output_pixel_limit_is_enforced() -> TestResult {
    let p = Pipeline::builder()
        .resize(1000, 1000)
        .max_output_pixels(999_999)
        .build()?;
    let src = card(4, 4, 1);
    assert!(matches!(
        p.apply(src.view(), 0),
        Err(Error::OutputTooLarge { limit: 999_999, .. })
    ));
    Ok(())
}

/// Images run the sampling pass tensors run, with its per-thread buffers:
/// once warm, an image sampled into the caller's buffer allocates no
/// antialiasing level and no displacement grid.
#[test]
fn images_into_a_buffer_reuse_the_level_and_the_grid() -> TestResult {
    let src = card(400, 300, 3);
    let b = Pipeline::builder;
    let cases = [
        ("shrink 4x", b().resize(100, 75).build()?),
        (
            "elastic",
            b().elastic(1.0..=3.0, 20.0, 1.0)
                .resize(100, 75)
                .antialias(false)
                .build()?,
        ),
        (
            "elastic then shrink 4x",
            b().elastic(1.0..=3.0, 20.0, 1.0).resize(100, 75).build()?,
        ),
    ];
    for (name, pipeline) in cases {
        let mut out = Image::<u8>::new(100, 75, 3)?;
        let plans = (0..2)
            .map(|k| pipeline.plan(400, 300, k))
            .collect::<Result<Vec<_>, _>>()?;
        pipeline.apply_plan_into(src.view(), out.view_mut(), &plans[0])?;
        let mut second = Ok(());
        let info = allocation_counter::measure(|| {
            second = pipeline.apply_plan_into(src.view(), out.view_mut(), &plans[1]);
        });
        second?;
        assert_eq!(out, pipeline.apply(src.view(), 1)?, "{name}");
        // The level (100x75x3 bytes) and the grid (100x75x8) are far above
        // an eighth of the output.
        assert!(
            info.bytes_max < 100 * 75 * 3 / 8,
            "{name}: peak {} bytes allocated in the steady state ({} allocations)",
            info.bytes_max,
            info.count_total
        );
    }
    Ok(())
}
