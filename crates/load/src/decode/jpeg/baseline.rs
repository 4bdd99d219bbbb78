//! The in-tree decoder for the common JPEG: Huffman-coded, sequential
//! (SOF0, SOF1: one interleaved scan in the frame's order) or progressive
//! (SOF2, `progressive.rs`), 8-bit, gray or YCbCr with 4:4:4, 4:2:2 or
//! 4:2:0 chroma. It decodes a region of the stored image at scale `m / 8`
//! (`m` = 1 to 8), doing only the work the region needs:
//!
//! - entropy decoding (which cannot skip: every code's length depends on
//!   the previous one) runs from the first MCU to the last MCU of the
//!   region's last MCU row, and stops there (each scan of a progressive
//!   file stops after that row); a restart interval wholly outside the
//!   region is not read at all (the next restart marker is found by
//!   scanning bytes), and a [`SeekIndex`] from an earlier decode of the
//!   file jumps to the rows it knows;
//! - coefficients are kept, dequantised and inverse-transformed only for
//!   the MCUs that cover the region plus the one chroma sample of context
//!   on each side that fancy upsampling reads;
//! - upsampling and colour conversion run on the region's pixels only.
//!
//! Every step is libjpeg-turbo's default arithmetic (islow IDCT and its
//! reduced IDCTs for scaled decoding, fancy upsampling, its colour
//! conversion: `idct.rs`, `color.rs`), and each output pixel depends only
//! on the coefficients of the blocks around it, so a region is
//! bit-identical to the same pixels of the whole image decoded here
//! (`tests.rs` checks it on every cut).
//!
//! Everything else (arithmetic coding, 12-bit, a sequential file in
//! several scans or in another component order, CMYK, RGB-coded files,
//! 4:4:0 or 4:1:1 chroma) returns `None` from [`parse`], and the caller
//! decodes the whole image with zune-jpeg instead.

mod output;
mod parse;
mod progressive;

use super::color;
use super::huffman::{Bits, Table};
use super::idct::{self, GROUP, LANES};
use super::seek::SeekIndex;
use crate::decode::{DecodeError, Format, Region, fit};
use augment::Isa;
use output::{Geometry, Output};
use parse::{be16, parse, read_dht, read_dqt};

/// Zigzag position to natural (row-major) position.
const NATURAL: [usize; 64] = {
    let mut table = [0usize; 64];
    let (mut x, mut y) = (0usize, 0usize);
    let mut i = 0;
    while i < 64 {
        table[i] = y * 8 + x;
        if (x + y) % 2 == 0 {
            if x == 7 {
                y += 1;
            } else if y == 0 {
                x += 1;
            } else {
                x += 1;
                y -= 1;
            }
        } else if y == 7 {
            x += 1;
        } else if x == 0 {
            y += 1;
        } else {
            x -= 1;
            y += 1;
        }
        i += 1;
    }
    table
};

/// A decoder's reusable memory: Huffman tables, coefficients of one MCU
/// row, component planes of the region, row buffers.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scratch {
    dc: [Table; 4],
    ac: [Table; 4],
    coefficients: [Vec<i16>; 3],
    planes: [Vec<u8>; 3],
    sums: Vec<i32>,
    cb: Vec<u8>,
    cr: Vec<u8>,
    /// Progressive files: every block's coefficients down to the last
    /// MCU row needed, per component, natural order.
    stored: [Vec<i16>; 3],
}

#[derive(Debug, Clone, Copy, Default)]
struct Component {
    id: u8,
    h: usize,
    v: usize,
    quant: usize,
    dc: usize,
    ac: usize,
}

/// What the headers say, for a file this decoder takes.
struct Frame {
    width: usize,
    height: usize,
    components: [Component; 3],
    count: usize,
    hmax: usize,
    vmax: usize,
    restart_interval: usize,
    /// Byte offset of the first scan's entropy-coded data (sequential), or
    /// of the first SOS segment's length field (progressive: the scans are
    /// read by `progressive.rs`).
    data: usize,
    /// Dequantisation tables in natural order.
    quant: [[i32; 64]; 4],
    /// Progressive Huffman (SOF2).
    progressive: bool,
    /// Which DC and AC tables the segments before the first scan defined.
    built: [[bool; 4]; 2],
}

fn corrupt(what: &str) -> DecodeError {
    DecodeError::Corrupt {
        format: Format::Jpeg,
        what: what.to_string(),
    }
}

