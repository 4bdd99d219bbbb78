//! Files: JPEG through `jpeg-encoder` (portable integer DCT, so the bytes do
//! not depend on the CPU), PNG through `png`.

use super::plan::{Chroma, Format, JpegSpec, PngKind};
use super::render::{Picture, luma, store_oriented, to_u8};
use anyhow::{Context, Result};
use jpeg_encoder::{ChromaSubsamplingMethod, ColorType, Encoder, SamplingFactor};

/// The encoded file for `picture` in `format`, and its stored width and
/// height (swapped from the picture's by a quarter-turn EXIF orientation).
pub fn encode(picture: &Picture, format: Format) -> Result<(Vec<u8>, usize, usize)> {
    match format {
        Format::Jpeg(spec) => jpeg(picture, spec),
        Format::Png(kind) => png(picture, kind).map(|bytes| (bytes, picture.width, picture.height)),
    }
}

/// A TIFF block (the payload of an `Exif\0\0` APP1 segment) holding one IFD
/// with one entry: Orientation (tag 0x0112, SHORT, count 1).
pub fn exif_orientation(orientation: u8, big_endian: bool) -> Vec<u8> {
    let u16b = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u32b = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut out = Vec::with_capacity(26);
    out.extend_from_slice(if big_endian { b"MM" } else { b"II" });
    out.extend_from_slice(&u16b(42));
    out.extend_from_slice(&u32b(8)); // IFD0 right after the header
    out.extend_from_slice(&u16b(1)); // one entry
    out.extend_from_slice(&u16b(0x0112));
    out.extend_from_slice(&u16b(3)); // SHORT
    out.extend_from_slice(&u32b(1));
    // A SHORT sits left-justified in the 4-byte value field.
    out.extend_from_slice(&u16b(u16::from(orientation)));
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&u32b(0)); // no next IFD
    out
}

fn jpeg(picture: &Picture, spec: JpegSpec) -> Result<(Vec<u8>, usize, usize)> {
    let (pixels, color, channels) = if spec.gray {
        (picture.gray8(), ColorType::Luma, 1)
    } else {
        (picture.rgb8(), ColorType::Rgb, 3)
    };
    let (stored, width, height) = store_oriented(
        &pixels,
        picture.width,
        picture.height,
        channels,
        spec.orientation,
    );
    let mut out = Vec::new();
    let mut encoder = Encoder::new(&mut out, spec.quality);
    encoder.set_sampling_factor(match spec.chroma {
        Chroma::S420 => SamplingFactor::F_2_2,
        Chroma::S422 => SamplingFactor::F_2_1,
        Chroma::S444 => SamplingFactor::F_1_1,
    });
    // Box-averaged chroma, as libjpeg (and so most real JPEGs) does.
    encoder.set_chroma_subsampling_method(ChromaSubsamplingMethod::Average);
    encoder.set_progressive(spec.progressive);
    if spec.orientation != 1 {
        encoder.add_exif_metadata(&exif_orientation(spec.orientation, spec.exif_big_endian))?;
    }
    let w = u16::try_from(width).context("JPEG width over 65535")?;
    let h = u16::try_from(height).context("JPEG height over 65535")?;
    encoder.encode(&stored, w, h, color)?;
    Ok((out, width, height))
}

/// The palette: a 6x7x6 colour cube (green gets the extra level, the eye
/// being most sensitive to it), index `(r * 7 + g) * 6 + b`.
const LEVELS: [usize; 3] = [6, 7, 6];

fn palette() -> Vec<u8> {
    let mut out = Vec::with_capacity(252 * 3);
    for r in 0..LEVELS[0] {
        for g in 0..LEVELS[1] {
            for b in 0..LEVELS[2] {
                for (v, levels) in [(r, LEVELS[0]), (g, LEVELS[1]), (b, LEVELS[2])] {
                    out.push(((v * 255 + (levels - 1) / 2) / (levels - 1)) as u8);
                }
            }
        }
    }
    out
}

/// The nearest level index of `v` (0..=255) on `levels` evenly spaced levels.
fn level(v: u8, levels: usize) -> usize {
    (usize::from(v) * (levels - 1) + 127) / 255
}

