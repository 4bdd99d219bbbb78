//! The sampler (`sample::warp_into_with_isa`, `sample::warp_planar_into_with_isa`)
//! with arbitrary maps (affine, projective, grid; NaN, ±inf, huge and
//! singular coefficients), sizes, strides, channels, padding modes,
//! interpolation, value affines, `u8` and `f32`.
//!
//! Asserts:
//! - no panic, no out-of-bounds access (AddressSanitizer; source buffers are
//!   allocated to the exact length the view needs, so a read past the last
//!   row is caught);
//! - invalid requests (non-finite coefficients or constants, channel or
//!   grid-size mismatch, wrong planar length) return an error, and valid
//!   ones succeed;
//! - every output element is written (two runs with different prefills
//!   agree) and nothing outside the pixels is (the row-stride gap keeps its
//!   prefill);
//! - no read from the source's stride gap (the gap holds a value no blend of
//!   pixels can reach, and the output stays in the pixels' range);
//! - integer translations copy pixels exactly, through the padding rule;
//! - every kernel path the CPU has (`Isa::available`) gives the scalar
//!   reference's bits (NaN matches any NaN).
#![no_main]

use arbitrary::Arbitrary;
use geom::{Affine, Element, Grid, ImageView, ImageViewMut, Isa, Map, Padding, Projective};
use libfuzzer_sys::fuzz_target;
use sample::{ChannelAffine, Error, Interpolation, WarpOptions};

/// Largest source or destination side: keeps every allocation tiny.
const MAX_SIDE: u8 = 40;

/// Values that break naive arithmetic.
const SPECIAL: [f64; 26] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -0.5,
    2.0,
    1.0 / 3.0,
    0.499_999_999_999_999_94,
    1e-13,
    1e-300,
    f64::MIN_POSITIVE,
    f64::EPSILON,
    1e12,
    1e300,
    f64::MAX,
    -f64::MAX,
    16_777_216.0,
    1_073_741_824.0,
    2_147_483_648.0,
    9.3e18,
    -9.3e18,
    f32::MAX as f64,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
];

/// A coefficient: mostly small fractions (maps that land in the image),
/// sometimes a special value, sometimes raw bits.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Coef {
    Small(i16),
    Special(u8),
    Raw(f64),
}

