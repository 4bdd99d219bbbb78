//! The filters (`filter::*_with_isa`): Gaussian, box, motion and
//! directional blur with arbitrary σ, box size, length and angle (NaN, ±inf,
//! zero, negative, huge), separable convolution with arbitrary weights and
//! method, sparse 2-D kernels with arbitrary taps; sizes, strides, channels,
//! padding modes, `u8` and `f32`.
//!
//! Asserts:
//! - no panic, no out-of-bounds access (AddressSanitizer; buffers have the
//!   exact length their views need);
//! - parameters inside the documented ranges are accepted, shape mismatches
//!   and non-finite constants refused;
//! - every output element is written and the row-stride gap is not;
//! - the normalised blurs stay within the range of the source values (and the
//!   padding constant), so no value is read from a stride gap, and leave a
//!   flat image flat;
//! - every kernel path the CPU has gives the scalar reference's bits on the
//!   direct paths, and agrees within the documented tolerance on the FFT
//!   path (1e-4 of the value range, 1 LSB for `u8`).
#![no_main]

use arbitrary::Arbitrary;
use filter::{FFT_CROSSOVER_RADIUS, Kernel2d, Method, Tap};
use geom::{Element, ImageView, ImageViewMut, Isa, Padding};
use libfuzzer_sys::fuzz_target;

/// Largest image side: keeps allocations and run time small.
const MAX_SIDE: u8 = 24;

const SPECIAL: [f32; 24] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    1e-3,
    1e-30,
    f32::MIN_POSITIVE,
    15.9,
    16.0,
    45.0,
    90.0,
    -720.5,
    300.0,
    5461.0,
    5462.0,
    16384.0,
    32769.0,
    1e9,
    f32::MAX,
    -f32::MAX,
    f32::NAN,
    f32::INFINITY,
    f32::NEG_INFINITY,
];

/// A parameter: mostly small (`n / 16`, 0 to 16), sometimes special, sometimes raw.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Param {
    Small(u8),
    Special(u8),
    Raw(f32),
}

