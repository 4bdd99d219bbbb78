//! The loader's settings, their defaults and checks, and the build that
//! starts the worker threads.

use super::*;

/// Builds a [`Loader`]; see each setting for its default.
#[derive(Debug, Clone)]
pub struct LoaderBuilder {
    pub(super) dataset: Dataset,
    pub(super) pipeline: Pipeline,
    pub(super) batch_size: usize,
    pub(super) threads: Option<usize>,
    pub(super) prefetch: usize,
    pub(super) sampling: Sampling,
    pub(super) output: Output,
    pub(super) policy: Policy,
    pub(super) request: Request,
    pub(super) max_file_bytes: u64,
    pub(super) drop_last_batch: bool,
    pub(super) region_decoding: bool,
    pub(super) scaled_decoding: bool,
    pub(super) per_image_buffers: bool,
    pub(super) seek_index_bytes: usize,
}

impl LoaderBuilder {
    /// Images per batch (default 64).
    #[must_use]
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = n;
        self
    }

    /// Worker threads (default: the machine's available parallelism). 0
    /// starts none: each batch is built on the thread that asks for it
    /// (PyTorch's `num_workers=0`), the same batches, one image at a time.
    #[must_use]
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = Some(n);
        self
    }

    /// Batches built ahead of the consumer (default 2).
    #[must_use]
    pub fn prefetch(mut self, n: usize) -> Self {
        self.prefetch = n;
        self
    }

    /// Shuffle each epoch (default on).
    #[must_use]
    pub fn shuffle(mut self, on: bool) -> Self {
        self.sampling.shuffle = on;
        self
    }

    /// The seed of the shuffle and of the augmentation (default: the
    /// pipeline's seed). The pipeline runs with this seed
    /// ([`Pipeline::with_seed`]), so one number reproduces a run.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.sampling.seed = seed;
        self
    }

    /// This process is replica `rank` of `world` (default 0 of 1), as
    /// PyTorch's `DistributedSampler(num_replicas=world, rank=rank)`.
    #[must_use]
    pub fn distributed(mut self, rank: usize, world: usize) -> Self {
        self.sampling.rank = rank;
        self.sampling.world = world;
        self
    }

    /// `DistributedSampler`'s `drop_last`: cut the epoch order to a
    /// multiple of the world size instead of padding it (default off).
    #[must_use]
    pub fn drop_last(mut self, on: bool) -> Self {
        self.sampling.drop_last = on;
        self
    }

    /// `DataLoader`'s `drop_last`: leave out this rank's last batch if it
    /// is not full (default off: it is delivered smaller).
    #[must_use]
    pub fn drop_last_batch(mut self, on: bool) -> Self {
        self.drop_last_batch = on;
        self
    }

    /// What each sample becomes (default NCHW `f32` with ImageNet
    /// normalisation).
    #[must_use]
    pub fn output(mut self, output: Output) -> Self {
        self.output = output;
        self
    }

    /// What a failing sample does (default [`Policy::Skip`]).
    #[must_use]
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Apply EXIF orientation (default on; torchvision's `ImageFolder`
    /// does not, see [`crate::decode`]).
    #[must_use]
    pub fn orientation(mut self, on: bool) -> Self {
        self.request = self.request.orientation(on);
        self
    }

    /// Refuse images whose header has more pixels (default 2^28).
    #[must_use]
    pub fn max_pixels(mut self, limit: u64) -> Self {
        self.request = self.request.max_pixels(limit);
        self
    }

    /// Decode only the part of each image its augmentation reads (default
    /// on): the worker reads the header, draws the image's plan, asks the
    /// decoder for [`augment::Pipeline::read_window`] turned to stored
    /// pixels, and samples from what it delivered (a decoder may deliver
    /// more, or the whole image). Batches are those of decoding whole
    /// images, within the bound `read_window` states; off decodes every
    /// image whole.
    #[must_use]
    pub fn region_decoding(mut self, on: bool) -> Self {
        self.region_decoding = on;
        self
    }

    /// Decode at a reduced scale where the augmentation shrinks enough
    /// (default on): for an affine plan whose footprint
    /// ([`augment::Plan::source_footprint`]) is at least `8 / m` source
    /// pixels per output pixel on both axes, a JPEG is decoded at `m / 8`
    /// (`m` = 1 to 7, the smallest that fits, so the image still has the
    /// output's resolution: libjpeg's reduced inverse DCTs) and sampled
    /// through the plan composed with that scale
    /// ([`augment::Plan::with_source`]). The scaled decode stands in for
    /// the pyramid levels the full decode would be averaged into, so
    /// outputs differ from full decoding by the difference of the two
    /// low-pass filters: on photos at ImageNet sizes, a mean of about 1
    /// level of 255 (see `tests/scaled.rs` for the bound kept); on images
    /// only a few dozen pixels across, or squeezed to a very different
    /// aspect ratio, several levels. Off, every image is decoded at full
    /// size.
    #[must_use]
    pub fn scaled_decoding(mut self, on: bool) -> Self {
        self.scaled_decoding = on;
        self
    }

    /// Keep each image of a batch in its own buffer (default off): a
    /// worker hands its finished image over by swapping buffers instead of
    /// copying it into the batch, and the batch's images are read with
    /// [`Batch::copy_tensor_into`] / [`Batch::copy_pixels_into`] (while
    /// [`Batch::tensor`] and [`Batch::pixels`] give `None`). For a consumer
    /// that must copy every batch into memory of its own anyway, this
    /// makes that copy the only one. (A consumer that can hold the batch
    /// itself needs no copy: [`Batch::tensor_mut`] gives its images in
    /// place, as the Python loader lends them to NumPy.)
    #[must_use]
    pub fn per_image_buffers(mut self, on: bool) -> Self {
        self.per_image_buffers = on;
        self
    }

    /// Memory for remembering where each JPEG's MCU rows start, from one
    /// epoch to the next (default 256 MiB; 0 keeps nothing). With region
    /// decoding, a file decoded again jumps to its region's first row and
    /// from the region's right edge to the next row instead of reading
    /// the Huffman codes between ([`crate::decode::decode_with_index`]:
    /// the same pixels). Sequential JPEGs without restart intervals keep
    /// 8 bytes per MCU row and about 41 for the file's entry: a 500x375
    /// photo with 4:2:0 chroma (24 rows) costs 233 bytes, so the default
    /// covers about 1.15 million of them (ImageNet's training set, 1.28
    /// million photos mostly of that size or smaller, wants about 300 MiB);
    /// files past the budget decode as in the first epoch.
    #[must_use]
    pub fn seek_index_bytes(mut self, limit: usize) -> Self {
        self.seek_index_bytes = limit;
        self
    }

    /// Refuse files (or members) larger than this (default 256 MiB).
    #[must_use]
    pub fn max_file_bytes(mut self, limit: u64) -> Self {
        self.max_file_bytes = limit;
        self
    }

    /// Checks the settings, finds the output size and starts the workers
    /// (idle until the first [`Loader::iter`]).
    pub fn build(self) -> Result<Loader> {
        let setting = |setting, value: usize, expected| {
            Err(Error::Setting {
                setting,
                value: value.to_string(),
                expected,
            })
        };
        if self.batch_size == 0 {
            return setting("batch_size", 0, "at least 1");
        }
        if self.prefetch == 0 {
            return setting("prefetch", 0, "at least 1");
        }
        let threads = match self.threads {
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        if threads > 1024 {
            return setting("threads", threads, "0 to 1024");
        }
        self.sampling.check(self.dataset.len())?;
        let pipeline = self.pipeline.with_seed(self.sampling.seed);
        let size = output_size(&pipeline)?;
        let config = Config {
            batch_size: self.batch_size,
            prefetch: self.prefetch,
            output: self.output,
            policy: self.policy,
            request: self.request,
            max_file_bytes: self.max_file_bytes,
            sampling: self.sampling,
            drop_last_batch: self.drop_last_batch,
            region_decoding: self.region_decoding,
            scaled_decoding: self.scaled_decoding,
            size,
            per_image_buffers: self.per_image_buffers,
        };
        if let Output::Tensor(n) = &config.output {
            n.channel_affine(3, 255.0)
                .map_err(|e| Error::Normalisation {
                    what: e.to_string(),
                })?;
        }
        let bad = (0..self.dataset.len())
            .map(|_| AtomicBool::new(false))
            .collect();
        let shared = Arc::new(Shared {
            dataset: self.dataset,
            pipeline,
            state: Mutex::new(State {
                shutdown: false,
                generation: 0,
                epoch: 0,
                images: 0,
                batches: 0,
                next: 0,
                limit: 0,
                delivered: 0,
                window: Vec::with_capacity(config.prefetch),
                fatal: None,
            }),
            slots: (0..config.prefetch)
                .map(|_| Mutex::new(Slot::default()))
                .collect(),
            config,
            work: Condvar::new(),
            ready: Condvar::new(),
            order: RwLock::new(EpochOrder::default()),
            pool: Arc::new(Pool::new()),
            bad,
            seek: Arc::new(seek::SeekIndexes::new(self.seek_index_bytes)),
            report: Arc::new(Mutex::new(Report::default())),
            counters: Arc::new(Counters::default()),
            stop: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            alive: AtomicUsize::new(threads),
        });
        let mut loader = Loader {
            shared,
            workers: Vec::with_capacity(threads),
            epoch: 0,
            inline: Box::default(),
        };
        for i in 0..threads {
            let shared = Arc::clone(&loader.shared);
            let handle = std::thread::Builder::new()
                .name(format!("augment-load-{i}"))
                .spawn(move || worker::run(&shared));
            let handle = match handle {
                Ok(handle) => handle,
                Err(e) => {
                    // The threads not started will never count themselves out.
                    loader.shared.alive.fetch_sub(threads - i, Ordering::SeqCst);
                    return Err(Error::Worker {
                        what: format!("cannot start a thread: {e}"),
                    });
                }
            };
            loader.workers.push(handle);
        }
        Ok(loader)
    }
}

/// The output size every image gets: the pipeline must fix it (end with a
/// resize or crop), which two differently shaped sources reveal.
fn output_size(pipeline: &Pipeline) -> Result<(usize, usize)> {
    let plan = |w, h| {
        pipeline.plan(w, h, 0).map_err(|e| Error::Setting {
            setting: "pipeline",
            value: e.to_string(),
            expected: "a pipeline that plans for a 1000x750 and a 600x900 source",
        })
    };
    let (a, b) = (plan(1000, 750)?, plan(600, 900)?);
    let size = (a.width(), a.height());
    if size != (b.width(), b.height()) {
        return Err(Error::Setting {
            setting: "pipeline",
            value: format!(
                "output {}x{} for a 1000x750 source, {}x{} for 600x900",
                a.width(),
                a.height(),
                b.width(),
                b.height()
            ),
            expected: "one output size for every source (end the pipeline with a resize or crop)",
        });
    }
    Ok(size)
}
