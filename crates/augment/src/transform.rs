//! The transforms a pipeline is made of, each described forward (what
//! happens to the content) and folded into one map when drawn.
//!
//! Geometric and size steps change coordinates and compose into the one map;
//! lighting steps compose into the value affine of the same sampling pass;
//! cutout and blurs run on the output afterwards, in list order.

use crate::displace::{Displacement, ElasticField};
use crate::error::{Error, Result};
use crate::param::Param;
use crate::pixel::{Hole, PixelOp};
use crate::plan::Frame;
use geom::{Affine, Point, Projective, Rect};
use rand::{Rng, RngExt};

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

/// Error unless `v` is a usable output side.
fn check_side(transform: &'static str, parameter: &'static str, v: usize) -> Result<()> {
    if v == 0 || v > MAX_OUTPUT_SIDE {
        return Err(Error::InvalidParameter {
            transform,
            parameter,
            value: v.to_string(),
            expected: "a side from 1 to 65536 pixels",
        });
    }
    Ok(())
}

fn check_position(name: &'static str, x: &Param, y: &Param) -> Result<()> {
    x.check(name, "x", 0.0, 1.0, "a position in 0..=1")?;
    y.check(name, "y", 0.0, 1.0, "a position in 0..=1")
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
        let corner = |m: &Param, parameter| {
            m.check(
                name,
                parameter,
                -0.5,
                0.5,
                "a fraction of the half side within ±0.5 (larger can fold the image)",
            )
        };
        match self {
            Transform::FlipHorizontal | Transform::FlipVertical | Transform::Dihedral => Ok(()),
            Transform::Rotate { degrees } => {
                degrees.check(name, "degrees", -3600.0, 3600.0, "finite, within ±3600")
            }
            Transform::Zoom { scale, x, y } => {
                scale.check(name, "scale", 1e-3, 1e3, "a factor from 0.001 to 1000")?;
                check_position(name, x, y)
            }
            Transform::Translate { x, y } => {
                x.check(name, "x", -10.0, 10.0, "a fraction of the width within ±10")?;
                y.check(
                    name,
                    "y",
                    -10.0,
                    10.0,
                    "a fraction of the height within ±10",
                )
            }
            Transform::Scale { x, y } => {
                x.check(name, "x", 1e-3, 1e3, "a factor from 0.001 to 1000")?;
                y.check(name, "y", 1e-3, 1e3, "a factor from 0.001 to 1000")
            }
            Transform::Shear {
                x_degrees,
                y_degrees,
            } => {
                let expected = "an angle within ±80 degrees";
                x_degrees.check(name, "x_degrees", -80.0, 80.0, expected)?;
                y_degrees.check(name, "y_degrees", -80.0, 80.0, expected)
            }
            Transform::Perspective { distortion } => corner(distortion, "distortion"),
            Transform::SymmetricWarp { magnitude }
            | Transform::Skew { magnitude }
            | Transform::Tilt { magnitude } => corner(magnitude, "magnitude"),
            Transform::Jitter { magnitude } => {
                magnitude.check(name, "magnitude", 0.0, 100.0, "pixels in 0..=100")
            }
            Transform::Elastic {
                magnitude,
                smoothness,
            } => {
                magnitude.check(name, "magnitude", 0.0, 1000.0, "pixels in 0..=1000")?;
                Param::Fixed(*smoothness).check(
                    name,
                    "smoothness",
                    2.0,
                    1e5,
                    "a control-point spacing of 2 to 100000 pixels",
                )
            }
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
            } => {
                check_side(name, "width", *width)?;
                check_side(name, "height", *height)?;
                check_position(name, x, y)
            }
            Transform::CentreCrop { width, height } | Transform::RandomCrop { width, height } => {
                check_side(name, "width", *width)?;
                check_side(name, "height", *height)
            }
            Transform::RandomResizedCrop {
                width,
                height,
                scale,
                ratio,
            } => {
                check_side(name, "width", *width)?;
                check_side(name, "height", *height)?;
                scale.check(name, "scale", 1e-6, 1.0, "an area fraction in (0, 1]")?;
                ratio.check(
                    name,
                    "ratio",
                    1e-3,
                    1e3,
                    "an aspect ratio from 0.001 to 1000",
                )
            }
            Transform::ZoomCrop {
                width,
                height,
                scale,
            } => {
                check_side(name, "width", *width)?;
                check_side(name, "height", *height)?;
                scale.check(name, "scale", 1e-3, 1e3, "a factor from 0.001 to 1000")
            }
            Transform::Brightness { delta } => {
                delta.check(name, "delta", -1.0, 1.0, "a fraction in -1..=1")
            }
            Transform::Contrast { factor } => {
                factor.check(name, "factor", -1.0, 10.0, "a gain minus one in -1..=10")
            }
            Transform::MidGreyContrast { scale } => {
                scale.check(name, "scale", 0.0, 10.0, "a gain in 0..=10")
            }
            Transform::Cutout {
                holes,
                width,
                height,
                fill,
            } => {
                holes.check(name, "holes", 0.0, 1000.0, "a count in 0..=1000")?;
                width.check(name, "width", 0.0, 65536.0, "pixels in 0..=65536")?;
                height.check(name, "height", 0.0, 65536.0, "pixels in 0..=65536")?;
                Param::Fixed(*fill).check(name, "fill", 0.0, 1.0, "a fraction in 0..=1")
            }
            Transform::GaussianBlur { sigma } => {
                sigma.check(name, "sigma", 0.0, 100.0, "pixels in 0..=100")
            }
            Transform::MotionBlur { length, degrees } => {
                length.check(name, "length", 0.0, 1000.0, "pixels in 0..=1000")?;
                degrees.check(name, "degrees", -3600.0, 3600.0, "finite, within ±3600")
            }
            Transform::ShearBlur {
                length, degrees, ..
            } => {
                length.check(name, "length", 0.0, 1000.0, "pixels in 0..=1000")?;
                degrees.check(name, "degrees", -60.0, 60.0, "an angle within ±60 degrees")
            }
        }
    }

    /// Draws this step's parameters and applies it to `frame`.
    pub(crate) fn draw_into<R: Rng + ?Sized>(&self, frame: &mut Frame, rng: &mut R) -> Result<()> {
        let centre = frame.centre();
        let (cw, ch) = (frame.width as f64, frame.height as f64);
        match self {
            Transform::FlipHorizontal => frame.push(&Affine::flip_horizontal(frame.width)),
            Transform::FlipVertical => frame.push(&Affine::flip_vertical(frame.height)),
            Transform::Dihedral => {
                let k: u8 = rng.random_range(0..8);
                if k & 1 != 0 {
                    frame.push(&Affine::flip_horizontal(frame.width));
                }
                if k & 2 != 0 {
                    frame.push(&Affine::flip_vertical(frame.height));
                }
                if k & 4 != 0 {
                    // Transpose: x and y swap, and so do the sides.
                    frame.push(&Affine::new(0.0, 1.0, 0.0, 1.0, 0.0, 0.0));
                    std::mem::swap(&mut frame.width, &mut frame.height);
                }
            }
            Transform::Rotate { degrees } => {
                frame.push(&Affine::rotate_about(degrees.draw(rng), centre));
            }
            Transform::Zoom { scale, x, y } => {
                let s = scale.draw(rng);
                let (fx, fy) = (x.draw(rng), y.draw(rng));
                let (ww, wh) = (cw / s, ch / s);
                let window = Rect {
                    left: -0.5 + (cw - ww) * fx,
                    top: -0.5 + (ch - wh) * fy,
                    width: ww,
                    height: wh,
                };
                frame.window(window, frame.width, frame.height)?;
            }
            Transform::Translate { x, y } => {
                let (tx, ty) = (x.draw(rng) * cw, y.draw(rng) * ch);
                frame.push(&Affine::translate(tx, ty));
            }
            Transform::Scale { x, y } => {
                let (sx, sy) = (x.draw(rng), y.draw(rng));
                frame.push(&Affine::scale_about(sx, sy, centre));
            }
            Transform::Shear {
                x_degrees,
                y_degrees,
            } => {
                let (a, b) = (x_degrees.draw(rng), y_degrees.draw(rng));
                frame.push(&Affine::shear(a, b).about(centre));
            }
            Transform::Perspective { distortion } => {
                let mut offsets = [(0.0, 0.0); 4];
                for o in &mut offsets {
                    *o = (distortion.draw(rng), distortion.draw(rng));
                }
                push_corner_warp(frame, offsets)?;
            }
            Transform::SymmetricWarp { magnitude } => {
                let m: [f64; 4] = std::array::from_fn(|_| magnitude.draw(rng));
                // fastai's order: top-left, bottom-left, top-right, bottom-right.
                push_corner_warp(
                    frame,
                    [(-m[3], -m[1]), (-m[2], m[1]), (m[3], -m[0]), (m[2], m[0])],
                )?;
            }
            Transform::Skew { magnitude } => {
                let direction: u8 = rng.random_range(0..8);
                let m = magnitude.draw(rng);
                let mut offsets = [(0.0, 0.0); 4];
                let (corner, offset) = match direction {
                    0 => (0, (-m, 0.0)),
                    1 => (0, (0.0, -m)),
                    2 => (1, (-m, 0.0)),
                    3 => (1, (0.0, m)),
                    4 => (2, (m, 0.0)),
                    5 => (2, (0.0, -m)),
                    6 => (3, (m, 0.0)),
                    _ => (3, (0.0, m)),
                };
                offsets[corner] = offset;
                push_corner_warp(frame, offsets)?;
            }
            Transform::Tilt { magnitude } => {
                let direction: u8 = rng.random_range(0..4);
                let m = magnitude.draw(rng);
                let z = (0.0, 0.0);
                let offsets = match direction {
                    0 => [z, z, (0.0, -m), (0.0, m)],
                    1 => [(0.0, -m), (0.0, m), z, z],
                    2 => [z, (-m, 0.0), z, (m, 0.0)],
                    _ => [(-m, 0.0), z, (m, 0.0), z],
                };
                push_corner_warp(frame, offsets)?;
            }
            Transform::Jitter { magnitude } => {
                let magnitude = magnitude.draw(rng);
                let key = rng.random::<u64>();
                frame.displace(Displacement::Jitter { magnitude, key });
            }
            Transform::Elastic {
                magnitude,
                smoothness,
            } => {
                let m = magnitude.draw(rng);
                let field = ElasticField::draw(frame.width, frame.height, m, *smoothness, rng);
                frame.displace(Displacement::Elastic(field));
            }
            Transform::Resize {
                width,
                height,
                method,
                x,
                y,
            } => {
                let (w, h) = (*width as f64, *height as f64);
                let (fx, fy) = (x.draw(rng), y.draw(rng));
                let window = match method {
                    ResizeMethod::Squish => Rect::image(frame.width, frame.height),
                    ResizeMethod::Crop | ResizeMethod::Pad => {
                        let s = if *method == ResizeMethod::Crop {
                            (w / cw).max(h / ch)
                        } else {
                            (w / cw).min(h / ch)
                        };
                        let (ww, wh) = (w / s, h / s);
                        Rect {
                            left: -0.5 + (cw - ww) * fx,
                            top: -0.5 + (ch - wh) * fy,
                            width: ww,
                            height: wh,
                        }
                    }
                };
                frame.window(window, *width, *height)?;
            }
            Transform::CentreCrop { width, height } => {
                // Whole-pixel offsets (rounded like torchvision) keep a crop exact.
                let x0 = ((cw - *width as f64) / 2.0).round();
                let y0 = ((ch - *height as f64) / 2.0).round();
                frame.crop(x0, y0, *width, *height);
            }
            Transform::RandomCrop { width, height } => {
                let x0 = random_offset(rng, frame.width, *width);
                let y0 = random_offset(rng, frame.height, *height);
                frame.crop(x0, y0, *width, *height);
            }
            Transform::CropPad {
                width,
                height,
                x,
                y,
            } => {
                let x0 = fraction_offset(frame.width, *width, x.draw(rng));
                let y0 = fraction_offset(frame.height, *height, y.draw(rng));
                frame.crop(x0, y0, *width, *height);
            }
            Transform::RandomResizedCrop {
                width,
                height,
                scale,
                ratio,
            } => {
                let (x0, y0, ww, wh) =
                    resized_crop_window(rng, frame.width, frame.height, scale, ratio);
                frame.window(Rect::pixels(x0, y0, ww, wh), *width, *height)?;
            }
            Transform::ZoomCrop {
                width,
                height,
                scale,
            } => {
                let s = scale.draw(rng);
                let (fx, fy) = (rng.random::<f64>(), rng.random::<f64>());
                let (ww, wh) = (cw / s, ch / s);
                let window = Rect {
                    left: -0.5 + (cw - ww) * fx,
                    top: -0.5 + (ch - wh) * fy,
                    width: ww,
                    height: wh,
                };
                frame.window(window, *width, *height)?;
            }
            Transform::Brightness { delta } => frame.offset += delta.draw(rng),
            Transform::Contrast { factor } => {
                let gain = 1.0 + factor.draw(rng);
                frame.gain *= gain;
                frame.offset *= gain;
            }
            Transform::MidGreyContrast { scale } => {
                let s = scale.draw(rng);
                frame.gain *= s;
                frame.offset = frame.offset * s + 0.5 * (1.0 - s);
            }
            Transform::Cutout {
                holes,
                width,
                height,
                fill,
            } => {
                let count = holes.draw_count(rng);
                let holes = (0..count)
                    .map(|_| Hole {
                        centre: (rng.random::<f64>(), rng.random::<f64>()),
                        size: (width.draw(rng), height.draw(rng)),
                    })
                    .collect();
                frame.pixel_ops.push(PixelOp::Cutout { holes, fill: *fill });
            }
            Transform::GaussianBlur { sigma } => {
                let sigma = sigma.draw(rng) as f32;
                if sigma > 0.0 {
                    frame.pixel_ops.push(PixelOp::Blur(filter::Blur::Gaussian {
                        sigma_x: sigma,
                        sigma_y: sigma,
                    }));
                }
            }
            Transform::MotionBlur { length, degrees } => {
                let (length, angle) = (length.draw(rng), degrees.draw(rng));
                frame.pixel_ops.push(PixelOp::Blur(filter::Blur::Motion {
                    length: length as f32,
                    angle_degrees: angle as f32,
                }));
            }
            Transform::ShearBlur {
                length,
                degrees,
                vertical,
            } => {
                let (length, angle) = (length.draw(rng), degrees.draw(rng));
                let shear = if *vertical {
                    Affine::shear(0.0, angle)
                } else {
                    Affine::shear(angle, 0.0)
                };
                frame.push(&shear.about(centre));
                // An odd box is centred on its pixel (an even one would shift
                // the content by half a pixel).
                let taps = 2 * ((length - 1.0) / 2.0).round().max(0.0) as usize + 1;
                if taps > 1 {
                    let (width, height) = if *vertical { (1, taps) } else { (taps, 1) };
                    frame
                        .pixel_ops
                        .push(PixelOp::Blur(filter::Blur::Box { width, height }));
                }
            }
        }
        Ok(())
    }
}

