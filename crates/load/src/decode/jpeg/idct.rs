//! The inverse DCT of eight blocks at a time, in the integer arithmetic
//! of libjpeg's "islow" method (`JDCT_ISLOW`, the default of libjpeg-turbo
//! and so of Pillow and torchvision): the Loeffler–Ligtenberg–Moschytz
//! factorisation with 13-bit constants, columns first with two extra bits
//! of precision (`PASS1_BITS`), then rows, each pass rounding once by
//! adding half before an arithmetic shift; samples clamped to 0..=255
//! after the +128 level shift, as libjpeg-turbo's SIMD paths clamp.
//!
//! Blocks are processed in groups of [`LANES`] with one block per vector
//! lane: the group's coefficients are stored coefficient-major
//! (coefficient `k` of block `b` at `k * LANES + b`), so both passes are
//! plain lane-wise arithmetic with no transposes, written once as array
//! code that each instruction set's build vectorises
//! ([`augment::Isa::vectorize`]). Every path computes the same integers.

use augment::Isa;

/// Blocks per group.
pub(super) const LANES: usize = 8;

/// Coefficients of one group: 64 per block, coefficient-major.
pub(super) const GROUP: usize = 64 * LANES;

const CONST_BITS: u32 = 13;
const PASS1_BITS: u32 = 2;

/// `x` in 13-bit fixed point, rounded.
const fn fix(x: f64) -> i32 {
    (x * (1 << CONST_BITS) as f64 + 0.5) as i32
}

const F0_298: i32 = fix(0.298631336);
const F0_390: i32 = fix(0.390180644);
const F0_541: i32 = fix(0.541196100);
const F0_765: i32 = fix(0.765366865);
const F0_899: i32 = fix(0.899976223);
const F1_175: i32 = fix(1.175875602);
const F1_501: i32 = fix(1.501321110);
const F1_847: i32 = fix(1.847759065);
const F1_961: i32 = fix(1.961570560);
const F2_053: i32 = fix(2.053119869);
const F2_562: i32 = fix(2.562915447);
const F3_072: i32 = fix(3.072711026);

/// `(a + 2^(n-1)) >> n`, libjpeg's `DESCALE`.
#[inline(always)]
fn descale(a: i32, n: u32) -> i32 {
    a.wrapping_add(1 << (n - 1)) >> n
}

/// One 1-D inverse DCT of eight inputs, before the final descaling:
/// outputs scaled by `2^CONST_BITS`. Wrapping arithmetic: damaged data
/// gives some values, never an overflow.
#[inline(always)]
fn idct_1d(s: [i32; 8]) -> [i32; 8] {
    // Even part: the rotation by sqrt(2)·c6 on inputs 2 and 6.
    let z1 = s[2].wrapping_add(s[6]).wrapping_mul(F0_541);
    let tmp2 = z1.wrapping_add(s[6].wrapping_mul(-F1_847));
    let tmp3 = z1.wrapping_add(s[2].wrapping_mul(F0_765));
    let tmp0 = s[0].wrapping_add(s[4]).wrapping_shl(CONST_BITS);
    let tmp1 = s[0].wrapping_sub(s[4]).wrapping_shl(CONST_BITS);
    let tmp10 = tmp0.wrapping_add(tmp3);
    let tmp13 = tmp0.wrapping_sub(tmp3);
    let tmp11 = tmp1.wrapping_add(tmp2);
    let tmp12 = tmp1.wrapping_sub(tmp2);
    // Odd part: inputs 7, 5, 3, 1.
    let (o0, o1, o2, o3) = (s[7], s[5], s[3], s[1]);
    let z1 = o0.wrapping_add(o3);
    let z2 = o1.wrapping_add(o2);
    let z3 = o0.wrapping_add(o2);
    let z4 = o1.wrapping_add(o3);
    let z5 = z3.wrapping_add(z4).wrapping_mul(F1_175);
    let o0 = o0.wrapping_mul(F0_298);
    let o1 = o1.wrapping_mul(F2_053);
    let o2 = o2.wrapping_mul(F3_072);
    let o3 = o3.wrapping_mul(F1_501);
    let z1 = z1.wrapping_mul(-F0_899);
    let z2 = z2.wrapping_mul(-F2_562);
    let z3 = z3.wrapping_mul(-F1_961).wrapping_add(z5);
    let z4 = z4.wrapping_mul(-F0_390).wrapping_add(z5);
    let o0 = o0.wrapping_add(z1).wrapping_add(z3);
    let o1 = o1.wrapping_add(z2).wrapping_add(z4);
    let o2 = o2.wrapping_add(z2).wrapping_add(z3);
    let o3 = o3.wrapping_add(z1).wrapping_add(z4);
    [
        tmp10.wrapping_add(o3),
        tmp11.wrapping_add(o2),
        tmp12.wrapping_add(o1),
        tmp13.wrapping_add(o0),
        tmp13.wrapping_sub(o0),
        tmp12.wrapping_sub(o1),
        tmp11.wrapping_sub(o2),
        tmp10.wrapping_sub(o3),
    ]
}

