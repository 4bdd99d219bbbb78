//! Chroma upsampling and YCbCr to RGB, in libjpeg's integer arithmetic
//! (libjpeg-turbo's defaults, so Pillow's and torchvision's):
//!
//! - "fancy" upsampling: each output sample is `3/4` of the nearer input
//!   sample and `1/4` of the next one (triangle filter), horizontally for
//!   2x1 subsampling and in both directions for 2x2 (column sums of
//!   `3 * nearer row + further row` first, then the same horizontally with
//!   the rounding constants 8 and 7 alternating); at the image's edges the
//!   edge sample stands in for its missing neighbour;
//! - colour: `R = Y + round(1.402 Cr')`, `G = Y + ((-0.34414 Cb' -
//!   0.71414 Cr') + 1/2 ) >> 16` and `B = Y + round(1.772 Cb')` in 16-bit
//!   fixed point (`Cb' = Cb - 128`), clamped to 0..=255.

const SCALE_BITS: u32 = 16;
const ONE_HALF: i32 = 1 << (SCALE_BITS - 1);

const fn fix(x: f64) -> i32 {
    (x * (1 << SCALE_BITS) as f64 + 0.5) as i32
}

const CR_R: i32 = fix(1.40200);
const CB_B: i32 = fix(1.77200);
const CR_G: i32 = fix(0.71414);
const CB_G: i32 = fix(0.34414);

/// Interleaved RGB from full-resolution Y, Cb and Cr rows.
#[inline(always)]
pub(super) fn ycc_to_rgb(y: &[u8], cb: &[u8], cr: &[u8], out: &mut [u8]) {
    for (((px, &y), &cb), &cr) in out.chunks_exact_mut(3).zip(y).zip(cb).zip(cr) {
        let (y, cb, cr) = (i32::from(y), i32::from(cb) - 128, i32::from(cr) - 128);
        let r = y + ((CR_R * cr + ONE_HALF) >> SCALE_BITS);
        let g = y + ((-CB_G * cb - CR_G * cr + ONE_HALF) >> SCALE_BITS);
        let b = y + ((CB_B * cb + ONE_HALF) >> SCALE_BITS);
        px[0] = r.clamp(0, 255) as u8;
        px[1] = g.clamp(0, 255) as u8;
        px[2] = b.clamp(0, 255) as u8;
    }
}

/// Interleaved RGB from a gray row.
#[inline(always)]
pub(super) fn gray_to_rgb(y: &[u8], out: &mut [u8]) {
    for (px, &v) in out.chunks_exact_mut(3).zip(y) {
        px.fill(v);
    }
}

/// Horizontal fancy upsampling by 2 of `sums` (input samples scaled by
/// `weight`, 1 for 2x1 and 4 for 2x2 column sums), which hold one
/// neighbour on each side of the samples to upsample (the edge sample
/// repeated where the image ends): `out[2i]` and `out[2i + 1]` come from
/// `sums[i + 1]` with its left and right neighbour.
#[inline(always)]
pub(super) fn upsample_h2(sums: &[i32], weight: i32, out: &mut [u8]) {
    // Rounding as libjpeg: 1 and 2 over 4 for 2x1; 8 and 7 over 16 for 2x2.
    let (shift, even, odd) = if weight == 1 { (2, 1, 2) } else { (4, 8, 7) };
    for (pair, w) in out.chunks_exact_mut(2).zip(sums.windows(3)) {
        let near = 3 * w[1];
        pair[0] = ((near + w[0] + even) >> shift) as u8;
        pair[1] = ((near + w[2] + odd) >> shift) as u8;
    }
}

/// `3 * nearer + further`, the vertical step of 2x2 fancy upsampling.
#[inline(always)]
pub(super) fn column_sums(nearer: &[u8], further: &[u8], out: &mut [i32]) {
    for ((o, &a), &b) in out.iter_mut().zip(nearer).zip(further) {
        *o = 3 * i32::from(a) + i32::from(b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_matches_the_exact_conversion_within_rounding() {
        for (y, cb, cr) in [
            (0u8, 0u8, 0u8),
            (255, 255, 255),
            (128, 128, 128),
            (76, 85, 255),
            (150, 44, 21),
        ] {
            let mut px = [0u8; 3];
            ycc_to_rgb(&[y], &[cb], &[cr], &mut px);
            let (yf, cbf, crf) = (f64::from(y), f64::from(cb) - 128.0, f64::from(cr) - 128.0);
            let exact = [
                yf + 1.402 * crf,
                yf - 0.34414 * cbf - 0.71414 * crf,
                yf + 1.772 * cbf,
            ];
            for (got, want) in px.iter().zip(exact) {
                assert!(
                    (f64::from(*got) - want.clamp(0.0, 255.0)).abs() <= 0.5 + 1e-9,
                    "{px:?} vs {exact:?}"
                );
            }
        }
        // Neutral chroma leaves gray exactly.
        for y in 0..=255u8 {
            let mut px = [0u8; 3];
            ycc_to_rgb(&[y], &[128], &[128], &mut px);
            assert_eq!(px, [y; 3]);
        }
    }

    #[test]
    fn fancy_upsampling_weighs_the_nearer_sample_three_quarters() {
        // 2x1: samples 0 and 100, edges repeated.
        let mut out = [0u8; 4];
        upsample_h2(&[0, 0, 100, 100], 1, &mut out);
        assert_eq!(out, [0, 25, 75, 100]);
        // 2x2: column sums of a flat 40 are 160; flat stays flat.
        let mut out = [0u8; 4];
        upsample_h2(&[160; 4], 4, &mut out);
        assert_eq!(out, [40; 4]);
        let mut sums = [0i32; 3];
        column_sums(&[10, 20, 30], &[50, 60, 70], &mut sums);
        assert_eq!(sums, [80, 120, 160]);
    }
}
