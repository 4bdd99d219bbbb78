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
    /// A pipeline file could not be read: bad syntax, an unknown key, a
    /// value of the wrong kind or out of range.
    #[error("pipeline file ({format}): {key}: {message}")]
    PipelineFile {
        /// `"TOML"` or `"JSON"`.
        format: &'static str,
        /// Where in the file, as a key path (`steps[2].transform`); `.` for
        /// the top level.
        key: String,
        /// What was wrong, with the line and column where the format gives them.
        message: String,
    },
    /// A pipeline could not be written in a format (TOML cannot hold some values).
    #[error("cannot write the pipeline as {format}: {message}")]
    PipelineWrite {
        /// `"TOML"` or `"JSON"`.
        format: &'static str,
        /// The serialiser's message.
        message: String,
    },
    /// A pipeline file is larger than any pipeline needs.
    #[error("pipeline file {path} has {len} bytes, more than the limit of {limit}")]
    PipelineFileTooLarge {
        /// The file.
        path: std::path::PathBuf,
        /// Its length in bytes.
        len: u64,
        /// The largest length read.
        limit: u64,
    },
    /// A pipeline file's name does not say its format.
    #[error("pipeline file {0}: unknown format, name it *.toml or *.json")]
    PipelineFormat(std::path::PathBuf),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// Mean and standard deviation are unusable.
    #[error("normalisation channel {channel}: mean {mean}, std {std} is invalid: {expected}")]
    InvalidNormalisation {
        /// The channel.
        channel: usize,
        /// Its mean.
        mean: f32,
        /// Its standard deviation.
        std: f32,
        /// What was expected, in words.
        expected: &'static str,
    },
    /// A normalisation does not fit the images' channel count.
    #[error(
        "normalisation has {values} channel values but the images have {channels} channels \
         (give 1 value for any image, or one per channel; 3 also fit RGBA, alpha scaled to 0..1)"
    )]
    NormalisationChannels {
        /// Values given per statistic.
        values: usize,
        /// Channels of the images.
        channels: usize,
    },
    /// Images of a batch differ in what must be shared: channels or output size.
    #[error(
        "batch image {index} gives {found}, but image 0 gives {expected}: a batch needs one shape"
    )]
    BatchShape {
        /// Position in the batch.
        index: usize,
        /// What that image gives (channels or output size).
        found: String,
        /// What the first image gives.
        expected: String,
    },
    /// One image of a batch failed.
    #[error("batch image {index}: {source}")]
    BatchImage {
        /// Position in the batch.
        index: usize,
        /// What went wrong.
        source: Box<Error>,
    },
    /// A tensor buffer has the wrong length for the batch.
    #[error("tensor buffer holds {len} values but the batch needs {needed} ({shape:?} NCHW)")]
    TensorLength {
        /// Values in the buffer.
        len: usize,
        /// Values needed.
        needed: usize,
        /// The batch's shape, `[n, c, h, w]`.
        shape: [usize; 4],
    },
    /// A window of the source given to a window call does not lie inside
    /// the image the plan was drawn for.
    #[error("window {given} is not inside the {}x{} image the plan was drawn for", image.0, image.1)]
    WindowOutside {
        /// The window given.
        given: crate::Window,
        /// The plan's source (width, height).
        image: (usize, usize),
    },
    /// A window of the source lacks pixels the plan's sampling pass reads.
    #[error("window {given} does not hold {needed}, the part of the source the plan reads")]
    WindowTooSmall {
        /// The window given.
        given: crate::Window,
        /// What [`crate::Pipeline::read_window`] asks for.
        needed: crate::Window,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
