//! Resampling through coordinate maps (work in progress).
