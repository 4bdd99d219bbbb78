//! Pixel conversions every decoder shares: to 8-bit RGB, and orientation.
//!
//! Gray is replicated, alpha dropped (the colour values kept as stored),
//! 16-bit big-endian samples rounded to 8 bits as
//! `(v * 255 + 32767) / 65535`, which is `round(v * 255 / 65535)` exactly:
//! `v * 255 * 2` is even and `65535` odd, so no value is a tie.

use super::{DecodeError, Orientation, fit};

/// A decoder's interleaved output layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Layout {
    /// Samples per pixel (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA).
    pub channels: usize,
    /// Bytes per sample: 1, or 2 (big-endian).
    pub bytes: usize,
}

/// One 16-bit sample rounded to 8 bits.
#[inline]
pub(super) fn round16(v: u16) -> u8 {
    // At most 255: (65535 * 255 + 32767) / 65535 = 255.
    ((u32::from(v) * 255 + 32767) / 65535) as u8
}

/// Converts `src` (`pixels` pixels in `layout`) into packed RGB in `out`.
pub(super) fn to_rgb(
    src: &[u8],
    layout: Layout,
    pixels: usize,
    out: &mut Vec<u8>,
) -> Result<(), DecodeError> {
    fit(out, pixels * 3)?;
    let step = layout.channels * layout.bytes;
    let sample = |px: &[u8], c: usize| -> u8 {
        match layout.bytes {
            2 => round16(u16::from_be_bytes([px[2 * c], px[2 * c + 1]])),
            _ => px[c],
        }
    };
    for (rgb, px) in out.chunks_exact_mut(3).zip(src.chunks_exact(step)) {
        match layout.channels {
            1 | 2 => rgb.fill(sample(px, 0)),
            _ => {
                rgb[0] = sample(px, 0);
                rgb[1] = sample(px, 1);
                rgb[2] = sample(px, 2);
            }
        }
    }
    Ok(())
}

/// Writes the stored `(w, h)` RGB image `src` turned upright by
/// `orientation` into `out` (`h x w` for the axis-swapping ones).
pub(super) fn orient(
    src: &[u8],
    (w, h): (usize, usize),
    orientation: Orientation,
    out: &mut Vec<u8>,
) -> Result<(), DecodeError> {
    fit(out, w * h * 3)?;
    let (uw, _) = orientation.upright_size((w, h));
    if uw == 0 {
        return Ok(());
    }
    // Each orientation sends upright (u, v) to stored
    // (x0 + u * xu + v * xv, y0 + u * yu + v * yv), all integer.
    let (wm, hm) = (w as isize - 1, h as isize - 1);
    let (x0, xu, xv, y0, yu, yv): (isize, isize, isize, isize, isize, isize) = match orientation {
        Orientation::Normal => (0, 1, 0, 0, 0, 1),
        Orientation::FlipHorizontal => (wm, -1, 0, 0, 0, 1),
        Orientation::Rotate180 => (wm, -1, 0, hm, 0, -1),
        Orientation::FlipVertical => (0, 1, 0, hm, 0, -1),
        Orientation::Transpose => (0, 0, 1, 0, 1, 0),
        Orientation::Rotate90 => (0, 0, 1, hm, -1, 0),
        Orientation::Transverse => (wm, 0, -1, hm, -1, 0),
        Orientation::Rotate270 => (wm, 0, -1, 0, 1, 0),
    };
    let stride = w as isize;
    let step = yu * stride + xu;
    for (v, row) in out.chunks_exact_mut(uw * 3).enumerate() {
        let v = v as isize;
        let mut at = (y0 + v * yv) * stride + x0 + v * xv;
        for px in row.chunks_exact_mut(3) {
            // In bounds by construction; a miss would leave the pixel as it was.
            if let Some(s) = usize::try_from(at)
                .ok()
                .and_then(|i| src.get(3 * i..3 * i + 3))
            {
                px.copy_from_slice(s);
            }
            at += step;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteen_bits_round_to_nearest() {
        for v in 0..=u16::MAX {
            let exact = f64::from(v) * 255.0 / 65535.0;
            assert_eq!(f64::from(round16(v)), exact.round(), "{v}");
        }
    }

    #[test]
    fn conversions() -> Result<(), DecodeError> {
        let mut out = Vec::new();
        let gray_alpha = [10, 200, 20, 0];
        let layout = Layout {
            channels: 2,
            bytes: 1,
        };
        to_rgb(&gray_alpha, layout, 2, &mut out)?;
        assert_eq!(out, [10, 10, 10, 20, 20, 20]);
        let rgba16 = [0xFF, 0xFF, 0x00, 0x80, 0x80, 0x80, 0x00, 0x00];
        let layout = Layout {
            channels: 4,
            bytes: 2,
        };
        to_rgb(&rgba16, layout, 1, &mut out)?;
        assert_eq!(out, [255, 0, 128]);
        Ok(())
    }

    #[test]
    fn every_orientation_matches_its_coordinate_map() -> Result<(), DecodeError> {
        let (w, h) = (5usize, 3usize);
        let src: Vec<u8> = (0..w * h).flat_map(|i| [i as u8, 0, 100]).collect();
        for e in 1..=8 {
            let o = Orientation::from_exif(e).ok_or(DecodeError::Empty)?;
            let mut out = Vec::new();
            orient(&src, (w, h), o, &mut out)?;
            let (uw, uh) = o.upright_size((w, h));
            for v in 0..uh {
                for u in 0..uw {
                    let (x, y) = o.to_stored((u as f64, v as f64), (w as f64, h as f64));
                    let expected = (y as usize * w + x as usize) as u8;
                    assert_eq!(
                        out[3 * (v * uw + u)],
                        expected,
                        "orientation {e} at ({u}, {v})"
                    );
                }
            }
        }
        Ok(())
    }
}
