//! The one error type of this crate.

use geom::Shape;

/// What was wrong with a filtering request.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A bad image buffer or shape (from the `geom` crate).
    #[error(transparent)]
    Geometry(#[from] geom::Error),
    /// Input and output differ in size or channel count.
    #[error("input is {input} but the output is {output}: filters keep the size and channels")]
    ShapeMismatch {
        /// Width x height x channels of the input.
        input: Shape,
        /// Width x height x channels of the output.
        output: Shape,
    },
    /// A parameter (sigma, length, angle, box size, padding constant) is NaN,
    /// infinite or outside its range.
    #[error("{what} = {value} is out of range: {expected}")]
    InvalidParameter {
        /// Which parameter.
        what: &'static str,
        /// Its value.
        value: f64,
        /// What was expected, in words.
        expected: &'static str,
    },
    /// A kernel would reach further than [`crate::MAX_RADIUS`] pixels from its centre.
    #[error("{what} = {value} needs a radius of {radius} pixels, more than the limit of {max}")]
    RadiusTooLarge {
        /// Which kernel or parameter.
        what: &'static str,
        /// The value given: σ, length, box side, kernel length or tap offset.
        value: f64,
        /// The radius it needs (saturated to `u64::MAX`).
        radius: u64,
        /// The largest radius allowed.
        max: usize,
    },
    /// A 1-D kernel with an even (or zero) number of weights has no centre tap.
    #[error("{what} has {len} weights: a kernel needs an odd number so it has a centre tap")]
    KernelLength {
        /// Which kernel.
        what: &'static str,
        /// Its length.
        len: usize,
    },
    /// A kernel weight is NaN or infinite.
    #[error("{what} weight {index} is not finite: {value}")]
    NonFiniteWeight {
        /// Which kernel.
        what: &'static str,
        /// Position of the weight.
        index: usize,
        /// Its value.
        value: f32,
    },
    /// A 2-D kernel would have more taps than [`crate::MAX_TAPS`].
    #[error("{what} would have {taps} taps, more than the limit of {max}")]
    TooManyTaps {
        /// Which kernel.
        what: &'static str,
        /// How many taps it needs (saturated).
        taps: u64,
        /// The largest tap count allowed.
        max: usize,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
