use super::*;
use proptest::prelude::*;

/// The exact inverse DCT of one block (JPEG's definition, A.3.3), in f64.
fn exact(coefficients: &[i32; 64]) -> [f64; 64] {
    let c = |u: usize| {
        if u == 0 {
            std::f64::consts::FRAC_1_SQRT_2
        } else {
            1.0
        }
    };
    let mut out = [0.0; 64];
    for y in 0..8 {
        for x in 0..8 {
            let mut s = 0.0;
            for v in 0..8 {
                for u in 0..8 {
                    s += c(u)
                        * c(v)
                        * f64::from(coefficients[v * 8 + u])
                        * ((2 * x + 1) as f64 * u as f64 * std::f64::consts::PI / 16.0).cos()
                        * ((2 * y + 1) as f64 * v as f64 * std::f64::consts::PI / 16.0).cos();
                }
            }
            out[y * 8 + x] = s / 4.0 + 128.0;
        }
    }
    out
}

fn run(isa: Isa, blocks: &[[i16; 64]; LANES], quant: &[i32; 64]) -> Vec<u8> {
    let mut group = vec![0i16; GROUP];
    for (b, block) in blocks.iter().enumerate() {
        for k in 0..64 {
            group[k * LANES + b] = block[k];
        }
    }
    let stride = 8 * LANES + 3;
    let mut out = vec![0u8; 8 * stride];
    row_of_blocks(isa, 8, &group, quant, &mut out, stride);
    out
}

fn blocks_strategy() -> impl Strategy<Value = ([[i16; 64]; LANES], [i32; 64])> {
    // Coefficients as an encoder of 8-bit samples makes them: DC within
    // ±1024, AC within ±1023 after dequantisation, mostly small.
    let block = prop::collection::vec(
        prop_oneof![3 => Just(0i16), 2 => -20i16..=20, 1 => -120i16..=120],
        64,
    );
    (
        prop::collection::vec(block, LANES),
        prop::collection::vec(1i32..=8, 64),
    )
        .prop_map(|(blocks, quant)| {
            let mut b = [[0i16; 64]; LANES];
            for (dst, src) in b.iter_mut().zip(blocks) {
                dst.copy_from_slice(&src);
            }
            let mut q = [0i32; 64];
            q.copy_from_slice(&quant);
            (b, q)
        })
}

proptest! {
    #[test]
    fn every_path_gives_the_scalar_bits((blocks, quant) in blocks_strategy()) {
        let reference = run(Isa::Scalar, &blocks, &quant);
        for isa in Isa::available() {
            prop_assert_eq!(&run(isa, &blocks, &quant), &reference, "{}", isa.name());
        }
    }

    #[test]
    fn samples_stay_within_one_level_of_the_exact_transform((blocks, quant) in blocks_strategy()) {
        let out = run(Isa::Scalar, &blocks, &quant);
        let stride = 8 * LANES + 3;
        for (b, block) in blocks.iter().enumerate() {
            let dequantised: [i32; 64] = std::array::from_fn(|k| i32::from(block[k]) * quant[k]);
            let exact = exact(&dequantised);
            for y in 0..8 {
                for x in 0..8 {
                    let want = exact[y * 8 + x].clamp(0.0, 255.0);
                    let got = f64::from(out[y * stride + 8 * b + x]);
                    prop_assert!((got - want).abs() <= 1.0, "block {b} ({x}, {y}): {got} vs {want}");
                }
            }
        }
    }
}

/// The reduced transforms' outputs: each is an average of adjacent
/// samples of the exact 8x8 inverse DCT (pairs for 4x4, quads for 2x2,
/// all 64 for 1x1), up to the rounding of 13-bit constants.
fn reduced_run(isa: Isa, size: usize, blocks: &[[i16; 64]; LANES], quant: &[i32; 64]) -> Vec<u8> {
    let mut group = vec![0i16; GROUP];
    for (b, block) in blocks.iter().enumerate() {
        for k in 0..64 {
            group[k * LANES + b] = block[k];
        }
    }
    let stride = size * LANES + 3;
    let mut out = vec![0u8; size * stride];
    row_of_blocks(isa, size, &group, quant, &mut out, stride);
    out
}

