//! Batches to tensors: images of any sizes through a [`Pipeline`] into one
//! contiguous NCHW `f32` buffer, normalised, in parallel.
//!
//! Each image is sampled once, straight into its planes of the tensor: the
//! conversion to `f32`, the lighting the plan drew and the normalisation are
//! one per-channel affine on values, applied by the sampler at store time,
//! so no intermediate image is made. Pixel steps that cannot be fused
//! (cutout, blurs) then run on the planes. Image `k` of a batch starting at
//! index `i` is image number `i + k` of the pipeline, whatever the thread
//! count: the tensor is the same on one thread or many, and image by image
//! it equals [`Pipeline::apply`] followed by [`Normalisation::normalise`]
//! (exactly where `apply` does not round, within half a step of the source
//! type's precision where it does).

use crate::error::{Error, Result};
use crate::pipeline::Pipeline;
use crate::pixel;
use crate::plan::Plan;
use crate::pyramid::Level;
use crate::sampling::{Sink, check_source, with_scratch};
use geom::{Element, ImageView, ImageViewMut};
use rayon::prelude::*;
use sample::ChannelAffine;
use std::sync::Mutex;

/// Per-channel mean and standard deviation, in units of full intensity
/// (0..=1 whatever the sample type): a tensor value is
/// `(v / full_scale - mean[c]) / std[c]`.
///
/// One value applies to every channel; otherwise one per channel, and
/// three values also fit an RGBA image, whose alpha is scaled to 0..=1 only.
///
/// ```
/// use augment::Normalisation;
/// let n = Normalisation::new(&[0.5], &[0.25])?;
/// assert_eq!(n.mean(), &[0.5]);
/// assert!(Normalisation::new(&[0.5, 0.5], &[0.0, 1.0]).is_err()); // std 0
/// # Ok::<(), augment::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normalisation {
    mean: [f32; 4],
    std: [f32; 4],
    values: usize,
}

impl Normalisation {
    /// The ImageNet statistics torchvision, timm and fastai use for RGB:
    /// mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225).
    pub const IMAGENET: Normalisation = Normalisation {
        mean: [0.485, 0.456, 0.406, 0.0],
        std: [0.229, 0.224, 0.225, 1.0],
        values: 3,
    };

    /// Scale to 0..=1 only (`ToTensor`), any channel count.
    pub const UNIT: Normalisation = Normalisation {
        mean: [0.0; 4],
        std: [1.0; 4],
        values: 1,
    };

    /// Mean and standard deviation per channel (1 to 4 of each, as many
    /// means as deviations), finite, deviations positive.
    pub fn new(mean: &[f32], std: &[f32]) -> Result<Normalisation> {
        if mean.len() != std.len() || !(1..=4).contains(&mean.len()) {
            return Err(Error::InvalidNormalisation {
                channel: mean.len().min(std.len()),
                mean: mean.len() as f32,
                std: std.len() as f32,
                expected: "as many means as deviations, 1 to 4 of each \
                           (the message shows their counts)",
            });
        }
        let mut n = Normalisation {
            mean: [0.0; 4],
            std: [1.0; 4],
            values: mean.len(),
        };
        for (channel, (&m, &s)) in mean.iter().zip(std).enumerate() {
            let scale = 1.0 / f64::from(s);
            let ok = m.is_finite()
                && s.is_finite()
                && s > 0.0
                && (scale as f32).is_finite()
                && ((f64::from(m) * scale) as f32).is_finite();
            if !ok {
                return Err(Error::InvalidNormalisation {
                    channel,
                    mean: m,
                    std: s,
                    expected: "a finite mean and a finite positive std",
                });
            }
            n.mean[channel] = m;
            n.std[channel] = s;
        }
        Ok(n)
    }

    /// The means given.
    pub fn mean(&self) -> &[f32] {
        &self.mean[..self.values]
    }

    /// The standard deviations given.
    pub fn std(&self) -> &[f32] {
        &self.std[..self.values]
    }

