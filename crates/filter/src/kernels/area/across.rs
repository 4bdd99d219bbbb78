//! The pass across the columns of the area downscale: per output pixel,
//! the weighted sum of its columns' sums (`Σ wx·sum`, in column order),
//! unrolled for the fixed layouts of 1, 3 and 4 channels, with the
//! columns that cross the image's edge summed after the row.

use super::{Span, Taps};
use geom::Padding;

/// One output row's weighted sums in the fixed layout of `n` taps, the
/// loop unrolled per channel count and `n`.
#[inline(always)]
pub(super) fn row_sums(acc: &mut [u32], sums: &[u32], columns: &Columns<'_>, c: usize, n: usize) {
    match c {
        1 => fixed_row::<1>(acc, sums, columns, n),
        3 => fixed_row_rgb(acc, sums, columns, n),
        _ => fixed_row::<4>(acc, sums, columns, n),
    }
}

/// The output columns' intervals and taps, and where their column sums are.
pub(super) struct Columns<'a> {
    pub(super) spans: &'a [Span],
    pub(super) taps: &'a [Taps],
    /// Per output column in the fixed layout: its first column sum.
    pub(super) fixed_at: &'a [usize],
    /// Per output column in the fixed layout: its `n` weights.
    pub(super) fixed_weights: &'a [u32],
    /// The output columns whose intervals cross the image's edge.
    pub(super) edges: &'a [usize],
    /// The source column of the first column sum.
    pub(super) lo: usize,
    /// Source width.
    pub(super) width: usize,
    pub(super) padding: Padding,
}

/// [`weighted_row`] with every inside column as `n` fixed weights (the
/// same integer sums: the added weights are zeros), dispatched to a loop
/// unrolled for `n`.
#[inline(always)]
fn fixed_row<const C: usize>(acc: &mut [u32], sums: &[u32], columns: &Columns<'_>, n: usize) {
    match n {
        1 => fixed_taps::<C, 1>(acc, sums, columns),
        2 => fixed_taps::<C, 2>(acc, sums, columns),
        3 => fixed_taps::<C, 3>(acc, sums, columns),
        4 => fixed_taps::<C, 4>(acc, sums, columns),
        5 => fixed_taps::<C, 5>(acc, sums, columns),
        6 => fixed_taps::<C, 6>(acc, sums, columns),
        7 => fixed_taps::<C, 7>(acc, sums, columns),
        _ => fixed_taps::<C, 8>(acc, sums, columns),
    }
}

/// [`fixed_row`] for three channels, each pixel summed as four lanes.
#[inline(always)]
fn fixed_row_rgb(acc: &mut [u32], sums: &[u32], columns: &Columns<'_>, n: usize) {
    match n {
        1 => fixed_taps_rgb::<1>(acc, sums, columns),
        2 => fixed_taps_rgb::<2>(acc, sums, columns),
        3 => fixed_taps_rgb::<3>(acc, sums, columns),
        4 => fixed_taps_rgb::<4>(acc, sums, columns),
        5 => fixed_taps_rgb::<5>(acc, sums, columns),
        6 => fixed_taps_rgb::<6>(acc, sums, columns),
        7 => fixed_taps_rgb::<7>(acc, sums, columns),
        _ => fixed_taps_rgb::<8>(acc, sums, columns),
    }
}

/// Three channels as four lanes: one vector load, multiply and add per
/// tap instead of three scalar ones. The fourth lane reads the next
/// pixel's first channel (or the slack value after the sums) and is
/// stored into the next pixel's slot (or the slack after the row), which
/// the next column then overwrites. Columns crossing the edge have zero
/// weights here and are summed again after the row.
#[inline(always)]
fn fixed_taps_rgb<const N: usize>(acc: &mut [u32], sums: &[u32], columns: &Columns<'_>) {
    let layout = columns
        .fixed_at
        .iter()
        .zip(columns.fixed_weights.chunks_exact(N));
    for (ox, (&at, weights)) in layout.enumerate() {
        let out = ox * 3;
        let (Some(window), Some(dst)) = (sums.get(at..at + N * 3 + 1), acc.get_mut(out..out + 4))
        else {
            continue;
        };
        let mut sum = [0u32; 4];
        for (t, &weight) in weights.iter().enumerate().take(N) {
            let pixel = &window[t * 3..t * 3 + 4];
            for l in 0..4 {
                sum[l] += weight * pixel[l];
            }
        }
        dst.copy_from_slice(&sum);
    }
    edge_columns::<3>(acc, sums, columns);
}

#[inline(always)]
fn fixed_taps<const C: usize, const N: usize>(
    acc: &mut [u32],
    sums: &[u32],
    columns: &Columns<'_>,
) {
    let layout = columns
        .fixed_at
        .iter()
        .zip(columns.fixed_weights.chunks_exact(N));
    for (acc, (&at, weights)) in acc.chunks_exact_mut(C).zip(layout) {
        let Some(window) = sums.get(at..at + N * C) else {
            continue;
        };
        let mut sum = [0u32; C];
        for (pixel, &weight) in window.chunks_exact(C).zip(weights) {
            for (s, &v) in sum.iter_mut().zip(pixel) {
                *s += weight * v;
            }
        }
        acc.copy_from_slice(&sum);
    }
    edge_columns::<C>(acc, sums, columns);
}

/// The columns crossing the image's edge, through the padding rule.
#[inline(always)]
fn edge_columns<const C: usize>(acc: &mut [u32], sums: &[u32], columns: &Columns<'_>) {
    for &ox in columns.edges {
        if let (Some(acc), Some(&span)) = (acc.get_mut(ox * C..ox * C + C), columns.spans.get(ox)) {
            border_taps::<C>(acc, sums, columns, span);
        }
    }
}

/// A column whose interval crosses the image's edge: each tap through the
/// padding rule (the constant's taps add nothing here).
#[inline(always)]
fn border_taps<const C: usize>(acc: &mut [u32], sums: &[u32], columns: &Columns<'_>, span: Span) {
    acc.fill(0);
    for j in span.first()..span.end() {
        if let Some(x) = columns.padding.index(j, columns.width) {
            let weight = span.weight(j);
            let at = (x - columns.lo) * C;
            for (a, &s) in acc.iter_mut().zip(&sums[at..at + C]) {
                *a += weight * s;
            }
        }
    }
}

/// One output row's weighted sums `Σ wx·sum` from its column sums (columns
/// read as the padding constant add nothing here; the division adds them).
#[inline(always)]
pub(super) fn weighted_row<const C: usize>(acc: &mut [u32], sums: &[u32], columns: &Columns<'_>) {
    let blocks = acc.chunks_exact_mut(C).zip(columns.taps).zip(columns.spans);
    for ((acc, taps), &span) in blocks {
        if taps.inside {
            // Inner weights are all 16: first and last apart, one multiply.
            let at = taps.at;
            if taps.count == 1 {
                for (a, &s) in acc.iter_mut().zip(&sums[at..at + C]) {
                    *a = taps.first * s;
                }
            } else {
                let last = at + (taps.count - 1) * C;
                let mut inner = [0u32; C];
                for pixel in sums[at + C..last].chunks_exact(C) {
                    for (i, &s) in inner.iter_mut().zip(pixel) {
                        *i += s;
                    }
                }
                for ch in 0..C {
                    acc[ch] =
                        taps.first * sums[at + ch] + 16 * inner[ch] + taps.last * sums[last + ch];
                }
            }
        } else {
            border_taps::<C>(acc, sums, columns, span);
        }
    }
}
