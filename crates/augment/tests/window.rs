//! Sampling from a window of the source (`Pipeline::read_window`,
//! `apply_plan_window_into`, `apply_tensor_window`) against the whole
//! image: the same output within the bound `read_window` states, windows
//! that are smaller than the image where a crop allows, and typed errors
//! for windows that lack pixels.

mod common;

use augment::{
    Error, Image, ImageView, Interpolation, Normalisation, Padding, Pipeline, PipelineBuilder,
    Window,
};
use common::TestResult;

fn photo() -> Result<Image<u8>, Box<dyn std::error::Error>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/coffee.png");
    Ok(Image::try_from(image::open(path)?)?)
}

fn as_f32(src: &Image<u8>) -> Result<Image<f32>, Box<dyn std::error::Error>> {
    Ok(Image::from_fn(
        src.width(),
        src.height(),
        src.channels(),
        |x, y, c| f32::from(src.view().pixel(x, y)[c]) / 255.0,
    )?)
}

const PADDINGS: [Padding; 6] = [
    Padding::Constant(0.25),
    Padding::Zeros,
    Padding::Border,
    Padding::Reflect,
    Padding::Reflect101,
    Padding::Wrap,
];

/// The pipelines compared, named for messages.
fn cases() -> Vec<(String, Pipeline)> {
    let b = Pipeline::builder;
    let mut cases: Vec<(String, PipelineBuilder)> = vec![
        ("fastai_default".into(), Pipeline::fastai_default(224, 224)),
        (
            "fastai_validation".into(),
            Pipeline::fastai_validation(224, 224),
        ),
        ("rrc 224".into(), b().random_resized_crop(224, 224)),
        ("rrc 64".into(), b().random_resized_crop(64, 64)),
        (
            "rrc 224 nearest".into(),
            b().random_resized_crop(224, 224)
                .interpolation(Interpolation::Nearest),
        ),
        (
            "rrc 96 no antialias".into(),
            b().random_resized_crop(96, 96).antialias(false),
        ),
    ];
    for padding in PADDINGS {
        let p = |builder: PipelineBuilder| builder.padding(padding);
        cases.extend([
            (
                format!("rotate zoom crop {padding:?}"),
                p(b()
                    .rotate(-30.0..=30.0, 1.0)
                    .zoom(1.0..=3.0, 1.0)
                    .random_resized_crop(128, 128)),
            ),
            (
                format!("rotate shrink {padding:?}"),
                p(b().rotate(-30.0..=30.0, 1.0).random_resized_crop(48, 48)),
            ),
            (
                format!("perspective crop {padding:?}"),
                p(b()
                    .perspective(-0.2..=0.2, 1.0)
                    .random_resized_crop(100, 80)),
            ),
            (
                format!("translate zoom {padding:?}"),
                p(b()
                    .zoom(1.0..=2.5, 1.0)
                    .translate(-0.3..=0.3, -0.3..=0.3, 1.0)
                    .resize(120, 90)),
            ),
            (
                format!("elastic crop {padding:?}"),
                p(b().elastic(1.0..=4.0, 24.0, 1.0).random_crop(150, 100)),
            ),
            (
                format!("crop pad blur {padding:?}"),
                p(b()
                    .crop_pad(300, 200, 0.0..=1.0, 0.0..=1.0)
                    .gaussian_blur(0.5..=1.5, 0.5)
                    .brightness(-0.2..=0.2, 0.5)),
            ),
        ]);
    }
    cases
        .into_iter()
        .enumerate()
        .map(|(i, (name, builder))| Ok((name, builder.seed(11 + i as u64).build()?)))
        .collect::<Result<_, Error>>()
        .unwrap_or_else(|e| panic!("building the cases: {e}"))
}

fn crop<'a, T: augment::Element>(
    src: &'a Image<T>,
    w: Window,
) -> Result<ImageView<'a, T>, augment::Error> {
    Ok(src.view().crop(w.x, w.y, w.width, w.height)?)
}

/// Differences between two outputs: how many values differ, and by at most how much.
#[derive(Default, Debug)]
struct Diff {
    values: usize,
    differ: usize,
    max: f64,
}

impl Diff {
    fn add(&mut self, a: impl Iterator<Item = f64>, b: impl Iterator<Item = f64>) {
        for (x, y) in a.zip(b) {
            self.values += 1;
            if x.to_bits() != y.to_bits() {
                self.differ += 1;
                self.max = self.max.max((x - y).abs());
            }
        }
    }
}