    /// The value affine `v * scale[c] + offset[c]` that normalises an image
    /// of `channels` channels whose full intensity is `full_scale` (255 for
    /// `u8`, 1 for `f32`): `scale = 1 / (full_scale * std)` and
    /// `offset = -mean / std`, each computed in `f64` and rounded once.
    /// Refused for integer images (`full_scale` above 1) when a mean is
    /// above 1: their statistics are in 0..=1 units, and such a mean is
    /// one in 0..=255 units.
    ///
    /// ```
    /// use augment::Normalisation;
    /// let mmcv = Normalisation::new(&[123.675, 116.28, 103.53], &[58.395, 57.12, 57.375])?;
    /// assert!(mmcv.channel_affine(3, 255.0).is_err()); // u8: 0..=1 units expected
    /// assert!(mmcv.channel_affine(3, 1.0).is_ok()); // f32 images in the caller's units
    /// # Ok::<(), augment::Error>(())
    /// ```
    pub fn channel_affine(&self, channels: usize, full_scale: f32) -> Result<ChannelAffine> {
        let fits =
            self.values == 1 || self.values == channels || (self.values == 3 && channels == 4);
        if !fits || !(1..=4).contains(&channels) {
            return Err(Error::NormalisationChannels {
                values: self.values,
                channels,
            });
        }
        // An integer image's values are scaled to 0..=1 before normalising,
        // so a mean above 1 lies beyond every value the image can hold:
        // statistics in 0..=255 units (mmcv's mean 123.675, std 58.395)
        // given where 0..=1 ones belong, which would turn every image into
        // values near -2 without a word.
        if full_scale > 1.0
            && let Some((channel, (&mean, &std))) = self
                .mean()
                .iter()
                .zip(self.std())
                .enumerate()
                .find(|(_, (m, _))| **m > 1.0)
        {
            return Err(Error::InvalidNormalisation {
                channel,
                mean,
                std,
                expected: "a mean in 0..=1 units for 8-bit images, whose values are scaled to \
                           0..=1 before normalising (as torchvision's ToTensor does): divide \
                           statistics given in 0..=255 units by 255",
            });
        }
        let mut affine = ChannelAffine::IDENTITY;
        for c in 0..channels {
            let (m, s) = match self.values {
                1 => (self.mean[0], self.std[0]),
                // Alpha of an RGBA image under RGB statistics: 0..=1 only.
                v if c >= v => (0.0, 1.0),
                _ => (self.mean[c], self.std[c]),
            };
            let (m, s) = (f64::from(m), f64::from(s));
            affine.scale[c] = (1.0 / (f64::from(full_scale) * s)) as f32;
            affine.offset[c] = (-m / s) as f32;
        }
        Ok(affine)
    }

    /// Writes `src` normalised into `out` as planes (CHW), the separate pass
    /// a fused batch saves: `out[c][i][j] = src(j, i)[c] * scale[c] + offset[c]`
    /// with [`Normalisation::channel_affine`]'s coefficients.
    ///
    /// ```
    /// use augment::{Image, Normalisation};
    /// let img = Image::<u8>::from_fn(2, 1, 3, |x, _, c| (x * 255) as u8 + c as u8 * 0)?;
    /// let mut chw = vec![0.0; 6];
    /// Normalisation::UNIT.normalise(img.view(), &mut chw)?;
    /// assert_eq!(chw, [0.0, 1.0, 0.0, 1.0, 0.0, 1.0]);
    /// # Ok::<(), augment::Error>(())
    /// ```
    pub fn normalise<T: Element>(&self, src: ImageView<'_, T>, out: &mut [f32]) -> Result<()> {
        let (w, h, c) = (src.width(), src.height(), src.channels());
        let affine = self.channel_affine(c, T::FULL_SCALE)?;
        let shape = [1, c, h, w];
        if out.len() != c * w * h {
            return Err(Error::TensorLength {
                len: out.len(),
                needed: c * w * h,
                shape,
            });
        }
        for (ch, plane) in out.chunks_exact_mut(w * h).enumerate() {
            let (scale, offset) = (affine.scale[ch], affine.offset[ch]);
            for (row_out, row) in plane.chunks_exact_mut(w).zip(src.rows()) {
                for (o, px) in row_out.iter_mut().zip(row.chunks_exact(c)) {
                    *o = px[ch].to_f32() * scale + offset;
                }
            }
        }
        Ok(())
    }
}

impl Default for Normalisation {
    fn default() -> Self {
        Normalisation::IMAGENET
    }
}

/// An owned NCHW `f32` tensor that batches are written into, reused from
/// call to call: once it has held the largest batch, filling it again
/// allocates nothing.
///
/// ```
/// use augment::{Image, Normalisation, Pipeline, Tensor};
/// let a = Image::<u8>::new(64, 48, 3)?;
/// let b = Image::<u8>::new(50, 70, 3)?;
/// let pipeline = Pipeline::builder().flip_horizontal(0.5).resize(32, 32).build()?;
/// let mut batch = Tensor::new();
/// pipeline.apply_batch(&[a.view(), b.view()], 0, &Normalisation::IMAGENET, &mut batch)?;
/// assert_eq!(batch.shape(), [2, 3, 32, 32]);
/// assert_eq!(batch.image(1).map(<[f32]>::len), Some(3 * 32 * 32));
/// # Ok::<(), augment::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tensor {
    data: Vec<f32>,
    shape: [usize; 4],
}

