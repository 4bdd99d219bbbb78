//! `augment.Loader`: the `load` crate's loader as a Python iterable of
//! `(images, labels)` batches.
//!
//! `load::Loader::iter` borrows the loader for an epoch, which a Python
//! iterator cannot hold; so each epoch runs on a driver thread that owns
//! the loader, iterates it and hands batches over a rendezvous channel,
//! then gives the loader back. Starting another epoch, or exhausting the
//! iterator, takes it back: an unfinished epoch is abandoned by dropping
//! its channel, as dropping `Batches` abandons it in Rust, and its
//! iterator raises from then on instead of ending the epoch early. The
//! batches are the Rust loader's, value for value. Each batch's images
//! reach Python as a NumPy array over the batch's own buffer, which the
//! workers augmented them into ([`images_array`]): no copy, and the buffer
//! goes back to the loader's pool once Python lets go of the array; for
//! `output="torch"`, `torch.from_numpy` wraps it, again without a copy.

use crate::array::Count;
use crate::error;
use crate::lent::images_array;
use crate::pipeline::{Pipeline, normalisation, seed};
use crate::source::{SourceSpec, source_spec};
use load::{Batch, Dataset, Output, Policy};
use numpy::PyArray1;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

/// What the loader was built from: what it pickles as.
struct Config {
    /// The `source` argument as given (a path, or a sequence of samples).
    source: Py<PyAny>,
    /// How it reads in messages.
    source_text: String,
    pipeline: Pipeline,
    batch_size: usize,
    shuffle: bool,
    seed: Option<u64>,
    rank: usize,
    world_size: usize,
    threads: Option<usize>,
    prefetch: usize,
    drop_last: bool,
    output: String,
    layout: String,
    mean: Py<PyAny>,
    std: Py<PyAny>,
    orientation: bool,
    policy: String,
    region_decoding: bool,
    scaled_decoding: bool,
    seek_index_bytes: usize,
}

type Received = Option<load::Result<Batch>>;

/// Where an epoch's batches come from, as its iterator sees it.
enum Channel {
    Open(Receiver<load::Result<Batch>>),
    /// Every batch was delivered.
    Ended,
    /// A later `iter()` or `set_epoch` took the loader back mid-epoch.
    Abandoned,
}

type SharedChannel = Arc<Mutex<Channel>>;

/// One epoch's driver and the channel its batches come through.
struct Running {
    id: u64,
    handle: JoinHandle<load::Loader>,
    batches: SharedChannel,
}

struct Inner {
    /// The loader while no epoch runs.
    idle: Option<load::Loader>,
    running: Option<Running>,
    epoch: u64,
    runs: u64,
}

impl Inner {
    /// Takes the loader back from a running epoch, abandoning what is left of it.
    fn reclaim(&mut self) -> PyResult<()> {
        if let Some(run) = self.running.take() {
            // Dropping the receiver makes the driver's next send fail, so
            // it stops and returns the loader.
            let mut channel = run.batches.lock().unwrap_or_else(PoisonError::into_inner);
            if let Channel::Open(_) = *channel {
                *channel = Channel::Abandoned;
            }
            drop(channel);
            let loader = run.handle.join().map_err(|_| {
                PyRuntimeError::new_err("the loader's driver thread panicked".to_string())
            })?;
            self.idle = Some(loader);
        }
        Ok(())
    }
}

/// Loads, augments and batches a dataset on worker threads.
#[pyclass(module = "augment", name = "Loader", frozen)]
pub struct Loader {
    config: Config,
    inner: Arc<Mutex<Inner>>,
    classes: Vec<String>,
    len: usize,
    images_per_epoch: usize,
    threads: usize,
    /// The process whose threads serve this loader.
    pid: u32,
    /// Its report and stats, readable while an epoch runs.
    monitor: load::Monitor,
}

/// The batches of one epoch.
#[pyclass(module = "augment", name = "LoaderIter", frozen)]
pub struct LoaderIter {
    id: u64,
    inner: Arc<Mutex<Inner>>,
    batches: SharedChannel,
    torch: bool,
}

fn lock(inner: &Mutex<Inner>) -> std::sync::MutexGuard<'_, Inner> {
    inner.lock().unwrap_or_else(PoisonError::into_inner)
}

fn drive(mut loader: load::Loader, tx: SyncSender<load::Result<Batch>>) -> load::Loader {
    for batch in loader.iter() {
        if tx.send(batch).is_err() {
            break;
        }
    }
    loader
}