impl Param {
    fn value(self) -> f32 {
        match self {
            Param::Small(n) => f32::from(n) / 16.0,
            Param::Special(i) => SPECIAL[usize::from(i) % SPECIAL.len()],
            Param::Raw(v) => v,
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum MethodSpec {
    Auto,
    Direct,
    Fft,
}

#[derive(Arbitrary, Debug)]
enum Op {
    Gaussian {
        sigma_x: Param,
        sigma_y: Param,
    },
    Box {
        width: u16,
        height: u16,
    },
    Motion {
        length: Param,
        angle: Param,
    },
    Directional {
        along: Param,
        across: Param,
        angle: Param,
    },
    Separable {
        kernel_x: Vec<Param>,
        kernel_y: Vec<Param>,
        method: MethodSpec,
    },
    Sparse {
        taps: Vec<(i8, i8, Param)>,
    },
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum PaddingSpec {
    Constant(Param),
    Zeros,
    Border,
    Reflect,
    Reflect101,
    Wrap,
}

#[derive(Arbitrary, Debug)]
struct Input {
    width: u8,
    height: u8,
    channels: u8,
    src_gap: u8,
    dst_gap: u8,
    /// Destination one pixel wider than the source (must be refused).
    wrong_shape: bool,
    op: Op,
    padding: PaddingSpec,
    float: bool,
    /// Every pixel the same value.
    flat: bool,
    /// Pixels stay in a range and the stride gap holds a value outside it.
    gap_probe: bool,
    pixels: Vec<u8>,
}

trait Sample: Element {
    fn pixel(byte: u8, probe: bool) -> Self;
    fn gap(probe: bool) -> Self;
    const PREFILL: [Self; 2];
    /// Exact bits (all NaNs alike).
    fn bits(self) -> u32;
    /// Largest difference the FFT path may show against the direct one, for
    /// outputs spanning `range` before rounding.
    fn fft_tolerance(range: f32) -> f32;
}

impl Sample for u8 {
    fn pixel(byte: u8, probe: bool) -> u8 {
        if probe { byte & 0x7f } else { byte }
    }
    fn gap(_probe: bool) -> u8 {
        0xff
    }
    const PREFILL: [u8; 2] = [0x5a, 0xa5];
    fn bits(self) -> u32 {
        u32::from(self)
    }
    fn fft_tolerance(range: f32) -> f32 {
        // 1 LSB, or 1e-4 of the range before clamping when a kernel with a
        // large gain spreads float noise over more than 255 levels.
        (1e-4 * range).max(1.0)
    }
}

impl Sample for f32 {
    fn pixel(byte: u8, probe: bool) -> f32 {
        if probe {
            return (f32::from(byte) - 128.0) / 4.0;
        }
        match byte {
            0 => f32::NAN,
            1 => f32::INFINITY,
            2 => f32::NEG_INFINITY,
            3 => 1e30,
            _ => (f32::from(byte) - 128.0) / 8.0,
        }
    }
    fn gap(probe: bool) -> f32 {
        if probe { 1e30 } else { f32::NAN }
    }
    const PREFILL: [f32; 2] = [-7777.0, 1.5e-42];
    fn bits(self) -> u32 {
        if self.is_nan() {
            u32::MAX
        } else {
            self.to_bits()
        }
    }
    fn fft_tolerance(range: f32) -> f32 {
        1e-4 * range.max(1.0)
    }
}

fn bits_of<T: Sample>(values: &[T]) -> Vec<u32> {
    values.iter().map(|v| v.bits()).collect()
}

fn padding_of(spec: PaddingSpec) -> Padding {
    match spec {
        PaddingSpec::Constant(c) => Padding::Constant(c.value()),
        PaddingSpec::Zeros => Padding::Zeros,
        PaddingSpec::Border => Padding::Border,
        PaddingSpec::Reflect => Padding::Reflect,
        PaddingSpec::Reflect101 => Padding::Reflect101,
        PaddingSpec::Wrap => Padding::Wrap,
    }
}

/// What the op promises, worked out from its parameters by the documented rules.
struct Expect {
    /// Parameters certainly inside the documented ranges: must succeed.
    valid: bool,
    /// Weights non-negative and summing to 1: output within the input's range.
    normalised: bool,
    /// Runs (partly) through the FFT: paths agree within tolerance only.
    fft: bool,
    /// Too costly to run (kernel with a huge number of taps); only build it.
    skip: bool,
}

fn in_range(v: f32, lo: f32, hi: f32) -> bool {
    v.is_finite() && v >= lo && v <= hi
}

fn expect(op: &Op) -> Expect {
    let direct = |valid, normalised| Expect {
        valid,
        normalised,
        fft: false,
        skip: false,
    };
    match op {
        Op::Gaussian { sigma_x, sigma_y } => {
            let (sx, sy) = (sigma_x.value(), sigma_y.value());
            let radius = |s: f32| filter::default_radius(s.max(0.0));
            let valid = in_range(sx, 1e-3, 1000.0) && in_range(sy, 1e-3, 1000.0);
            Expect {
                valid,
                normalised: true,
                // Any accepted σ whose radius reaches the crossover, inside
                // the envelope above or not.
                fft: sx.is_finite()
                    && sy.is_finite()
                    && sx > 0.0
                    && sy > 0.0
                    && radius(sx).max(radius(sy)) >= FFT_CROSSOVER_RADIUS,
                // Radii in the thousands (σ up to MAX_RADIUS / 3 is legal)
                // cost 100 ms a run under ASan: build the kernels only.
                skip: sx.is_finite() && sy.is_finite() && radius(sx).max(radius(sy)) > 600,
            }
        }
        Op::Box { width, height } => {
            let legal = |n: u16| n >= 1 && usize::from(n) / 2 <= filter::MAX_RADIUS;
            Expect {
                valid: (1..=4097).contains(width) && (1..=4097).contains(height),
                normalised: true,
                fft: false,
                // Legal but wide boxes cost O(size) per row and column, a
                // second a run under ASan: refused sizes still run (fast).
                skip: legal(*width) && legal(*height) && (*width).max(*height) > 1100,
            }
        }
        Op::Motion { length, angle } => {
            let (l, a) = (length.value(), angle.value());
            let valid = in_range(l, 0.0, 512.0) && in_range(a, -1e6, 1e6);
            Expect {
                valid,
                normalised: true,
                fft: false,
                // About 2·length taps per pixel.
                skip: l.is_finite() && l > 512.0,
            }
        }
        Op::Directional {
            along,
            across,
            angle,
        } => {
            let (s, t, a) = (along.value(), across.value(), angle.value());
            let valid = in_range(s, 1e-3, 32.0) && in_range(t, 1e-3, 4.0) && in_range(a, -1e6, 1e6);
            // About 28·σ_along·max(σ_across, 0.4) taps per pixel.
            let taps = 28.0 * f64::from(s) * f64::from(t.max(0.4));
            Expect {
                valid,
                normalised: true,
                fft: false,
                skip: s.is_finite() && t.is_finite() && taps > 4_000.0,
            }
        }
        Op::Separable {
            kernel_x,
            kernel_y,
            method,
        } => {
            let ok = |k: &[Param]| k.len() % 2 == 1 && k.iter().all(|w| w.value().is_finite());
            let valid = ok(kernel_x) && ok(kernel_y);
            let reaches_fft = |k: &[Param]| k.len() / 2 >= FFT_CROSSOVER_RADIUS;
            let fft = match method {
                MethodSpec::Fft => true,
                MethodSpec::Direct => false,
                MethodSpec::Auto => reaches_fft(kernel_x) || reaches_fft(kernel_y),
            };
            Expect {
                valid,
                normalised: false,
                fft,
                skip: false,
            }
        }
        Op::Sparse { taps } => direct(
            !taps.is_empty() && taps.iter().all(|t| t.2.value().is_finite()),
            false,
        ),
    }
}

/// A source image: pixels from the fuzz bytes (or one value if `flat`), the
/// stride gap filled, the buffer exactly as long as the view needs.
fn make_source<T: Sample>(
    input: &Input,
    width: usize,
    height: usize,
    channels: usize,
    gap: usize,
) -> (Vec<T>, usize) {
    let stride = width * channels + gap;
    let len = stride * (height - 1) + width * channels;
    let mut data = vec![T::gap(input.gap_probe); len];
    let mut k = 0;
    for i in 0..height {
        for v in &mut data[i * stride..i * stride + width * channels] {
            let byte = match input.pixels.len() {
                0 if input.flat => 77,
                0 => (k * 37 % 251) as u8,
                _ if input.flat => input.pixels[0],
                n => input.pixels[k % n],
            };
            *v = T::pixel(byte, input.gap_probe);
            k += 1;
        }
    }
    (data, stride)
}

/// Runs the op on one path into a fresh destination prefilled with `prefill`.
fn apply<T: Sample>(
    isa: Isa,
    op: &Op,
    src: ImageView<'_, T>,
    dst: ImageViewMut<'_, T>,
    padding: Padding,
) -> Result<(), filter::Error> {
    match op {
        Op::Gaussian { sigma_x, sigma_y } => {
            filter::gaussian_blur_into_with_isa(isa, src, dst, sigma_x.value(), sigma_y.value(), padding)
        }
        Op::Box { width, height } => filter::box_blur_into_with_isa(
            isa,
            src,
            dst,
            usize::from(*width),
            usize::from(*height),
            padding,
        ),
        Op::Motion { length, angle } => {
            filter::motion_blur_into_with_isa(isa, src, dst, length.value(), angle.value(), padding)
        }
        Op::Directional {
            along,
            across,
            angle,
        } => filter::directional_blur_into_with_isa(
            isa,
            src,
            dst,
            along.value(),
            across.value(),
            angle.value(),
            padding,
        ),
        Op::Separable {
            kernel_x,
            kernel_y,
            method,
        } => {
            let kx: Vec<f32> = kernel_x.iter().map(|w| w.value()).collect();
            let ky: Vec<f32> = kernel_y.iter().map(|w| w.value()).collect();
            let method = match method {
                MethodSpec::Auto => Method::Auto,
                MethodSpec::Direct => Method::Direct,
                MethodSpec::Fft => Method::Fft,
            };
            filter::separable_convolve_into_with_isa(isa, method, src, dst, &kx, &ky, padding)
        }
        Op::Sparse { taps } => {
            let kernel = Kernel2d::from_taps(taps.iter().map(|&(dx, dy, w)| Tap {
                dx: i32::from(dx),
                dy: i32::from(dy),
                weight: w.value(),
            }))?;
            filter::convolve_2d_into_with_isa(isa, src, dst, &kernel, padding)
        }
    }
}

/// For an op that runs through the FFT: the same convolution by the direct
/// method on the scalar path, and the kernel's gain `Σ|kx| · Σ|ky|` (1 for a
/// Gaussian), which scales the tolerance.
#[allow(clippy::too_many_arguments)]
fn direct_reference<T: Sample>(
    op: &Op,
    src: ImageView<'_, T>,
    width: usize,
    height: usize,
    stride: usize,
    len: usize,
    padding: Padding,
    prefill: T,
) -> Option<(Vec<T>, f32)> {
    let (kx, ky): (Vec<f32>, Vec<f32>) = match op {
        Op::Gaussian { sigma_x, sigma_y } => (
            filter::gaussian_kernel(sigma_x.value(), None)
                .ok()?
                .to_vec(),
            filter::gaussian_kernel(sigma_y.value(), None)
                .ok()?
                .to_vec(),
        ),
        Op::Separable {
            kernel_x, kernel_y, ..
        } => (
            kernel_x.iter().map(|w| w.value()).collect(),
            kernel_y.iter().map(|w| w.value()).collect(),
        ),
        _ => return None,
    };
    let gain = |k: &[f32]| k.iter().map(|w| w.abs()).sum::<f32>().max(1.0);
    let mut buf = vec![prefill; len];
    let dst = ImageViewMut::with_stride(&mut buf, width, height, src.channels(), stride).ok()?;
    let result =
        filter::separable_convolve_into_with_isa(Isa::Scalar, Method::Direct, src, dst, &kx, &ky, padding);
    assert!(
        result.is_ok(),
        "the direct method refused what the FFT took: {result:?}"
    );
    Some((buf, gain(&kx) * gain(&ky)))
}

/// Builds the kernel only (for parameters too costly to convolve with).
fn build_only(op: &Op) {
    match op {
        Op::Motion { length, angle } => {
            let _ = filter::motion_kernel(length.value(), angle.value());
        }
        Op::Directional {
            along,
            across,
            angle,
        } => {
            let _ = filter::directional_kernel(along.value(), across.value(), angle.value());
        }
        Op::Gaussian { sigma_x, sigma_y } => {
            for sigma in [sigma_x.value(), sigma_y.value()] {
                if let Ok(k) = filter::gaussian_kernel(sigma, None) {
                    assert_eq!(k.len(), 2 * filter::default_radius(sigma) + 1);
                    let sum: f64 = k.iter().map(|&w| f64::from(w)).sum();
                    assert!((sum - 1.0).abs() < 1e-3, "σ {sigma}: weights sum to {sum}");
                }
            }
        }
        _ => {}
    }
}

fn run_typed<T: Sample>(input: &Input) {
    let width = usize::from(input.width % MAX_SIDE) + 1;
    let height = usize::from(input.height % MAX_SIDE) + 1;
    let channels = [1, 3, 4][usize::from(input.channels % 3)];
    let (data, src_stride) = make_source::<T>(
        input,
        width,
        height,
        channels,
        usize::from(input.src_gap % 8),
    );
    let src = match ImageView::with_stride(&data, width, height, channels, src_stride) {
        Ok(v) => v,
        Err(e) => panic!("source view refused: {e}"),
    };
    let padding = padding_of(input.padding);
    let expect = expect(&input.op);
    if expect.skip {
        build_only(&input.op);
        return;
    }
    let dst_width = width + usize::from(input.wrong_shape);
    let dst_gap = usize::from(input.dst_gap % 8);
    let dst_stride = dst_width * channels + dst_gap;
    let dst_len = dst_stride * (height - 1) + dst_width * channels;
    let run = |isa: Isa, prefill: T| {
        let mut buf = vec![prefill; dst_len];
        let result =
            match ImageViewMut::with_stride(&mut buf, dst_width, height, channels, dst_stride) {
                Ok(dst) => apply(isa, &input.op, src, dst, padding),
                Err(e) => panic!("destination view refused: {e}"),
            };
        (result, buf)
    };
    let [first, second] = T::PREFILL;
    let (reference, out) = run(Isa::Scalar, first);
    let constant_ok = padding.constant().is_none_or(f32::is_finite);
    if input.wrong_shape || !constant_ok {
        assert!(
            reference.is_err(),
            "accepted a bad shape or constant: {:?}",
            input.op
        );
    } else if expect.valid {
        assert!(
            reference.is_ok(),
            "refused valid parameters {:?}: {reference:?}",
            input.op
        );
    }

    // The range of the source values and the padding constant.
    let (mut lo, mut hi) = padding
        .constant()
        .map_or((f32::INFINITY, f32::NEG_INFINITY), |c| (c, c));
    let mut all_finite = true;
    for row in src.rows() {
        for v in row {
            let v = v.to_f32();
            all_finite &= v.is_finite();
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    let finite = all_finite && lo.is_finite() && hi.is_finite() && lo.abs().max(hi.abs()) < 1e20;

    // The FFT path against the direct one (the specification), within the
    // documented tolerance, on every path.
    let direct = if expect.fft && finite && reference.is_ok() {
        direct_reference(
            &input.op, src, dst_width, height, dst_stride, dst_len, padding, first,
        )
    } else {
        None
    };
    for isa in Isa::available() {
        let (result, other) = run(isa, first);
        assert_eq!(
            format!("{result:?}"),
            format!("{reference:?}"),
            "{isa} result"
        );
        if !expect.fft {
            assert_eq!(
                bits_of(&other),
                bits_of(&out),
                "{isa} differs from scalar: {:?}",
                input.op
            );
        } else if let Some((direct, gain)) = &direct
            // Past ~1e30 the sums overflow f32 (inf, NaN) differently by method.
            && lo.abs().max(hi.abs()) * gain < 1e30
        {
            // Float noise scales with the magnitudes summed, not only their spread.
            let tol = T::fft_tolerance(lo.abs().max(hi.abs()) * gain);
            for (k, (a, b)) in other.iter().zip(direct).enumerate() {
                let d = (a.to_f32() - b.to_f32()).abs();
                assert!(
                    a.bits() == b.bits() || d <= tol,
                    "{isa} FFT element {k}: {a:?} vs direct {b:?} (tolerance {tol}) {:?}",
                    input.op
                );
            }
        }
    }
    if reference.is_err() {
        assert!(
            out.iter().all(|v| v.bits() == first.bits()),
            "a refused filter wrote output"
        );
        return;
    }
    let (_, again) = run(Isa::Scalar, second);
    let row_len = width * channels;
    for i in 0..height {
        let pixels = i * dst_stride..i * dst_stride + row_len;
        assert_eq!(
            bits_of(&out[pixels.clone()]),
            bits_of(&again[pixels.clone()]),
            "row {i}: some output element was not written"
        );
        let gap_end = (pixels.end + dst_gap).min(dst_len);
        assert!(
            out[pixels.end..gap_end]
                .iter()
                .all(|v| v.bits() == first.bits()),
            "row {i}: the stride gap was written"
        );
    }

    if !(expect.normalised && finite) {
        return;
    }
    let slack = 1e-5 * lo.abs().max(hi.abs()).max(1.0)
        + if expect.fft {
            T::fft_tolerance(lo.abs().max(hi.abs()))
        } else {
            0.0
        };
    let (min, max) = (
        T::from_f32(lo - slack).to_f32(),
        T::from_f32(hi + slack).to_f32(),
    );
    let flat = input.flat
        && padding
            .constant()
            .is_none_or(|c| c.to_bits() == src.pixel(0, 0)[0].to_f32().to_bits())
        && (channels == 1
            || src
                .pixel(0, 0)
                .iter()
                .all(|v| v.bits() == src.pixel(0, 0)[0].bits()));
    for i in 0..height {
        for (k, v) in out[i * dst_stride..i * dst_stride + row_len]
            .iter()
            .enumerate()
        {
            let v = v.to_f32();
            assert!(
                (min..=max).contains(&v),
                "pixel {}, {i}: {v} outside the input range {lo}..{hi} (read from a stride gap?) {:?}",
                k / channels,
                input.op
            );
            if flat {
                let want = src.pixel(0, 0)[0].to_f32();
                assert!(
                    (v - want).abs()
                        <= slack.max(if T::NAME == "u8" {
                            0.0
                        } else {
                            1e-5 * want.abs()
                        }),
                    "flat image: pixel {}, {i} is {v}, not {want}: {:?}",
                    k / channels,
                    input.op
                );
            }
        }
    }
}

/// Longest 1-D kernel: radius 72, past the FFT crossover (48) but cheap.
const MAX_KERNEL_LEN: usize = 145;

fuzz_target!(|input: Input| {
    let mut input = input;
    match &mut input.op {
        Op::Separable {
            kernel_x, kernel_y, ..
        } => {
            kernel_x.truncate(MAX_KERNEL_LEN);
            kernel_y.truncate(MAX_KERNEL_LEN);
        }
        Op::Sparse { taps } => taps.truncate(256),
        _ => {}
    }
    if input.float {
        run_typed::<f32>(&input);
    } else {
        run_typed::<u8>(&input);
    }
});
