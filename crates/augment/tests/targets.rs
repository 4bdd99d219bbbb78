//! Targets follow the pixels: a bright dot lands where its keypoint is
//! mapped, masks move exactly with the image and keep only their values,
//! boxes cover what their region became, and nothing is silently dropped.

mod common;

use augment::{BoxFormat, Boxes, Image, Interpolation, MappedPoint, Padding, Pipeline, Targets};
use common::{TestResult, blob, centroid, geometric_cases};

const SRC: (usize, usize) = (96, 80);
const DOT: (f64, f64) = (41.3, 37.6);

#[test]
fn a_bright_dot_lands_where_its_keypoint_is_mapped_for_every_transform() -> TestResult {
    let src = blob(SRC.0, SRC.1, DOT.0, DOT.1, 1.5);
    for (name, builder) in geometric_cases() {
        let pipeline = builder.padding(Padding::Zeros).seed(11).build()?;
        // Jitter moves each pixel's read by up to its magnitude; the blob's
        // centroid averages that out only partly.
        let tolerance = if name == "jitter" { 0.2 } else { 0.1 };
        let (mut checked, mut worst) = (0, 0.0f64);
        for k in 0..16 {
            let plan = pipeline.plan(SRC.0, SRC.1, k)?;
            let out = pipeline.apply_plan(src.view(), &plan)?;
            let (w, h) = (out.width() as f64, out.height() as f64);
            let margin = (w.min(h) / 4.0).min(12.0);
            match plan.map_keypoints(&[DOT])[0] {
                MappedPoint::Inside((px, py))
                    if px >= margin
                        && py >= margin
                        && px <= w - 1.0 - margin
                        && py <= h - 1.0 - margin =>
                {
                    let ((cx, cy), mass) = centroid(&out);
                    assert!(mass > 100.0, "{name} #{k}: the dot vanished");
                    let d = (cx - px).hypot(cy - py);
                    worst = worst.max(d);
                    assert!(
                        d <= tolerance,
                        "{name} #{k}: dot at ({cx:.3}, {cy:.3}), keypoint says ({px:.3}, {py:.3})"
                    );
                    checked += 1;
                }
                MappedPoint::Outside((px, py)) => {
                    let gap = (-px).max(px - w).max(-py).max(py - h);
                    if gap > 12.0 {
                        let brightest = out.as_slice().iter().max().copied().unwrap_or(0);
                        assert!(
                            brightest < 8,
                            "{name} #{k}: keypoint reported outside at ({px:.1}, {py:.1}) but the dot shows ({brightest})"
                        );
                    }
                }
                MappedPoint::Lost => panic!("{name} #{k}: keypoint lost"),
                MappedPoint::Inside(_) => {}
            }
        }
        println!("{name:>26}: {checked:>2} dots checked, worst offset {worst:.4} px");
        assert!(checked >= 4, "{name}: only {checked} cases checked");
    }
    Ok(())
}

/// Label blocks with values 0, 3, 7 and 200.
fn label_mask() -> Image<u8> {
    Image::from_fn(SRC.0, SRC.1, 1, |x, y, _| {
        [0, 3, 7, 200][(x / 12 + 2 * (y / 10)) % 4]
    })
    .unwrap_or_else(|e| panic!("mask: {e}"))
}

#[test]
fn masks_move_with_the_image_and_keep_only_values_that_existed() -> TestResult {
    let mask = label_mask();
    for (name, builder) in geometric_cases() {
        // With nearest sampling and the same fill, the image and the mask go
        // through the same map, so they must come out identical (blurs
        // excepted: masks are not blurred).
        let pipeline = builder
            .interpolation(Interpolation::Nearest)
            .padding(Padding::Constant(255.0))
            .mask_fill(255.0)
            .seed(5)
            .build()?;
        for k in 0..8 {
            let out = pipeline.apply_with_targets::<u8, u32>(
                mask.view(),
                &Targets {
                    mask: Some(mask.view()),
                    ..Targets::default()
                },
                k,
            )?;
            let warped = out.mask.ok_or("no mask")?;
            assert!(
                warped
                    .as_slice()
                    .iter()
                    .all(|v| [0, 3, 7, 200, 255].contains(v)),
                "{name} #{k}: a mask value that was never there"
            );
            if !name.contains("blur") {
                assert_eq!(warped, out.image, "{name} #{k}: mask and image disagree");
            }
        }
    }
    Ok(())
}

#[test]
fn bilinear_images_still_give_nearest_masks() -> TestResult {
    let mask = label_mask();
    let pipeline = Pipeline::builder()
        .rotate(-30.0..=30.0, 1.0)
        .elastic(2.0, 16.0, 1.0)
        .resize(20, 16) // a 4x shrink: the image is antialiased, the mask is not
        .mask_fill(9.0)
        .build()?;
    let out = pipeline.apply_with_targets::<u8, u32>(
        mask.view(),
        &Targets {
            mask: Some(mask.view()),
            ..Targets::default()
        },
        1,
    )?;
    let warped = out.mask.ok_or("no mask")?;
    assert!(
        warped
            .as_slice()
            .iter()
            .all(|v| [0, 3, 7, 200, 9].contains(v)),
        "{:?}",
        warped.as_slice()
    );
    // The bilinear image does blend (this is what the mask must not do).
    assert!(
        out.image
            .as_slice()
            .iter()
            .any(|v| ![0, 3, 7, 200].contains(v))
    );
    Ok(())
}

