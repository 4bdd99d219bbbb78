//! The threads `Pipeline.apply_batch` runs on: one rayon pool per process.
//!
//! A forked child (a DataLoader worker, a multiprocessing worker) inherits
//! the parent's pool object but none of its threads, so a pool is tagged
//! with the process that built it and rebuilt on first use in another
//! process; the stale one is forgotten, never joined. The size is
//! `set_num_threads(n)` if called in this process, else the environment's
//! `AUGMENT_NUM_THREADS`, else one thread per core, so that N forked
//! workers can each be held to a few threads instead of N times all cores.

use pyo3::PyResult;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use rayon::{ThreadPool, ThreadPoolBuilder};
use std::sync::{Arc, Mutex, PoisonError};

struct State {
    /// The pool and the process id that built it.
    pool: Option<(u32, Arc<ThreadPool>)>,
    /// Set by `set_num_threads` (inherited across fork, as the caller's
    /// intent for the process tree).
    threads: Option<usize>,
}

static STATE: Mutex<State> = Mutex::new(State {
    pool: None,
    threads: None,
});

/// Threads a new pool gets.
fn wanted(state: &State) -> usize {
    state
        .threads
        .or_else(|| {
            std::env::var("AUGMENT_NUM_THREADS")
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .filter(|&n| n > 0)
        })
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Sets the size of this process's pool (rebuilt at its next use).
pub fn set_threads(n: usize) -> PyResult<()> {
    if n == 0 {
        return Err(PyValueError::new_err(
            "set_num_threads: n = 0 is invalid: expected at least 1 thread",
        ));
    }
    let mut state = STATE.lock().unwrap_or_else(PoisonError::into_inner);
    state.threads = Some(n);
    retire(state.pool.take());
    Ok(())
}

/// The size of this process's pool.
pub fn threads() -> usize {
    let state = STATE.lock().unwrap_or_else(PoisonError::into_inner);
    match &state.pool {
        Some((pid, pool)) if *pid == std::process::id() => pool.current_num_threads(),
        _ => wanted(&state),
    }
}

/// This process's pool, built on first use.
pub fn get() -> PyResult<Arc<ThreadPool>> {
    let mut state = STATE.lock().unwrap_or_else(PoisonError::into_inner);
    let pid = std::process::id();
    if let Some((_, pool)) = state.pool.as_ref().filter(|(owner, _)| *owner == pid) {
        return Ok(Arc::clone(pool));
    }
    retire(state.pool.take());
    let pool = ThreadPoolBuilder::new()
        .num_threads(wanted(&state))
        .thread_name(|i| format!("augment-{i}"))
        .build()
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start threads: {e}")))?;
    let pool = Arc::new(pool);
    state.pool = Some((pid, Arc::clone(&pool)));
    Ok(pool)
}

/// Lets go of a pool. One built in this process is dropped (its threads
/// finish their work and exit). One built before a fork is leaked: its
/// threads do not exist here, and tearing it down waits on them forever
/// (seen in a forked DataLoader-style worker calling `set_num_threads`).
fn retire(pool: Option<(u32, Arc<ThreadPool>)>) {
    match pool {
        Some((pid, pool)) if pid == std::process::id() => drop(pool),
        Some(stale) => std::mem::forget(stale),
        None => {}
    }
}
