//! One image's drawn parameters, composed: the frame a pipeline builds while
//! drawing, and the [`Plan`] it becomes, which knows the one pull map to
//! sample, where points go, and what the pixel steps do afterwards.

use crate::displace::{Displacement, JitterRows};
use crate::error::Result;
use crate::pixel::PixelOp;
use geom::{Affine, Grid, Homography, Map, Point, Projective};

/// A homography into a canvas followed by a displacement on that canvas.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Segment {
    forward: Homography,
    pull: Homography,
    displacement: Displacement,
}

/// What a pipeline builds up while drawing: the completed segments, the
/// homography from the last of them (or the source) to the current canvas,
/// the canvas size, the value affine `v * gain + offset * full_scale`, and
/// the pixel steps that run after sampling.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Frame {
    segments: Vec<(Homography, Displacement)>,
    forward: Homography,
    pub width: usize,
    pub height: usize,
    pub gain: f64,
    pub offset: f64,
    pub pixel_ops: Vec<PixelOp>,
}

impl Frame {
    pub(crate) fn new(width: usize, height: usize) -> Frame {
        Frame {
            segments: Vec::new(),
            forward: Homography::IDENTITY,
            width,
            height,
            gain: 1.0,
            offset: 0.0,
            pixel_ops: Vec::new(),
        }
    }

    /// The centre of the canvas in pixel-centre coordinates.
    pub(crate) fn centre(&self) -> Point {
        (
            (self.width as f64 - 1.0) / 2.0,
            (self.height as f64 - 1.0) / 2.0,
        )
    }

    /// Content moves by the forward affine `step`; the canvas stays.
    pub(crate) fn push(&mut self, step: &Affine) {
        self.forward = self.forward.then(&Homography::Affine(*step));
    }

    /// Content moves by the forward homography `step`; the canvas stays.
    pub(crate) fn push_projective(&mut self, step: Projective) {
        self.forward = self.forward.then(&Homography::Projective(step));
    }

    /// The content of `window` (canvas coordinates, by edges) becomes a new
    /// `width x height` canvas.
    pub(crate) fn window(&mut self, window: geom::Rect, width: usize, height: usize) -> Result<()> {
        let pull = window.to_output(width, height)?;
        self.push(&pull.inverse()?);
        self.width = width;
        self.height = height;
        Ok(())
    }

    /// Keeps the whole-pixel window at `(x0, y0)`: an integer translation, so
    /// crops copy pixels exactly.
    pub(crate) fn crop(&mut self, x0: f64, y0: f64, width: usize, height: usize) {
        self.push(&Affine::translate(-x0, -y0));
        self.width = width;
        self.height = height;
    }

    /// Ends the current segment with a displacement on the current canvas.
    pub(crate) fn displace(&mut self, displacement: Displacement) {
        let forward = std::mem::replace(&mut self.forward, Homography::IDENTITY);
        self.segments.push((forward, displacement));
    }