/// The side of component `comp`'s blocks when luma blocks shrink to
/// `luma` samples: libjpeg-turbo doubles a subsampled component's blocks
/// while that still divides evenly, so that 4:2:0 chroma at scale 1/2
/// decodes 8x8 and needs no upsampling. Here a side doubles only up to 8,
/// the largest transform this decoder has: at scales 5/8 to 7/8, where
/// libjpeg-turbo would enlarge 4:2:0 chroma (subsampled on both axes, as
/// its rule asks) with its 10- to 14-point transforms, chroma blocks
/// shrink as luma's do and are upsampled as at full size.
fn block_side(frame: &Frame, comp: &Component, luma: usize) -> usize {
    let mut side = luma;
    while side * 2 <= 8
        && (frame.hmax * luma).is_multiple_of(comp.h * side * 2)
        && (frame.vmax * luma).is_multiple_of(comp.v * side * 2)
    {
        side *= 2;
    }
    side
}

/// The fewest stored pixels that make whole pixels at scale `eighths / 8`,
/// and how many they make: `(8 / g, eighths / g)` for `g` the greatest
/// common divisor of `eighths` and 8 (so `(2, 1)` at 1/2, `(4, 3)` at
/// 3/4, `(8, 5)` at 5/8).
pub(super) fn whole_pixels(eighths: usize) -> (usize, usize) {
    let g = match eighths {
        8 => 8,
        4 => 4,
        2 | 6 => 2,
        _ => 1,
    };
    (8 / g, eighths / g)
}

