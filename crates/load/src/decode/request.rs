//! What a caller asks a decoder for (a region of stored pixels, a scale,
//! orientation on or off) and what it delivered, with the map from
//! delivered pixels back to stored ones.

use super::{DEFAULT_MAX_PIXELS, DecodeError, Header, Orientation};

/// A rectangle of stored pixels: columns `x..x + width`, rows `y..y + height`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Region {
    /// First column.
    pub x: u32,
    /// First row.
    pub y: u32,
    /// Columns.
    pub width: u32,
    /// Rows.
    pub height: u32,
}

/// What to decode: the whole image or a region of it, at a scale, upright
/// or as stored, within a pixel limit.
///
/// ```
/// use load::decode::Request;
/// let request = Request::new().orientation(false).max_pixels(1 << 24);
/// assert_eq!(request.eighths, 8); // full size
/// assert_eq!(Request::new().scale(2).eighths, 4);
/// assert!(!request.orientation);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The stored pixels wanted (default: all). Decoders may deliver more;
    /// [`Delivered::region`] says what they did.
    pub region: Option<Region>,
    /// The scale in eighths, 1 to 8 (default 8, full size): libjpeg's
    /// `scale_num / 8`, an image `ceil(width * eighths / 8)` wide.
    /// Decoders may deliver a larger one; [`Delivered::eighths`] says
    /// which.
    pub eighths: u32,
    /// Apply the EXIF orientation (default on).
    pub orientation: bool,
    /// Refuse headers with more stored pixels than this (default
    /// [`DEFAULT_MAX_PIXELS`]).
    pub max_pixels: u64,
}

impl Default for Request {
    fn default() -> Self {
        Request {
            region: None,
            eighths: 8,
            orientation: true,
            max_pixels: DEFAULT_MAX_PIXELS,
        }
    }
}

impl Request {
    /// The whole image, scale 1, upright, default pixel limit.
    pub fn new() -> Request {
        Request::default()
    }

    /// Only `region` (stored pixels) is needed.
    #[must_use]
    pub fn region(mut self, region: Region) -> Request {
        self.region = Some(region);
        self
    }

    /// A scale of `1 / denominator` would do: 1, 2, 4 or 8 (as
    /// libjpeg's `scale_denom`); any other is refused when decoding.
    #[must_use]
    pub fn scale(mut self, denominator: u32) -> Request {
        self.eighths = match denominator {
            1 | 2 | 4 | 8 => 8 / denominator,
            _ => 0,
        };
        self
    }

    /// A scale of `eighths / 8` would do: 1 to 8 (as libjpeg's
    /// `scale_num` over 8); any other is refused when decoding.
    #[must_use]
    pub fn eighths(mut self, eighths: u32) -> Request {
        self.eighths = eighths;
        self
    }

    /// Apply the EXIF orientation or not.
    #[must_use]
    pub fn orientation(mut self, apply: bool) -> Request {
        self.orientation = apply;
        self
    }

    /// Refuse headers with more stored pixels than `limit`.
    #[must_use]
    pub fn max_pixels(mut self, limit: u64) -> Request {
        self.max_pixels = limit;
        self
    }

    pub(super) fn check(&self, header: &Header) -> Result<(), DecodeError> {
        if !(1..=8).contains(&self.eighths) {
            return Err(DecodeError::Request {
                what: format!(
                    "a scale of {} eighths is not 1/8 to 8/8 (1/1, 1/2, 1/4 or 1/8 by denominator)",
                    self.eighths
                ),
            });
        }
        if header.pixels() > self.max_pixels {
            return Err(DecodeError::TooLarge {
                width: header.width,
                height: header.height,
                limit: self.max_pixels,
            });
        }
        if let Some(r) = self.region {
            let inside = r.width > 0
                && r.height > 0
                && u64::from(r.x) + u64::from(r.width) <= u64::from(header.width)
                && u64::from(r.y) + u64::from(r.height) <= u64::from(header.height);
            if !inside {
                return Err(DecodeError::Request {
                    what: format!(
                        "region {}x{} at ({}, {}) is empty or not inside the {}x{} image",
                        r.width, r.height, r.x, r.y, header.width, header.height
                    ),
                });
            }
        }
        Ok(())
    }
}

