//! A list of transforms, drawn per image, composed into one map and sampled once.

use crate::error::{Error, Result};
use crate::param::{Param, check_probability};
use crate::pixel;
use crate::plan::{Frame, Plan};
use crate::pyramid;
use crate::targets::{Boxes, MappedPoint};
use crate::transform::{ResizeMethod, Transform};
use geom::{DEFAULT_MAX_PIXELS, Element, Image, ImageView, ImageViewMut, Map, Padding, Point};
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sample::{ChannelAffine, Interpolation, WarpOptions};

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

/// Builds a [`Pipeline`]; every parameter is checked by [`PipelineBuilder::build`].
#[derive(Debug, Clone)]
pub struct PipelineBuilder {
    pub(crate) pipeline: Pipeline,
}

/// A built pipeline back into a builder, every step and setting kept: how
/// to extend a pipeline read from a file (say, with a final resize).
///
/// ```
/// use augment::{Pipeline, PipelineBuilder};
/// let file = Pipeline::from_toml("[[steps]]\ntransform = { type = \"flip_horizontal\" }\np = 0.5\n")?;
/// let sized = PipelineBuilder::from(file).resize(224, 224).build()?;
/// assert_eq!(sized.steps().len(), 2);
/// # Ok::<(), augment::Error>(())
/// ```
impl From<Pipeline> for PipelineBuilder {
    fn from(pipeline: Pipeline) -> PipelineBuilder {
        PipelineBuilder { pipeline }
    }
}

impl Default for PipelineBuilder {
    fn default() -> Self {
        PipelineBuilder {
            pipeline: Pipeline {
                steps: Vec::new(),
                interpolation: Interpolation::Bilinear,
                padding: Padding::Reflect101,
                seed: 0,
                max_output_pixels: DEFAULT_MAX_PIXELS,
                antialias: true,
                mask_fill: 0.0,
                min_box_visibility: 0.0,
            },
        }
    }
}

impl PipelineBuilder {
    /// Appends `transform`, applied with probability `p`.
    pub fn step(mut self, transform: Transform, p: f64) -> Self {
        self.pipeline.steps.push(Step { transform, p });
        self
    }

    // ---- size and crop (always applied) ----

    /// Scale to `width x height`, stretching if the aspect ratio differs.
    pub fn resize(self, width: usize, height: usize) -> Self {
        self.resize_with(width, height, ResizeMethod::Squish)
    }

    /// Scale to `width x height` by `method` (squish, crop or pad), centred.
    pub fn resize_with(self, width: usize, height: usize, method: ResizeMethod) -> Self {
        self.step(
            Transform::Resize {
                width,
                height,
                method,
                x: Param::Fixed(0.5),
                y: Param::Fixed(0.5),
            },
            1.0,
        )
    }

    /// Keep the centred `width x height` window.
    pub fn centre_crop(self, width: usize, height: usize) -> Self {
        self.step(Transform::CentreCrop { width, height }, 1.0)
    }

    /// Keep a `width x height` window at a random position.
    pub fn random_crop(self, width: usize, height: usize) -> Self {
        self.step(Transform::RandomCrop { width, height }, 1.0)
    }

    /// Keep a `width x height` window at fraction `x`, `y` of the room
    /// (fastai's `crop_pad`; pads where the canvas is smaller).
    pub fn crop_pad(
        self,
        width: usize,
        height: usize,
        x: impl Into<Param>,
        y: impl Into<Param>,
    ) -> Self {
        self.step(
            Transform::CropPad {
                width,
                height,
                x: x.into(),
                y: y.into(),
            },
            1.0,
        )
    }

    /// torchvision's `RandomResizedCrop(size)`: area 8–100 %, ratio 3/4–4/3.
    pub fn random_resized_crop(self, width: usize, height: usize) -> Self {
        self.random_resized_crop_with(
            width,
            height,
            Param::Uniform(0.08, 1.0),
            Param::LogUniform(3.0 / 4.0, 4.0 / 3.0),
        )
    }

