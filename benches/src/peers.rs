//! The `libblur` calls the filter benches time against ours, in one place
//! so the criterion groups (`benches/filter.rs`) and the paired ratios
//! (`benches/paired.rs`) run exactly the same peer work: RGB, one thread,
//! `Reflect101` edges where the call takes them (ours pads the same way).

use libblur::{
    BlurImage, BlurImageMut, BoxBlurParameters, ConvolutionMode, EdgeMode, EdgeMode2D,
    FastBlurChannels, GaussianBlurParams, IeeeBinaryConvolutionMode, ThreadingPolicy,
};

/// The padding every filter bench uses, ours and the peers'.
pub const PADDING: geom::Padding = geom::Padding::Reflect101;
const EDGES: EdgeMode2D = EdgeMode2D::new(EdgeMode::Reflect101);

/// `libblur`'s Gaussian kernel size for ours at `sigma`: the same radius.
fn libblur_kernel(sigma: f32) -> u32 {
    2 * filter::default_radius(sigma) as u32 + 1
}

/// `libblur`'s result; the benches' inputs are fixed and valid, so an error
/// is a broken build, not a measurement.
fn done(result: Result<(), libblur::BlurError>) {
    if result.is_err() {
        std::process::abort();
    }
}

/// `libblur::gaussian_blur` of an RGB `u8` image of `width x height` in
/// `mode` (`Exact` accumulates in `f32`, but stores the horizontal pass as
/// `u8`; `FixedPoint` is its approximate default). `examples/rounding.rs`
/// measures the exact mode's accuracy.
pub fn gaussian_u8(
    src: &[u8],
    out: &mut [u8],
    (width, height): (u32, u32),
    sigma: f32,
    mode: ConvolutionMode,
) {
    let src = BlurImage::borrow(src, width, height, FastBlurChannels::Channels3);
    let mut dst = BlurImageMut::borrow(out, width, height, FastBlurChannels::Channels3);
    let params = GaussianBlurParams::new(libblur_kernel(sigma), f64::from(sigma));
    done(libblur::gaussian_blur(
        &src,
        &mut dst,
        params,
        EDGES,
        ThreadingPolicy::Single,
        mode,
    ));
}

/// `libblur::gaussian_blur_f32` of an RGB `f32` image.
pub fn gaussian_f32(src: &[f32], out: &mut [f32], (width, height): (u32, u32), sigma: f32) {
    let src = BlurImage::borrow(src, width, height, FastBlurChannels::Channels3);
    let mut dst = BlurImageMut::borrow(out, width, height, FastBlurChannels::Channels3);
    let params = GaussianBlurParams::new(libblur_kernel(sigma), f64::from(sigma));
    done(libblur::gaussian_blur_f32(
        &src,
        &mut dst,
        params,
        EDGES,
        ThreadingPolicy::Single,
        IeeeBinaryConvolutionMode::Normal,
    ));
}

/// `libblur::box_blur` with a `k x k` box, RGB `u8`.
pub fn box_u8(src: &[u8], out: &mut [u8], (width, height): (u32, u32), k: u32) {
    let src = BlurImage::borrow(src, width, height, FastBlurChannels::Channels3);
    let mut dst = BlurImageMut::borrow(out, width, height, FastBlurChannels::Channels3);
    done(libblur::box_blur(
        &src,
        &mut dst,
        BoxBlurParameters::new(k),
        ThreadingPolicy::Single,
    ));
}

/// `libblur::motion_blur` of `length` taps at `angle` degrees, RGB `u8`:
/// a Bresenham line of equal weights, convolved by `filter_2d` (in `i16`
/// fixed point on AVX2).
pub fn motion_u8(
    src: &[u8],
    out: &mut [u8],
    (width, height): (u32, u32),
    length: usize,
    angle: f32,
) {
    let src = BlurImage::borrow(src, width, height, FastBlurChannels::Channels3);
    let mut dst = BlurImageMut::borrow(out, width, height, FastBlurChannels::Channels3);
    done(libblur::motion_blur(
        &src,
        &mut dst,
        angle,
        length,
        EDGES,
        libblur::Scalar::default(),
        ThreadingPolicy::Single,
    ));
}