impl Tensor {
    /// An empty tensor (shape `[0, 0, 0, 0]`), allocating nothing yet.
    pub fn new() -> Tensor {
        Tensor::default()
    }

    /// `[images, channels, height, width]`.
    pub fn shape(&self) -> [usize; 4] {
        self.shape
    }

    /// All values, image after image, each channel plane after plane, row-major.
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }

    /// All values, mutably.
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// The values, giving up the tensor.
    pub fn into_vec(self) -> Vec<f32> {
        self.data
    }

    /// Image `n`'s values (CHW), if there is an image `n`.
    pub fn image(&self, n: usize) -> Option<&[f32]> {
        let [_, c, h, w] = self.shape;
        let len = c * h * w;
        self.data
            .get(n.checked_mul(len)?..(n + 1).checked_mul(len)?)
    }

    /// Channel `c` of image `n` (HW), if both exist.
    pub fn plane(&self, n: usize, c: usize) -> Option<&[f32]> {
        let [_, channels, h, w] = self.shape;
        if c >= channels {
            return None;
        }
        let image = self.image(n)?;
        image.get(c * h * w..(c + 1) * h * w)
    }

    /// Takes `shape`, keeping the buffer's capacity when it is enough.
    fn reshape(&mut self, shape: [usize; 4]) -> Result<()> {
        let len = tensor_len(shape)?;
        if len > self.data.capacity() {
            self.data
                .try_reserve_exact(len - self.data.len())
                .map_err(|_| too_large(shape))?;
        }
        // Every value is overwritten by the batch; resizing only fills new room.
        self.data.resize(len, 0.0);
        self.shape = shape;
        Ok(())
    }
}

fn too_large(shape: [usize; 4]) -> Error {
    geom::Error::TooLarge {
        width: shape[3],
        height: shape[2],
        channels: shape[1],
        limit: usize::MAX / shape[0].max(1),
        unit: geom::LimitUnit::Elements,
    }
    .into()
}

fn tensor_len(shape: [usize; 4]) -> Result<usize> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&len| len <= isize::MAX as usize / std::mem::size_of::<f32>())
        .ok_or_else(|| too_large(shape))
}

impl Pipeline {
    /// Augments `images` (any sizes, one channel count) as images
    /// `first_index..` into `out`, an NCHW tensor normalised by
    /// `normalisation`, in parallel on rayon's current pool. The pipeline
    /// must give every image the same output size (end it with a resize or
    /// crop). `out` is reshaped, its buffer reused.
    ///
    /// Image `k` draws the parameters [`Pipeline::apply`] draws for image
    /// `first_index + k`, so the tensor does not depend on the thread count
    /// or on how a dataset is split into batches.
    ///
    /// ```
    /// use augment::{Image, Normalisation, Pipeline, Tensor};
    /// let photo = Image::<u8>::from_fn(120, 80, 3, |x, y, c| (x + 2 * y + 40 * c) as u8)?;
    /// let pipeline = Pipeline::fastai_default(64, 64).seed(1).build()?;
    /// let mut batch = Tensor::new();
    /// let views = vec![photo.view(); 4];
    /// pipeline.apply_batch(&views, 0, &Normalisation::IMAGENET, &mut batch)?;
    /// assert_eq!(batch.shape(), [4, 3, 64, 64]);
    ///
    /// // Image 2 of the batch is apply(photo, 2), normalised.
    /// let mut one = vec![0.0; 3 * 64 * 64];
    /// Normalisation::IMAGENET.normalise(pipeline.apply(photo.view(), 2)?.view(), &mut one)?;
    /// let image2 = batch.image(2).ok_or("no image 2")?;
    /// assert!(image2.iter().zip(&one).all(|(a, b)| (a - b).abs() <= 0.5 / 255.0 / 0.224 + 1e-5));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply_batch<T: Element>(
        &self,
        images: &[ImageView<'_, T>],
        first_index: u64,
        normalisation: &Normalisation,
        out: &mut Tensor,
    ) -> Result<()> {
        let shape = self.batch_shape(images, first_index, normalisation)?;
        out.reshape(shape)?;
        self.fill_batch(images, first_index, normalisation, &mut out.data, shape)
    }