/// Decodes `region` of `bytes` at scale `eighths / 8` (1 to 8, as
/// libjpeg-turbo's `scale_num` over 8: reduced inverse DCTs, the image
/// `ceil(width * eighths / 8)` wide) as RGB into `out`, and returns the
/// stored region delivered: `region` widened to whole scaled pixels (to
/// multiples of [`whole_pixels`]'s stored step, clipped to the image), its
/// pixels `3 * ceil(width * eighths / 8) * ceil(height * eighths / 8)`
/// bytes of `out`. `Ok(None)`, without touching `out`, when the file is
/// not one this decoder takes. With an `index` (sequential files without
/// restart intervals), rows whose start it knows are jumped to instead of
/// read, and the starts read on the way are added to it.
pub(super) fn decode(
    bytes: &[u8],
    region: Region,
    eighths: usize,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
    index: Option<&mut SeekIndex>,
) -> Result<Option<Region>, DecodeError> {
    let Some(frame) = parse(bytes, scratch)? else {
        return Ok(None);
    };
    let (rx, ry) = (region.x as usize, region.y as usize);
    let (rx1, ry1) = (rx + region.width as usize, ry + region.height as usize);
    if region.width == 0 || region.height == 0 || rx1 > frame.width || ry1 > frame.height {
        return Err(corrupt("the region is not inside the frame"));
    }
    if !(1..=8).contains(&eighths) {
        return Err(corrupt("the scale is not 1/8 to 8/8"));
    }
    // From here on, sizes are the scaled image's: `step` stored pixels are
    // `pixels` scaled ones.
    let (step, pixels) = whole_pixels(eighths);
    let scaled = |v: usize| (v * eighths).div_ceil(8);
    let (image_w, image_h) = (scaled(frame.width), scaled(frame.height));
    let (x0, y0) = (rx / step * pixels, ry / step * pixels);
    let (x1, y1) = (
        (rx1.div_ceil(step) * pixels).min(image_w),
        (ry1.div_ceil(step) * pixels).min(image_h),
    );
    let delivered = Region {
        x: (rx / step * step) as u32,
        y: (ry / step * step) as u32,
        width: ((rx1.div_ceil(step) * step).min(frame.width) - rx / step * step) as u32,
        height: ((ry1.div_ceil(step) * step).min(frame.height) - ry / step * step) as u32,
    };
    let luma_side = eighths;
    let components = &frame.components[..frame.count];
    let sides: [usize; 3] = std::array::from_fn(|c| match components.get(c) {
        Some(comp) => block_side(&frame, comp, luma_side),
        None => luma_side,
    });
    let (mcu_w, mcu_h) = (luma_side * frame.hmax, luma_side * frame.vmax);
    let (mcus_x, mcus_y) = (image_w.div_ceil(mcu_w), image_h.div_ceil(mcu_h));
    // Chroma samples per luma sample along each axis, after the IDCT;
    // libjpeg-turbo's fancy upsampling reads one chroma sample beyond each
    // side, except at scale 1/8, where it replicates.
    let (fx, fy) = if frame.count == 3 {
        (mcu_w / sides[1], mcu_h / sides[1])
    } else {
        (1, 1)
    };
    let fancy = luma_side > 1;
    let context = |lo: usize, hi: usize, f: usize, side: usize| -> (usize, usize) {
        if f == 1 {
            (lo, hi)
        } else {
            let last = side.div_ceil(f) - 1;
            let (a, b) = ((lo / f).saturating_sub(1), ((hi - 1) / f + 1).min(last));
            (lo.min(a * f), hi.max((b + 1) * f))
        }
    };
    let (cx0, cx1) = context(x0, x1, fx, image_w);
    let (cy0, cy1) = context(y0, y1, fy, image_h);
    let (mx0, mx1) = (cx0 / mcu_w, cx1.div_ceil(mcu_w).min(mcus_x));
    let (my0, my1) = (cy0 / mcu_h, cy1.div_ceil(mcu_h).min(mcus_y));

    let isa = Isa::selected();
    // Per component: groups per block row, plane stride and rows.
    let mut groups = [0usize; 3];
    for (c, comp) in components.iter().enumerate() {
        groups[c] = ((mx1 - mx0) * comp.h).div_ceil(LANES);
        let stride = groups[c] * sides[c] * LANES;
        let rows = (my1 - my0) * comp.v * sides[c];
        let Scratch {
            coefficients,
            planes,
            ..
        } = &mut *scratch;
        fit_i16(&mut coefficients[c], comp.v * groups[c] * GROUP)?;
        fit(&mut planes[c], stride * rows)?;
    }

    let rows = Rows {
        sides,
        groups,
        first: my0,
        isa,
    };
    if frame.progressive {
        let quant = progressive::decode_scans(bytes, &frame, my1, scratch)?;
        for my in my0..my1 {
            progressive::gather_row(&frame, scratch, my, (mx0, mx1), &groups)?;
            rows.transform(&frame, scratch, my, &quant)?;
        }
    } else {
        let quant = std::array::from_fn(|c| frame.quant[frame.components[c].quant & 3]);
        let mut bits = Bits::new(bytes, frame.data);
        let mut predictors = [0i32; 3];
        let mut left_in_interval = frame.restart_interval;
        // A row's start is its bit position and DC predictors only when no
        // restart interval counts MCUs across rows.
        let mut index = index.filter(|_| frame.restart_interval == 0);
        let mut first_row = 0;
        if let Some(index) = index.as_deref_mut() {
            index.open(bytes, frame.data, mcus_y);
            if let Some((row, start)) = index.at_or_before(my0) {
                start.resume(&mut bits, &mut predictors);
                first_row = row;
            }
        }
        for my in first_row..my1 {
            if let Some(index) = index.as_deref_mut() {
                index.record(my, || bits.tell(), predictors);
            }
            let keep_row = my >= my0;
            if keep_row {
                for c in 0..frame.count {
                    scratch.coefficients[c].fill(0);
                }
            }
            // The last row stops after the region's last MCU.
            let last_mx = if my + 1 == my1 { mx1 } else { mcus_x };
            let mut mx = 0;
            while mx < last_mx {
                if frame.restart_interval > 0 {
                    if left_in_interval == 0 {
                        if !bits.restart() {
                            return Err(corrupt("a restart marker is missing"));
                        }
                        predictors = [0; 3];
                        left_in_interval = frame.restart_interval;
                    }
                    left_in_interval -= 1;
                }
                if keep_row
                    && mx >= mx1
                    && let Some(next) = index.as_deref().and_then(|i| i.get(my + 1))
                {
                    // Past the region, with the next row's start known.
                    next.resume(&mut bits, &mut predictors);
                    break;
                }
                if !(keep_row && (mx0..mx1).contains(&mx)) {
                    // The MCUs up to the region (or to the row's end) are
                    // stepped over in one call, within one restart interval.
                    let end = if keep_row && mx < mx0 { mx0 } else { last_mx };
                    let mut run = end - mx;
                    if frame.restart_interval > 0 {
                        run = run.min(left_in_interval + 1);
                        left_in_interval -= run - 1;
                        if left_in_interval == 0 {
                            // The run ends its restart interval, and the
                            // next one starts after the next restart
                            // marker, which the next MCU scans for (coded
                            // data cannot hold one): its codes need not
                            // be read.
                            mx += run;
                            continue;
                        }
                    }
                    let tables: [_; 3] = std::array::from_fn(|c| {
                        let comp = &components[c.min(components.len() - 1)];
                        (&scratch.dc[comp.dc], &scratch.ac[comp.ac], comp.h * comp.v)
                    });
                    bits.skip_mcus(run, &tables[..components.len()], &mut predictors);
                    mx += run;
                    continue;
                }
                if bits.exhausted() {
                    // Past a marker in the data (damaged or cut): as
                    // libjpeg, the rest of the restart interval is left
                    // all zeros, uniform gray.
                    mx += 1;
                    continue;
                }
                decode_mcu(
                    &mut bits,
                    components,
                    scratch,
                    &groups,
                    mx - mx0,
                    &mut predictors,
                )?;
                mx += 1;
            }
            if keep_row {
                rows.transform(&frame, scratch, my, &quant)?;
            }
        }
    }

    let width = x1 - x0;
    fit(out, 3 * width * (y1 - y0))?;
    let origin = (mx0 * mcu_w, my0 * mcu_h);
    let luma_stride = groups[0] * luma_side * LANES;
    if frame.count == 1 {
        // Gray is rare and a copy: plain code.
        for (y, line) in (y0..y1).zip(out.chunks_exact_mut(3 * width)) {
            let at = (y - origin.1) * luma_stride + x0 - origin.0;
            let row = scratch.planes[0]
                .get(at..at + width)
                .ok_or_else(|| corrupt("a row outside the plane"))?;
            color::gray_to_rgb(row, line);
        }
        return Ok(Some(delivered));
    }
    let stage = Output {
        geometry: Geometry {
            factors: (fx, fy),
            fancy,
            luma_origin: origin,
            chroma_origin: (mx0 * sides[1], my0 * sides[1]),
            chroma_size: (image_w.div_ceil(fx), image_h.div_ceil(fy)),
        },
        scratch,
        area: (x0, x1, y0, y1),
        chroma_stride: groups[1] * sides[1] * LANES,
        luma_stride,
        out,
    };
    match isa {
        Isa::Scalar => stage.run(),
        _ => isa.vectorize(stage),
    }?;
    Ok(Some(delivered))
}

