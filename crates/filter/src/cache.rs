//! The crate's bounded caches (Gaussian kernels, FFT plans) share one
//! locking rule and one eviction rule.

use std::sync::{Mutex, MutexGuard};

/// Locks a cache, ignoring poisoning (a panic elsewhere cannot leave a
/// half-written entry: entries are pushed whole).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// The value for `key` in `cache` (most recently used last, at most
/// `capacity` entries): a hit moves to the end; a miss is made by `make`
/// (under the lock) and evicts the least recently used entry if full.
pub(crate) fn recent<K: PartialEq, V: Clone>(
    cache: &Mutex<Vec<(K, V)>>,
    capacity: usize,
    key: K,
    make: impl FnOnce() -> V,
) -> V {
    let mut cache = lock(cache);
    if let Some(pos) = cache.iter().position(|(k, _)| *k == key) {
        let entry = cache.remove(pos);
        let value = entry.1.clone();
        cache.push(entry);
        return value;
    }
    let value = make();
    if cache.len() >= capacity {
        cache.remove(0);
    }
    cache.push((key, value.clone()));
    value
}
