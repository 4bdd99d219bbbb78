//! Interleaved (HWC) image buffers: a borrowed view, a mutable view and an owned image.
//!
//! Rows are `stride` elements apart (at least `width * channels`), as in the
//! `image` crate and OpenCV, so a view can borrow a crop of a larger buffer
//! without copying.

use crate::error::{Error, Result};
use std::fmt;

/// Largest width or height accepted: coordinates up to this size are exact in
/// `f32`, which the samplers rely on.
pub const MAX_SIDE: usize = 1 << 24;

/// Largest number of pixels an [`Image`] allocates by default (2^28, e.g.
/// 16384 x 16384); callers with a bound of their own use [`Image::new_limited`].
pub const DEFAULT_MAX_PIXELS: usize = 1 << 28;

/// A sample type an image can hold: `u8` (0–255) or `f32` (any range).
pub trait Element:
    bytemuck::Pod + Default + PartialEq + PartialOrd + fmt::Debug + Send + Sync + 'static
{
    /// The value as `f32`, exactly.
    fn to_f32(self) -> f32;
    /// The nearest representable value: for `u8`, rounded half to even and
    /// clamped to 0–255 (NaN gives 0); for `f32`, unchanged.
    fn from_f32(value: f32) -> Self;
    /// A short name for messages and reports.
    const NAME: &'static str;
    /// Full intensity: 255 for `u8`, 1.0 for `f32` (the `image` crate's float scale).
    const FULL_SCALE: f32;
}

impl Element for u8 {
    #[inline]
    fn to_f32(self) -> f32 {
        f32::from(self)
    }
    #[inline]
    fn from_f32(value: f32) -> Self {
        // Clamp to 0..=255 (NaN fails the test and gives 0), then round half
        // to even by adding 1.5 * 2^23: the sum's unit in the last place is 1,
        // so the FPU rounds (ties to even) and the integer lands in the low
        // mantissa bits. Same result as `round_ties_even`, but plain float
        // ops that vectorise and need no libm `rintf` on baseline x86-64.
        let clamped = if value >= 0.0 { value.min(255.0) } else { 0.0 };
        ((clamped + 12_582_912.0).to_bits() & 0xff) as u8
    }
    const NAME: &'static str = "u8";
    const FULL_SCALE: f32 = 255.0;
}

impl Element for f32 {
    #[inline]
    fn to_f32(self) -> f32 {
        self
    }
    #[inline]
    fn from_f32(value: f32) -> Self {
        value
    }
    const NAME: &'static str = "f32";
    const FULL_SCALE: f32 = 1.0;
}

/// Width, height and channel count of an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shape {
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Interleaved channels per pixel: 1, 3 or 4.
    pub channels: usize,
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}x{}", self.width, self.height, self.channels)
    }
}

impl Shape {
    /// Checks the shape: sides from 1 to [`MAX_SIDE`], 1, 3 or 4 channels, and
    /// an element count that fits `usize`.
    pub fn new(width: usize, height: usize, channels: usize) -> Result<Self> {
        if width == 0 || height == 0 {
            return Err(Error::EmptyImage { width, height });
        }
        if !matches!(channels, 1 | 3 | 4) {
            return Err(Error::UnsupportedChannels(channels));
        }
        let too_large = Error::TooLarge {
            width,
            height,
            channels,
            limit: MAX_SIDE,
            unit: crate::LimitUnit::PixelsPerSide,
        };
        if width > MAX_SIDE || height > MAX_SIDE {
            return Err(too_large);
        }
        width
            .checked_mul(height)
            .and_then(|p| p.checked_mul(channels))
            .ok_or(too_large)?;
        Ok(Shape {
            width,
            height,
            channels,
        })
    }

    /// Elements in one row of pixels: `width * channels`.
    #[inline]
    pub fn row_len(&self) -> usize {
        self.width * self.channels
    }

    /// Pixels: `width * height`.
    #[inline]
    pub fn pixels(&self) -> usize {
        self.width * self.height
    }

    /// Elements of a tightly packed buffer: `width * height * channels`.
    #[inline]
    pub fn len(&self) -> usize {
        self.pixels() * self.channels
    }

