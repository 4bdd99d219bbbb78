//! Decoding steered by the plan, for one image: the plan is drawn from the
//! header's size, the decoder asked for the region and scale it reads, and
//! the delivered window sampled through the plan. The loader's workers and
//! [`FileAugmenter`] (one file at a time, for callers with their own
//! reading and batching, such as a PyTorch `Dataset`) share it, so both
//! give the same pixels for the same bytes and image number.

use crate::decode::{
    DecodeBuffer, DecodeError, Orientation, Region, Request, SeekIndex, decode, decode_with_index,
    probe, scaled_side,
};
use crate::error::{Error, Result, SampleName};
use augment::{ImageViewMut, Normalisation, Pipeline};
use std::sync::Arc;

/// What the decoder is asked for, before the plan narrows it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Steering {
    /// Orientation and pixel limit; region and scale are the plan's.
    pub request: Request,
    /// Ask for only the region the plan reads.
    pub region: bool,
    /// Ask for a reduced scale where the plan shrinks enough.
    pub scaled: bool,
}

impl Steering {
    /// Whether the plan narrows the request at all (else images are
    /// decoded whole, and a seek index has nothing to skip).
    pub fn steers(&self) -> bool {
        self.region || self.scaled
    }
}

/// A decoded image's plan, and where the decoded window sits in the
/// (upright, possibly scaled) image the plan was drawn on.
pub(crate) struct Placed {
    pub plan: augment::Plan,
    pub origin: (usize, usize),
    /// The decoder delivered a reduced scale.
    pub scaled: bool,
}

/// Decodes `bytes` for pipeline image `index` into `decoded`: with
/// steering, only what the plan drawn from the header reads (using and
/// filling `seek` if given); without, the whole image, with the plan drawn
/// from its size.
pub(crate) fn decode_placed(
    pipeline: &Pipeline,
    steering: &Steering,
    bytes: &[u8],
    index: u64,
    seek: Option<&mut SeekIndex>,
    decoded: &mut DecodeBuffer,
) -> std::result::Result<Placed, StepError> {
    if !steering.steers() {
        decode(bytes, &steering.request, decoded).map_err(StepError::Decode)?;
        if decoded.view().is_none() {
            return Err(StepError::Decode(DecodeError::Empty));
        }
        let plan = pipeline
            .plan(decoded.width(), decoded.height(), index)
            .map_err(StepError::Augment)?;
        return Ok(Placed {
            plan,
            origin: (0, 0),
            scaled: false,
        });
    }
    // The plan is drawn from the header's upright size before decoding
    // (the same plan `apply_tensor` draws from the decoded image's size),
    // so the decoder is asked only for its window.
    let planned = plan_decode(pipeline, steering, bytes, index)?;
    let delivered = match seek {
        Some(seek) => decode_with_index(bytes, &planned.request, decoded, seek),
        None => decode(bytes, &planned.request, decoded),
    }
    .map_err(StepError::Decode)?;
    let plan = if delivered.eighths == planned.request.eighths {
        planned.plan
    } else {
        // A decoder that cannot scale delivers the whole image at full
        // size (rare: `scales` picks the files that do), which the plan
        // drawn at full size samples.
        let (w, h) = (delivered.width as usize, delivered.height as usize);
        pipeline.plan(w, h, index).map_err(StepError::Augment)?
    };
    let (x, y, _, _) = delivered.upright_window().ok_or_else(|| {
        StepError::Decode(DecodeError::Request {
            what: format!(
                "the decoder delivered {}x{} at {} eighths for stored region {:?}",
                delivered.width, delivered.height, delivered.eighths, delivered.region
            ),
        })
    })?;
    Ok(Placed {
        plan,
        origin: (x as usize, y as usize),
        scaled: delivered.eighths < 8 && delivered.eighths == planned.request.eighths,
    })
}