/// Every case, many plans: the window call equals the whole-image call
/// within the stated bound (u8: 1; f32 images and tensors: 1e-5 of the
/// value range), and differs on very few values.
#[test]
fn window_calls_match_the_whole_image() -> TestResult {
    let src = photo()?;
    let src_f = as_f32(&src)?;
    let norm = Normalisation::IMAGENET;
    let (w, h) = (src.width(), src.height());
    let (mut d8, mut df, mut dt) = (Diff::default(), Diff::default(), Diff::default());
    let mut smaller = 0;
    let mut plans = 0;
    for (name, pipeline) in cases() {
        for k in 0..12u64 {
            let plan = pipeline.plan(w, h, k)?;
            let window = pipeline.read_window(&plan);
            assert!(
                Window::whole(w, h).contains(&window),
                "{name} {k}: {window:?}"
            );
            plans += 1;
            smaller += usize::from(window.area() < w * h);

            let full = pipeline.apply_plan(src.view(), &plan)?;
            let mut out = Image::<u8>::new(plan.width(), plan.height(), 3)?;
            pipeline.apply_plan_window_into(
                crop(&src, window)?,
                (window.x, window.y),
                &plan,
                out.view_mut(),
            )?;
            let before = d8.differ;
            d8.add(
                full.as_slice().iter().map(|&v| f64::from(v)),
                out.as_slice().iter().map(|&v| f64::from(v)),
            );
            assert!(d8.max <= 1.0, "{name} {k}: u8 off by {}", d8.max);
            if d8.differ > before {
                eprintln!("{name} {k}: {} u8 values differ", d8.differ - before);
            }

            let full_f = pipeline.apply_plan(src_f.view(), &plan)?;
            let mut out_f = Image::<f32>::new(plan.width(), plan.height(), 3)?;
            pipeline.apply_plan_window_into(
                crop(&src_f, window)?,
                (window.x, window.y),
                &plan,
                out_f.view_mut(),
            )?;
            df.add(
                full_f.as_slice().iter().map(|&v| f64::from(v)),
                out_f.as_slice().iter().map(|&v| f64::from(v)),
            );
            assert!(df.max <= 1e-5, "{name} {k}: f32 off by {}", df.max);

            let len = 3 * plan.width() * plan.height();
            let (mut t_full, mut t_win) = (vec![0.0; len], vec![0.0; len]);
            pipeline.apply_tensor(src.view(), k, &norm, &mut t_full)?;
            pipeline.apply_tensor_window(
                crop(&src, window)?,
                (window.x, window.y),
                &plan,
                &norm,
                &mut t_win,
            )?;
            dt.add(
                t_full.iter().map(|&v| f64::from(v)),
                t_win.iter().map(|&v| f64::from(v)),
            );
            // 1e-5 of the range 0..1, normalised (std 0.225).
            assert!(
                dt.max <= 1e-5 / 0.225,
                "{name} {k}: tensor off by {}",
                dt.max
            );
        }
    }
    eprintln!("u8 {d8:?}\nf32 {df:?}\ntensor {dt:?}\n{smaller} of {plans} windows smaller");
    for d in [&d8, &df, &dt] {
        assert!(d.differ * 10_000 <= d.values, "{d:?}");
    }
    assert!(smaller * 2 > plans, "{smaller} of {plans}");
    Ok(())
}

/// A window larger than needed, at any origin, gives what the exact
/// window gives: the call cuts it down to `read_window`.
#[test]
fn larger_windows_give_the_same_output() -> TestResult {
    let src = photo()?;
    let (w, h) = (src.width(), src.height());
    for (name, pipeline) in cases() {
        for k in 0..4u64 {
            let plan = pipeline.plan(w, h, k)?;
            let needed = pipeline.read_window(&plan);
            let grown = Window {
                x: needed.x.saturating_sub(7 + k as usize),
                y: needed.y.saturating_sub(3),
                width: 0,
                height: 0,
            };
            let grown = Window {
                width: (needed.x + needed.width + 5).min(w) - grown.x,
                height: (needed.y + needed.height + 1 + k as usize).min(h) - grown.y,
                ..grown
            };
            let run = |win: Window| -> Result<Image<u8>, augment::Error> {
                let mut out = Image::<u8>::new(plan.width(), plan.height(), 3)?;
                pipeline.apply_plan_window_into(
                    crop(&src, win)?,
                    (win.x, win.y),
                    &plan,
                    out.view_mut(),
                )?;
                Ok(out)
            };
            assert!(run(grown)? == run(needed)?, "{name} {k}");
        }
    }
    Ok(())
}

/// A window whose origin is (0, 0) moves nothing: bit for bit the whole
/// image's output.
#[test]
fn windows_at_the_origin_are_exact() -> TestResult {
    let src = photo()?;
    let (w, h) = (src.width(), src.height());
    let pipeline = Pipeline::builder()
        .rotate(-20.0..=20.0, 1.0)
        .resize(90, 60)
        .seed(3)
        .build()?;
    for k in 0..16 {
        let plan = pipeline.plan(w, h, k)?;
        let needed = pipeline.read_window(&plan);
        let win = Window::whole(needed.x + needed.width, needed.y + needed.height);
        let mut out = Image::<u8>::new(90, 60, 3)?;
        pipeline.apply_plan_window_into(crop(&src, win)?, (0, 0), &plan, out.view_mut())?;
        assert!(out == pipeline.apply_plan(src.view(), &plan)?, "{k}");
    }
    Ok(())
}

