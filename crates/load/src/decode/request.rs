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
/// assert_eq!(request.scale, 1);
/// assert!(!request.orientation);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The stored pixels wanted (default: all). Decoders may deliver more;
    /// [`Delivered::region`] says what they did.
    pub region: Option<Region>,
    /// Scale denominator: 1, 2, 4 or 8 (default 1). Decoders may deliver a
    /// smaller one; [`Delivered::scale`] says which.
    pub scale: u32,
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
            scale: 1,
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

    /// A scale denominator of 1, 2, 4 or 8 would do.
    #[must_use]
    pub fn scale(mut self, denominator: u32) -> Request {
        self.scale = denominator;
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
        if !matches!(self.scale, 1 | 2 | 4 | 8) {
            return Err(DecodeError::Request {
                what: format!("scale denominator {} is not 1, 2, 4 or 8", self.scale),
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
/// divided by `scale` (rounded up), then turned by `orientation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delivered {
    /// The file's header.
    pub header: Header,
    /// The stored pixels decoded: the requested region for sequential
    /// JPEGs and non-interlaced PNGs, the whole image for every other file.
    pub region: Region,
    /// The scale denominator applied: the requested one for sequential
    /// JPEGs the in-tree decoder takes, 1 for every other file.
    pub scale: u32,
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
    /// the scale (a delivered pixel covers `scale x scale` stored pixels,
    /// its centre at their centre), then the region's offset.
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
        let s = f64::from(self.scale);
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
    /// delivered scale (the whole stored image decoded at `1 / scale`,
    /// `ceil(width / scale) x ceil(height / scale)`, then turned by the
    /// delivered `orientation`) that the delivered pixels are. `None` if
    /// the delivered size is not the region's at that scale.
    pub fn upright_window(&self) -> Option<(u32, u32, u32, u32)> {
        let (r, s) = (self.region, self.scale.max(1));
        let stored = (
            self.header.width.div_ceil(s),
            self.header.height.div_ceil(s),
        );
        let scaled = (r.x / s, r.y / s, r.width.div_ceil(s), r.height.div_ceil(s));
        let upright = self.orientation.upright_rect(scaled, stored);
        ((upright.2, upright.3) == (self.width, self.height)).then_some(upright)
    }
}