    /// `RandomResizedCrop` with an area fraction `scale` and aspect `ratio`.
    pub fn random_resized_crop_with(
        self,
        width: usize,
        height: usize,
        scale: impl Into<Param>,
        ratio: impl Into<Param>,
    ) -> Self {
        self.step(
            Transform::RandomResizedCrop {
                width,
                height,
                scale: scale.into(),
                ratio: ratio.into(),
            },
            1.0,
        )
    }

    /// Zoom by `scale` on a random window, resized to `width x height`.
    pub fn zoom_crop(self, width: usize, height: usize, scale: impl Into<Param>) -> Self {
        self.step(
            Transform::ZoomCrop {
                width,
                height,
                scale: scale.into(),
            },
            1.0,
        )
    }

    // ---- affine ----

    /// Mirror left-right with probability `p`.
    pub fn flip_horizontal(self, p: f64) -> Self {
        self.step(Transform::FlipHorizontal, p)
    }

    /// Mirror top-bottom with probability `p`.
    pub fn flip_vertical(self, p: f64) -> Self {
        self.step(Transform::FlipVertical, p)
    }

    /// One of the 8 symmetries of the square with probability `p`.
    pub fn dihedral(self, p: f64) -> Self {
        self.step(Transform::Dihedral, p)
    }

    /// Rotate counter-clockwise by `degrees` (fixed or a range) with probability `p`.
    pub fn rotate(self, degrees: impl Into<Param>, p: f64) -> Self {
        self.step(
            Transform::Rotate {
                degrees: degrees.into(),
            },
            p,
        )
    }

    /// Zoom about the centre by `scale` with probability `p`.
    pub fn zoom(self, scale: impl Into<Param>, p: f64) -> Self {
        self.zoom_at(scale, 0.5, 0.5, p)
    }

    /// Zoom by `scale` on a window at fraction `x`, `y` of the room.
    pub fn zoom_at(
        self,
        scale: impl Into<Param>,
        x: impl Into<Param>,
        y: impl Into<Param>,
        p: f64,
    ) -> Self {
        self.step(
            Transform::Zoom {
                scale: scale.into(),
                x: x.into(),
                y: y.into(),
            },
            p,
        )
    }

    /// Zoom by `scale` on a window at a random place (fastai's `rand_zoom`).
    pub fn random_zoom(self, scale: impl Into<Param>, p: f64) -> Self {
        self.zoom_at(scale, 0.0..=1.0, 0.0..=1.0, p)
    }

    /// Shift by fractions `x` of the width and `y` of the height.
    pub fn translate(self, x: impl Into<Param>, y: impl Into<Param>, p: f64) -> Self {
        self.step(
            Transform::Translate {
                x: x.into(),
                y: y.into(),
            },
            p,
        )
    }

    /// Scale each axis about the centre (squish when they differ).
    pub fn scale(self, x: impl Into<Param>, y: impl Into<Param>, p: f64) -> Self {
        self.step(
            Transform::Scale {
                x: x.into(),
                y: y.into(),
            },
            p,
        )
    }

    /// Shear by angles in degrees about the centre.
    pub fn shear(self, x_degrees: impl Into<Param>, y_degrees: impl Into<Param>, p: f64) -> Self {
        self.step(
            Transform::Shear {
                x_degrees: x_degrees.into(),
                y_degrees: y_degrees.into(),
            },
            p,
        )
    }

    // ---- projective ----

    /// Move each corner by a random offset (fraction of the half side).
    pub fn perspective(self, distortion: impl Into<Param>, p: f64) -> Self {
        self.step(
            Transform::Perspective {
                distortion: distortion.into(),
            },
            p,
        )
    }

    /// fastai's `symmetric_warp`.
    pub fn symmetric_warp(self, magnitude: impl Into<Param>, p: f64) -> Self {
        self.step(
            Transform::SymmetricWarp {
                magnitude: magnitude.into(),
            },
            p,
        )
    }

