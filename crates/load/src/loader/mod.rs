//! Epochs of augmented batches, built by a pool of worker threads.
//!
//! **Work.** Each worker claims the next image of the epoch (read,
//! decode, then augment straight into its place in the batch), so
//! all threads work on different images of the same few batches, and a
//! slow or broken file occupies one worker only. Workers may run ahead
//! of the consumer by `prefetch` batches; batches are delivered in order.
//!
//! **Memory.** The loader holds `prefetch` batch buffers being filled and
//! up to two returned by dropped [`Batch`]es, plus per thread: the file's bytes,
//! the decoded image and one augmented image. Every buffer keeps its
//! capacity, so once each has held its largest size the steady state
//! allocates nothing per image in the loader (the decoders' internal
//! working memory is theirs).
//!
//! **Determinism.** Batch `b` of an epoch holds this rank's samples
//! `b * batch_size..`, in the order of [`crate::sampler`]; the sample at
//! global position `k` is augmented as image
//! [`augment_index(epoch, k)`](crate::sampler::augment_index) of the
//! pipeline with the loader's seed. Batches are therefore the same, image
//! for image, whatever the thread count, prefetch depth or batch size.
//!
//! **Failures.** Under [`Policy::Skip`] (the default) a sample that fails
//! to read, decode or augment is replaced by the next sample of the
//! epoch's global order (positions `k + 1, k + 2, ...`, cyclically) that
//! loads, keeping slot `k`'s augmentation; the failure is recorded once in
//! the [`Report`]. The replacement depends only on which samples fail, so
//! it too is the same on any thread count. Under [`Policy::Fail`] the
//! batch holding the sample is replaced by the sample's error in the
//! iteration, which then goes on with the next batch.

mod batch;
mod builder;
mod report;
mod seek;
mod worker;

pub use batch::{Batch, Layout, Output};
pub use builder::LoaderBuilder;
pub use report::{Monitor, Report, Skipped, Stats};

use crate::decode::{DEFAULT_MAX_PIXELS, Request};
use crate::error::{Error, Result};
use crate::sampler::{EpochOrder, MAX_EPOCHS, Sampling};
use crate::source::{DEFAULT_MAX_FILE_BYTES, Dataset};

/// [`LoaderBuilder::seek_index_bytes`]' default: 256 MiB.
pub const DEFAULT_SEEK_INDEX_BYTES: usize = 256 << 20;
use augment::Pipeline;
use batch::{Buffers, Pool};
use report::Counters;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, RwLock};
use std::thread::JoinHandle;

/// What happens to a sample that fails to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Policy {
    /// Replace it by the next sample of the epoch order that loads, and
    /// record it in the [`Report`].
    #[default]
    Skip,
    /// Deliver the error in place of its batch.
    Fail,
}

/// Settings fixed at build.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub batch_size: usize,
    pub prefetch: usize,
    pub output: Output,
    pub policy: Policy,
    pub request: Request,
    pub max_file_bytes: u64,
    pub sampling: Sampling,
    pub drop_last_batch: bool,
    /// Ask decoders for only the region a plan reads.
    pub region_decoding: bool,
    /// Ask decoders for a reduced scale where the plan shrinks enough.
    pub scaled_decoding: bool,
    /// Output width and height of every image.
    pub size: (usize, usize),
    /// Each image of a batch in its own buffer, swapped in from the
    /// worker's scratch.
    pub per_image_buffers: bool,
}

impl Config {
    pub fn per_image(&self) -> usize {
        3 * self.size.0 * self.size.1
    }

    /// What decoders are asked for before each plan narrows it.
    pub fn steering(&self) -> crate::steer::Steering {
        crate::steer::Steering {
            request: self.request,
            region: self.region_decoding,
            scaled: self.scaled_decoding,
        }
    }
}

/// One batch of the prefetch window: how many of its images are still
/// being loaded, and the first error (by slot) under the fail policy.
#[derive(Debug)]
pub(crate) struct Pending {
    pub batch: usize,
    pub remaining: usize,
    pub error: Option<(usize, Error)>,
}

