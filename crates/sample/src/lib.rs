//! One-pass resampling through a coordinate map: nearest and bilinear, every
//! padding mode of [`geom::Padding`], `u8` and `f32`, 1, 3 or 4 channels.
//!
//! A map takes each *output* pixel centre to the *source* position it reads
//! (a pull map, see [`geom::Map`]). Affine and projective maps are evaluated
//! row by row; no coordinate buffer is built, and only the source pixels the
//! output needs are read. A per-channel affine on values (lighting,
//! normalisation) can be fused into the same pass, and the output can be
//! interleaved like the source or planar `f32` (a CHW tensor).
//!
//! ```
//! use geom::{Affine, Image, Map, Padding};
//! use sample::{Interpolation, WarpOptions};
//!
//! let src = Image::<u8>::from_fn(64, 48, 3, |x, y, c| (x + y + c) as u8)?;
//! let mut dst = Image::<u8>::new(64, 48, 3)?;
//! // Turn the content 30° counter-clockwise about the centre: the sampler
//! // takes the inverse (output to source).
//! let forward = Affine::rotate_about(30.0, (31.5, 23.5));
//! let options = WarpOptions {
//!     interpolation: Interpolation::Bilinear,
//!     padding: Padding::Reflect101,
//!     values: None,
//! };
//! sample::warp_into(src.view(), dst.view_mut(), &Map::Affine(forward.inverse()?), &options)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The arithmetic is specified by the scalar reference (see the
//! `kernels::scalar` module docs): bilinear in `f32` on exact `f64`
//! positions, `u8` rounded half to even. Against an exact `f64` bilinear,
//! `u8` output is within 0.5 LSB plus float noise and `f32` within 1e-5 of
//! the value range.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod coords;
mod error;
mod kernels;
mod options;

pub use error::{Error, Result};
pub use options::{ChannelAffine, Interpolation, WarpOptions};

use geom::{Element, Image, ImageView, ImageViewMut, Isa, Map};
use kernels::scalar::Source;
use kernels::sink::{InterleavedRows, PlanarRows};
use kernels::{Job, Path};
use options::prepare;

/// Samples `src` through `map` (output pixel to source position) into a new
/// `width x height` image with `src`'s channel count; [`warp_into`] writes
/// into a buffer you keep instead.
///
/// ```
/// use geom::{Affine, Image, Map};
/// use sample::WarpOptions;
/// let src = Image::<u8>::from_fn(8, 8, 1, |x, y, _| (10 * x + y) as u8)?;
/// // Output pixel (x, y) reads source (x + 2, y): the content moves left by 2.
/// let map = Map::Affine(Affine::new(1.0, 0.0, 2.0, 0.0, 1.0, 0.0));
/// let out = sample::warp(src.view(), &map, 4, 4, &WarpOptions::default())?;
/// assert_eq!(out.pixel(0, 1)[0], 21);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn warp<T: Element>(
    src: ImageView<'_, T>,
    map: &Map,
    width: usize,
    height: usize,
    options: &WarpOptions,
) -> Result<Image<T>> {
    let mut out = Image::new(width, height, src.channels())?;
    warp_into(src, out.view_mut(), map, options)?;
    Ok(out)
}

/// Fills `dst` by sampling `src` through `map` (output pixel to source
/// position). `src` and `dst` must have the same channel count; their sizes
/// are independent.
///
/// Runs on the kernel path [`Isa::selected`] names.
pub fn warp_into<T: Element>(
    src: ImageView<'_, T>,
    dst: ImageViewMut<'_, T>,
    map: &Map,
    options: &WarpOptions,
) -> Result<()> {
    warp_into_with_isa(Isa::selected(), src, dst, map, options)
}

/// [`warp_into`] on a chosen kernel path (for tests, benches and bug reports); a
/// path the CPU lacks runs the scalar reference. Every path gives the same
/// bits.
pub fn warp_into_with_isa<T: Element>(
    isa: Isa,
    src: ImageView<'_, T>,
    dst: ImageViewMut<'_, T>,
    map: &Map,
    options: &WarpOptions,
) -> Result<()> {
    warp_on(Path::Isa(isa), src, dst, map, options)
}

