//! Shared inputs for the benches: the bundled photograph at the sizes the
//! issues name, so every group measures ours and the peers on the same
//! pixels, and the peer calls the filter benches share ([`peers`]).

use geom::Image;

pub mod peers;

pub use peers::PADDING;

/// The bundled sample photograph (PNG bytes), committed in `assets/`.
pub const PHOTO_PNG: &[u8] = include_bytes!("../../assets/coffee.png");

/// The bundled photo resized to `width x height`, RGB `u8`.
pub fn photo_rgb(width: u32, height: u32) -> Image<u8> {
    let decoded = image::load_from_memory(PHOTO_PNG)
        .map(|d| d.resize_exact(width, height, image::imageops::FilterType::Triangle))
        .map(|d| d.to_rgb8());
    match decoded.map(Image::try_from) {
        Ok(Ok(img)) => img,
        // The asset is part of the build; failing to decode it is a broken checkout.
        _ => std::process::abort(),
    }
}
