//! Fast, exact image data augmentation.
//!
//! Every geometric transform (resize, crop, flip, rotate, zoom) is a change of
//! coordinates: a [`Pipeline`] composes them into one map and samples the
//! source once, only where the output needs it, with lighting fused into the
//! same pass. One interpolation instead of one per step: faster and sharper.
//!
//! ```
//! use augment::{Image, Pipeline};
//! let photo = Image::<u8>::new(120, 80, 3)?;
//! let pipeline = Pipeline::builder()
//!     .flip_horizontal(0.5)
//!     .rotate(-10.0..=10.0, 0.75)
//!     .zoom(1.0..=1.1, 0.75)
//!     .brightness(-0.2..=0.2, 0.75)
//!     .random_crop(64, 64)
//!     .seed(7)
//!     .build()?;
//! let batch: Vec<Image<u8>> = (0..4)
//!     .map(|k| pipeline.apply(photo.view(), k))
//!     .collect::<Result<_, _>>()?;
//! assert_eq!(batch.len(), 4);
//! # Ok::<(), augment::Error>(())
//! ```
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod error;
mod param;
mod pipeline;
mod transform;

pub use error::{Error, Result};
pub use geom::{Affine, Element, Image, ImageView, ImageViewMut, Isa, Padding, Shape};
pub use param::Param;
pub use pipeline::{Pipeline, PipelineBuilder, Plan, Step};
pub use sample::Interpolation;
pub use transform::{MAX_OUTPUT_SIDE, Transform};

/// The lower-level crates, for users who need maps or kernels directly.
pub mod raw {
    pub use filter;
    pub use geom;
    pub use sample;
}
