//! EXIF orientation: the eight ways stored pixels are turned to stand upright,
//! and the coordinate maps between stored and upright pixels.

/// EXIF orientation: how the stored pixels must be turned to show the
/// picture upright (EXIF values 1 to 8, in that order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Orientation {
    /// 1: stored upright.
    #[default]
    Normal,
    /// 2: mirrored left-right.
    FlipHorizontal,
    /// 3: turned 180°.
    Rotate180,
    /// 4: mirrored top-bottom.
    FlipVertical,
    /// 5: mirrored about the main diagonal (rows become columns).
    Transpose,
    /// 6: shown after turning the stored image 90° clockwise.
    Rotate90,
    /// 7: mirrored about the anti-diagonal.
    Transverse,
    /// 8: shown after turning the stored image 90° counter-clockwise.
    Rotate270,
}

impl Orientation {
    /// The orientation of EXIF value `value` (1..=8), if it is one.
    pub fn from_exif(value: u16) -> Option<Orientation> {
        Some(match value {
            1 => Orientation::Normal,
            2 => Orientation::FlipHorizontal,
            3 => Orientation::Rotate180,
            4 => Orientation::FlipVertical,
            5 => Orientation::Transpose,
            6 => Orientation::Rotate90,
            7 => Orientation::Transverse,
            8 => Orientation::Rotate270,
            _ => return None,
        })
    }

    /// The EXIF value (1..=8).
    pub fn exif(self) -> u16 {
        self as u16 + 1
    }

    /// Whether the upright picture's width is the stored height.
    pub fn swaps_axes(self) -> bool {
        matches!(
            self,
            Orientation::Transpose
                | Orientation::Rotate90
                | Orientation::Transverse
                | Orientation::Rotate270
        )
    }

    /// The upright size of a stored `(width, height)` image.
    pub fn upright_size<T>(self, (width, height): (T, T)) -> (T, T) {
        if self.swaps_axes() {
            (height, width)
        } else {
            (width, height)
        }
    }

    /// Where upright point `(u, v)` lies in a stored `width x height`
    /// image (pixel centres at integers, so a flip maps `u` to
    /// `width - 1 - u`).
    pub fn to_stored(self, (u, v): (f64, f64), (width, height): (f64, f64)) -> (f64, f64) {
        let (xm, ym) = (width - 1.0, height - 1.0);
        match self {
            Orientation::Normal => (u, v),
            Orientation::FlipHorizontal => (xm - u, v),
            Orientation::Rotate180 => (xm - u, ym - v),
            Orientation::FlipVertical => (u, ym - v),
            Orientation::Transpose => (v, u),
            Orientation::Rotate90 => (v, ym - u),
            Orientation::Transverse => (xm - v, ym - u),
            Orientation::Rotate270 => (xm - v, u),
        }
    }
}
