//! Pipelines and images shared by the integration tests.
#![allow(dead_code)]

use augment::{Image, Pipeline, PipelineBuilder, ResizeMethod, Transform};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Every geometric and size transform, each alone with p = 1 and random
/// parameters, named for messages. Pixel steps that move nothing (lighting,
/// cutout) are left out; blurs are in, since they must not move content.
pub fn geometric_cases() -> Vec<(&'static str, PipelineBuilder)> {
    let b = Pipeline::builder;
    vec![
        ("flip_horizontal", b().flip_horizontal(1.0)),
        ("flip_vertical", b().flip_vertical(1.0)),
        ("dihedral", b().dihedral(1.0)),
        ("rotate", b().rotate(-40.0..=40.0, 1.0)),
        ("zoom_at", b().zoom_at(0.7..=1.5, 0.0..=1.0, 0.0..=1.0, 1.0)),
        ("translate", b().translate(-0.2..=0.2, -0.2..=0.2, 1.0)),
        ("scale", b().scale(0.7..=1.3, 0.8..=1.2, 1.0)),
        ("shear", b().shear(-20.0..=20.0, -10.0..=10.0, 1.0)),
        ("perspective", b().perspective(-0.15..=0.15, 1.0)),
        ("symmetric_warp", b().symmetric_warp(-0.2..=0.2, 1.0)),
        ("skew", b().skew(-0.3..=0.3, 1.0)),
        ("tilt", b().tilt(-0.3..=0.3, 1.0)),
        ("jitter", b().jitter(0.0..=0.5, 1.0)),
        ("elastic", b().elastic(1.0..=4.0, 24.0, 1.0)),
        ("resize squish", b().resize(64, 48)),
        ("resize shrink 4x", b().resize(24, 20)),
        (
            "perspective then shrink 3x",
            b().perspective(-0.1..=0.1, 1.0).resize(32, 27),
        ),
        (
            "elastic then shrink 3x",
            b().elastic(1.0..=4.0, 24.0, 1.0).resize(32, 27),
        ),
        ("resize crop", b().resize_with(64, 64, ResizeMethod::Crop)),
        ("resize pad", b().resize_with(64, 64, ResizeMethod::Pad)),
        (
            "resize crop random place",
            b().step(
                Transform::Resize {
                    width: 50,
                    height: 60,
                    method: ResizeMethod::Crop,
                    x: (0.0..=1.0).into(),
                    y: (0.0..=1.0).into(),
                },
                1.0,
            ),
        ),
        ("centre_crop", b().centre_crop(60, 50)),
        ("random_crop", b().random_crop(60, 50)),
        ("crop_pad", b().crop_pad(120, 40, 0.0..=1.0, 0.0..=1.0)),
        ("random_resized_crop", b().random_resized_crop(60, 60)),
        ("zoom_crop", b().zoom_crop(64, 64, 1.0..=1.5)),
        ("gaussian_blur", b().gaussian_blur(0.5..=2.0, 1.0)),
        (
            "motion_blur",
            b().motion_blur(3.0..=9.0, -180.0..=180.0, 1.0),
        ),
        ("shear_blur", b().shear_blur(3.0..=9.0, -15.0..=15.0, 1.0)),
        (
            "everything",
            b().dihedral(0.5)
                .symmetric_warp(-0.2..=0.2, 0.75)
                .rotate(-20.0..=20.0, 0.75)
                .random_zoom(1.0..=1.2, 0.75)
                .shear(-10.0..=10.0, 0.0, 0.5)
                .elastic(0.0..=3.0, 20.0, 0.5)
                .resize_with(72, 64, ResizeMethod::Crop),
        ),
    ]
}

/// A Gaussian blob of standard deviation `sigma` at `(cx, cy)` on black.
pub fn blob(width: usize, height: usize, cx: f64, cy: f64, sigma: f64) -> Image<u8> {
    Image::from_fn(width, height, 1, |x, y, _| {
        let r2 = (x as f64 - cx).powi(2) + (y as f64 - cy).powi(2);
        (255.0 * (-r2 / (2.0 * sigma * sigma)).exp()).round() as u8
    })
    .unwrap_or_else(|e| panic!("blob: {e}"))
}

/// Brightness-weighted centroid and total weight.
pub fn centroid(img: &Image<u8>) -> ((f64, f64), f64) {
    let (mut sx, mut sy, mut s) = (0.0, 0.0, 0.0);
    for y in 0..img.height() {
        for x in 0..img.width() {
            let v = f64::from(img.pixel(x, y)[0]);
            sx += v * x as f64;
            sy += v * y as f64;
            s += v;
        }
    }
    ((sx / s, sy / s), s)
}