    /// The plan for a `source` (width, height) image.
    pub(crate) fn finish(self, source: (usize, usize)) -> Result<Plan> {
        let segments = self
            .segments
            .into_iter()
            .map(|(forward, displacement)| {
                Ok(Segment {
                    pull: forward.inverse()?,
                    forward,
                    displacement,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Plan {
            source,
            width: self.width,
            height: self.height,
            pull: self.forward.inverse()?,
            forward: self.forward,
            segments,
            gain: self.gain,
            offset: self.offset,
            pixel_ops: self.pixel_ops,
        })
    }
}

/// One image's drawn parameters: where the source lands (one composed map),
/// the output size, the value affine fused into sampling, and the pixel
/// steps that follow. Images, masks, keypoints and boxes given the same plan
/// move together.
///
/// ```
/// use augment::Pipeline;
/// let pipeline = Pipeline::builder().flip_horizontal(1.0).resize(50, 50).build()?;
/// let plan = pipeline.plan(100, 80, 0)?;
/// assert_eq!((plan.width(), plan.height()), (50, 50));
/// // The source's top-left pixel centre lands near the top-right corner.
/// let (x, y) = plan.map_point(0.0, 0.0).ok_or("lost")?;
/// assert!((x - 49.25).abs() < 1e-9 && (y + 0.1875).abs() < 1e-9);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    source: (usize, usize),
    width: usize,
    height: usize,
    segments: Vec<Segment>,
    forward: Homography,
    pull: Homography,
    gain: f64,
    offset: f64,
    pixel_ops: Vec<PixelOp>,
}

impl Plan {
    /// Output width.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Output height.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The source size the plan was drawn for.
    pub fn source_size(&self) -> (usize, usize) {
        self.source
    }

    /// Whether the composed map is affine (one matrix, the sampler's fastest
    /// path): no projective and no displacement step fired.
    pub fn is_affine(&self) -> bool {
        self.segments.is_empty() && self.pull.is_affine()
    }

    /// The value affine `v * gain + offset * full_scale` fused into sampling.
    pub fn value_affine(&self) -> (f64, f64) {
        (self.gain, self.offset)
    }

    /// Whether a displacement step (jitter, elastic) fired: the map is a grid.
    pub(crate) fn has_displacement(&self) -> bool {
        !self.segments.is_empty()
    }

    pub(crate) fn pixel_ops(&self) -> &[PixelOp] {
        &self.pixel_ops
    }

    /// Where source point `(x, y)` lands in the output (pixel centres at
    /// integers); `None` if a perspective step sends it beyond the horizon.
    /// Jitter, being zero-mean per-pixel noise, moves no point.
    pub fn map_point(&self, x: f64, y: f64) -> Option<Point> {
        let mut p = (x, y);
        for seg in &self.segments {
            p = seg.forward.apply(p.0, p.1)?;
            p = seg.displacement.forward(p);
        }
        self.forward.apply(p.0, p.1)
    }

    /// The forward map when it is one perspective map (no displacement):
    /// the only kind of plan that can send a source point beyond the
    /// horizon.
    pub(crate) fn projective_forward(&self) -> Option<Projective> {
        match (self.segments.is_empty(), self.forward) {
            (true, Homography::Projective(p)) => Some(p),
            _ => None,
        }
    }

    /// The source position output point `o` reads, without jitter noise.
    pub(crate) fn pull_point(&self, o: Point) -> Option<Point> {
        let mut q = self.pull.apply(o.0, o.1)?;
        for seg in self.segments.iter().rev() {
            let d = seg.displacement.smooth_offset(q);
            q = seg.pull.apply(q.0 + d.0, q.1 + d.1)?;
        }
        Some(q)
    }

    /// How many source pixels one output pixel spans along each source axis
    /// near the output centre: the length of each row of the pull map's
    /// Jacobian. `None` where the centre has no source position. Above 2
    /// the sampling pass antialiases (reads a downscaled level); a loader
    /// can decode at `1 / d` for any `d` up to the smaller of the two and
    /// still have the output's resolution ([`Plan::with_source`]).
    ///
    /// ```
    /// use augment::Pipeline;
    /// let pipeline = Pipeline::builder().resize(100, 50).build()?;
    /// let plan = pipeline.plan(400, 300, 0)?;
    /// assert_eq!(plan.source_footprint(), Some((4.0, 6.0)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn source_footprint(&self) -> Option<(f64, f64)> {
        let (cx, cy) = (
            (self.width as f64 - 1.0) / 2.0,
            (self.height as f64 - 1.0) / 2.0,
        );
        if let (true, Homography::Affine(a)) = (self.segments.is_empty(), self.pull) {
            let [[a, b, _], [d, e, _]] = a.rows();
            return Some((a.hypot(b), d.hypot(e)));
        }
        let h = 0.5;
        let px = self.pull_point((cx + h, cy))?;
        let mx = self.pull_point((cx - h, cy))?;
        let py = self.pull_point((cx, cy + h))?;
        let my = self.pull_point((cx, cy - h))?;
        let (a, d) = ((px.0 - mx.0) / (2.0 * h), (px.1 - mx.1) / (2.0 * h));
        let (b, e) = ((py.0 - my.0) / (2.0 * h), (py.1 - my.1) / (2.0 * h));
        let f = (a.hypot(b), d.hypot(e));
        (f.0.is_finite() && f.1.is_finite()).then_some(f)
    }

    /// The pull map as `(a, c, e, f)` with `x = a·i + c`, `y = e·j + f`,
    /// when it is axis-aligned: affine with no cross terms (exactly zero,
    /// as resize, crops, flips, zoom and translate compose), no
    /// perspective, no displacement.
    pub(crate) fn axis_aligned_pull(&self) -> Option<(f64, f64, f64, f64)> {
        match (self.segments.is_empty(), self.pull) {
            (true, Homography::Affine(m)) => {
                let [[a, b, c], [d, e, f]] = m.rows();
                (b == 0.0 && d == 0.0).then_some((a, c, e, f))
            }
            _ => None,
        }
    }

    /// This plan reading a resampled copy of its source instead: `to_source`
    /// takes the copy's pixel positions to the source's (pixel centres at
    /// integers in both) and `size` is the copy's size. The map is composed
    /// with `to_source`, so the copy is still sampled once; output size,
    /// value affine and pixel steps are unchanged. A loader that decodes a
    /// JPEG at scale 1/2 (pixel `i` covering source pixels `2i` and
    /// `2i + 1`) passes `Affine::new(2.0, 0.0, 0.5, 0.0, 2.0, 0.5)`.
    ///
    /// ```
    /// use augment::{Affine, Pipeline};
    /// let pipeline = Pipeline::builder().resize(100, 75).build()?;
    /// let plan = pipeline.plan(400, 300, 0)?;
    /// let half = plan.clone().with_source((200, 150), Affine::new(2.0, 0.0, 0.5, 0.0, 2.0, 0.5))?;
    /// assert_eq!(half.source_size(), (200, 150));
    /// assert_eq!(half.source_footprint(), Some((2.0, 2.0)));
    /// // The copy's pixel (1.5, 1.5) is the source's (3.5, 3.5): same output point.
    /// assert_eq!(half.map_point(1.5, 1.5), plan.map_point(3.5, 3.5));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_source(self, size: (usize, usize), to_source: Affine) -> Result<Plan> {
        let step = Homography::Affine(to_source.check_finite()?);
        let back = step.inverse()?;
        let mut plan = self;
        plan.source = size;
        // The first map applied to source points is the first segment's,
        // or the plan's own when no displacement step fired.
        if let Some(first) = plan.segments.first_mut() {
            first.forward = step.then(&first.forward);
            first.pull = first.pull.then(&back);
        } else {
            plan.forward = step.then(&plan.forward);
            plan.pull = plan.pull.then(&back);
        }
        Ok(plan)
    }