fn warp_on<T: Element>(
    path: Path,
    src: ImageView<'_, T>,
    dst: ImageViewMut<'_, T>,
    map: &Map,
    options: &WarpOptions,
) -> Result<()> {
    if src.channels() != dst.channels() {
        return Err(Error::ChannelMismatch {
            source_channels: src.channels(),
            destination: dst.channels(),
        });
    }
    let (width, height) = (dst.width(), dst.height());
    let map = prepare(width, height, map, options)?;
    Job {
        source: Source::new(src, options.padding),
        interpolation: options.interpolation,
        values: options.values,
        map,
        width,
        height,
        rows: InterleavedRows(dst),
    }
    .run(path);
    Ok(())
}

/// Fills a planar `f32` output (`channels` planes of `width x height`, the
/// CHW layout of a tensor) by sampling `src` through `map`, with the value
/// affine (for example [`ChannelAffine::normalise`]) fused in. No intermediate
/// image is made.
///
/// ```
/// use geom::{Image, Map, Rect};
/// use sample::{ChannelAffine, WarpOptions};
/// let src = Image::<u8>::from_fn(8, 8, 3, |x, _, c| (x * 30 + c) as u8)?;
/// let mut tensor = vec![0.0f32; 3 * 4 * 4];
/// let options = WarpOptions {
///     values: Some(ChannelAffine::uniform(1.0 / 255.0, 0.0)),
///     ..WarpOptions::default()
/// };
/// let map = Map::Affine(Rect::image(8, 8).to_output(4, 4)?);
/// sample::warp_planar_into(src.view(), &mut tensor, 4, 4, &map, &options)?;
/// // Red plane, pixel (0, 0) reads source x = 0.5: (0 + 30) / 2 / 255.
/// assert!((tensor[0] - 15.0 / 255.0).abs() < 1e-6);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn warp_planar_into<T: Element>(
    src: ImageView<'_, T>,
    dst: &mut [f32],
    width: usize,
    height: usize,
    map: &Map,
    options: &WarpOptions,
) -> Result<()> {
    warp_planar_into_with_isa(Isa::selected(), src, dst, width, height, map, options)
}

/// [`warp_planar_into`] on a chosen kernel path.
pub fn warp_planar_into_with_isa<T: Element>(
    isa: Isa,
    src: ImageView<'_, T>,
    dst: &mut [f32],
    width: usize,
    height: usize,
    map: &Map,
    options: &WarpOptions,
) -> Result<()> {
    warp_planar_on(Path::Isa(isa), src, dst, width, height, map, options)
}

fn warp_planar_on<T: Element>(
    path: Path,
    src: ImageView<'_, T>,
    dst: &mut [f32],
    width: usize,
    height: usize,
    map: &Map,
    options: &WarpOptions,
) -> Result<()> {
    let channels = src.channels();
    let shape = geom::Shape::new(width, height, channels)?;
    if dst.len() != shape.len() {
        return Err(Error::PlanarLength {
            len: dst.len(),
            needed: shape.len(),
            width,
            height,
            channels,
        });
    }
    let map = prepare(width, height, map, options)?;
    Job {
        source: Source::new(src, options.padding),
        interpolation: options.interpolation,
        values: options.values,
        map,
        width,
        height,
        rows: PlanarRows {
            planes: dst.chunks_exact_mut(shape.pixels()).collect(),
            width,
        },
    }
    .run(path);
    Ok(())
}

/// The generic SIMD code at other lane widths, for tests: on x86-64 with
/// AVX2, 4 lanes stand for NEON and 16 for AVX-512 (same source, which pulp
/// instantiates for those ISAs), 8 for AVX2 without the hand-written kernel;
/// other widths run 1 lane. Not part of the stable API.
#[doc(hidden)]
pub mod testing {
    use super::*;

    /// [`warp_into`] through the generic code at `lanes` lanes.
    pub fn warp_generic<T: Element>(
        lanes: usize,
        src: ImageView<'_, T>,
        dst: ImageViewMut<'_, T>,
        map: &Map,
        options: &WarpOptions,
    ) -> Result<()> {
        warp_on(Path::Generic(lanes), src, dst, map, options)
    }

    /// [`warp_planar_into`] through the generic code at `lanes` lanes.
    pub fn warp_planar_generic<T: Element>(
        lanes: usize,
        src: ImageView<'_, T>,
        dst: &mut [f32],
        width: usize,
        height: usize,
        map: &Map,
        options: &WarpOptions,
    ) -> Result<()> {
        warp_planar_on(Path::Generic(lanes), src, dst, width, height, map, options)
    }
}