/// The epoch in progress, under one lock.
#[derive(Debug)]
pub(crate) struct State {
    pub shutdown: bool,
    /// Bumped at every epoch start and abandon: results of an older
    /// generation are dropped.
    pub generation: u64,
    pub epoch: u64,
    /// Images this rank loads this epoch.
    pub images: usize,
    pub batches: usize,
    /// Next image to claim; images below `limit` may be claimed.
    pub next: usize,
    pub limit: usize,
    pub delivered: usize,
    /// The window, indexed by `batch % prefetch`.
    pub window: Vec<Pending>,
    /// An error that ends the epoch (nothing loads, a worker died).
    pub fatal: Option<Error>,
}

/// A batch slot's buffers, tagged with the batch they are for.
#[derive(Debug, Default)]
pub(crate) struct Slot {
    pub generation: u64,
    pub batch: usize,
    pub buffers: Buffers,
}

/// What the loader and its workers share.
pub(crate) struct Shared {
    pub dataset: Dataset,
    pub pipeline: Pipeline,
    pub config: Config,
    pub state: Mutex<State>,
    /// Workers wait here for images to claim.
    pub work: Condvar,
    /// The consumer waits here for its batch.
    pub ready: Condvar,
    pub order: RwLock<EpochOrder>,
    pub slots: Vec<Mutex<Slot>>,
    pub pool: Arc<Pool>,
    /// Samples known to fail (skip policy): not tried again.
    pub bad: Vec<AtomicBool>,
    /// Where each JPEG's MCU rows start, from earlier epochs.
    pub seek: Arc<seek::SeekIndexes>,
    pub report: Arc<Mutex<Report>>,
    pub counters: Arc<Counters>,
    /// Set when the loader drops: workers abandon their sample.
    pub stop: AtomicBool,
    /// `State::generation`, readable without the lock (a worker checks it
    /// between the candidates of a skipped slot).
    pub generation: AtomicU64,
    /// Workers still running.
    pub alive: AtomicUsize,
}

impl Shared {
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A dataset, a pipeline and worker threads turning epochs into batches.
///
/// ```
/// use augment::Pipeline;
/// use load::{Dataset, Loader};
/// # let dir = tempfile::tempdir()?;
/// # for (class, n) in [("cat", 3), ("dog", 2)] {
/// #     std::fs::create_dir(dir.path().join(class))?;
/// #     for i in 0..n {
/// #         let png = load::decode::tests_support::tiny_png();
/// #         std::fs::write(dir.path().join(class).join(format!("{i}.png")), png)?;
/// #     }
/// # }
/// let dataset = Dataset::image_folder(dir.path())?;
/// let pipeline = Pipeline::builder().flip_horizontal(0.5).resize(8, 8).build()?;
/// let mut loader = Loader::builder(dataset, pipeline).batch_size(2).threads(2).build()?;
/// assert_eq!(loader.classes(), ["cat", "dog"]);
/// for epoch in 0..2 {
///     loader.set_epoch(epoch)?;
///     for batch in loader.iter() {
///         let batch = batch?;
///         assert_eq!(batch.shape()[1..], [3, 8, 8]);
///         assert!(batch.labels().iter().all(|&l| l == 0 || l == 1));
///     }
/// }
/// assert_eq!(loader.len(), 3); // 5 images in batches of 2
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Loader {
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
    epoch: u64,
    /// Buffers of the calling thread when there are no workers.
    inline: Box<worker::Scratch>,
}

impl std::fmt::Debug for Loader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loader")
            .field("samples", &self.shared.dataset.len())
            .field("threads", &self.workers.len())
            .field("epoch", &self.epoch)
            .field("config", &self.shared.config)
            .finish()
    }
}

impl Loader {
    /// A builder for `dataset` through `pipeline`, which must give every
    /// image the same output size.
    pub fn builder(dataset: Dataset, pipeline: Pipeline) -> LoaderBuilder {
        LoaderBuilder {
            sampling: Sampling {
                seed: pipeline.seed(),
                ..Sampling::default()
            },
            dataset,
            pipeline,
            batch_size: 64,
            threads: None,
            prefetch: 2,
            output: Output::default(),
            policy: Policy::Skip,
            request: Request::new().max_pixels(DEFAULT_MAX_PIXELS),
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            drop_last_batch: false,
            region_decoding: true,
            scaled_decoding: true,
            per_image_buffers: false,
            seek_index_bytes: DEFAULT_SEEK_INDEX_BYTES,
        }
    }

