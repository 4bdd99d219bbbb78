//! Which instruction set the kernels run on: detected once, cached, and
//! forceable with `AUGMENT_FORCE_ISA` for tests, benches and bug reports.
//!
//! Kernels are written once, generic over [`pulp::Simd`]; [`Isa::vectorize`]
//! instantiates them for AVX-512 (pulp `V4`), AVX2+FMA (pulp `V3`) or NEON.
//! [`Isa::Scalar`] names the plain scalar reference code, which is the
//! specification every other path must equal bit for bit.
//!
//! ```
//! use geom::Isa;
//! let isa = Isa::selected();          // best the CPU has, unless forced
//! assert!(Isa::available().contains(&isa));
//! println!("kernels run on {}", isa.name());
//! ```

use std::sync::OnceLock;

/// Environment variable that forces a path: `scalar`, `avx2`, `avx512`,
/// `avx512vbmi` or `neon`.
pub const FORCE_ISA_VAR: &str = "AUGMENT_FORCE_ISA";

/// An instruction-set path for the kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Isa {
    /// The scalar reference code: the specification.
    Scalar,
    /// x86-64 with AVX2 and FMA (x86-64-v3).
    Avx2,
    /// x86-64 with AVX-512 F/BW/DQ/VL (x86-64-v4).
    Avx512,
    /// [`Isa::Avx512`] plus AVX512-VBMI (byte permutes across a whole
    /// register: Ice Lake, Zen 4 and later). A path of its own, so that
    /// forcing `avx512` on such a CPU runs, and tests cover, the kernels
    /// without VBMI.
    Avx512Vbmi,
    /// aarch64 NEON.
    Neon,
}

impl Isa {
    /// Every path, best last.
    pub const ALL: [Isa; 5] = [
        Isa::Scalar,
        Isa::Avx2,
        Isa::Avx512,
        Isa::Avx512Vbmi,
        Isa::Neon,
    ];

    /// Lower-case name, as `AUGMENT_FORCE_ISA` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
            Isa::Avx512Vbmi => "avx512vbmi",
            Isa::Neon => "neon",
        }
    }

    /// Parses a name as [`Isa::name`] gives it (case-insensitive).
    pub fn from_name(name: &str) -> Option<Isa> {
        Isa::ALL
            .into_iter()
            .find(|isa| isa.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Whether this CPU can run the path (checked at run time).
    pub fn is_available(self) -> bool {
        match self {
            Isa::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => pulp::x86::V3::try_new().is_some(),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => pulp::x86::V4::try_new().is_some(),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512Vbmi => {
                pulp::x86::V4::try_new().is_some()
                    && std::arch::is_x86_feature_detected!("avx512vbmi")
            }
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => pulp::aarch64::Neon::try_new().is_some(),
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// Every path this CPU can run, scalar first. Tests loop over these.
    pub fn available() -> Vec<Isa> {
        Isa::ALL.into_iter().filter(|i| i.is_available()).collect()
    }

    /// Whether this is one of the AVX-512 paths ([`Isa::Avx512`] or
    /// [`Isa::Avx512Vbmi`]): kernels that do not use VBMI treat them alike.
    pub fn is_avx512(self) -> bool {
        matches!(self, Isa::Avx512 | Isa::Avx512Vbmi)
    }

    /// The fastest path this CPU can run.
    pub fn best() -> Isa {
        Isa::available().into_iter().max().unwrap_or(Isa::Scalar)
    }

    /// The path kernels use: `AUGMENT_FORCE_ISA` if it names an available
    /// path, else the best one. Read once per process.
    pub fn selected() -> Isa {
        static SELECTED: OnceLock<Isa> = OnceLock::new();
        *SELECTED.get_or_init(|| {
            std::env::var(FORCE_ISA_VAR)
                .ok()
                .and_then(|v| Isa::from_name(&v))
                .filter(|isa| isa.is_available())
                .unwrap_or_else(Isa::best)
        })
    }

    /// Runs `op` instantiated for this path's [`pulp::Simd`] type: `V4`
    /// (both AVX-512 paths), `V3`, `Neon`, or `pulp::Scalar` for [`Isa::Scalar`] and for a path the
    /// CPU lacks (so it never executes an unsupported instruction).
    ///
    /// Kernels with a hand-written scalar reference call that for
    /// [`Isa::Scalar`] instead of this.
    #[inline]
    pub fn vectorize<Op: pulp::WithSimd>(self, op: Op) -> Op::Output {
        use pulp::Simd;
        match self {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => match pulp::x86::V4::try_new() {
                Some(simd) => Simd::vectorize(simd, op),
                None => Simd::vectorize(pulp::Scalar::new(), op),
            },
            // The VBMI path must not run on a CPU without VBMI even where V4
            // exists: its kernels assume VBMI once they see this path.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512Vbmi => match pulp::x86::V4::try_new().filter(|_| self.is_available()) {
                Some(simd) => Simd::vectorize(simd, op),
                None => Simd::vectorize(pulp::Scalar::new(), op),
            },
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => match pulp::x86::V3::try_new() {
                Some(simd) => Simd::vectorize(simd, op),
                None => Simd::vectorize(pulp::Scalar::new(), op),
            },
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => match pulp::aarch64::Neon::try_new() {
                Some(simd) => Simd::vectorize(simd, op),
                None => Simd::vectorize(pulp::Scalar::new(), op),
            },
            _ => Simd::vectorize(pulp::Scalar::new(), op),
        }
    }
}

impl std::fmt::Display for Isa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for isa in Isa::ALL {
            assert_eq!(Isa::from_name(isa.name()), Some(isa));
        }
        assert_eq!(Isa::from_name(" AVX2 "), Some(Isa::Avx2));
        assert_eq!(Isa::from_name("sse9"), None);
        assert!(Isa::Avx512Vbmi.is_avx512() && !Isa::Avx2.is_avx512());
    }

    #[test]
    fn scalar_is_always_available_and_selected_is_available() {
        assert!(Isa::available().contains(&Isa::Scalar));
        assert!(Isa::selected().is_available());
    }

    #[test]
    fn vectorize_runs_the_op() {
        struct Sum<'a>(&'a [f32]);
        impl pulp::WithSimd for Sum<'_> {
            type Output = f32;
            fn with_simd<S: pulp::Simd>(self, _simd: S) -> f32 {
                self.0.iter().sum()
            }
        }
        for isa in Isa::ALL {
            assert_eq!(isa.vectorize(Sum(&[1.0, 2.0, 3.5])), 6.5);
        }
    }
}
