//! The loader's [`SeekIndex`] per sample, kept from one epoch to the next
//! within a memory budget (see [`crate::LoaderBuilder::seek_index_bytes`]).

use crate::decode::SeekIndex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// Locks that workers spread over, so that two rarely wait on each other.
const SHARDS: usize = 64;

/// Each sample's index, taken by the worker decoding it and put back after.
#[derive(Debug)]
pub(crate) struct SeekIndexes {
    shards: Vec<Mutex<HashMap<usize, SeekIndex>>>,
    /// Bytes of the indexes kept ([`SeekIndexes::cost`] each).
    held: AtomicUsize,
    limit: usize,
}

/// What keeping one more index costs beyond its own heap bytes: the
/// map's slot (key and index) and its control byte; the map's spare
/// capacity is not counted.
const ENTRY_BYTES: usize = size_of::<(usize, SeekIndex)>() + 1;

impl SeekIndexes {
    /// The bytes `index` counts against the budget while kept.
    pub fn cost(index: &SeekIndex) -> usize {
        index.heap_bytes() + ENTRY_BYTES
    }

    pub fn new(limit: usize) -> SeekIndexes {
        SeekIndexes {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            held: AtomicUsize::new(0),
            limit,
        }
    }

    fn shard(&self, sample: usize) -> std::sync::MutexGuard<'_, HashMap<usize, SeekIndex>> {
        self.shards[sample % SHARDS]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The sample's index, or an empty one to fill while the budget has
    /// room; `None` otherwise (so a full budget costs no allocation per
    /// image).
    pub fn take(&self, sample: usize) -> Option<SeekIndex> {
        if self.limit == 0 {
            return None;
        }
        match self.shard(sample).remove(&sample) {
            Some(index) => {
                self.held.fetch_sub(Self::cost(&index), Ordering::Relaxed);
                Some(index)
            }
            None => (self.held() < self.limit).then(SeekIndex::new),
        }
    }

    /// Keeps the sample's index if it holds anything and the budget has
    /// room for it; else drops it.
    pub fn put(&self, sample: usize, index: SeekIndex) {
        if index.heap_bytes() == 0 {
            return;
        }
        let bytes = Self::cost(&index);
        let fits = self
            .held
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |held| {
                held.checked_add(bytes).filter(|&total| total <= self.limit)
            })
            .is_ok();
        if fits && let Some(old) = self.shard(sample).insert(sample, index) {
            // The same sample twice in one epoch (a padded shard).
            self.held.fetch_sub(Self::cost(&old), Ordering::Relaxed);
        }
    }

    /// Bytes of the indexes kept, their map slots included.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{DecodeBuffer, Request, decode_with_index};

    fn index_of_a_jpeg() -> SeekIndex {
        let mut jpeg = Vec::new();
        let pixels: Vec<u8> = (0..64 * 64 * 3).map(|i| (i % 251) as u8).collect();
        let encoded = jpeg_encoder::Encoder::new(&mut jpeg, 90).encode(
            &pixels,
            64,
            64,
            jpeg_encoder::ColorType::Rgb,
        );
        assert!(encoded.is_ok());
        let mut index = SeekIndex::new();
        let decoded =
            decode_with_index(&jpeg, &Request::new(), &mut DecodeBuffer::new(), &mut index);
        assert!(decoded.is_ok());
        // The encoder's default 4:4:4: MCU rows of 8 pixels.
        assert_eq!(index.rows(), 8);
        index
    }

    #[test]
    fn indexes_are_kept_within_the_budget_and_accounted_when_taken() {
        let index = index_of_a_jpeg();
        let one = SeekIndexes::cost(&index);
        assert_eq!(
            one,
            8 * 8 + ENTRY_BYTES,
            "eight rows of 8 bytes and a map slot"
        );
        let kept = SeekIndexes::new(2 * one);
        for sample in 0..3 {
            kept.put(sample, index.clone());
        }
        assert_eq!(kept.held(), 2 * one, "the third is over the budget");
        assert!(kept.take(2).is_none(), "not kept, and the budget is full");
        assert_eq!(kept.take(1).map(|i| i.rows()), Some(8));
        assert_eq!(kept.held(), one);
        assert_eq!(kept.take(3).map(|i| i.rows()), Some(0), "room again");
        // Putting the same sample twice replaces, not adds.
        kept.put(0, index.clone());
        kept.put(5, index.clone());
        assert_eq!(kept.held(), 2 * one);
        // Nothing is kept without a budget, nor an empty index.
        let none = SeekIndexes::new(0);
        assert!(none.take(0).is_none());
        kept.put(9, SeekIndex::new());
        assert_eq!(kept.held(), 2 * one);
    }
}
