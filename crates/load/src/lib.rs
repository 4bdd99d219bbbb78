//! Datasets to augmented batches: image folders, list files and tar shards,
//! decoded, augmented by an [`augment::Pipeline`] and batched on worker
//! threads.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod decode;
mod error;
mod loader;
pub mod sampler;
pub mod source;

pub use error::{Error, Result, SampleName};
pub use loader::{
    Batch, Batches, Layout, Loader, LoaderBuilder, Output, Policy, Report, Skipped, Stats,
};
pub use source::{Dataset, SourceKind};