#[test]
fn boxes_cover_what_their_region_became() -> TestResult {
    // A 10x20 region of ones; its box by pixel edges is [20, 25, 30, 45].
    let region = Image::<u8>::from_fn(SRC.0, SRC.1, 1, |x, y, _| {
        u8::from((20..30).contains(&x) && (25..45).contains(&y))
    })?;
    let boxes = Boxes::new(
        BoxFormat::PixelXyxy,
        vec![[20.0, 25.0, 30.0, 45.0]],
        vec![1u8],
    )?;
    for (name, builder) in geometric_cases() {
        let pipeline = builder.seed(3).build()?;
        let tolerance = if name == "jitter" { 1.6 } else { 1.01 };
        for k in 0..8 {
            let plan = pipeline.plan(SRC.0, SRC.1, k)?;
            let warped = pipeline.apply_mask(region.view(), &plan)?;
            let mut ones = [usize::MAX, usize::MAX, 0, 0];
            let mut count = 0;
            for y in 0..warped.height() {
                for x in 0..warped.width() {
                    if warped.pixel(x, y)[0] == 1 {
                        ones = [
                            ones[0].min(x),
                            ones[1].min(y),
                            ones[2].max(x),
                            ones[3].max(y),
                        ];
                        count += 1;
                    }
                }
            }
            let mapped = plan.map_boxes(&boxes, 0.0)?;
            match mapped.boxes().first() {
                Some(b) if count > 0 => {
                    let seen = [
                        ones[0] as f64,
                        ones[1] as f64,
                        ones[2] as f64 + 1.0,
                        ones[3] as f64 + 1.0,
                    ];
                    for (got, want) in b.iter().zip(&seen) {
                        assert!(
                            (got - want).abs() <= tolerance,
                            "{name} #{k}: box {b:?}, region covers {seen:?}"
                        );
                    }
                    assert_eq!(mapped.labels(), &[1]);
                }
                Some(b) => assert!(
                    (b[2] - b[0]) * (b[3] - b[1]) < 4.0,
                    "{name} #{k}: box {b:?} kept but its region is gone"
                ),
                None => assert!(
                    count <= 2,
                    "{name} #{k}: box dropped, {count} pixels visible"
                ),
            }
        }
    }
    Ok(())
}

#[test]
fn boxes_are_clipped_filtered_and_keep_their_labels() -> TestResult {
    let boxes = Boxes::new(
        BoxFormat::PixelXyxy,
        vec![
            [30.0, 30.0, 40.0, 40.0], // inside the window
            [0.0, 0.0, 10.0, 10.0],   // outside
            [20.0, 30.0, 40.0, 40.0], // 3/4 visible
            [10.0, 30.0, 30.0, 40.0], // 1/4 visible
        ],
        vec!["a", "b", "c", "d"],
    )?;
    let pipeline = Pipeline::builder()
        .centre_crop(50, 50) // window x, y in 25..75
        .min_box_visibility(0.5)
        .build()?;
    let plan = pipeline.plan(100, 100, 0)?;
    let kept = plan.map_boxes(&boxes, 0.5)?;
    assert_eq!(kept.labels(), &["a", "c"]);
    assert_eq!(
        kept.boxes(),
        &[[5.0, 5.0, 15.0, 15.0], [0.0, 5.0, 15.0, 15.0]]
    );
    let all = plan.map_boxes(&boxes, 0.0)?;
    assert_eq!(all.labels(), &["a", "c", "d"]);

    // The normalised form is the pixel form divided by the sizes.
    let (b, l) = boxes.into_parts();
    let normalised = Boxes::new(
        BoxFormat::NormalisedXyxy,
        b.iter().map(|b| b.map(|v| v / 100.0)).collect(),
        l,
    )?;
    let kept_n = plan.map_boxes(&normalised, 0.5)?;
    assert_eq!(kept_n.labels(), &["a", "c"]);
    for (n, p) in kept_n.boxes().iter().zip(kept.boxes()) {
        for (a, b) in n.iter().zip(p) {
            assert!((a - b / 50.0).abs() < 1e-12, "{n:?} vs {p:?}");
        }
    }
    // apply_with_targets uses the pipeline's minimum visibility.
    let src = Image::<u8>::new(100, 100, 3)?;
    let out = pipeline.apply_with_targets(
        src.view(),
        &Targets {
            boxes: Some(&normalised),
            ..Targets::default()
        },
        0,
    )?;
    assert_eq!(out.boxes.ok_or("no boxes")?.labels(), &["a", "c"]);
    Ok(())
}

