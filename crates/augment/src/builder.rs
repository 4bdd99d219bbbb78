//! [`PipelineBuilder`]: steps by name, in the order they apply, then the
//! settings; [`PipelineBuilder::build`] checks every parameter once, as
//! reading a pipeline file does.

use crate::error::{Error, Result};
use crate::param::{Param, check_probability};
use crate::pipeline::{Pipeline, Step};
use crate::transform::{ResizeMethod, Transform};
use geom::{DEFAULT_MAX_PIXELS, Padding};
use sample::Interpolation;

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
    /// downscaled copy instead (default on; bilinear only): for resizes,
    /// crops, flips, zoom and translate, each output pixel the exact mean
    /// of the source over its footprint widened 1.1x; for other maps, a
    /// power-of-two box-downscaled copy (ARCHITECTURE.md, "Pipeline data
    /// flow").
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
