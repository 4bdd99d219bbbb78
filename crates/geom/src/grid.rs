//! Dense coordinate maps: one source position per output pixel, like the
//! `map1` of `cv2.remap` (CV_32FC2) or the grid of PyTorch's `grid_sample`
//! (in pixels, not normalised).

use crate::error::{Error, Result};

/// Source position `(x, y)` for every output pixel, row-major, interleaved.
///
/// Non-finite entries are allowed and sample as padding.
///
/// ```
/// use geom::Grid;
/// // Each output pixel reads half a pixel to the right of itself.
/// let g = Grid::from_fn(4, 3, |j, i| (j as f32 + 0.5, i as f32))?;
/// assert_eq!(g.get(2, 1), Some((2.5, 1.0)));
/// # Ok::<(), geom::Error>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct Grid {
    width: usize,
    height: usize,
    xy: Vec<f32>,
}

impl std::fmt::Debug for Grid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Grid({}x{})", self.width, self.height)
    }
}

impl Grid {
    /// Wraps `xy`, which must hold exactly `2 * width * height` values.
    pub fn new(width: usize, height: usize, xy: Vec<f32>) -> Result<Grid> {
        let shape = crate::Shape::new(width, height, 1)?;
        let needed = shape.pixels().checked_mul(2).ok_or(Error::TooLarge {
            width,
            height,
            channels: 2,
            limit: usize::MAX,
            unit: crate::LimitUnit::Elements,
        })?;
        if xy.len() < needed {
            return Err(Error::BufferTooShort {
                len: xy.len(),
                needed,
            });
        }
        if xy.len() > needed {
            return Err(Error::BufferTooLong {
                len: xy.len(),
                expected: needed,
            });
        }
        Ok(Grid { width, height, xy })
    }

    /// A grid whose output pixel `(j, i)` reads `f(j, i)`.
    pub fn from_fn(
        width: usize,
        height: usize,
        mut f: impl FnMut(usize, usize) -> (f32, f32),
    ) -> Result<Grid> {
        let shape = crate::Shape::new(width, height, 1)?;
        if shape.pixels() > crate::DEFAULT_MAX_PIXELS {
            return Err(Error::TooLarge {
                width,
                height,
                channels: 2,
                limit: crate::DEFAULT_MAX_PIXELS,
                unit: crate::LimitUnit::Pixels,
            });
        }
        let mut xy = Vec::with_capacity(shape.pixels() * 2);
        for i in 0..height {
            for j in 0..width {
                let (x, y) = f(j, i);
                xy.extend_from_slice(&[x, y]);
            }
        }
        Ok(Grid { width, height, xy })
    }

    /// Output width.
    pub fn width(&self) -> usize {
        self.width
    }
    /// Output height.
    pub fn height(&self) -> usize {
        self.height
    }
    /// The interleaved positions, row-major.
    pub fn as_slice(&self) -> &[f32] {
        &self.xy
    }
    /// The interleaved positions, writable.
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        &mut self.xy
    }
    /// Positions of output row `i`, interleaved `x, y`. Panics if `i >= height`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.xy[2 * i * self.width..2 * (i + 1) * self.width]
    }
    /// The position output pixel `(j, i)` reads.
    pub fn get(&self, j: usize, i: usize) -> Option<(f32, f32)> {
        if j >= self.width || i >= self.height {
            return None;
        }
        let k = 2 * (i * self.width + j);
        Some((self.xy[k], self.xy[k + 1]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_checked() {
        assert!(matches!(
            Grid::new(2, 2, vec![0.0; 7]),
            Err(Error::BufferTooShort { len: 7, needed: 8 })
        ));
        assert!(matches!(
            Grid::new(2, 2, vec![0.0; 9]),
            Err(Error::BufferTooLong {
                len: 9,
                expected: 8
            })
        ));
        assert!(Grid::new(0, 2, vec![]).is_err());
        assert!(Grid::new(2, 2, vec![0.0; 8]).is_ok());
    }

    #[test]
    fn rows_and_get_agree() -> Result<()> {
        let g = Grid::from_fn(3, 2, |j, i| (j as f32, 10.0 + i as f32))?;
        assert_eq!(g.row(1), &[0.0, 11.0, 1.0, 11.0, 2.0, 11.0]);
        assert_eq!(g.get(2, 1), Some((2.0, 11.0)));
        assert_eq!(g.get(3, 0), None);
        Ok(())
    }
}
