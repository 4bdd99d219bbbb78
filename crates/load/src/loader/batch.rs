//! The batches a loader hands out, and the pool their buffers return to.

use super::Config;
use crate::error::{Error, Result};
use augment::Normalisation;
use std::sync::{Arc, Mutex, PoisonError};

/// What each sample becomes in a batch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Output {
    /// NCHW `f32`, normalised: each image sampled straight into its planes
    /// by [`augment::Pipeline::apply_tensor`] (conversion, lighting and
    /// normalisation fused into the one sampling pass), or with region
    /// decoding by [`augment::Pipeline::apply_tensor_window`].
    Tensor(Normalisation),
    /// NHWC `u8`: each image augmented by
    /// [`augment::Pipeline::apply_plan_window_into`] (the whole image, or
    /// with region decoding the window delivered), pixels as the pipeline
    /// leaves them (for a GPU-side normalisation).
    Pixels,
}

impl Default for Output {
    fn default() -> Self {
        Output::Tensor(Normalisation::IMAGENET)
    }
}

/// The buffers of one batch: images, labels, and which sample filled
/// each slot. Reused from batch to batch.
#[derive(Debug, Default)]
pub(crate) struct Buffers {
    /// The batch's images, one after the other, unless each has its own
    /// buffer (the `staged_*` ones, with [`Config::per_image_buffers`]).
    pub tensor: Vec<f32>,
    pub pixels: Vec<u8>,
    /// One buffer per image, swapped with the worker's scratch rather
    /// than copied; only the first `labels.len()` belong to the batch.
    pub staged_tensor: Vec<Vec<f32>>,
    pub staged_pixels: Vec<Vec<u8>>,
    pub labels: Vec<i64>,
    pub samples: Vec<usize>,
    pub positions: Vec<u64>,
}

impl Buffers {
    /// Sizes every buffer for `images` images, keeping capacity
    /// (allocating only the first time a size is reached).
    pub fn prepare(&mut self, config: &Config, images: usize) {
        let values = images * config.per_image();
        match (config.output, config.per_image_buffers) {
            (Output::Tensor(_), false) => resize_images(&mut self.tensor, values),
            (Output::Pixels, false) => resize_images(&mut self.pixels, values),
            // Grown only: a short last batch keeps the others' buffers
            // for the next epoch.
            (Output::Tensor(_), true) if self.staged_tensor.len() < images => {
                self.staged_tensor.resize_with(images, Vec::new);
            }
            (Output::Pixels, true) if self.staged_pixels.len() < images => {
                self.staged_pixels.resize_with(images, Vec::new);
            }
            (_, true) => {}
        }
        self.labels.truncate(images);
        self.labels.resize(images, 0);
        self.samples.truncate(images);
        self.samples.resize(images, 0);
        self.positions.truncate(images);
        self.positions.resize(images, 0);
    }
}

/// Sizes an image buffer to `values`, every value to be overwritten by the
/// sampler. A buffer moved out of its batch ([`Batch::take_tensor`]) comes
/// back empty: it is allocated zeroed in one call (pages the allocator maps
/// fresh are already zero, so nothing is written twice) rather than grown
/// and filled.
fn resize_images<T: Copy + Default>(buffer: &mut Vec<T>, values: usize) {
    if buffer.capacity() < values {
        *buffer = vec![T::default(); values];
    } else {
        buffer.truncate(values);
        buffer.resize(values, T::default());
    }
}

/// Buffers returned by dropped batches, waiting for the next batch. It
/// keeps at most [`Pool::KEEP`] sets: the loader's memory is its
/// `prefetch` batches being built, plus these.
#[derive(Debug)]
pub(crate) struct Pool {
    free: Mutex<Vec<Buffers>>,
}

impl Pool {
    /// Sets kept. A consumer that holds one batch while the next is
    /// delivered (the Python loader's hand-over thread does) returns two in
    /// a row now and then, as threads are scheduled; keeping one dropped
    /// the second, and the batch after allocated its buffers afresh and
    /// faulted their pages in again (about 16 MB an epoch there).
    const KEEP: usize = 2;

    pub fn new() -> Pool {
        Pool {
            free: Mutex::new(Vec::with_capacity(Self::KEEP)),
        }
    }

    pub fn take(&self) -> Buffers {
        self.free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
            .unwrap_or_default()
    }

