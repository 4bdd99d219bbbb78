//! Blur filters for augmentation: Gaussian (direct or FFT), box (running
//! sums), motion and directional blur, and the separable and sparse 2-D
//! convolutions under them; and the two downscales that antialias a large
//! shrink: the box downscale by power-of-two factors ([`box_downscale`])
//! and the area downscale, the exact mean over a rectangle at any stride
//! ([`area_downscale`]). `u8` and `f32`, 1, 3
//! or 4 interleaved channels, every padding mode of [`geom::Padding`].
//!
//! ```
//! use geom::{Image, Padding};
//!
//! let src = Image::<u8>::from_fn(64, 48, 3, |x, y, c| (x * 4 + y + c) as u8)?;
//! let mut dst = Image::<u8>::new(64, 48, 3)?;
//! filter::gaussian_blur_into(src.view(), dst.view_mut(), 2.0, 2.0, Padding::Reflect101)?;
//! filter::motion_blur_into(src.view(), dst.view_mut(), 15.0, 30.0, Padding::Border)?;
//! let boxed = filter::box_blur(src.view(), 5, 5, Padding::Reflect101)?;
//! assert_eq!(boxed.width(), 64);
//! let quarter = filter::box_downscale(src.view(), 4, 4, Padding::Reflect101)?;
//! assert_eq!((quarter.width(), quarter.height()), (16, 12));
//! // 64 -> 20 columns (3.2x), each pixel the mean over 3.2 source columns.
//! let x = filter::AreaAxis::new(20, 1.1, 3.2, 3.2);
//! let y = filter::AreaAxis::identity(0, 48);
//! let area = filter::area_downscale(src.view(), x, y, Padding::Reflect101)?;
//! assert_eq!((area.width(), area.height()), (20, 48));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Arithmetic
//!
//! Every filter is a sum of weighted, shifted rows in `f32` (the box blur
//! excepted: running sums, see [`box_blur_into`]). The scalar reference
//! (`kernels::scalar`) is the specification: each tap is one fused
//! multiply-add (`f32::mul_add`, one rounding) in a documented order, separable filters keep the
//! first pass in `f32` (never rounded to `u8`), and the store rounds `u8`
//! half to even. The first pass is the horizontal one, except for direct
//! `u8` convolutions, which sum columns first: that order reads the source's
//! bytes straight into the vertical sums. The SIMD paths (AVX-512, AVX2, NEON, chosen at run time by
//! [`Isa::selected`]) vectorise across output pixels and keep that order, so
//! they return the same bits. Against an exact `f64` convolution with the
//! same weights, `u8` output is within 0.5 LSB plus float noise (≤ 0.501)
//! and `f32` within 1e-5 of the value range.
//!
//! Large Gaussian kernels go through the FFT ([`Method::Fft`]) from
//! [`fft_crossover_radius`] on (radius 31, 40 on the AVX-512 path, where
//! direct summation stays faster longer); that path matches the direct one
//! within 1e-4 of the value range (`f32`) or 1 LSB (`u8`), not bit for bit,
//! and RustFFT's results depend on the instruction set (see [`Method`]), so
//! from radius 31 on the paths' results may differ by that much.
//!
//! The box downscale sums each block in `f32` and rounds once, when it
//! stores the mean (exact for `u8` blocks of up to 65536 values; see
//! [`box_downscale`]); its paths return the same bits too. The area
//! downscale puts each rectangle's ends on a 1/16-pixel grid, sums `u8`
//! values in exact integers and divides once in `f32`, which gives the
//! exact mean correctly rounded (the argument is in [`area_downscale`]'s
//! module, `area.rs`); `f32` sums run in a fixed order on every path.
//!
//! # Code layout
//!
//! `weights/` holds what a filter multiplies by (1-D kernels, the
//! Gaussian, sparse 2-D kernels); `kernels/` holds how (the scalar
//! reference, the generic SIMD path, the downscale's integer and AVX-512
//! routines, the only `unsafe` in the crate). Each operation (`separable`,
//! `fft/`, `boxblur`, `sparse`, `downscale`, `area`) decides its route once per
//! call: `element` turns the caller's element type into `u8` or `f32` at
//! the entry, and the [`Isa`] picks the kernel path.
//!
//! # Padding
//!
//! Reads outside the image follow the [`Padding`] rule on each axis, exactly
//! as the sampler does: `Constant(v)`/`Zeros` (corners too), `Border`,
//! `Reflect`, `Reflect101`, `Wrap` (for which the FFT path is exactly
//! circular convolution). Kernels may be larger than the image.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod area;
mod axis;
mod boxblur;
mod cache;
mod downscale;
mod element;
mod error;
mod fft;
mod kernels;
mod method;
mod rows;
mod separable;
mod sparse;
mod weights;