/// A batch as `(images, labels)` NumPy arrays (or torch tensors); the
/// images array is the batch's own buffer ([`images_array`]).
fn batch_to_python(py: Python<'_>, batch: Batch, torch: bool) -> PyResult<Bound<'_, PyTuple>> {
    let labels = PyArray1::from_slice(py, batch.labels()).into_any();
    let images = images_array(py, batch)?;
    if torch {
        let torch = py.import("torch")?;
        let images = torch.call_method1("from_numpy", (images,))?;
        let labels = torch.call_method1("from_numpy", (labels,))?;
        return PyTuple::new(py, [images, labels]);
    }
    PyTuple::new(py, [images, labels])
}

#[pymethods]
impl Loader {
    #[new]
    #[pyo3(signature = (source, pipeline, batch_size = Count(64), shuffle = true, seed = None,
                        rank = Count(0), world_size = Count(1), threads = None, prefetch = Count(2),
                        drop_last = false, output = "numpy", layout = "nchw_f32",
                        mean = None, std = None, orientation = true, policy = "skip",
                        region_decoding = true, scaled_decoding = true,
                        seek_index_bytes = Count(load::DEFAULT_SEEK_INDEX_BYTES)))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        pipeline: &Bound<'_, Pipeline>,
        batch_size: Count,
        shuffle: bool,
        seed: Option<i128>,
        rank: Count,
        world_size: Count,
        threads: Option<Count>,
        prefetch: Count,
        drop_last: bool,
        output: &str,
        layout: &str,
        mean: Option<Py<PyAny>>,
        std: Option<Py<PyAny>>,
        orientation: bool,
        policy: &str,
        region_decoding: bool,
        scaled_decoding: bool,
        seek_index_bytes: Count,
    ) -> PyResult<Self> {
        let seek_index_bytes = seek_index_bytes.0;
        let seed = seed.map(self::seed).transpose()?;
        let (batch_size, rank, world_size, prefetch) =
            (batch_size.0, rank.0, world_size.0, prefetch.0);
        let threads = threads.map(|t| t.0);
        let torch = match output {
            "numpy" => false,
            "torch" => true,
            _ => {
                return Err(PyValueError::new_err(format!(
                    "output = {output:?} is invalid: expected \"numpy\" or \"torch\""
                )));
            }
        };
        if torch {
            py.import("torch").map_err(|e| {
                pyo3::exceptions::PyImportError::new_err(format!(
                    "output=\"torch\" needs PyTorch: {e}"
                ))
            })?;
        }
        let imagenet =
            || -> PyResult<Py<PyAny>> { Ok(PyTuple::new(py, [0.0f32; 0])?.into_any().unbind()) };
        let (mean, std) = (
            mean.map_or_else(imagenet, Ok)?,
            std.map_or_else(imagenet, Ok)?,
        );
        let out = match layout {
            "nchw_f32" => {
                let (m, s) = (mean.bind(py), std.bind(py));
                let given = |o: &Bound<'_, PyAny>| o.len().map_or(true, |n| n > 0);
                match (given(m), given(s)) {
                    (false, false) => Output::Tensor(augment::Normalisation::IMAGENET),
                    (true, true) => Output::Tensor(normalisation(m, s)?),
                    _ => {
                        return Err(PyValueError::new_err(
                            "mean and std: give both or neither (neither: ImageNet's)",
                        ));
                    }
                }
            }
            "nhwc_u8" => Output::Pixels,
            _ => {
                return Err(PyValueError::new_err(format!(
                    "layout = {layout:?} is invalid: expected \"nchw_f32\" or \"nhwc_u8\""
                )));
            }
        };
        let policy_value = match policy {
            "skip" => Policy::Skip,
            "fail" => Policy::Fail,
            _ => {
                return Err(PyValueError::new_err(format!(
                    "policy = {policy:?} is invalid: expected \"skip\" or \"fail\""
                )));
            }
        };
        let rust_pipeline = pipeline.get().inner.clone();
        let (spec, source_text) = source_spec(source)?;
        let loader = py
            .detach(move || {
                let dataset = match spec {
                    SourceSpec::Path(path) => Dataset::open(&path)?,
                    SourceSpec::Samples(samples) => Dataset::from_samples("samples", samples)?,
                    SourceSpec::Shards(paths) => Dataset::shard_files(paths)?,
                };
                let mut b = load::Loader::builder(dataset, rust_pipeline)
                    .batch_size(batch_size)
                    .shuffle(shuffle)
                    .distributed(rank, world_size)
                    .prefetch(prefetch)
                    .drop_last_batch(drop_last)
                    .output(out)
                    .policy(policy_value)
                    .orientation(orientation)
                    .region_decoding(region_decoding)
                    .scaled_decoding(scaled_decoding)
                    .seek_index_bytes(seek_index_bytes);
                if let Some(s) = seed {
                    b = b.seed(s);
                }
                if let Some(t) = threads {
                    b = b.threads(t);
                }
                b.build()
            })
            .map_err(error::load)?;
        let config = Config {
            source: source.clone().unbind(),
            source_text,
            pipeline: pipeline.get().clone(),
            batch_size,
            shuffle,
            seed,
            rank,
            world_size,
            threads,
            prefetch,
            drop_last,
            output: output.to_string(),
            layout: layout.to_string(),
            mean,
            std,
            orientation,
            policy: policy.to_string(),
            region_decoding,
            scaled_decoding,
            seek_index_bytes,
        };
        Ok(Loader {
            classes: loader.classes().to_vec(),
            len: loader.len(),
            images_per_epoch: loader.images_per_epoch(),
            threads: loader.threads(),
            pid: std::process::id(),
            monitor: loader.monitor(),
            config,
            inner: Arc::new(Mutex::new(Inner {
                idle: Some(loader),
                running: None,
                epoch: 0,
                runs: 0,
            })),
        })
    }

    /// Batches per epoch.
    fn __len__(&self) -> usize {
        self.len
    }

    /// Images this rank loads per epoch.
    #[getter]
    fn images_per_epoch(&self) -> usize {
        self.images_per_epoch
    }

    /// The class names (folder datasets, list files labelled by name),
    /// index = label.
    #[getter]
    fn classes(&self) -> Vec<String> {
        self.classes.clone()
    }

    /// Worker threads.
    #[getter]
    fn threads(&self) -> usize {
        self.threads
    }

    /// The epoch the next iteration runs.
    #[getter]
    fn epoch(&self) -> u64 {
        lock(&self.inner).epoch
    }

    /// Sets the epoch of the next iteration (PyTorch's `set_epoch`).
    fn set_epoch(&self, py: Python<'_>, epoch: Count) -> PyResult<()> {
        let epoch = epoch.0 as u64;
        py.detach(|| {
            let mut inner = lock(&self.inner);
            inner.reclaim()?;
            if let Some(loader) = inner.idle.as_mut() {
                loader.set_epoch(epoch).map_err(error::load)?;
            }
            inner.epoch = epoch;
            Ok(())
        })
    }

    /// Starts the current epoch (abandoning any unfinished one).
    fn __iter__(&self, py: Python<'_>) -> PyResult<LoaderIter> {
        if self.pid != std::process::id() {
            // A forked child has the loader's memory but none of its
            // threads: iterating would wait for them forever.
            return Err(PyRuntimeError::new_err(
                "this Loader was built in another process and forked into this one, \
                 without its worker threads: build it in this process, or pass it \
                 pickled (spawn, forkserver)",
            ));
        }
        let (id, batches) = py.detach(|| -> PyResult<_> {
            let mut inner = lock(&self.inner);
            inner.reclaim()?;
            let Some(loader) = inner.idle.take() else {
                return Err(PyRuntimeError::new_err("the loader is not available"));
            };
            let (tx, rx) = sync_channel(0);
            let handle = std::thread::Builder::new()
                .name("augment-loader".into())
                .spawn(move || drive(loader, tx))
                .map_err(|e| PyRuntimeError::new_err(format!("cannot start a thread: {e}")))?;
            inner.runs += 1;
            let id = inner.runs;
            let batches = Arc::new(Mutex::new(Channel::Open(rx)));
            inner.running = Some(Running {
                id,
                handle,
                batches: Arc::clone(&batches),
            });
            Ok((id, batches))
        })?;
        Ok(LoaderIter {
            id,
            inner: Arc::clone(&self.inner),
            batches,
            torch: self.config.output == "torch",
        })
    }

    /// The samples that failed and were replaced (skip policy): a dict
    /// with `skipped` (a list of dicts) and `replaced` (a count).
    fn report<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let report = self.monitor.report();
        let skipped = PyList::empty(py);
        for s in &report.skipped {
            let d = PyDict::new(py);
            d.set_item("index", s.index)?;
            d.set_item(
                "path",
                s.sample
                    .as_ref()
                    .map(|n| n.path.to_string_lossy().into_owned()),
            )?;
            d.set_item("member", s.sample.as_ref().and_then(|n| n.member.clone()))?;
            d.set_item("epoch", s.epoch)?;
            d.set_item("position", s.position)?;
            d.set_item("error", s.error.to_string())?;
            skipped.append(d)?;
        }
        let d = PyDict::new(py);
        d.set_item("skipped", skipped)?;
        d.set_item("replaced", report.replaced)?;
        Ok(d)
    }

    /// What the loader did over its lifetime: images delivered, failed
    /// attempts, thread seconds per stage (read, decode, augment, batch),
    /// pixels the decoders delivered and images decoded at a reduced scale
    /// (what region and scaled decoding saved).
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let stats = self.monitor.stats();
        let d = PyDict::new(py);
        d.set_item("images", stats.images)?;
        d.set_item("failures", stats.failures)?;
        d.set_item("read_seconds", stats.read.as_secs_f64())?;
        d.set_item("decode_seconds", stats.decode.as_secs_f64())?;
        d.set_item("augment_seconds", stats.augment.as_secs_f64())?;
        d.set_item("batch_seconds", stats.batch.as_secs_f64())?;
        d.set_item("decoded_pixels", stats.decoded_pixels)?;
        d.set_item("scaled_decodes", stats.scaled_decodes)?;
        d.set_item("seek_index_bytes", stats.seek_index_bytes)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "augment.Loader({:?}, batch_size={}, threads={}, batches={}, classes={})",
            self.config.source_text,
            self.config.batch_size,
            self.threads,
            self.len,
            self.classes.len()
        )
    }

    /// Pickles as its settings (and epoch); the copy re-indexes the source.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let c = &slf.get().config;
        let kwargs = PyDict::new(py);
        kwargs.set_item("source", c.source.bind(py))?;
        kwargs.set_item("pipeline", Py::new(py, c.pipeline.clone())?)?;
        kwargs.set_item("batch_size", c.batch_size)?;
        kwargs.set_item("shuffle", c.shuffle)?;
        kwargs.set_item("seed", c.seed)?;
        kwargs.set_item("rank", c.rank)?;
        kwargs.set_item("world_size", c.world_size)?;
        kwargs.set_item("threads", c.threads)?;
        kwargs.set_item("prefetch", c.prefetch)?;
        kwargs.set_item("drop_last", c.drop_last)?;
        kwargs.set_item("output", &c.output)?;
        kwargs.set_item("layout", &c.layout)?;
        kwargs.set_item("mean", c.mean.bind(py))?;
        kwargs.set_item("std", c.std.bind(py))?;
        kwargs.set_item("orientation", c.orientation)?;
        kwargs.set_item("policy", &c.policy)?;
        kwargs.set_item("region_decoding", c.region_decoding)?;
        kwargs.set_item("scaled_decoding", c.scaled_decoding)?;
        kwargs.set_item("seek_index_bytes", c.seek_index_bytes)?;
        kwargs.set_item("epoch", lock(&slf.get().inner).epoch)?;
        let rebuild = py.import("augment")?.getattr("_rebuild_loader")?;
        PyTuple::new(
            py,
            [rebuild, PyTuple::new(py, [kwargs.into_any()])?.into_any()],
        )
    }
}