    /// Never true for a checked shape; present for API symmetry with `len`.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Elements a buffer needs for `shape` with rows `stride` apart.
fn needed_len(shape: Shape, stride: usize) -> Result<usize> {
    if stride < shape.row_len() {
        return Err(Error::StrideTooShort {
            stride,
            row: shape.row_len(),
        });
    }
    stride
        .checked_mul(shape.height - 1)
        .and_then(|n| n.checked_add(shape.row_len()))
        .ok_or(Error::TooLarge {
            width: shape.width,
            height: shape.height,
            channels: shape.channels,
            limit: usize::MAX,
            unit: crate::LimitUnit::Elements,
        })
}

fn check_buffer(len: usize, shape: Shape, stride: usize) -> Result<()> {
    let needed = needed_len(shape, stride)?;
    if len < needed {
        return Err(Error::BufferTooShort { len, needed });
    }
    Ok(())
}

/// A borrowed, read-only interleaved image.
///
/// ```
/// use geom::ImageView;
/// let pixels = [0u8, 1, 2, 3, 4, 5]; // 2x1 RGB
/// let view = ImageView::new(&pixels, 2, 1, 3)?;
/// assert_eq!(view.pixel(1, 0), &[3, 4, 5]);
/// # Ok::<(), geom::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct ImageView<'a, T> {
    data: &'a [T],
    shape: Shape,
    stride: usize,
}

impl<T> fmt::Debug for ImageView<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ImageView({}, stride {})", self.shape, self.stride)
    }
}

impl<'a, T: Element> ImageView<'a, T> {
    /// A tightly packed view: rows `width * channels` apart.
    pub fn new(data: &'a [T], width: usize, height: usize, channels: usize) -> Result<Self> {
        Self::with_stride(
            data,
            width,
            height,
            channels,
            width.saturating_mul(channels),
        )
    }

    /// A view whose rows are `stride` elements apart.
    pub fn with_stride(
        data: &'a [T],
        width: usize,
        height: usize,
        channels: usize,
        stride: usize,
    ) -> Result<Self> {
        let shape = Shape::new(width, height, channels)?;
        check_buffer(data.len(), shape, stride)?;
        Ok(ImageView {
            data,
            shape,
            stride,
        })
    }

    /// Width in pixels.
    #[inline]
    pub fn width(&self) -> usize {
        self.shape.width
    }
    /// Height in pixels.
    #[inline]
    pub fn height(&self) -> usize {
        self.shape.height
    }
    /// Channels per pixel.
    #[inline]
    pub fn channels(&self) -> usize {
        self.shape.channels
    }
    /// Elements from one row start to the next.
    #[inline]
    pub fn stride(&self) -> usize {
        self.stride
    }
    /// Width, height and channels.
    #[inline]
    pub fn shape(&self) -> Shape {
        self.shape
    }
    /// The whole borrowed buffer, including any padding between rows.
    #[inline]
    pub fn data(&self) -> &'a [T] {
        self.data
    }

    /// Row `y` (`width * channels` elements). Panics if `y >= height`.
    #[inline]
    pub fn row(&self, y: usize) -> &'a [T] {
        let start = y * self.stride;
        &self.data[start..start + self.shape.row_len()]
    }

    /// The channels of pixel `(x, y)`. Panics if outside the image.
    #[inline]
    pub fn pixel(&self, x: usize, y: usize) -> &'a [T] {
        let c = self.shape.channels;
        &self.row(y)[x * c..x * c + c]
    }

    /// Rows from top to bottom.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = &'a [T]> + '_ {
        (0..self.shape.height).map(move |y| self.row(y))
    }

    /// The sub-image `width x height` whose top-left pixel is `(x, y)`, sharing this buffer.
    pub fn crop(&self, x: usize, y: usize, width: usize, height: usize) -> Result<Self> {
        // Before the offset is taken: an empty crop may start one past the
        // last row or column, which would slice past the buffer's end.
        if width == 0 || height == 0 {
            return Err(Error::EmptyImage { width, height });
        }
        let fits = |start: usize, len: usize, full: usize| {
            start.checked_add(len).is_some_and(|end| end <= full)
        };
        if !fits(x, width, self.shape.width) || !fits(y, height, self.shape.height) {
            return Err(Error::ShapeMismatch {
                left: format!("crop {width}x{height} at ({x}, {y})"),
                right: format!("image {}", self.shape),
            });
        }
        let start = y * self.stride + x * self.shape.channels;
        Self::with_stride(
            &self.data[start..],
            width,
            height,
            self.shape.channels,
            self.stride,
        )
    }

    /// A tightly packed copy.
    pub fn to_image(&self) -> Image<T> {
        let mut data = Vec::with_capacity(self.shape.len());
        for row in self.rows() {
            data.extend_from_slice(row);
        }
        Image {
            data,
            shape: self.shape,
        }
    }
}

