//! The one sampling pass, shared by images and tensors (ARCHITECTURE.md,
//! "Pipeline data flow"): choose the antialiasing level, build only the
//! part of it the map reads, fold its scale into the map, and warp once
//! with the value affine applied at store time.
//!
//! The arithmetic is the sampler's and the level's, composed once:
//! - level (see `pyramid.rs`): for an axis-aligned map, the area level,
//!   each pixel the mean of the source (or of a power-of-two box level)
//!   over an output pixel's widened footprint, rounded once, read through
//!   the identity on the axes on the output grid (written straight into an
//!   image sink when both are and no value affine applies: the warp would
//!   copy it); otherwise each pixel the mean of a `kx x ky` block of the
//!   source (powers of two), rounded once, and the map followed by the
//!   source-to-level affine ([`geom::Map::then_affine`]);
//! - values: `v * scale[c] + offset[c]` on the interpolated value, rounded
//!   once to the output type. For an image that is the plan's lighting,
//!   `scale = gain`, `offset = offset * full_scale` (none when it changes
//!   nothing); for tensor planes, lighting then normalisation
//!   `(s, o)` composed in `f64` and rounded once to `f32`:
//!   `scale = gain * s`, `offset = offset * full_scale * s + o`.
//!
//! The two differ only in the [`Sink`]. The pass takes its inputs
//! explicitly (source view, plan, its pull map, the level, the sink, the
//! scratch) so that a caller holding a decoded window of a file, rather
//! than the whole image, can run it with the map moved onto the window.
//! Buffers (the levels, their sums, the displacement grid) live in a
//! per-thread [`Scratch`], so the steady state allocates none of them.

use crate::error::Result;
use crate::pipeline::Pipeline;
use crate::plan::Plan;
use crate::pyramid::{self, AreaLevel, Level};
use geom::{Affine, Element, Grid, Image, ImageView, ImageViewMut, Map, Projective};
use sample::{ChannelAffine, Interpolation, WarpOptions};
use std::any::Any;
use std::cell::RefCell;

/// Where the sampling pass writes.
pub(crate) enum Sink<'a, T> {
    /// An interleaved image of the plan's output size with the source's
    /// channels; values get the plan's lighting.
    Image(ImageViewMut<'a, T>),
    /// CHW planes of `width x height`, one per source channel; values get
    /// the plan's lighting, then `normalisation`.
    Planes {
        /// Exactly `channels * width * height` values.
        out: &'a mut [f32],
        /// Plane width.
        width: usize,
        /// Plane height.
        height: usize,
        /// `v * scale[c] + offset[c]` from source values to tensor values.
        normalisation: &'a ChannelAffine,
    },
}

impl<T: Element> Sink<'_, T> {
    /// The output (width, height).
    fn size(&self) -> (usize, usize) {
        match self {
            Sink::Image(dst) => (dst.width(), dst.height()),
            Sink::Planes { width, height, .. } => (*width, *height),
        }
    }

    /// The value affine the sampler applies at store time (see the module doc).
    fn values(&self, plan: &Plan, channels: usize) -> Option<ChannelAffine> {
        match self {
            Sink::Image(_) => value_affine::<T>(plan),
            Sink::Planes { normalisation, .. } => {
                let full_scale = f64::from(T::FULL_SCALE);
                let (gain, offset) = plan.value_affine();
                // Lighting then normalisation, composed in f64 and rounded once:
                // with no lighting this is the normalisation's own
                // coefficients, bit for bit.
                let mut values = **normalisation;
                for c in 0..channels.min(4) {
                    let (s, o) = (
                        f64::from(normalisation.scale[c]),
                        f64::from(normalisation.offset[c]),
                    );
                    values.scale[c] = (gain * s) as f32;
                    values.offset[c] = (offset * full_scale * s + o) as f32;
                }
                Some(values)
            }
        }
    }

    fn warp(self, src: ImageView<'_, T>, map: &Map, options: &WarpOptions) -> Result<()> {
        match self {
            Sink::Image(dst) => sample::warp_into(src, dst, map, options)?,
            Sink::Planes {
                out, width, height, ..
            } => sample::warp_planar_into(src, out, width, height, map, options)?,
        }
        Ok(())
    }
}

