//! A worker thread: claim an image, load it (read, decode, augment) into
//! this thread's scratch, copy it into its batch slot, account for it.

use super::batch::Output;
use super::report::{Counters, Skipped};
use super::{Policy, Shared, State};
use crate::decode::{DecodeBuffer, DecodeError, Orientation, Region, Request, decode, probe};
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
            let copied = match c.output {
                Output::Tensor(_) => buffers
                    .tensor
                    .get_mut(off * per..(off + 1) * per)
                    .map(|dst| dst.copy_from_slice(&scratch.tensor[..per])),
                Output::Pixels => buffers
                    .pixels
                    .get_mut(off * per..(off + 1) * per)
                    .map(|dst| dst.copy_from_slice(&scratch.pixels[..per])),
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
    let planned = if c.region_decoding {
        let (plan, request) = plan_region(pipeline, &c.request, &scratch.file, index)
            .map_err(|e| e.named(decode_error, augment_error))?;
        let delivered =
            decode(&scratch.file, &request, &mut scratch.decoded).map_err(decode_error)?;
        let (x, y, _, _) = delivered.upright_window().ok_or_else(|| {
            decode_error(DecodeError::Request {
                what: format!(
                    "the decoder delivered {}x{} at scale {} for stored region {:?} \
                     (asked for scale 1)",
                    delivered.width, delivered.height, delivered.scale, delivered.region
                ),
            })
        })?;
        Some((plan, (x as usize, y as usize)))
    } else {
        decode(&scratch.file, &c.request, &mut scratch.decoded).map_err(decode_error)?;
        None
    };
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

/// Image `index`'s plan for the file `bytes`, drawn from its header's
/// upright size (as `request` turns it), and the request for only the
/// stored pixels the plan reads: [`augment::Pipeline::read_window`] turned
/// back through the orientation; the whole image when that is all of it.
fn plan_region(
    pipeline: &augment::Pipeline,
    request: &Request,
    bytes: &[u8],
    index: u64,
) -> Result<(augment::Plan, Request), PlanError> {
    let header = probe(bytes).map_err(PlanError::Decode)?;
    let orientation = if request.orientation {
        header.orientation
    } else {
        Orientation::Normal
    };
    let stored = (header.width, header.height);
    let (uw, uh) = orientation.upright_size(stored);
    let plan = pipeline
        .plan(uw as usize, uh as usize, index)
        .map_err(PlanError::Augment)?;
    let window = pipeline.read_window(&plan);
    if window.area() >= (uw as usize).saturating_mul(uh as usize) {
        return Ok((plan, *request));
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
    Ok((
        plan,
        request.region(Region {
            x,
            y,
            width,
            height,
        }),
    ))
}
