//! Ready-made pipelines: the standard sets of the libraries people port
//! training code from, as builders to extend or to finish with a seed.

use crate::builder::PipelineBuilder;
use crate::param::Param;
use crate::pipeline::Pipeline;
use crate::transform::{ResizeMethod, Transform};

impl Pipeline {
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
}
