//! A worker thread: claim an image, load it (read and decode into this
//! thread's scratch, augment straight into its batch slot), account for it.

use super::batch::{Buffers, Output};
use super::report::{Counters, Skipped};
use super::{Policy, Shared, Slot, State};
use crate::decode::DecodeBuffer;
use crate::error::{Error, SampleName};
use crate::sampler::augment_index;
use crate::source::OpenShard;
use crate::steer::{Target, augment_placed, decode_placed};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::Ordering;
use std::sync::{MutexGuard, PoisonError};
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

/// Loads a claimed image into its batch slot and accounts for it (waking
/// the consumer when its batch is complete).
pub(super) fn process(shared: &Shared, scratch: &mut Scratch, claimed: Claim) {
    let c = &shared.config;
    let Claim {
        generation,
        epoch,
        image: j,
    } = claimed;
    let (b, off) = (j / c.batch_size, j % c.batch_size);
    let at = b % c.prefetch;
    let place = Place {
        at,
        generation,
        batch: b,
        off,
        image: j,
    };
    let outcome = load_slot(shared, scratch, epoch, place);
    let started = Instant::now();
    if let Outcome::Loaded { label, sample } = outcome
        && c.per_image_buffers
    {
        // One buffer per image: the slot's old buffer becomes the scratch,
        // sized again by the next load. (Into one batch buffer the image
        // was written in place, see `load_one`.)
        if let Some(mut slot) = lock_slot(shared, place) {
            let per = c.per_image();
            let buffers = &mut slot.buffers;
            let swapped = match c.output {
                Output::Tensor(_) => buffers.staged_tensor.get_mut(off).map(|dst| {
                    scratch.tensor.truncate(per);
                    std::mem::swap(dst, &mut scratch.tensor);
                }),
                Output::Pixels => buffers.staged_pixels.get_mut(off).map(|dst| {
                    scratch.pixels.truncate(per);
                    std::mem::swap(dst, &mut scratch.pixels);
                }),
            };
            if swapped.is_some() {
                label_slot(shared, buffers, place, label, sample);
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
fn load_slot(shared: &Shared, scratch: &mut Scratch, epoch: u64, place: Place) -> Outcome {
    let generation = place.generation;
    let (k, n) = match shared.order.read() {
        Ok(order) => (order.position(place.image), order.dataset_len()),
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
            load_one(shared, scratch, sample, index, place)
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

/// Where a claimed image goes: its batch's slot in the prefetch window,
/// the epoch run and batch that slot must hold, the image's place in the
/// batch and its rank-local number.
#[derive(Debug, Clone, Copy)]
struct Place {
    at: usize,
    generation: u64,
    batch: usize,
    off: usize,
    image: usize,
}

/// The slot of `place`'s batch, locked, if it still holds that batch of
/// that epoch run: a slot that moved on (the epoch abandoned) takes
/// nothing.
fn lock_slot(shared: &Shared, place: Place) -> Option<MutexGuard<'_, Slot>> {
    let slot = shared.slots[place.at]
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    (slot.generation == place.generation && slot.batch == place.batch).then_some(slot)
}

/// Records the label, sample and epoch position of the image at `place`.
fn label_slot(shared: &Shared, buffers: &mut Buffers, place: Place, label: i64, sample: usize) {
    buffers.labels[place.off] = label;
    buffers.samples[place.off] = sample;
    if let Ok(order) = shared.order.read() {
        buffers.positions[place.off] = order.position(place.image);
    }
}

/// Reads, decodes and augments dataset sample `sample` as pipeline image
/// `index`: straight into its place in the batch buffer, or with
/// per-image buffers into the scratch's output buffer, which `process`
/// then swaps in. Returns its label.
fn load_one(
    shared: &Shared,
    scratch: &mut Scratch,
    sample: usize,
    index: u64,
    place: Place,
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
    let pipeline = &shared.pipeline;
    let steering = c.steering();
    let mut seek = if steering.steers() {
        shared.seek.take(sample)
    } else {
        None
    };
    let placed = decode_placed(
        pipeline,
        &steering,
        &scratch.file,
        index,
        seek.as_mut(),
        &mut scratch.decoded,
    );
    if let Some(seek) = seek {
        shared.seek.put(sample, seek);
    }
    let placed = placed.map_err(|e| e.named(&name()))?;
    if placed.scaled {
        shared
            .counters
            .scaled_decodes
            .fetch_add(1, Ordering::Relaxed);
    }
    let decoded_pixels = scratch.decoded.width() * scratch.decoded.height();
    shared
        .counters
        .decoded_pixels
        .fetch_add(decoded_pixels as u64, Ordering::Relaxed);
    let t2 = Instant::now();
    Counters::add(&shared.counters.decode, t2 - t1);
    let label = shared.dataset.label(sample).ok_or_else(|| Error::Setting {
        setting: "sample index",
        value: sample.to_string(),
        expected: "an index below the dataset's length",
    })?;
    let per = c.per_image();
    if c.per_image_buffers {
        let target = match &c.output {
            Output::Tensor(normalisation) => {
                scratch.tensor.resize(per, 0.0);
                Target::Tensor(normalisation, &mut scratch.tensor[..per])
            }
            Output::Pixels => {
                scratch.pixels.resize(per, 0);
                Target::Pixels(&mut scratch.pixels[..per])
            }
        };
        augment_placed(pipeline, &scratch.decoded, &placed, target)
            .map_err(|e| e.named(&name()))?;
    } else {
        // In place, under the slot's lock: the other threads wait for it
        // only while this image is sampled (about a tenth of its time),
        // and no copy of the image from a scratch buffer is made.
        if let Some(mut slot) = lock_slot(shared, place) {
            let buffers = &mut slot.buffers;
            let range = place.off * per..(place.off + 1) * per;
            let target = match &c.output {
                Output::Tensor(normalisation) => buffers
                    .tensor
                    .get_mut(range)
                    .map(|out| Target::Tensor(normalisation, out)),
                Output::Pixels => buffers.pixels.get_mut(range).map(Target::Pixels),
            };
            if let Some(target) = target {
                augment_placed(pipeline, &scratch.decoded, &placed, target)
                    .map_err(|e| e.named(&name()))?;
                label_slot(shared, buffers, place, label, sample);
            }
        }
    }
    Counters::add(&shared.counters.augment, t2.elapsed());
    Ok(label)
}
