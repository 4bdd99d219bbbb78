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
    /// A blur refused its inputs.
    #[error(transparent)]
    Filter(#[from] filter::Error),
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
    /// A bounding box is not finite or not ordered.
    #[error("box {index} = {xyxy:?} is invalid: {reason}")]
    InvalidBox {
        /// Position of the box in the input.
        index: usize,
        /// The box as given, `[x_min, y_min, x_max, y_max]`.
        xyxy: [f64; 4],
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Boxes and labels differ in number.
    #[error("{boxes} boxes but {labels} labels: every box needs one label")]
    LabelCount {
        /// Number of boxes.
        boxes: usize,
        /// Number of labels.
        labels: usize,
    },
    /// An image file could not be decoded or encoded.
    #[error("image codec: {0}")]
    Codec(#[from] image::ImageError),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
