//! Fast, exact image data augmentation.
//!
//! Every geometric transform (resize, crop, flip, rotate, zoom, perspective,
//! elastic) is a change of coordinates: a [`Pipeline`] composes them into one
//! map and samples the source once, only where the output needs it, with
//! lighting fused into the same pass. One interpolation instead of one per
//! step: faster and sharper. Masks, keypoints and boxes follow the same draw
//! of parameters ([`Pipeline::apply_with_targets`]).
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
//!
//! What each step draws, and in what order it composes, is described on
//! [`Transform`]; [`Pipeline::fastai_default`] is fastai v1's standard set.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod batch;
mod builder;
mod displace;
mod error;
mod file;
mod param;
mod pipeline;
mod pixel;
mod plan;
mod presets;
mod pyramid;
mod sampling;
mod targets;
mod transform;
mod window;

pub use batch::{Normalisation, Tensor};
pub use builder::PipelineBuilder;
pub use error::{Error, Result};
pub use file::{MAX_PIPELINE_FILE_BYTES, PipelineFormat};
pub use geom::{Affine, Element, Image, ImageView, ImageViewMut, Isa, Padding, Point, Shape};
pub use param::Param;
pub use pipeline::{Augmented, Pipeline, Step, Targets};
pub use plan::Plan;
pub use sample::{ChannelAffine, Interpolation};
pub use targets::{BoxFormat, Boxes, MappedPoint};
pub use transform::{MAX_OUTPUT_SIDE, ResizeMethod, Transform};
pub use window::Window;

/// The lower-level crates, for users who need maps or kernels directly.
pub mod raw {
    pub use filter;
    pub use geom;
    pub use sample;
}
