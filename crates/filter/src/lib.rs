//! Image filters (work in progress).
