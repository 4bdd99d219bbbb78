//! A list of transforms, drawn per image, composed into one map and sampled once.

use crate::error::{Error, Result};
use crate::param::{Param, check_probability};
use crate::transform::{Frame, Transform};
use geom::{Affine, DEFAULT_MAX_PIXELS, Element, Image, ImageView, ImageViewMut, Map, Padding};
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sample::{ChannelAffine, Interpolation, WarpOptions};

/// A transform and the probability that it fires for a given image.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// What it does.
    pub transform: Transform,
    /// Chance of applying it, in 0..=1.
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
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    steps: Vec<Step>,
    interpolation: Interpolation,
    padding: Padding,
    seed: u64,
    max_output_pixels: usize,
}

/// Builds a [`Pipeline`]; every parameter is checked by [`PipelineBuilder::build`].
#[derive(Debug, Clone)]
pub struct PipelineBuilder {
    pipeline: Pipeline,
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

    /// Scale to `width x height` (always applied).
    pub fn resize(self, width: usize, height: usize) -> Self {
        self.step(Transform::Resize { width, height }, 1.0)
    }

    /// Keep the centred `width x height` window (always applied).
    pub fn centre_crop(self, width: usize, height: usize) -> Self {
        self.step(Transform::CentreCrop { width, height }, 1.0)
    }

    /// Keep a `width x height` window at a random position (always applied).
    pub fn random_crop(self, width: usize, height: usize) -> Self {
        self.step(Transform::RandomCrop { width, height }, 1.0)
    }

    /// Mirror left-right with probability `p`.
    pub fn flip_horizontal(self, p: f64) -> Self {
        self.step(Transform::FlipHorizontal, p)
    }

    /// Mirror top-bottom with probability `p`.
    pub fn flip_vertical(self, p: f64) -> Self {
        self.step(Transform::FlipVertical, p)
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

    /// Zoom about the centre by `scale` (fixed or a range) with probability `p`.
    pub fn zoom(self, scale: impl Into<Param>, p: f64) -> Self {
        self.step(
            Transform::Zoom {
                scale: scale.into(),
            },
            p,
        )
    }

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

    /// Checks every step and returns the pipeline.
    pub fn build(self) -> Result<Pipeline> {
        let p = self.pipeline;
        for step in &p.steps {
            step.transform.validate()?;
            check_probability(step.transform.name(), step.p)?;
        }
        if let Some(v) = p.padding.constant().filter(|v| !v.is_finite()) {
            return Err(Error::InvalidParameter {
                transform: "pipeline",
                parameter: "padding constant",
                value: v.to_string(),
                expected: "a finite value",
            });
        }
        Ok(p)
    }
}

/// One image's drawn parameters: where the source lands and what it becomes.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Source pixel plane to output pixel plane (forward).
    pub forward: Affine,
    /// Output width.
    pub width: usize,
    /// Output height.
    pub height: usize,
    /// Value gain applied to every channel.
    pub gain: f64,
    /// Value offset, as a fraction of full intensity.
    pub offset: f64,
}

impl Plan {
    /// The pull map for the sampler: output pixel to source position.
    pub fn pull_map(&self) -> Result<Map> {
        Ok(Map::Affine(self.forward.inverse()?))
    }

    /// The value affine for sample type `T`, or `None` if it changes nothing.
    pub fn values<T: Element>(&self) -> Option<ChannelAffine> {
        if self.gain == 1.0 && self.offset == 0.0 {
            return None;
        }
        let scale = self.gain as f32;
        let offset = (self.offset * f64::from(T::FULL_SCALE)) as f32;
        Some(ChannelAffine {
            scale: [scale; 4],
            offset: [offset; 4],
        })
    }

    /// Where a source point lands in the output.
    pub fn map_point(&self, x: f64, y: f64) -> (f64, f64) {
        self.forward.apply(x, y)
    }
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
            // Every step draws whether it fires, so a step's draws do not
            // depend on whether the steps before it fired.
            let fires = step.p >= 1.0 || rng.random::<f64>() < step.p;
            if fires {
                step.transform.draw_into(&mut frame, rng);
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
        Ok(Plan {
            forward: frame.forward,
            width: frame.width,
            height: frame.height,
            gain: frame.gain,
            offset: frame.offset,
        })
    }

    /// Augments `src` as image number `index`: one sampling pass.
    pub fn apply<T: Element>(&self, src: ImageView<'_, T>, index: u64) -> Result<Image<T>> {
        let plan = self.plan(src.width(), src.height(), index)?;
        self.apply_plan(src, &plan)
    }

    /// Augments `src` with already drawn parameters.
    pub fn apply_plan<T: Element>(&self, src: ImageView<'_, T>, plan: &Plan) -> Result<Image<T>> {
        let mut out = Image::new_limited(
            plan.width,
            plan.height,
            src.channels(),
            self.max_output_pixels,
        )?;
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
        if (dst.width(), dst.height()) != (plan.width, plan.height) {
            return Err(geom::Error::ShapeMismatch {
                left: format!("output {}", dst.shape()),
                right: format!("plan {}x{}", plan.width, plan.height),
            }
            .into());
        }
        let options = WarpOptions {
            interpolation: self.interpolation,
            padding: self.padding,
            values: plan.values::<T>(),
        };
        sample::warp(src, dst, &plan.pull_map()?, &options)?;
        Ok(())
    }
}
