//! The one EXIF field the loader reads: orientation (tag 0x0112 of IFD0).
//!
//! An EXIF block is a TIFF structure: a byte-order mark (`II` little- or
//! `MM` big-endian), the number 42, the offset of IFD0, then IFD0's entry
//! count and 12-byte entries `(tag u16, type u16, count u32, value u32)`.
//! Orientation is a SHORT (type 3) with count 1 whose value sits in the
//! first two bytes of the value field. Every read is bounds-checked; a
//! malformed block, or a value outside 1..=8, reads as "no orientation"
//! (as Pillow's `exif_transpose` treats it), never as an error: a broken
//! tag should not cost the user the image.

use super::Orientation;

/// The orientation in an EXIF block, with or without the `Exif\0\0`
/// prefix JPEG's APP1 carries (some PNG and WebP writers keep it too).
pub(crate) fn orientation(block: &[u8]) -> Option<Orientation> {
    let tiff = block.strip_prefix(b"Exif\0\0").unwrap_or(block);
    let big = match tiff.get(..4)? {
        [b'I', b'I', 42, 0] => false,
        [b'M', b'M', 0, 42] => true,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = tiff.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let entries = usize::from(u16_at(ifd)?);
    (0..entries).find_map(|e| {
        let entry = ifd.checked_add(2)?.checked_add(e.checked_mul(12)?)?;
        if u16_at(entry)? != 0x0112 || u16_at(entry + 2)? != 3 || u32_at(entry + 4)? == 0 {
            return None;
        }
        Orientation::from_exif(u16_at(entry + 8)?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(big: bool, value: u16) -> Vec<u8> {
        let mut b = Vec::new();
        let u16b = |v: u16| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let u32b = |v: u32| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        b.extend_from_slice(if big { b"MM" } else { b"II" });
        b.extend_from_slice(&u16b(42));
        b.extend_from_slice(&u32b(8));
        b.extend_from_slice(&u16b(2));
        // An unrelated entry first (ImageWidth), then orientation.
        b.extend_from_slice(&u16b(0x0100));
        b.extend_from_slice(&u16b(3));
        b.extend_from_slice(&u32b(1));
        b.extend_from_slice(&u32b(0));
        b.extend_from_slice(&u16b(0x0112));
        b.extend_from_slice(&u16b(3));
        b.extend_from_slice(&u32b(1));
        b.extend_from_slice(&u16b(value));
        b.extend_from_slice(&[0, 0]);
        b
    }

    #[test]
    fn both_byte_orders_and_the_prefix() {
        assert_eq!(orientation(&block(false, 6)), Some(Orientation::Rotate90));
        assert_eq!(orientation(&block(true, 8)), Some(Orientation::Rotate270));
        let mut prefixed = b"Exif\0\0".to_vec();
        prefixed.extend(block(true, 3));
        assert_eq!(orientation(&prefixed), Some(Orientation::Rotate180));
    }

    #[test]
    fn malformed_blocks_read_as_none() {
        assert_eq!(orientation(&block(false, 9)), None);
        assert_eq!(orientation(&block(false, 0)), None);
        let full = block(true, 6);
        for cut in 0..full.len() - 2 {
            assert_eq!(orientation(&full[..cut]), None, "cut at {cut}");
        }
        assert_eq!(orientation(b""), None);
        // IFD offset pointing far outside.
        assert_eq!(orientation(b"II\x2a\x00\xff\xff\xff\xff"), None);
    }
}
