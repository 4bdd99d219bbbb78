//! Datasets to augmented batches: image folders, list files and tar shards,
//! read, decoded, augmented by an [`augment::Pipeline`] and batched on a
//! pool of worker threads, in an order PyTorch's `DistributedSampler`
//! would give.
//!
//! ```
//! use augment::{Normalisation, Pipeline};
//! use load::{Dataset, Loader, Output};
//! # let dir = tempfile::tempdir()?;
//! # for (class, n) in [("cat", 3), ("dog", 4)] {
//! #     std::fs::create_dir(dir.path().join(class))?;
//! #     for i in 0..n {
//! #         let png = load::decode::tests_support::tiny_png();
//! #         std::fs::write(dir.path().join(class).join(format!("{i}.png")), png)?;
//! #     }
//! # }
//! # let root = dir.path();
//! let dataset = Dataset::image_folder(root)?; // root/cat/*.jpg, root/dog/*.jpg
//! let pipeline = Pipeline::builder()
//!     .random_resized_crop(32, 32)
//!     .flip_horizontal(0.5)
//!     .build()?;
//! let mut loader = Loader::builder(dataset, pipeline)
//!     .batch_size(4)
//!     .seed(42)                            // shuffle and augmentation
//!     .distributed(0, 1)                   // rank 0 of 1
//!     .output(Output::Tensor(Normalisation::IMAGENET))
//!     .build()?;
//! for epoch in 0..2 {
//!     loader.set_epoch(epoch)?;
//!     for batch in loader.iter() {
//!         let batch = batch?;
//!         let (images, labels) = (batch.tensor(), batch.labels()); // NCHW f32, i64
//!         assert_eq!(batch.shape()[1..], [3, 32, 32]);
//!         assert_eq!(labels.len(), batch.len());
//!         # let _ = images;
//!     }
//! }
//! assert!(loader.report().skipped.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The parts, each usable alone:
//!
//! - [`source`]: [`Dataset`]s indexed from a folder in torchvision's
//!   `ImageFolder` layout, a CSV or JSON-lines list file, or WebDataset tar
//!   shards (`train-{0000..0099}.tar`), each sample read by index.
//! - [`decode`]: [`decode::probe`] reads a header (size, EXIF orientation),
//!   [`decode::decode`] gives 8-bit RGB from JPEG, PNG, WebP, BMP, TIFF and Netpbm,
//!   sniffed by magic bytes, refusing decompression bombs first.
//! - [`sampler`]: the epoch order, `torch.randperm` and
//!   `DistributedSampler` index for index, and the augmentation index of
//!   each sample.
//! - [`Loader`]: worker threads, prefetch, batches in order, recycled
//!   buffers, and a policy for samples that fail.
//!
//! Batches are a function of the seed, the epoch and the dataset alone:
//! the same, image for image, on any number of threads, at any prefetch
//! depth and batch size. Nothing a file holds makes the loader panic,
//! hang or write to it; every failure is a typed [`Error`] naming the file
//! (and the tar member).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod decode;
mod error;
mod kernels;
mod loader;
pub mod sampler;
pub mod source;
mod steer;

pub use error::{Error, Result, SampleName};
pub use loader::{
    Batch, Batches, DEFAULT_SEEK_INDEX_BYTES, Layout, Loader, LoaderBuilder, Monitor, Output,
    Policy, Report, Skipped, Stats,
};
pub use source::{Dataset, SampleLabel, SourceKind};
pub use steer::FileAugmenter;

// The README's Rust examples are doc tests of this crate, the top of the
// library stack, so they may use the pipeline and the loader alike and keep
// compiling as the API moves (only under rustdoc: a published package has no
// README at this path).
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
