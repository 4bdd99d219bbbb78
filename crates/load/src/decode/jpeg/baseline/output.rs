//! The output stage: chroma upsampling (libjpeg-turbo's fancy
//! upsampling, or replication at 1/8) and YCbCr to RGB conversion of the
//! region's rows, compiled for the chosen instruction set.

use super::super::color;
use super::{Scratch, corrupt};
use crate::decode::DecodeError;

/// Where the decoded planes sit, for the output stage.
pub(super) struct Geometry {
    /// Chroma upsampling factors (1 or 2 per axis).
    pub(super) factors: (usize, usize),
    /// libjpeg-turbo's fancy (triangle) upsampling, or replication.
    pub(super) fancy: bool,
    /// Image coordinates of the luma and chroma planes' first samples.
    pub(super) luma_origin: (usize, usize),
    pub(super) chroma_origin: (usize, usize),
    /// The chroma image's size (libjpeg's `downsampled_width` and height).
    pub(super) chroma_size: (usize, usize),
}

/// The output stage's inputs, so that it runs as one function compiled
/// for the chosen instruction set (a closure called from the dispatcher
/// would not be).
pub(super) struct Output<'a> {
    pub(super) geometry: Geometry,
    pub(super) scratch: &'a mut Scratch,
    pub(super) area: (usize, usize, usize, usize),
    pub(super) chroma_stride: usize,
    pub(super) luma_stride: usize,
    pub(super) out: &'a mut [u8],
}

impl Output<'_> {
    #[inline(always)]
    pub(super) fn run(self) -> Result<(), DecodeError> {
        output_ycc(
            &self.geometry,
            self.scratch,
            self.area,
            self.chroma_stride,
            self.luma_stride,
            self.out,
        )
    }
}

impl pulp::WithSimd for Output<'_> {
    type Output = Result<(), DecodeError>;
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> Self::Output {
        self.run()
    }
}

/// Upsamples the chroma planes and converts rows `y0..y1`, columns
/// `x0..x1` to RGB.
#[inline(always)]
fn output_ycc(
    geometry: &Geometry,
    scratch: &mut Scratch,
    (x0, x1, y0, y1): (usize, usize, usize, usize),
    chroma_stride: usize,
    luma_stride: usize,
    out: &mut [u8],
) -> Result<(), DecodeError> {
    let (fx, fy) = geometry.factors;
    let width = x1 - x0;
    let (luma_x, luma_y) = geometry.luma_origin;
    let (chroma_x, chroma_y) = geometry.chroma_origin;
    let (chroma_w, chroma_h) = geometry.chroma_size;
    // Chroma columns upsampled for this region, with one neighbour each side.
    let (c0, c1) = (x0 / fx, (x1 - 1) / fx + 1);
    let Scratch {
        planes,
        sums,
        cb: cb_row,
        cr: cr_row,
        ..
    } = scratch;
    let span = (c1 - c0) * fx;
    sums.resize(c1 - c0 + 2, 0);
    cb_row.resize(span, 0);
    cr_row.resize(span, 0);
    let missing = || corrupt("a row outside the planes");
    for (y, line) in (y0..y1).zip(out.chunks_exact_mut(3 * width)) {
        let at = (y - luma_y) * luma_stride + x0 - luma_x;
        let luma = planes[0].get(at..at + width).ok_or_else(missing)?;
        for (plane, row) in [(&planes[1], &mut *cb_row), (&planes[2], &mut *cr_row)] {
            let cy = y / fy;
            let line_at = |r: usize| -> Result<&[u8], DecodeError> {
                let start = r.checked_sub(chroma_y).ok_or_else(missing)? * chroma_stride;
                plane.get(start..start + chroma_stride).ok_or_else(missing)
            };
            let nearer = line_at(cy)?;
            // Columns c0 - 1 ..= c1 (clamped to the image) in chroma-plane coordinates.
            let column = |c: usize| c.min(chroma_w - 1).saturating_sub(chroma_x);
            let left = column(c0.saturating_sub(1));
            let right = column(c1.min(chroma_w - 1));
            let first = column(c0);
            let n = c1 - c0;
            if !geometry.fancy && fx == 2 {
                // Scale 1/8 (4:2:2 only: 4:2:0 chroma needs no upsampling
                // there): each chroma sample covers two luma columns.
                let Some(span_row) = nearer.get(first..first + n) else {
                    return Err(missing());
                };
                for (pair, &v) in row.chunks_exact_mut(2).zip(span_row) {
                    pair.fill(v);
                }
            } else if fy == 2 {
                let further_row = if y % 2 == 0 {
                    cy.saturating_sub(1)
                } else {
                    (cy + 1).min(chroma_h - 1)
                };
                let further = line_at(further_row)?;
                let (Some(near_span), Some(far_span)) =
                    (nearer.get(first..first + n), further.get(first..first + n))
                else {
                    return Err(missing());
                };
                color::column_sums(near_span, far_span, &mut sums[1..=n]);
                let edge = |c: usize| 3 * i32::from(nearer[c]) + i32::from(further[c]);
                sums[0] = edge(left);
                sums[n + 1] = edge(right);
                color::upsample_h2(sums, 4, row);
            } else if fx == 2 {
                let Some(span_row) = nearer.get(first..first + n) else {
                    return Err(missing());
                };
                for (s, &v) in sums[1..=n].iter_mut().zip(span_row) {
                    *s = i32::from(v);
                }
                sums[0] = i32::from(nearer[left]);
                sums[n + 1] = i32::from(nearer[right]);
                color::upsample_h2(sums, 1, row);
            } else {
                let Some(span_row) = nearer.get(first..first + n) else {
                    return Err(missing());
                };
                row.copy_from_slice(span_row);
            }
        }
        let skip = x0 - c0 * fx;
        color::ycc_to_rgb(
            luma,
            &cb_row[skip..skip + width],
            &cr_row[skip..skip + width],
            line,
        );
    }
    Ok(())
}