    /// fastai's `skew`.
    pub fn skew(self, magnitude: impl Into<Param>, p: f64) -> Self {
        self.step(
            Transform::Skew {
                magnitude: magnitude.into(),
            },
            p,
        )
    }

    /// fastai's `tilt`.
    pub fn tilt(self, magnitude: impl Into<Param>, p: f64) -> Self {
        self.step(
            Transform::Tilt {
                magnitude: magnitude.into(),
            },
            p,
        )
    }

    // ---- displacement ----

    /// Each output pixel reads a random neighbour within `magnitude` pixels.
    pub fn jitter(self, magnitude: impl Into<Param>, p: f64) -> Self {
        self.step(
            Transform::Jitter {
                magnitude: magnitude.into(),
            },
            p,
        )
    }

    /// Elastic distortion: control offsets up to `magnitude` pixels, about
    /// `smoothness` pixels apart.
    pub fn elastic(self, magnitude: impl Into<Param>, smoothness: f64, p: f64) -> Self {
        self.step(
            Transform::Elastic {
                magnitude: magnitude.into(),
                smoothness,
            },
            p,
        )
    }

    // ---- pixel ----

    /// Shift brightness by `delta` (fraction of full intensity) with probability `p`.
    pub fn brightness(self, delta: impl Into<Param>, p: f64) -> Self {
        self.step(
            Transform::Brightness {
                delta: delta.into(),
            },
            p,
        )
    }

    /// Multiply contrast by `1 + factor` with probability `p`.
    pub fn contrast(self, factor: impl Into<Param>, p: f64) -> Self {
        self.step(
            Transform::Contrast {
                factor: factor.into(),
            },
            p,
        )
    }

    /// Scale contrast about mid-grey by `scale` with probability `p`.
    pub fn mid_grey_contrast(self, scale: impl Into<Param>, p: f64) -> Self {
        self.step(
            Transform::MidGreyContrast {
                scale: scale.into(),
            },
            p,
        )
    }

    /// Black out `holes` rectangles of `width x height` output pixels.
    pub fn cutout(
        self,
        holes: impl Into<Param>,
        width: impl Into<Param>,
        height: impl Into<Param>,
        p: f64,
    ) -> Self {
        self.step(
            Transform::Cutout {
                holes: holes.into(),
                width: width.into(),
                height: height.into(),
                fill: 0.0,
            },
            p,
        )
    }

    /// Gaussian blur with standard deviation `sigma` pixels.
    pub fn gaussian_blur(self, sigma: impl Into<Param>, p: f64) -> Self {
        self.step(
            Transform::GaussianBlur {
                sigma: sigma.into(),
            },
            p,
        )
    }

    /// Motion blur over `length` pixels at `degrees`.
    pub fn motion_blur(self, length: impl Into<Param>, degrees: impl Into<Param>, p: f64) -> Self {
        self.step(
            Transform::MotionBlur {
                length: length.into(),
                degrees: degrees.into(),
            },
            p,
        )
    }

    /// Cheap motion blur: shear by `degrees`, box blur along rows over `length` pixels.
    pub fn shear_blur(self, length: impl Into<Param>, degrees: impl Into<Param>, p: f64) -> Self {
        self.step(
            Transform::ShearBlur {
                length: length.into(),
                degrees: degrees.into(),
                vertical: false,
            },
            p,
        )
    }

    // ---- settings ----

    /// Interpolation for images (default bilinear).
    pub fn interpolation(mut self, interpolation: Interpolation) -> Self {
        self.pipeline.interpolation = interpolation;
        self
    }

    /// What areas outside the source show (default `Reflect101`, as albumentations).
    pub fn padding(mut self, padding: Padding) -> Self {
        self.pipeline.padding = padding;
        self
    }