    /// [`Pipeline::apply_batch`] into a buffer the caller owns (a pinned
    /// host buffer, a memory map, a slice of a larger tensor), which must
    /// hold exactly the batch; returns its shape `[n, c, h, w]`.
    pub fn apply_batch_into<T: Element>(
        &self,
        images: &[ImageView<'_, T>],
        first_index: u64,
        normalisation: &Normalisation,
        out: &mut [f32],
    ) -> Result<[usize; 4]> {
        let shape = self.batch_shape(images, first_index, normalisation)?;
        let needed = tensor_len(shape)?;
        if out.len() != needed {
            return Err(Error::TensorLength {
                len: out.len(),
                needed,
                shape,
            });
        }
        self.fill_batch(images, first_index, normalisation, out, shape)?;
        Ok(shape)
    }

    /// One image as image number `index`, into `out` as CHW planes of the
    /// plan's output size, on the calling thread; returns `(width, height)`.
    /// `out` must hold `channels * width * height` values.
    pub fn apply_tensor<T: Element>(
        &self,
        src: ImageView<'_, T>,
        index: u64,
        normalisation: &Normalisation,
        out: &mut [f32],
    ) -> Result<(usize, usize)> {
        let plan = self.plan(src.width(), src.height(), index)?;
        let (w, h) = (plan.width(), plan.height());
        check_source(&src, &plan, (w, h))?;
        self.apply_tensor_window(src, (0, 0), &plan, normalisation, out)?;
        Ok((w, h))
    }

    /// [`Pipeline::apply_tensor`] with a drawn `plan` (for image `index`,
    /// [`Pipeline::plan`]`(width, height, index)`), given only a window of
    /// the source: the pixels `origin .. origin + (window.width(),
    /// window.height())` of the `plan.source_size()` image. The window must
    /// lie inside that image and hold [`Pipeline::read_window`]
    /// ([`Error::WindowOutside`], [`Error::WindowTooSmall`] otherwise); the
    /// planes are those of the whole image, within the bound stated there.
    /// `out` must hold `channels * width * height` values.
    pub fn apply_tensor_window<T: Element>(
        &self,
        window: ImageView<'_, T>,
        origin: (usize, usize),
        plan: &Plan,
        normalisation: &Normalisation,
        out: &mut [f32],
    ) -> Result<()> {
        let (w, h, c) = (plan.width(), plan.height(), window.channels());
        let needed = c.saturating_mul(w).saturating_mul(h);
        if out.len() != needed {
            return Err(Error::TensorLength {
                len: out.len(),
                needed,
                shape: [1, c, h, w],
            });
        }
        let affine = normalisation.channel_affine(c, T::FULL_SCALE)?;
        let (src, origin, level) = self.place(window, origin, plan)?;
        self.tensor_image(src, origin, plan, level, &affine, out, (w, h))
    }

    /// The batch's NCHW shape, from image 0's plan; checks every image's
    /// channel count and that the normalisation fits it.
    fn batch_shape<T: Element>(
        &self,
        images: &[ImageView<'_, T>],
        first_index: u64,
        normalisation: &Normalisation,
    ) -> Result<[usize; 4]> {
        let Some(first) = images.first() else {
            return Ok([0; 4]);
        };
        let channels = first.channels();
        normalisation.channel_affine(channels, T::FULL_SCALE)?;
        if let Some((index, img)) = images
            .iter()
            .enumerate()
            .find(|(_, img)| img.channels() != channels)
        {
            return Err(Error::BatchShape {
                index,
                found: format!("{} channels", img.channels()),
                expected: format!("{channels} channels"),
            });
        }
        let plan = self
            .plan(first.width(), first.height(), first_index)
            .map_err(|e| Error::BatchImage {
                index: 0,
                source: Box::new(e),
            })?;
        let shape = [images.len(), channels, plan.height(), plan.width()];
        tensor_len(shape)?;
        Ok(shape)
    }

    /// Fills `out` (exactly `shape`) image by image in parallel. Every
    /// image runs even if one fails, and the error reported is that of the
    /// lowest failing index, so errors too do not depend on the thread count.
    fn fill_batch<T: Element>(
        &self,
        images: &[ImageView<'_, T>],
        first_index: u64,
        normalisation: &Normalisation,
        out: &mut [f32],
        shape: [usize; 4],
    ) -> Result<()> {
        let [_, c, h, w] = shape;
        let per_image = c * h * w;
        if per_image == 0 {
            return Ok(());
        }
        let affine = normalisation.channel_affine(c, T::FULL_SCALE)?;
        let first_error: Mutex<Option<(usize, Error)>> = Mutex::new(None);
        out.par_chunks_mut(per_image)
            .zip(images.par_iter())
            .enumerate()
            .for_each(|(k, (chunk, src))| {
                let index = first_index.wrapping_add(k as u64);
                let image = self
                    .plan(src.width(), src.height(), index)
                    .and_then(|plan| {
                        let level = self.level(&plan, plan.source_size());
                        self.tensor_image(*src, (0, 0), &plan, level, &affine, chunk, (w, h))
                    });
                if let Err(e) = image {
                    let mut slot = first_error.lock().unwrap_or_else(|p| p.into_inner());
                    if slot.as_ref().is_none_or(|(at, _)| k < *at) {
                        *slot = Some((k, e));
                    }
                }
            });
        match first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
            Some((index, e)) => Err(Error::BatchImage {
                index,
                source: Box::new(e),
            }),
            None => Ok(()),
        }
    }

    /// One image into its CHW planes: the sampling pass with lighting and
    /// normalisation fused, a clamp to the sample type's range where
    /// [`Pipeline::apply`] would clamp, then the pixel steps per plane.
    /// `src` is the part of the image `plan` was drawn for at `origin`,
    /// `level` in its coordinates (see `Pipeline::sample_into`).
    #[allow(clippy::too_many_arguments)]
    fn tensor_image<T: Element>(
        &self,
        src: ImageView<'_, T>,
        origin: (usize, usize),
        plan: &Plan,
        level: Option<Level>,
        normalisation: &ChannelAffine,
        out: &mut [f32],
        (w, h): (usize, usize),
    ) -> Result<()> {
        let channels = src.channels();
        let full_scale = f64::from(T::FULL_SCALE);
        let (gain, offset) = plan.value_affine();
        let lit = gain != 1.0 || offset != 0.0;
        with_scratch(|scratch| {
            let sink = Sink::Planes {
                out: &mut *out,
                width: w,
                height: h,
                normalisation,
            };
            self.sample_into(src, origin, plan, level, sink, scratch)?;
            let out_of_range = self
                .padding
                .constant()
                .is_some_and(|v| !(0.0..=T::FULL_SCALE).contains(&v));
            if (lit || out_of_range) && clamps::<T>() {
                clamp_planes(out, normalisation, channels, w * h, T::FULL_SCALE);
            }
            if plan.pixel_ops().is_empty() {
                return Ok(());
            }
            for (c, plane) in out.chunks_exact_mut(w * h).enumerate() {
                let view = ImageViewMut::new(plane, w, h, 1)?;
                let (s, o) = (normalisation.scale[c], normalisation.offset[c]);
                pixel::run_with_fill(plan.pixel_ops(), view, &mut scratch.plane, |fill| {
                    ((fill * full_scale) as f32) * s + o
                })?;
            }
            Ok(())
        })
    }
}

/// Whether `T` clamps values to `0..=FULL_SCALE` on store (`u8` does, `f32`
/// keeps any value), so the tensor clamps lit values where `apply` would.
fn clamps<T: Element>() -> bool {
    T::from_f32(2.0 * T::FULL_SCALE).to_f32() <= T::FULL_SCALE
}

/// Clamps each plane to the normalised image of `0..=full_scale`.
fn clamp_planes(
    out: &mut [f32],
    normalisation: &ChannelAffine,
    channels: usize,
    plane_len: usize,
    full_scale: f32,
) {
    // Compiled for the selected instruction set (the baseline build would
    // clamp 4 lanes at a time); a clamp is exact, so every path agrees.
    geom::Isa::selected().vectorize(ClampPlanes {
        out,
        normalisation,
        channels,
        plane_len,
        full_scale,
    });
}

struct ClampPlanes<'a> {
    out: &'a mut [f32],
    normalisation: &'a ChannelAffine,
    channels: usize,
    plane_len: usize,
    full_scale: f32,
}

impl pulp::WithSimd for ClampPlanes<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let ClampPlanes {
            out,
            normalisation,
            channels,
            plane_len,
            full_scale,
        } = self;
        for (c, plane) in out.chunks_exact_mut(plane_len).take(channels).enumerate() {
            let (s, o) = (normalisation.scale[c], normalisation.offset[c]);
            let (a, b) = (o, full_scale * s + o);
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            for v in plane {
                *v = v.clamp(lo, hi);
            }
        }
    }
}
