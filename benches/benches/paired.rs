//! Ours against `libblur`, paired call by call: the filter groups of
//! `benches/filter.rs` (same photo, sizes and peer calls, one thread), each
//! iteration timing one call of ours and one of the peer back to back, in
//! alternating order. A case's figure is the median over its iterations of
//! ours / peer (below 1: ours faster), with the quartiles.
//!
//! Why beside criterion: criterion times ours and each peer in separate
//! stretches of seconds, and on a shared machine whose speed drifts between
//! phases, a ratio of two stretches moves with the drift (the same code has
//! read 0.78 and 0.94 against `libblur` in two runs). A ratio taken within
//! one iteration sees both sides in the same phase.
//!
//! `cargo bench --bench paired -- [--quick] [--json PATH] [REGEX]`: about
//! 1 s per case with `--quick`, 4 s without; `REGEX` selects cases by id
//! (`gaussian_rgb_u8/libblur/sigma=1`); `--json` writes the rows for
//! `cargo xtask bench`, which prints them after criterion's table. Other
//! criterion flags that `cargo xtask bench` passes are accepted and ignored.

use augment_benches::{PADDING, peers, photo_rgb, photo_rgb_f32};
use geom::{Image, ImageView, ImageViewMut, Isa};
use libblur::ConvolutionMode;
use regex::Regex;
use serde::Serialize;
use std::hint::black_box;
use std::time::{Duration, Instant};

const W: usize = 1024;
const H: usize = 768;
const SIZE: (u32, u32) = (W as u32, H as u32);
/// Fewer iterations than this give no usable quartiles, whatever the budget.
const MIN_ITERATIONS: usize = 11;

/// One paired measurement, as `cargo xtask bench` reads it.
#[derive(Debug, Serialize)]
struct Row {
    group: String,
    peer: String,
    param: String,
    /// Median over iterations of ours / peer (time).
    ratio: f64,
    q1: f64,
    q3: f64,
    ours_ns_per_px: f64,
    peer_ns_per_px: f64,
    iterations: usize,
}

/// A case: ours and one peer on the same input, each as a closure that
/// runs one call.
struct Case<'a> {
    group: &'static str,
    peer: &'static str,
    param: String,
    ours: Box<dyn FnMut() + 'a>,
    theirs: Box<dyn FnMut() + 'a>,
}

impl Case<'_> {
    fn id(&self) -> String {
        format!("{}/{}/{}", self.group, self.peer, self.param)
    }

    /// Alternates the two calls until `budget` has passed (and at least
    /// [`MIN_ITERATIONS`] have run).
    fn measure(&mut self, budget: Duration) -> Row {
        for _ in 0..3 {
            (self.ours)();
            (self.theirs)();
        }
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        let start = Instant::now();
        while ours.len() < MIN_ITERATIONS || start.elapsed() < budget {
            let (a, b) = if ours.len() % 2 == 0 {
                let a = timed(&mut self.ours);
                (a, timed(&mut self.theirs))
            } else {
                let b = timed(&mut self.theirs);
                (timed(&mut self.ours), b)
            };
            ours.push(a);
            theirs.push(b);
        }
        let mut ratios: Vec<f64> = ours.iter().zip(&theirs).map(|(a, b)| a / b).collect();
        for values in [&mut ratios, &mut ours, &mut theirs] {
            values.sort_by(f64::total_cmp);
        }
        let per_px = 1e9 / (W * H) as f64;
        Row {
            group: self.group.to_string(),
            peer: self.peer.to_string(),
            param: self.param.clone(),
            ratio: quantile(&ratios, 0.5),
            q1: quantile(&ratios, 0.25),
            q3: quantile(&ratios, 0.75),
            ours_ns_per_px: quantile(&ours, 0.5) * per_px,
            peer_ns_per_px: quantile(&theirs, 0.5) * per_px,
            iterations: ours.len(),
        }
    }
}

fn timed(call: &mut dyn FnMut()) -> f64 {
    let start = Instant::now();
    call();
    start.elapsed().as_secs_f64()
}

/// The `q` quantile of sorted `values` (nearest rank).
fn quantile(values: &[f64], q: f64) -> f64 {
    let rank = ((values.len() - 1) as f64 * q).round() as usize;
    values[rank]
}

/// Command-line options (see the module documentation).
struct Options {
    quick: bool,
    json: Option<String>,
    filter: Option<Regex>,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        quick: false,
        json: None,
        filter: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => options.quick = true,
            "--json" => options.json = Some(args.next().ok_or("--json needs a path")?),
            // Criterion's flags with a value, as `cargo xtask bench` passes them.
            "--warm-up-time" | "--measurement-time" | "--sample-size" => {
                args.next();
            }
            flag if flag.starts_with("--") => {}
            pattern => {
                let regex = Regex::new(pattern).map_err(|e| format!("{pattern:?}: {e}"))?;
                options.filter = Some(regex);
            }
        }
    }
    Ok(options)
}

