//! Image augmentation (work in progress).
