//! Nanoseconds per output pixel of the kernels at several image sizes,
//! and of axis-aligned resizes at several steps, on the selected path
//! (`AUGMENT_FORCE_ISA` picks another).
//!
//! `cargo run --release -p augment-benches --example sizes [filter]`
//!
//! Why: the criterion benches time 1024x768 images, whose rows are whole
//! numbers of every vector width. Training pipelines blur and warp
//! 224x224 crops, and widths such as 223 leave a part-vector at the end
//! of every row, which scalar code there can make cost as much as the rest
//! of the row. A size whose figure stands well above the 1024x768 one
//! points at such a tail or at a per-call cost. The second table times
//! 224x224 outputs of a 1024x768 source scaled by each step, the maps of
//! RandomResizedCrop, whose routes depend on the step.
//!
//! Each figure is the best of 5 batches; the machine's noise is a few per
//! cent, so compare figures printed by one run, or alternate runs.

use geom::{Affine, Image, Map, Padding};
use sample::{Interpolation, WarpOptions};
use std::error::Error;
use std::hint::black_box;
use std::time::Instant;

const SIZES: [(usize, usize); 4] = [(1024, 768), (224, 224), (223, 157), (64, 64)];
const STEPS: [f64; 8] = [0.5, 1.0, 1.16, 1.34, 1.5, 1.79, 2.0, 2.5];

/// Best time per pixel of `call` over 5 batches of about 20 M pixels.
fn per_pixel(pixels: usize, mut call: impl FnMut()) -> f64 {
    let iterations = (20_000_000 / pixels).clamp(5, 20_000);
    (0..5)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iterations {
                call();
            }
            start.elapsed().as_secs_f64() * 1e9 / (iterations * pixels) as f64
        })
        .fold(f64::MAX, f64::min)
}

fn pattern<T: geom::Element>(
    w: usize,
    h: usize,
    c: usize,
    f: fn(usize) -> T,
) -> Result<Image<T>, geom::Error> {
    Image::from_fn(w, h, c, |x, y, ch| f((x * 7 + y * 13 + ch * 5) % 251))
}

fn byte(v: usize) -> u8 {
    v as u8
}

fn float(v: usize) -> f32 {
    v as f32
}

fn options(interpolation: Interpolation, padding: Padding) -> WarpOptions {
    WarpOptions {
        interpolation,
        padding,
        values: None,
    }
}

/// One table row per name, one column per size or step.
struct Table {
    header: Vec<String>,
    rows: Vec<(String, Vec<f64>)>,
}

impl Table {
    fn put(&mut self, name: &str, value: f64) {
        match self.rows.iter_mut().find(|(n, _)| n == name) {
            Some((_, values)) => values.push(value),
            None => self.rows.push((name.to_string(), vec![value])),
        }
    }

