//! The crate's bounded caches (Gaussian kernels, FFT plans) share one
//! locking rule.

use std::sync::{Mutex, MutexGuard};

/// Locks a cache, ignoring poisoning (a panic elsewhere cannot leave a
/// half-written entry: entries are pushed whole).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}
