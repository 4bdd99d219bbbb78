//! The x86 kernel against the scalar reference, bit for bit, on both
//! flavours, with gathers on and off, and on rows long enough for every
//! batching to split.

use super::TEST_GATHERS;
use crate::{ChannelAffine, Interpolation, WarpOptions, warp_into_with_isa};
use geom::{Affine, Element, Image, Isa, Map, Padding};
use proptest::prelude::*;

/// A warp of `src` on `isa` with hardware gathers on or off.
fn warp<T: Element>(
    isa: Isa,
    gathers: bool,
    src: &Image<T>,
    out: (usize, usize),
    map: &Map,
    options: &WarpOptions,
) -> Result<Image<T>, TestCaseError> {
    let failed = |e: crate::Error| TestCaseError::fail(e.to_string());
    let mut dst = Image::<T>::new(out.0, out.1, src.channels()).map_err(|e| failed(e.into()))?;
    TEST_GATHERS.set(gathers);
    let warped = warp_into_with_isa(isa, src.view(), dst.view_mut(), map, options);
    TEST_GATHERS.set(true);
    warped.map_err(failed)?;
    Ok(dst)
}

/// A source of pseudo-random bytes drawn from `seed`.
fn hashed(w: usize, h: usize, channels: usize, seed: u32) -> Result<Image<u8>, TestCaseError> {
    Image::<u8>::from_fn(w, h, channels, |x, y, c| {
        let k = (x * 31 + y * 17 + c * 7) as u32 ^ seed;
        (k.wrapping_mul(2_654_435_761) >> 24) as u8
    })
    .map_err(|e| TestCaseError::fail(e.to_string()))
}

/// A rotation and zoom about `centre`, and options with `padding` and
/// the same value affine on every channel.
fn rotation(
    degrees: f64,
    zoom: f64,
    centre: (f64, f64),
    padding: Padding,
    values: Option<(f32, f32)>,
) -> (Map, WarpOptions) {
    let map = Map::Affine(
        Affine::rotate_about(degrees, centre).then(&Affine::scale_about(zoom, zoom, centre)),
    );
    let options = WarpOptions {
        padding,
        values: values.map(|(scale, offset)| ChannelAffine {
            scale: [scale; 4],
            offset: [offset; 4],
        }),
        ..WarpOptions::default()
    };
    (map, options)
}