/// Buffers one thread reuses from image to image and batch to batch.
#[derive(Default)]
pub(crate) struct Scratch {
    /// Antialiasing levels, one `Vec<T>` per sample type used.
    levels: Vec<Box<dyn Any + Send>>,
    /// Column sums of the level being built.
    column_sums: Vec<f32>,
    /// Area levels that are not written straight into the output, one
    /// `Vec<T>` per sample type used.
    areas: Vec<Box<dyn Any + Send>>,
    /// The area stage's sums and column intervals.
    area: filter::AreaScratch,
    /// The pull grid of the last plan with a displacement step.
    grid: Option<Grid>,
    /// A copy of one tensor plane, for blurs (they read one buffer, write another).
    pub(crate) plane: Option<Image<f32>>,
}

impl Scratch {
    /// `plan`'s pull map ([`Plan::pull_map`]); a grid is built in this
    /// scratch's grid buffer when it has the plan's output size.
    pub(crate) fn pull_map(&mut self, plan: &Plan) -> Result<Map> {
        match self.grid.take() {
            Some(mut grid)
                if plan.has_displacement()
                    && (grid.width(), grid.height()) == (plan.width(), plan.height()) =>
            {
                plan.fill_grid(&mut grid)?;
                Ok(Map::Grid(grid))
            }
            kept => {
                self.grid = kept;
                plan.pull_map()
            }
        }
    }

    /// Takes back `map`'s grid, if it is one, for the next plan.
    fn keep(&mut self, map: Map) {
        if let Map::Grid(grid) = map {
            self.grid = Some(grid);
        }
    }
}

/// This thread's level buffer for sample type `T`, made on first use.
fn level_buffer<T: Element>(levels: &mut Vec<Box<dyn Any + Send>>) -> Option<&mut Vec<T>> {
    if !levels.iter().any(|l| l.is::<Vec<T>>()) {
        levels.push(Box::new(Vec::<T>::new()));
    }
    levels.iter_mut().find_map(|l| l.downcast_mut::<Vec<T>>())
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs `f` with this thread's scratch. The scratch is taken out while `f`
/// runs, so a nested call (should a kernel ever run other pipeline work on
/// this thread while it waits) gets fresh buffers instead of a borrow panic.
pub(crate) fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    let mut scratch = SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut()));
    let result = f(&mut scratch);
    SCRATCH.with(|s| *s.borrow_mut() = scratch);
    result
}

impl Pipeline {
    /// The sampling pass: `src` through `plan`'s pull map into `sink`, from
    /// the antialiasing `level` if one is given, with the sink's value
    /// affine (see the module doc). `src` is the part of the image the plan
    /// was drawn for whose top-left pixel is `origin` (the whole image at
    /// `(0, 0)`), and `level` is in its coordinates ([`Level::shifted`]).
    /// The sizes are checked before the map is built, so a plan that does
    /// not fit builds no grid. Pixel steps are the caller's.
    pub(crate) fn sample_into<T: Element>(
        &self,
        src: ImageView<'_, T>,
        origin: (usize, usize),
        plan: &Plan,
        level: Option<Level>,
        sink: Sink<'_, T>,
        scratch: &mut Scratch,
    ) -> Result<()> {
        check_sizes(plan, origin, (src.width(), src.height()), sink.size())?;
        let map = scratch.pull_map(plan)?;
        self.sample_with_map(src, origin, plan, map, level, sink, scratch)
    }

