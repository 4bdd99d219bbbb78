//! The one error type of this crate.

/// What was wrong with a resampling request.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A bad image, shape or map (from the `geom` crate).
    #[error(transparent)]
    Geometry(#[from] geom::Error),
    /// Source and destination channel counts differ.
    #[error("source has {source_channels} channels but the destination has {destination}")]
    ChannelMismatch {
        /// Channels of the source.
        source_channels: usize,
        /// Channels of the destination.
        destination: usize,
    },
    /// A grid map's size differs from the destination's.
    #[error("grid map is {grid_width}x{grid_height} but the destination is {width}x{height}")]
    GridSizeMismatch {
        /// Grid width.
        grid_width: usize,
        /// Grid height.
        grid_height: usize,
        /// Destination width.
        width: usize,
        /// Destination height.
        height: usize,
    },
    /// A planar destination has the wrong number of elements.
    #[error(
        "planar destination holds {len} values but {width}x{height}x{channels} = {needed} are needed"
    )]
    PlanarLength {
        /// Elements given.
        len: usize,
        /// Elements needed.
        needed: usize,
        /// Destination width.
        width: usize,
        /// Destination height.
        height: usize,
        /// Channels (planes).
        channels: usize,
    },
    /// A value affine (lighting, normalisation) or padding constant is not finite.
    #[error("{what} is not finite: {value}")]
    NonFinite {
        /// Which value.
        what: &'static str,
        /// The value.
        value: f32,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
