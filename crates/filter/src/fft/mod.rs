//! The FFT path of separable convolution: each padded row (or column) is
//! circularly convolved with the kernel by FFT.
//!
//! A row of `w` pixels padded by the kernel radius `r` each side (by the
//! padding rule, exactly as the direct path pads it) has `w + 2r` values;
//! convolving it circularly at any length `n >= w + 2r` leaves the `w`
//! outputs the direct pass computes free of wrap-around. For `Wrap` this is
//! exactly circular convolution of the image. Two real signals share one
//! complex FFT (`z = a + i·b`; the kernel is real, so the product's real and
//! imaginary parts are the two convolutions), which costs the same as a real
//! FFT each.
//!
//! The horizontal pass uses RustFFT, whose algorithms differ by instruction
//! set, so its planner follows the requested [`geom::Isa`]: scalar planner
//! for [`geom::Isa::Scalar`] (the same bits on every machine), AVX for
//! AVX2/AVX-512, NEON for NEON. The vertical pass transforms 32 column
//! pairs at once, one per vector lane, with our own transform (`lanes`),
//! which gives the same bits on every path. The result is within float
//! noise of the direct path, not bit-identical to it.
//!
//! By stage: `plan` (RustFFT transforms, kernel spectra, the plan cache),
//! `horizontal` (row pairs through the FFT in batches), `lanes` (the
//! lane-parallel transform), `vertical` (the horizontal results in strips
//! of 64 columns, transformed down the rows and stored).

mod horizontal;
mod lanes;
mod plan;
mod vertical;

pub(crate) use horizontal::horizontal;
pub(crate) use vertical::{Columns, vertical};
