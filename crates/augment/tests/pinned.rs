//! Drawn plans and their outputs, pinned: every transform alone (random
//! parameters, p = 1) and a busy pipeline whose steps fire at random, each
//! for a few image indices, against values recorded when the transforms
//! were first split by family. The other tests compare runs with each
//! other; these catch a change in *what* is drawn (a draw moved, added or
//! dropped, a different order) and in what the sampling pass writes.
//!
//! Each line holds the output size, the value affine, where two source
//! points land (6 decimals: any change of a draw moves them far more), the
//! kind of pull map, and an FNV-1a digest of the output image's bytes
//! (exact: images are bit-identical on every instruction-set path). The
//! batch lines digest the `f32` bits of the fused tensor; they were
//! recorded again when the sampler's lerp became one fused multiply-add
//! per step (its `f32` bits moved; no `u8` output here did). On a mismatch
//! the message prints every line as computed.

use augment::{
    Image, Normalisation, Param, Pipeline, PipelineBuilder, ResizeMethod, Tensor, Transform,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn fnv(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn source() -> augment::Result<Image<u8>> {
    Ok(Image::from_fn(96, 72, 3, |x, y, c| {
        ((x * 7 + y * 3 + c * 50 + (x * y) % 13) % 256) as u8
    })?)
}

fn u(a: f64, b: f64) -> Param {
    Param::Uniform(a, b)
}

/// Every transform variant, alone, with parameters that draw.
fn cases() -> Vec<(&'static str, Transform)> {
    vec![
        ("flip_horizontal", Transform::FlipHorizontal),
        ("flip_vertical", Transform::FlipVertical),
        ("dihedral", Transform::Dihedral),
        (
            "rotate",
            Transform::Rotate {
                degrees: u(-30.0, 30.0),
            },
        ),
        (
            "zoom",
            Transform::Zoom {
                scale: u(0.8, 1.3),
                x: u(0.0, 1.0),
                y: u(0.0, 1.0),
            },
        ),
        (
            "translate",
            Transform::Translate {
                x: u(-0.2, 0.2),
                y: u(-0.1, 0.1),
            },
        ),
        (
            "scale",
            Transform::Scale {
                x: u(0.8, 1.2),
                y: Param::LogUniform(0.8, 1.25),
            },
        ),
        (
            "shear",
            Transform::Shear {
                x_degrees: u(-10.0, 10.0),
                y_degrees: u(-5.0, 5.0),
            },
        ),
        (
            "perspective",
            Transform::Perspective {
                distortion: u(-0.2, 0.2),
            },
        ),
        (
            "symmetric_warp",
            Transform::SymmetricWarp {
                magnitude: u(-0.2, 0.2),
            },
        ),
        (
            "skew",
            Transform::Skew {
                magnitude: u(0.0, 0.3),
            },
        ),
        (
            "tilt",
            Transform::Tilt {
                magnitude: u(-0.3, 0.3),
            },
        ),
        (
            "jitter",
            Transform::Jitter {
                magnitude: u(0.0, 2.0),
            },
        ),
        (
            "elastic",
            Transform::Elastic {
                magnitude: u(0.0, 4.0),
                smoothness: 16.0,
            },
        ),
        (
            "resize squish",
            Transform::Resize {
                width: 40,
                height: 30,
                method: ResizeMethod::Squish,
                x: Param::Fixed(0.5),
                y: Param::Fixed(0.5),
            },
        ),
        (
            "resize crop",
            Transform::Resize {
                width: 40,
                height: 40,
                method: ResizeMethod::Crop,
                x: u(0.0, 1.0),
                y: u(0.0, 1.0),
            },
        ),
        (
            "resize pad",
            Transform::Resize {
                width: 40,
                height: 40,
                method: ResizeMethod::Pad,
                x: u(0.0, 1.0),
                y: u(0.0, 1.0),
            },
        ),
        (
            "resize shrink 4x",
            Transform::Resize {
                width: 20,
                height: 16,
                method: ResizeMethod::Squish,
                x: Param::Fixed(0.5),
                y: Param::Fixed(0.5),
            },
        ),
        (
            "centre_crop",
            Transform::CentreCrop {
                width: 41,
                height: 30,
            },
        ),
        (
            "random_crop",
            Transform::RandomCrop {
                width: 40,
                height: 30,
            },
        ),
        (
            "random_crop larger",
            Transform::RandomCrop {
                width: 100,
                height: 80,
            },
        ),
        (
            "crop_pad",
            Transform::CropPad {
                width: 40,
                height: 90,
                x: u(0.0, 1.0),
                y: u(0.0, 1.0),
            },
        ),
        (
            "random_resized_crop",
            Transform::RandomResizedCrop {
                width: 32,
                height: 32,
                scale: u(0.08, 1.0),
                ratio: Param::LogUniform(0.75, 4.0 / 3.0),
            },
        ),
        (
            "zoom_crop",
            Transform::ZoomCrop {
                width: 32,
                height: 24,
                scale: u(1.0, 1.5),
            },
        ),
        (
            "brightness",
            Transform::Brightness {
                delta: u(-0.2, 0.2),
            },
        ),
        (
            "contrast",
            Transform::Contrast {
                factor: u(-0.2, 0.2),
            },
        ),
        (
            "mid_grey_contrast",
            Transform::MidGreyContrast {
                scale: Param::LogUniform(0.8, 1.25),
            },
        ),
        (
            "cutout",
            Transform::Cutout {
                holes: u(1.0, 3.0),
                width: u(4.0, 12.0),
                height: u(4.0, 12.0),
                fill: 0.5,
            },
        ),
        (
            "gaussian_blur",
            Transform::GaussianBlur { sigma: u(0.0, 2.0) },
        ),
        (
            "motion_blur",
            Transform::MotionBlur {
                length: u(3.0, 9.0),
                degrees: u(-90.0, 90.0),
            },
        ),
        (
            "shear_blur",
            Transform::ShearBlur {
                length: u(3.0, 7.0),
                degrees: u(-10.0, 10.0),
                vertical: false,
            },
        ),
        (
            "shear_blur vertical",
            Transform::ShearBlur {
                length: u(3.0, 7.0),
                degrees: u(-10.0, 10.0),
                vertical: true,
            },
        ),
    ]
}

/// Steps that fire at random, of every family, so draws interleave.
fn busy() -> PipelineBuilder {
    Pipeline::builder()
        .dihedral(0.5)
        .perspective(-0.1..=0.1, 0.5)
        .rotate(-30.0..=30.0, 0.75)
        .random_zoom(0.9..=1.3, 0.75)
        .jitter(0.0..=1.0, 0.3)
        .elastic(0.0..=4.0, 24.0, 0.3)
        .random_resized_crop(40, 32)
        .brightness(-0.2..=0.2, 0.75)
        .mid_grey_contrast(0.8..=1.25, 0.75)
        .cutout(0.0..=3.0, 4.0..=16.0, 4.0..=16.0, 0.5)
        .gaussian_blur(0.0..=1.5, 0.3)
        .shear_blur(3.0..=7.0, -10.0..=10.0, 0.3)
}

fn line(name: &str, pipeline: &Pipeline, src: &Image<u8>, k: u64) -> augment::Result<String> {
    let plan = pipeline.plan(src.width(), src.height(), k)?;
    let (gain, offset) = plan.value_affine();
    let point = |x, y| match plan.map_point(x, y) {
        Some((x, y)) => format!("({x:.6},{y:.6})"),
        None => "lost".to_string(),
    };
    let kind = match plan.pull_map()? {
        augment::raw::geom::Map::Affine(_) => "affine",
        augment::raw::geom::Map::Projective(_) => "projective",
        augment::raw::geom::Map::Grid(_) => "grid",
    };
    let image = pipeline.apply(src.view(), k)?;
    Ok(format!(
        "{name} #{k}: {}x{} gain {gain:.6} offset {offset:.6} {} {} {kind} {:016x}",
        plan.width(),
        plan.height(),
        point(10.0, 7.0),
        point(70.0, 50.0),
        fnv(image.as_slice().iter().copied()),
    ))
}

fn computed() -> augment::Result<Vec<String>> {
    let src = source()?;
    let mut lines = Vec::new();
    for (name, transform) in cases() {
        let pipeline = Pipeline::builder().step(transform, 1.0).seed(11).build()?;
        for k in 0..2 {
            lines.push(line(name, &pipeline, &src, k)?);
        }
    }
    let pipeline = busy().seed(5).build()?;
    for k in 0..6 {
        lines.push(line("busy", &pipeline, &src, k)?);
    }
    let small = Image::<u8>::from_fn(60, 50, 3, |x, y, c| ((x * 5 + y * 11 + c * 70) % 256) as u8)?;
    let views = [src.view(), small.view(), src.view()];
    let mut tensor = Tensor::new();
    pipeline.apply_batch(&views, 3, &Normalisation::IMAGENET, &mut tensor)?;
    for n in 0..views.len() {
        let values = tensor.image(n).unwrap_or_default();
        let bits = values.iter().flat_map(|v| v.to_bits().to_le_bytes());
        lines.push(format!("busy tensor #{}: {:016x}", n + 3, fnv(bits)));
    }
    Ok(lines)
}

const PINNED: &[&str] = &[
    "flip_horizontal #0: 96x72 gain 1.000000 offset 0.000000 (85.000000,7.000000) (25.000000,50.000000) affine 998b85e836383068",
    "flip_horizontal #1: 96x72 gain 1.000000 offset 0.000000 (85.000000,7.000000) (25.000000,50.000000) affine 998b85e836383068",
    "flip_vertical #0: 96x72 gain 1.000000 offset 0.000000 (10.000000,64.000000) (70.000000,21.000000) affine 6d38fe09718b2eee",
    "flip_vertical #1: 96x72 gain 1.000000 offset 0.000000 (10.000000,64.000000) (70.000000,21.000000) affine 6d38fe09718b2eee",
    "dihedral #0: 96x72 gain 1.000000 offset 0.000000 (10.000000,64.000000) (70.000000,21.000000) affine 6d38fe09718b2eee",
    "dihedral #1: 72x96 gain 1.000000 offset 0.000000 (64.000000,85.000000) (21.000000,25.000000) affine 10fb418e440fbae0",
    "rotate #0: 96x72 gain 1.000000 offset 0.000000 (14.683525,1.712740) (67.578687,53.201591) affine bfc0c344cdf936aa",
    "rotate #1: 96x72 gain 1.000000 offset 0.000000 (10.428787,6.444447) (69.781466,50.333620) affine bc4b5bae92ae9ba7",
    "zoom #0: 96x72 gain 1.000000 offset 0.000000 (9.960434,7.454272) (68.660322,49.522525) affine 993e08e31070ae98",
    "zoom #1: 96x72 gain 1.000000 offset 0.000000 (8.888220,5.583406) (71.461377,50.427501) affine 0c634ae1301390e8",
    "translate #0: 96x72 gain 1.000000 offset 0.000000 (4.495857,1.101107) (64.495857,44.101107) affine 011ee42f946fe4ba",
    "translate #1: 96x72 gain 1.000000 offset 0.000000 (9.453640,5.263616) (69.453640,48.263616) affine de7b0edcf70c4a6d",
    "scale #0: 96x72 gain 1.000000 offset 0.000000 (12.150056,11.761822) (68.709966,47.577319) affine b3665717b828eb7b",
    "scale #1: 96x72 gain 1.000000 offset 0.000000 (10.213422,8.493170) (69.871947,49.240317) affine 3df42f54a2d8e8cf",
    "shear #0: 96x72 gain 1.000000 offset 0.000000 (11.427162,9.685700) (69.273900,48.388580) affine d4d5c43f527312ee",
    "shear #1: 96x72 gain 1.000000 offset 0.000000 (10.141548,7.789325) (69.927984,49.526405) affine 35d7ccc49c4c510f",
    "perspective #0: 96x72 gain 1.000000 offset 0.000000 (8.917396,3.105235) (68.745777,49.964179) projective 55445a8602526f3f",
    "perspective #1: 96x72 gain 1.000000 offset 0.000000 (9.811213,5.747025) (72.168262,52.940578) projective 87b3a63e4e251280",
    "symmetric_warp #0: 96x72 gain 1.000000 offset 0.000000 (8.346390,11.728900) (67.238504,49.616405) projective 2117881307a4d110",
    "symmetric_warp #1: 96x72 gain 1.000000 offset 0.000000 (5.909895,8.740679) (70.225575,50.866316) projective badeef19841c22a6",
    "skew #0: 96x72 gain 1.000000 offset 0.000000 (8.875277,6.151525) (67.557103,47.940303) projective 20fdf7f8c4d57d15",
    "skew #1: 96x72 gain 1.000000 offset 0.000000 (9.268798,7.064141) (68.460531,53.048753) projective a46b5ea1a18621a1",
    "tilt #0: 96x72 gain 1.000000 offset 0.000000 (12.448743,0.353413) (74.213970,50.866703) projective 8e74b3fda01810ca",
    "tilt #1: 96x72 gain 1.000000 offset 0.000000 (8.789411,7.242118) (70.237017,50.531971) projective 9b0ff95abffd3b13",
    "jitter #0: 96x72 gain 1.000000 offset 0.000000 (10.000000,7.000000) (70.000000,50.000000) grid 57adae891d0f21d1",
    "jitter #1: 96x72 gain 1.000000 offset 0.000000 (10.000000,7.000000) (70.000000,50.000000) grid 7da1d1bd7c6e70a3",
    "elastic #0: 96x72 gain 1.000000 offset 0.000000 (10.303544,7.849056) (70.647555,49.624569) grid 0358a2664fff7013",
    "elastic #1: 96x72 gain 1.000000 offset 0.000000 (10.900589,6.661613) (70.149714,49.525571) grid e3ab4b75ed83ef9a",
    "resize squish #0: 40x30 gain 1.000000 offset 0.000000 (3.875000,2.625000) (28.875000,20.541667) affine 811878f227f23ca8",
    "resize squish #1: 40x30 gain 1.000000 offset 0.000000 (3.875000,2.625000) (28.875000,20.541667) affine 811878f227f23ca8",
    "resize crop #0: 40x40 gain 1.000000 offset 0.000000 (0.577828,3.666667) (33.911161,27.555556) affine 3bfcbc6770ea455a",
    "resize crop #1: 40x40 gain 1.000000 offset 0.000000 (-1.143625,3.666667) (32.189708,27.555556) affine 4dc10001703c6367",
    "resize pad #0: 40x40 gain 1.000000 offset 0.000000 (3.875000,3.528547) (28.875000,21.445213) affine d138fe875b72f31e",
    "resize pad #1: 40x40 gain 1.000000 offset 0.000000 (3.875000,6.419178) (28.875000,24.335845) affine a8f1972ef3408b99",
    "resize shrink 4x #0: 20x16 gain 1.000000 offset 0.000000 (1.687500,1.166667) (14.187500,10.722222) affine 376243027dc9cb4f",
    "resize shrink 4x #1: 20x16 gain 1.000000 offset 0.000000 (1.687500,1.166667) (14.187500,10.722222) affine 376243027dc9cb4f",
    "centre_crop #0: 41x30 gain 1.000000 offset 0.000000 (-18.000000,-14.000000) (42.000000,29.000000) affine 4067eff50a724b93",
    "centre_crop #1: 41x30 gain 1.000000 offset 0.000000 (-18.000000,-14.000000) (42.000000,29.000000) affine 4067eff50a724b93",
    "random_crop #0: 40x30 gain 1.000000 offset 0.000000 (-10.000000,4.000000) (50.000000,47.000000) affine 6284973209823417",
    "random_crop #1: 40x30 gain 1.000000 offset 0.000000 (-17.000000,-9.000000) (43.000000,34.000000) affine 8d0d878a660d3605",
    "random_crop larger #0: 100x80 gain 1.000000 offset 0.000000 (13.000000,15.000000) (73.000000,58.000000) affine 48d3f0122329c962",
    "random_crop larger #1: 100x80 gain 1.000000 offset 0.000000 (12.000000,12.000000) (72.000000,55.000000) affine 063b09dcdd2e8c72",
    "crop_pad #0: 40x90 gain 1.000000 offset 0.000000 (-10.000000,8.000000) (50.000000,51.000000) affine 7e636c023f1a5d12",
    "crop_pad #1: 40x90 gain 1.000000 offset 0.000000 (-17.000000,14.000000) (43.000000,57.000000) affine 1092c0c7a4eef423",
    "random_resized_crop #0: 32x32 gain 1.000000 offset 0.000000 (-6.287234,0.300000) (34.563830,23.233333) affine 9ac66a62962ce208",
    "random_resized_crop #1: 32x32 gain 1.000000 offset 0.000000 (-6.293103,2.338710) (26.810345,24.532258) affine 79929d6fc239fe61",
    "zoom_crop #0: 32x24 gain 1.000000 offset 0.000000 (3.108542,0.753784) (26.675171,17.643202) affine 2a0b465cf97d158b",
    "zoom_crop #1: 32x24 gain 1.000000 offset 0.000000 (0.901133,-0.674309) (25.758852,17.140389) affine a32711d3f364dec3",
    "brightness #0: 96x72 gain 1.000000 offset -0.057335 (10.000000,7.000000) (70.000000,50.000000) affine 670aa2942984d5e7",
    "brightness #1: 96x72 gain 1.000000 offset -0.005691 (10.000000,7.000000) (70.000000,50.000000) affine 8ab9c73f882f700f",
    "contrast #0: 96x72 gain 0.942665 offset 0.000000 (10.000000,7.000000) (70.000000,50.000000) affine cc4ae638ccbad5f0",
    "contrast #1: 96x72 gain 0.994309 offset 0.000000 (10.000000,7.000000) (70.000000,50.000000) affine d2c058cbd12a93e4",
    "mid_grey_contrast #0: 96x72 gain 0.938034 offset 0.030983 (10.000000,7.000000) (70.000000,50.000000) affine 82b1c0f3befaf2c2",
    "mid_grey_contrast #1: 96x72 gain 0.993670 offset 0.003165 (10.000000,7.000000) (70.000000,50.000000) affine a2a60147de1acd9f",
    "cutout #0: 96x72 gain 1.000000 offset 0.000000 (10.000000,7.000000) (70.000000,50.000000) affine f2e8f68d96eed8e1",
    "cutout #1: 96x72 gain 1.000000 offset 0.000000 (10.000000,7.000000) (70.000000,50.000000) affine ae2fee2f6ea1e8c4",
    "gaussian_blur #0: 96x72 gain 1.000000 offset 0.000000 (10.000000,7.000000) (70.000000,50.000000) affine 2109379c1fed5431",
    "gaussian_blur #1: 96x72 gain 1.000000 offset 0.000000 (10.000000,7.000000) (70.000000,50.000000) affine 9ff933c29625e560",
    "motion_blur #0: 96x72 gain 1.000000 offset 0.000000 (10.000000,7.000000) (70.000000,50.000000) affine 3b76d95f80adbeb9",
    "motion_blur #1: 96x72 gain 1.000000 offset 0.000000 (10.000000,7.000000) (70.000000,50.000000) affine abc3088c451cf2b4",
    "shear_blur #0: 96x72 gain 1.000000 offset 0.000000 (14.103311,7.000000) (67.912350,50.000000) affine a7493c03320579b6",
    "shear_blur #1: 96x72 gain 1.000000 offset 0.000000 (11.200306,7.000000) (69.389318,50.000000) affine 6d6cab78b764fbf7",
    "shear_blur vertical #0: 96x72 gain 1.000000 offset 0.000000 (10.000000,12.399094) (70.000000,46.760544) affine b83e6097cec3b2a5",
    "shear_blur vertical #1: 96x72 gain 1.000000 offset 0.000000 (10.000000,8.579350) (70.000000,49.052390) affine 08ab1f7cc33c1f49",
    "busy #0: 40x32 gain 1.000000 offset -0.068421 (1.634899,26.382511) (38.947718,8.823604) grid e217ee4e196e91ea",
    "busy #1: 40x32 gain 0.945558 offset 0.120052 (77.205565,-14.667030) (23.112431,33.061911) grid 395698782a16cb6d",
    "busy #2: 40x32 gain 0.961036 offset 0.019482 (-10.208439,-3.073211) (24.741743,31.623549) affine f365511ccbfd253b",
    "busy #3: 40x32 gain 0.920383 offset 0.078950 (-18.941992,5.730588) (29.417180,25.801045) grid 84b2edff2f22eecf",
    "busy #4: 40x32 gain 1.000000 offset 0.029476 (-10.063266,-1.013847) (26.877965,22.657514) grid 4c26c2a23eab743f",
    "busy #5: 40x32 gain 1.000000 offset -0.162885 (-15.793207,37.799414) (29.008643,15.526497) grid ac2ed4981fffc8a4",
    "busy tensor #3: 4d2000d6e09a2ab1",
    "busy tensor #4: abbb8dcdac00552d",
    "busy tensor #5: f16be37383c45525",
];

#[test]
fn drawn_plans_and_outputs_are_pinned() -> TestResult {
    let lines = computed()?;
    assert!(
        lines.iter().map(String::as_str).eq(PINNED.iter().copied()),
        "drawn plans or outputs changed; computed:\n{}",
        lines
            .iter()
            .map(|l| format!("    {l:?},"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    Ok(())
}