pub use area::{
    AreaAxis, AreaScratch, area_downscale, area_downscale_into, area_downscale_into_with_isa,
    area_downscale_with_isa,
};
pub use downscale::{
    BlockRegion, DownscaleScratch, box_downscale, box_downscale_into, box_downscale_into_with_isa,
    box_downscale_with_isa,
};
pub use error::{Error, Result};
pub use method::{FFT_CROSSOVER_RADIUS, FFT_CROSSOVER_RADIUS_AVX512, Method, fft_crossover_radius};
pub use weights::{
    KERNEL_CACHE_CAPACITY, Kernel, Kernel2d, MAX_RADIUS, MAX_TAPS, Tap, default_radius,
    directional_kernel, gaussian_kernel, motion_kernel,
};

use axis::Axis;
use geom::{Element, Image, ImageView, ImageViewMut, Isa, Padding};

/// Checks that input and output agree and the padding constant is finite.
fn check<T: Element>(
    src: &ImageView<'_, T>,
    dst: &ImageViewMut<'_, T>,
    padding: Padding,
) -> Result<()> {
    if src.shape() != dst.shape() {
        return Err(Error::ShapeMismatch {
            input: src.shape(),
            output: dst.shape(),
        });
    }
    check_padding(padding)
}

/// Checks that the padding constant, if any, is finite.
fn check_padding(padding: Padding) -> Result<()> {
    if let Some(value) = padding.constant().filter(|v| !v.is_finite()) {
        return Err(Error::InvalidParameter {
            what: "padding constant",
            value: f64::from(value),
            expected: "a finite number",
        });
    }
    Ok(())
}

/// An output image shaped like `src`.
fn like<T: Element>(src: &ImageView<'_, T>) -> Result<Image<T>> {
    Ok(Image::new(src.width(), src.height(), src.channels())?)
}

/// Gaussian blur with standard deviations `sigma_x` (along rows) and
/// `sigma_y` (along columns), kernel radius `ceil(3σ)` on each axis (see
/// [`gaussian_kernel`]). Large radii run through the FFT; callers never
/// choose (see [`fft_crossover_radius`]).
///
/// Errors: σ not finite or not positive, a radius above [`MAX_RADIUS`],
/// shapes that differ, a non-finite padding constant.
///
/// ```
/// use geom::{Image, Padding};
/// let src = Image::<f32>::from_fn(9, 9, 1, |x, y, _| if (x, y) == (4, 4) { 1.0 } else { 0.0 })?;
/// let mut dst = Image::<f32>::new(9, 9, 1)?;
/// filter::gaussian_blur_into(src.view(), dst.view_mut(), 1.0, 1.0, Padding::Zeros)?;
/// let k = filter::gaussian_kernel(1.0, None)?;
/// assert!((dst.view().pixel(4, 4)[0] - k[3] * k[3]).abs() < 1e-7);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn gaussian_blur_into<T: Element>(
    src: ImageView<'_, T>,
    dst: ImageViewMut<'_, T>,
    sigma_x: f32,
    sigma_y: f32,
    padding: Padding,
) -> Result<()> {
    gaussian_blur_into_with_isa(Isa::selected(), src, dst, sigma_x, sigma_y, padding)
}

/// [`gaussian_blur_into`] on a chosen kernel path (tests, benches, bug reports).
pub fn gaussian_blur_into_with_isa<T: Element>(
    isa: Isa,
    src: ImageView<'_, T>,
    dst: ImageViewMut<'_, T>,
    sigma_x: f32,
    sigma_y: f32,
    padding: Padding,
) -> Result<()> {
    weights::gaussian_radius("sigma_x", sigma_x, None)?;
    weights::gaussian_radius("sigma_y", sigma_y, None)?;
    let kx = gaussian_kernel(sigma_x, None)?;
    let ky = gaussian_kernel(sigma_y, None)?;
    separable_convolve_into_with_isa(isa, Method::Auto, src, dst, &kx, &ky, padding)
}

