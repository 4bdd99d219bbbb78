//! A list of transforms, drawn per image, composed into one map and sampled once.

use crate::builder::PipelineBuilder;
use crate::error::{Error, Result};
use crate::pixel;
use crate::plan::{Frame, Plan};
use crate::sampling::{Sink, check_source, with_scratch};
use crate::targets::{Boxes, MappedPoint};
use crate::transform::Transform;
use geom::{Element, Image, ImageView, ImageViewMut, Map, Padding, Point};
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sample::{Interpolation, WarpOptions};

/// A transform and the probability that it fires for a given image.
///
/// In pipeline files: `{transform = {type = "rotate", degrees = [-10, 10]}, p = 0.75}`
/// (`p` defaults to 1); reading a step checks it as the builder does.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "crate::file::StepSpec")]
pub struct Step {
    /// What it does.
    pub transform: Transform,
    /// Chance of applying it, in 0..=1 (default 1).
    pub p: f64,
}

/// An augmentation pipeline: steps applied in order to the content, composed
/// into one coordinate map, sampled once.
///
/// Image `k` run with seed `s` draws its parameters from a generator derived
/// from `(s, k)` alone, so results do not depend on thread count, batch split
/// or CPU features.
///
/// ```
/// use augment::{Image, Pipeline};
/// let photo = Image::<u8>::from_fn(64, 48, 3, |x, y, c| (x * 3 + y + c) as u8)?;
/// let pipeline = Pipeline::builder()
///     .flip_horizontal(0.5)
///     .rotate(-10.0..=10.0, 0.75)
///     .zoom(1.0..=1.1, 0.75)
///     .resize(32, 32)
///     .seed(42)
///     .build()?;
/// let out = pipeline.apply(photo.view(), 0)?;
/// assert_eq!((out.width(), out.height(), out.channels()), (32, 32, 3));
/// assert_eq!(out, pipeline.apply(photo.view(), 0)?); // same seed and index, same image
/// # Ok::<(), augment::Error>(())
/// ```
///
/// A pipeline reads from and writes to pipeline files through serde (the
/// steps, interpolation, padding, seed and the other settings; reading
/// checks every parameter as [`PipelineBuilder::build`] does).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(
    try_from = "crate::file::PipelineSpec",
    into = "crate::file::PipelineSpec"
)]
pub struct Pipeline {
    pub(crate) steps: Vec<Step>,
    pub(crate) interpolation: Interpolation,
    pub(crate) padding: Padding,
    pub(crate) seed: u64,
    pub(crate) max_output_pixels: usize,
    pub(crate) antialias: bool,
    pub(crate) mask_fill: f32,
    pub(crate) min_box_visibility: f64,
}

/// Targets that follow an image through the same drawn parameters; see
/// [`Pipeline::apply_with_targets`].
#[derive(Debug, Clone, Copy)]
pub struct Targets<'a, L = u32> {
    /// A label mask the size of the image (1–4 channels), sampled nearest
    /// with the pipeline's mask fill outside.
    pub mask: Option<ImageView<'a, u8>>,
    /// Keypoints in the image plane (pixel centres at integers).
    pub keypoints: &'a [Point],
    /// Bounding boxes with labels.
    pub boxes: Option<&'a Boxes<L>>,
}

impl<L> Default for Targets<'_, L> {
    fn default() -> Self {
        Targets {
            mask: None,
            keypoints: &[],
            boxes: None,
        }
    }
}

/// An augmented image with its targets.
#[derive(Debug, Clone, PartialEq)]
pub struct Augmented<T, L = u32> {
    /// The image.
    pub image: Image<T>,
    /// The mask, if one was given.
    pub mask: Option<Image<u8>>,
    /// Every keypoint, in input order, with where it went.
    pub keypoints: Vec<MappedPoint>,
    /// The boxes still visible enough, labels aligned.
    pub boxes: Option<Boxes<L>>,
}

impl Pipeline {
    /// A builder with no steps, bilinear, `Reflect101` padding, seed 0.
    pub fn builder() -> PipelineBuilder {
        PipelineBuilder::default()
    }

