//! Coordinate maps, image buffers and padding rules: the shared vocabulary of
//! the augment workspace.
//!
//! Conventions (ARCHITECTURE.md, "Conventions"): the pixel at column `j`,
//! row `i` has its centre at `(x, y) = (j, i)`, and an image covers
//! `[-0.5, w-0.5] x [-0.5, h-0.5]`. Maps are *pull* maps: they take an
//! output pixel centre to the source position it reads. Transform builders
//! are described forward (what happens to the content) and are inverted
//! once, when a map is made; a [`Homography`] composes a chain of them,
//! affine until a projective step joins, and [`Map::then_affine`] follows a
//! pull map with one more affine change of coordinates.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod affine;
pub mod buffer;
mod error;
mod gathers;
mod grid;
mod homography;
#[cfg(feature = "image")]
mod interop;
mod isa;
mod map;
mod padding;
mod projective;

pub use affine::{Affine, Point, SINGULAR_DETERMINANT};
pub use buffer::{DEFAULT_MAX_PIXELS, Element, Image, ImageView, ImageViewMut, MAX_SIDE, Shape};
pub use error::{Error, LimitUnit, Result};
pub use gathers::{GATHERS_VAR, Gathers, gathers};
pub use grid::Grid;
pub use homography::Homography;
pub use isa::{FORCE_ISA_VAR, Isa};
pub use map::{Map, Rect};
pub use padding::Padding;
pub use projective::Projective;
