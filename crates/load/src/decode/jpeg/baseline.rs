//! The in-tree decoder for the common JPEG: Huffman-coded, sequential
//! (SOF0, SOF1: one interleaved scan in the frame's order) or progressive
//! (SOF2, `progressive.rs`), 8-bit, gray or YCbCr with 4:4:4, 4:2:2 or
//! 4:2:0 chroma. It decodes a region of the stored image at scale 1/1,
//! 1/2, 1/4 or 1/8, doing only the work the region needs:
//!
//! - entropy decoding (which cannot skip: every code's length depends on
//!   the previous one) runs from the first MCU to the last MCU of the
//!   region's last MCU row, and stops there (each scan of a progressive
//!   file stops after that row);
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

mod progressive;

use super::color;
use super::huffman::{Bits, Table};
use super::idct::{self, GROUP, LANES};
use crate::decode::{DecodeError, Format, Region, fit};
use augment::Isa;

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

fn be16(bytes: &[u8], at: usize) -> Option<usize> {
    bytes
        .get(at..at + 2)
        .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
}

/// Reads the segments up to the first scan into `scratch`'s tables;
/// `None` if the file is not one this decoder takes.
fn parse(bytes: &[u8], scratch: &mut Scratch) -> Result<Option<Frame>, DecodeError> {
    let mut quant = [[0i32; 64]; 4];
    let mut have_quant = [false; 4];
    let mut built = [[false; 4]; 2];
    let mut components = [Component::default(); 3];
    let mut count = 0;
    let mut size = None;
    let mut restart_interval = 0;
    let mut adobe_rgb = false;
    let mut progressive = false;
    let mut pos = 2;
    loop {
        let Some(ff) = bytes
            .get(pos..)
            .and_then(|rest| rest.iter().position(|&b| b == 0xFF))
        else {
            return Ok(None);
        };
        pos += ff;
        while bytes.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let Some(&marker) = bytes.get(pos) else {
            return Ok(None);
        };
        pos += 1;
        if matches!(marker, 0x00 | 0x01 | 0xD0..=0xD8) {
            continue;
        }
        let Some(len) = be16(bytes, pos).filter(|&l| l >= 2) else {
            return Ok(None);
        };
        let Some(segment) = bytes.get(pos + 2..pos + len) else {
            return Ok(None);
        };
        match marker {
            0xC0..=0xC2 => {
                progressive = marker == 0xC2;
                let [8, h0, h1, w0, w1, n, ref rest @ ..] = *segment else {
                    return Ok(None);
                };
                count = usize::from(n);
                if !matches!(count, 1 | 3) || rest.len() < 3 * count || size.is_some() {
                    return Ok(None);
                }
                for (c, spec) in components.iter_mut().zip(rest.chunks_exact(3)) {
                    *c = Component {
                        id: spec[0],
                        h: usize::from(spec[1] >> 4),
                        v: usize::from(spec[1] & 15),
                        quant: usize::from(spec[2]),
                        ..Component::default()
                    };
                }
                size = Some((
                    usize::from(u16::from_be_bytes([w0, w1])),
                    usize::from(u16::from_be_bytes([h0, h1])),
                ));
            }
            // Lossless, hierarchical, arithmetic: not here.
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return Ok(None),
            0xC4 => read_dht(segment, scratch, &mut built)?,
            0xDB => read_dqt(segment, &mut quant, &mut have_quant)?,
            0xDD => restart_interval = be16(segment, 0).unwrap_or(0),
            0xEE if segment.starts_with(b"Adobe") && segment.get(11) == Some(&0) => {
                adobe_rgb = true
            }
            0xDA => {
                let Some((width, height)) = size else {
                    return Ok(None);
                };
                if !progressive {
                    let [n, ref rest @ ..] = *segment else {
                        return Ok(None);
                    };
                    if usize::from(n) != count || rest.len() < 2 * count + 3 {
                        return Ok(None);
                    }
                    // Sequential: spectral selection 0..=63, no successive approximation.
                    if rest[2 * count..2 * count + 3] != [0, 63, 0] {
                        return Ok(None);
                    }
                    // The MCU interleaves blocks in the scan's order: this
                    // decoder takes the frame's order only.
                    for (c, spec) in components[..count]
                        .iter_mut()
                        .zip(rest[..2 * count].chunks_exact(2))
                    {
                        if c.id != spec[0] {
                            return Ok(None);
                        }
                        c.dc = usize::from(spec[1] >> 4);
                        c.ac = usize::from(spec[1] & 15);
                    }
                }
                // A progressive file's scans name their tables one by one
                // (`progressive.rs` checks them).
                let usable = |c: &Component| {
                    c.quant < 4
                        && have_quant[c.quant]
                        && (progressive
                            || (c.dc < 4 && c.ac < 4 && built[0][c.dc] && built[1][c.ac]))
                        && (1..=4).contains(&c.h)
                        && (1..=4).contains(&c.v)
                };
                if width == 0 || height == 0 || !components[..count].iter().all(usable) {
                    return Ok(None);
                }
                let (hmax, vmax) = if count == 1 {
                    // One component: one block per MCU whatever its factors.
                    components[0].h = 1;
                    components[0].v = 1;
                    (1, 1)
                } else {
                    let [y, cb, cr] = components;
                    let chroma_ok = (cb.h, cb.v, cr.h, cr.v) == (1, 1, 1, 1);
                    let luma_ok = matches!((y.h, y.v), (1, 1) | (2, 1) | (2, 2));
                    // libjpeg reads components named R, G, B as RGB.
                    let rgb = adobe_rgb || (y.id, cb.id, cr.id) == (b'R', b'G', b'B');
                    if !chroma_ok || !luma_ok || rgb {
                        return Ok(None);
                    }
                    (y.h, y.v)
                };
                return Ok(Some(Frame {
                    width,
                    height,
                    components,
                    count,
                    hmax,
                    vmax,
                    restart_interval,
                    data: if progressive { pos } else { pos + len },
                    quant,
                    progressive,
                    built,
                }));
            }
            0xD9 => return Ok(None),
            _ => {}
        }
        pos += len;
    }
}

