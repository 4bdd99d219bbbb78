//! The horizontal pass by FFT: source rows in pairs (one as the real part,
//! one as the imaginary part), padded as the direct pass pads them,
//! transformed in batches.

use super::plan::{C, good_size, plan};
use crate::axis::Axis;
use crate::element::Sample;
use crate::kernels;
use geom::{ImageView, Isa, Padding};

/// Row pairs the horizontal pass transforms per batch: 32 rows, so each
/// column pair of [`super::vertical::Columns`] receives 32 consecutive complex values (four
/// whole cache lines) per batch.
const BATCH_PAIRS: usize = 16;

/// Complex values between the segments of a horizontal batch.
const SEGMENT_GAP: usize = 24;

/// Rows per batch of the horizontal pass.
pub(crate) const BATCH_ROWS: usize = 2 * BATCH_PAIRS;

/// The results of one batch of the horizontal pass: for row pair `j` and
/// channel `ch`, segment `j·c + ch` (`stride` apart) holds row `y0 + 2j` as the
/// real part and row `y0 + 2j + 1` as the imaginary part, pixel `x` at
/// `start + x`.
pub(crate) struct Batch<'a> {
    pub(crate) data: &'a [C],
    pub(crate) stride: usize,
    pub(crate) start: usize,
    pub(crate) width: usize,
    pub(crate) channels: usize,
    /// First row of the batch.
    pub y0: usize,
    /// Rows in the batch (`1 ..= BATCH_ROWS`).
    pub count: usize,
}

impl Batch<'_> {
    /// Row `y0 + r` of the batch into `out` (`width · channels` values);
    /// always inlined, so [`crate::kernels::on_isa`] compiles it for the path.
    #[inline(always)]
    pub(crate) fn row(&self, r: usize, out: &mut [f32]) {
        let (c, w) = (self.channels, self.width);
        let segment = |ch: usize| {
            let start = ((r / 2) * c + ch) * self.stride + self.start;
            &self.data[start..start + w]
        };
        let part = |z: &C| if r.is_multiple_of(2) { z.re } else { z.im };
        // One loop per channel count, each a zip the compiler vectorizes.
        match c {
            1 => {
                for (o, z) in out.iter_mut().zip(segment(0)) {
                    *o = part(z);
                }
            }
            3 => {
                let planes = segment(0).iter().zip(segment(1)).zip(segment(2));
                for (px, ((a, b), c)) in out.chunks_exact_mut(3).zip(planes) {
                    px.copy_from_slice(&[part(a), part(b), part(c)]);
                }
            }
            _ => {
                let planes = segment(0)
                    .iter()
                    .zip(segment(1))
                    .zip(segment(2))
                    .zip(segment(3));
                for (px, (((a, b), c), d)) in out.chunks_exact_mut(4).zip(planes) {
                    px.copy_from_slice(&[part(a), part(b), part(c), part(d)]);
                }
            }
        }
    }
}

/// `z[i] = a[i·C + ch] + i·b[i·C + ch]` for every channel `ch`, segment
/// `ch` of `out` (length `n`) taking the padded row: `map` (from
/// [`crate::rows::axis_map`]) says which pixel each of the `len` padded
/// positions reads, `before` of them ahead of the image; the rest of each
/// segment is zero.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn load_pair<T: Sample, const CH: usize>(
    a: &[T],
    b: &[T],
    map: &[Option<usize>],
    before: usize,
    fill: f32,
    n: usize,
    out: &mut [C],
) {
    let w = a.len() / CH;
    for (ch, segment) in out.chunks_exact_mut(n).enumerate().take(CH) {
        let (head, tail) = segment.split_at_mut(map.len());
        let (edge, rest) = head.split_at_mut(before);
        let (middle, end) = rest.split_at_mut(w);
        for ((z, pa), pb) in middle
            .iter_mut()
            .zip(a.chunks_exact(CH))
            .zip(b.chunks_exact(CH))
        {
            *z = C::new(pa[ch].to_f32(), pb[ch].to_f32());
        }
        for (z, m) in edge
            .iter_mut()
            .zip(&map[..before])
            .chain(end.iter_mut().zip(&map[before + w..]))
        {
            *z = match *m {
                Some(x) => C::new(a[x * CH + ch].to_f32(), b[x * CH + ch].to_f32()),
                None => C::new(fill, fill),
            };
        }
        tail.fill(C::new(0.0, 0.0));
    }
}

