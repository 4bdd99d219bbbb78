//! `outside_ends` against a pixel-by-pixel count, on affine rows of any
//! slope and offset, finite or not, for bilinear and nearest taps.

use super::*;
use crate::kernels::scalar::FAR;
use proptest::prelude::*;

/// A source of `w` x `h` one-channel pixels under a zero fill.
fn geometry(w: i32, h: i32) -> Geometry {
    Geometry {
        nearest_x: w - 1,
        nearest_y: h - 1,
        stride: w,
        len: w * h,
        w,
        h,
        padding: Padding::Zeros,
        fill: 0.0,
        avx512: false,
        gathers: false,
        vbmi: false,
    }
}

/// Slopes: gentle, steep, zero, tiny, and any `f64` at all.
fn slope() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -3.0..3.0f64,
        1 => Just(0.0),
        1 => Just(-0.0),
        1 => -1e-6..1e-6f64,
        1 => -1e6..1e6f64,
        1 => proptest::num::f64::ANY,
    ]
}

/// Offsets: near the source, far from it, and any `f64` at all.
fn offset() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -300.0..300.0f64,
        1 => -1e12..1e12f64,
        1 => proptest::num::f64::ANY,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    /// Pixels `..lead` and `tail..` are wholly outside and the pixels
    /// just inside those ends are not, exactly as each pixel's own test
    /// (`outside_fill`'s, on the positions `Row::at` gives) says.
    #[test]
    fn outside_ends_match_each_pixels_test(
        (w, h) in (1..40i32, 1..40i32),
        width in 0..400usize,
        (a, rx, d, ry) in (slope(), offset(), slope(), offset()),
        interpolation in prop_oneof![Just(Interpolation::Bilinear), Just(Interpolation::Nearest)],
    ) {
        let row = Row::Affine { a, rx, d, ry };
        let (w_f, h_f) = (f64::from(w), f64::from(h));
        let outside = |j: usize| {
            let (x, y) = row.at(j);
            if !(x.is_finite() && y.is_finite()) {
                return false;
            }
            match interpolation {
                // Both bilinear columns (rows) outside `0..w` (`0..h`).
                Interpolation::Bilinear => x < -1.0 || x >= w_f || y < -1.0 || y >= h_f,
                // `Source::nearest`'s tap outside.
                Interpolation::Nearest => {
                    let tap = |v: f64| (v.clamp(-FAR, FAR) + 0.5).floor() as i64;
                    let (ix, iy) = (tap(x), tap(y));
                    ix < 0 || ix >= i64::from(w) || iy < 0 || iy >= i64::from(h)
                }
            }
        };
        let lead = (0..width).find(|&j| !outside(j)).unwrap_or(width);
        let tail = (0..width).rfind(|&j| !outside(j)).map_or(0, |j| j + 1);
        if !(is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")) {
            return Ok(());
        }
        // SAFETY: the CPU has AVX2 and FMA, just checked.
        let ends = unsafe { outside_ends(geometry(w, h), interpolation, &row, width) };
        prop_assert_eq!(ends, Some((lead, tail)));
    }
}

/// Rows other than affine ones have no ends found.
#[test]
fn only_affine_rows_have_ends() {
    let grid = [-5.0f32, -5.0, 1.0, 1.0];
    if !(is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")) {
        return;
    }
    for interpolation in [Interpolation::Bilinear, Interpolation::Nearest] {
        // SAFETY: the CPU has AVX2 and FMA, just checked.
        let ends = unsafe { outside_ends(geometry(4, 4), interpolation, &Row::Grid(&grid), 2) };
        assert_eq!(ends, None);
    }
}