    fn put(&self, buffers: Buffers) {
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        if free.len() < Self::KEEP {
            free.push(buffers);
        }
    }
}

/// The error of a batch copy that cannot be made.
fn copy_error(what: &'static str, why: &str) -> Error {
    Error::Setting {
        setting: what,
        value: why.into(),
        expected: "the copy that matches the loader's output",
    }
}

/// The memory layout of a batch's images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `[n, channels, height, width]`, `f32`.
    Nchw,
    /// `[n, height, width, channels]`, `u8`.
    Nhwc,
}

/// One batch: images (NCHW `f32` or NHWC `u8`), labels (`i64`), and for
/// each slot the dataset sample that filled it and its position in the
/// epoch. Dropping it returns its buffers to the loader for reuse.
#[derive(Debug)]
pub struct Batch {
    pub(crate) buffers: Buffers,
    pub(crate) shape: [usize; 4],
    pub(crate) layout: Layout,
    /// Each image in its own buffer ([`crate::LoaderBuilder::per_image_buffers`]).
    pub(crate) staged: bool,
    pub(crate) epoch: u64,
    pub(crate) index: usize,
    pub(crate) pool: Arc<Pool>,
}

impl Batch {
    /// Images in the batch.
    pub fn len(&self) -> usize {
        self.shape[0]
    }

    /// Whether the batch holds no image.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `[n, c, h, w]` for [`Layout::Nchw`], `[n, h, w, c]` for [`Layout::Nhwc`].
    pub fn shape(&self) -> [usize; 4] {
        self.shape
    }

    /// How the images are laid out.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The NCHW `f32` images ([`Output::Tensor`]), else `None`; `None`
    /// too when each image has its own buffer
    /// ([`crate::LoaderBuilder::per_image_buffers`]: use
    /// [`Batch::copy_tensor_into`]).
    pub fn tensor(&self) -> Option<&[f32]> {
        (self.layout == Layout::Nchw && !self.staged).then_some(self.buffers.tensor.as_slice())
    }

    /// The NHWC `u8` images ([`Output::Pixels`]), else `None`; as
    /// [`Batch::tensor`].
    pub fn pixels(&self) -> Option<&[u8]> {
        (self.layout == Layout::Nhwc && !self.staged).then_some(self.buffers.pixels.as_slice())
    }

    /// The NCHW `f32` images to change in place, else `None` (as
    /// [`Batch::tensor`]): for a consumer that finishes them where they
    /// lie, or lends the memory to an array that owns the batch (the
    /// Python loader's NumPy arrays do), so no copy is made and the
    /// buffer still goes back to the loader when the batch is dropped.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use augment::Pipeline;
    /// use load::{Dataset, Loader};
    /// let pipeline = Pipeline::builder().resize(224, 224).build()?;
    /// let mut loader = Loader::builder(Dataset::image_folder("photos")?, pipeline).build()?;
    /// for batch in loader.iter() {
    ///     let mut batch = batch?;
    ///     let images = batch.tensor_mut().expect("NCHW f32 is the default output");
    ///     images.iter_mut().for_each(|v| *v = v.clamp(-2.0, 2.0));
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn tensor_mut(&mut self) -> Option<&mut [f32]> {
        (self.layout == Layout::Nchw && !self.staged).then_some(self.buffers.tensor.as_mut_slice())
    }

    /// The NHWC `u8` images to change in place, else `None`; as
    /// [`Batch::tensor_mut`].
    pub fn pixels_mut(&mut self) -> Option<&mut [u8]> {
        (self.layout == Layout::Nhwc && !self.staged).then_some(self.buffers.pixels.as_mut_slice())
    }

    /// Copies the NCHW `f32` images into `dst`, which holds exactly
    /// `shape().iter().product()` values: the one copy a consumer that
    /// must own the batch's memory (a NumPy array) makes, whether the
    /// images are contiguous or each in its own buffer.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use augment::Pipeline;
    /// use load::{Dataset, Loader};
    /// let pipeline = Pipeline::builder().resize(224, 224).build()?;
    /// let mut loader = Loader::builder(Dataset::image_folder("photos")?, pipeline)
    ///     .per_image_buffers(true)
    ///     .build()?;
    /// let mut mine = Vec::new();
    /// for batch in loader.iter() {
    ///     let batch = batch?;
    ///     mine.resize(batch.shape().iter().product(), 0.0);
    ///     batch.copy_tensor_into(&mut mine)?;
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn copy_tensor_into(&self, dst: &mut [f32]) -> Result<()> {
        let b = &self.buffers;
        self.copy_into(Layout::Nchw, dst, &b.tensor, &b.staged_tensor)
    }