/// The inverse DCT of one group: `coefficients` (quantised, natural
/// order, coefficient-major), dequantised by `quant` (natural order),
/// written as [`LANES`] 8x8 blocks side by side: row `y` of block `b` at
/// `out[y * stride + 8 * b..][..8]`.
///
/// Each pass is a loop over the blocks whose body is the scalar
/// transform: the compiler vectorises it across blocks (one lane each).
#[inline(always)]
fn group(coefficients: &[i16; GROUP], quant: &[i32; 64], out: &mut [u8], stride: usize) {
    // Pass 1: columns, into a workspace with PASS1_BITS more bits,
    // coefficient-major like the input.
    let mut work = [0i32; GROUP];
    for u in 0..8 {
        for b in 0..LANES {
            let input = |v: usize| {
                let k = v * 8 + u;
                i32::from(coefficients[k * LANES + b]).wrapping_mul(quant[k])
            };
            let column = idct_1d([
                input(0),
                input(1),
                input(2),
                input(3),
                input(4),
                input(5),
                input(6),
                input(7),
            ]);
            for (y, value) in column.into_iter().enumerate() {
                work[(y * 8 + u) * LANES + b] = descale(value, CONST_BITS - PASS1_BITS);
            }
        }
    }
    // Pass 2: rows, to samples, then each row of the group stored block
    // by block.
    for y in 0..8 {
        let mut samples = [[0u8; LANES]; 8];
        for b in 0..LANES {
            let w = |u: usize| work[(y * 8 + u) * LANES + b];
            let row = idct_1d([w(0), w(1), w(2), w(3), w(4), w(5), w(6), w(7)]);
            for (x, value) in row.into_iter().enumerate() {
                let v = descale(value, CONST_BITS + PASS1_BITS + 3);
                samples[x][b] = (v.wrapping_add(128)).clamp(0, 255) as u8;
            }
        }
        let Some(line) = out.get_mut(y * stride..y * stride + 8 * LANES) else {
            return;
        };
        for (b, block) in line.chunks_exact_mut(8).enumerate() {
            for (x, px) in block.iter_mut().enumerate() {
                *px = samples[x][b];
            }
        }
    }
}

/// One row of blocks' groups and where their samples go.
struct Groups<'a> {
    /// Samples per block side: 8, or 1 to 7 for the reduced transforms.
    size: usize,
    coefficients: &'a [i16],
    quant: &'a [i32; 64],
    out: &'a mut [u8],
    stride: usize,
}