/// Maps whose `x`, or `y`, passes `f64::MAX` within 46 pixels of a row,
/// starting at 0 or at -1e307: those pixels read the fill. The other
/// coordinate stays finite, so a lane must be tested on both.
fn overflowing() -> impl Strategy<Value = Map> {
    (prop_oneof![Just(0.0), Just(-1e307)], any::<bool>()).prop_map(|(start, along_y)| {
        Map::Affine(match along_y {
            false => Affine::new(4e306, 0.0, start, 0.0, 1.0, 0.0),
            true => Affine::new(1.0, 0.0, 0.0, 4e306, 0.0, start),
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Rows long enough for the span's blocks to come in several
    /// batches and chunks (`span_blocks_avx512`, `bilinear_blocks`' chunks
    /// up to the span), between edge blocks at both ends, give the
    /// reference's bits on every flavour.
    #[test]
    fn long_rows_give_the_references_bits(
        channels in prop_oneof![Just(1usize), Just(3), Just(4)],
        (w, h) in (200usize..700, 2usize..60),
        width in 129usize..900,
        degrees in -30.0f64..30.0,
        zoom in 0.5f64..2.0,
        padding in prop_oneof![Just(Padding::Border), Just(Padding::Constant(9.0)), Just(Padding::Wrap)],
        values in proptest::option::of((0.2f32..2.0, -40.0f32..40.0)),
        seed in any::<u32>(),
    ) {
        let src = hashed(w, h, channels, seed)?;
        let centre = (w as f64 / 2.0, h as f64 / 2.0);
        let (map, options) = rotation(degrees, zoom, centre, padding, values);
        // `f32` sources too, which the AVX2 flavour's span path takes.
        let src_f32 = Image::<f32>::from_fn(w, h, channels, |x, y, c| {
            f32::from(src.as_slice()[y * w * channels + x * channels + c]) * 0.37 - 20.0
        }).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let out = (width, 3);
        let reference = warp(Isa::Scalar, true, &src, out, &map, &options)?;
        let reference_f32 = warp(Isa::Scalar, true, &src_f32, out, &map, &options)?;
        for isa in [Isa::Avx2, Isa::Avx512].into_iter().filter(|isa| isa.is_available()) {
            let got = warp(isa, true, &src, out, &map, &options)?;
            prop_assert_eq!(got.as_slice(), reference.as_slice(), "{}", isa);
            let got = warp(isa, true, &src_f32, out, &map, &options)?;
            let bits = |image: &Image<f32>| image.as_slice().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            prop_assert_eq!(bits(&got), bits(&reference_f32), "{} f32", isa);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Gathering the taps' words (the AVX-512 gray blend, the vector
    /// edge path) or loading them one by one gives the reference's bits
    /// on both flavours. Outputs up to 69 pixels wide make runs of 2 to
    /// 8 gray blocks, odd ones included; rotations put some blocks on
    /// the edge path; right angles plan rows by columns (`axis`); rows
    /// whose positions overflow take it lane by lane.
    #[test]
    fn gathers_and_loads_give_the_references_bits(
        channels in prop_oneof![Just(1usize), Just(3), Just(4)],
        (w, h) in (2usize..48, 2usize..40),
        out in (1usize..70, 1usize..6),
        degrees in prop_oneof![3 => -180.0f64..180.0, 1 => Just(0.0), 1 => Just(180.0)],
        zoom in 0.3f64..3.0,
        centre in (-10.0f64..50.0, -10.0f64..50.0),
        padding in prop_oneof![
            Just(Padding::Border),
            Just(Padding::Constant(77.0)),
            Just(Padding::Reflect101),
            Just(Padding::Wrap),
        ],
        values in proptest::option::of((0.2f32..2.0, -40.0f32..40.0)),
        overflow in proptest::option::weighted(0.1, overflowing()),
        seed in any::<u32>(),
    ) {
        let src = hashed(w, h, channels, seed)?;
        let (mut map, options) = rotation(degrees, zoom, centre, padding, values);
        if let Some(overflow) = overflow {
            map = overflow;
        }
        let reference = warp(Isa::Scalar, true, &src, out, &map, &options)?;
        for isa in [Isa::Avx2, Isa::Avx512].into_iter().filter(|isa| isa.is_available()) {
            for gathers in [true, false] {
                let got = warp(isa, gathers, &src, out, &map, &options)?;
                prop_assert_eq!(got.as_slice(), reference.as_slice(), "{} gathers {}", isa, gathers);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(768))]

    /// Nearest `u8` to `u8` warps without a value affine, whose blocks
    /// move source bytes (`nearest_bytes`, and 16 pixels at a time
    /// `nearest_bytes_avx512`), give the reference's bits on both
    /// flavours, gathers on and off, under every padding: taps on the
    /// last row and column, fills that round or clamp, rows of 16 pixels
    /// and more, at any angle and zoom (1:1 ones put taps on whole pixels),
    /// and rows whose `x` or `y` overflows to infinity.
    #[test]
    fn nearest_bytes_give_the_references_bits(
        channels in prop_oneof![Just(1usize), Just(3), Just(4)],
        (w, h) in (1usize..60, 1usize..40),
        out in (1usize..120, 1usize..5),
        degrees in prop_oneof![3 => -180.0f64..180.0, 1 => Just(0.0), 1 => Just(90.0)],
        zoom in prop_oneof![3 => 0.3f64..3.0, 1 => Just(1.0)],
        centre in (-10.0f64..60.0, -10.0f64..50.0),
        padding in prop_oneof![
            Just(Padding::Border),
            Just(Padding::Constant(77.5)),
            Just(Padding::Constant(-3.0)),
            Just(Padding::Constant(300.0)),
            Just(Padding::Zeros),
            Just(Padding::Reflect101),
            Just(Padding::Reflect),
            Just(Padding::Wrap),
        ],
        overflow in proptest::option::weighted(0.2, overflowing()),
        seed in any::<u32>(),
    ) {
        let src = hashed(w, h, channels, seed)?;
        let (mut map, mut options) = rotation(degrees, zoom, centre, padding, None);
        options.interpolation = Interpolation::Nearest;
        if let Some(overflow) = overflow {
            map = overflow;
        }
        let reference = warp(Isa::Scalar, true, &src, out, &map, &options)?;
        for isa in [Isa::Avx2, Isa::Avx512].into_iter().filter(|isa| isa.is_available()) {
            for gathers in [true, false] {
                let got = warp(isa, gathers, &src, out, &map, &options)?;
                prop_assert_eq!(got.as_slice(), reference.as_slice(), "{} gathers {}", isa, gathers);
            }
        }
    }
}
