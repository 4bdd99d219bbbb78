//! `cargo xtask`: developer automation (work in progress).
fn main() {}