impl Groups<'_> {
    #[inline(always)]
    fn run(self) {
        for (g, chunk) in self.coefficients.chunks_exact(GROUP).enumerate() {
            let Ok(chunk) = <&[i16; GROUP]>::try_from(chunk) else {
                return;
            };
            let Some(out) = self.out.get_mut(g * self.size * LANES..) else {
                return;
            };
            if self.size == 8 {
                group(chunk, self.quant, out, self.stride);
            } else {
                reduced_group(self.size, chunk, self.quant, out, self.stride);
            }
        }
    }
}

impl pulp::WithSimd for Groups<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        self.run()
    }
}

/// Inverse DCT of the groups in `coefficients` (a whole number of
/// [`GROUP`]s) into one row of blocks of `size x size` samples (8 for the
/// full transform; 1 to 7 for the reduced ones of a scaled decode):
/// group `g`'s blocks at columns `size * LANES * g..`, `size` rows of
/// `out` at `stride`, on `isa`'s path.
pub(super) fn row_of_blocks(
    isa: Isa,
    size: usize,
    coefficients: &[i16],
    quant: &[i32; 64],
    out: &mut [u8],
    stride: usize,
) {
    let op = Groups {
        size,
        coefficients,
        quant,
        out,
        stride,
    };
    match isa {
        Isa::Scalar => op.run(),
        _ => isa.vectorize(op),
    }
}

const F0_211: i32 = fix(0.211164243);
const F0_509: i32 = fix(0.509795579);
const F0_601: i32 = fix(0.601344887);
const F0_720: i32 = fix(0.720959822);
const F0_850: i32 = fix(0.850430095);
const F1_061: i32 = fix(1.061594337);
const F1_272: i32 = fix(1.272758580);
const F1_451: i32 = fix(1.451774981);
const F2_172: i32 = fix(2.172734803);
const F3_624: i32 = fix(3.624509785);

/// A sample from a row-pass value scaled by `2^n`: descaled, level
/// shifted and clamped as the full transform's.
#[inline(always)]
fn sample(value: i32, n: u32) -> u8 {
    descale(value, n).wrapping_add(128).clamp(0, 255) as u8
}

/// libjpeg's 8-to-4 step: the four averages of adjacent pairs of the
/// 8-point inverse DCT of `s`, scaled by `2^(CONST_BITS + 1)` (input 4
/// is not needed).
#[inline(always)]
fn reduce_4(s: [i32; 8]) -> [i32; 4] {
    let tmp0 = s[0].wrapping_shl(CONST_BITS + 1);
    let tmp2 = s[2]
        .wrapping_mul(F1_847)
        .wrapping_add(s[6].wrapping_mul(-F0_765));
    let (tmp10, tmp12) = (tmp0.wrapping_add(tmp2), tmp0.wrapping_sub(tmp2));
    let (z1, z2, z3, z4) = (s[7], s[5], s[3], s[1]);
    let odd0 = z1
        .wrapping_mul(-F0_211)
        .wrapping_add(z2.wrapping_mul(F1_451))
        .wrapping_add(z3.wrapping_mul(-F2_172))
        .wrapping_add(z4.wrapping_mul(F1_061));
    let odd2 = z1
        .wrapping_mul(-F0_509)
        .wrapping_add(z2.wrapping_mul(-F0_601))
        .wrapping_add(z3.wrapping_mul(F0_899))
        .wrapping_add(z4.wrapping_mul(F2_562));
    [
        tmp10.wrapping_add(odd2),
        tmp12.wrapping_add(odd0),
        tmp12.wrapping_sub(odd0),
        tmp10.wrapping_sub(odd2),
    ]
}

/// libjpeg's 8-to-2 step: the two averages of four outputs, scaled by
/// `2^(CONST_BITS + 2)` (only inputs 0 and the odd ones are needed).
#[inline(always)]
fn reduce_2(s: [i32; 8]) -> [i32; 2] {
    let tmp10 = s[0].wrapping_shl(CONST_BITS + 2);
    let tmp0 = s[7]
        .wrapping_mul(-F0_720)
        .wrapping_add(s[5].wrapping_mul(F0_850))
        .wrapping_add(s[3].wrapping_mul(-F1_272))
        .wrapping_add(s[1].wrapping_mul(F3_624));
    [tmp10.wrapping_add(tmp0), tmp10.wrapping_sub(tmp0)]
}