    /// [`Pipeline::sample_into`] with `plan`'s pull map already built (in
    /// the coordinates of the whole image, say by [`Scratch::pull_map`], to
    /// share it with a mask); it is moved onto `src` by `-origin` here. Its
    /// grid, if it is one, goes back to `scratch`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn sample_with_map<T: Element>(
        &self,
        src: ImageView<'_, T>,
        origin: (usize, usize),
        plan: &Plan,
        map: Map,
        level: Option<Level>,
        sink: Sink<'_, T>,
        scratch: &mut Scratch,
    ) -> Result<()> {
        let output = sink.size();
        if let Err(e) = check_sizes(plan, origin, (src.width(), src.height()), output) {
            scratch.keep(map);
            return Err(e);
        }
        let map = moved(map, origin)?;
        let options = WarpOptions {
            interpolation: self.interpolation,
            padding: self.padding,
            values: sink.values(plan, src.channels()),
        };
        let (map, sampled) = match level {
            None => {
                let sampled = sink.warp(src, &map, &options);
                (map, sampled)
            }
            Some(Level::Box { kx, ky }) => {
                let map = map.then_affine(&pyramid::level_map(kx, ky));
                let sampled = self.sample_box_level(src, (kx, ky), &map, sink, &options, scratch);
                (map, sampled)
            }
            Some(Level::Area(area)) => {
                let sampled = self.sample_area_level(src, &area, sink, &options, scratch);
                (map, sampled)
            }
        };
        scratch.keep(map);
        sampled
    }

    /// The box level with blocks `k` over the region `map` (in level
    /// coordinates) reads, then the warp.
    fn sample_box_level<T: Element>(
        &self,
        src: ImageView<'_, T>,
        (kx, ky): (usize, usize),
        map: &Map,
        sink: Sink<'_, T>,
        options: &WarpOptions,
        scratch: &mut Scratch,
    ) -> Result<()> {
        let needed = pyramid::read_region(
            map,
            sink.size(),
            (src.width().div_ceil(kx), src.height().div_ceil(ky)),
        );
        let mut fresh = Vec::new();
        let data = level_buffer::<T>(&mut scratch.levels).unwrap_or(&mut fresh);
        let shape = pyramid::box_level_into(
            src,
            kx,
            ky,
            self.padding,
            needed.as_ref(),
            data,
            &mut scratch.column_sums,
        )?;
        let level = ImageView::new(
            &data[..shape.len()],
            shape.width,
            shape.height,
            shape.channels,
        )?;
        sink.warp(level, map, options)
    }

    /// The area level: the box level first if it has blocks, then the area
    /// stage, written straight into an image sink when it is the whole
    /// output and there is no value affine; otherwise into the scratch and
    /// warped through what is left of the map (the identity on the axes
    /// on the output grid, so those read level pixels exactly).
    fn sample_area_level<T: Element>(
        &self,
        src: ImageView<'_, T>,
        area: &AreaLevel,
        sink: Sink<'_, T>,
        options: &WarpOptions,
        scratch: &mut Scratch,
    ) -> Result<()> {
        let Scratch {
            levels,
            areas,
            column_sums,
            area: area_scratch,
            ..
        } = scratch;
        let mut fresh = Vec::new();
        let data = level_buffer::<T>(levels).unwrap_or(&mut fresh);
        let input = if area.pre == (1, 1) {
            src
        } else {
            let (kx, ky) = area.pre;
            let size = (src.width().div_ceil(kx), src.height().div_ceil(ky));
            let region = area.pre_region(size);
            let shape = pyramid::box_level_into(
                src,
                kx,
                ky,
                self.padding,
                Some(&region),
                data,
                column_sums,
            )?;
            ImageView::new(
                &data[..shape.len()],
                shape.width,
                shape.height,
                shape.channels,
            )?
        };
        let (x, y) = (area.x.area_axis(), area.y.area_axis());
        match sink {
            Sink::Image(dst) if area.is_output() && options.values.is_none() => {
                pyramid::area_level_into(input, dst, area, self.padding, area_scratch)
            }
            sink => {
                let mut fresh = Vec::new();
                let buffer = level_buffer::<T>(areas).unwrap_or(&mut fresh);
                let c = src.channels();
                buffer.resize(x.count * y.count * c, T::default());
                let mut level = ImageViewMut::new(buffer, x.count, y.count, c)?;
                pyramid::area_level_into(
                    input,
                    level.reborrow(),
                    area,
                    self.padding,
                    area_scratch,
                )?;
                sink.warp(level.as_view(), &area.leftover_map(), options)
            }
        }
    }

    /// The antialiasing level to sample instead of a `source` (width,
    /// height) image (bilinear with antialiasing on only): the area level
    /// for an axis-aligned map that shrinks an axis by more than 2x, else
    /// the box level's power-of-two blocks if the plan shrinks the source
    /// by more than 2x (see `pyramid.rs`).
    pub(crate) fn level(&self, plan: &Plan, source: (usize, usize)) -> Option<Level> {
        if !self.antialias || self.interpolation != Interpolation::Bilinear {
            return None;
        }
        let output = (plan.width(), plan.height());
        if let Some(area) = plan
            .axis_aligned_pull()
            .and_then(|pull| pyramid::area_level(pull, source, output))
        {
            return Some(Level::Area(area));
        }
        plan.source_footprint()
            .map(|f| pyramid::level_factors(f, source))
            .filter(|&k| k != (1, 1))
            .map(|(kx, ky)| Level::Box { kx, ky })
    }
}