/// Where an augmented image goes.
pub(crate) enum Target<'a> {
    /// CHW planes, normalised.
    Tensor(&'a Normalisation, &'a mut [f32]),
    /// HWC 8-bit RGB.
    Pixels(&'a mut [u8]),
}

/// Samples the window [`decode_placed`] left in `decoded` into `target`,
/// which must hold `3 * width * height` values of the plan's output.
pub(crate) fn augment_placed(
    pipeline: &Pipeline,
    decoded: &DecodeBuffer,
    placed: &Placed,
    target: Target<'_>,
) -> std::result::Result<(), StepError> {
    let view = decoded
        .view()
        .ok_or(StepError::Decode(DecodeError::Empty))?;
    let (plan, origin) = (&placed.plan, placed.origin);
    match target {
        Target::Tensor(normalisation, out) => {
            pipeline.apply_tensor_window(view, origin, plan, normalisation, out)
        }
        Target::Pixels(out) => ImageViewMut::new(out, plan.width(), plan.height(), 3)
            .map_err(augment::Error::from)
            .and_then(|dst| pipeline.apply_plan_window_into(view, origin, plan, dst)),
    }
    .map_err(StepError::Augment)
}

/// Encoded images to augmented images one at a time, made as the
/// [`crate::Loader`]'s workers make each image of a batch: the plan for
/// image `index` is drawn from the header's size before any pixel is
/// decoded, the decoder is asked for only the region the plan reads and
/// for the smallest DCT scale that keeps the output's resolution
/// ([`crate::LoaderBuilder::region_decoding`] and
/// [`crate::LoaderBuilder::scaled_decoding`] state what that costs against
/// decoding whole images), and the window it delivers is sampled once.
///
/// For callers that read and batch for themselves (a PyTorch `Dataset`, a
/// service handling one upload at a time). Its images are the loader's,
/// bit for bit, for the same bytes, pipeline and image number; buffers are
/// kept from one image to the next.
///
/// ```
/// use augment::{Normalisation, Pipeline};
/// use load::{FileAugmenter, SampleName};
/// # let bytes = load::decode::tests_support::tiny_png();
/// let pipeline = Pipeline::builder().random_resized_crop(4, 4).seed(7).build()?;
/// let mut augmenter = FileAugmenter::new(pipeline);
/// let mut tensor = Vec::new();
/// let name = SampleName::file("photo.png"); // named in errors
/// let (w, h) = augmenter.tensor(&name, &bytes, 0, &Normalisation::IMAGENET, &mut tensor)?;
/// assert_eq!((w, h, tensor.len()), (4, 4, 3 * 4 * 4));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FileAugmenter {
    pipeline: Pipeline,
    steering: Steering,
    decoded: DecodeBuffer,
}

impl FileAugmenter {
    /// Upright (EXIF orientation applied), region and scaled decoding on,
    /// the default pixel limit: the loader's defaults.
    pub fn new(pipeline: Pipeline) -> FileAugmenter {
        FileAugmenter {
            pipeline,
            steering: Steering {
                request: Request::new(),
                region: true,
                scaled: true,
            },
            decoded: DecodeBuffer::new(),
        }
    }

    /// Apply EXIF orientation (default on).
    #[must_use]
    pub fn orientation(mut self, on: bool) -> Self {
        self.steering.request = self.steering.request.orientation(on);
        self
    }

    /// Refuse images whose header has more pixels (default 2^28).
    #[must_use]
    pub fn max_pixels(mut self, limit: u64) -> Self {
        self.steering.request = self.steering.request.max_pixels(limit);
        self
    }

    /// Decode only the region the plan reads (default on); as
    /// [`crate::LoaderBuilder::region_decoding`].
    #[must_use]
    pub fn region_decoding(mut self, on: bool) -> Self {
        self.steering.region = on;
        self
    }

    /// Decode at a reduced scale where the plan shrinks enough (default
    /// on); as [`crate::LoaderBuilder::scaled_decoding`].
    #[must_use]
    pub fn scaled_decoding(mut self, on: bool) -> Self {
        self.steering.scaled = on;
        self
    }