const F0_077: i32 = fix(0.077722536);
const F0_170: i32 = fix(0.170262339);
const F0_314: i32 = fix(0.314692123);
const F0_353: i32 = fix(0.353553391);
const F0_366: i32 = fix(0.366025404);
const F0_513: i32 = fix(0.513743148);
const F0_613: i32 = fix(0.613604268);
const F0_707: i32 = fix(std::f64::consts::FRAC_1_SQRT_2);
const F0_790: i32 = fix(0.790569415);
const F0_831: i32 = fix(0.831253876);
const F0_881: i32 = fix(0.881747734);
const F0_935: i32 = fix(0.935414347);
const F1_224: i32 = fix(1.224744871);
const F1_274: i32 = fix(1.274162392);
const F1_378: i32 = fix(1.378756276);
const F1_414: i32 = fix(std::f64::consts::SQRT_2);
const F1_841: i32 = fix(1.841218003);
const F1_870: i32 = fix(1.870828693);
const F2_176: i32 = fix(2.176250899);
const F2_470: i32 = fix(2.470602249);

/// libjpeg's 7-point inverse DCT (`jpeg_idct_7x7`, jidctint.c) of inputs
/// 0..7, scaled as [`idct_1d`]'s outputs; `cK` is `sqrt(2) cos(K pi / 14)`.
#[inline(always)]
fn idct_7(s: [i32; 8]) -> [i32; 7] {
    let dc = s[0].wrapping_shl(CONST_BITS);
    let (z1, z2, z3) = (s[2], s[4], s[6]);
    let c4 = z2.wrapping_sub(z3).wrapping_mul(F0_881);
    let c6 = z1.wrapping_sub(z2).wrapping_mul(F0_314);
    let tmp11 = c4
        .wrapping_add(c6)
        .wrapping_add(dc)
        .wrapping_sub(z2.wrapping_mul(F1_841));
    let sum = z1.wrapping_add(z3);
    let c2 = sum.wrapping_mul(F1_274).wrapping_add(dc);
    let tmp10 = c4.wrapping_add(c2).wrapping_sub(z3.wrapping_mul(F0_077));
    let tmp12 = c6.wrapping_add(c2).wrapping_sub(z1.wrapping_mul(F2_470));
    let tmp13 = dc.wrapping_add(z2.wrapping_sub(sum).wrapping_mul(F1_414));
    let (z1, z2, z3) = (s[1], s[3], s[5]);
    let a = z1.wrapping_add(z2).wrapping_mul(F0_935);
    let b = z1.wrapping_sub(z2).wrapping_mul(F0_170);
    let c1 = z2.wrapping_add(z3).wrapping_mul(-F1_378);
    let c5 = z1.wrapping_add(z3).wrapping_mul(F0_613);
    let odd0 = a.wrapping_sub(b).wrapping_add(c5);
    let odd1 = a.wrapping_add(b).wrapping_add(c1);
    let odd2 = c1.wrapping_add(c5).wrapping_add(z3.wrapping_mul(F1_870));
    [
        tmp10.wrapping_add(odd0),
        tmp11.wrapping_add(odd1),
        tmp12.wrapping_add(odd2),
        tmp13,
        tmp12.wrapping_sub(odd2),
        tmp11.wrapping_sub(odd1),
        tmp10.wrapping_sub(odd0),
    ]
}