impl Coef {
    fn value(self) -> f64 {
        match self {
            Coef::Small(n) => f64::from(n) / 64.0,
            Coef::Special(i) => SPECIAL[usize::from(i) % SPECIAL.len()],
            Coef::Raw(v) => v,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum MapSpec {
    /// Output pixel reads source pixel `(j + dx, i + dy)`: exact results known.
    Shift {
        dx: i8,
        dy: i8,
    },
    /// Rotation, scale and shift about the image centre (mostly in-image).
    Similar {
        degrees: i16,
        log2_scale: i8,
        dx: i8,
        dy: i8,
    },
    Affine([Coef; 6]),
    Projective([Coef; 9]),
    /// Positions cycled over the output; `wrong_size` makes the grid one
    /// column wider than the destination.
    Grid {
        points: Vec<(Coef, Coef)>,
        wrong_size: bool,
    },
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum PaddingSpec {
    Constant(Coef),
    Zeros,
    Border,
    Reflect,
    Reflect101,
    Wrap,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Layout {
    Interleaved {
        /// Destination with a different channel count than the source.
        other_channels: bool,
    },
    Planar {
        /// Destination length off by this many elements (0: right).
        length_error: i8,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    src_width: u8,
    src_height: u8,
    dst_width: u8,
    dst_height: u8,
    channels: u8,
    src_gap: u8,
    dst_gap: u8,
    map: MapSpec,
    nearest: bool,
    padding: PaddingSpec,
    values: Option<[Coef; 8]>,
    float: bool,
    layout: Layout,
    /// Source pixels stay within a range and the stride gap holds a value
    /// outside it, so a read from the gap shows in the output.
    gap_probe: bool,
    pixels: Vec<u8>,
}

fn side(v: u8) -> usize {
    usize::from(v % (MAX_SIDE + 1))
}

fn channels_of(v: u8) -> usize {
    [1, 3, 4][usize::from(v % 3)]
}

/// A sample type under test: how to make pixels, gaps and prefills of it.
trait Sample: Element {
    /// Pixel value from a fuzz byte; within `0..=127` (u8) or `-32..=32`
    /// (f32) when probing gaps, any value (f32 specials included) otherwise.
    fn pixel(byte: u8, probe: bool) -> Self;
    /// What the source's stride gap holds.
    fn gap(probe: bool) -> Self;
    /// Two different destination prefills.
    const PREFILL: [Self; 2];
    /// Bits, for exact comparison (all NaNs alike).
    fn bits(self) -> u32;
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
            3 => f32::MAX,
            4 => -f32::MAX,
            5 => f32::MIN_POSITIVE / 4.0,
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
}

fn bits_of<T: Sample>(values: &[T]) -> Vec<u32> {
    values.iter().map(|v| v.bits()).collect()
}

fn f32_bits(values: &[f32]) -> Vec<u32> {
    bits_of(values)
}

/// The map, or `None` if it cannot even be built (a projective matrix with a
/// non-finite entry: `Projective::new` refuses it, which is checked here).
fn build_map(spec: &MapSpec, src: (usize, usize), dst: (usize, usize)) -> Option<Map> {
    match spec {
        MapSpec::Shift { dx, dy } => Some(Map::Affine(Affine::translate(
            f64::from(*dx),
            f64::from(*dy),
        ))),
        MapSpec::Similar {
            degrees,
            log2_scale,
            dx,
            dy,
        } => {
            let centre = |n: usize| (n as f64 - 1.0) / 2.0;
            let scale = f64::from(*log2_scale % 8).exp2();
            let pull = Affine::translate(-centre(dst.0), -centre(dst.1))
                .then(&Affine::rotate(f64::from(*degrees) / 8.0))
                .then(&Affine::scale(scale, scale))
                .then(&Affine::translate(
                    centre(src.0) + f64::from(*dx) / 4.0,
                    centre(src.1) + f64::from(*dy) / 4.0,
                ));
            Some(Map::Affine(pull))
        }
        MapSpec::Affine(c) => Some(Map::Affine(Affine::new(
            c[0].value(),
            c[1].value(),
            c[2].value(),
            c[3].value(),
            c[4].value(),
            c[5].value(),
        ))),
        MapSpec::Projective(c) => {
            let m = [
                [c[0].value(), c[1].value(), c[2].value()],
                [c[3].value(), c[4].value(), c[5].value()],
                [c[6].value(), c[7].value(), c[8].value()],
            ];
            let built = Projective::new(m);
            let finite = m.iter().flatten().all(|v| v.is_finite());
            assert_eq!(built.is_ok(), finite, "Projective::new on {m:?}");
            built.ok().map(Map::Projective)
        }
        MapSpec::Grid { points, wrong_size } => {
            let width = dst.0 + usize::from(*wrong_size);
            let grid = Grid::from_fn(width, dst.1, |j, i| {
                if points.is_empty() {
                    return (j as f32, i as f32);
                }
                let (x, y) = points[(i * width + j) % points.len()];
                (x.value() as f32, y.value() as f32)
            });
            match grid {
                Ok(g) => Some(Map::Grid(g)),
                Err(e) => panic!("Grid::from_fn({width}, {}) failed: {e}", dst.1),
            }
        }
    }
}

fn padding_of(spec: PaddingSpec) -> Padding {
    match spec {
        PaddingSpec::Constant(c) => Padding::Constant(c.value() as f32),
        PaddingSpec::Zeros => Padding::Zeros,
        PaddingSpec::Border => Padding::Border,
        PaddingSpec::Reflect => Padding::Reflect,
        PaddingSpec::Reflect101 => Padding::Reflect101,
        PaddingSpec::Wrap => Padding::Wrap,
    }
}

/// Whether the sampler must refuse this request, by the documented rules.
fn must_fail(
    map: &Map,
    options: &WarpOptions,
    channel_mismatch: bool,
    dst: (usize, usize),
) -> bool {
    let affine_non_finite = match map {
        Map::Affine(a) => a.rows().iter().flatten().any(|v| !v.is_finite()),
        _ => false,
    };
    let grid_mismatch = match map {
        Map::Grid(g) => (g.width(), g.height()) != dst,
        _ => false,
    };
    let constant_non_finite = options.padding.constant().is_some_and(|v| !v.is_finite());
    let values_non_finite = options
        .values
        .is_some_and(|a| a.scale.iter().chain(&a.offset).any(|v| !v.is_finite()));
    channel_mismatch
        || affine_non_finite
        || grid_mismatch
        || constant_non_finite
        || values_non_finite
}

struct Case<'a> {
    map: &'a Map,
    options: WarpOptions,
    shift: Option<(i64, i64)>,
    probe: bool,
}

/// The source: pixels from the fuzz bytes, the stride gap filled, the buffer
/// exactly as long as the view needs.
fn make_source<T: Sample>(
    input: &Input,
    width: usize,
    height: usize,
    channels: usize,
    gap: usize,
) -> (Vec<T>, usize) {
    let stride = width * channels + gap;
    let len = if height == 0 {
        0
    } else {
        stride * (height - 1) + width * channels
    };
    let mut data = vec![T::gap(input.gap_probe); len];
    let mut k = 0;
    for i in 0..height {
        for v in &mut data[i * stride..i * stride + width * channels] {
            let byte = if input.pixels.is_empty() {
                (k * 37 % 251) as u8
            } else {
                input.pixels[k % input.pixels.len()]
            };
            *v = T::pixel(byte, input.gap_probe);
            k += 1;
        }
    }
    (data, stride)
}

/// The range of values the output can hold without a value affine: source
/// pixels, the padding fill, and 0 (what a position with no source reads
/// under the non-constant modes). NaN if a pixel is NaN.
fn value_range<T: Sample>(src: &ImageView<'_, T>, padding: Padding) -> (f32, f32) {
    let mut lo = padding.constant().unwrap_or(0.0).min(0.0);
    let mut hi = padding.constant().unwrap_or(0.0).max(0.0);
    for row in src.rows() {
        for v in row {
            let v = v.to_f32();
            if v.is_nan() {
                return (f32::NAN, f32::NAN);
            }
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    (lo, hi)
}

/// The exact value output pixel `(j, i)`, channel `c` has under an integer shift.
fn shifted<T: Sample>(
    src: &ImageView<'_, T>,
    padding: Padding,
    j: usize,
    i: usize,
    c: usize,
    shift: (i64, i64),
) -> f32 {
    let x = padding.index(j as i64 + shift.0, src.width());
    let y = padding.index(i as i64 + shift.1, src.height());
    match (x, y) {
        (Some(x), Some(y)) => src.pixel(x, y)[c].to_f32(),
        _ => padding.constant().unwrap_or(0.0),
    }
}

fn check_interleaved<T: Sample>(
    src: ImageView<'_, T>,
    case: &Case<'_>,
    dst_size: (usize, usize),
    dst_channels: usize,
    dst_gap: usize,
    expect_error: bool,
) {
    let (width, height) = dst_size;
    let stride = width * dst_channels + dst_gap;
    let len = stride * (height - 1) + width * dst_channels;
    let run = |isa: Isa, prefill: T| -> (Result<(), Error>, Vec<T>) {
        let mut buf = vec![prefill; len];
        let result = match ImageViewMut::with_stride(&mut buf, width, height, dst_channels, stride)
        {
            Ok(dst) => sample::warp_into_with_isa(isa, src, dst, case.map, &case.options),
            Err(e) => panic!("destination view refused: {e}"),
        };
        (result, buf)
    };
    let [first, second] = T::PREFILL;
    let (reference, out) = run(Isa::Scalar, first);
    assert_eq!(
        reference.is_err(),
        expect_error,
        "scalar result {reference:?} for {case_map:?} {options:?}",
        case_map = case.map,
        options = case.options
    );
    for isa in Isa::available() {
        let (result, other) = run(isa, first);
        assert_eq!(
            format!("{result:?}"),
            format!("{reference:?}"),
            "{isa} result"
        );
        assert_eq!(
            bits_of(&other),
            bits_of(&out),
            "{isa} output differs from scalar"
        );
    }
    if reference.is_err() {
        assert!(
            out.iter().all(|v| v.bits() == first.bits()),
            "failed warp wrote output"
        );
        return;
    }
    let (_, again) = run(Isa::Scalar, second);
    let row_len = width * dst_channels;
    for i in 0..height {
        let pixels = i * stride..i * stride + row_len;
        assert_eq!(
            bits_of(&out[pixels.clone()]),
            bits_of(&again[pixels.clone()]),
            "row {i}: some output element was not written"
        );
        let gap_end = (pixels.end + dst_gap).min(len);
        assert!(
            out[pixels.end..gap_end]
                .iter()
                .all(|v| v.bits() == first.bits()),
            "row {i}: the stride gap was written"
        );
    }
    let row = |i: usize| &out[i * stride..i * stride + row_len];
    if case.options.values.is_none() {
        let (lo, hi) = value_range(&src, case.options.padding);
        if lo.is_finite() && hi.is_finite() && (case.probe || T::NAME == "u8") {
            let tol = 1e-5 * lo.abs().max(hi.abs()).max(1.0);
            // Stored values are rounded (u8), and rounding is monotone.
            let (lo, hi) = (T::from_f32(lo).to_f32(), T::from_f32(hi).to_f32());
            for i in 0..height {
                for (k, v) in row(i).iter().enumerate() {
                    let v = v.to_f32();
                    assert!(
                        (lo - tol..=hi + tol).contains(&v),
                        "pixel {}, {i}: {v} outside the source's range {lo}..{hi} (read from the stride gap?)",
                        k / dst_channels
                    );
                }
            }
        }
        if let Some(shift) = case.shift.filter(|_| lo.abs().max(hi.abs()) < 1e30) {
            for i in 0..height {
                for (k, v) in row(i).iter().enumerate() {
                    let want = shifted(
                        &src,
                        case.options.padding,
                        k / dst_channels,
                        i,
                        k % dst_channels,
                        shift,
                    );
                    // Equal as values: a `Constant(-0.0)` fill comes out as
                    // +0.0 through the lerp (`-0 + 0*(..)`), which is fine.
                    assert_eq!(
                        v.to_f32(),
                        T::from_f32(want).to_f32(),
                        "shift {shift:?}: pixel {}, {i} channel {}",
                        k / dst_channels,
                        k % dst_channels
                    );
                }
            }
        }
    }
}

fn check_planar<T: Sample>(
    src: ImageView<'_, T>,
    case: &Case<'_>,
    dst_size: (usize, usize),
    length_error: i8,
    expect_error: bool,
) {
    let (width, height) = dst_size;
    let channels = src.channels();
    let plane = width * height;
    let len = (plane * channels).saturating_add_signed(isize::from(length_error));
    let expect_error = expect_error || length_error != 0 && len != plane * channels;
    let run = |isa: Isa, prefill: f32| -> (Result<(), Error>, Vec<f32>) {
        let mut buf = vec![prefill; len];
        let result = sample::warp_planar_into_with_isa(
            isa,
            src,
            &mut buf,
            width,
            height,
            case.map,
            &case.options,
        );
        (result, buf)
    };
    let [first, second] = <f32 as Sample>::PREFILL;
    let (reference, out) = run(Isa::Scalar, first);
    assert_eq!(
        reference.is_err(),
        expect_error,
        "scalar planar result {reference:?} for {:?} {:?}",
        case.map,
        case.options
    );
    for isa in Isa::available() {
        let (result, other) = run(isa, first);
        assert_eq!(
            format!("{result:?}"),
            format!("{reference:?}"),
            "{isa} planar result"
        );
        assert_eq!(
            f32_bits(&other),
            f32_bits(&out),
            "{isa} planar output differs from scalar"
        );
    }
    if reference.is_err() {
        assert!(
            out.iter().all(|v| v.bits() == first.bits()),
            "failed warp wrote output"
        );
        return;
    }
    let (_, again) = run(Isa::Scalar, second);
    assert_eq!(
        f32_bits(&out),
        f32_bits(&again),
        "some planar element was not written"
    );
    if let (None, Some(shift)) = (case.options.values, case.shift) {
        let (lo, hi) = value_range(&src, case.options.padding);
        if lo.abs().max(hi.abs()) < 1e30 {
            for c in 0..channels {
                for i in 0..height {
                    for j in 0..width {
                        let want = shifted(&src, case.options.padding, j, i, c, shift);
                        assert_eq!(
                            out[c * plane + i * width + j],
                            want,
                            "planar shift {shift:?}: pixel {j}, {i} channel {c}"
                        );
                    }
                }
            }
        }
    }
}

fn run_typed<T: Sample>(input: &Input) {
    let (sw, sh) = (side(input.src_width), side(input.src_height));
    let (dw, dh) = (side(input.dst_width).max(1), side(input.dst_height).max(1));
    let channels = channels_of(input.channels);
    let (data, stride) = make_source::<T>(input, sw, sh, channels, usize::from(input.src_gap % 16));
    let src = match ImageView::with_stride(&data, sw, sh, channels, stride) {
        Ok(v) => v,
        Err(_) => {
            assert!(
                sw == 0 || sh == 0,
                "a {sw}x{sh}x{channels} view with stride {stride} was refused"
            );
            return;
        }
    };
    let Some(map) = build_map(&input.map, (sw, sh), (dw, dh)) else {
        return;
    };
    let options = WarpOptions {
        interpolation: if input.nearest {
            Interpolation::Nearest
        } else {
            Interpolation::Bilinear
        },
        padding: padding_of(input.padding),
        values: input.values.map(|c| ChannelAffine {
            scale: [0, 1, 2, 3].map(|k| c[k].value() as f32),
            offset: [4, 5, 6, 7].map(|k| c[k].value() as f32),
        }),
    };
    let shift = match input.map {
        MapSpec::Shift { dx, dy } => Some((i64::from(dx), i64::from(dy))),
        _ => None,
    };
    let case = Case {
        map: &map,
        options,
        shift,
        probe: input.gap_probe,
    };
    match input.layout {
        Layout::Interleaved { other_channels } => {
            let dst_channels = if other_channels {
                channels_of(input.channels.wrapping_add(1))
            } else {
                channels
            };
            let expect_error = must_fail(&map, &options, dst_channels != channels, (dw, dh));
            check_interleaved(
                src,
                &case,
                (dw, dh),
                dst_channels,
                usize::from(input.dst_gap % 16),
                expect_error,
            );
        }
        Layout::Planar { length_error } => {
            let length_error = if length_error % 4 == 0 {
                length_error / 4
            } else {
                0
            };
            let expect_error = must_fail(&map, &options, false, (dw, dh));
            check_planar(src, &case, (dw, dh), length_error, expect_error);
        }
    }
}

fuzz_target!(|input: Input| {
    if input.float {
        run_typed::<f32>(&input);
    } else {
        run_typed::<u8>(&input);
    }
});