    /// The pipeline images go through.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// Image `index` of the pipeline, made from the encoded file `bytes`,
    /// as normalised CHW planes into `out` (resized to `3 * width *
    /// height`); returns `(width, height)`. Errors name `sample`.
    pub fn tensor(
        &mut self,
        sample: &SampleName,
        bytes: &[u8],
        index: u64,
        normalisation: &Normalisation,
        out: &mut Vec<f32>,
    ) -> Result<(usize, usize)> {
        let placed = self.decode(sample, bytes, index)?;
        let size = (placed.plan.width(), placed.plan.height());
        out.resize(3 * size.0 * size.1, 0.0);
        augment_placed(
            &self.pipeline,
            &self.decoded,
            &placed,
            Target::Tensor(normalisation, out),
        )
        .map_err(|e| e.named(sample))?;
        Ok(size)
    }

    /// As [`FileAugmenter::tensor`], as 8-bit RGB pixels (HWC) into `out`.
    pub fn pixels(
        &mut self,
        sample: &SampleName,
        bytes: &[u8],
        index: u64,
        out: &mut Vec<u8>,
    ) -> Result<(usize, usize)> {
        let placed = self.decode(sample, bytes, index)?;
        let size = (placed.plan.width(), placed.plan.height());
        out.resize(3 * size.0 * size.1, 0);
        augment_placed(&self.pipeline, &self.decoded, &placed, Target::Pixels(out))
            .map_err(|e| e.named(sample))?;
        Ok(size)
    }

    fn decode(&mut self, sample: &SampleName, bytes: &[u8], index: u64) -> Result<Placed> {
        decode_placed(
            &self.pipeline,
            &self.steering,
            bytes,
            index,
            None,
            &mut self.decoded,
        )
        .map_err(|e| e.named(sample))
    }
}

/// Why decoding for a plan failed: the header, the decoder or the plan.
pub(crate) enum StepError {
    Decode(DecodeError),
    Augment(augment::Error),
}

impl StepError {
    /// The loader's error for this step of `sample`.
    pub fn named(self, sample: &SampleName) -> Error {
        match self {
            StepError::Decode(source) => Error::Decode {
                sample: sample.clone(),
                source,
            },
            StepError::Augment(e) => Error::Augment {
                sample: sample.clone(),
                source: Arc::new(e),
            },
        }
    }
}

/// What to ask the decoder for, and the plan to sample what it delivers.
struct Planned {
    /// The plan on the upright image at `request.eighths`.
    plan: augment::Plan,
    request: Request,
}

