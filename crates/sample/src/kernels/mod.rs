//! The sampling kernels: the scalar reference (the specification), the
//! generic SIMD path that must equal it, and the dispatch between them.

pub(crate) mod generic;
pub(crate) mod scalar;
#[cfg(target_arch = "x86_64")]
pub(crate) mod x86;

use crate::coords::Prepared;
use crate::options::{ChannelAffine, Interpolation};
use generic::{Block, BlockSink, MAX_LANES};
use geom::{Element, ImageViewMut, Isa};
use scalar::Source;

/// Output rows, handed out one at a time.
pub(crate) trait Rows {
    /// The sink of one row.
    type Row<'r>: BlockSink
    where
        Self: 'r;
    /// Row `i`.
    fn row(&mut self, i: usize) -> Self::Row<'_>;
}

/// Interleaved output rows of `T`.
pub(crate) struct InterleavedRows<'a, T>(pub ImageViewMut<'a, T>);

/// One interleaved output row with `channels` channels.
pub(crate) struct InterleavedRow<'r, T> {
    row: &'r mut [T],
    channels: usize,
}

impl<'a, T: Element> Rows for InterleavedRows<'a, T> {
    type Row<'r>
        = InterleavedRow<'r, T>
    where
        Self: 'r;
    #[inline(always)]
    fn row(&mut self, i: usize) -> InterleavedRow<'_, T> {
        let channels = self.0.channels();
        InterleavedRow {
            row: self.0.row_mut(i),
            channels,
        }
    }
}

impl<T: Element> BlockSink for InterleavedRow<'_, T> {
    #[inline(always)]
    fn store<const C: usize>(&mut self, j0: usize, lanes: usize, values: &Block<C>) {
        let out = &mut self.row[j0 * C..(j0 + lanes) * C];
        if std::any::TypeId::of::<T>() == std::any::TypeId::of::<u8>() {
            store_u8::<C>(bytemuck::cast_slice_mut(out), lanes, values);
            return;
        }
        for (k, px) in out.chunks_exact_mut(C).enumerate() {
            for (c, o) in px.iter_mut().enumerate() {
                *o = T::from_f32(values[c][k]);
            }
        }
    }
    #[inline(always)]
    fn put(&mut self, j: usize, c: usize, v: f32) {
        self.row[j * self.channels + c] = T::from_f32(v);
    }
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn raw(&mut self) -> Option<x86::RawRow<'_>> {
        use std::any::TypeId;
        if TypeId::of::<T>() == TypeId::of::<u8>() {
            Some(x86::RawRow::U8(bytemuck::cast_slice_mut(self.row)))
        } else if TypeId::of::<T>() == TypeId::of::<f32>() {
            Some(x86::RawRow::F32(bytemuck::cast_slice_mut(self.row)))
        } else {
            None
        }
    }
}

/// Rounds a block to `u8` (as `u8::from_f32`) and interleaves it: channels
/// packed into one word per pixel, then the words' low `C` bytes copied out,
/// written so the compiler turns both steps into shuffles.
#[inline(always)]
fn store_u8<const C: usize>(out: &mut [u8], lanes: usize, values: &Block<C>) {
    let mut words = [0u32; MAX_LANES];
    for (c, vc) in values.iter().enumerate() {
        for k in 0..lanes {
            let v = vc[k];
            // u8::from_f32, lane by lane: clamp (NaN to 0), add 1.5 * 2^23.
            let clamped = if v >= 0.0 { v.min(255.0) } else { 0.0 };
            words[k] |= ((clamped + 12_582_912.0).to_bits() & 0xff) << (8 * c);
        }
    }
    let bytes: [u8; 4 * MAX_LANES] = bytemuck::cast(words);
    let mut packed = [0u8; 4 * MAX_LANES];
    for k in 0..lanes {
        for c in 0..C {
            packed[C * k + c] = bytes[4 * k + c];
        }
    }
    out.copy_from_slice(&packed[..C * lanes]);
}

/// Planar `f32` output: `planes[c]` is channel `c`, `width` values a row.
pub(crate) struct PlanarRows<'a> {
    pub planes: Vec<&'a mut [f32]>,
    pub width: usize,
}

/// One row of each plane.
pub(crate) struct PlanarRow<'r> {
    planes: [&'r mut [f32]; 4],
}

impl<'a> Rows for PlanarRows<'a> {
    type Row<'r>
        = PlanarRow<'r>
    where
        Self: 'r;
    #[inline(always)]
    fn row(&mut self, i: usize) -> PlanarRow<'_> {
        let width = self.width;
        let mut rows = self
            .planes
            .iter_mut()
            .map(|p| &mut p[i * width..(i + 1) * width]);
        let mut take = || rows.next().unwrap_or(&mut []);
        PlanarRow {
            planes: [take(), take(), take(), take()],
        }
    }
}

impl BlockSink for PlanarRow<'_> {
    #[inline(always)]
    fn store<const C: usize>(&mut self, j0: usize, lanes: usize, values: &Block<C>) {
        for (plane, v) in self.planes.iter_mut().zip(values) {
            plane[j0..j0 + lanes].copy_from_slice(&v[..lanes]);
        }
    }
    #[inline(always)]
    fn put(&mut self, j: usize, c: usize, v: f32) {
        self.planes[c][j] = v;
    }
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn raw(&mut self) -> Option<x86::RawRow<'_>> {
        let [a, b, c, d] = &mut self.planes;
        Some(x86::RawRow::Planar([a, b, c, d]))
    }
}

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
            let data = self.source.view.data();
            let texels = if TypeId::of::<T>() == TypeId::of::<u8>() {
                Some(x86::Texels::U8(bytemuck::cast_slice(data)))
            } else if TypeId::of::<T>() == TypeId::of::<f32>() {
                Some(x86::Texels::F32(bytemuck::cast_slice(data)))
            } else {
                None
            };
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
    fn run_x86<const C: usize>(mut self, texels: x86::Texels<'_>, geometry: x86::Geometry) {
        for i in 0..self.height {
            let row = self.map.row(i);
            let mut sink = self.rows.row(i);
            match sink.raw() {
                // SAFETY: only reached on the V3/V4 paths, whose pulp tokens
                // exist only on CPUs with AVX2.
                Some(mut raw) => unsafe {
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
                },
                None => generic::sample_row::<pulp::Scalar, T, _, C>(
                    &self.source,
                    self.interpolation,
                    self.values.as_ref(),
                    &row,
                    self.width,
                    &mut sink,
                ),
            }
        }
    }
}