#[test]
fn keypoints_that_leave_are_reported_not_dropped() -> TestResult {
    let points: Vec<(f64, f64)> = (0..12)
        .flat_map(|i| (0..10).map(move |j| (i as f64 * 8.0, j as f64 * 8.0)))
        .collect();
    let pipeline = Pipeline::builder().random_crop(30, 20).seed(8).build()?;
    for k in 0..10 {
        let plan = pipeline.plan(96, 80, k)?;
        let mapped = plan.map_keypoints(&points);
        assert_eq!(mapped.len(), points.len());
        // A crop is an integer shift: find it from any point.
        let (ox, oy) = {
            let (x, y) = mapped[0].position().ok_or("lost")?;
            (x - points[0].0, y - points[0].1)
        };
        let mut inside = 0;
        for (m, p) in mapped.iter().zip(&points) {
            let (x, y) = m.position().ok_or("lost")?;
            assert_eq!((x, y), (p.0 + ox, p.1 + oy));
            let within = (-0.5..=29.5).contains(&x) && (-0.5..=19.5).contains(&y);
            assert_eq!(m.is_inside(), within, "{m:?}");
            inside += usize::from(within);
        }
        assert!(inside > 0 && inside < points.len());
    }
    Ok(())
}

#[test]
fn points_beyond_the_horizon_are_lost_not_invented() -> TestResult {
    let plan = Pipeline::builder()
        .tilt(0.5, 1.0)
        .build()?
        .plan(50, 50, 0)?;
    assert!(!plan.is_affine());
    // Far outside the source, a strong perspective sends points behind the viewer.
    let far = plan.map_keypoints(&[(-1e6, -1e6), (1e6, 1e6), (f64::NAN, 0.0)]);
    assert!(far.contains(&MappedPoint::Lost));
    assert_eq!(far[2], MappedPoint::Lost);
    Ok(())
}

#[test]
fn boxes_reaching_beyond_a_perspective_horizon_keep_what_is_seen() -> TestResult {
    // fastai's perspective warp puts the horizon a few thousand pixels out:
    // a box reaching that far used to vanish whole when a corner was lost.
    let (w, h) = (512, 512);
    let pipeline = Pipeline::fastai_default(224, 224).build()?;
    let everything = Boxes::new(
        BoxFormat::PixelXyxy,
        vec![[-5000.0, -5000.0, 5000.0, 5000.0]],
        vec![0u8],
    )?;
    let right_part = [100.0, -5000.0, 5000.0, 400.0];
    let partly = Boxes::new(BoxFormat::PixelXyxy, vec![right_part], vec![1u8])?;
    let region = Image::<u8>::from_fn(w, h, 1, |x, y, _| u8::from(x >= 100 && y < 400))?;
    let mut lost = 0;
    for k in 0..64 {
        let plan = pipeline.plan(w, h, k)?;
        let corners = [
            (5000.0, 5000.0),
            (-5000.0, 5000.0),
            (5000.0, -5000.0),
            (-5000.0, -5000.0),
        ];
        if corners.iter().any(|&(x, y)| plan.map_point(x, y).is_none()) {
            lost += 1;
        }
        let (ow, oh) = (plan.width() as f64, plan.height() as f64);
        // The box holds the whole source and far around it: all of the output.
        let all = plan.map_boxes(&everything, 0.0)?;
        assert_eq!(all.boxes(), &[[0.0, 0.0, ow, oh]], "#{k}");

        // It covers at least what its part inside the source became, and
        // stays inside the output.
        let seen = pipeline.apply_mask(region.view(), &plan)?;
        let mut ones = [f64::INFINITY, f64::INFINITY, 0.0f64, 0.0f64];
        for y in 0..seen.height() {
            for x in 0..seen.width() {
                if seen.pixel(x, y)[0] == 1 {
                    let (x, y) = (x as f64, y as f64);
                    ones = [
                        ones[0].min(x),
                        ones[1].min(y),
                        ones[2].max(x + 1.0),
                        ones[3].max(y + 1.0),
                    ];
                }
            }
        }
        let mapped = plan.map_boxes(&partly, 0.0)?;
        let b = mapped.boxes().first().ok_or(format!("#{k}: box dropped"))?;
        assert!(
            b[0] >= 0.0 && b[1] >= 0.0 && b[2] <= ow && b[3] <= oh,
            "#{k}: {b:?}"
        );
        if ones[0] < ones[2] {
            assert!(
                b[0] <= ones[0] + 1.0
                    && b[1] <= ones[1] + 1.0
                    && b[2] >= ones[2] - 1.0
                    && b[3] >= ones[3] - 1.0,
                "#{k}: box {b:?} misses the region seen at {ones:?}"
            );
        }
    }
    assert!(
        lost > 0,
        "no plan sent a corner beyond the horizon: the test tests nothing"
    );
    Ok(())
}
