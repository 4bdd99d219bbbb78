//! The one error type of this crate.

/// What was wrong with an image buffer or a coordinate map.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Width or height is zero.
    #[error("image size {width}x{height} is empty: both sides must be at least 1")]
    EmptyImage {
        /// The width given.
        width: usize,
        /// The height given.
        height: usize,
    },
    /// A side, the pixel count or the element count is larger than its
    /// limit or overflows `usize`.
    #[error("image size {width}x{height}x{channels} exceeds the limit of {limit} {unit}")]
    TooLarge {
        /// The width given.
        width: usize,
        /// The height given.
        height: usize,
        /// The channel count given.
        channels: usize,
        /// The largest count allowed, in `unit`s.
        limit: usize,
        /// What `limit` counts.
        unit: LimitUnit,
    },
    /// Channel count other than 1, 3 or 4.
    #[error("{0} channels are not supported: use 1 (gray), 3 (RGB) or 4 (RGBA)")]
    UnsupportedChannels(usize),
    /// Row stride (in elements) shorter than one row of pixels.
    #[error("row stride {stride} is shorter than a row of {row} elements")]
    StrideTooShort {
        /// The stride given, in elements.
        stride: usize,
        /// Width times channels.
        row: usize,
    },
    /// A buffer that must be exactly the image's size is longer.
    #[error("buffer holds {len} elements but exactly {expected} are expected")]
    BufferTooLong {
        /// Elements in the buffer.
        len: usize,
        /// Elements the image has.
        expected: usize,
    },
    /// The buffer cannot hold the image described.
    #[error("buffer holds {len} elements but {needed} are needed")]
    BufferTooShort {
        /// Elements in the buffer.
        len: usize,
        /// Elements the image needs: `stride * (height - 1) + width * channels`.
        needed: usize,
    },
    /// Two images that must agree in size or channels do not.
    #[error("image shapes (width x height x channels) differ: {left} vs {right}")]
    ShapeMismatch {
        /// The first shape, as `WxHxC`.
        left: String,
        /// The second shape, as `WxHxC`.
        right: String,
    },
    /// A matrix or map parameter is NaN or infinite.
    #[error("{what} is not finite: {value}")]
    NonFinite {
        /// Which parameter.
        what: &'static str,
        /// Its value.
        value: f64,
    },
    /// A matrix cannot be inverted (determinant too close to zero).
    #[error("matrix is singular or nearly so (determinant {determinant:e})")]
    Singular {
        /// The determinant found.
        determinant: f64,
    },
    /// A parameter is outside the range where it makes sense.
    #[error("{what} = {value} is out of range: {expected}")]
    OutOfRange {
        /// Which parameter.
        what: &'static str,
        /// Its value.
        value: f64,
        /// What was expected, in words.
        expected: &'static str,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What the `limit` of [`Error::TooLarge`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitUnit {
    /// Pixels along one side (width or height).
    PixelsPerSide,
    /// Pixels of the whole image.
    Pixels,
    /// Elements (pixels times channels, or values of a map).
    Elements,
}

impl std::fmt::Display for LimitUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LimitUnit::PixelsPerSide => "pixels per side",
            LimitUnit::Pixels => "pixels",
            LimitUnit::Elements => "elements",
        })
    }
}