    /// The epoch the next [`Loader::iter`] runs (PyTorch's `set_epoch`):
    /// it changes the shuffle and the augmentation. Epochs are below 2^24.
    pub fn set_epoch(&mut self, epoch: u64) -> Result<()> {
        if epoch >= MAX_EPOCHS {
            return Err(Error::Setting {
                setting: "epoch",
                value: epoch.to_string(),
                expected: "an epoch below 2^24",
            });
        }
        self.epoch = epoch;
        Ok(())
    }

    /// The epoch the next [`Loader::iter`] runs.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Images this rank loads per epoch.
    pub fn images_per_epoch(&self) -> usize {
        let c = &self.shared.config;
        let per_rank = c.sampling.per_rank(self.shared.dataset.len());
        if c.drop_last_batch {
            per_rank / c.batch_size * c.batch_size
        } else {
            per_rank
        }
    }

    /// Batches per epoch.
    pub fn len(&self) -> usize {
        self.images_per_epoch()
            .div_ceil(self.shared.config.batch_size)
    }

    /// Whether an epoch has no batch.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The dataset's class names (folder datasets).
    pub fn classes(&self) -> &[String] {
        self.shared.dataset.classes()
    }

    /// The dataset.
    pub fn dataset(&self) -> &Dataset {
        &self.shared.dataset
    }

    /// The pipeline, with the loader's seed.
    pub fn pipeline(&self) -> &Pipeline {
        &self.shared.pipeline
    }

    /// Worker threads.
    pub fn threads(&self) -> usize {
        self.workers.len()
    }

    /// Output width and height of every image.
    pub fn image_size(&self) -> (usize, usize) {
        self.shared.config.size
    }

    /// The failures recorded so far (skip policy).
    pub fn report(&self) -> Report {
        self.monitor().report()
    }

    /// Thread time per stage so far.
    pub fn stats(&self) -> Stats {
        self.shared.counters.snapshot(&self.shared.seek)
    }

    /// A handle on [`Loader::report`] and [`Loader::stats`] that another
    /// thread can read while an epoch runs (its iterator borrows the
    /// loader), figures as of that moment.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use augment::Pipeline;
    /// use load::{Dataset, Loader};
    /// let pipeline = Pipeline::builder().resize(224, 224).build()?;
    /// let mut loader = Loader::builder(Dataset::image_folder("photos")?, pipeline).build()?;
    /// let monitor = loader.monitor();
    /// for batch in loader.iter() {
    ///     batch?;
    ///     eprintln!("{} images so far", monitor.stats().images);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn monitor(&self) -> Monitor {
        Monitor {
            report: Arc::clone(&self.shared.report),
            counters: Arc::clone(&self.shared.counters),
            seek: Arc::clone(&self.shared.seek),
        }
    }

    /// Runs the current epoch: an iterator of its batches, in order. The
    /// workers start on it now; dropping the iterator early abandons the
    /// rest of the epoch.
    pub fn iter(&mut self) -> Batches<'_> {
        let images = self.images_per_epoch();
        let shared = &self.shared;
        let c = &shared.config;
        let generation = {
            let mut state = shared.state();
            // Stop claims of any earlier epoch before touching the order.
            state.generation += 1;
            state.limit = 0;
            state.next = 0;
            shared.generation.store(state.generation, Ordering::SeqCst);
            state.generation
        };
        shared
            .order
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .fill(shared.dataset.len(), &c.sampling, self.epoch);
        let batches = images.div_ceil(c.batch_size);
        let first = batches.min(c.prefetch);
        for b in 0..first {
            prepare_slot(shared, b % c.prefetch, generation, b, images);
        }
        {
            let mut state = shared.state();
            state.epoch = self.epoch;
            state.images = images;
            state.batches = batches;
            state.delivered = 0;
            state.fatal = None;
            state.window.clear();
            state.window.extend((0..first).map(|b| Pending {
                batch: b,
                remaining: batch_len(c, images, b),
                error: None,
            }));
            state.limit = (first * c.batch_size).min(images);
        }
        shared.work.notify_all();
        Batches {
            loader: self,
            generation,
        }
    }
}

/// Images in batch `b` of an epoch of `images`.
fn batch_len(c: &Config, images: usize, b: usize) -> usize {
    images.saturating_sub(b * c.batch_size).min(c.batch_size)
}

/// Gives slot `slot` buffers for batch `batch` of `generation`.
fn prepare_slot(shared: &Shared, slot: usize, generation: u64, batch: usize, images: usize) {
    let c = &shared.config;
    if let Some(slot) = shared.slots.get(slot) {
        let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
        slot.generation = generation;
        slot.batch = batch;
        slot.buffers.prepare(c, batch_len(c, images, batch));
    }
}