    /// The steps, in order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The value a warped mask takes outside its source
    /// ([`PipelineBuilder::mask_fill`](crate::PipelineBuilder::mask_fill)).
    pub fn mask_fill(&self) -> f32 {
        self.mask_fill
    }

    /// The same pipeline with another seed.
    #[must_use]
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The generator image `index` draws from: ChaCha8 keyed by the seed, on
    /// stream `index`, so images are independent of each other and of order.
    pub fn rng_for(&self, index: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(index);
        rng
    }

    /// Draws image `index`'s parameters for a `width x height` source.
    pub fn plan(&self, width: usize, height: usize, index: u64) -> Result<Plan> {
        self.plan_with_rng(width, height, &mut self.rng_for(index))
    }

    /// Draws parameters from `rng` for a `width x height` source.
    pub fn plan_with_rng<R: Rng + ?Sized>(
        &self,
        width: usize,
        height: usize,
        rng: &mut R,
    ) -> Result<Plan> {
        geom::Shape::new(width, height, 1)?;
        let mut frame = Frame::new(width, height);
        for step in &self.steps {
            let fires = step.p >= 1.0 || rng.random::<f64>() < step.p;
            if fires {
                step.transform.draw_into(&mut frame, rng)?;
            }
        }
        let pixels = frame.width.saturating_mul(frame.height);
        if pixels > self.max_output_pixels {
            return Err(Error::OutputTooLarge {
                width: frame.width,
                height: frame.height,
                limit: self.max_output_pixels,
            });
        }
        frame.finish((width, height))
    }

    /// Augments `src` as image number `index`: one sampling pass.
    pub fn apply<T: Element>(&self, src: ImageView<'_, T>, index: u64) -> Result<Image<T>> {
        let plan = self.plan(src.width(), src.height(), index)?;
        self.apply_plan(src, &plan)
    }

    /// Augments `src` with already drawn parameters.
    pub fn apply_plan<T: Element>(&self, src: ImageView<'_, T>, plan: &Plan) -> Result<Image<T>> {
        let mut out = self.output_for(plan, src.channels())?;
        self.apply_plan_into(src, out.view_mut(), plan)?;
        Ok(out)
    }

    /// Augments `src` into `dst`, which must have the plan's size and `src`'s channels.
    pub fn apply_plan_into<T: Element>(
        &self,
        src: ImageView<'_, T>,
        dst: ImageViewMut<'_, T>,
        plan: &Plan,
    ) -> Result<()> {
        check_source(&src, plan, (dst.width(), dst.height()))?;
        self.apply_plan_window_into(src, (0, 0), plan, dst)
    }

    /// [`Pipeline::apply_plan_into`] given only a window of the source:
    /// the pixels `origin .. origin + (window.width(), window.height())` of
    /// the `plan.source_size()` image the plan was drawn for. The window
    /// must lie inside that image and hold [`Pipeline::read_window`]
    /// ([`Error::WindowOutside`], [`Error::WindowTooSmall`] otherwise); the
    /// output is that of the whole image, within the bound stated there.
    ///
    /// ```
    /// use augment::{Image, Pipeline};
    /// let photo = Image::<u8>::from_fn(400, 300, 3, |x, y, c| (x ^ y ^ c) as u8)?;
    /// let pipeline = Pipeline::builder().random_resized_crop(64, 64).seed(5).build()?;
    /// let plan = pipeline.plan(400, 300, 0)?;
    /// let w = pipeline.read_window(&plan);
    /// let window = photo.view().crop(w.x, w.y, w.width, w.height)?;
    /// let mut out = Image::<u8>::new(64, 64, 3)?;
    /// pipeline.apply_plan_window_into(window, (w.x, w.y), &plan, out.view_mut())?;
    /// assert_eq!((out.width(), out.height()), (64, 64));
    /// # Ok::<(), augment::Error>(())
    /// ```
    pub fn apply_plan_window_into<T: Element>(
        &self,
        window: ImageView<'_, T>,
        origin: (usize, usize),
        plan: &Plan,
        mut dst: ImageViewMut<'_, T>,
    ) -> Result<()> {
        let (src, origin, level) = self.place(window, origin, plan)?;
        with_scratch(|scratch| {
            self.sample_into(
                src,
                origin,
                plan,
                level,
                Sink::Image(dst.reborrow()),
                scratch,
            )
        })?;
        pixel::run(plan.pixel_ops(), dst, &mut None)
    }

