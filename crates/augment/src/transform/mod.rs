//! The transforms a pipeline is made of, each described forward (what
//! happens to the content) and folded into one map when drawn.
//!
//! Geometric and size steps change coordinates and compose into the one map;
//! lighting steps compose into the value affine of the same sampling pass;
//! cutout and blurs run on the output afterwards, in list order.
//!
//! Each family has its own file, which checks and draws its variants:
//! `affine.rs`, `projective.rs`, `displacement.rs`, `size.rs` (resize and
//! crops) and `pixel.rs` (lighting, cutout, blurs). [`Transform::validate`]
//! and [`Transform::draw_into`] only dispatch, so what a variant draws, and
//! in what order from the generator, is written in one place.

mod affine;
mod displacement;
mod pixel;
mod projective;
mod size;

use crate::error::Result;
use crate::param::Param;
use crate::plan::Frame;
use geom::Rect;
use rand::Rng;

/// How [`Transform::Resize`] meets a size of another aspect ratio.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ResizeMethod {
    /// Stretch each axis to fit: the aspect ratio changes.
    #[default]
    Squish,
    /// Scale to cover the size and cut the overflow (fastai's `crop`).
    Crop,
    /// Scale to fit inside the size and fill the rest with padding.
    Pad,
}

fn half() -> Param {
    Param::Fixed(0.5)
}

fn zero() -> Param {
    Param::Fixed(0.0)
}

fn torchvision_scale() -> Param {
    Param::Uniform(0.08, 1.0)
}

fn torchvision_ratio() -> Param {
    Param::LogUniform(3.0 / 4.0, 4.0 / 3.0)
}