impl Drop for Loader {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.state().shutdown = true;
        self.shared.work.notify_all();
        for handle in self.workers.drain(..) {
            // A worker that panicked has already reported it; nothing to add.
            let _ = handle.join();
        }
    }
}

impl<'a> IntoIterator for &'a mut Loader {
    type Item = Result<Batch>;
    type IntoIter = Batches<'a>;

    fn into_iter(self) -> Batches<'a> {
        self.iter()
    }
}

/// The batches of one epoch, in order ([`Loader::iter`]).
#[derive(Debug)]
pub struct Batches<'a> {
    loader: &'a mut Loader,
    generation: u64,
}

impl Iterator for Batches<'_> {
    type Item = Result<Batch>;

    fn next(&mut self) -> Option<Result<Batch>> {
        let shared = &self.loader.shared;
        let c = &shared.config;
        let mut state = shared.state();
        if state.generation != self.generation || state.delivered >= state.batches {
            return None;
        }
        let b = state.delivered;
        let at = b % c.prefetch;
        loop {
            if let Some(error) = state.fatal.take() {
                // Nothing more of this epoch can load.
                state.delivered = state.batches;
                state.limit = state.next;
                return Some(Err(error));
            }
            if state.window.get(at).is_some_and(|p| p.remaining == 0) {
                break;
            }
            if self.loader.workers.is_empty() {
                // No workers: load on this thread, in order, until the
                // batch is complete.
                if let Some(claimed) = worker::claim(&mut state) {
                    drop(state);
                    worker::process(shared, &mut self.loader.inline, claimed);
                    state = shared.state();
                    continue;
                }
                if state.window.get(at).is_some_and(|p| p.remaining > 0) {
                    state.delivered = state.batches;
                    return Some(Err(Error::Worker {
                        what: "a batch is incomplete with nothing left to load".into(),
                    }));
                }
            } else if shared.alive.load(Ordering::SeqCst) == 0 {
                state.delivered = state.batches;
                return Some(Err(Error::Worker {
                    what: "no worker thread is running".into(),
                }));
            }
            state = shared
                .ready
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        let images = state.images;
        let epoch = state.epoch;
        let error = state.window.get_mut(at).and_then(|p| p.error.take());
        state.delivered += 1;
        let next = b + c.prefetch;
        let refill = next < state.batches;
        if let Some(p) = state.window.get_mut(at) {
            // The slot waits for its next batch; no worker can claim its
            // images until the limit below moves.
            p.batch = next;
            p.remaining = if refill {
                batch_len(c, images, next)
            } else {
                0
            };
        }
        drop(state);
        let buffers = {
            let mut slot = shared.slots[at]
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let full = std::mem::replace(&mut slot.buffers, shared.pool.take());
            if refill {
                slot.generation = self.generation;
                slot.batch = next;
                slot.buffers.prepare(c, batch_len(c, images, next));
            } else {
                slot.batch = usize::MAX;
            }
            full
        };
        {
            let mut state = shared.state();
            if state.generation == self.generation {
                state.limit = ((state.delivered + c.prefetch) * c.batch_size).min(images);
            }
        }
        shared.work.notify_all();
        let n = buffers.labels.len();
        let (w, h) = c.size;
        let (layout, shape) = match c.output {
            Output::Tensor(_) => (Layout::Nchw, [n, 3, h, w]),
            Output::Pixels => (Layout::Nhwc, [n, h, w, 3]),
        };
        let batch = Batch {
            buffers,
            shape,
            layout,
            staged: c.per_image_buffers,
            epoch,
            index: b,
            pool: Arc::clone(&shared.pool),
        };
        match error {
            Some((_, e)) => Some(Err(e)),
            None => Some(Ok(batch)),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let state = self.loader.shared.state();
        let left = if state.generation == self.generation {
            state.batches - state.delivered.min(state.batches)
        } else {
            0
        };
        (left, Some(left))
    }
}

impl Drop for Batches<'_> {
    fn drop(&mut self) {
        let mut state = self.loader.shared.state();
        if state.generation == self.generation {
            // Abandon the rest: no more claims; late results are dropped.
            state.generation += 1;
            state.limit = 0;
            state.next = 0;
            self.loader
                .shared
                .generation
                .store(state.generation, Ordering::SeqCst);
        }
    }
}
