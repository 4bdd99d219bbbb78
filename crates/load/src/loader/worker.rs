//! A worker thread: claim an image, load it (read, decode, augment) into
//! this thread's scratch, copy it into its batch slot, account for it.

use super::batch::Output;
use super::report::{Counters, Skipped};
use super::{Policy, Shared, State};
use crate::decode::{
    DecodeBuffer, DecodeError, Orientation, Region, Request, decode, decode_with_index, probe,
};
use crate::error::{Error, SampleName};
use crate::sampler::augment_index;
use crate::source::OpenShard;
use augment::ImageViewMut;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::time::Instant;

/// One thread's reusable buffers.
#[derive(Default)]
pub(super) struct Scratch {
    file: Vec<u8>,
    decoded: DecodeBuffer,
    tensor: Vec<f32>,
    pixels: Vec<u8>,
    shard: OpenShard,
}

/// What became of one slot.
enum Outcome {
    Loaded {
        label: i64,
        sample: usize,
    },
    Failed(Error),
    /// The epoch was abandoned or the loader dropped meanwhile.
    Abandoned,
}

/// Counts this worker out when it ends, and ends the epoch with an error
/// if it ends by a panic, so the consumer never waits for it in vain.
struct Alive<'a>(&'a Shared);

impl Drop for Alive<'_> {
    fn drop(&mut self) {
        self.0.alive.fetch_sub(1, Ordering::SeqCst);
        if std::thread::panicking() {
            self.0.state().fatal = Some(Error::Worker {
                what: "a worker thread panicked outside a sample".into(),
            });
        }
        self.0.ready.notify_all();
    }
}

/// An image claimed by a thread: its epoch run and rank-local number.
#[derive(Debug, Clone, Copy)]
pub(super) struct Claim {
    generation: u64,
    epoch: u64,
    image: usize,
}

/// Takes the next claimable image, if any.
pub(super) fn claim(state: &mut State) -> Option<Claim> {
    (state.next < state.limit).then(|| {
        let image = state.next;
        state.next += 1;
        Claim {
            generation: state.generation,
            epoch: state.epoch,
            image,
        }
    })
}