fn png(picture: &Picture, kind: PngKind) -> Result<Vec<u8>> {
    let (color, depth, data, plte) = match kind {
        PngKind::Rgb8 => (
            png::ColorType::Rgb,
            png::BitDepth::Eight,
            picture.rgb8(),
            None,
        ),
        PngKind::Rgb16 => {
            // PNG stores 16-bit samples big-endian.
            let data = picture
                .rgb16()
                .iter()
                .flat_map(|v| v.to_be_bytes())
                .collect();
            (png::ColorType::Rgb, png::BitDepth::Sixteen, data, None)
        }
        PngKind::Palette => {
            let data = picture
                .rgb8()
                .chunks_exact(3)
                .map(|p| {
                    let r = level(p[0], LEVELS[0]);
                    let g = level(p[1], LEVELS[1]);
                    let b = level(p[2], LEVELS[2]);
                    ((r * LEVELS[1] + g) * LEVELS[2] + b) as u8
                })
                .collect();
            (
                png::ColorType::Indexed,
                png::BitDepth::Eight,
                data,
                Some(palette()),
            )
        }
        PngKind::GrayAlpha => {
            // Opaque centre fading out towards the corners: alpha =
            // 255 * (1.6 - d^2) / 0.8 clamped, d^2 the squared distance from
            // the centre in half-sizes (1 at mid-edges, 2 at corners).
            let (w, h) = (picture.width as f32, picture.height as f32);
            let mut data = Vec::with_capacity(picture.width * picture.height * 2);
            for (i, p) in picture.rgb.chunks_exact(3).enumerate() {
                let (x, y) = ((i % picture.width) as f32, (i / picture.width) as f32);
                let dx = (x + 0.5 - w / 2.0) / (w / 2.0);
                let dy = (y + 0.5 - h / 2.0) / (h / 2.0);
                let alpha = 255.0 * (1.6 - (dx * dx + dy * dy)) / 0.8;
                data.push(to_u8(luma(p[0], p[1], p[2])));
                data.push(to_u8(alpha));
            }
            (
                png::ColorType::GrayscaleAlpha,
                png::BitDepth::Eight,
                data,
                None,
            )
        }
    };
    let mut out = Vec::new();
    let width = u32::try_from(picture.width).context("PNG width over u32")?;
    let height = u32::try_from(picture.height).context("PNG height over u32")?;
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(color);
    encoder.set_depth(depth);
    if let Some(plte) = plte {
        encoder.set_palette(plte);
    }
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&data)?;
    writer.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{DynamicImage, ImageDecoder, metadata::Orientation};
    use std::io::Cursor;

    /// A smooth picture with distinct corners, so an orientation error shows.
    fn gradient(width: usize, height: usize) -> Picture {
        let mut rgb = Vec::with_capacity(width * height * 3);
        for y in 0..height {
            for x in 0..width {
                rgb.push(x as f32 * 255.0 / width as f32);
                rgb.push(y as f32 * 255.0 / height as f32);
                rgb.push(128.0);
            }
        }
        Picture { width, height, rgb }
    }

    fn jpeg_spec(orientation: u8) -> JpegSpec {
        JpegSpec {
            quality: 90,
            chroma: Chroma::S420,
            progressive: false,
            gray: false,
            orientation,
            exif_big_endian: orientation.is_multiple_of(2),
        }
    }

    fn mean_abs_diff(a: &[u8], b: &[u8]) -> f64 {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(&a, &b)| f64::from(a.abs_diff(b)))
            .sum::<f64>()
            / a.len() as f64
    }

    #[test]
    fn every_exif_orientation_decodes_upright_with_the_image_crate() -> Result<()> {
        let picture = gradient(64, 40);
        let upright = picture.rgb8();
        for orientation in 1..=8 {
            let (bytes, w, h) = encode(&picture, Format::Jpeg(jpeg_spec(orientation)))?;
            assert_eq!((w, h), if orientation >= 5 { (40, 64) } else { (64, 40) });
            let mut decoder = image::codecs::jpeg::JpegDecoder::new(Cursor::new(&bytes))?;
            let tag = decoder.orientation()?;
            assert_eq!(Some(tag), Orientation::from_exif(orientation));
            let mut img = DynamicImage::from_decoder(decoder)?;
            assert_eq!((img.width() as usize, img.height() as usize), (w, h));
            img.apply_orientation(tag);
            let shown = img.into_rgb8();
            assert_eq!((shown.width(), shown.height()), (64, 40));
            let err = mean_abs_diff(shown.as_raw(), &upright);
            assert!(err < 2.0, "orientation {orientation}: mean error {err}");
        }
        Ok(())
    }

    #[test]
    fn every_png_kind_round_trips() -> Result<()> {
        let picture = gradient(50, 30);
        for kind in [
            PngKind::Rgb8,
            PngKind::Rgb16,
            PngKind::Palette,
            PngKind::GrayAlpha,
        ] {
            let (bytes, _, _) = encode(&picture, Format::Png(kind))?;
            let img = image::load_from_memory(&bytes)?;
            assert_eq!((img.width(), img.height()), (50, 30));
            match (kind, &img) {
                (PngKind::Rgb8, DynamicImage::ImageRgb8(rgb)) => {
                    assert_eq!(rgb.as_raw(), &picture.rgb8());
                }
                (PngKind::Rgb16, DynamicImage::ImageRgb16(rgb)) => {
                    assert_eq!(rgb.as_raw(), &picture.rgb16());
                }
                (PngKind::Palette, DynamicImage::ImageRgb8(rgb)) => {
                    // The nearest cube colour: within half a level step
                    // (255 / 5 / 2 = 25.5 for red and blue, 21.25 for green).
                    let original = picture.rgb8();
                    for (i, (&got, &want)) in rgb.as_raw().iter().zip(&original).enumerate() {
                        let half_step = 255.0 / (LEVELS[i % 3] - 1) as f64 / 2.0;
                        assert!(
                            f64::from(got.abs_diff(want)) <= half_step,
                            "{got} for {want}"
                        );
                    }
                }
                (PngKind::GrayAlpha, DynamicImage::ImageLumaA8(la)) => {
                    let gray: Vec<u8> = la.as_raw().chunks_exact(2).map(|p| p[0]).collect();
                    assert_eq!(gray, picture.gray8());
                    let alpha = |x: u32, y: u32| la.get_pixel(x, y).0[1];
                    assert_eq!(alpha(25, 15), 255);
                    assert_eq!(alpha(0, 0), 0);
                }
                (kind, img) => panic!("{kind:?} decoded as {:?}", img.color()),
            }
        }
        Ok(())
    }

    #[test]
    fn the_palette_holds_252_colours_with_the_extremes() {
        let p = palette();
        assert_eq!(p.len(), 252 * 3);
        assert_eq!(&p[..3], &[0, 0, 0]);
        assert_eq!(&p[p.len() - 3..], &[255, 255, 255]);
        assert_eq!((level(0, 6), level(255, 6), level(255, 7)), (0, 5, 6));
    }
}