    /// The pull map the sampler takes: output pixel to source position.
    /// Affine if every step was, projective if a perspective step fired, a
    /// grid (built at output size, one position per output pixel) if a
    /// displacement step fired.
    pub fn pull_map(&self) -> Result<Map> {
        if self.segments.is_empty() {
            return Ok(self.pull.to_map());
        }
        let mut xy = Vec::new();
        let len = 2 * self.width * self.height;
        xy.try_reserve_exact(len)
            .map_err(|_| geom::Error::TooLarge {
                width: self.width,
                height: self.height,
                channels: 2,
                limit: geom::DEFAULT_MAX_PIXELS,
                unit: geom::LimitUnit::Pixels,
            })?;
        xy.resize(len, 0.0f32);
        let mut grid = Grid::new(self.width, self.height, xy)?;
        self.fill_grid(&mut grid)?;
        Ok(Map::Grid(grid))
    }

    /// Writes the pull position of every output pixel into `grid`, which
    /// must have the plan's output size (a batch reuses one grid per thread).
    pub(crate) fn fill_grid(&self, grid: &mut Grid) -> Result<()> {
        if (grid.width(), grid.height()) != (self.width, self.height) {
            return Err(geom::Error::ShapeMismatch {
                left: format!("grid {}x{}", grid.width(), grid.height()),
                right: format!("plan {}x{}", self.width, self.height),
            }
            .into());
        }
        let mut jitter: Vec<Option<JitterRows>> = self
            .segments
            .iter()
            .map(|seg| match seg.displacement {
                Displacement::Jitter { magnitude, key } => {
                    Some(JitterRows::new(key, magnitude, self.width))
                }
                Displacement::Elastic(_) => None,
            })
            .collect();
        for (i, row) in grid
            .as_mut_slice()
            .chunks_exact_mut(2 * self.width)
            .enumerate()
        {
            for rows in jitter.iter_mut().flatten() {
                rows.seek_row(i);
            }
            for (j, out) in row.chunks_exact_mut(2).enumerate() {
                let pos = self.pull_pixel((j as f64, i as f64), &mut jitter);
                let (x, y) = pos.unwrap_or((f64::NAN, f64::NAN));
                out[0] = x as f32;
                out[1] = y as f32;
            }
        }
        Ok(())
    }

