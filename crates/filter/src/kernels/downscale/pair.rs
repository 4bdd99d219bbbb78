//! Pixel-pair sums of interleaved `u8` rows, the step the integer box
//! downscale repeats `log2(kx)` times: output `c·j + ch` is
//! `row[2cj + ch] + row[2cj + c + ch]`, kept as a `u16` sum or divided by
//! `2^shift` and rounded half to even.
//!
//! Which code runs is a [`Pairing`], decided once per call from the
//! [`Isa`]: portable loops (compiled for the path's instruction set by the
//! caller's `Isa::vectorize`), the AVX-512 kernel on both AVX-512 paths,
//! and its VBMI variant for 2 x 1 means only on [`Isa::Avx512Vbmi`], so
//! `AUGMENT_FORCE_ISA=avx512` runs (and tests check) the kernel without
//! VBMI on a CPU that has it. Every path computes the same integers.

use super::operands::{Out, Row};
use geom::Isa;

/// The pixel-pair code a call uses. Only [`Pairing::for_isa`] makes one,
/// so holding an AVX-512 pairing proves the CPU has the features it needs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pairing(Kind);

#[derive(Clone, Copy, Debug)]
enum Kind {
    Portable,
    /// AVX-512 F/BW/VL, proven by the token.
    #[cfg(target_arch = "x86_64")]
    Avx512(pulp::x86::V4),
    /// AVX-512 F/BW/VL (the token) and VBMI (checked when made).
    #[cfg(target_arch = "x86_64")]
    Avx512Vbmi(pulp::x86::V4),
}

impl Pairing {
    /// The pairing for the `isa` path: a hand-written kernel only where the
    /// CPU has what that path names, portable loops otherwise.
    pub(crate) fn for_isa(isa: Isa) -> Pairing {
        #[cfg(target_arch = "x86_64")]
        if let Some(v4) = pulp::x86::V4::try_new() {
            match isa {
                Isa::Avx512Vbmi if isa.is_available() => return Pairing(Kind::Avx512Vbmi(v4)),
                Isa::Avx512 | Isa::Avx512Vbmi => return Pairing(Kind::Avx512(v4)),
                _ => {}
            }
        }
        let _ = isa;
        Pairing(Kind::Portable)
    }
}

/// `s / 2^shift` rounded half to even, for `s` below `2^16 - 2^shift`
/// (block sums of at most 256 `u8` values): what `f32` gives for the
/// exact quotient, without leaving integers.
#[inline(always)]
pub(crate) fn round_shift(s: u16, shift: u32) -> u16 {
    let half_minus_one = (1u16 << shift >> 1).wrapping_sub(1);
    (s + half_minus_one + ((s >> shift) & 1)) >> shift
}

/// Pairs up the first `2 * out.len()` values of an interleaved row of `c`
/// channels (1, 3 or 4) and stores them as `out` says.
#[inline(always)]
pub(crate) fn pair_up(pairing: Pairing, c: usize, row: Row<'_>, out: Out<'_>) {
    match pairing.0 {
        #[cfg(target_arch = "x86_64")]
        Kind::Avx512Vbmi(_) => match (row, out) {
            (Row::U8(bytes), Out::Means(means, 1)) => {
                // SAFETY: a `Kind::Avx512Vbmi` is only made by `for_isa`
                // with a V4 token (AVX-512 F/BW/VL) after
                // `Isa::Avx512Vbmi.is_available()` confirmed VBMI; the
                // kernel masks its loads and stores to `bytes` and `means`.
                unsafe { super::x86::pair_means_u8_vbmi(c, bytes, means) }
            }
            // SAFETY: as below: the V4 token proves AVX-512 F/BW/VL.
            (row, out) => unsafe { super::x86::pair_up_avx512(c, row, out) },
        },
        // SAFETY: a V4 token exists only on CPUs with AVX-512 F/BW/VL (pulp
        // checks them at run time before handing one out); the kernel masks
        // its loads and stores to `row` and `out`.
        #[cfg(target_arch = "x86_64")]
        Kind::Avx512(_) => unsafe { super::x86::pair_up_avx512(c, row, out) },
        Kind::Portable => match c {
            1 => pair_up_portable::<1>(row, out),
            3 => pair_up_portable::<3>(row, out),
            _ => pair_up_portable::<4>(row, out),
        },
    }
}