    /// Copies the NHWC `u8` images into `dst`; as [`Batch::copy_tensor_into`].
    pub fn copy_pixels_into(&self, dst: &mut [u8]) -> Result<()> {
        let b = &self.buffers;
        self.copy_into(Layout::Nhwc, dst, &b.pixels, &b.staged_pixels)
    }

    /// The copy out of the batch's images if they are in `layout`.
    fn copy_into<T: bytemuck::Pod + Default>(
        &self,
        layout: Layout,
        dst: &mut [T],
        contiguous: &[T],
        staged: &[Vec<T>],
    ) -> Result<()> {
        if self.layout != layout {
            let (what, why) = match layout {
                Layout::Nchw => ("NCHW f32 images", "the loader's output is NHWC u8"),
                Layout::Nhwc => ("NHWC u8 images", "the loader's output is NCHW f32"),
            };
            return Err(copy_error(what, why));
        }
        let values: usize = self.shape.iter().product();
        if dst.len() != values {
            return Err(Error::Setting {
                setting: "batch copy destination length",
                value: dst.len().to_string(),
                expected: "the batch's shape().iter().product() values",
            });
        }
        if !self.staged {
            // Sized by the loader for the batch.
            let images = contiguous
                .get(..values)
                .ok_or_else(|| copy_error("batch images", "fewer values than the shape"))?;
            crate::kernels::copy_streaming(dst, images);
            return Ok(());
        }
        let per = values / self.shape[0].max(1);
        for (image, out) in dst.chunks_exact_mut(per.max(1)).enumerate() {
            // A delivered batch has every slot filled; a buffer of another
            // length could only be one no sample reached, so it reads as 0.
            match staged.get(image).filter(|s| s.len() == per) {
                Some(values) => crate::kernels::copy_streaming(out, values),
                None => out.fill(T::default()),
            }
        }
        Ok(())
    }

    /// Moves the NCHW `f32` images out ([`Output::Tensor`]), else `None`:
    /// the batch keeps its labels and positions and hands its image buffer
    /// to a new owner (a NumPy array, say) without a copy. The next batch
    /// then allocates a fresh buffer instead of reusing this one.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use augment::Pipeline;
    /// use load::{Dataset, Loader};
    /// let pipeline = Pipeline::builder().resize(224, 224).build()?;
    /// let mut loader = Loader::builder(Dataset::image_folder("photos")?, pipeline).build()?;
    /// for batch in loader.iter() {
    ///     let mut batch = batch?;
    ///     let shape = batch.shape();
    ///     let images: Vec<f32> = batch.take_tensor().expect("NCHW f32 is the default output");
    ///     assert_eq!(images.len(), shape.iter().product::<usize>());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn take_tensor(&mut self) -> Option<Vec<f32>> {
        (self.layout == Layout::Nchw && !self.staged)
            .then(|| std::mem::take(&mut self.buffers.tensor))
    }

    /// Moves the NHWC `u8` images out ([`Output::Pixels`]), else `None`; as
    /// [`Batch::take_tensor`].
    pub fn take_pixels(&mut self) -> Option<Vec<u8>> {
        (self.layout == Layout::Nhwc && !self.staged)
            .then(|| std::mem::take(&mut self.buffers.pixels))
    }

    /// One label per image.
    pub fn labels(&self) -> &[i64] {
        &self.buffers.labels
    }

    /// The dataset index of the sample in each slot: the epoch order's
    /// sample, or the one that replaced it under the skip policy.
    pub fn samples(&self) -> &[usize] {
        &self.buffers.samples
    }

    /// Each slot's position in the epoch's global order (before the rank
    /// split), which fixes its augmentation (see [`crate::sampler`]).
    pub fn positions(&self) -> &[u64] {
        &self.buffers.positions
    }

    /// The epoch it belongs to.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Its number within the epoch, from 0.
    pub fn index(&self) -> usize {
        self.index
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        self.pool.put(std::mem::take(&mut self.buffers));
    }
}
