//! How far each Gaussian `u8` result lands from the exact value: ours and
//! `libblur`'s exact mode (`ConvolutionMode::Exact`), on the benches'
//! photo, with `libblur`'s own kernel on both sides.
//!
//! `cargo run --release -p augment-benches --example rounding`
//!
//! Why: the filter benches time ours against `libblur`'s exact mode, and
//! the two do not compute the same thing. `libblur` rounds the horizontal
//! pass to `u8` before the vertical pass (its intermediate image has the
//! source's type), so its output is rounded twice; ours keeps the
//! horizontal sums in `f32` and rounds once, within 0.501 LSB of the exact
//! value (ARCHITECTURE.md, "Exactness"). This prints, per σ, the largest
//! error against an `f64` convolution with the same weights and how many
//! outputs are not the exact value correctly rounded, so a reader of a
//! speed ratio can see what each side delivers. It prints the whole image
//! and its interior (a radius away from every edge) apart: double rounding
//! shows everywhere, but the largest errors come from edges that `libblur`
//! does not extend as `Reflect101` asks (in `libblur` 0.24 they sit in the
//! first row and the last column).

use augment_benches::{PADDING, peers, photo_rgb};
use geom::{Image, ImageView, Padding};
use libblur::ConvolutionMode;

const W: u32 = 1024;
const H: u32 = 768;

fn main() {
    let src = photo_rgb(W, H);
    println!("Gaussian RGB u8 {W}x{H}, {PADDING:?} edges, libblur's kernel on both sides");
    println!(
        "| σ | taps | pixels | ours: max error (LSB), not correctly rounded | libblur exact: max error, not correctly rounded, off by ≥ 1 |"
    );
    println!("| --- | --- | --- | --- | --- |");
    for sigma in [1.0f32, 3.0, 10.0, 30.0] {
        let taps = 2 * filter::default_radius(sigma) + 1;
        let kernel = libblur::gaussian_kernel_1d(taps as u32, sigma);
        let exact = exact_separable(&src.view(), &kernel);

        let mut ours = blank();
        let convolved =
            filter::separable_convolve_into(src.view(), ours.view_mut(), &kernel, &kernel, PADDING);
        if let Err(e) = convolved {
            eprintln!("ours failed at σ = {sigma}: {e}");
            std::process::exit(1);
        }
        let mut theirs = vec![0u8; src.as_slice().len()];
        peers::gaussian_u8(
            src.as_slice(),
            &mut theirs,
            (W, H),
            sigma,
            ConvolutionMode::Exact,
        );

        let interior = |i: usize| {
            let (x, y) = ((i / 3) % W as usize, (i / 3) / W as usize);
            let r = taps / 2;
            (r..W as usize - r).contains(&x) && (r..H as usize - r).contains(&y)
        };
        for (region, within) in [
            ("all", &(|_| true) as &dyn Fn(usize) -> bool),
            ("interior", &interior),
        ] {
            let ours = errors(ours.as_slice(), &exact, within);
            let theirs = errors(&theirs, &exact, within);
            println!(
                "| {sigma} | {taps} | {region} | {:.3}, {:.2} % | {:.3}, {:.2} %, {:.2} % |",
                ours.max,
                ours.share(ours.wrong),
                theirs.max,
                theirs.share(theirs.wrong),
                theirs.share(theirs.off),
            );
        }
    }
}

fn blank() -> Image<u8> {
    match Image::new(W as usize, H as usize, 3) {
        Ok(img) => img,
        Err(_) => std::process::abort(),
    }
}

/// The errors of one output against the exact values.
struct Errors {
    /// Largest `|got - exact|`, in LSB.
    max: f64,
    /// Values farther than 0.501 from the exact one: not correctly rounded,
    /// with room for `f32` noise at a tie.
    wrong: usize,
    /// Values 1 or more away.
    off: usize,
    /// Values counted.
    count: usize,
}

impl Errors {
    fn share(&self, n: usize) -> f64 {
        100.0 * n as f64 / self.count as f64
    }
}

/// The errors of the values whose index `within` accepts.
fn errors(got: &[u8], exact: &[f64], within: &dyn Fn(usize) -> bool) -> Errors {
    let mut e = Errors {
        max: 0.0,
        wrong: 0,
        off: 0,
        count: 0,
    };
    let values = got
        .iter()
        .zip(exact)
        .enumerate()
        .filter(|&(i, _)| within(i));
    for (_, (&g, &x)) in values {
        let err = (f64::from(g) - x).abs();
        e.max = e.max.max(err);
        e.wrong += usize::from(err > 0.501);
        e.off += usize::from(err >= 1.0);
        e.count += 1;
    }
    e
}

// `exact_separable` pads as `Reflect101` only.
const _: () = assert!(matches!(PADDING, Padding::Reflect101));

/// The separable convolution in `f64` (rows, then columns) with
/// `Reflect101` edges, clamped to the `u8` range and not rounded: the value
/// a correctly rounded result rounds.
fn exact_separable(src: &ImageView<'_, u8>, kernel: &[f32]) -> Vec<f64> {
    let (w, h, c) = (src.width(), src.height(), src.channels());
    let r = kernel.len() / 2;
    let weights: Vec<f64> = kernel.iter().map(|&k| f64::from(k)).collect();
    let index = |i: usize, n: usize| reflect101(i as isize - r as isize, n);
    let mut rows = vec![0.0f64; w * h * c];
    for y in 0..h {
        let row = src.row(y);
        for x in 0..w {
            for ch in 0..c {
                rows[(y * w + x) * c + ch] = weights
                    .iter()
                    .enumerate()
                    .map(|(t, k)| k * f64::from(row[index(x + t, w) * c + ch]))
                    .sum();
            }
        }
    }
    let mut out = vec![0.0f64; w * h * c];
    for y in 0..h {
        for x in 0..w * c {
            let sum: f64 = weights
                .iter()
                .enumerate()
                .map(|(t, k)| k * rows[index(y + t, h) * w * c + x])
                .sum();
            out[y * w * c + x] = sum.clamp(0.0, 255.0);
        }
    }
    out
}

/// `Reflect101`'s index for `i` in a line of `n` (`dcb|abcd`), for the
/// radii here (below `n`).
fn reflect101(i: isize, n: usize) -> usize {
    let n = n as isize;
    let i = if i < 0 { -i } else { i };
    (if i >= n { 2 * (n - 1) - i } else { i }) as usize
}