/// libjpeg's 6-point inverse DCT (`jpeg_idct_6x6`) of inputs 0..6, scaled
/// as [`idct_1d`]'s outputs; `cK` is `sqrt(2) cos(K pi / 12)`.
#[inline(always)]
fn idct_6(s: [i32; 8]) -> [i32; 6] {
    let dc = s[0].wrapping_shl(CONST_BITS);
    let c4 = s[4].wrapping_mul(F0_707);
    let even = dc.wrapping_add(c4);
    let tmp11 = dc.wrapping_sub(c4).wrapping_sub(c4);
    let c2 = s[2].wrapping_mul(F1_224);
    let (tmp10, tmp12) = (even.wrapping_add(c2), even.wrapping_sub(c2));
    let (z1, z2, z3) = (s[1], s[3], s[5]);
    let c5 = z1.wrapping_add(z3).wrapping_mul(F0_366);
    let odd0 = c5.wrapping_add(z1.wrapping_add(z2).wrapping_shl(CONST_BITS));
    let odd2 = c5.wrapping_add(z3.wrapping_sub(z2).wrapping_shl(CONST_BITS));
    let odd1 = z1
        .wrapping_sub(z2)
        .wrapping_sub(z3)
        .wrapping_shl(CONST_BITS);
    [
        tmp10.wrapping_add(odd0),
        tmp11.wrapping_add(odd1),
        tmp12.wrapping_add(odd2),
        tmp12.wrapping_sub(odd2),
        tmp11.wrapping_sub(odd1),
        tmp10.wrapping_sub(odd0),
    ]
}

/// libjpeg's 5-point inverse DCT (`jpeg_idct_5x5`) of inputs 0..5, scaled
/// as [`idct_1d`]'s outputs; `cK` is `sqrt(2) cos(K pi / 10)`.
#[inline(always)]
fn idct_5(s: [i32; 8]) -> [i32; 5] {
    let dc = s[0].wrapping_shl(CONST_BITS);
    let z1 = s[2].wrapping_add(s[4]).wrapping_mul(F0_790);
    let z2 = s[2].wrapping_sub(s[4]).wrapping_mul(F0_353);
    let z3 = dc.wrapping_add(z2);
    let (tmp10, tmp11) = (z3.wrapping_add(z1), z3.wrapping_sub(z1));
    let tmp12 = dc.wrapping_sub(z2.wrapping_shl(2));
    let (z2, z3) = (s[1], s[3]);
    let c3 = z2.wrapping_add(z3).wrapping_mul(F0_831);
    let odd0 = c3.wrapping_add(z2.wrapping_mul(F0_513));
    let odd1 = c3.wrapping_sub(z3.wrapping_mul(F2_176));
    [
        tmp10.wrapping_add(odd0),
        tmp11.wrapping_add(odd1),
        tmp12,
        tmp11.wrapping_sub(odd1),
        tmp10.wrapping_sub(odd0),
    ]
}

/// libjpeg's 3-point inverse DCT (`jpeg_idct_3x3`) of inputs 0..3, scaled
/// as [`idct_1d`]'s outputs; `cK` is `sqrt(2) cos(K pi / 6)`.
#[inline(always)]
fn idct_3(s: [i32; 8]) -> [i32; 3] {
    let dc = s[0].wrapping_shl(CONST_BITS);
    let c2 = s[2].wrapping_mul(F0_707);
    let tmp10 = dc.wrapping_add(c2);
    let c1 = s[1].wrapping_mul(F1_224);
    [
        tmp10.wrapping_add(c1),
        dc.wrapping_sub(c2).wrapping_sub(c2),
        tmp10.wrapping_sub(c1),
    ]
}