/// What a decode delivered: which stored pixels, at which scale, turned
/// how. The buffer holds `width x height` RGB pixels: the stored `region`
/// scaled by `eighths / 8` (rounded up), then turned by `orientation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delivered {
    /// The file's header.
    pub header: Header,
    /// The stored pixels decoded: the requested region for sequential
    /// JPEGs and non-interlaced PNGs, the whole image for every other file.
    pub region: Region,
    /// The scale applied, in eighths: the requested one for the JPEGs the
    /// in-tree decoder takes, 8 (full size) for every other file.
    pub eighths: u32,
    /// The orientation applied to the pixels ([`Orientation::Normal`] when
    /// the request turned it off or the file has none).
    pub orientation: Orientation,
    /// Width of the delivered pixels.
    pub width: u32,
    /// Height of the delivered pixels.
    pub height: u32,
}

impl Delivered {
    /// Where delivered pixel position `(x, y)` lies in the stored image
    /// (pixel centres at integers in both): undoes the orientation, then
    /// the scale (a delivered pixel covers `8 / eighths` stored pixels on
    /// each axis, its centre at their centre), then the region's offset.
    ///
    /// ```
    /// use load::decode::{DecodeBuffer, Request, decode};
    /// # let png = load::decode::tests_support::tiny_png();
    /// let mut buffer = DecodeBuffer::new();
    /// let delivered = decode(&png, &Request::new(), &mut buffer)?;
    /// assert_eq!(delivered.to_stored(1.0, 0.0), (1.0, 0.0)); // whole image, upright
    /// # Ok::<(), load::decode::DecodeError>(())
    /// ```
    pub fn to_stored(&self, x: f64, y: f64) -> (f64, f64) {
        let s = 8.0 / f64::from(self.eighths.clamp(1, 8));
        let (w, h) = self
            .orientation
            .upright_size((f64::from(self.width), f64::from(self.height)));
        let (a, b) = self.orientation.to_stored((x, y), (w, h));
        (
            f64::from(self.region.x) + a * s + (s - 1.0) / 2.0,
            f64::from(self.region.y) + b * s + (s - 1.0) / 2.0,
        )
    }

    /// The rectangle `(x, y, width, height)` of the upright picture at the
    /// delivered scale (the whole stored image decoded at `eighths / 8`,
    /// [`scaled_side`] of each side, then turned by the delivered
    /// `orientation`) that the delivered pixels are. `None` if the region
    /// does not start on a whole scaled pixel or the delivered size is
    /// not the region's at that scale.
    pub fn upright_window(&self) -> Option<(u32, u32, u32, u32)> {
        let (r, e) = (self.region, self.eighths);
        let start = |v: u32| {
            let v = u64::from(v) * u64::from(e);
            v.is_multiple_of(8).then_some((v / 8) as u32)
        };
        let stored = (
            scaled_side(self.header.width, e),
            scaled_side(self.header.height, e),
        );
        let scaled = (
            start(r.x)?,
            start(r.y)?,
            scaled_side(r.width, e),
            scaled_side(r.height, e),
        );
        let upright = self.orientation.upright_rect(scaled, stored);
        ((upright.2, upright.3) == (self.width, self.height)).then_some(upright)
    }
}

/// A side of `length` stored pixels decoded at scale `eighths / 8`:
/// `ceil(length * eighths / 8)`, as libjpeg sizes its output.
///
/// ```
/// use load::decode::scaled_side;
/// assert_eq!((scaled_side(500, 8), scaled_side(500, 4), scaled_side(500, 5)), (500, 250, 313));
/// ```
pub fn scaled_side(length: u32, eighths: u32) -> u32 {
    // At most `length`, for eighths up to 8.
    (u64::from(length) * u64::from(eighths.min(8))).div_ceil(8) as u32
}