/// One augmentation step, described forward: what happens to the content.
///
/// Positions given as fractions (`x`, `y` of zoom, crop-pad and resize) run
/// from 0 (left or top) to 1 (right or bottom); 0.5 is centred. Lengths are
/// in pixels of the canvas at that point of the pipeline (the output, for
/// pixel steps). In pipeline files a step is tagged by its snake_case name:
/// `{"type": "rotate", "degrees": [-10, 10]}`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Transform {
    // ---- affine ----
    /// Mirror left-right.
    FlipHorizontal,
    /// Mirror top-bottom.
    FlipVertical,
    /// One of the 8 symmetries of the square, uniformly: flips, quarter
    /// turns and transposes. A transposing one swaps width and height.
    Dihedral,
    /// Turn the content counter-clockwise on screen about the canvas centre.
    Rotate {
        /// Angle in degrees.
        degrees: Param,
    },
    /// Zoom in by `scale` (below 1 zooms out), keeping the canvas; the
    /// viewed window sits at fraction `x`, `y` of the room left for it
    /// (fastai's `col_pct`, `row_pct`; 0.5 zooms about the centre).
    Zoom {
        /// Scale factor, positive.
        scale: Param,
        /// Horizontal position of the window, 0..=1.
        #[serde(default = "half")]
        x: Param,
        /// Vertical position of the window, 0..=1.
        #[serde(default = "half")]
        y: Param,
    },
    /// Shift the content by fractions of the canvas size.
    Translate {
        /// Horizontal shift, fraction of the width (positive: right).
        #[serde(default = "zero")]
        x: Param,
        /// Vertical shift, fraction of the height (positive: down).
        #[serde(default = "zero")]
        y: Param,
    },
    /// Scale each axis about the centre (a squish when they differ).
    Scale {
        /// Horizontal factor, positive.
        x: Param,
        /// Vertical factor, positive.
        y: Param,
    },
    /// Shear about the centre: x moves by `tan(x_degrees) * dy`, y by
    /// `tan(y_degrees) * dx`.
    Shear {
        /// Horizontal shear angle in degrees.
        #[serde(default = "zero")]
        x_degrees: Param,
        /// Vertical shear angle in degrees.
        #[serde(default = "zero")]
        y_degrees: Param,
    },
    // ---- projective ----
    /// Move each corner by its own random offset (each of the 8 coordinates
    /// drawn from `distortion`, a fraction of the half side, as fastai's
    /// `perspective_warp`).
    Perspective {
        /// Corner offset, fraction of the half side, within ±0.5.
        distortion: Param,
    },
    /// fastai's `symmetric_warp`: four draws move opposite corners
    /// symmetrically (top and bottom pairs horizontally, left and right pairs
    /// vertically); magnitudes are fractions of the half side.
    SymmetricWarp {
        /// Offset, fraction of the half side, within ±0.5.
        magnitude: Param,
    },
    /// fastai's `skew`: one corner, chosen at random, moves outwards along
    /// one axis by `magnitude` of the half side.
    Skew {
        /// Offset, fraction of the half side, within ±0.5.
        magnitude: Param,
    },
    /// fastai's `tilt`: one side, chosen at random, grows by `magnitude` of
    /// the half side at each end, as if the plane turned away.
    Tilt {
        /// Offset, fraction of the half side, within ±0.5.
        magnitude: Param,
    },
    // ---- displacement ----
    /// Each output pixel reads a random neighbour: an independent offset
    /// uniform in `±magnitude` pixels per axis (fastai's `jitter`).
    Jitter {
        /// Largest offset in pixels, 0..=100.
        magnitude: Param,
    },
    /// Elastic distortion: a smooth random field, control offsets uniform in
    /// `±magnitude` pixels about `smoothness` pixels apart, interpolated by
    /// a cubic B-spline.
    Elastic {
        /// Largest control offset in pixels, 0..=1000.
        magnitude: Param,
        /// Spacing of the control points in pixels, 2..=100000.
        smoothness: f64,
    },
    // ---- size and crop ----
    /// Scale the canvas to `width x height`, by `method`; `x`, `y` place the
    /// kept window (crop) or the content (pad).
    Resize {
        /// Output width.
        width: usize,
        /// Output height.
        height: usize,
        /// How a different aspect ratio is met.
        #[serde(default)]
        method: ResizeMethod,
        /// Horizontal position, 0..=1.
        #[serde(default = "half")]
        x: Param,
        /// Vertical position, 0..=1.
        #[serde(default = "half")]
        y: Param,
    },
    /// Keep the centred `width x height` window (padding if the canvas is smaller).
    CentreCrop {
        /// Window width.
        width: usize,
        /// Window height.
        height: usize,
    },
    /// Keep a `width x height` window at a random whole-pixel position (the
    /// content lands at a random place if the canvas is smaller).
    RandomCrop {
        /// Window width.
        width: usize,
        /// Window height.
        height: usize,
    },
    /// fastai's `crop_pad`: a `width x height` window at fraction `x`, `y`
    /// of the room (whole pixels; padding where the canvas is smaller).
    CropPad {
        /// Window width.
        width: usize,
        /// Window height.
        height: usize,
        /// Horizontal position, 0..=1.
        #[serde(default = "half")]
        x: Param,
        /// Vertical position, 0..=1.
        #[serde(default = "half")]
        y: Param,
    },
    /// torchvision's `RandomResizedCrop`: a window of `scale` of the area and
    /// aspect ratio `ratio` (up to 10 tries, then a centre crop at the
    /// nearest allowed ratio), resized to `width x height`.
    RandomResizedCrop {
        /// Output width.
        width: usize,
        /// Output height.
        height: usize,
        /// Window area as a fraction of the canvas (default 0.08..=1).
        #[serde(default = "torchvision_scale")]
        scale: Param,
        /// Window width / height (default log-uniform 3/4..=4/3).
        #[serde(default = "torchvision_ratio")]
        ratio: Param,
    },
    /// fastai's `zoom_crop`: zoom by `scale` on a random window, then resize
    /// to `width x height`.
    ZoomCrop {
        /// Output width.
        width: usize,
        /// Output height.
        height: usize,
        /// Zoom factor, positive.
        scale: Param,
    },
    // ---- pixel ----
    /// Add `delta * full intensity` to every channel (albumentations' brightness).
    Brightness {
        /// Shift as a fraction of full intensity, in -1..=1.
        delta: Param,
    },
    /// Multiply every channel by `1 + factor` (albumentations' contrast).
    Contrast {
        /// Gain minus one, in -1..=10.
        factor: Param,
    },
    /// Scale contrast about mid-grey: `v -> (v - ½) * scale + ½` (fastai's
    /// contrast, linearised at mid-grey).
    MidGreyContrast {
        /// Gain, 0..=10.
        scale: Param,
    },
    /// Fill random rectangles (fastai's `cutout`, albumentations'
    /// `CoarseDropout`): `holes` of `width x height` output pixels, centres
    /// uniform over the output, filled with `fill` of full intensity.
    Cutout {
        /// Number of holes (whole numbers in the range equally likely), 0..=1000.
        holes: Param,
        /// Hole width in pixels.
        width: Param,
        /// Hole height in pixels.
        height: Param,
        /// Fill value as a fraction of full intensity (default 0: black).
        #[serde(default)]
        fill: f64,
    },
    /// Gaussian blur of the output with standard deviation `sigma` pixels (0: none).
    GaussianBlur {
        /// Standard deviation in pixels, 0..=100.
        sigma: Param,
    },
    /// Motion blur of the output: a segment of `length` pixels at `degrees`
    /// counter-clockwise on screen.
    MotionBlur {
        /// Segment length in pixels, 0..=1000.
        length: Param,
        /// Direction in degrees.
        degrees: Param,
    },
    /// Motion blur the cheap way, as a rolling-shutter camera records a pan:
    /// the content shears by `degrees` (folded into the map, free) and the
    /// output is box-blurred over `length` pixels along the rows (or columns
    /// when `vertical`), a running sum whose cost does not grow with the
    /// length, where a true oblique motion blur costs about `2 * length` taps.
    ShearBlur {
        /// Blur length in pixels, 0..=1000 (rounded to an odd count; below 2 is none).
        length: Param,
        /// Shear angle in degrees, within ±60.
        degrees: Param,
        /// Blur along columns and shear vertically instead.
        #[serde(default)]
        vertical: bool,
    },
}

