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

    /// Where stored point `(x, y)` of a stored `width x height` image
    /// shows upright: the inverse of [`Orientation::to_stored`].
    pub fn to_upright(self, (x, y): (f64, f64), (width, height): (f64, f64)) -> (f64, f64) {
        let (xm, ym) = (width - 1.0, height - 1.0);
        match self {
            Orientation::Normal => (x, y),
            Orientation::FlipHorizontal => (xm - x, y),
            Orientation::Rotate180 => (xm - x, ym - y),
            Orientation::FlipVertical => (x, ym - y),
            Orientation::Transpose => (y, x),
            Orientation::Rotate90 => (ym - y, x),
            Orientation::Transverse => (ym - y, xm - x),
            Orientation::Rotate270 => (y, xm - x),
        }
    }

    /// The stored pixels `(x, y, width, height)` of a stored `stored`
    /// (width, height) image that show as the upright rectangle `upright`
    /// (columns `x..x + width`, rows `y..y + height` of the upright
    /// picture): the rectangle turned back. `upright` must lie inside the
    /// upright picture and not be empty.
    ///
    /// ```
    /// use load::decode::Orientation;
    /// // Turned 90° clockwise to show: the upright top rows are the stored left columns.
    /// let r = Orientation::Rotate90.stored_rect((0, 0, 30, 2), (20, 30));
    /// assert_eq!(r, (0, 0, 2, 30));
    /// ```
    pub fn stored_rect(
        self,
        upright: (u32, u32, u32, u32),
        stored: (u32, u32),
    ) -> (u32, u32, u32, u32) {
        let size = (f64::from(stored.0), f64::from(stored.1));
        turn_rect(upright, |p| self.to_stored(p, size))
    }

    /// The upright rectangle `(x, y, width, height)` that the stored
    /// pixels `stored_rect` of a stored `stored` (width, height) image
    /// show as: the inverse of [`Orientation::stored_rect`].
    pub fn upright_rect(
        self,
        stored_rect: (u32, u32, u32, u32),
        stored: (u32, u32),
    ) -> (u32, u32, u32, u32) {
        let size = (f64::from(stored.0), f64::from(stored.1));
        turn_rect(stored_rect, |p| self.to_upright(p, size))
    }
}

/// The rectangle of pixel centres `turn` takes `(x, y, width, height)` to:
/// a turn or mirror of whole pixels maps the two extreme centres to two
/// opposite corners.
fn turn_rect(
    (x, y, width, height): (u32, u32, u32, u32),
    turn: impl Fn((f64, f64)) -> (f64, f64),
) -> (u32, u32, u32, u32) {
    let first = (f64::from(x), f64::from(y));
    let last = (
        f64::from(x) + f64::from(width) - 1.0,
        f64::from(y) + f64::from(height) - 1.0,
    );
    let (a, b) = (turn(first), turn(last));
    let (x0, y0) = (a.0.min(b.0), a.1.min(b.1));
    let (x1, y1) = (a.0.max(b.0), a.1.max(b.1));
    // Whole pixel centres in, whole pixel centres out: the casts are exact.
    (
        x0 as u32,
        y0 as u32,
        (x1 - x0) as u32 + 1,
        (y1 - y0) as u32 + 1,
    )
}

#[cfg(test)]
mod tests {
    use super::Orientation;

    const ALL: [Orientation; 8] = [
        Orientation::Normal,
        Orientation::FlipHorizontal,
        Orientation::Rotate180,
        Orientation::FlipVertical,
        Orientation::Transpose,
        Orientation::Rotate90,
        Orientation::Transverse,
        Orientation::Rotate270,
    ];

    /// Every orientation: each upright pixel of a rectangle lies in its
    /// stored rectangle, which has as many pixels, and the two maps undo
    /// each other.
    #[test]
    fn rectangles_turn_both_ways() {
        let stored = (7u32, 5u32);
        for o in ALL {
            let (uw, uh) = o.upright_size(stored);
            let size = (f64::from(stored.0), f64::from(stored.1));
            for (x, y, w, h) in [
                (0, 0, uw, uh),
                (1, 2, 3, 1),
                (0, 1, 1, 2),
                (2, 0, uw - 2, uh),
            ] {
                let r = o.stored_rect((x, y, w, h), stored);
                assert_eq!(r.2 * r.3, w * h, "{o:?}");
                assert!(
                    r.0 + r.2 <= stored.0 && r.1 + r.3 <= stored.1,
                    "{o:?} {r:?}"
                );
                for v in y..y + h {
                    for u in x..x + w {
                        let (sx, sy) = o.to_stored((f64::from(u), f64::from(v)), size);
                        let inside = sx >= f64::from(r.0)
                            && sx < f64::from(r.0 + r.2)
                            && sy >= f64::from(r.1)
                            && sy < f64::from(r.1 + r.3);
                        assert!(inside, "{o:?}: ({u}, {v}) -> ({sx}, {sy}) not in {r:?}");
                        let back = o.to_upright((sx, sy), size);
                        assert_eq!(back, (f64::from(u), f64::from(v)), "{o:?}");
                    }
                }
                assert_eq!(o.upright_rect(r, stored), (x, y, w, h), "{o:?}");
            }
        }
    }
}