/// Moves the canvas corners (fastai's order: top-left, bottom-left,
/// top-right, bottom-right) by `offsets`, in fractions of the half side,
/// and pushes the homography that does it.
fn push_corner_warp(frame: &mut Frame, offsets: [(f64, f64); 4]) -> Result<()> {
    let (w, h) = (frame.width as f64, frame.height as f64);
    let corners: [Point; 4] = [
        (-0.5, -0.5),
        (-0.5, h - 0.5),
        (w - 0.5, -0.5),
        (w - 0.5, h - 0.5),
    ];
    let targets: [Point; 4] = std::array::from_fn(|k| {
        (
            corners[k].0 + offsets[k].0 * w / 2.0,
            corners[k].1 + offsets[k].1 * h / 2.0,
        )
    });
    if offsets.iter().all(|&(x, y)| x == 0.0 && y == 0.0) {
        return Ok(());
    }
    frame.push_projective(Projective::from_points(corners, targets)?);
    Ok(())
}

/// A whole-pixel offset in `0..=canvas-window`, or in `canvas-window..=0`
/// when the window is larger (the content lands at a random place in it).
fn random_offset<R: Rng + ?Sized>(rng: &mut R, canvas: usize, window: usize) -> f64 {
    let slack = canvas as i64 - window as i64;
    let (lo, hi) = if slack >= 0 { (0, slack) } else { (slack, 0) };
    rng.random_range(lo..=hi) as f64
}

