//! Shrinking by more than 2x samples a box-downscaled level, folded into
//! the map: power-of-two shrinks give the exact block means, fine patterns
//! do not alias, and the switch turns it off.

use augment::{Image, Padding, Pipeline};

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn a_power_of_two_shrink_is_the_exact_block_mean() -> TestResult {
    let src = Image::<u8>::from_fn(64, 48, 3, |x, y, c| {
        ((x * 37 + y * 91 + c * 53) % 256) as u8
    })?;
    let out = Pipeline::builder()
        .resize(16, 12)
        .build()?
        .apply(src.view(), 0)?;
    for y in 0..12 {
        for x in 0..16 {
            for c in 0..3 {
                let sum: u32 = (0..16)
                    .map(|n| u32::from(src.pixel(4 * x + n % 4, 4 * y + n / 4)[c]))
                    .sum();
                // Correctly rounded, ties to even.
                let want = (f64::from(sum) / 16.0).round_ties_even();
                assert_eq!(f64::from(out.pixel(x, y)[c]), want, "({x}, {y}, {c})");
            }
        }
    }
    Ok(())
}

#[test]
fn fine_stripes_do_not_alias_and_only_the_shrunk_axis_is_averaged() -> TestResult {
    // 1-pixel stripes across x, a ramp down y.
    let src = Image::<u8>::from_fn(256, 64, 1, |x, y, _| ((x % 2) * 150 + y) as u8)?;
    let squish = |antialias| {
        Pipeline::builder()
            .resize(60, 64) // 4.27x across the stripes, 1x down the ramp
            .padding(Padding::Border)
            .antialias(antialias)
            .build()
    };
    let smooth = squish(true)?.apply(src.view(), 0)?;
    for y in 0..64 {
        for x in 0..60 {
            assert_eq!(
                usize::from(smooth.pixel(x, y)[0]),
                75 + y,
                "({x}, {y}): stripes should average out, the ramp stay"
            );
        }
    }
    let aliased = squish(false)?.apply(src.view(), 0)?;
    let row: Vec<u8> = (0..60).map(|x| aliased.pixel(x, 0)[0]).collect();
    let spread = row.iter().max().copied().unwrap_or(0) - row.iter().min().copied().unwrap_or(0);
    assert!(
        spread > 75,
        "without antialiasing the stripes alias: {row:?}"
    );
    Ok(())
}

#[test]
fn mild_shrinks_and_nearest_sampling_read_the_source_directly() -> TestResult {
    let src = Image::<u8>::from_fn(40, 40, 1, |x, y, _| ((x * 7) ^ (y * 5)) as u8)?;
    // 2x exactly: bilinear at the midpoints already is the 2x2 mean.
    for (pipeline, name) in [
        (Pipeline::builder().resize(20, 20), "2x"),
        (
            Pipeline::builder()
                .resize(10, 10)
                .interpolation(augment::Interpolation::Nearest),
            "nearest",
        ),
    ] {
        let on = pipeline.clone().build()?;
        let off = pipeline.antialias(false).build()?;
        assert_eq!(
            on.apply(src.view(), 0)?,
            off.apply(src.view(), 0)?,
            "{name}"
        );
    }
    Ok(())
}

#[test]
fn grids_are_antialiased_too() -> TestResult {
    // An elastic field makes the map a grid; a 4x shrink after it must
    // still average the stripes away.
    let src = Image::<u8>::from_fn(256, 256, 1, |x, _, _| ((x % 2) * 200) as u8)?;
    let out = Pipeline::builder()
        .elastic(2.0, 64.0, 1.0)
        .resize(60, 60)
        .padding(Padding::Reflect101)
        .build()?
        .apply(src.view(), 0)?;
    let worst = out
        .as_slice()
        .iter()
        .map(|&v| (f64::from(v) - 100.0).abs())
        .fold(0.0, f64::max);
    assert!(worst <= 2.0, "worst deviation from the mean {worst}");
    Ok(())
}
