use super::*;

#[test]
fn factors_leave_at_most_2x() {
    assert_eq!(level_factors((1.9, 2.0), (100, 100)), (1, 1));
    assert_eq!(level_factors((4.0, 3.9), (100, 100)), (4, 2));
    assert_eq!(level_factors((2.01, 4.5), (100, 100)), (2, 4));
    assert_eq!(level_factors((1e9, 1.0), (5, 5)), (8, 1));
}

#[test]
fn level_is_the_exact_block_mean_and_lines_up() -> Result<()> {
    let src = Image::<u8>::from_fn(7, 5, 3, |x, y, c| (x * 31 + y * 17 + c * 5) as u8)?;
    let level = box_level(src.view(), 2, 4, Padding::Border, None)?;
    assert_eq!((level.width(), level.height()), (4, 2));
    for ly in 0..2 {
        for lx in 0..4 {
            for ch in 0..3 {
                let mut sum = 0.0;
                for sy in ly * 4..ly * 4 + 4 {
                    for sx in lx * 2..lx * 2 + 2 {
                        sum += f64::from(src.pixel(sx.min(6), sy.min(4))[ch]);
                    }
                }
                let exact = sum / 8.0;
                let got = f64::from(level.pixel(lx, ly)[ch]);
                assert!((got - exact).abs() <= 0.5, "{got} vs {exact}");
            }
        }
    }
    // Level pixel (1, 0) is centred on source (2.5, 1.5).
    let (x, y) = level_map(2, 4).apply(2.5, 1.5);
    assert!((x - 1.0).abs() < 1e-12 && y.abs() < 1e-12);
    Ok(())
}

#[test]
fn the_area_level_is_chosen_per_axis() -> Result<()> {
    // 1024 -> 224 on x (4.57x: 2x2 box, then stride 2.29), 50 -> 50 on y.
    let s = 1024.0 / 224.0;
    let level = area_level((s, 0.5 * s - 0.5, 1.0, 0.0), (1024, 50), (224, 50))
        .ok_or(Error::Geometry(geom::Error::Singular { determinant: 0.0 }))?;
    assert_eq!(level.pre, (2, 1));
    let LevelAxis::Area(x) = level.x else {
        panic!("x should be on the output grid: {level:?}");
    };
    assert!((x.step - s / 2.0).abs() < 1e-12 && (x.width - 1.1 * s / 2.0).abs() < 1e-12);
    // Output pixel 0's footprint starts at source 0: level 0 - 0.05 x.
    assert!((x.first - (0.5 * s / 2.0 - 0.5)).abs() < 1e-12);
    assert_eq!(
        level.y,
        LevelAxis::Kept {
            start: 0,
            count: 50,
            scale: 1.0,
            offset: 0.0
        }
    );
    assert!(!level.is_output());
    // A flip and a 3x shrink on both axes: no box level, mirrored steps,
    // and the level is the output.
    let level = area_level((-3.0, 299.0, 3.0, 1.0), (300, 90), (100, 30));
    let level = level.ok_or(Error::Geometry(geom::Error::Singular { determinant: 0.0 }))?;
    assert_eq!(level.pre, (1, 1));
    assert!(level.is_output());
    assert!(matches!(level.x, LevelAxis::Area(a) if a.step == -3.0 && a.first == 299.0));
    // No axis past 2x: none.
    assert_eq!(area_level((2.0, 0.5, 1.5, 0.0), (100, 100), (50, 60)), None);
    Ok(())
}

#[test]
fn rotations_keep_the_box_level_and_resizes_take_the_area_level() -> Result<()> {
    let rotated = crate::Pipeline::builder()
        .rotate(10.0..=10.0, 1.0)
        .resize(50, 50)
        .build()?;
    let plan = rotated.plan(400, 400, 0)?;
    assert!(matches!(
        rotated.level(&plan, (400, 400)),
        Some(Level::Box { .. })
    ));
    let resized = crate::Pipeline::builder().resize(50, 50).build()?;
    let plan = resized.plan(400, 400, 0)?;
    assert!(matches!(resized.level(&plan, (400, 400)), Some(Level::Area(a)) if a.pre == (4, 4)));
    let off = crate::Pipeline::builder()
        .resize(50, 50)
        .antialias(false)
        .build()?;
    assert_eq!(off.level(&plan, (400, 400)), None);
    Ok(())
}

fn paddings() -> impl proptest::strategy::Strategy<Value = Padding> {
    use proptest::prelude::*;
    prop_oneof![
        (-10.0f32..300.0).prop_map(Padding::Constant),
        Just(Padding::Constant(255.0)),
        Just(Padding::Zeros),
        Just(Padding::Border),
        Just(Padding::Reflect),
        Just(Padding::Reflect101),
        Just(Padding::Wrap),
    ]
}