#[pymethods]
impl LoaderIter {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let received: PyResult<Received> = py.detach(|| {
            let mut channel = self.batches.lock().unwrap_or_else(PoisonError::into_inner);
            match &*channel {
                Channel::Open(rx) => match rx.recv() {
                    Ok(batch) => Ok(Some(batch)),
                    Err(_) => {
                        *channel = Channel::Ended;
                        Ok(None)
                    }
                },
                Channel::Ended => Ok(None),
                // Silently ending would cut the caller's epoch short
                // (`zip(loader, loader)` would give nothing).
                Channel::Abandoned => Err(PyRuntimeError::new_err(
                    "this iterator's epoch was abandoned: a later iter() of its Loader (or \
                     set_epoch) took the loader over, and a Loader runs one epoch at a time; \
                     build a second Loader to read two streams at once",
                )),
            }
        });
        match received? {
            Some(Ok(batch)) => batch_to_python(py, batch, self.torch).map(Some),
            Some(Err(e)) => Err(error::load(e)),
            None => {
                // The epoch is over (or was abandoned): give the loader back.
                py.detach(|| {
                    let mut inner = lock(&self.inner);
                    if inner.running.as_ref().is_some_and(|r| r.id == self.id) {
                        inner.reclaim()
                    } else {
                        Ok(())
                    }
                })?;
                Ok(None)
            }
        }
    }
}
