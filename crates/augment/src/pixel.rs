//! Pixel steps that cannot be fused into the sampling pass (ARCHITECTURE.md,
//! "Pipeline data flow"): cutout and blurs, run on the output in the order
//! the pipeline lists them.

use crate::error::Result;
use geom::{Element, Image, ImageViewMut, Padding};

/// Blurs read beyond the output through this rule (OpenCV's default border
/// for filters): a constant border would darken the edges.
const BLUR_PADDING: Padding = Padding::Reflect101;

/// A rectangle to fill, drawn before the output size is known: centre as a
/// fraction of the output size, sides in output pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Hole {
    pub centre: (f64, f64),
    pub size: (f64, f64),
}

impl Hole {
    /// Whole-pixel bounds `x0..x1, y0..y1` in a `width x height` output,
    /// clipped to it (a hole may hang over the edge, as fastai's does).
    fn bounds(&self, width: usize, height: usize) -> (usize, usize, usize, usize) {
        let axis = |centre: f64, size: f64, side: usize| {
            let start = (centre * side as f64 - size / 2.0).round();
            let end = start + size.round();
            let clip = |v: f64| v.clamp(0.0, side as f64) as usize;
            (clip(start), clip(end))
        };
        let (x0, x1) = axis(self.centre.0, self.size.0, width);
        let (y0, y1) = axis(self.centre.1, self.size.1, height);
        (x0, x1, y0, y1)
    }
}

/// A drawn pixel step.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PixelOp {
    /// Fill rectangles with `fill * full_scale` in every channel.
    Cutout { holes: Vec<Hole>, fill: f64 },
    /// A blur from the filter crate.
    Blur(filter::Blur),
}

/// Runs `ops` on `image` in order. `scratch` is reused between blurs.
pub(crate) fn run<T: Element>(
    ops: &[PixelOp],
    image: ImageViewMut<'_, T>,
    scratch: &mut Option<Image<T>>,
) -> Result<()> {
    run_with_fill(ops, image, scratch, |fill| {
        T::from_f32((fill * f64::from(T::FULL_SCALE)) as f32)
    })
}

/// [`run`], with cutout holes filled with `fill_value(fill)` for a fill
/// given as a fraction of full intensity: a tensor plane fills with the
/// normalised value of the fill, not the raw one.
pub(crate) fn run_with_fill<T: Element>(
    ops: &[PixelOp],
    mut image: ImageViewMut<'_, T>,
    scratch: &mut Option<Image<T>>,
    fill_value: impl Fn(f64) -> T,
) -> Result<()> {
    for op in ops {
        match op {
            PixelOp::Cutout { holes, fill } => {
                let value = fill_value(*fill);
                let (width, height, channels) = (image.width(), image.height(), image.channels());
                for hole in holes {
                    let (x0, x1, y0, y1) = hole.bounds(width, height);
                    for y in y0..y1 {
                        image.row_mut(y)[x0 * channels..x1 * channels].fill(value);
                    }
                }
            }
            PixelOp::Blur(blur) => {
                let mut copy = match scratch.take() {
                    Some(s) if s.shape() == image.shape() => s,
                    _ => Image::new(image.width(), image.height(), image.channels())?,
                };
                for (to, from) in copy.view_mut().rows_mut().zip(image.as_view().rows()) {
                    to.copy_from_slice(from);
                }
                blur.apply_into(copy.view(), image.reborrow(), BLUR_PADDING)?;
                *scratch = Some(copy);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holes_are_clipped_to_the_image() {
        let hole = Hole {
            centre: (0.0, 1.0),
            size: (4.0, 6.0),
        };
        assert_eq!(hole.bounds(10, 8), (0, 2, 5, 8));
        let inside = Hole {
            centre: (0.5, 0.5),
            size: (2.0, 2.0),
        };
        assert_eq!(inside.bounds(10, 8), (4, 6, 3, 5));
    }

    #[test]
    fn cutout_fills_only_its_rectangles() -> Result<()> {
        let mut img = Image::<u8>::from_fn(6, 4, 3, |_, _, _| 9)?;
        let ops = [PixelOp::Cutout {
            holes: vec![Hole {
                centre: (0.5, 0.5),
                size: (2.0, 2.0),
            }],
            fill: 1.0,
        }];
        run(&ops, img.view_mut(), &mut None)?;
        for y in 0..4 {
            for x in 0..6 {
                let inside = (2..4).contains(&x) && (1..3).contains(&y);
                let want = if inside { 255 } else { 9 };
                assert_eq!(img.pixel(x, y), &[want; 3], "({x}, {y})");
            }
        }
        Ok(())
    }
}
