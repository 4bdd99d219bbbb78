//! The one error type of the facade.

/// What went wrong building or running a pipeline.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A bad image, shape or map (from the `geom` crate).
    #[error(transparent)]
    Geometry(#[from] geom::Error),
    /// The sampler refused its inputs.
    #[error(transparent)]
    Sample(#[from] sample::Error),
    /// A transform parameter is outside the range where it makes sense.
    #[error("{transform}: {parameter} = {value} is invalid: {expected}")]
    InvalidParameter {
        /// Which transform.
        transform: &'static str,
        /// Which of its parameters.
        parameter: &'static str,
        /// The value given, as text (a number or a range).
        value: String,
        /// What was expected, in words.
        expected: &'static str,
    },
    /// The output would be larger than the pipeline's pixel limit.
    #[error("output {width}x{height} exceeds the limit of {limit} pixels")]
    OutputTooLarge {
        /// Output width.
        width: usize,
        /// Output height.
        height: usize,
        /// The pipeline's limit.
        limit: usize,
    },
    /// An image file could not be decoded or encoded.
    #[error("image codec: {0}")]
    Codec(#[from] image::ImageError),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