    /// Augments image `index` and its targets with one draw of parameters.
    ///
    /// ```
    /// use augment::{BoxFormat, Boxes, Image, MappedPoint, Pipeline, Targets};
    /// let photo = Image::<u8>::new(100, 80, 3)?;
    /// let mask = Image::<u8>::from_fn(100, 80, 1, |x, _, _| (x / 50) as u8)?;
    /// let boxes = Boxes::new(BoxFormat::PixelXyxy, vec![[10.0, 10.0, 40.0, 30.0]], vec![7u32])?;
    /// let pipeline = Pipeline::builder().rotate(-15.0..=15.0, 1.0).resize(50, 40).build()?;
    /// let out = pipeline.apply_with_targets(
    ///     photo.view(),
    ///     &Targets { mask: Some(mask.view()), keypoints: &[(20.0, 20.0)], boxes: Some(&boxes) },
    ///     3,
    /// )?;
    /// assert_eq!(out.mask.map(|m| m.width()), Some(50));
    /// assert!(matches!(out.keypoints[0], MappedPoint::Inside(_)));
    /// assert_eq!(out.boxes.map(|b| b.labels().to_vec()), Some(vec![7]));
    /// # Ok::<(), augment::Error>(())
    /// ```
    pub fn apply_with_targets<T: Element, L: Clone>(
        &self,
        src: ImageView<'_, T>,
        targets: &Targets<'_, L>,
        index: u64,
    ) -> Result<Augmented<T, L>> {
        let plan = self.plan(src.width(), src.height(), index)?;
        let mut image = self.output_for(&plan, src.channels())?;
        let level = self.level(&plan, plan.source_size());
        // One map for the image and the mask. The image's error, if any,
        // is reported before the mask's.
        let mask = with_scratch(|scratch| {
            let map = scratch.pull_map(&plan)?;
            let mask = targets
                .mask
                .map(|mask| self.sample_mask(mask, &plan, &map))
                .transpose();
            let sink = Sink::Image(image.view_mut());
            self.sample_with_map(src, (0, 0), &plan, map, level, sink, scratch)
                .and_then(|()| pixel::run(plan.pixel_ops(), image.view_mut(), &mut None))
                .and(mask)
        })?;
        let boxes = match targets.boxes {
            Some(b) => Some(plan.map_boxes(b, self.min_box_visibility)?),
            None => None,
        };
        Ok(Augmented {
            image,
            mask,
            keypoints: plan.map_keypoints(targets.keypoints),
            boxes,
        })
    }

    /// Warps a label mask with `plan`: nearest sampling, so only values in
    /// the mask (and the pipeline's mask fill, outside the source) appear;
    /// no antialiasing, no lighting, no pixel steps.
    pub fn apply_mask<M: Element>(&self, mask: ImageView<'_, M>, plan: &Plan) -> Result<Image<M>> {
        self.sample_mask(mask, plan, &plan.pull_map()?)
    }

    fn output_for<T: Element>(&self, plan: &Plan, channels: usize) -> Result<Image<T>> {
        Ok(Image::new_limited(
            plan.width(),
            plan.height(),
            channels,
            self.max_output_pixels,
        )?)
    }

    fn sample_mask<M: Element>(
        &self,
        mask: ImageView<'_, M>,
        plan: &Plan,
        map: &Map,
    ) -> Result<Image<M>> {
        if (mask.width(), mask.height()) != plan.source_size() {
            return Err(geom::Error::ShapeMismatch {
                left: format!("mask {}", mask.shape()),
                right: format!("image {}x{}", plan.source_size().0, plan.source_size().1),
            }
            .into());
        }
        let mut out = self.output_for(plan, mask.channels())?;
        let options = WarpOptions {
            interpolation: Interpolation::Nearest,
            padding: Padding::Constant(self.mask_fill),
            values: None,
        };
        sample::warp_into(mask, out.view_mut(), map, &options)?;
        Ok(out)
    }
}