/// Builds the Huffman tables of a DHT segment into `scratch`.
pub(super) fn read_dht(
    segment: &[u8],
    scratch: &mut Scratch,
    built: &mut [[bool; 4]; 2],
) -> Result<(), DecodeError> {
    let mut rest = segment;
    while let [class_id, ref tail @ ..] = *rest {
        let (class, id) = (usize::from(class_id >> 4), usize::from(class_id & 15));
        let Some(counts) = tail.get(..16) else {
            return Err(corrupt("a Huffman table is cut"));
        };
        let counts: [u8; 16] = std::array::from_fn(|i| counts[i]);
        let n: usize = counts.iter().map(|&c| usize::from(c)).sum();
        let Some(symbols) = tail.get(16..16 + n) else {
            return Err(corrupt("a Huffman table is cut"));
        };
        if class > 1 || id > 3 {
            return Err(corrupt("a Huffman table with a bad class or number"));
        }
        let table = if class == 0 {
            &mut scratch.dc[id]
        } else {
            &mut scratch.ac[id]
        };
        table.build(&counts, symbols, class == 1).map_err(corrupt)?;
        built[class][id] = true;
        rest = &tail[16 + n..];
    }
    Ok(())
}

/// Reads the quantisation tables of a DQT segment, in natural order.
pub(super) fn read_dqt(
    segment: &[u8],
    quant: &mut [[i32; 64]; 4],
    have: &mut [bool; 4],
) -> Result<(), DecodeError> {
    let mut rest = segment;
    while let [precision_id, ref tail @ ..] = *rest {
        let (wide, id) = (precision_id >> 4 != 0, usize::from(precision_id & 15));
        let bytes_per = if wide { 2 } else { 1 };
        let Some(values) = tail.get(..64 * bytes_per) else {
            return Err(corrupt("a quantisation table is cut"));
        };
        if id > 3 {
            return Err(corrupt("a quantisation table with a bad number"));
        }
        for (k, &natural) in NATURAL.iter().enumerate() {
            quant[id][natural] = if wide {
                i32::from(u16::from_be_bytes([values[2 * k], values[2 * k + 1]]))
            } else {
                i32::from(values[k])
            };
        }
        have[id] = true;
        rest = &tail[64 * bytes_per..];
    }
    Ok(())
}

/// The side of component `comp`'s blocks when luma blocks shrink to
/// `luma` samples: libjpeg-turbo grows a subsampled component's blocks
/// (up to 8) while that still divides evenly, so that 4:2:0 chroma at
/// scale 1/2 decodes 8x8 and needs no upsampling.
fn block_side(frame: &Frame, comp: &Component, luma: usize) -> usize {
    let mut side = luma;
    while side < 8
        && (frame.hmax * luma).is_multiple_of(comp.h * side * 2)
        && (frame.vmax * luma).is_multiple_of(comp.v * side * 2)
    {
        side *= 2;
    }
    side
}