    /// The seed from which every image's parameters derive (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.pipeline.seed = seed;
        self
    }

    /// Refuse outputs of more than this many pixels (default 2^28).
    pub fn max_output_pixels(mut self, limit: usize) -> Self {
        self.pipeline.max_output_pixels = limit;
        self
    }

    /// Where the map shrinks the source by more than 2x, sample a
    /// box-downscaled copy instead (default on; bilinear only).
    pub fn antialias(mut self, on: bool) -> Self {
        self.pipeline.antialias = on;
        self
    }

    /// The label masks get where they read outside the source (default 0).
    pub fn mask_fill(mut self, value: f32) -> Self {
        self.pipeline.mask_fill = value;
        self
    }

    /// Boxes keeping less than this fraction of their area are dropped (default 0).
    pub fn min_box_visibility(mut self, fraction: f64) -> Self {
        self.pipeline.min_box_visibility = fraction;
        self
    }

    /// Checks every step and setting and returns the pipeline.
    pub fn build(self) -> Result<Pipeline> {
        let p = self.pipeline;
        for step in &p.steps {
            step.transform.validate()?;
            check_probability(step.transform.name(), step.p)?;
        }
        let setting = |parameter, value: String, expected| Error::InvalidParameter {
            transform: "pipeline",
            parameter,
            value,
            expected,
        };
        if let Some(v) = p.padding.constant().filter(|v| !v.is_finite()) {
            return Err(setting("padding constant", v.to_string(), "a finite value"));
        }
        if !p.mask_fill.is_finite() {
            return Err(setting(
                "mask_fill",
                p.mask_fill.to_string(),
                "a finite value",
            ));
        }
        if !(0.0..=1.0).contains(&p.min_box_visibility) {
            return Err(setting(
                "min_box_visibility",
                p.min_box_visibility.to_string(),
                "a fraction in 0..=1",
            ));
        }
        if p.max_output_pixels == 0 {
            return Err(setting("max_output_pixels", "0".into(), "at least 1"));
        }
        Ok(p)
    }
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

    /// fastai v1's `get_transforms()` for training, then the output size:
    /// flip left-right (p = 0.5), symmetric warp ±0.2, rotate ±10°, zoom
    /// 1–1.1 at a random place (each p = 0.75), brightness and contrast
    /// ±20 % (each p = 0.75), then resize to cover `width x height` and crop
    /// at a random place (fastai's `ResizeMethod.CROP` with `rand_crop`).
    ///
    /// fastai applies lighting in logit space; here it is the same change
    /// linearised at mid-grey (brightness `change` 0.4–0.6 shifts mid-grey
    /// by ±0.1, contrast scales about mid-grey by 0.8–1.25, log-uniform), so
    /// it fuses into the sampling pass.
    ///
    /// ```
    /// use augment::{Image, Pipeline};
    /// let photo = Image::<u8>::new(320, 240, 3)?;
    /// let train = Pipeline::fastai_default(224, 224).seed(1).build()?;
    /// assert_eq!(train.apply(photo.view(), 0)?.width(), 224);
    /// # Ok::<(), augment::Error>(())
    /// ```
    pub fn fastai_default(width: usize, height: usize) -> PipelineBuilder {
        const P_AFFINE: f64 = 0.75;
        const P_LIGHTING: f64 = 0.75;
        const MAX_LIGHTING: f64 = 0.2;
        Pipeline::builder()
            .flip_horizontal(0.5)
            .symmetric_warp(-0.2..=0.2, P_AFFINE)
            .rotate(-10.0..=10.0, P_AFFINE)
            .random_zoom(1.0..=1.1, P_AFFINE)
            .brightness(-MAX_LIGHTING / 2.0..=MAX_LIGHTING / 2.0, P_LIGHTING)
            .mid_grey_contrast(
                Param::LogUniform(1.0 - MAX_LIGHTING, 1.0 / (1.0 - MAX_LIGHTING)),
                P_LIGHTING,
            )
            .step(
                Transform::Resize {
                    width,
                    height,
                    method: ResizeMethod::Crop,
                    x: Param::Uniform(0.0, 1.0),
                    y: Param::Uniform(0.0, 1.0),
                },
                1.0,
            )
    }

    /// The validation counterpart of [`Pipeline::fastai_default`]: resize to
    /// cover `width x height` and crop the centre, nothing random.
    pub fn fastai_validation(width: usize, height: usize) -> PipelineBuilder {
        Pipeline::builder().resize_with(width, height, ResizeMethod::Crop)
    }

    /// The steps, in order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
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
        let map = plan.pull_map()?;
        self.sample_image(src, dst, plan, &map)
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
        let map = plan.pull_map()?;
        let mut image = self.output_for(&plan, src.channels())?;
        self.sample_image(src, image.view_mut(), &plan, &map)?;
        let mask = match targets.mask {
            Some(mask) => Some(self.sample_mask(mask, &plan, &map)?),
            None => None,
        };
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
        sample::warp(mask, out.view_mut(), map, &options)?;
        Ok(out)
    }

    /// The sampling pass (from a downscaled level where the map shrinks the
    /// source more than 2x), then the pixel steps.
    fn sample_image<T: Element>(
        &self,
        src: ImageView<'_, T>,
        mut dst: ImageViewMut<'_, T>,
        plan: &Plan,
        map: &Map,
    ) -> Result<()> {
        check_sizes(
            plan,
            (src.width(), src.height()),
            (dst.width(), dst.height()),
        )?;
        let options = WarpOptions {
            interpolation: self.interpolation,
            padding: self.padding,
            values: value_affine::<T>(plan),
        };
        match self.level_factors(plan, (src.width(), src.height())) {
            Some((kx, ky)) => {
                let map = map.clone().then_affine(&pyramid::level_map(kx, ky));
                let needed = pyramid::read_region(
                    &map,
                    (dst.width(), dst.height()),
                    (src.width().div_ceil(kx), src.height().div_ceil(ky)),
                );
                let level = pyramid::box_level(src, kx, ky, self.padding, needed.as_ref())?;
                sample::warp(level.view(), dst.reborrow(), &map, &options)?;
            }
            None => sample::warp(src, dst.reborrow(), map, &options)?,
        }
        pixel::run(plan.pixel_ops(), dst, &mut None)
    }

    /// The power-of-two block sides of the antialiasing level to sample
    /// instead of a `source` (width, height) image, if the plan shrinks it
    /// by more than 2x (bilinear with antialiasing on only).
    pub(crate) fn level_factors(
        &self,
        plan: &Plan,
        source: (usize, usize),
    ) -> Option<(usize, usize)> {
        self.antialias
            .then_some(())
            .filter(|()| self.interpolation == Interpolation::Bilinear)
            .and_then(|()| plan.source_footprint())
            .map(|f| pyramid::level_factors(f, source))
            .filter(|&k| k != (1, 1))
    }
}

/// Error unless `plan` was drawn for a `source` (width, height) image and
/// has the `output` size.
pub(crate) fn check_sizes(
    plan: &Plan,
    source: (usize, usize),
    output: (usize, usize),
) -> Result<()> {
    if output != (plan.width(), plan.height()) {
        return Err(geom::Error::ShapeMismatch {
            left: format!("output {}x{}", output.0, output.1),
            right: format!("plan {}x{}", plan.width(), plan.height()),
        }
        .into());
    }
    if source != plan.source_size() {
        return Err(geom::Error::ShapeMismatch {
            left: format!("source {}x{}", source.0, source.1),
            right: format!(
                "plan drawn for {}x{}",
                plan.source_size().0,
                plan.source_size().1
            ),
        }
        .into());
    }
    Ok(())
}

/// The per-channel value affine of `plan` for sample type `T`, or `None` if
/// it changes nothing.
pub(crate) fn value_affine<T: Element>(plan: &Plan) -> Option<ChannelAffine> {
    let (gain, offset) = plan.value_affine();
    if gain == 1.0 && offset == 0.0 {
        return None;
    }
    Some(ChannelAffine::uniform(
        gain as f32,
        (offset * f64::from(T::FULL_SCALE)) as f32,
    ))
}
