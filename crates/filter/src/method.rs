//! Direct or FFT: how an axis of a separable filter is computed, and the
//! measured radius from which [`Method::Auto`] takes the FFT on each path.

use geom::Isa;

/// How one axis of a separable filter is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Method {
    /// Direct below [`fft_crossover_radius`] of the kernel path, FFT from
    /// it on.
    #[default]
    Auto,
    /// Direct summation: the specification, bit-identical on every path.
    Direct,
    /// Circular convolution of the padded rows or columns by FFT: within
    /// float noise of [`Method::Direct`] (1e-4 of the value scale for `f32`,
    /// 1 LSB for `u8`), cost nearly independent of the radius. The
    /// horizontal pass uses RustFFT, whose algorithms differ by instruction
    /// set, so the last bits depend on the [`Isa`]; [`Isa::Scalar`] uses
    /// RustFFT's scalar planner and gives the same bits on every machine.
    /// (The vertical pass's own transform gives the same bits on every
    /// path.)
    Fft,
}

/// From this radius on, [`Method::Auto`] uses the FFT for an axis on every
/// path but the AVX-512 ones (which start later, at
/// [`FFT_CROSSOVER_RADIUS_AVX512`]): the smallest radius any path sends to
/// the FFT.
///
/// Measured on the project's Zen 3 machine (AVX2), 1024x768 RGB `u8`, both
/// axes, ns per pixel of thread CPU time (direct / FFT): r = 12: 8.0 / 16.7,
/// r = 20: 12.2 / 17.3, r = 24: 15.1 / 19.1, r = 28: 17.1 / 17.2,
/// r = 32: 19.7 / 17.3, r = 40: 24.2 / 17.6. The direct cost grows by about
/// 0.3 ns per pixel per unit of radius and axis, the FFT's stays near 8.5
/// per axis, so they cross near r = 28.
///
/// Re-measured after the direct sums became fused multiply-adds (one
/// instruction per tap instead of two), on the Xeon's AVX2 path (forced),
/// criterion wall time in ms (direct / FFT): r = 24: 7.49 / 11.52, r = 28:
/// 8.76 / 11.01, r = 32: 10.04 / 10.87, r = 40: 12.43 / 11.12, r = 48:
/// 15.06 / 11.21: direct grows by about 0.31 ms per unit of radius, the FFT
/// stays near 11, and they cross near r = 35. σ = 10 (r = 30) now stays
/// direct (and correctly rounded). Re-measure with `cargo bench -p
/// augment-benches --bench filter -- crossover`.
///
/// Re-measured after the vertical FFT pass moved to the lane-parallel
/// transform, same bench, forced AVX2 on the Xeon (Sapphire Rapids), ms
/// (direct / FFT): r = 24: 6.88 / 8.62, r = 28: 8.25 / 8.76, r = 32: 9.75 /
/// 8.57, r = 40: 11.84 / 8.27. They cross near r = 29; the limit is 31,
/// where the FFT saves about 8 %, so σ = 10 (r = 30) stays direct and
/// correctly rounded for a saving of about 3 %.
///
/// Re-measured on an AMD EPYC Zen 3 (a real AVX2-only CPU, where the
/// readings above the last one forced AVX2 on an Intel Xeon), same bench,
/// criterion wall time in ms (direct / FFT): r = 20: 8.70 / 9.78, r = 24:
/// 10.29 / 9.43, r = 28: 11.55 / 8.85, r = 32: 13.69 / 9.57, r = 40: 16.70
/// / 10.46, r = 48: 18.99 / 9.20. There they cross near r = 23, and at
/// σ = 10 (r = 30) the FFT would save about a quarter. The limit stays at
/// 31: below it every Gaussian on every path is correctly rounded (the
/// FFT is within 1 LSB), and a limit that moved with the CPU's vendor
/// would also make the bits of one path depend on the machine.
///
/// Re-measured on Zen 3 after the `u8` direct passes got their own AVX2
/// kernels (columns first, six rows per widened row), `--quick`, ms
/// (direct / FFT): r = 20: 5.82 / 8.28, r = 24: 6.93 / 8.78, r = 28: 8.17 /
/// 8.95, r = 40: 15.91 / 9.95, r = 48: 14.2 / 9.32 (the r = 16 and 32
/// readings were disturbed). They now cross near r = 30, at the limit.
pub const FFT_CROSSOVER_RADIUS: usize = 31;

/// [`FFT_CROSSOVER_RADIUS`] for the AVX-512 path, whose direct summation
/// runs 16 lanes wide while the FFT gains little from it.
///
/// Measured on the project's Xeon (Emerald Rapids, AVX-512), same image,
/// criterion wall time (direct / FFT): r = 12: 4.8 / 17.2, r = 20: 7.7 /
/// 16.4, r = 24: 9.2 / 16.1, r = 28: 10.6 / 16.3, r = 32: 12.4 / 16.7,
/// r = 40: 16.9 / 16.9, r = 48: 20.9 / 16.8: direct grows by about 0.5 ns
/// per pixel per unit of radius, the FFT stays near 16.5, and they cross at
/// r = 40. σ = 10 (r = 30) stays direct.
///
/// Re-measured after the FFT path lost its copy stages (two runs): r = 32:
/// 11.7 / 13.5–14.6, r = 40: 14.5–16.0 / 13.3–14.7, r = 48: 18.1–19.4 /
/// 13.5–14.5, so they now cross near r = 36. The limit stays at 40: from
/// 36 to 39 the FFT would save at most 5% while giving up the direct
/// path's correct rounding (the FFT is within 1 LSB).
///
/// Re-measured after the direct sums became fused multiply-adds, criterion
/// wall time in ms (direct / FFT): r = 32: 7.71 / 11.23, r = 40: 9.76 /
/// 11.19, r = 48: 11.85 / 11.32, r = 56: 13.78 / 13.30, r = 64: 16.37 /
/// 12.78: they cross near r = 46.
///
/// Re-measured after the vertical FFT pass moved to the lane-parallel
/// transform (Sapphire Rapids, ms, direct / FFT): r = 32: 7.22 / 7.98,
/// r = 40: 9.15 / 8.44, r = 48: 11.52 / 8.36, r = 64: 16.39 / 8.63. They
/// cross near r = 36; as before, the limit is where the FFT saves at least
/// 5 % (r = 38 would save about 4 %), so 40.
pub const FFT_CROSSOVER_RADIUS_AVX512: usize = 40;

/// The radius from which [`Method::Auto`] uses the FFT on the `isa` path.
///
/// ```
/// use geom::Isa;
/// assert_eq!(filter::fft_crossover_radius(Isa::Avx2), filter::FFT_CROSSOVER_RADIUS);
/// assert_eq!(filter::fft_crossover_radius(Isa::Avx512), filter::FFT_CROSSOVER_RADIUS_AVX512);
/// ```
pub fn fft_crossover_radius(isa: Isa) -> usize {
    match isa {
        Isa::Avx512 | Isa::Avx512Vbmi => FFT_CROSSOVER_RADIUS_AVX512,
        _ => FFT_CROSSOVER_RADIUS,
    }
}

impl Method {
    /// Direct or FFT for a kernel of this radius on the `isa` path.
    #[inline]
    pub(crate) fn resolve(self, isa: Isa, radius: usize) -> Method {
        match self {
            Method::Auto if radius >= fft_crossover_radius(isa) => Method::Fft,
            Method::Auto => Method::Direct,
            m => m,
        }
    }
}