/// [`gaussian_blur_into`] into a new image.
pub fn gaussian_blur<T: Element>(
    src: ImageView<'_, T>,
    sigma_x: f32,
    sigma_y: f32,
    padding: Padding,
) -> Result<Image<T>> {
    let mut out = like(&src)?;
    gaussian_blur_into(src, out.view_mut(), sigma_x, sigma_y, padding)?;
    Ok(out)
}

/// Separable convolution: each row with `kernel_x`, then each column of the
/// `f32` result with `kernel_y` (odd lengths, centred; see [`Kernel`]).
/// Each axis runs direct or by FFT according to its radius ([`Method::Auto`]).
///
/// ```
/// use geom::{Image, Padding};
/// let src = Image::<u8>::from_fn(4, 1, 1, |x, _, _| [0, 4, 8, 16][x])?;
/// let mut dst = Image::<u8>::new(4, 1, 1)?;
/// filter::separable_convolve_into(src.view(), dst.view_mut(), &[0.25, 0.5, 0.25], &[1.0], Padding::Wrap)?;
/// assert_eq!(dst.as_slice(), &[5, 4, 9, 10]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn separable_convolve_into<T: Element>(
    src: ImageView<'_, T>,
    dst: ImageViewMut<'_, T>,
    kernel_x: &[f32],
    kernel_y: &[f32],
    padding: Padding,
) -> Result<()> {
    separable_convolve_into_with_isa(
        Isa::selected(),
        Method::Auto,
        src,
        dst,
        kernel_x,
        kernel_y,
        padding,
    )
}

/// [`separable_convolve_into`] on a chosen kernel path and method (both axes).
pub fn separable_convolve_into_with_isa<T: Element>(
    isa: Isa,
    method: Method,
    src: ImageView<'_, T>,
    dst: ImageViewMut<'_, T>,
    kernel_x: &[f32],
    kernel_y: &[f32],
    padding: Padding,
) -> Result<()> {
    check(&src, &dst, padding)?;
    weights::check_weights("kernel_x", kernel_x)?;
    weights::check_weights("kernel_y", kernel_y)?;
    let op = separable::Separable {
        isa,
        x: Axis::centred(kernel_x, method),
        y: Axis::centred(kernel_y, method),
        padding,
    };
    element::run(&op, src, dst)
}

/// Box blur (mean over a `width x height` window), by running sums: the cost
/// per pixel does not depend on the box size. The window of pixel `x` covers
/// `x - width/2 ..= x + (width-1)/2` (OpenCV's default anchor), and the same
/// vertically.
///
/// `u8` sums are exact integers; the mean is rounded once. Errors: a side of
/// 0 or above `2·MAX_RADIUS + 1`, shapes that differ, a non-finite padding
/// constant.
///
/// ```
/// use geom::{Image, Padding};
/// let src = Image::<u8>::from_fn(3, 1, 1, |x, _, _| [0, 30, 60][x])?;
/// let mut dst = Image::<u8>::new(3, 1, 1)?;
/// filter::box_blur_into(src.view(), dst.view_mut(), 3, 1, Padding::Reflect101)?;
/// assert_eq!(dst.as_slice(), &[20, 30, 40]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn box_blur_into<T: Element>(
    src: ImageView<'_, T>,
    dst: ImageViewMut<'_, T>,
    width: usize,
    height: usize,
    padding: Padding,
) -> Result<()> {
    box_blur_into_with_isa(Isa::selected(), src, dst, width, height, padding)
}

/// [`box_blur_into`] on a chosen kernel path.
pub fn box_blur_into_with_isa<T: Element>(
    isa: Isa,
    src: ImageView<'_, T>,
    dst: ImageViewMut<'_, T>,
    width: usize,
    height: usize,
    padding: Padding,
) -> Result<()> {
    check(&src, &dst, padding)?;
    for (what, size) in [("box width", width), ("box height", height)] {
        if size == 0 {
            return Err(Error::InvalidParameter {
                what,
                value: 0.0,
                expected: "at least 1 pixel",
            });
        }
        if size / 2 > MAX_RADIUS {
            return Err(Error::RadiusTooLarge {
                what,
                value: size as f64,
                radius: (size / 2) as u64,
                max: MAX_RADIUS,
            });
        }
    }
    let op = boxblur::BoxBlur {
        isa,
        kx: width,
        ky: height,
        padding,
    };
    element::run(&op, src, dst)
}

