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

/// [`photo_rgb`] as `f32` values in `0..=1` (each byte / 255), the input of
/// the `f32` filter groups.
pub fn photo_rgb_f32(width: u32, height: u32) -> Image<f32> {
    let bytes = photo_rgb(width, height);
    let values = bytes.as_slice().iter().map(|&v| f32::from(v) / 255.0);
    match Image::from_vec(bytes.width(), bytes.height(), 3, values.collect()) {
        Ok(img) => img,
        // Same size as the decoded photo, so it cannot fail.
        Err(_) => std::process::abort(),
    }
}