proptest! {
    #[test]
    fn every_path_gives_the_scalar_bits_when_reduced(
        (blocks, quant) in blocks_strategy(),
        size in 1usize..=7,
    ) {
        let reference = reduced_run(Isa::Scalar, size, &blocks, &quant);
        for isa in Isa::available() {
            prop_assert_eq!(&reduced_run(isa, size, &blocks, &quant), &reference, "{}", isa.name());
        }
    }

    #[test]
    fn reduced_samples_are_block_means_of_the_exact_transform(
        (blocks, quant) in blocks_strategy(),
        size in prop_oneof![Just(4usize), Just(2), Just(1)],
    ) {
        let out = reduced_run(Isa::Scalar, size, &blocks, &quant);
        let stride = size * LANES + 3;
        let n = 8 / size;
        for (b, block) in blocks.iter().enumerate() {
            let dequantised: [i32; 64] = std::array::from_fn(|k| i32::from(block[k]) * quant[k]);
            let exact = exact(&dequantised);
            for y in 0..size {
                for x in 0..size {
                    let mut sum = 0.0;
                    for yy in 0..n {
                        for xx in 0..n {
                            sum += exact[(y * n + yy) * 8 + x * n + xx];
                        }
                    }
                    let want = (sum / (n * n) as f64).clamp(0.0, 255.0);
                    let got = f64::from(out[y * stride + size * b + x]);
                    // The 1x1 transform is exact up to its one rounding.
                    let tolerance = if size == 1 { 0.5 + 1e-9 } else { 1.0 };
                    prop_assert!((got - want).abs() <= tolerance, "size {size} block {b} ({x}, {y}): {got} vs {want}");
                }
            }
        }
    }
}

/// The exact `n`-point inverse DCT of a block's `n x n` lowest
/// frequencies, scaled as the 8-point one (a flat block at DC / 8).
fn exact_n_point(coefficients: &[i32; 64], n: usize) -> Vec<f64> {
    let c = |u: usize| {
        if u == 0 {
            1.0
        } else {
            std::f64::consts::SQRT_2
        }
    };
    let basis = |x: usize, u: usize| {
        c(u) * ((2 * x + 1) as f64 * u as f64 * std::f64::consts::PI / (2 * n) as f64).cos()
    };
    let mut out = vec![0.0; n * n];
    for y in 0..n {
        for x in 0..n {
            let mut s = 0.0;
            for v in 0..n {
                for u in 0..n {
                    s += f64::from(coefficients[v * 8 + u]) * basis(x, u) * basis(y, v);
                }
            }
            out[y * n + x] = s / 8.0 + 128.0;
        }
    }
    out
}

proptest! {
    #[test]
    fn scaled_samples_are_the_exact_transform_of_the_lowest_frequencies(
        (blocks, quant) in blocks_strategy(),
        size in prop_oneof![Just(7usize), Just(6), Just(5), Just(3)],
    ) {
        let out = reduced_run(Isa::Scalar, size, &blocks, &quant);
        let stride = size * LANES + 3;
        for (b, block) in blocks.iter().enumerate() {
            let dequantised: [i32; 64] = std::array::from_fn(|k| i32::from(block[k]) * quant[k]);
            let exact = exact_n_point(&dequantised, size);
            for y in 0..size {
                for x in 0..size {
                    let want = exact[y * size + x].clamp(0.0, 255.0);
                    let got = f64::from(out[y * stride + size * b + x]);
                    prop_assert!((got - want).abs() <= 1.0, "size {size} block {b} ({x}, {y}): {got} vs {want}");
                }
            }
        }
    }
}

#[test]
fn a_dc_only_block_is_flat_at_dc_over_eight_plus_128() {
    let mut blocks = [[0i16; 64]; LANES];
    for (b, block) in blocks.iter_mut().enumerate() {
        block[0] = (b as i16 - 4) * 100;
    }
    let out = run(Isa::selected(), &blocks, &[1; 64]);
    let stride = 8 * LANES + 3;
    for b in 0..LANES {
        // DESCALE((dc << 2), 5) = round(dc / 8) with halves up.
        let want = ((b as i32 - 4) * 100 + 4).div_euclid(8) + 128;
        for y in 0..8 {
            for x in 0..8 {
                assert_eq!(i32::from(out[y * stride + 8 * b + x]), want.clamp(0, 255));
            }
        }
    }
}
