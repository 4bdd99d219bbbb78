//! Kernel weights (what a filter multiplies by), as opposed to the row
//! routines in `kernels` (how it multiplies): 1-D kernels and the Gaussian
//! in `one_d`, sparse 2-D kernels (motion, directional) in `two_d`.

mod one_d;
mod two_d;

pub use one_d::{KERNEL_CACHE_CAPACITY, Kernel, MAX_RADIUS, default_radius, gaussian_kernel};
pub(crate) use one_d::{check_weights, gaussian_radius};
pub use two_d::{Kernel2d, MAX_TAPS, Tap, directional_kernel, motion_kernel};
