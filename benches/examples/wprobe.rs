#![allow(missing_docs, clippy::unwrap_used)]
use geom::{Affine, Image, Map, Padding};
use sample::{Interpolation, WarpOptions};
use std::hint::black_box;
use std::time::Instant;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let c: usize = args.get(1).map(|s| s.parse().unwrap()).unwrap_or(3);
    let pad = args.get(2).cloned().unwrap_or("border".into());
    let iters: usize = args.get(3).map(|s| s.parse().unwrap()).unwrap_or(300);
    let (w, h) = (1024usize, 768usize);
    let rgb = augment_benches::photo_rgb(w as u32, h as u32);
    let src = Image::<u8>::from_fn(w, h, c, |x, y, ch| {
        let s = rgb.as_slice();
        let i = (y * w + x) * 3;
        if c == 1 {
            ((s[i] as u32 * 77 + s[i + 1] as u32 * 150 + s[i + 2] as u32 * 29) >> 8) as u8
        } else if ch < 3 {
            s[i + ch]
        } else {
            255
        }
    })
    .unwrap();
    let mut out = Image::<u8>::new(w, h, c).unwrap();
    let centre = ((w as f64 - 1.0) / 2.0, (h as f64 - 1.0) / 2.0);
    let map = Map::Affine(
        Affine::rotate_about(17.0, centre)
            .then(&Affine::scale_about(1.1, 1.1, centre))
            .inverse()
            .unwrap(),
    );
    let padding = if pad == "border" {
        Padding::Border
    } else {
        Padding::Constant(0.0)
    };
    let opts = WarpOptions {
        interpolation: Interpolation::Bilinear,
        padding,
        values: None,
    };
    let mut best = f64::MAX;
    let mut all = Vec::new();
    for _ in 0..iters {
        let t = Instant::now();
        sample::warp_into(src.view(), out.view_mut(), &map, &opts).unwrap();
        let e = t.elapsed().as_secs_f64() * 1e9 / (w * h) as f64;
        best = best.min(e);
        all.push(e);
        black_box(&out);
    }
    all.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "C={c} {pad}: p10 {:.3} p50 {:.3} best {:.3} ns/px",
        all[all.len() / 10],
        all[all.len() / 2],
        best
    );
}