/// Largest output side a size step accepts; a hostile pipeline cannot ask
/// for more (the pixel limit of the pipeline applies on top).
pub const MAX_OUTPUT_SIDE: usize = 1 << 16;

/// Error unless `x`, `y` are positions in `0..=1` (fractions of the room).
fn check_position(name: &'static str, x: &Param, y: &Param) -> Result<()> {
    x.check(name, "x", 0.0, 1.0, "a position in 0..=1")?;
    y.check(name, "y", 0.0, 1.0, "a position in 0..=1")
}

/// The window `window` (width, height) at fraction `at` of the room the
/// `canvas` (width, height) leaves for it, by its edges: 0 puts it at the
/// left or top, 1 at the right or bottom (negative room: the window is
/// larger and the canvas sits inside it).
fn window_at(canvas: (f64, f64), window: (f64, f64), at: (f64, f64)) -> Rect {
    Rect {
        left: -0.5 + (canvas.0 - window.0) * at.0,
        top: -0.5 + (canvas.1 - window.1) * at.1,
        width: window.0,
        height: window.1,
    }
}

impl Transform {
    /// Short name for messages (the tag in pipeline files).
    pub fn name(&self) -> &'static str {
        match self {
            Transform::FlipHorizontal => "flip_horizontal",
            Transform::FlipVertical => "flip_vertical",
            Transform::Dihedral => "dihedral",
            Transform::Rotate { .. } => "rotate",
            Transform::Zoom { .. } => "zoom",
            Transform::Translate { .. } => "translate",
            Transform::Scale { .. } => "scale",
            Transform::Shear { .. } => "shear",
            Transform::Perspective { .. } => "perspective",
            Transform::SymmetricWarp { .. } => "symmetric_warp",
            Transform::Skew { .. } => "skew",
            Transform::Tilt { .. } => "tilt",
            Transform::Jitter { .. } => "jitter",
            Transform::Elastic { .. } => "elastic",
            Transform::Resize { .. } => "resize",
            Transform::CentreCrop { .. } => "centre_crop",
            Transform::RandomCrop { .. } => "random_crop",
            Transform::CropPad { .. } => "crop_pad",
            Transform::RandomResizedCrop { .. } => "random_resized_crop",
            Transform::ZoomCrop { .. } => "zoom_crop",
            Transform::Brightness { .. } => "brightness",
            Transform::Contrast { .. } => "contrast",
            Transform::MidGreyContrast { .. } => "mid_grey_contrast",
            Transform::Cutout { .. } => "cutout",
            Transform::GaussianBlur { .. } => "gaussian_blur",
            Transform::MotionBlur { .. } => "motion_blur",
            Transform::ShearBlur { .. } => "shear_blur",
        }
    }

    /// Error unless every parameter is usable; the error names the
    /// transform, the parameter and the value.
    pub fn validate(&self) -> Result<()> {
        let name = self.name();
        match self {
            Transform::FlipHorizontal | Transform::FlipVertical | Transform::Dihedral => Ok(()),
            Transform::Rotate { degrees } => affine::check_rotate(name, degrees),
            Transform::Zoom { scale, x, y } => affine::check_zoom(name, scale, x, y),
            Transform::Translate { x, y } => affine::check_translate(name, x, y),
            Transform::Scale { x, y } => affine::check_scale(name, x, y),
            Transform::Shear {
                x_degrees,
                y_degrees,
            } => affine::check_shear(name, x_degrees, y_degrees),
            Transform::Perspective { distortion } => {
                projective::check_corner_offset(name, "distortion", distortion)
            }
            Transform::SymmetricWarp { magnitude }
            | Transform::Skew { magnitude }
            | Transform::Tilt { magnitude } => {
                projective::check_corner_offset(name, "magnitude", magnitude)
            }
            Transform::Jitter { magnitude } => displacement::check_jitter(name, magnitude),
            Transform::Elastic {
                magnitude,
                smoothness,
            } => displacement::check_elastic(name, magnitude, *smoothness),
            Transform::Resize {
                width,
                height,
                x,
                y,
                ..
            }
            | Transform::CropPad {
                width,
                height,
                x,
                y,
            } => size::check_placed(name, *width, *height, x, y),
            Transform::CentreCrop { width, height } | Transform::RandomCrop { width, height } => {
                size::check_size(name, *width, *height)
            }
            Transform::RandomResizedCrop {
                width,
                height,
                scale,
                ratio,
            } => size::check_random_resized_crop(name, *width, *height, scale, ratio),
            Transform::ZoomCrop {
                width,
                height,
                scale,
            } => size::check_zoom_crop(name, *width, *height, scale),
            Transform::Brightness { delta } => pixel::check_brightness(name, delta),
            Transform::Contrast { factor } => pixel::check_contrast(name, factor),
            Transform::MidGreyContrast { scale } => pixel::check_mid_grey_contrast(name, scale),
            Transform::Cutout {
                holes,
                width,
                height,
                fill,
            } => pixel::check_cutout(name, holes, width, height, *fill),
            Transform::GaussianBlur { sigma } => pixel::check_gaussian_blur(name, sigma),
            Transform::MotionBlur { length, degrees } => {
                pixel::check_motion_blur(name, length, degrees)
            }
            Transform::ShearBlur {
                length, degrees, ..
            } => pixel::check_shear_blur(name, length, degrees),
        }
    }

    /// Draws this step's parameters and applies it to `frame`.
    pub(crate) fn draw_into<R: Rng + ?Sized>(&self, frame: &mut Frame, rng: &mut R) -> Result<()> {
        match self {
            Transform::FlipHorizontal => affine::flip_horizontal(frame),
            Transform::FlipVertical => affine::flip_vertical(frame),
            Transform::Dihedral => affine::dihedral(frame, rng),
            Transform::Rotate { degrees } => affine::rotate(frame, rng, degrees),
            Transform::Zoom { scale, x, y } => affine::zoom(frame, rng, scale, x, y),
            Transform::Translate { x, y } => affine::translate(frame, rng, x, y),
            Transform::Scale { x, y } => affine::scale(frame, rng, x, y),
            Transform::Shear {
                x_degrees,
                y_degrees,
            } => affine::shear(frame, rng, x_degrees, y_degrees),
            Transform::Perspective { distortion } => {
                projective::perspective(frame, rng, distortion)
            }
            Transform::SymmetricWarp { magnitude } => {
                projective::symmetric_warp(frame, rng, magnitude)
            }
            Transform::Skew { magnitude } => projective::skew(frame, rng, magnitude),
            Transform::Tilt { magnitude } => projective::tilt(frame, rng, magnitude),
            Transform::Jitter { magnitude } => displacement::jitter(frame, rng, magnitude),
            Transform::Elastic {
                magnitude,
                smoothness,
            } => displacement::elastic(frame, rng, magnitude, *smoothness),
            Transform::Resize {
                width,
                height,
                method,
                x,
                y,
            } => size::resize(frame, rng, (*width, *height), *method, x, y),
            Transform::CentreCrop { width, height } => size::centre_crop(frame, (*width, *height)),
            Transform::RandomCrop { width, height } => {
                size::random_crop(frame, rng, (*width, *height))
            }
            Transform::CropPad {
                width,
                height,
                x,
                y,
            } => size::crop_pad(frame, rng, (*width, *height), x, y),
            Transform::RandomResizedCrop {
                width,
                height,
                scale,
                ratio,
            } => size::random_resized_crop(frame, rng, (*width, *height), scale, ratio),
            Transform::ZoomCrop {
                width,
                height,
                scale,
            } => size::zoom_crop(frame, rng, (*width, *height), scale),
            Transform::Brightness { delta } => pixel::brightness(frame, rng, delta),
            Transform::Contrast { factor } => pixel::contrast(frame, rng, factor),
            Transform::MidGreyContrast { scale } => pixel::mid_grey_contrast(frame, rng, scale),
            Transform::Cutout {
                holes,
                width,
                height,
                fill,
            } => pixel::cutout(frame, rng, holes, (width, height), *fill),
            Transform::GaussianBlur { sigma } => pixel::gaussian_blur(frame, rng, sigma),
            Transform::MotionBlur { length, degrees } => {
                pixel::motion_blur(frame, rng, length, degrees)
            }
            Transform::ShearBlur {
                length,
                degrees,
                vertical,
            } => pixel::shear_blur(frame, rng, length, degrees, *vertical),
        }
    }
}