/// The reduced inverse DCT of one group of [`LANES`] blocks into blocks
/// of `size x size` samples (1 to 7), for a decode at scale `size / 8`:
/// libjpeg's `jpeg_idct_4x4`, `jpeg_idct_2x2` and `jpeg_idct_1x1`
/// (jidctred.c) for 4, 2 and 1, which average the full transform's
/// samples, and its `jpeg_idct_7x7`, `6x6`, `5x5` and `3x3` (jidctint.c)
/// for the others, the `size`-point transforms of the block's
/// `size x size` lowest frequencies. Block `b`'s samples go to
/// `out[y * stride + size * b..]`. As in [`group`], each pass is a loop
/// over the blocks whose body is the scalar transform, which each
/// instruction set's build vectorises.
#[inline(always)]
fn reduced_group(
    size: usize,
    coefficients: &[i16; GROUP],
    quant: &[i32; 64],
    out: &mut [u8],
    stride: usize,
) {
    match size {
        // Column 4 is not needed for 4x4 output; columns 2, 4, 6 not for 2x2.
        4 => reduced_passes(
            coefficients,
            quant,
            out,
            stride,
            [true, true, true, true, false, true, true, true],
            reduce_4,
            1,
        ),
        2 => reduced_passes(
            coefficients,
            quant,
            out,
            stride,
            [true, true, false, true, false, true, false, true],
            reduce_2,
            2,
        ),
        7 => reduced_passes(coefficients, quant, out, stride, first(7), idct_7, 0),
        6 => reduced_passes(coefficients, quant, out, stride, first(6), idct_6, 0),
        5 => reduced_passes(coefficients, quant, out, stride, first(5), idct_5, 0),
        3 => reduced_passes(coefficients, quant, out, stride, first(3), idct_3, 0),
        _ => {
            let Some(line) = out.get_mut(..LANES) else {
                return;
            };
            for (b, px) in line.iter_mut().enumerate() {
                *px = sample(i32::from(coefficients[b]).wrapping_mul(quant[0]), 3);
            }
        }
    }
}

/// The first `n` of the eight columns.
const fn first(n: usize) -> [bool; 8] {
    let mut columns = [false; 8];
    let mut u = 0;
    while u < n {
        columns[u] = true;
        u += 1;
    }
    columns
}

/// The two passes of a reduced transform to `N x N` samples: `reduce`
/// (libjpeg's 8-to-`N` step, its outputs scaled `2^shift` more than the
/// full transform's) on the `columns` it reads, then on each of the `N`
/// rows, one block per lane. The columns are a mask of constants, not a
/// list, so that once inlined the loops have fixed bounds and vectorise.
// The loops over `b` are the vectorised dimension: one block per lane,
// indexing several arrays by the lane.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
fn reduced_passes<const N: usize>(
    coefficients: &[i16; GROUP],
    quant: &[i32; 64],
    out: &mut [u8],
    stride: usize,
    columns: [bool; 8],
    reduce: impl Fn([i32; 8]) -> [i32; N],
    shift: u32,
) {
    let input = |k: usize, b: usize| i32::from(coefficients[k * LANES + b]).wrapping_mul(quant[k]);
    let mut work = [[[0i32; LANES]; 8]; N];
    for u in (0..8).filter(|&u| columns[u]) {
        for b in 0..LANES {
            let column = reduce(std::array::from_fn(|v| input(v * 8 + u, b)));
            for (y, value) in column.into_iter().enumerate() {
                work[y][u][b] = descale(value, CONST_BITS - PASS1_BITS + shift);
            }
        }
    }
    for (y, row) in work.iter().enumerate() {
        let mut samples = [[0u8; LANES]; N];
        for b in 0..LANES {
            let values = reduce(std::array::from_fn(|u| row[u][b]));
            for (x, value) in values.into_iter().enumerate() {
                samples[x][b] = sample(value, CONST_BITS + PASS1_BITS + 3 + shift);
            }
        }
        let Some(line) = out.get_mut(y * stride..y * stride + N * LANES) else {
            return;
        };
        for (b, block) in line.chunks_exact_mut(N).enumerate() {
            for (x, px) in block.iter_mut().enumerate() {
                *px = samples[x][b];
            }
        }
    }
}

#[cfg(test)]
mod tests;