    fn print(&self) {
        let header: String = self.header.iter().map(|h| format!("{h:>10}")).collect();
        println!("{:<22}{header}", "ns/px");
        for (name, values) in &self.rows {
            let values: String = values.iter().map(|v| format!("{v:>10.3}")).collect();
            println!("{name:<22}{values}");
        }
        println!();
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let only = std::env::args().nth(1).unwrap_or_default();
    let wanted = |name: &str| name.contains(only.as_str());
    println!("path: {}\n", geom::Isa::selected().name());
    let p = Padding::Reflect101;
    let bilinear = options(Interpolation::Bilinear, Padding::Border);
    let nearest = options(Interpolation::Nearest, Padding::Zeros);
    let mut sizes = Table {
        header: SIZES.iter().map(|(w, h)| format!("{w}x{h}")).collect(),
        rows: Vec::new(),
    };
    for (w, h) in SIZES {
        let (rgb, gray, rgba) = (
            pattern(w, h, 3, byte)?,
            pattern(w, h, 1, byte)?,
            pattern(w, h, 4, byte)?,
        );
        let rgb_f32 = pattern(w, h, 3, float)?;
        let mut out3 = Image::<u8>::new(w, h, 3)?;
        let mut out1 = Image::<u8>::new(w, h, 1)?;
        let mut out4 = Image::<u8>::new(w, h, 4)?;
        let mut out_f32 = Image::<f32>::new(w, h, 3)?;
        let centre = ((w as f64 - 1.0) / 2.0, (h as f64 - 1.0) / 2.0);
        let rotate = Affine::rotate_about(17.0, centre)
            .then(&Affine::scale_about(1.1, 1.1, centre))
            .inverse()?;
        let rotate = Map::Affine(rotate);
        let mut time = |name: &str, call: &mut dyn FnMut() -> bool| {
            if wanted(name) {
                sizes.put(name, per_pixel(w * h, || _ = black_box(call())));
            }
        };
        time("gaussian u8 σ=1", &mut || {
            filter::gaussian_blur_into(rgb.view(), out3.view_mut(), 1.0, 1.0, p).is_ok()
        });
        time("gaussian u8 σ=3", &mut || {
            filter::gaussian_blur_into(rgb.view(), out3.view_mut(), 3.0, 3.0, p).is_ok()
        });
        time("gaussian f32 σ=1", &mut || {
            filter::gaussian_blur_into(rgb_f32.view(), out_f32.view_mut(), 1.0, 1.0, p).is_ok()
        });
        time("box u8 k=3", &mut || {
            filter::box_blur_into(rgb.view(), out3.view_mut(), 3, 3, p).is_ok()
        });
        time("motion u8 L=15 30°", &mut || {
            filter::motion_blur_into(rgb.view(), out3.view_mut(), 15.0, 30.0, p).is_ok()
        });
        time("warp RGB u8", &mut || {
            sample::warp_into(rgb.view(), out3.view_mut(), &rotate, &bilinear).is_ok()
        });
        time("warp gray u8", &mut || {
            sample::warp_into(gray.view(), out1.view_mut(), &rotate, &bilinear).is_ok()
        });
        time("warp RGBA u8", &mut || {
            sample::warp_into(rgba.view(), out4.view_mut(), &rotate, &bilinear).is_ok()
        });
        time("warp RGB f32", &mut || {
            sample::warp_into(rgb_f32.view(), out_f32.view_mut(), &rotate, &bilinear).is_ok()
        });
        time("nearest RGB u8", &mut || {
            sample::warp_into(rgb.view(), out3.view_mut(), &rotate, &nearest).is_ok()
        });
    }
    sizes.print();

    let mut steps = Table {
        header: STEPS.iter().map(|s| format!("step {s}")).collect(),
        rows: Vec::new(),
    };
    for (name, channels) in [("gray", 1), ("RGB", 3), ("RGBA", 4)] {
        let bytes = pattern(1024, 768, channels, byte)?;
        let floats = pattern(1024, 768, channels, float)?;
        let mut out = Image::<u8>::new(224, 224, channels)?;
        let mut out_f32 = Image::<f32>::new(224, 224, channels)?;
        for step in STEPS {
            // Off whole pixels, so that a step of 1 blends rather than copies.
            let map = Map::Affine(Affine::new(step, 0.0, 10.3, 0.0, step, 7.7));
            let mut time = |name: String, call: &mut dyn FnMut() -> bool| {
                if wanted(&name) {
                    steps.put(&name, per_pixel(224 * 224, || _ = black_box(call())));
                }
            };
            time(format!("resize {name} u8"), &mut || {
                sample::warp_into(bytes.view(), out.view_mut(), &map, &bilinear).is_ok()
            });
            time(format!("resize {name} f32"), &mut || {
                sample::warp_into(floats.view(), out_f32.view_mut(), &map, &bilinear).is_ok()
            });
            time(format!("resize {name} u8 nearest"), &mut || {
                sample::warp_into(bytes.view(), out.view_mut(), &map, &nearest).is_ok()
            });
        }
    }
    steps.print();
    Ok(())
}