/// Image `index`'s plan for the file `bytes`, drawn from its header's
/// upright size (as the request turns it), and the request for the scale
/// the plan allows ([`choose_scale`]) and, with region decoding, only the
/// stored pixels the plan reads at that scale:
/// [`augment::Pipeline::read_window`] turned back through the
/// orientation; the whole image when that is all of it.
fn plan_decode(
    pipeline: &Pipeline,
    steering: &Steering,
    bytes: &[u8],
    index: u64,
) -> Result<Planned, StepError> {
    let header = probe(bytes).map_err(StepError::Decode)?;
    let orientation = if steering.request.orientation {
        header.orientation
    } else {
        Orientation::Normal
    };
    let (full_w, full_h) = (header.width, header.height);
    let (uw, uh) = orientation.upright_size((full_w, full_h));
    let plan = pipeline
        .plan(uw as usize, uh as usize, index)
        .map_err(StepError::Augment)?;
    let eighths = if steering.scaled && scales(&header) {
        choose_eighths(&plan)
    } else {
        8
    };
    let stored = (scaled_side(full_w, eighths), scaled_side(full_h, eighths));
    let plan = if eighths < 8 {
        let size = orientation.upright_size(stored);
        let to_source = scale_map(orientation, (full_w, full_h), eighths);
        plan.with_source((size.0 as usize, size.1 as usize), to_source)
            .map_err(StepError::Augment)?
    } else {
        plan
    };
    let request = steering.request.eighths(eighths);
    let window = pipeline.read_window(&plan);
    let whole = (stored.0 as usize).saturating_mul(stored.1 as usize);
    if !steering.region || window.area() >= whole {
        return Ok(Planned { plan, request });
    }
    // Inside the upright image, so every side fits in u32.
    let side = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    let (x, y, width, height) = orientation.stored_rect(
        (
            side(window.x),
            side(window.y),
            side(window.width),
            side(window.height),
        ),
        stored,
    );
    // Back to full-size stored pixels, the scaled pixels' whole extent:
    // the decoder widens it to whole scaled pixels.
    let full = |v: u32| (u64::from(v) * 8 / u64::from(eighths)) as u32;
    let full_end = |v: u32| (u64::from(v) * 8).div_ceil(u64::from(eighths)) as u32;
    let (x0, y0) = (full(x), full(y));
    let (x1, y1) = (
        full_end(x + width).min(full_w),
        full_end(y + height).min(full_h),
    );
    Ok(Planned {
        plan,
        request: request.region(Region {
            x: x0,
            y: y0,
            width: x1 - x0,
            height: y1 - y0,
        }),
    })
}

/// Whether the file is one the decoders scale: an 8-bit JPEG in gray or
/// YCbCr (one the in-tree decoder refuses comes back whole at full size,
/// and the worker plans again for it).
fn scales(header: &crate::decode::Header) -> bool {
    use crate::decode::{ColorModel, Format};
    header.format == Format::Jpeg
        && header.bit_depth == 8
        && matches!(header.color, ColorModel::Gray | ColorModel::Rgb)
}

/// The smallest scale, in eighths, that still gives the output's
/// resolution: `8 / eighths` at most the plan's footprint on either axis
/// (so 5/8 for a plan that shrinks 1.6x, 1/2 for 2x). Only affine plans,
/// whose footprint is the same everywhere; a perspective or displacement
/// step decodes at full size.
fn choose_eighths(plan: &augment::Plan) -> u32 {
    let Some((fx, fy)) = plan.source_footprint().filter(|_| plan.is_affine()) else {
        return 8;
    };
    // A part per million below an exact ratio (a 640-pixel side resized
    // to 400 may come out 1.5999999) still counts as reaching it.
    let footprint = fx.min(fy) * (1.0 + 1e-6);
    (1..8u32)
        .find(|&e| 8.0 / f64::from(e) <= footprint)
        .unwrap_or(8)
}

/// The map from the upright image decoded at `eighths / 8` to the upright
/// full-size image (pixel centres at integers): a scaled pixel's centre
/// is the centre of the `8 / eighths` stored pixels it covers on each
/// axis, turned by the orientation. A flip of a side that does not scale
/// to whole pixels moves the grid by the part pixel, which the offset
/// carries.
fn scale_map(orientation: Orientation, (w, h): (u32, u32), eighths: u32) -> augment::Affine {
    let s = 8.0 / f64::from(eighths);
    let full = (f64::from(w), f64::from(h));
    let small = (
        f64::from(scaled_side(w, eighths)),
        f64::from(scaled_side(h, eighths)),
    );
    let to_full = |u: f64, v: f64| {
        let (x, y) = orientation.to_stored((u, v), small);
        orientation.to_upright((s * x + (s - 1.0) / 2.0, s * y + (s - 1.0) / 2.0), full)
    };
    let origin = to_full(0.0, 0.0);
    let (right, down) = (to_full(1.0, 0.0), to_full(0.0, 1.0));
    augment::Affine::new(
        right.0 - origin.0,
        down.0 - origin.0,
        origin.0,
        right.1 - origin.1,
        down.1 - origin.1,
        origin.1,
    )
}
