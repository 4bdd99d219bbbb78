//! The design's claim, measured: composing every geometric step into one map
//! and interpolating once is closer to the exact result than chaining the
//! same steps with one interpolation each.
//!
//! Run with `--nocapture` to see the figures.

use augment::{Image, Padding, Pipeline, PipelineBuilder};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Six affine steps with fixed parameters, as separate builders so they can
/// run chained (one pass each) or together (one pass).
fn steps() -> Vec<fn(PipelineBuilder) -> PipelineBuilder> {
    vec![
        |b| b.rotate(17.0, 1.0),
        |b| b.zoom(1.15, 1.0),
        |b| b.shear(8.0, 0.0, 1.0),
        |b| b.rotate(-11.0, 1.0),
        |b| b.scale(1.08, 0.93, 1.0),
        |b| b.translate(0.013, -0.021, 1.0),
    ]
}

fn fused() -> augment::Result<Pipeline> {
    steps()
        .into_iter()
        .fold(Pipeline::builder(), |b, s| s(b))
        .padding(Padding::Reflect101)
        .build()
}

fn chained<T: augment::Element>(src: &Image<T>) -> augment::Result<Image<T>> {
    let mut img = src.clone();
    for s in steps() {
        let one = s(Pipeline::builder())
            .padding(Padding::Reflect101)
            .build()?;
        img = one.apply(img.view(), 0)?;
    }
    Ok(img)
}

/// Exact bilinear of channel `c` at `(x, y)` in `f64`, Reflect101 padding.
fn bilinear<T: augment::Element>(src: &Image<T>, x: f64, y: f64, c: usize) -> f64 {
    let at = |i: f64, j: f64| {
        let xi = Padding::Reflect101
            .index(i as i64, src.width())
            .unwrap_or(0);
        let yi = Padding::Reflect101
            .index(j as i64, src.height())
            .unwrap_or(0);
        f64::from(src.pixel(xi, yi)[c].to_f32())
    };
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1.0, y0) * fx;
    let bottom = at(x0, y0 + 1.0) * (1.0 - fx) + at(x0 + 1.0, y0 + 1.0) * fx;
    top * (1.0 - fy) + bottom * fy
}

/// RMS and largest error over the central half of the output, against
/// `exact(x_source, y_source, channel)` at the composed map's positions.
fn errors<T: augment::Element>(
    out: &Image<T>,
    pipeline: &Pipeline,
    exact: &dyn Fn(f64, f64, usize) -> f64,
) -> Result<(f64, f64), Box<dyn std::error::Error>> {
    let plan = pipeline.plan(out.width(), out.height(), 0)?;
    let map = plan.pull_map()?;
    let (w, h) = (out.width(), out.height());
    let (mut sum, mut n, mut worst) = (0.0, 0.0, 0.0f64);
    for i in h / 4..3 * h / 4 {
        for j in w / 4..3 * w / 4 {
            let (x, y) = map.source_of(j, i).ok_or("no source position")?;
            for c in 0..out.channels() {
                let e = f64::from(out.pixel(j, i)[c].to_f32()) - exact(x, y, c);
                sum += e * e;
                n += 1.0;
                worst = worst.max(e.abs());
            }
        }
    }
    Ok(((sum / n).sqrt(), worst))
}

fn smooth(x: f64, y: f64) -> f64 {
    128.0 + 50.0 * (0.31 * x + 0.13 * y).sin() + 40.0 * (0.23 * y - 0.11 * x + 1.0).cos()
}

#[test]
fn one_interpolation_beats_a_chain_on_a_known_continuous_image() -> TestResult {
    let src_u8 = Image::<u8>::from_fn(256, 192, 1, |x, y, _| {
        smooth(x as f64, y as f64).round() as u8
    })?;
    let src_f32 = Image::<f32>::from_fn(256, 192, 1, |x, y, _| smooth(x as f64, y as f64) as f32)?;
    let pipeline = fused()?;
    let exact = |x: f64, y: f64, _: usize| smooth(x, y);
    let (fused_u8, fused_u8_max) = errors(&pipeline.apply(src_u8.view(), 0)?, &pipeline, &exact)?;
    let (chain_u8, chain_u8_max) = errors(&chained(&src_u8)?, &pipeline, &exact)?;
    let (fused_f32, fused_f32_max) =
        errors(&pipeline.apply(src_f32.view(), 0)?, &pipeline, &exact)?;
    let (chain_f32, chain_f32_max) = errors(&chained(&src_f32)?, &pipeline, &exact)?;
    println!("continuous image, 6 affine steps, error against the true function (RMS / max):");
    println!(
        "  u8:  fused {fused_u8:.3} / {fused_u8_max:.3}   chained {chain_u8:.3} / {chain_u8_max:.3}   ratio {:.2}",
        chain_u8 / fused_u8
    );
    println!(
        "  f32: fused {fused_f32:.3} / {fused_f32_max:.3}   chained {chain_f32:.3} / {chain_f32_max:.3}   ratio {:.2}",
        chain_f32 / fused_f32
    );
    assert!(
        chain_u8 > 1.5 * fused_u8,
        "u8: fused {fused_u8}, chained {chain_u8}"
    );
    assert!(
        chain_f32 > 1.5 * fused_f32,
        "f32: fused {fused_f32}, chained {chain_f32}"
    );
    Ok(())
}

#[test]
fn one_interpolation_beats_a_chain_on_a_photograph() -> TestResult {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/coffee.png");
    let src: Image<u8> = Image::try_from(image::open(path)?)?;
    let pipeline = fused()?;
    // The best a single bilinear interpolation can do: exact, in f64.
    let exact = |x: f64, y: f64, c: usize| bilinear(&src, x, y, c);
    let (fused, fused_max) = errors(&pipeline.apply(src.view(), 0)?, &pipeline, &exact)?;
    let (chain, chain_max) = errors(&chained(&src)?, &pipeline, &exact)?;
    println!("photograph, 6 affine steps, error against one exact f64 bilinear (RMS / max, LSB):");
    println!(
        "  fused {fused:.3} / {fused_max:.3}   chained {chain:.3} / {chain_max:.3}   ratio {:.1}",
        chain / fused
    );
    // One pass is the exact value correctly rounded; the chain blurs and
    // re-rounds six times.
    assert!(fused_max <= 0.501, "fused max error {fused_max}");
    assert!(chain > 4.0 * fused, "fused {fused}, chained {chain}");
    Ok(())
}
