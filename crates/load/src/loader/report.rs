//! What a loader counts: skipped samples and time per stage.

use crate::error::{Error, SampleName};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A sample that failed and was replaced (skip policy).
#[derive(Debug, Clone)]
pub struct Skipped {
    /// Its dataset index.
    pub index: usize,
    /// Its file (and member).
    pub sample: Option<SampleName>,
    /// The epoch in which it first failed.
    pub epoch: u64,
    /// The global position (in that epoch) of the slot whose load tried it:
    /// its own, or that of a slot it was to replace.
    pub position: u64,
    /// Why.
    pub error: Error,
}

/// Samples that failed under the skip policy: each failing sample once
/// (with its first error), and how many slots were filled by a
/// replacement. A sample that failed is not tried again for the loader's
/// lifetime.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The failing samples, in the order they were found.
    pub skipped: Vec<Skipped>,
    /// Slots filled by a later sample because theirs failed.
    pub replaced: u64,
}

/// Thread time spent per stage, summed over every image loaded (failed
/// attempts included), for the loader's lifetime.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Images delivered into batches.
    pub images: u64,
    /// Load attempts that failed.
    pub failures: u64,
    /// Reading bytes (file open, seek, read).
    pub read: Duration,
    /// Decoding to RGB (orientation included).
    pub decode: Duration,
    /// The pipeline: planning, sampling, pixel steps, normalisation.
    pub augment: Duration,
    /// Bookkeeping once an image is in its batch (with per-image buffers,
    /// swapping it in).
    pub batch: Duration,
    /// Pixels the decoders delivered (what region and scaled decoding
    /// saved shows against the images' own pixels).
    pub decoded_pixels: u64,
    /// Images decoded at a reduced scale (1/8 to 7/8).
    pub scaled_decodes: u64,
    /// Bytes held now by the JPEG row starts kept for the next epoch, with
    /// each file's entry ([`crate::LoaderBuilder::seek_index_bytes`]).
    pub seek_index_bytes: u64,
}

impl Stats {
    /// Average thread time per delivered image in each stage: read,
    /// decode, augment, batch.
    pub fn per_image(&self) -> [Duration; 4] {
        let n = u32::try_from(self.images.max(1)).unwrap_or(u32::MAX);
        [self.read, self.decode, self.augment, self.batch].map(|d| d / n)
    }
}

/// A loader's report and stats, live: see [`crate::Loader::monitor`].
#[derive(Debug, Clone)]
pub struct Monitor {
    pub(crate) report: std::sync::Arc<std::sync::Mutex<Report>>,
    pub(crate) counters: std::sync::Arc<Counters>,
    pub(crate) seek: std::sync::Arc<super::seek::SeekIndexes>,
}

impl Monitor {
    /// The failures recorded so far (skip policy).
    pub fn report(&self) -> Report {
        self.report
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Thread time per stage so far.
    pub fn stats(&self) -> Stats {
        self.counters.snapshot(&self.seek)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub images: AtomicU64,
    pub failures: AtomicU64,
    pub read: AtomicU64,
    pub decode: AtomicU64,
    pub augment: AtomicU64,
    pub batch: AtomicU64,
    pub decoded_pixels: AtomicU64,
    pub scaled_decodes: AtomicU64,
}

impl Counters {
    pub fn add(counter: &AtomicU64, d: Duration) {
        counter.fetch_add(
            u64::try_from(d.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    pub fn snapshot(&self, seek: &super::seek::SeekIndexes) -> Stats {
        let ns = |c: &AtomicU64| Duration::from_nanos(c.load(Ordering::Relaxed));
        Stats {
            images: self.images.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            read: ns(&self.read),
            decode: ns(&self.decode),
            augment: ns(&self.augment),
            batch: ns(&self.batch),
            decoded_pixels: self.decoded_pixels.load(Ordering::Relaxed),
            scaled_decodes: self.scaled_decodes.load(Ordering::Relaxed),
            seek_index_bytes: seek.held() as u64,
        }
    }
}