/// A worker thread's life: claim, process, until the loader drops.
pub(super) fn run(shared: &Shared) {
    let _alive = Alive(shared);
    let mut scratch = Scratch::default();
    loop {
        let claimed = {
            let mut state = shared.state();
            loop {
                if state.shutdown {
                    return;
                }
                if let Some(c) = claim(&mut state) {
                    break c;
                }
                state = shared
                    .work
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        };
        process(shared, &mut scratch, claimed);
    }
}

/// Loads a claimed image, copies it into its batch slot and accounts for
/// it (waking the consumer when its batch is complete).
pub(super) fn process(shared: &Shared, scratch: &mut Scratch, claimed: Claim) {
    let c = &shared.config;
    let Claim {
        generation,
        epoch,
        image: j,
    } = claimed;
    let (b, off) = (j / c.batch_size, j % c.batch_size);
    let at = b % c.prefetch;
    let outcome = load_slot(shared, scratch, generation, epoch, j);
    let started = Instant::now();
    if let Outcome::Loaded { label, sample } = outcome {
        let mut slot = shared.slots[at]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if slot.generation == generation && slot.batch == b {
            let per = c.per_image();
            let buffers = &mut slot.buffers;
            let copied = match (c.output, c.per_image_buffers) {
                (Output::Tensor(_), false) => buffers
                    .tensor
                    .get_mut(off * per..(off + 1) * per)
                    .map(|dst| crate::kernels::copy_streaming(dst, &scratch.tensor[..per])),
                (Output::Pixels, false) => buffers
                    .pixels
                    .get_mut(off * per..(off + 1) * per)
                    .map(|dst| crate::kernels::copy_streaming(dst, &scratch.pixels[..per])),
                // The slot's old buffer becomes the scratch, sized again by
                // the next load.
                (Output::Tensor(_), true) => buffers.staged_tensor.get_mut(off).map(|dst| {
                    scratch.tensor.truncate(per);
                    std::mem::swap(dst, &mut scratch.tensor);
                }),
                (Output::Pixels, true) => buffers.staged_pixels.get_mut(off).map(|dst| {
                    scratch.pixels.truncate(per);
                    std::mem::swap(dst, &mut scratch.pixels);
                }),
            };
            if copied.is_some() {
                buffers.labels[off] = label;
                buffers.samples[off] = sample;
                if let Ok(order) = shared.order.read() {
                    buffers.positions[off] = order.position(j);
                }
            }
        }
    }
    let loaded = matches!(outcome, Outcome::Loaded { .. });
    // Counted before the batch can complete, so a consumer that has
    // the epoch's last batch sees every image counted.
    if loaded {
        shared.counters.images.fetch_add(1, Ordering::Relaxed);
    }
    Counters::add(&shared.counters.batch, started.elapsed());
    let mut done = false;
    {
        let mut state = shared.state();
        if state.generation == generation {
            let fatal = match outcome {
                Outcome::Failed(e) if c.policy == Policy::Fail => {
                    if let Some(p) = state.window.get_mut(at).filter(|p| p.batch == b)
                        && p.error.as_ref().is_none_or(|(o, _)| off < *o)
                    {
                        p.error = Some((off, e));
                    }
                    None
                }
                Outcome::Failed(e) => Some(e),
                _ => None,
            };
            if let Some(e) = fatal {
                state.fatal.get_or_insert(e);
                done = true;
            }
            if let Some(p) = state.window.get_mut(at).filter(|p| p.batch == b) {
                p.remaining = p.remaining.saturating_sub(1);
                done |= p.remaining == 0;
            }
        }
    }
    if done {
        shared.ready.notify_all();
    }
}

/// Loads the sample of rank-local image `j`, or under the skip policy the
/// first sample after it in the epoch's cyclic global order that loads.
fn load_slot(
    shared: &Shared,
    scratch: &mut Scratch,
    generation: u64,
    epoch: u64,
    j: usize,
) -> Outcome {
    let (k, n) = match shared.order.read() {
        Ok(order) => (order.position(j), order.dataset_len()),
        Err(_) => return Outcome::Abandoned,
    };
    let index = augment_index(epoch, k);
    let policy = shared.config.policy;
    for t in 0..n as u64 {
        if shared.stop.load(Ordering::Relaxed)
            || shared.generation.load(Ordering::Relaxed) != generation
        {
            return Outcome::Abandoned;
        }
        let sample = match shared.order.read() {
            Ok(order) => order.at_position(k + t),
            Err(_) => return Outcome::Abandoned,
        };
        if policy == Policy::Skip && shared.bad[sample].load(Ordering::Relaxed) {
            continue;
        }
        let loaded = catch_unwind(AssertUnwindSafe(|| {
            load_one(shared, scratch, sample, index)
        }))
        .unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let name = shared
                .dataset
                .name(sample)
                .unwrap_or_else(|| SampleName::file(""));
            Err(Error::Worker {
                what: format!("panic while loading {name}: {what}"),
            })
        });
        match loaded {
            Ok(label) => {
                if t > 0 {
                    shared
                        .report
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .replaced += 1;
                }
                return Outcome::Loaded { label, sample };
            }
            Err(error) => {
                shared.counters.failures.fetch_add(1, Ordering::Relaxed);
                if policy == Policy::Fail {
                    return Outcome::Failed(error);
                }
                if !shared.bad[sample].swap(true, Ordering::Relaxed) {
                    shared
                        .report
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .skipped
                        .push(Skipped {
                            index: sample,
                            sample: shared.dataset.name(sample),
                            epoch,
                            position: k,
                            error,
                        });
                }
            }
        }
    }
    Outcome::Failed(Error::NothingLoads { epoch, tried: n })
}

