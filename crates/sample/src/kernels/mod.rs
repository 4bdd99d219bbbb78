//! The sampling kernels: the scalar reference (the specification), the
//! generic SIMD path that must equal it, and the dispatch between them.

pub(crate) mod generic;
pub(crate) mod scalar;
pub(crate) mod sink;
pub(crate) mod typed;
#[cfg(target_arch = "x86_64")]
pub(crate) mod x86;

use crate::coords::Prepared;
use crate::options::{ChannelAffine, Interpolation};
use geom::{Element, Isa};
use scalar::Source;
use sink::Rows;

/// One warp, ready to run on any path.
pub(crate) struct Job<'a, 'm, T, R> {
    pub source: Source<'a, T>,
    pub interpolation: Interpolation,
    pub values: Option<ChannelAffine>,
    pub map: Prepared<'m>,
    pub width: usize,
    pub height: usize,
    pub rows: R,
}

/// Which code runs a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Path {
    /// The path users get for an ISA: the scalar reference, the AVX2 kernel
    /// (AVX2 and AVX-512 machines, `u8`/`f32`), else the generic SIMD code.
    Isa(Isa),
    /// The generic SIMD code at this many `f32` lanes (1, 4, 8 or 16), so
    /// tests on one machine cover the widths NEON (4) and AVX-512 (16) use.
    Generic(usize),
}

impl<T: Element, R: Rows> Job<'_, '_, T, R> {
    /// Runs on `path`.
    pub(crate) fn run(self, path: Path) {
        match path {
            Path::Isa(Isa::Scalar) => self.run_scalar(),
            Path::Isa(isa) => isa.vectorize(self),
            Path::Generic(lanes) => self.run_generic(lanes),
        }
    }

    fn run_generic(self, lanes: usize) {
        use pulp::Simd;
        #[cfg(target_arch = "x86_64")]
        if let Some(v3) = pulp::x86::V3::try_new() {
            match lanes {
                4 => return pulp::x86::V3_128b(v3).vectorize(self),
                8 => return pulp::x86::V3_256b(v3).vectorize(self),
                16 => return pulp::x86::V3_512b(v3).vectorize(self),
                _ => {}
            }
        }
        let _ = lanes;
        pulp::Scalar::new().vectorize(self)
    }

    fn run_scalar(mut self) {
        for i in 0..self.height {
            let row = self.map.row(i);
            let mut sink = self.rows.row(i);
            scalar::sample_run(
                &self.source,
                self.interpolation,
                self.values.as_ref(),
                &row,
                0..self.width,
                &mut sink,
            );
        }
    }

    #[inline(always)]
    fn run_simd<S: pulp::Simd, const C: usize>(mut self) {
        for i in 0..self.height {
            let row = self.map.row(i);
            let mut sink = self.rows.row(i);
            generic::sample_row::<S, T, _, C>(
                &self.source,
                self.interpolation,
                self.values.as_ref(),
                &row,
                self.width,
                &mut sink,
            );
        }
    }
}

impl<T: Element, R: Rows> pulp::WithSimd for Job<'_, '_, T, R> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        match self.source.view.channels() {
            1 => self.dispatch::<S, 1>(),
            3 => self.dispatch::<S, 3>(),
            _ => self.dispatch::<S, 4>(),
        }
    }
}

impl<T: Element, R: Rows> Job<'_, '_, T, R> {
    /// The hand-written AVX2 kernel where it applies (AVX2 and AVX-512
    /// machines, `u8`/`f32` sources), the generic code otherwise.
    #[inline(always)]
    fn dispatch<S: pulp::Simd, const C: usize>(self) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::any::TypeId;
            let avx2 = TypeId::of::<S>() == TypeId::of::<pulp::x86::V3>()
                || TypeId::of::<S>() == TypeId::of::<pulp::x86::V4>();
            let texels = typed::Texels::of(self.source.view.data());
            if let (true, Some(texels), Some(geometry)) = (
                avx2,
                texels,
                x86::Geometry::new(&self.source)
                    .map(|g| g.with_avx512(TypeId::of::<S>() == TypeId::of::<pulp::x86::V4>())),
            ) {
                return self.run_x86::<C>(texels, geometry);
            }
        }
        self.run_simd::<S, C>()
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn run_x86<const C: usize>(mut self, texels: typed::Texels<'_>, geometry: x86::Geometry) {
        let Some(mut out) = self.rows.raw() else {
            return self.run_simd::<pulp::Scalar, C>();
        };
        for i in 0..self.height {
            let row = self.map.row(i);
            let mut raw = out.row(i);
            // SAFETY: only reached on the V3/V4 paths, whose pulp tokens
            // exist only on CPUs with AVX2.
            unsafe {
                x86::sample_row::<T, C>(
                    &self.source,
                    texels,
                    geometry,
                    self.interpolation,
                    self.values.as_ref(),
                    &row,
                    self.width,
                    &mut raw,
                )
            }
        }
    }
}
