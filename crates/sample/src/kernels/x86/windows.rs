//! The lookup route's (`kernels::lookup`) hand-written AVX2 step: a block
//! of output bytes shuffled out of a 32- or 64-byte window of its source
//! row.
//! An axis-aligned nearest map reads the same columns on every row, so
//! each block's shuffle is planned once per call (`lookup::Window`); a row
//! is then one load, one shuffle and one store per 16 output bytes, where
//! the pixel-by-pixel gather reads and writes each pixel.

use crate::kernels::lookup::Window;
use core::arch::x86_64::*;

/// Block `b` of `out` (`block_len` bytes from `b * block_len`) from its
/// `SPAN`-byte window of `row` (32 or 64), or by `other(b, out)` where it
/// has none. With `FILLS`, the bytes that no lane's control names (a
/// [`FILL`](crate::kernels::lookup) column's) are `fill`.
///
/// # Safety
///
/// The CPU has AVX2.
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn gather<const SPAN: usize, const FILLS: bool>(
    row: &[u8],
    windows: &[Option<Window>],
    block_len: usize,
    fill: u8,
    out: &mut [u8],
    mut other: impl FnMut(usize, &mut [u8]),
) {
    // The reads below take 32 bytes, and 32 more if `SPAN` is 64.
    const { assert!(SPAN == 32 || SPAN == 64) };
    for (b, window) in windows.iter().enumerate() {
        let Some(window) = window else {
            other(b, out);
            continue;
        };
        let start = window.start as usize;
        let at = b * block_len;
        let (Some(bytes), Some(dst)) = (
            row.get(start..start + SPAN),
            out.get_mut(at..at + 16)
                .and_then(|d| <&mut [u8; 16]>::try_from(d).ok()),
        ) else {
            other(b, out);
            continue;
        };
        // SAFETY: `bytes` holds `SPAN` bytes (32 or 64); 32 bytes read
        // from each 32-byte control; 16 written to a 16-byte array.
        unsafe {
            let pick = |half: usize| {
                let v = _mm256_loadu_si256(bytes.as_ptr().add(32 * half).cast());
                let control = _mm256_loadu_si256(window.control[half].as_ptr().cast());
                _mm256_shuffle_epi8(v, control)
            };
            let mut picked = pick(0);
            if SPAN == 64 {
                picked = _mm256_or_si256(picked, pick(1));
            }
            let mut joined = _mm_or_si128(
                _mm256_castsi256_si128(picked),
                _mm256_extracti128_si256::<1>(picked),
            );
            if FILLS {
                // A byte is the fill where every lane's control has its top
                // bit set.
                let lanes = |half: usize| {
                    let c = _mm256_loadu_si256(window.control[half].as_ptr().cast());
                    _mm_and_si128(_mm256_castsi256_si128(c), _mm256_extracti128_si256::<1>(c))
                };
                let mut unnamed = lanes(0);
                if SPAN == 64 {
                    unnamed = _mm_and_si128(unnamed, lanes(1));
                }
                joined = _mm_blendv_epi8(joined, _mm_set1_epi8(fill as i8), unnamed);
            }
            _mm_storeu_si128(dst.as_mut_ptr().cast(), joined);
        }
    }
}
