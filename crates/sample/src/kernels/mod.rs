//! The sampling kernels: the scalar reference (the specification), the
//! generic SIMD path that must equal it, and the dispatch between them.

pub(crate) mod generic;
pub(crate) mod scalar;

use crate::coords::Prepared;
use crate::{ChannelAffine, Interpolation};
use generic::{Block, BlockSink};
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

impl<T: Element, R: Rows> Job<'_, '_, T, R> {
    /// Runs on `isa`: the scalar reference for [`Isa::Scalar`], the generic
    /// SIMD code instantiated for the path otherwise.
    pub(crate) fn run(self, isa: Isa) {
        match isa {
            Isa::Scalar => self.run_scalar(),
            _ => isa.vectorize(self),
        }
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
            1 => self.run_simd::<S, 1>(),
            3 => self.run_simd::<S, 3>(),
            _ => self.run_simd::<S, 4>(),
        }
    }
}
