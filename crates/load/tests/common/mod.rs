//! Fixture builders shared by the loader's tests: every image is made here
//! with an encoder, into memory or a temporary folder.
#![allow(dead_code)]

use std::path::Path;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;
pub type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// A smooth RGB test picture: (8x, 10y, 128 on the left half, 32 on the right),
/// values clamped to 255.
pub fn gradient(w: usize, h: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            out.push((x * 8).min(255) as u8);
            out.push((y * 10).min(255) as u8);
            out.push(if x < w / 2 { 128 } else { 32 });
        }
    }
    out
}

/// A picture whose top-left quadrant is red and the rest dark blue: where
/// the red lands tells the orientation.
pub fn quadrant(w: usize, h: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            if x < w / 2 && y < h / 2 {
                out.extend_from_slice(&[240, 16, 16]);
            } else {
                out.extend_from_slice(&[16, 16, 120]);
            }
        }
    }
    out
}

pub use load::decode::tests_support::exif_orientation;

/// JPEG options for [`jpeg`].
#[derive(Clone, Copy)]
pub struct Jpeg {
    pub quality: u8,
    pub sampling: jpeg_encoder::SamplingFactor,
    pub progressive: bool,
    pub color: jpeg_encoder::ColorType,
    pub orientation: Option<u16>,
}

impl Default for Jpeg {
    fn default() -> Self {
        Jpeg {
            quality: 95,
            sampling: jpeg_encoder::SamplingFactor::R_4_2_0,
            progressive: false,
            color: jpeg_encoder::ColorType::Rgb,
            orientation: None,
        }
    }
}

pub fn jpeg(data: &[u8], w: usize, h: usize, options: Jpeg) -> Res<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, options.quality);
    encoder.set_sampling_factor(options.sampling);
    encoder.set_progressive(options.progressive);
    if let Some(o) = options.orientation {
        encoder.add_exif_metadata(&exif_orientation(o))?;
    }
    encoder.encode(data, w as u16, h as u16, options.color)?;
    Ok(out)
}

/// A PNG of `data` (`color`, `depth`, samples big-endian at 16 bits), with
/// an optional palette, tRNS and eXIf orientation.
pub fn png(
    data: &[u8],
    w: usize,
    h: usize,
    color: png::ColorType,
    depth: png::BitDepth,
    palette: Option<(&[u8], Option<&[u8]>)>,
    orientation: Option<u16>,
) -> Res<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w as u32, h as u32);
        encoder.set_color(color);
        encoder.set_depth(depth);
        if let Some((p, trns)) = palette {
            encoder.set_palette(p.to_vec());
            if let Some(t) = trns {
                encoder.set_trns(t.to_vec());
            }
        }
        let mut writer = encoder.write_header()?;
        if let Some(o) = orientation {
            writer.write_chunk(png::chunk::ChunkType(*b"eXIf"), &exif_orientation(o))?;
        }
        writer.write_image_data(data)?;
    }
    Ok(out)
}

pub fn png_rgb(data: &[u8], w: usize, h: usize) -> Res<Vec<u8>> {
    png(
        data,
        w,
        h,
        png::ColorType::Rgb,
        png::BitDepth::Eight,
        None,
        None,
    )
}

/// A BMP through `image`'s encoder.
pub fn bmp(data: &[u8], w: usize, h: usize, color: image::ExtendedColorType) -> Res<Vec<u8>> {
    let mut out = Vec::new();
    image::codecs::bmp::BmpEncoder::new(&mut out).encode(data, w as u32, h as u32, color)?;
    Ok(out)
}

/// A lossless WebP through `image`'s encoder.
pub fn webp_lossless(
    data: &[u8],
    w: usize,
    h: usize,
    color: image::ExtendedColorType,
) -> Res<Vec<u8>> {
    let mut out = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut out)
        .encode(data, w as u32, h as u32, color)?;
    Ok(out)
}

/// Mean and largest absolute difference of two equally long byte slices.
pub fn difference(a: &[u8], b: &[u8]) -> (f64, u8) {
    assert_eq!(a.len(), b.len(), "lengths differ");
    let mut sum = 0u64;
    let mut max = 0u8;
    for (&x, &y) in a.iter().zip(b) {
        let d = x.abs_diff(y);
        sum += u64::from(d);
        max = max.max(d);
    }
    (sum as f64 / a.len().max(1) as f64, max)
}

pub fn write(path: &Path, bytes: &[u8]) -> Res<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, bytes)?;
    Ok(())
}

/// A TIFF through `image`'s encoder (uncompressed, one strip).
pub fn tiff(data: &[u8], w: usize, h: usize, color: image::ExtendedColorType) -> Res<Vec<u8>> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::ImageEncoder::write_image(
        image::codecs::tiff::TiffEncoder::new(&mut out),
        data,
        w as u32,
        h as u32,
        color,
    )?;
    Ok(out.into_inner())
}

/// A little-endian, uncompressed, 8-bit RGB TIFF written by hand, with the
/// Orientation tag `orientation` (which `image`'s encoder does not write).
pub fn tiff_oriented(rgb: &[u8], w: usize, h: usize, orientation: u16) -> Vec<u8> {
    // Header, then the IFD at 8: 11 entries of 12 bytes between a count and
    // the next-IFD offset; BitsPerSample's three values and the pixels follow.
    let entries: u16 = 11;
    let ifd_len = 2 + 12 * entries as usize + 4;
    let bits_at = (8 + ifd_len) as u32;
    let pixels_at = bits_at + 6;
    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&8u32.to_le_bytes());
    out.extend_from_slice(&entries.to_le_bytes());
    let mut entry = |tag: u16, kind: u16, count: u32, value: u32| {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&value.to_le_bytes());
    };
    let (short, long) = (3, 4);
    entry(256, long, 1, w as u32); // ImageWidth
    entry(257, long, 1, h as u32); // ImageLength
    entry(258, short, 3, bits_at); // BitsPerSample: 8, 8, 8 at bits_at
    entry(259, short, 1, 1); // Compression: none
    entry(262, short, 1, 2); // PhotometricInterpretation: RGB
    entry(273, long, 1, pixels_at); // StripOffsets
    entry(274, short, 1, u32::from(orientation)); // Orientation
    entry(277, short, 1, 3); // SamplesPerPixel
    entry(278, long, 1, h as u32); // RowsPerStrip
    entry(279, long, 1, (w * h * 3) as u32); // StripByteCounts
    entry(284, short, 1, 1); // PlanarConfiguration: chunky
    out.extend_from_slice(&0u32.to_le_bytes());
    for _ in 0..3 {
        out.extend_from_slice(&8u16.to_le_bytes());
    }
    out.extend_from_slice(rgb);
    out
}

/// A Netpbm file through `image`'s encoder: `subtype` picks PBM, PGM, PPM
/// or PAM.
pub fn pnm(
    data: &[u8],
    w: usize,
    h: usize,
    color: image::ExtendedColorType,
    subtype: image::codecs::pnm::PnmSubtype,
) -> Res<Vec<u8>> {
    let mut out = Vec::new();
    image::codecs::pnm::PnmEncoder::new(&mut out)
        .with_subtype(subtype)
        .encode(data, w as u32, h as u32, color)?;
    Ok(out)
}