/// RandomResizedCrop reads much less than the image: the feature is not vacuous.
#[test]
fn crops_read_a_part_of_the_image() -> TestResult {
    let pipeline = Pipeline::builder()
        .random_resized_crop(224, 224)
        .seed(9)
        .build()?;
    let (w, h) = (500, 375);
    let n = 1000;
    let (mut smaller, mut fraction) = (0, 0.0);
    for k in 0..n {
        let plan = pipeline.plan(w, h, k)?;
        let window = pipeline.read_window(&plan);
        smaller += usize::from(window.area() < w * h);
        fraction += window.area() as f64 / (w * h) as f64;
    }
    let mean = fraction / n as f64;
    eprintln!("rrc 224 on 500x375: {smaller} of {n} smaller, mean area {mean:.3}");
    assert!(smaller as f64 > 0.9 * n as f64, "{smaller}");
    assert!(mean < 0.75, "{mean}");
    Ok(())
}

/// A window missing one needed column or row, or lying outside the image,
/// is refused with a typed error.
#[test]
fn short_windows_are_refused() -> TestResult {
    let src = photo()?;
    let (w, h) = (src.width(), src.height());
    let pipeline = Pipeline::builder()
        .random_resized_crop(64, 64)
        .seed(2)
        .build()?;
    let norm = Normalisation::IMAGENET;
    let mut refused = 0;
    for k in 0..20 {
        let plan = pipeline.plan(w, h, k)?;
        let needed = pipeline.read_window(&plan);
        let mut shorter = Vec::new();
        if needed.width > 1 {
            shorter.push(Window {
                width: needed.width - 1,
                ..needed
            });
            shorter.push(Window {
                x: needed.x + 1,
                width: needed.width - 1,
                ..needed
            });
        }
        if needed.height > 1 {
            shorter.push(Window {
                height: needed.height - 1,
                ..needed
            });
        }
        for win in shorter {
            let mut out = Image::<u8>::new(64, 64, 3)?;
            let e = pipeline.apply_plan_window_into(
                crop(&src, win)?,
                (win.x, win.y),
                &plan,
                out.view_mut(),
            );
            assert!(matches!(e, Err(Error::WindowTooSmall { .. })), "{k}: {e:?}");
            let mut t = vec![0.0; 3 * 64 * 64];
            let e = pipeline.apply_tensor_window(
                crop(&src, win)?,
                (win.x, win.y),
                &plan,
                &norm,
                &mut t,
            );
            assert!(matches!(e, Err(Error::WindowTooSmall { .. })), "{k}: {e:?}");
            refused += 1;
        }
        // The needed window placed one pixel off the image's edge.
        let mut out = Image::<u8>::new(64, 64, 3)?;
        let e = pipeline.apply_plan_window_into(
            crop(&src, needed)?,
            (w - needed.width + 1, needed.y),
            &plan,
            out.view_mut(),
        );
        assert!(matches!(e, Err(Error::WindowOutside { .. })), "{k}: {e:?}");
    }
    assert!(refused > 20);
    Ok(())
}

/// Small sources and outputs: crop sides and output sizes are small
/// integers, so many area-level footprint ends fall exactly on ties of
/// their 1/16-pixel grid, and moved positions would round them the other
/// way (the reason area axes take the whole side). Every output the same.
#[test]
fn small_sources_with_exact_ties_match() -> TestResult {
    let src = Image::<u8>::from_fn(103, 87, 3, |x, y, c| {
        ((x * 7 + y * 13 + c * 50) % 251) as u8
    })?;
    let norm = Normalisation::IMAGENET;
    let pipelines = [
        Pipeline::builder()
            .random_resized_crop(24, 24)
            .flip_horizontal(0.5)
            .brightness(-0.2..=0.2, 0.5)
            .seed(5)
            .build()?,
        Pipeline::builder()
            .rotate(-20.0..=20.0, 0.5)
            .random_resized_crop(16, 12)
            .seed(6)
            .build()?,
    ];
    for pipeline in pipelines {
        for k in 0..300u64 {
            let plan = pipeline.plan(103, 87, k)?;
            let win = pipeline.read_window(&plan);
            let len = 3 * plan.width() * plan.height();
            let (mut a, mut b) = (vec![0.0; len], vec![0.0; len]);
            pipeline.apply_tensor(src.view(), k, &norm, &mut a)?;
            pipeline.apply_tensor_window(crop(&src, win)?, (win.x, win.y), &plan, &norm, &mut b)?;
            assert!(a == b, "{k}: {win:?} {plan:?}");
            let full = pipeline.apply_plan(src.view(), &plan)?;
            let mut out = Image::<u8>::new(plan.width(), plan.height(), 3)?;
            pipeline.apply_plan_window_into(
                crop(&src, win)?,
                (win.x, win.y),
                &plan,
                out.view_mut(),
            )?;
            assert!(full == out, "{k}: {win:?}");
        }
    }
    Ok(())
}