/// Reads, decodes and augments dataset sample `sample` as pipeline image
/// `index` into the scratch's output buffer; returns its label.
fn load_one(
    shared: &Shared,
    scratch: &mut Scratch,
    sample: usize,
    index: u64,
) -> Result<i64, Error> {
    let c = &shared.config;
    let name = || {
        shared
            .dataset
            .name(sample)
            .unwrap_or_else(|| SampleName::file(""))
    };
    let t0 = Instant::now();
    shared.dataset.read_with(
        sample,
        &mut scratch.file,
        &mut scratch.shard,
        c.max_file_bytes,
    )?;
    let t1 = Instant::now();
    Counters::add(&shared.counters.read, t1 - t0);
    let decode_error = |source| Error::Decode {
        sample: name(),
        source,
    };
    let augment_error = |e: augment::Error| Error::Augment {
        sample: name(),
        source: Arc::new(e),
    };
    let pipeline = &shared.pipeline;
    // With region decoding, the plan is drawn from the header's upright
    // size before decoding (the same plan `apply_tensor` draws from the
    // decoded image's size), so the decoder is asked only for its window.
    let planned = if c.region_decoding || c.scaled_decoding {
        let planned = plan_decode(pipeline, c, &scratch.file, index)
            .map_err(|e| e.named(decode_error, augment_error))?;
        let delivered = match shared.seek.take(sample) {
            Some(mut index) => {
                let delivered = decode_with_index(
                    &scratch.file,
                    &planned.request,
                    &mut scratch.decoded,
                    &mut index,
                );
                shared.seek.put(sample, index);
                delivered
            }
            None => decode(&scratch.file, &planned.request, &mut scratch.decoded),
        }
        .map_err(decode_error)?;
        let plan = if delivered.scale == planned.request.scale {
            if delivered.scale > 1 {
                shared
                    .counters
                    .scaled_decodes
                    .fetch_add(1, Ordering::Relaxed);
            }
            planned.plan
        } else {
            // A decoder that cannot scale delivers the whole image at
            // full size (rare: `scales` picks the files that do), which
            // the plan drawn at full size samples.
            let (w, h) = (delivered.width as usize, delivered.height as usize);
            pipeline.plan(w, h, index).map_err(augment_error)?
        };
        let (x, y, _, _) = delivered.upright_window().ok_or_else(|| {
            decode_error(DecodeError::Request {
                what: format!(
                    "the decoder delivered {}x{} at scale {} for stored region {:?}",
                    delivered.width, delivered.height, delivered.scale, delivered.region
                ),
            })
        })?;
        Some((plan, (x as usize, y as usize)))
    } else {
        decode(&scratch.file, &c.request, &mut scratch.decoded).map_err(decode_error)?;
        None
    };
    let decoded_pixels = scratch.decoded.width() * scratch.decoded.height();
    shared
        .counters
        .decoded_pixels
        .fetch_add(decoded_pixels as u64, Ordering::Relaxed);
    let t2 = Instant::now();
    Counters::add(&shared.counters.decode, t2 - t1);
    let view = scratch
        .decoded
        .view()
        .ok_or_else(|| decode_error(DecodeError::Empty))?;
    let per = c.per_image();
    let (w, h) = c.size;
    match (&c.output, planned) {
        (Output::Tensor(normalisation), Some((plan, origin))) => {
            scratch.tensor.resize(per, 0.0);
            pipeline
                .apply_tensor_window(
                    view,
                    origin,
                    &plan,
                    normalisation,
                    &mut scratch.tensor[..per],
                )
                .map_err(augment_error)?;
        }
        (Output::Tensor(normalisation), None) => {
            scratch.tensor.resize(per, 0.0);
            pipeline
                .apply_tensor(view, index, normalisation, &mut scratch.tensor[..per])
                .map_err(augment_error)?;
        }
        (Output::Pixels, planned) => {
            scratch.pixels.resize(per, 0);
            let (plan, origin) = match planned {
                Some(placed) => placed,
                None => (
                    pipeline
                        .plan(view.width(), view.height(), index)
                        .map_err(augment_error)?,
                    (0, 0),
                ),
            };
            let dst = ImageViewMut::new(&mut scratch.pixels[..per], w, h, 3)
                .map_err(|e| augment_error(e.into()))?;
            pipeline
                .apply_plan_window_into(view, origin, &plan, dst)
                .map_err(augment_error)?;
        }
    }
    Counters::add(&shared.counters.augment, t2.elapsed());
    shared.dataset.label(sample).ok_or_else(|| Error::Setting {
        setting: "sample index",
        value: sample.to_string(),
        expected: "an index below the dataset's length",
    })
}