/// [`load_pair`] for any channel count (always inlined, so [`crate::kernels::on_isa`] compiles it for the path).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn load_pair_any<T: Sample>(
    a: &[T],
    b: &[T],
    c: usize,
    map: &[Option<usize>],
    before: usize,
    fill: f32,
    n: usize,
    out: &mut [C],
) {
    // A checked `Shape` has 1, 3 or 4 channels.
    match c {
        1 => load_pair::<T, 1>(a, b, map, before, fill, n, out),
        3 => load_pair::<T, 3>(a, b, map, before, fill, n, out),
        _ => load_pair::<T, 4>(a, b, map, before, fill, n, out),
    }
}

/// Loads the row pairs from `y0` into `buffer` (segments `stride` apart),
/// as many as it holds (always inlined, so [`crate::kernels::on_isa`] compiles it for the path).
#[inline(always)]
fn load_batch<T: Sample>(
    src: ImageView<'_, T>,
    y0: usize,
    map: &[Option<usize>],
    before: usize,
    fill: f32,
    stride: usize,
    buffer: &mut [C],
) {
    let (h, c) = (src.height(), src.channels());
    for (j, out) in buffer.chunks_exact_mut(c * stride).enumerate() {
        let y = y0 + 2 * j;
        // An odd last row pairs with itself; the copy is dropped.
        let second = if y + 1 < h { y + 1 } else { y };
        load_pair_any(
            src.row(y),
            src.row(second),
            c,
            map,
            before,
            fill,
            stride,
            out,
        );
    }
}

/// Horizontal pass by FFT: calls `emit` with batches of the horizontal
/// pass of the source rows, in order. Rows go in pairs, channel by channel:
/// row `y` as the real part, row `y + 1` as the imaginary part.
pub(crate) fn horizontal<T: Sample>(
    isa: Isa,
    src: ImageView<'_, T>,
    axis: Axis<'_>,
    padding: Padding,
    mut emit: impl FnMut(&Batch<'_>),
) {
    let (w, h, c) = (src.width(), src.height(), src.channels());
    let len = w + axis.weights.len() - 1;
    let plan = plan(isa, good_size(len));
    let n = plan.n;
    let spectrum = plan.kernel_spectrum(axis.weights, axis.before);
    let map = crate::rows::axis_map(padding, w, axis.before, axis.after());
    let fill = padding.constant().unwrap_or(0.0);
    // Segments a little more than `n` apart: at a stride of `n` the
    // segments of a batch fall in the same few L1 sets (1280 points are
    // 10 KiB), and the transposition that reads them across misses.
    let stride = n + SEGMENT_GAP;
    let mut buffer = vec![C::new(0.0, 0.0); BATCH_PAIRS * c * stride];
    let mut scratch = vec![C::new(0.0, 0.0); plan.scratch_len()];
    for y0 in (0..h).step_by(BATCH_ROWS) {
        let count = BATCH_ROWS.min(h - y0);
        let pairs = count.div_ceil(2);
        let buffer = &mut buffer[..pairs * c * stride];
        kernels::on_isa(
            isa,
            #[inline(always)]
            || load_batch(src, y0, &map, axis.before, fill, stride, buffer),
        );
        for segment in buffer.chunks_exact_mut(stride) {
            plan.convolve(isa, &mut segment[..n], &spectrum, &mut scratch);
        }
        emit(&Batch {
            data: buffer,
            stride,
            start: axis.before,
            width: w,
            channels: c,
            y0,
            count,
        });
    }
}