/// A borrowed, writable interleaved image.
pub struct ImageViewMut<'a, T> {
    data: &'a mut [T],
    shape: Shape,
    stride: usize,
}

impl<T> fmt::Debug for ImageViewMut<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ImageViewMut({}, stride {})", self.shape, self.stride)
    }
}

impl<'a, T: Element> ImageViewMut<'a, T> {
    /// A tightly packed writable view.
    pub fn new(data: &'a mut [T], width: usize, height: usize, channels: usize) -> Result<Self> {
        Self::with_stride(
            data,
            width,
            height,
            channels,
            width.saturating_mul(channels),
        )
    }

    /// A writable view whose rows are `stride` elements apart.
    pub fn with_stride(
        data: &'a mut [T],
        width: usize,
        height: usize,
        channels: usize,
        stride: usize,
    ) -> Result<Self> {
        let shape = Shape::new(width, height, channels)?;
        check_buffer(data.len(), shape, stride)?;
        Ok(ImageViewMut {
            data,
            shape,
            stride,
        })
    }

    /// Width in pixels.
    #[inline]
    pub fn width(&self) -> usize {
        self.shape.width
    }
    /// Height in pixels.
    #[inline]
    pub fn height(&self) -> usize {
        self.shape.height
    }
    /// Channels per pixel.
    #[inline]
    pub fn channels(&self) -> usize {
        self.shape.channels
    }
    /// Elements from one row start to the next.
    #[inline]
    pub fn stride(&self) -> usize {
        self.stride
    }
    /// Width, height and channels.
    #[inline]
    pub fn shape(&self) -> Shape {
        self.shape
    }
    /// The whole buffer, including any padding between rows.
    #[inline]
    pub fn data_mut(&mut self) -> &mut [T] {
        self.data
    }

    /// A read-only view of the same pixels.
    #[inline]
    pub fn as_view(&self) -> ImageView<'_, T> {
        ImageView {
            data: self.data,
            shape: self.shape,
            stride: self.stride,
        }
    }

    /// A shorter-lived writable view of the same pixels (to pass on without giving this one up).
    #[inline]
    pub fn reborrow(&mut self) -> ImageViewMut<'_, T> {
        ImageViewMut {
            data: self.data,
            shape: self.shape,
            stride: self.stride,
        }
    }

    /// Row `y`, writable. Panics if `y >= height`.
    #[inline]
    pub fn row_mut(&mut self, y: usize) -> &mut [T] {
        let start = y * self.stride;
        let len = self.shape.row_len();
        &mut self.data[start..start + len]
    }

    /// Rows from top to bottom, writable (for example to hand to rayon).
    pub fn rows_mut(&mut self) -> impl Iterator<Item = &mut [T]> + '_ {
        let row_len = self.shape.row_len();
        let height = self.shape.height;
        self.data
            .chunks_mut(self.stride.max(1))
            .take(height)
            .map(move |r| &mut r[..row_len])
    }

    /// Sets every element to `value`.
    pub fn fill(&mut self, value: T) {
        for row in self.rows_mut() {
            row.fill(value);
        }
    }
}

/// An owned, tightly packed interleaved image.
///
/// ```
/// use geom::Image;
/// let mut img = Image::<u8>::new(4, 2, 3)?;
/// img.pixel_mut(3, 1).copy_from_slice(&[255, 0, 0]);
/// assert_eq!(img.view().pixel(3, 1), &[255, 0, 0]);
/// # Ok::<(), geom::Error>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct Image<T> {
    data: Vec<T>,
    shape: Shape,
}

