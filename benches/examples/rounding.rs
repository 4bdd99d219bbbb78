//! How far each `u8` result of the filters we time against `libblur` lands
//! from the exact value, ours and `libblur`'s, on the benches' photo, with
//! `libblur`'s own kernel on both sides: the Gaussian in its exact mode
//! (`ConvolutionMode::Exact`), the motion blur and the box blur.
//!
//! `cargo run --release -p augment-benches --example rounding`
//!
//! Why: the filter benches time ours against those calls, and the two
//! sides do not compute the same thing. Ours rounds once, within 0.501 LSB
//! of the exact value (ARCHITECTURE.md, "Exactness"). `libblur` 0.24:
//!
//! - its exact Gaussian rounds the horizontal pass to `u8` before the
//!   vertical pass (its intermediate image has the source's type), so its
//!   output is rounded twice;
//! - its motion blur goes through `filter_2d`, which on AVX2 turns the
//!   weights into `i16` fixed point;
//! - its box blur's means are not all correctly rounded either (this
//!   example measures how many, not why).
//!
//! This prints, per filter, the largest error against an `f64` convolution
//! with the same weights and how many outputs are not the exact value
//! correctly rounded, so a reader of a speed ratio can see what each side
//! delivers. The whole image and its interior (a radius away from every
//! edge) are apart: rounding shows everywhere, but the Gaussian's largest
//! errors come from edges that `libblur` does not extend as `Reflect101`
//! asks (they sit in the first row and the last column).

use augment_benches::{PADDING, peers, photo_rgb};
use geom::{Image, ImageView, Padding};
use libblur::ConvolutionMode;

const W: u32 = 1024;
const H: u32 = 768;

fn main() {
    let src = photo_rgb(W, H);
    println!("RGB u8 {W}x{H}, {PADDING:?} edges, libblur's kernel on both sides");
    println!(
        "| filter | pixels | ours: max error (LSB), not correctly rounded | libblur: max error, not correctly rounded, off by ≥ 1 |"
    );
    println!("| --- | --- | --- | --- |");
    for sigma in [1.0f32, 3.0, 10.0, 30.0] {
        let taps = 2 * filter::default_radius(sigma) + 1;
        let kernel = libblur::gaussian_kernel_1d(taps as u32, sigma);
        let exact = exact_separable(&src.view(), &kernel);
        let mut ours = blank();
        let convolved =
            filter::separable_convolve_into(src.view(), ours.view_mut(), &kernel, &kernel, PADDING);
        let mut theirs = vec![0u8; src.as_slice().len()];
        peers::gaussian_u8(
            src.as_slice(),
            &mut theirs,
            (W, H),
            sigma,
            ConvolutionMode::Exact,
        );
        let filter = format!("Gaussian σ = {sigma} ({taps} taps), libblur exact mode");
        report(&filter, convolved.map(|()| ours), &theirs, &exact, taps / 2);
    }
    // `libblur::motion_blur` convolves its Bresenham line through
    // `filter_2d`, which on AVX2 takes `i16` fixed-point weights.
    let line = libblur::generate_motion_kernel(15, 30.0);
    let mut ours = blank();
    let convolved = filter::Kernel2d::from_dense(15, 15, &line)
        .and_then(|kernel| filter::convolve_2d_into(src.view(), ours.view_mut(), &kernel, PADDING));
    let mut theirs = vec![0u8; src.as_slice().len()];
    peers::motion_u8(src.as_slice(), &mut theirs, (W, H), 15, 30.0);
    let weights: Vec<f64> = line.iter().map(|&w| f64::from(w)).collect();
    let exact = exact_dense(&src.view(), &weights, 15);
    let filter = "motion L = 15 at 30° (libblur's line, 15 taps)";
    report(filter, convolved.map(|()| ours), &theirs, &exact, 7);
    // The box's exact value is the window's mean. `libblur::box_blur`
    // takes no edge rule, so only the interior compares.
    for k in [3usize, 15] {
        let mut ours = blank();
        let convolved = filter::box_blur_into(src.view(), ours.view_mut(), k, k, PADDING);
        let mut theirs = vec![0u8; src.as_slice().len()];
        peers::box_u8(src.as_slice(), &mut theirs, (W, H), k as u32);
        let mean = vec![1.0 / (k * k) as f64; k * k];
        let exact = exact_dense(&src.view(), &mean, k);
        let filter = format!("box k = {k}");
        report(&filter, convolved.map(|()| ours), &theirs, &exact, k / 2);
    }
}

/// Prints the rows of one filter: the whole image, then its interior
/// (pixels at least `radius` from every edge).
fn report(
    filter: &str,
    ours: filter::Result<Image<u8>>,
    theirs: &[u8],
    exact: &[f64],
    radius: usize,
) {
    let ours = match ours {
        Ok(ours) => ours,
        Err(e) => {
            eprintln!("ours failed: {filter}: {e}");
            std::process::exit(1);
        }
    };
    let interior = |i: usize| {
        let (x, y) = ((i / 3) % W as usize, (i / 3) / W as usize);
        (radius..W as usize - radius).contains(&x) && (radius..H as usize - radius).contains(&y)
    };
    for (region, within) in [
        ("all", &(|_| true) as &dyn Fn(usize) -> bool),
        ("interior", &interior),
    ] {
        let ours = errors(ours.as_slice(), exact, within);
        let theirs = errors(theirs, exact, within);
        println!(
            "| {filter} | {region} | {:.3}, {:.2} % | {:.3}, {:.2} %, {:.2} % |",
            ours.max,
            ours.share(ours.wrong),
            theirs.max,
            theirs.share(theirs.wrong),
            theirs.share(theirs.off),
        );
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

/// The convolution with a dense `size x size` kernel (row-major, centred)
/// in `f64` with `Reflect101` edges, clamped to the `u8` range.
fn exact_dense(src: &ImageView<'_, u8>, kernel: &[f64], size: usize) -> Vec<f64> {
    let (w, h, c) = (src.width(), src.height(), src.channels());
    let r = (size / 2) as isize;
    let taps: Vec<(isize, isize, f64)> = kernel
        .iter()
        .enumerate()
        .filter(|&(_, &k)| k != 0.0)
        .map(|(i, &k)| ((i % size) as isize - r, (i / size) as isize - r, k))
        .collect();
    let mut out = vec![0.0f64; w * h * c];
    for y in 0..h {
        for x in 0..w {
            for ch in 0..c {
                let sum: f64 = taps
                    .iter()
                    .map(|&(dx, dy, k)| {
                        let (sx, sy) = (
                            reflect101(x as isize + dx, w),
                            reflect101(y as isize + dy, h),
                        );
                        k * f64::from(src.row(sy)[sx * c + ch])
                    })
                    .sum();
                out[(y * w + x) * c + ch] = sum.clamp(0.0, 255.0);
            }
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