/// Decodes the blocks of one MCU into column `column` of the coefficient
/// rows (`groups` of [`LANES`] blocks per block row, per component).
///
/// Out of line, on one local copy of the reader for all its blocks: inside
/// the caller's large loop the bit word would live in memory, and a call
/// per block would copy the reader in and out each time.
#[inline(never)]
fn decode_mcu(
    bits: &mut Bits<'_>,
    components: &[Component],
    scratch: &mut Scratch,
    groups: &[usize; 3],
    column: usize,
    predictors: &mut [i32; 3],
) -> Result<(), DecodeError> {
    let Scratch {
        dc,
        ac,
        coefficients,
        ..
    } = scratch;
    bits.on_local(|bits| {
        for (c, comp) in components.iter().enumerate() {
            let (dc, ac) = (&dc[comp.dc], &ac[comp.ac]);
            for by in 0..comp.v {
                for bx in 0..comp.h {
                    let column = column * comp.h + bx;
                    let base = (by * groups[c] + column / LANES) * GROUP + column % LANES;
                    let Some(block) = coefficients[c]
                        .get_mut(base..base + 63 * LANES + 1)
                        .and_then(|b| <&mut [i16; 63 * LANES + 1]>::try_from(b).ok())
                    else {
                        return Err(corrupt("a block outside the coefficient rows"));
                    };
                    bits.block(dc, ac, &mut predictors[c], |k, value| {
                        // Natural order, as the IDCT reads it; the masks
                        // prove the index in bounds.
                        block[(NATURAL[k & 63] & 63) * LANES] = value as i16;
                    });
                }
            }
        }
        Ok(())
    })
}

/// The inverse DCT of one MCU row's coefficients (in `scratch`'s
/// group layout) into the component planes.
struct Rows {
    /// Block side per component (8, or reduced by the scale).
    sides: [usize; 3],
    /// Groups of [`LANES`] blocks per block row, per component.
    groups: [usize; 3],
    /// The first MCU row the planes hold.
    first: usize,
    isa: Isa,
}

impl Rows {
    fn transform(
        &self,
        frame: &Frame,
        scratch: &mut Scratch,
        my: usize,
        quant: &[[i32; 64]; 3],
    ) -> Result<(), DecodeError> {
        for (c, comp) in frame.components[..frame.count].iter().enumerate() {
            let side = self.sides[c];
            let stride = self.groups[c] * side * LANES;
            let row_len = self.groups[c] * GROUP;
            for by in 0..comp.v {
                let top = ((my - self.first) * comp.v + by) * side;
                let Scratch {
                    coefficients,
                    planes,
                    ..
                } = &mut *scratch;
                let (Some(coeffs), Some(plane)) = (
                    coefficients[c].get(by * row_len..(by + 1) * row_len),
                    planes[c].get_mut(top * stride..(top + side) * stride),
                ) else {
                    return Err(corrupt("a block row outside the planes"));
                };
                idct::row_of_blocks(self.isa, side, coeffs, &quant[c], plane, stride);
            }
        }
        Ok(())
    }
}

/// Makes `v` exactly `len` values, reusing its capacity.
fn fit_i16(v: &mut Vec<i16>, len: usize) -> Result<(), DecodeError> {
    if len > v.capacity() {
        v.clear();
        v.try_reserve_exact(len)
            .map_err(|_| DecodeError::OutOfMemory { bytes: 2 * len })?;
    }
    v.resize(len, 0);
    Ok(())
}
