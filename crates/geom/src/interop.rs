//! Conversions to and from the `image` crate (feature `image`).
//!
//! Owned conversions move the buffer (no per-pixel copy) wherever the layouts
//! match: `RgbImage`, `RgbaImage`, `GrayImage` and the matching
//! `DynamicImage` variants, and their `f32` counterparts. Views borrow.
//! Conversions are `TryFrom` because a side over [`crate::MAX_SIDE`] is refused.
//!
//! ```
//! use geom::{Image, ImageView};
//! let rgb = image::RgbImage::from_pixel(4, 2, image::Rgb([1, 2, 3]));
//! let view = ImageView::try_from(&rgb)?;             // borrows
//! assert_eq!(view.pixel(3, 1), &[1, 2, 3]);
//! let owned = Image::try_from(rgb)?;                 // moves the buffer
//! let back: image::RgbImage = owned.try_into()?;     // and back, no copy
//! assert_eq!(back.get_pixel(0, 0).0, [1, 2, 3]);
//! # Ok::<(), geom::Error>(())
//! ```

use crate::buffer::{Image, ImageView};
use crate::error::{Error, Result};
use image::{DynamicImage, ImageBuffer, Luma, Rgb, Rgba};

macro_rules! buffer_conversions {
    ($pixel:ident, $t:ty, $channels:expr) => {
        impl TryFrom<ImageBuffer<$pixel<$t>, Vec<$t>>> for Image<$t> {
            type Error = Error;
            fn try_from(buffer: ImageBuffer<$pixel<$t>, Vec<$t>>) -> Result<Self> {
                let (w, h) = buffer.dimensions();
                Image::from_vec(w as usize, h as usize, $channels, buffer.into_raw())
            }
        }

        impl<'a> TryFrom<&'a ImageBuffer<$pixel<$t>, Vec<$t>>> for ImageView<'a, $t> {
            type Error = Error;
            fn try_from(buffer: &'a ImageBuffer<$pixel<$t>, Vec<$t>>) -> Result<Self> {
                let (w, h) = buffer.dimensions();
                ImageView::new(buffer.as_raw(), w as usize, h as usize, $channels)
            }
        }

        impl TryFrom<Image<$t>> for ImageBuffer<$pixel<$t>, Vec<$t>> {
            type Error = Error;
            fn try_from(img: Image<$t>) -> Result<Self> {
                let shape = img.shape();
                if shape.channels != $channels {
                    return Err(Error::UnsupportedChannels(shape.channels));
                }
                let side = |v: usize| u32::try_from(v).ok();
                let too_large = Error::TooLarge {
                    width: shape.width,
                    height: shape.height,
                    channels: shape.channels,
                    limit: u32::MAX as usize,
                    unit: crate::LimitUnit::PixelsPerSide,
                };
                let (w, h) = side(shape.width)
                    .zip(side(shape.height))
                    .ok_or(too_large.clone())?;
                ImageBuffer::from_raw(w, h, img.into_vec()).ok_or(too_large)
            }
        }
    };
}

buffer_conversions!(Rgb, u8, 3);
buffer_conversions!(Rgba, u8, 4);
buffer_conversions!(Luma, u8, 1);
buffer_conversions!(Rgb, f32, 3);
buffer_conversions!(Rgba, f32, 4);

impl TryFrom<DynamicImage> for Image<u8> {
    type Error = Error;
    /// Moves `Luma8`, `Rgb8` and `Rgba8` buffers; converts other variants
    /// (gray+alpha becomes RGBA, 16-bit and float become 8-bit RGB or RGBA).
    fn try_from(img: DynamicImage) -> Result<Self> {
        match img {
            DynamicImage::ImageLuma8(b) => b.try_into(),
            DynamicImage::ImageRgb8(b) => b.try_into(),
            DynamicImage::ImageRgba8(b) => b.try_into(),
            other if other.color().has_alpha() => other.to_rgba8().try_into(),
            other @ DynamicImage::ImageLuma16(_) => other.to_luma8().try_into(),
            other => other.to_rgb8().try_into(),
        }
    }
}

impl TryFrom<DynamicImage> for Image<f32> {
    type Error = Error;
    /// Moves `Rgb32F` and `Rgba32F` buffers; converts others to `f32` RGB or
    /// RGBA in 0–1 (the `image` crate's float scale).
    fn try_from(img: DynamicImage) -> Result<Self> {
        match img {
            DynamicImage::ImageRgb32F(b) => b.try_into(),
            DynamicImage::ImageRgba32F(b) => b.try_into(),
            other if other.color().has_alpha() => other.to_rgba32f().try_into(),
            other => other.to_rgb32f().try_into(),
        }
    }
}

impl TryFrom<Image<u8>> for DynamicImage {
    type Error = Error;
    /// Moves the buffer into `Luma8`, `Rgb8` or `Rgba8` by channel count.
    fn try_from(img: Image<u8>) -> Result<Self> {
        Ok(match img.channels() {
            1 => DynamicImage::ImageLuma8(img.try_into()?),
            3 => DynamicImage::ImageRgb8(img.try_into()?),
            _ => DynamicImage::ImageRgba8(img.try_into()?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, RgbaImage};

    #[test]
    fn owned_round_trip_moves_the_buffer() -> Result<()> {
        let rgba = RgbaImage::from_fn(3, 2, |x, y| Rgba([x as u8, y as u8, 7, 255]));
        let ptr = rgba.as_raw().as_ptr();
        let img = Image::try_from(rgba)?;
        assert_eq!(img.as_slice().as_ptr(), ptr, "no copy on the way in");
        assert_eq!(img.pixel(2, 1), &[2, 1, 7, 255]);
        let back = DynamicImage::try_from(img)?;
        let DynamicImage::ImageRgba8(b) = back else {
            panic!("expected RGBA8, got {:?}", back.color());
        };
        assert_eq!(b.as_raw().as_ptr(), ptr, "no copy on the way out");
        Ok(())
    }

    #[test]
    fn gray_alpha_becomes_rgba_and_gray_stays_gray() -> Result<()> {
        let la = DynamicImage::ImageLumaA8(ImageBuffer::from_pixel(2, 2, image::LumaA([9, 200])));
        let img = Image::<u8>::try_from(la)?;
        assert_eq!(img.channels(), 4);
        assert_eq!(img.pixel(1, 1), &[9, 9, 9, 200]);
        let g = Image::<u8>::try_from(DynamicImage::ImageLuma8(GrayImage::new(5, 4)))?;
        assert_eq!(g.shape().to_string(), "5x4x1");
        Ok(())
    }

    #[test]
    fn wrong_channel_count_is_an_error() -> Result<()> {
        let img = Image::<u8>::new(2, 2, 3)?;
        let gray: Result<image::GrayImage> = img.try_into();
        assert!(matches!(gray, Err(Error::UnsupportedChannels(3))));
        Ok(())
    }
}