#[test]
fn read_region_covers_a_zoom_in_and_refuses_what_needs_padding() {
    // Output 10x10 reading level x in 20..=29, y in 40..=49.
    let inside = Map::Affine(Affine::new(1.0, 0.0, 20.0, 0.0, 1.0, 40.0));
    let region = read_region(&inside, (10, 10), (100, 100));
    assert_eq!(
        region,
        Some(Region {
            columns: 19..31,
            rows: 39..51
        })
    );
    // The last tap column would be 99 + 1: padding decides, so no region.
    let edge = Map::Affine(Affine::new(1.0, 0.0, 90.0, 0.0, 1.0, 0.0));
    assert_eq!(read_region(&edge, (10, 10), (100, 100)), None);
    let behind = geom::Projective::new([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [-0.5, 0.0, 1.0]])
        .map(Map::Projective);
    assert!(matches!(behind, Ok(ref m) if read_region(m, (10, 10), (100, 100)).is_none()));
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config::with_cases(128))]

    /// The area level written straight into the output is what warping
    /// it through the identity gives, and an axis kept on the source
    /// grid reads as the map says: the level, then the leftover map,
    /// equal the direct write bit for bit, for shrinks, flips and
    /// crops on each axis, every padding mode and channel count.
    #[test]
    fn the_area_level_and_its_leftover_map_sample_like_a_direct_write(
        (w, h) in (4usize..120, 4usize..120),
        c in proptest::sample::select(vec![1usize, 3, 4]),
        (ow, oh) in (1usize..30, 1usize..30),
        (sx, sy) in (0.3f64..9.0, 0.3f64..9.0),
        (flip_x, flip_y) in (proptest::bool::ANY, proptest::bool::ANY),
        (tx, ty) in (-20.0f64..20.0, -20.0f64..20.0),
        padding in paddings(),
    ) {
        let data: Vec<u8> = (0..w * h * c).map(|i| (i * 131 % 251) as u8).collect();
        let src = ImageView::new(&data, w, h, c)?;
        let a = if flip_x { -sx } else { sx };
        let e = if flip_y { -sy } else { sy };
        let Some(level) = area_level((a, tx, e, ty), (w, h), (ow, oh)) else {
            return Ok(());
        };
        let input = if level.pre == (1, 1) {
            src.to_image()
        } else {
            box_level(src, level.pre.0, level.pre.1, padding, None)?
        };
        let (x, y) = (level.x.area_axis(), level.y.area_axis());
        let mut area = Image::<u8>::new(x.count, y.count, c)?;
        area_level_into(input.view(), area.view_mut(), &level, padding, &mut AreaScratch::new())?;
        let options = sample::WarpOptions {
            interpolation: sample::Interpolation::Bilinear,
            padding,
            values: None,
        };
        let mut warped = Image::<u8>::new(ow, oh, c)?;
        sample::warp_into(area.view(), warped.view_mut(), &level.leftover_map(), &options)?;
        if level.is_output() {
            proptest::prop_assert_eq!(area.as_slice(), warped.as_slice());
        }
        // The kept axis through the whole source: the same bits.
        let whole = |axis: LevelAxis, side: usize| match axis {
            LevelAxis::Kept { scale, offset, .. } => LevelAxis::Kept { start: 0, count: side, scale, offset },
            a => a,
        };
        let full = AreaLevel { pre: level.pre, x: whole(level.x, input.width()), y: whole(level.y, input.height()) };
        let (x, y) = (full.x.area_axis(), full.y.area_axis());
        let mut area = Image::<u8>::new(x.count, y.count, c)?;
        area_level_into(input.view(), area.view_mut(), &full, padding, &mut AreaScratch::new())?;
        let mut from_full = Image::<u8>::new(ow, oh, c)?;
        sample::warp_into(area.view(), from_full.view_mut(), &full.leftover_map(), &options)?;
        proptest::prop_assert_eq!(warped.as_slice(), from_full.as_slice(), "{:?}", level);
    }

    /// Sampling a level built only over its read region gives the same
    /// bits as sampling the whole level, for rotated, zoomed and
    /// projective crops, strided sources and every padding mode.
    #[test]
    fn a_level_built_over_the_read_region_samples_like_the_whole_level(
        (w, h) in (8usize..160, 8usize..120),
        c in proptest::sample::select(vec![1usize, 3, 4]),
        (log_kx, log_ky) in (0u32..3, 0u32..3),
        padding in paddings(),
        (ow, oh) in (1usize..40, 1usize..40),
        (cx, cy, zoom, angle, tilt) in (0.0f64..1.0, 0.0f64..1.0, 0.05f64..1.2, -0.6f64..0.6, -0.002f64..0.002),
    ) {
        let (kx, ky) = (1usize << log_kx, 1usize << log_ky);
        let data: Vec<u8> = (0..w * h * c).map(|i| (i * 131 % 251) as u8).collect();
        let src = ImageView::new(&data, w, h, c)?;
        let (lw, lh) = (w.div_ceil(kx), h.div_ceil(ky));
        // Output pixel (j, i) to level coordinates: a rotated, scaled
        // window centred at (cx lw, cy lh), optionally tilted.
        let s = zoom * lw.min(lh) as f64 / ow.max(oh) as f64;
        let (sin, cos) = angle.sin_cos();
        let (a, b, d, e) = (s * cos, -s * sin, s * sin, s * cos);
        let (hx, hy) = ((ow as f64 - 1.0) / 2.0, (oh as f64 - 1.0) / 2.0);
        let (tx, ty) = (cx * lw as f64 - a * hx - b * hy, cy * lh as f64 - d * hx - e * hy);
        let map = if tilt == 0.0 || ow < 4 {
            Map::Affine(Affine::new(a, b, tx, d, e, ty))
        } else {
            Map::Projective(geom::Projective::new([[a, b, tx], [d, e, ty], [tilt / s, 0.0, 1.0]])?)
        };
        let region = read_region(&map, (ow, oh), (lw, lh));
        let whole = box_level(src, kx, ky, padding, None)?;
        let part = box_level(src, kx, ky, padding, region.as_ref())?;
        let options = sample::WarpOptions {
            interpolation: sample::Interpolation::Bilinear,
            padding,
            values: None,
        };
        let (mut from_whole, mut from_part) = (Image::<u8>::new(ow, oh, c)?, Image::<u8>::new(ow, oh, c)?);
        sample::warp_into(whole.view(), from_whole.view_mut(), &map, &options)?;
        sample::warp_into(part.view(), from_part.view_mut(), &map, &options)?;
        proptest::prop_assert_eq!(from_whole.as_slice(), from_part.as_slice(), "region {:?}", region);
    }
}