impl<T> fmt::Debug for Image<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Image({})", self.shape)
    }
}

impl<T: Element> Image<T> {
    /// A zeroed image of at most [`DEFAULT_MAX_PIXELS`] pixels.
    pub fn new(width: usize, height: usize, channels: usize) -> Result<Self> {
        Self::new_limited(width, height, channels, DEFAULT_MAX_PIXELS)
    }

    /// A zeroed image, refusing more than `max_pixels` pixels.
    pub fn new_limited(
        width: usize,
        height: usize,
        channels: usize,
        max_pixels: usize,
    ) -> Result<Self> {
        let shape = Shape::new(width, height, channels)?;
        if shape.pixels() > max_pixels {
            return Err(Error::TooLarge {
                width,
                height,
                channels,
                limit: max_pixels,
                unit: crate::LimitUnit::Pixels,
            });
        }
        Ok(Image {
            data: vec![T::default(); shape.len()],
            shape,
        })
    }

    /// Wraps a tightly packed buffer of exactly `width * height * channels` elements.
    pub fn from_vec(width: usize, height: usize, channels: usize, data: Vec<T>) -> Result<Self> {
        let shape = Shape::new(width, height, channels)?;
        if data.len() < shape.len() {
            return Err(Error::BufferTooShort {
                len: data.len(),
                needed: shape.len(),
            });
        }
        if data.len() > shape.len() {
            return Err(Error::BufferTooLong {
                len: data.len(),
                expected: shape.len(),
            });
        }
        Ok(Image { data, shape })
    }

    /// An image whose pixel `(x, y)` channel `c` is `f(x, y, c)`.
    pub fn from_fn(
        width: usize,
        height: usize,
        channels: usize,
        mut f: impl FnMut(usize, usize, usize) -> T,
    ) -> Result<Self> {
        let mut img = Self::new(width, height, channels)?;
        for (i, v) in img.data.iter_mut().enumerate() {
            let c = i % channels;
            let p = i / channels;
            *v = f(p % width, p / width, c);
        }
        Ok(img)
    }

    /// Width in pixels.
    #[inline]
    pub fn width(&self) -> usize {
        self.shape.width
    }
    /// Height in pixels.
    #[inline]
    pub fn height(&self) -> usize {
        self.shape.height
    }
    /// Channels per pixel.
    #[inline]
    pub fn channels(&self) -> usize {
        self.shape.channels
    }
    /// Width, height and channels.
    #[inline]
    pub fn shape(&self) -> Shape {
        self.shape
    }
    /// The pixels, row after row.
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        &self.data
    }
    /// The pixels, row after row, writable.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.data
    }
    /// Gives the buffer back.
    #[inline]
    pub fn into_vec(self) -> Vec<T> {
        self.data
    }

    /// A borrowed view.
    #[inline]
    pub fn view(&self) -> ImageView<'_, T> {
        ImageView {
            data: &self.data,
            shape: self.shape,
            stride: self.shape.row_len(),
        }
    }

    /// A borrowed writable view.
    #[inline]
    pub fn view_mut(&mut self) -> ImageViewMut<'_, T> {
        ImageViewMut {
            stride: self.shape.row_len(),
            shape: self.shape,
            data: &mut self.data,
        }
    }

    /// The channels of pixel `(x, y)`. Panics if outside the image.
    #[inline]
    pub fn pixel(&self, x: usize, y: usize) -> &[T] {
        // Row first, then the pixel in it: x = width must panic, not read
        // the first pixel of the next row.
        let (c, row_len) = (self.shape.channels, self.shape.row_len());
        let row = &self.data[y.saturating_mul(row_len)..][..row_len];
        &row[x.saturating_mul(c)..][..c]
    }

    /// The channels of pixel `(x, y)`, writable. Panics if outside the image.
    #[inline]
    pub fn pixel_mut(&mut self, x: usize, y: usize) -> &mut [T] {
        let (c, row_len) = (self.shape.channels, self.shape.row_len());
        let row = &mut self.data[y.saturating_mul(row_len)..][..row_len];
        &mut row[x.saturating_mul(c)..][..c]
    }
}

#[cfg(test)]
mod tests;
