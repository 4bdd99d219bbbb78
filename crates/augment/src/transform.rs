//! The transforms a pipeline is made of, each described forward (what
//! happens to the content) and folded into one map when drawn.

use crate::error::{Error, Result};
use crate::param::Param;
use geom::Affine;
use rand::{Rng, RngExt};

/// One augmentation step. Geometric steps change the coordinate frame; size
/// steps change the canvas; pixel steps change values (fused into sampling).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Transform {
    /// Scale the canvas to `width x height` (aspect ratio not kept: "squish").
    Resize {
        /// Output width.
        width: usize,
        /// Output height.
        height: usize,
    },
    /// Keep the centred `width x height` window (padding if the canvas is smaller).
    CentreCrop {
        /// Window width.
        width: usize,
        /// Window height.
        height: usize,
    },
    /// Keep a `width x height` window at a random whole-pixel position.
    RandomCrop {
        /// Window width.
        width: usize,
        /// Window height.
        height: usize,
    },
    /// Mirror left-right.
    FlipHorizontal,
    /// Mirror top-bottom.
    FlipVertical,
    /// Turn the content counter-clockwise on screen about the canvas centre.
    Rotate {
        /// Angle in degrees.
        degrees: Param,
    },
    /// Scale the content about the canvas centre (above 1 zooms in).
    Zoom {
        /// Scale factor, positive.
        scale: Param,
    },
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
}

/// Largest output side a size step accepts; a hostile pipeline cannot ask
/// for more (the pixel limit of the pipeline applies on top).
pub const MAX_OUTPUT_SIDE: usize = 1 << 16;

impl Transform {
    /// Short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Transform::Resize { .. } => "resize",
            Transform::CentreCrop { .. } => "centre_crop",
            Transform::RandomCrop { .. } => "random_crop",
            Transform::FlipHorizontal => "flip_horizontal",
            Transform::FlipVertical => "flip_vertical",
            Transform::Rotate { .. } => "rotate",
            Transform::Zoom { .. } => "zoom",
            Transform::Brightness { .. } => "brightness",
            Transform::Contrast { .. } => "contrast",
        }
    }

    /// Error unless every parameter is usable.
    pub fn validate(&self) -> Result<()> {
        let name = self.name();
        match self {
            Transform::Resize { width, height }
            | Transform::CentreCrop { width, height }
            | Transform::RandomCrop { width, height } => {
                for (parameter, v) in [("width", *width), ("height", *height)] {
                    if v == 0 || v > MAX_OUTPUT_SIDE {
                        return Err(Error::InvalidParameter {
                            transform: name,
                            parameter,
                            value: v.to_string(),
                            expected: "a side from 1 to 65536 pixels",
                        });
                    }
                }
                Ok(())
            }
            Transform::FlipHorizontal | Transform::FlipVertical => Ok(()),
            Transform::Rotate { degrees } => {
                degrees.check(name, "degrees", -3600.0, 3600.0, "finite, within ±3600")
            }
            Transform::Zoom { scale } => {
                scale.check(name, "scale", 1e-3, 1e3, "a factor from 0.001 to 1000")
            }
            Transform::Brightness { delta } => {
                delta.check(name, "delta", -1.0, 1.0, "a fraction in -1..=1")
            }
            Transform::Contrast { factor } => {
                factor.check(name, "factor", -1.0, 10.0, "a gain minus one in -1..=10")
            }
        }
    }

    /// Draws this step's parameters and applies it to `frame`.
    pub(crate) fn draw_into<R: Rng + ?Sized>(&self, frame: &mut Frame, rng: &mut R) {
        let centre = frame.centre();
        match self {
            Transform::Resize { width, height } => {
                // Edges to edges: x' = (x + 0.5) * W / w - 0.5.
                let sx = *width as f64 / frame.width as f64;
                let sy = *height as f64 / frame.height as f64;
                let resize = Affine::new(sx, 0.0, 0.5 * sx - 0.5, 0.0, sy, 0.5 * sy - 0.5);
                frame.push(&resize);
                frame.width = *width;
                frame.height = *height;
            }
            Transform::CentreCrop { width, height } => {
                // Whole-pixel offsets (rounded like torchvision) keep a crop exact.
                let x0 = ((frame.width as f64 - *width as f64) / 2.0).round();
                let y0 = ((frame.height as f64 - *height as f64) / 2.0).round();
                frame.crop(x0, y0, *width, *height);
            }
            Transform::RandomCrop { width, height } => {
                let x0 = random_offset(rng, frame.width, *width);
                let y0 = random_offset(rng, frame.height, *height);
                frame.crop(x0, y0, *width, *height);
            }
            Transform::FlipHorizontal => frame.push(&Affine::flip_horizontal(frame.width)),
            Transform::FlipVertical => frame.push(&Affine::flip_vertical(frame.height)),
            Transform::Rotate { degrees } => {
                frame.push(&Affine::rotate_about(degrees.draw(rng), centre));
            }
            Transform::Zoom { scale } => {
                let s = scale.draw(rng);
                frame.push(&Affine::scale_about(s, s, centre));
            }
            Transform::Brightness { delta } => frame.offset += delta.draw(rng),
            Transform::Contrast { factor } => {
                let gain = 1.0 + factor.draw(rng);
                frame.gain *= gain;
                frame.offset *= gain;
            }
        }
    }
}

/// A whole-pixel offset in `0..=canvas-window`, or in `canvas-window..=0`
/// when the window is larger (the content lands at a random place in it).
fn random_offset<R: Rng + ?Sized>(rng: &mut R, canvas: usize, window: usize) -> f64 {
    let slack = canvas as i64 - window as i64;
    let (lo, hi) = if slack >= 0 { (0, slack) } else { (slack, 0) };
    rng.random_range(lo..=hi) as f64
}

/// The state a pipeline builds up while drawing: where source content lands
/// (`forward`), the canvas size, and the value affine `v * gain + offset *
/// full_scale`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Frame {
    pub forward: Affine,
    pub width: usize,
    pub height: usize,
    pub gain: f64,
    pub offset: f64,
}

impl Frame {
    pub fn new(width: usize, height: usize) -> Frame {
        Frame {
            forward: Affine::IDENTITY,
            width,
            height,
            gain: 1.0,
            offset: 0.0,
        }
    }

    /// The centre of the canvas in pixel-centre coordinates.
    fn centre(&self) -> (f64, f64) {
        (
            (self.width as f64 - 1.0) / 2.0,
            (self.height as f64 - 1.0) / 2.0,
        )
    }

    fn push(&mut self, step: &Affine) {
        self.forward = self.forward.then(step);
    }

    fn crop(&mut self, x0: f64, y0: f64, width: usize, height: usize) {
        self.push(&Affine::translate(-x0, -y0));
        self.width = width;
        self.height = height;
    }
}
