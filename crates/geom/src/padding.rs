//! What a read outside the image returns.

/// Longest axis [`Padding::index`] handles in `i64` (`2 * len` must not
/// overflow); longer ones take a slower, exact path.
const WIDE_AXIS: usize = 1 << 61;

/// Rule for pixels outside the image, shared by samplers and filters.
///
/// | mode | `…|a b c d|…` extends as | OpenCV | PyTorch `grid_sample` |
/// | --- | --- | --- | --- |
/// | `Constant(v)` | `v v|a b c d|v v` | `BORDER_CONSTANT` | `zeros` (v = 0) |
/// | `Border` | `a a|a b c d|d d` | `BORDER_REPLICATE` | `border` |
/// | `Reflect` | `b a|a b c d|d c` | `BORDER_REFLECT` | `reflection`, `align_corners=False` |
/// | `Reflect101` | `c b|a b c d|c b` | `BORDER_REFLECT_101` | `reflection`, `align_corners=True` |
/// | `Wrap` | `c d|a b c d|a b` | `BORDER_WRAP` | — |
///
/// `Constant` holds one value for every channel, in the sample type's scale
/// (0–255 for `u8`, as given for `f32`).
///
/// ```
/// use geom::Padding;
/// assert_eq!(Padding::Reflect101.index(-2, 4), Some(2));
/// assert_eq!(Padding::Wrap.index(5, 4), Some(1));
/// assert_eq!(Padding::Zeros.index(-1, 4), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Padding {
    /// A fixed value for every channel.
    Constant(f32),
    /// Zero: `Constant(0.0)`, PyTorch's default.
    #[default]
    Zeros,
    /// Repeat the edge pixel.
    Border,
    /// Mirror with the edge pixel repeated: `c b a | a b c`.
    Reflect,
    /// Mirror without repeating the edge pixel: `d c b | a b c d`.
    Reflect101,
    /// Periodic.
    Wrap,
}

impl Padding {
    /// The in-image index that index `i` reads on an axis of length `len`,
    /// or `None` when the read takes the constant value.
    ///
    /// Any `i` is accepted, however far outside; `len` must be at least 1
    /// (`None` otherwise).
    #[inline]
    pub fn index(self, i: i64, len: usize) -> Option<usize> {
        if len == 0 {
            return None;
        }
        if len > WIDE_AXIS {
            return self.index_wide(i, len);
        }
        let n = len as i64;
        if (0..n).contains(&i) {
            return Some(i as usize);
        }
        let mapped = match self {
            Padding::Constant(_) | Padding::Zeros => return None,
            Padding::Border => i.clamp(0, n - 1),
            Padding::Wrap => i.rem_euclid(n),
            Padding::Reflect => {
                // Period 2n: 0..n forwards, n..2n backwards with the edge repeated.
                let k = i.rem_euclid(2 * n);
                if k < n { k } else { 2 * n - 1 - k }
            }
            Padding::Reflect101 => {
                if n == 1 {
                    0
                } else {
                    // Period 2n-2: the edge pixels appear once per period.
                    let period = 2 * n - 2;
                    let k = i.rem_euclid(period);
                    if k < n { k } else { period - k }
                }
            }
        };
        Some(mapped as usize)
    }

    /// [`Padding::index`] on an axis too long for its `i64` arithmetic
    /// (`2 * len` must fit): the same rules in `i128`. No image is this
    /// large; the branch only keeps a hostile `len` from overflowing.
    #[cold]
    fn index_wide(self, i: i64, len: usize) -> Option<usize> {
        let (i, n) = (i128::from(i), len as i128);
        if (0..n).contains(&i) {
            return usize::try_from(i).ok();
        }
        let mapped = match self {
            Padding::Constant(_) | Padding::Zeros => return None,
            Padding::Border => i.clamp(0, n - 1),
            Padding::Wrap => i.rem_euclid(n),
            Padding::Reflect => {
                let k = i.rem_euclid(2 * n);
                if k < n { k } else { 2 * n - 1 - k }
            }
            Padding::Reflect101 => {
                let period = 2 * n - 2;
                let k = i.rem_euclid(period);
                if k < n { k } else { period - k }
            }
        };
        usize::try_from(mapped).ok()
    }

    /// The constant value this rule fills with, if it is a constant rule.
    #[inline]
    pub fn constant(self) -> Option<f32> {
        match self {
            Padding::Constant(v) => Some(v),
            Padding::Zeros => Some(0.0),
            _ => None,
        }
    }

    /// Every mode, with `Constant` at the given value; handy in tests and benches.
    pub fn all(constant: f32) -> [Padding; 6] {
        [
            Padding::Constant(constant),
            Padding::Zeros,
            Padding::Border,
            Padding::Reflect,
            Padding::Reflect101,
            Padding::Wrap,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extend(p: Padding, len: usize, from: i64, to: i64) -> Vec<Option<usize>> {
        (from..to).map(|i| p.index(i, len)).collect()
    }

    #[test]
    fn each_mode_matches_the_opencv_table() {
        // a b c d = 0 1 2 3; read indices -3..7.
        let s = |v: &[usize]| v.iter().map(|&x| Some(x)).collect::<Vec<_>>();
        assert_eq!(
            extend(Padding::Border, 4, -3, 7),
            s(&[0, 0, 0, 0, 1, 2, 3, 3, 3, 3])
        );
        assert_eq!(
            extend(Padding::Reflect, 4, -3, 7),
            s(&[2, 1, 0, 0, 1, 2, 3, 3, 2, 1])
        );
        assert_eq!(
            extend(Padding::Reflect101, 4, -3, 7),
            s(&[3, 2, 1, 0, 1, 2, 3, 2, 1, 0])
        );
        assert_eq!(
            extend(Padding::Wrap, 4, -3, 7),
            s(&[1, 2, 3, 0, 1, 2, 3, 0, 1, 2])
        );
        assert_eq!(
            extend(Padding::Zeros, 4, -1, 5),
            vec![None, Some(0), Some(1), Some(2), Some(3), None]
        );
    }

    #[test]
    fn single_pixel_axis_always_reads_that_pixel() {
        for p in [
            Padding::Border,
            Padding::Reflect,
            Padding::Reflect101,
            Padding::Wrap,
        ] {
            for i in -5..5 {
                assert_eq!(p.index(i, 1), Some(0), "{p:?} at {i}");
            }
        }
    }

    #[test]
    fn far_indices_stay_in_bounds() {
        for p in Padding::all(0.0) {
            for len in 1..6 {
                for i in [i64::MIN / 4, -1_000_003, 1_000_003, i64::MAX / 4] {
                    if let Some(k) = p.index(i, len) {
                        assert!(k < len, "{p:?} {i} {len} -> {k}");
                    }
                }
            }
        }
    }
}