/// Decodes `region` of `bytes` at scale `1 / scale` (1, 2, 4 or 8, as
/// libjpeg-turbo's `scale_denom`: reduced inverse DCTs, the image
/// `ceil(width / scale)` wide) as RGB into `out`, and returns the stored
/// region delivered: `region` widened to multiples of `scale` (clipped to
/// the image), its pixels `3 * ceil(width / scale) * ceil(height / scale)`
/// bytes of `out`. `Ok(None)`, without touching `out`, when the file is
/// not one this decoder takes.
pub(super) fn decode(
    bytes: &[u8],
    region: Region,
    scale: usize,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> Result<Option<Region>, DecodeError> {
    let Some(frame) = parse(bytes, scratch)? else {
        return Ok(None);
    };
    let (rx, ry) = (region.x as usize, region.y as usize);
    let (rx1, ry1) = (rx + region.width as usize, ry + region.height as usize);
    if region.width == 0 || region.height == 0 || rx1 > frame.width || ry1 > frame.height {
        return Err(corrupt("the region is not inside the frame"));
    }
    if !matches!(scale, 1 | 2 | 4 | 8) {
        return Err(corrupt("the scale is not 1, 2, 4 or 8"));
    }
    // From here on, sizes are the scaled image's.
    let (image_w, image_h) = (frame.width.div_ceil(scale), frame.height.div_ceil(scale));
    let (x0, y0) = (rx / scale, ry / scale);
    let (x1, y1) = (rx1.div_ceil(scale), ry1.div_ceil(scale));
    let delivered = Region {
        x: (x0 * scale) as u32,
        y: (y0 * scale) as u32,
        width: ((x1 * scale).min(frame.width) - x0 * scale) as u32,
        height: ((y1 * scale).min(frame.height) - y0 * scale) as u32,
    };
    let luma_side = 8 / scale;
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
        for my in 0..my1 {
            let keep_row = my >= my0;
            if keep_row {
                for c in 0..frame.count {
                    scratch.coefficients[c].fill(0);
                }
            }
            // The last row stops after the region's last MCU.
            let last_mx = if my + 1 == my1 { mx1 } else { mcus_x };
            for mx in 0..last_mx {
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
                let keep = keep_row && (mx0..mx1).contains(&mx);
                for (c, comp) in components.iter().enumerate() {
                    let (dc, ac) = (&scratch.dc[comp.dc], &scratch.ac[comp.ac]);
                    for by in 0..comp.v {
                        for bx in 0..comp.h {
                            if !keep {
                                bits.skip_block(dc, ac, &mut predictors[c]);
                                continue;
                            }
                            let column = (mx - mx0) * comp.h + bx;
                            let base = (by * groups[c] + column / LANES) * GROUP + column % LANES;
                            let Some(block) = scratch.coefficients[c]
                                .get_mut(base..base + 63 * LANES + 1)
                                .and_then(|b| <&mut [i16; 63 * LANES + 1]>::try_from(b).ok())
                            else {
                                return Err(corrupt("a block outside the coefficient rows"));
                            };
                            bits.block(dc, ac, &mut predictors[c], |k, value| {
                                // Natural order, as the IDCT reads it; the
                                // masks prove the index in bounds.
                                block[(NATURAL[k & 63] & 63) * LANES] = value as i16;
                            });
                        }
                    }
                }
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
                if side == 8 {
                    idct::row_of_blocks(self.isa, coeffs, &quant[c], plane, stride);
                } else {
                    idct::row_of_reduced_blocks(self.isa, side, coeffs, &quant[c], plane, stride);
                }
            }
        }
        Ok(())
    }
}

/// Where the decoded planes sit, for the output stage.
struct Geometry {
    /// Chroma upsampling factors (1 or 2 per axis).
    factors: (usize, usize),
    /// libjpeg-turbo's fancy (triangle) upsampling, or replication.
    fancy: bool,
    /// Image coordinates of the luma and chroma planes' first samples.
    luma_origin: (usize, usize),
    chroma_origin: (usize, usize),
    /// The chroma image's size (libjpeg's `downsampled_width` and height).
    chroma_size: (usize, usize),
}

/// The output stage's inputs, so that it runs as one function compiled
/// for the chosen instruction set (a closure called from the dispatcher
/// would not be).
struct Output<'a> {
    geometry: Geometry,
    scratch: &'a mut Scratch,
    area: (usize, usize, usize, usize),
    chroma_stride: usize,
    luma_stride: usize,
    out: &'a mut [u8],
}

impl Output<'_> {
    #[inline(always)]
    fn run(self) -> Result<(), DecodeError> {
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
