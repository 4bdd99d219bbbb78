//! Shrinking by more than 2x samples a downscaled level: for an
//! axis-aligned map, the exact mean of each output pixel's widened
//! footprint on the output grid (after a power-of-two box level); fine
//! patterns do not alias, and the switch turns it off.

use augment::{Image, Padding, Pipeline};

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn a_power_of_two_shrink_is_the_exact_mean_of_the_widened_footprint() -> TestResult {
    // 4x on both axes: the 2x2 box level (exact block means, rounded half
    // to even), then on it each output pixel's footprint (2 level pixels)
    // widened 1.1x, centred on 2x + 0.5: its ends 2x - 0.1 and 2x + 2.1
    // land on the 1/16 grid at 2x - 1/8 and 2x + 2 + 1/8, so level pixels
    // 2x - 1 .. 2x + 2 weigh 2, 16, 16, 2 sixteenths (Reflect101 past the
    // edges), and the mean is correctly rounded.
    let src = Image::<u8>::from_fn(64, 48, 3, |x, y, c| {
        ((x * 37 + y * 91 + c * 53) % 256) as u8
    })?;
    let out = Pipeline::builder()
        .resize(16, 12)
        .build()?
        .apply(src.view(), 0)?;
    let round_half_even = |n: u32, d: u32| {
        let (q, r) = (n / d, n % d);
        match (2 * r).cmp(&d) {
            std::cmp::Ordering::Less => q,
            std::cmp::Ordering::Greater => q + 1,
            std::cmp::Ordering::Equal => q + (q & 1),
        }
    };
    let level = |x: usize, y: usize, c: usize| {
        let sum: u32 = (0..4)
            .map(|n| u32::from(src.pixel(2 * x + n % 2, 2 * y + n / 2)[c]))
            .sum();
        round_half_even(sum, 4)
    };
    let reflect101 = |i: i64, n: i64| {
        (if i < 0 {
            -i
        } else if i >= n {
            2 * n - 2 - i
        } else {
            i
        }) as usize
    };
    let weights = [2u32, 16, 16, 2];
    for y in 0..12 {
        for x in 0..16 {
            for c in 0..3 {
                let mut n = 0;
                for (j, wy) in weights.iter().enumerate() {
                    for (i, wx) in weights.iter().enumerate() {
                        let lx = reflect101(2 * x as i64 - 1 + i as i64, 32);
                        let ly = reflect101(2 * y as i64 - 1 + j as i64, 24);
                        n += wx * wy * level(lx, ly, c);
                    }
                }
                let want = round_half_even(n, 36 * 36);
                assert_eq!(u32::from(out.pixel(x, y)[c]), want, "({x}, {y}, {c})");
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