/// Ours as a case's call: `run` on the shared source into an output of
/// its own.
fn ours<'a, T: geom::Element>(
    src: &'a Image<T>,
    run: impl Fn(ImageView<'_, T>, ImageViewMut<'_, T>) -> filter::Result<()> + 'a,
) -> Box<dyn FnMut() + 'a> {
    let Ok(mut dst) = Image::new(src.width(), src.height(), src.channels()) else {
        std::process::abort();
    };
    Box::new(move || {
        black_box(run(black_box(src.view()), dst.view_mut())).ok();
    })
}

fn main() {
    let options = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("paired: {e}");
            std::process::exit(2);
        }
    };
    let isa = Isa::selected();
    let src = photo_rgb(SIZE.0, SIZE.1);
    let src_f32 = photo_rgb_f32(SIZE.0, SIZE.1);
    // Each case owns its output buffers; the sources are shared.
    let mut cases: Vec<Case<'_>> = Vec::new();
    for sigma in [1.0f32, 3.0, 10.0, 30.0] {
        for (peer, mode) in [
            ("libblur", ConvolutionMode::Exact),
            ("libblur_fixed_point", ConvolutionMode::FixedPoint),
        ] {
            let mut out = vec![0u8; W * H * 3];
            let src = &src;
            cases.push(Case {
                group: "gaussian_rgb_u8",
                peer,
                param: format!("sigma={sigma}"),
                ours: ours(src, move |s, d| {
                    filter::gaussian_blur_into_with_isa(isa, s, d, sigma, sigma, PADDING)
                }),
                theirs: Box::new(move || {
                    peers::gaussian_u8(black_box(src.as_slice()), &mut out, SIZE, sigma, mode);
                }),
            });
        }
    }
    for sigma in [1.0f32, 3.0, 10.0, 30.0] {
        let mut out = vec![0f32; W * H * 3];
        let src = &src_f32;
        cases.push(Case {
            group: "gaussian_rgb_f32",
            peer: "libblur",
            param: format!("sigma={sigma}"),
            ours: ours(src, move |s, d| {
                filter::gaussian_blur_into_with_isa(isa, s, d, sigma, sigma, PADDING)
            }),
            theirs: Box::new(move || {
                peers::gaussian_f32(black_box(src.as_slice()), &mut out, SIZE, sigma);
            }),
        });
    }
    for k in [3usize, 15, 61] {
        let mut out = vec![0u8; W * H * 3];
        let src = &src;
        cases.push(Case {
            group: "box_rgb_u8",
            peer: "libblur",
            param: format!("k={k}"),
            ours: ours(src, move |s, d| {
                filter::box_blur_into_with_isa(isa, s, d, k, k, PADDING)
            }),
            theirs: Box::new(move || {
                peers::box_u8(black_box(src.as_slice()), &mut out, SIZE, k as u32)
            }),
        });
    }
    {
        let mut out = vec![0u8; W * H * 3];
        let src = &src;
        cases.push(Case {
            group: "motion_rgb_u8",
            peer: "libblur",
            param: "L=15,angle=30".to_string(),
            ours: ours(src, move |s, d| {
                filter::motion_blur_into_with_isa(isa, s, d, 15.0, 30.0, PADDING)
            }),
            theirs: Box::new(move || {
                peers::motion_u8(black_box(src.as_slice()), &mut out, SIZE, 15, 30.0)
            }),
        });
    }
    {
        // The same call of `libblur`, with ours convolving `libblur`'s own
        // line (a Bresenham line of 15 taps of 1/15) instead of our
        // area-sampled one (25 taps here): the same work on both sides.
        let mut out = vec![0u8; W * H * 3];
        let src = &src;
        let line = libblur::generate_motion_kernel(15, 30.0);
        let kernel = match filter::Kernel2d::from_dense(15, 15, &line) {
            Ok(kernel) => kernel,
            Err(e) => {
                eprintln!("paired: libblur's motion kernel: {e}");
                std::process::exit(1);
            }
        };
        cases.push(Case {
            group: "motion_rgb_u8",
            peer: "libblur",
            param: "L=15,angle=30,libblur_line".to_string(),
            ours: ours(src, move |s, d| {
                filter::convolve_2d_into_with_isa(isa, s, d, &kernel, PADDING)
            }),
            theirs: Box::new(move || {
                peers::motion_u8(black_box(src.as_slice()), &mut out, SIZE, 15, 30.0)
            }),
        });
    }

    let budget = Duration::from_millis(if options.quick { 1000 } else { 4000 });
    println!("paired, ours / peer per iteration ({isa}), below 1: ours faster");
    let mut rows = Vec::new();
    for case in &mut cases {
        let id = case.id();
        if options.filter.as_ref().is_some_and(|f| !f.is_match(&id)) {
            continue;
        }
        let row = case.measure(budget);
        println!(
            "{id:<50} {:.3} [{:.3} .. {:.3}]  ours {:.2} ns/px, peer {:.2} ns/px, {} iterations",
            row.ratio, row.q1, row.q3, row.ours_ns_per_px, row.peer_ns_per_px, row.iterations
        );
        rows.push(row);
    }
    if let Some(path) = options.json {
        let written = serde_json::to_string_pretty(&rows)
            .map_err(std::io::Error::other)
            .and_then(|text| std::fs::write(&path, text));
        if let Err(e) = written {
            eprintln!("paired: writing {path}: {e}");
            std::process::exit(1);
        }
    }
}
