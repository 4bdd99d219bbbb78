//! The sampling kernels: the scalar reference (the specification) and the
//! paths that must equal it.

pub(crate) mod scalar;