/// [`box_blur_into`] into a new image.
pub fn box_blur<T: Element>(
    src: ImageView<'_, T>,
    width: usize,
    height: usize,
    padding: Padding,
) -> Result<Image<T>> {
    let mut out = like(&src)?;
    box_blur_into(src, out.view_mut(), width, height, padding)?;
    Ok(out)
}

/// Motion blur: averages along a straight segment of `length` pixels through
/// each pixel, at `angle_degrees` counter-clockwise on screen from the `+x`
/// axis (see [`motion_kernel`]: anti-aliased, normalised, about `2·length`
/// taps, so the cost per pixel is linear in the length).
///
/// ```
/// use geom::{Image, Padding};
/// let src = Image::<u8>::from_fn(32, 32, 3, |x, y, _| ((x ^ y) * 8) as u8)?;
/// let mut dst = Image::<u8>::new(32, 32, 3)?;
/// filter::motion_blur_into(src.view(), dst.view_mut(), 9.0, 45.0, Padding::Reflect101)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn motion_blur_into<T: Element>(
    src: ImageView<'_, T>,
    dst: ImageViewMut<'_, T>,
    length: f32,
    angle_degrees: f32,
    padding: Padding,
) -> Result<()> {
    motion_blur_into_with_isa(Isa::selected(), src, dst, length, angle_degrees, padding)
}

/// [`motion_blur_into`] on a chosen kernel path.
pub fn motion_blur_into_with_isa<T: Element>(
    isa: Isa,
    src: ImageView<'_, T>,
    dst: ImageViewMut<'_, T>,
    length: f32,
    angle_degrees: f32,
    padding: Padding,
) -> Result<()> {
    check(&src, &dst, padding)?;
    let kernel = motion_kernel(length, angle_degrees)?;
    let op = sparse::Sparse {
        isa,
        kernel: &kernel,
        padding,
    };
    element::run(&op, src, dst)
}

/// [`motion_blur_into`] into a new image.
pub fn motion_blur<T: Element>(
    src: ImageView<'_, T>,
    length: f32,
    angle_degrees: f32,
    padding: Padding,
) -> Result<Image<T>> {
    let mut out = like(&src)?;
    motion_blur_into(src, out.view_mut(), length, angle_degrees, padding)?;
    Ok(out)
}

/// Directional blur: a Gaussian of standard deviation `sigma_along` along
/// `angle_degrees` (counter-clockwise on screen) and `sigma_across` across
/// it (see [`directional_kernel`]); a soft-edged motion blur when
/// `sigma_along` is much larger.
pub fn directional_blur_into<T: Element>(
    src: ImageView<'_, T>,
    dst: ImageViewMut<'_, T>,
    sigma_along: f32,
    sigma_across: f32,
    angle_degrees: f32,
    padding: Padding,
) -> Result<()> {
    directional_blur_into_with_isa(
        Isa::selected(),
        src,
        dst,
        sigma_along,
        sigma_across,
        angle_degrees,
        padding,
    )
}

/// [`directional_blur_into`] on a chosen kernel path.
pub fn directional_blur_into_with_isa<T: Element>(
    isa: Isa,
    src: ImageView<'_, T>,
    dst: ImageViewMut<'_, T>,
    sigma_along: f32,
    sigma_across: f32,
    angle_degrees: f32,
    padding: Padding,
) -> Result<()> {
    check(&src, &dst, padding)?;
    let kernel = directional_kernel(sigma_along, sigma_across, angle_degrees)?;
    let op = sparse::Sparse {
        isa,
        kernel: &kernel,
        padding,
    };
    element::run(&op, src, dst)
}