/// Why [`plan_region`] failed: the header or the plan.
enum PlanError {
    Decode(DecodeError),
    Augment(augment::Error),
}

impl PlanError {
    fn named(
        self,
        decode: impl FnOnce(DecodeError) -> Error,
        augment: impl FnOnce(augment::Error) -> Error,
    ) -> Error {
        match self {
            PlanError::Decode(e) => decode(e),
            PlanError::Augment(e) => augment(e),
        }
    }
}

/// What to ask the decoder for, and the plan to sample what it delivers.
struct Planned {
    /// The plan on the upright image at `request.scale`.
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
    pipeline: &augment::Pipeline,
    c: &super::Config,
    bytes: &[u8],
    index: u64,
) -> Result<Planned, PlanError> {
    let header = probe(bytes).map_err(PlanError::Decode)?;
    let orientation = if c.request.orientation {
        header.orientation
    } else {
        Orientation::Normal
    };
    let (full_w, full_h) = (header.width, header.height);
    let (uw, uh) = orientation.upright_size((full_w, full_h));
    let plan = pipeline
        .plan(uw as usize, uh as usize, index)
        .map_err(PlanError::Augment)?;
    let scale = if c.scaled_decoding && scales(&header) {
        choose_scale(&plan)
    } else {
        1
    };
    let stored = (full_w.div_ceil(scale), full_h.div_ceil(scale));
    let plan = if scale > 1 {
        let size = orientation.upright_size(stored);
        let to_source = scale_map(orientation, (full_w, full_h), scale);
        plan.with_source((size.0 as usize, size.1 as usize), to_source)
            .map_err(PlanError::Augment)?
    } else {
        plan
    };
    let request = c.request.scale(scale);
    let window = pipeline.read_window(&plan);
    let whole = (stored.0 as usize).saturating_mul(stored.1 as usize);
    if !c.region_decoding || window.area() >= whole {
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
    // Back to full-size stored pixels: the decoder divides by the scale.
    let (x0, y0) = (x * scale, y * scale);
    let (x1, y1) = (
        ((x + width) * scale).min(full_w),
        ((y + height) * scale).min(full_h),
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

/// The largest scale denominator (1, 2, 4 or 8) that still gives the
/// output's resolution: at most the plan's footprint on either axis. Only
/// affine plans, whose footprint is the same everywhere; a perspective or
/// displacement step decodes at full size.
fn choose_scale(plan: &augment::Plan) -> u32 {
    let Some((fx, fy)) = plan.source_footprint().filter(|_| plan.is_affine()) else {
        return 1;
    };
    let footprint = fx.min(fy);
    [8u32, 4, 2]
        .into_iter()
        .find(|&d| f64::from(d) <= footprint)
        .unwrap_or(1)
}

/// The map from the upright image decoded at `1 / scale` to the upright
/// full-size image (pixel centres at integers): a scaled pixel's centre
/// is the centre of the `scale x scale` stored pixels it covers, turned
/// by the orientation. A flip of a side that is not a multiple of the
/// scale moves the grid by the part block, which the offset carries.
fn scale_map(orientation: Orientation, (w, h): (u32, u32), scale: u32) -> augment::Affine {
    let s = f64::from(scale);
    let full = (f64::from(w), f64::from(h));
    let small = (f64::from(w.div_ceil(scale)), f64::from(h.div_ceil(scale)));
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