    /// The full pull of one output pixel, jitter included. Each jitter
    /// stream advances by exactly one pixel whether or not the pixel has a
    /// position, so every pixel's noise is the same whatever its neighbours do.
    fn pull_pixel(&self, o: Point, jitter: &mut [Option<JitterRows>]) -> Option<Point> {
        let mut q = self.pull.apply(o.0, o.1);
        for (seg, rows) in self.segments.iter().zip(jitter.iter_mut()).rev() {
            let n = rows.as_mut().map_or((0.0, 0.0), JitterRows::next_offset);
            q = q.and_then(|q| {
                let d = seg.displacement.smooth_offset(q);
                seg.pull.apply(q.0 + d.0 + n.0, q.1 + d.1 + n.1)
            });
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::displace::ElasticField;
    use rand::SeedableRng;

    #[test]
    fn the_map_is_as_simple_as_the_steps_allow() -> Result<()> {
        let mut frame = Frame::new(40, 30);
        frame.push(&Affine::rotate_about(20.0, frame.centre()));
        frame.push(&Affine::scale(0.5, 0.5));
        let plan = frame.clone().finish((40, 30))?;
        assert!(plan.is_affine());
        assert!(matches!(plan.pull_map()?, Map::Affine(_)));

        let square = [(0.0, 0.0), (40.0, 0.0), (40.0, 30.0), (0.0, 30.0)];
        let kite = [(0.0, 0.0), (44.0, 0.0), (40.0, 30.0), (0.0, 27.0)];
        frame.push_projective(Projective::from_points(square, kite)?);
        frame.push(&Affine::translate(3.0, 1.0));
        let plan = frame.clone().finish((40, 30))?;
        assert!(!plan.is_affine());
        assert!(matches!(plan.pull_map()?, Map::Projective(_)));

        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let field = ElasticField::draw(40, 30, 2.0, 10.0, &mut rng);
        frame.displace(Displacement::Elastic(field));
        frame.push(&Affine::flip_horizontal(40));
        let plan = frame.finish((40, 30))?;
        let Map::Grid(grid) = plan.pull_map()? else {
            return Err(geom::Error::EmptyImage {
                width: 0,
                height: 0,
            }
            .into());
        };
        assert_eq!((grid.width(), grid.height()), (40, 30));
        // The grid holds the composed pull, and map_point inverts it.
        for &(x, y) in &[(10.0, 10.0), (25.3, 4.7)] {
            let (ox, oy) = plan
                .map_point(x, y)
                .ok_or(geom::Error::Singular { determinant: 0.0 })?;
            let back = plan
                .pull_point((ox, oy))
                .ok_or(geom::Error::Singular { determinant: 0.0 })?;
            assert!(
                (back.0 - x).abs() < 1e-6 && (back.1 - y).abs() < 1e-6,
                "{back:?}"
            );
        }
        Ok(())
    }
}