/// `map` (pull positions in the whole image) moved onto a window whose
/// top-left pixel is `origin`: each position less `origin`. The identity
/// at `(0, 0)`, so a whole image samples through the plan's own map, bit
/// for bit. Otherwise the translation changes the matrix's constant column
/// (exactly: it is at or past the window's start) but the sampler's `f64`
/// evaluation of a position then rounds on a finer grid than the whole
/// image's, so a position can differ in its last bits (see
/// [`Pipeline::read_window`] for what that does to the output).
pub(crate) fn moved(map: Map, origin: (usize, usize)) -> Result<Map> {
    if origin == (0, 0) {
        return Ok(map);
    }
    let (x, y) = (origin.0 as f64, origin.1 as f64);
    Ok(match map {
        Map::Affine(m) => {
            let [[a, b, c], [d, e, f]] = m.rows();
            Map::Affine(Affine::new(a, b, c - x, d, e, f - y))
        }
        // Row by row rather than through `Projective::then`, which
        // rescales the whole matrix.
        Map::Projective(p) => {
            let [[a, b, c], [d, e, f], [g, h, k]] = p.matrix();
            Map::Projective(Projective::new([
                [a - x * g, b - x * h, c - x * k],
                [d - y * g, e - y * h, f - y * k],
                [g, h, k],
            ])?)
        }
        grid => grid.then_affine(&Affine::translate(-x, -y)),
    })
}

/// Error unless `plan` has the `output` size and a `window` (width,
/// height) whose top-left pixel is `origin` lies inside the image `plan`
/// was drawn for (whole-image calls check the size first: [`check_source`]).
fn check_sizes(
    plan: &Plan,
    origin: (usize, usize),
    window: (usize, usize),
    output: (usize, usize),
) -> Result<()> {
    if output != (plan.width(), plan.height()) {
        return Err(geom::Error::ShapeMismatch {
            left: format!("output {}x{}", output.0, output.1),
            right: format!("plan {}x{}", plan.width(), plan.height()),
        }
        .into());
    }
    let source = plan.source_size();
    let fits = |o: usize, len: usize, side: usize| o.checked_add(len).is_some_and(|e| e <= side);
    let inside = fits(origin.0, window.0, source.0) && fits(origin.1, window.1, source.1);
    if !inside {
        return Err(geom::Error::ShapeMismatch {
            left: format!(
                "source window {}x{} at ({}, {})",
                window.0, window.1, origin.0, origin.1
            ),
            right: format!("plan drawn for {}x{}", source.0, source.1),
        }
        .into());
    }
    Ok(())
}

/// Error unless `plan` has the `output` size and `src` the size of the
/// image `plan` was drawn for (a whole-image call).
pub(crate) fn check_source<T: Element>(
    src: &ImageView<'_, T>,
    plan: &Plan,
    output: (usize, usize),
) -> Result<()> {
    check_sizes(plan, (0, 0), (0, 0), output)?;
    let (source, given) = (plan.source_size(), (src.width(), src.height()));
    if given != source {
        return Err(geom::Error::ShapeMismatch {
            left: format!("source {}x{}", given.0, given.1),
            right: format!("plan drawn for {}x{}", source.0, source.1),
        }
        .into());
    }
    Ok(())
}

/// The per-channel value affine of `plan` for sample type `T`, or `None` if
/// it changes nothing.
fn value_affine<T: Element>(plan: &Plan) -> Option<ChannelAffine> {
    let (gain, offset) = plan.value_affine();
    if gain == 1.0 && offset == 0.0 {
        return None;
    }
    Some(ChannelAffine::uniform(
        gain as f32,
        (offset * f64::from(T::FULL_SCALE)) as f32,
    ))
}