#[inline(always)]
fn pair_up_portable<const C: usize>(row: Row<'_>, out: Out<'_>) {
    // One loop per combination, so the element types are known inside
    // and the compiler can vectorise the fixed-stride pattern.
    match (row, out) {
        (Row::U8(row), Out::Sums(out)) => pair_loop::<u8, u16, C>(row, out, |s| s),
        (Row::U16(row), Out::Sums(out)) => pair_loop::<u16, u16, C>(row, out, |s| s),
        (Row::U8(row), Out::Means(out, shift)) => {
            pair_loop::<u8, u8, C>(row, out, |s| round_shift(s, shift) as u8)
        }
        (Row::U16(row), Out::Means(out, shift)) => {
            pair_loop::<u16, u8, C>(row, out, |s| round_shift(s, shift) as u8)
        }
    }
}

#[inline(always)]
fn pair_loop<V: Copy + Into<u16>, O, const C: usize>(
    row: &[V],
    out: &mut [O],
    finish: impl Fn(u16) -> O,
) {
    for (o, pair) in out.chunks_exact_mut(C).zip(row.chunks_exact(2 * C)) {
        for ch in 0..C {
            o[ch] = finish(pair[ch].into() + pair[ch + C].into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_shift_is_round_half_to_even_of_the_quotient() {
        for shift in 1..=8u32 {
            for s in 0..=(255u32 << shift) {
                let exact = (s as f32 / (1u32 << shift) as f32).round_ties_even() as u16;
                assert_eq!(round_shift(s as u16, shift), exact, "{s} >> {shift}");
            }
        }
    }

    #[test]
    fn pairings_follow_the_isa() {
        for isa in Isa::available() {
            let kind = Pairing::for_isa(isa).0;
            let name = format!("{kind:?}");
            let want = match isa {
                Isa::Avx512Vbmi => "Avx512Vbmi",
                Isa::Avx512 => "Avx512(",
                _ => "Portable",
            };
            assert!(name.starts_with(want), "{isa}: {name}");
        }
    }

    #[test]
    fn every_path_pairs_up_alike() {
        for c in [1usize, 3, 4] {
            for len in [0usize, 1, 7, 31, 32, 33, 63, 64, 65, 129, 600] {
                let pixels = len / 2;
                let row8: Vec<u8> = (0..2 * pixels * c + 5)
                    .map(|i| (i * 97 % 256) as u8)
                    .collect();
                let row16: Vec<u16> = row8.iter().map(|&v| u16::from(v) * 3).collect();
                let mut expected_sums = vec![0u16; pixels * c];
                let mut expected_means = vec![0u8; pixels * c];
                for j in 0..pixels {
                    for ch in 0..c {
                        let (a, b) = (2 * c * j + ch, 2 * c * j + c + ch);
                        expected_sums[c * j + ch] = row16[a] + row16[b];
                        let s = f32::from(row8[a]) + f32::from(row8[b]);
                        expected_means[c * j + ch] = (s * 0.5).round_ties_even() as u8;
                    }
                }
                for isa in Isa::available() {
                    let pairing = Pairing::for_isa(isa);
                    let mut sums = vec![0u16; pixels * c];
                    let mut means = vec![0u8; pixels * c];
                    pair_up(pairing, c, Row::U16(&row16), Out::Sums(&mut sums));
                    pair_up(pairing, c, Row::U8(&row8), Out::Means(&mut means, 1));
                    assert_eq!(sums, expected_sums, "{isa} c {c} len {len}");
                    assert_eq!(means, expected_means, "{isa} c {c} len {len}");
                }
            }
        }
    }
}