/// The whole-pixel offset at fraction `t` of the room, fastai's
/// `int((room + 1) * t)`: uniform `t` makes every offset equally likely, and
/// 0.5 is the centred crop rounded as torchvision rounds it. A larger window
/// puts the content at the left for 0 and at the right for 1.
fn fraction_offset(canvas: usize, window: usize, t: f64) -> f64 {
    let room = canvas.abs_diff(window) as f64;
    let steps = ((room + 1.0) * t).floor().clamp(0.0, room);
    if canvas >= window { steps } else { -steps }
}

/// torchvision's `RandomResizedCrop.get_params`: `(left, top, width, height)`
/// in whole pixels of a `width x height` canvas.
fn resized_crop_window<R: Rng + ?Sized>(
    rng: &mut R,
    width: usize,
    height: usize,
    scale: &Param,
    ratio: &Param,
) -> (i64, i64, usize, usize) {
    let area = (width * height) as f64;
    for _ in 0..10 {
        let target = area * scale.draw(rng);
        let aspect = ratio.draw(rng);
        let w = (target * aspect).sqrt().round();
        let h = (target / aspect).sqrt().round();
        if w >= 1.0 && h >= 1.0 && w <= width as f64 && h <= height as f64 {
            let (w, h) = (w as usize, h as usize);
            let top = rng.random_range(0..=height - h) as i64;
            let left = rng.random_range(0..=width - w) as i64;
            return (left, top, w, h);
        }
    }
    // Fallback: the whole canvas, cut to the nearest allowed ratio, centred.
    let (lo, hi) = ratio.bounds();
    let in_ratio = width as f64 / height as f64;
    let (w, h) = if in_ratio < lo {
        (
            width,
            ((width as f64 / lo).round() as usize).clamp(1, height),
        )
    } else if in_ratio > hi {
        (
            ((height as f64 * hi).round() as usize).clamp(1, width),
            height,
        )
    } else {
        (width, height)
    };
    (((width - w) / 2) as i64, ((height - h) / 2) as i64, w, h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn fraction_offsets_cover_every_place_and_centre_like_torchvision() {
        assert_eq!(fraction_offset(10, 4, 0.0), 0.0);
        assert_eq!(fraction_offset(10, 4, 1.0), 6.0);
        assert_eq!(fraction_offset(10, 4, 0.5), 3.0);
        assert_eq!(fraction_offset(9, 4, 0.5), 3.0); // round(2.5) = 3
        assert_eq!(fraction_offset(4, 10, 1.0), -6.0);
        assert_eq!(fraction_offset(4, 10, 0.0), 0.0);
        let places: std::collections::HashSet<i64> = (0..70)
            .map(|k| fraction_offset(10, 4, k as f64 / 70.0) as i64)
            .collect();
        assert_eq!(places.len(), 7);
    }

    #[test]
    fn resized_crop_windows_fit_and_follow_scale_and_ratio() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        let (scale, ratio) = (torchvision_scale(), torchvision_ratio());
        for _ in 0..500 {
            let (x, y, w, h) = resized_crop_window(&mut rng, 200, 100, &scale, &ratio);
            assert!(x >= 0 && y >= 0 && x as usize + w <= 200 && y as usize + h <= 100);
            let frac = (w * h) as f64 / 20_000.0;
            assert!((0.07..=1.01).contains(&frac), "{frac}");
        }
        // No window of ratio 5..=10 fits in 100x100 at area 1: the fallback
        // is the whole width at the nearest allowed ratio, 5.
        let window = resized_crop_window(
            &mut rng,
            100,
            100,
            &Param::Fixed(1.0),
            &Param::Uniform(5.0, 10.0),
        );
        assert_eq!(window, (0, 40, 100, 20));
    }
}