/// 2-D convolution (correlation, as OpenCV's `filter2D`) with a sparse
/// kernel: `out(x, y) = Σ w · in(x + dx, y + dy)` over the kernel's taps,
/// summed in their order in [`Kernel2d::taps`] (column by column from the
/// left, each top to bottom).
///
/// ```
/// use filter::{Kernel2d, Tap};
/// use geom::{Image, Padding};
/// let src = Image::<f32>::from_fn(3, 3, 1, |x, y, _| (x + 10 * y) as f32)?;
/// let mut dst = Image::<f32>::new(3, 3, 1)?;
/// // Read the pixel below-right: a shift.
/// let shift = Kernel2d::from_taps([Tap { dx: 1, dy: 1, weight: 1.0 }])?;
/// filter::convolve_2d_into(src.view(), dst.view_mut(), &shift, Padding::Border)?;
/// assert_eq!(dst.view().pixel(0, 0), &[11.0]);
/// assert_eq!(dst.view().pixel(2, 2), &[22.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn convolve_2d_into<T: Element>(
    src: ImageView<'_, T>,
    dst: ImageViewMut<'_, T>,
    kernel: &Kernel2d,
    padding: Padding,
) -> Result<()> {
    convolve_2d_into_with_isa(Isa::selected(), src, dst, kernel, padding)
}

/// [`convolve_2d_into`] on a chosen kernel path.
pub fn convolve_2d_into_with_isa<T: Element>(
    isa: Isa,
    src: ImageView<'_, T>,
    dst: ImageViewMut<'_, T>,
    kernel: &Kernel2d,
    padding: Padding,
) -> Result<()> {
    check(&src, &dst, padding)?;
    let op = sparse::Sparse {
        isa,
        kernel,
        padding,
    };
    element::run(&op, src, dst)
}

/// One blur, as a value: what a random transform draws and then applies.
///
/// ```
/// use filter::Blur;
/// use geom::{Image, Padding};
/// let src = Image::<u8>::new(16, 16, 3)?;
/// let mut dst = Image::<u8>::new(16, 16, 3)?;
/// Blur::Motion { length: 7.0, angle_degrees: -20.0 }.apply_into(src.view(), dst.view_mut(), Padding::Reflect101)?;
/// # Ok::<(), filter::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Blur {
    /// [`gaussian_blur_into`].
    Gaussian {
        /// Standard deviation along rows.
        sigma_x: f32,
        /// Standard deviation along columns.
        sigma_y: f32,
    },
    /// [`box_blur_into`].
    Box {
        /// Window width.
        width: usize,
        /// Window height.
        height: usize,
    },
    /// [`motion_blur_into`].
    Motion {
        /// Segment length in pixels.
        length: f32,
        /// Direction, degrees counter-clockwise on screen.
        angle_degrees: f32,
    },
    /// [`directional_blur_into`].
    Directional {
        /// Standard deviation along the direction.
        sigma_along: f32,
        /// Standard deviation across it.
        sigma_across: f32,
        /// Direction, degrees counter-clockwise on screen.
        angle_degrees: f32,
    },
}

impl Blur {
    /// Applies the blur from `src` into `dst`.
    pub fn apply_into<T: Element>(
        &self,
        src: ImageView<'_, T>,
        dst: ImageViewMut<'_, T>,
        padding: Padding,
    ) -> Result<()> {
        self.apply_into_with_isa(Isa::selected(), src, dst, padding)
    }

    /// [`Blur::apply_into`] on a chosen kernel path.
    pub fn apply_into_with_isa<T: Element>(
        &self,
        isa: Isa,
        src: ImageView<'_, T>,
        dst: ImageViewMut<'_, T>,
        padding: Padding,
    ) -> Result<()> {
        match *self {
            Blur::Gaussian { sigma_x, sigma_y } => {
                gaussian_blur_into_with_isa(isa, src, dst, sigma_x, sigma_y, padding)
            }
            Blur::Box { width, height } => {
                box_blur_into_with_isa(isa, src, dst, width, height, padding)
            }
            Blur::Motion {
                length,
                angle_degrees,
            } => motion_blur_into_with_isa(isa, src, dst, length, angle_degrees, padding),
            Blur::Directional {
                sigma_along,
                sigma_across,
                angle_degrees,
            } => directional_blur_into_with_isa(
                isa,
                src,
                dst,
                sigma_along,
                sigma_across,
                angle_degrees,
                padding,
            ),
        }
    }
}
