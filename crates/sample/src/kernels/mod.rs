//! The sampling kernels, and the one place that picks which of them runs.
//!
//! - `scalar`: the reference, pixel by pixel; the specification.
//! - `generic`: SIMD written once over pulp's `Simd` (AVX-512, AVX2, NEON
//!   and, in tests, other widths), equal to the reference bit for bit.
//! - `x86`: the hand-written AVX2 / AVX-512 kernel for `u8` and `f32`
//!   sources, equal to the reference bit for bit.
//! - `separable`: axis-aligned bilinear upscales and crops on the AVX2 and
//!   NEON paths, each source row blended once for the output rows that
//!   read it; the reference's operations, so the same bits.
//! - `lookup`: axis-aligned nearest maps of `u8` and `f32` on the AVX2 and
//!   NEON paths, each output row its source row read through a table of
//!   columns; the reference's taps, so the same elements.
//! - `sink`, `typed`: the output rows and the `u8`/`f32` recognition they
//!   all share. Nothing in `scalar`, `generic`, `sink` or `typed` imports
//!   from `x86`, and `scalar` imports from neither SIMD module.
//!
//! [`route`] decides once per call, before any row runs, from the path asked
//! for, the element type, the output's kind and the source's size; the
//! channel count (1, 3 or 4, which every route serves) picks the
//! instantiation once in [`Job::run`]. Whatever the route, each output value
//! is the one the reference computes (see `kernels::scalar`; ARCHITECTURE.md,
//! "Dispatch", for how a path is detected, forced and named).

pub(crate) mod generic;
pub(crate) mod lookup;
pub(crate) mod scalar;
pub(crate) mod separable;
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

/// Which code a caller asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Path {
    /// The path users get for an ISA (see [`route`]).
    Isa(Isa),
    /// The generic SIMD code at this many `f32` lanes (1, 4, 8 or 16), so
    /// tests on one machine cover the widths NEON (4) and AVX-512 (16) use.
    Generic(usize),
}

/// The code that runs one job, as [`route`] decided it.
enum Route<'s> {
    /// The scalar reference.
    Scalar,
    /// The hand-written x86 kernel, bound to the job's typed source and
    /// output.
    #[cfg(target_arch = "x86_64")]
    X86(x86::Kernel<'s>),
    /// The generic SIMD code as pulp instantiates it for this ISA.
    Generic(Isa),
    /// The generic SIMD code at this many lanes.
    Lanes(usize),
    /// Keeps the lifetime where there is no hand-written kernel.
    #[cfg(not(target_arch = "x86_64"))]
    #[allow(dead_code)]
    Never(
        std::convert::Infallible,
        std::marker::PhantomData<&'s mut ()>,
    ),
}

/// Decides which code runs a job:
///
/// - `Path::Generic(lanes)`: the generic code at `lanes` lanes;
/// - `Isa::Scalar`, or a path this CPU lacks: the scalar reference;
/// - AVX2 or either AVX-512 path, a `u8` or `f32` source, an output the
///   hand-written kernel writes (interleaved of the source's type, or
///   planar `f32`) and tap offsets that fit `i32`: that kernel, in its
///   AVX2 or AVX-512 flavour (measured the fastest route wherever it
///   applies);
/// - otherwise (other element types, buffers of 2^31 elements or more,
///   NEON): the generic code as pulp instantiates it for the ISA.
///
/// The element type is asked once here (`Texels::of`), the output's kind
/// once (`Rows::raw`); what they return is what the kernel then reads and
/// writes, so no row asks again.
fn route<'s, T: Element, R: Rows>(
    path: Path,
    source: &Source<'s, T>,
    rows: &'s mut R,
) -> Route<'s> {
    let isa = match path {
        Path::Generic(lanes) => return Route::Lanes(lanes),
        Path::Isa(isa) if isa == Isa::Scalar || !isa.is_available() => return Route::Scalar,
        Path::Isa(isa) => isa,
    };
    #[cfg(target_arch = "x86_64")]
    if let (Some(flavour), Some(texels), Some(out)) = (
        x86::Flavour::of(isa),
        typed::Texels::of(source.view.data()),
        rows.raw(),
    ) && let Some(kernel) = x86::Kernel::new(flavour, source, texels, out)
    {
        return Route::X86(kernel);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (source, rows);
    Route::Generic(isa)
}

impl<T: Element, R: Rows> Job<'_, '_, T, R> {
    /// Runs on `path`.
    pub(crate) fn run(self, path: Path) {
        match self.source.view.channels() {
            1 => self.run_with::<1>(path),
            3 => self.run_with::<3>(path),
            _ => self.run_with::<4>(path),
        }
    }

    fn run_with<const C: usize>(mut self, path: Path) {
        // The routes for axis-aligned maps run on every vector path. On a
        // Xeon under AVX-512, 224x224 outputs of a 1024x768 source, in the
        // hand-written kernel's time: bilinear `u8` gray 0.35-0.84, RGB
        // 0.38-0.88, RGBA 0.37-0.70, `f32` gray 0.29-0.61, RGB 0.46-0.72
        // (upscales lowest, the route's steepest steps highest); nearest
        // 0.2-0.4 (`benches/RESULTS.md`, 2026-12-07, 15:30 UTC).
        let axis_routes = match path {
            Path::Isa(isa) if isa != Isa::Scalar && isa.is_available() => Some(isa),
            _ => None,
        };
        // Nearest: looked up (`lookup`).
        if axis_routes.is_some()
            && self.interpolation == Interpolation::Nearest
            && let Some(mut out) = self.rows.raw()
            && lookup::run::<T, C>(
                &self.source,
                self.interpolation,
                self.values.as_ref(),
                &self.map,
                (self.width, self.height),
                &mut out,
            )
        {
            return;
        }
        // Bilinear upscales, crops and mild downscales: separably
        // (`separable`).
        if let Some(isa) = axis_routes
            && let Some(columns) =
                separable::Columns::plan(&self.source, self.interpolation, &self.map, self.width)
            && let Some(out) = self.rows.raw()
        {
            return isa.vectorize(OnSeparable::<_, C> {
                columns: &columns,
                source: &self.source,
                values: self.values.as_ref(),
                map: &self.map,
                width: self.width,
                height: self.height,
                out,
            });
        }
        match route(path, &self.source, &mut self.rows) {
            Route::Scalar => self.run_scalar(),
            #[cfg(target_arch = "x86_64")]
            Route::X86(kernel) => kernel.run::<T, C>(
                &self.source,
                self.interpolation,
                self.values.as_ref(),
                &self.map,
                self.width,
                self.height,
            ),
            Route::Generic(isa) => isa.vectorize(OnGeneric::<_, _, C>(self)),
            Route::Lanes(lanes) => self.run_lanes::<C>(lanes),
            #[cfg(not(target_arch = "x86_64"))]
            Route::Never(never, _) => match never {},
        }
    }

    fn run_lanes<const C: usize>(self, lanes: usize) {
        use pulp::Simd;
        let job = OnGeneric::<_, _, C>(self);
        #[cfg(target_arch = "x86_64")]
        if let Some(v3) = pulp::x86::V3::try_new() {
            match lanes {
                4 => return pulp::x86::V3_128b(v3).vectorize(job),
                8 => return pulp::x86::V3_256b(v3).vectorize(job),
                16 => return pulp::x86::V3_512b(v3).vectorize(job),
                _ => {}
            }
        }
        let _ = lanes;
        pulp::Scalar::new().vectorize(job)
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

/// A job on the generic SIMD code at `C` channels, for pulp to instantiate.
struct OnGeneric<'a, 'm, T, R, const C: usize>(Job<'a, 'm, T, R>);

impl<T: Element, R: Rows, const C: usize> pulp::WithSimd for OnGeneric<'_, '_, T, R, C> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        self.0.run_simd::<S, C>()
    }
}

/// An axis-aligned bilinear job on the separable route, for pulp to
/// instantiate.
struct OnSeparable<'j, 'o, T, const C: usize> {
    columns: &'j separable::Columns,
    source: &'j Source<'j, T>,
    values: Option<&'j ChannelAffine>,
    map: &'j Prepared<'j>,
    width: usize,
    height: usize,
    out: sink::RawRows<'o>,
}

impl<T: Element, const C: usize> pulp::WithSimd for OnSeparable<'_, '_, T, C> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        let mut out = self.out;
        separable::run::<T, C>(
            self.columns,
            self.source,
            self.values,
            self.map,
            self.width,
            self.height,
            &mut out,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geom::{Image, ImageViewMut, Padding};
    use sink::{InterleavedRows, PlanarRows};

    /// The route's name, and for the hand-written kernel its flavour.
    fn decided<T: Element, R: Rows>(path: Path, source: &Source<'_, T>, rows: &mut R) -> String {
        match route(path, source, rows) {
            Route::Scalar => "scalar".into(),
            #[cfg(target_arch = "x86_64")]
            Route::X86(kernel) => format!("x86 {}", kernel.flavour_name()),
            Route::Generic(isa) => format!("generic {isa}"),
            Route::Lanes(lanes) => format!("lanes {lanes}"),
            #[cfg(not(target_arch = "x86_64"))]
            Route::Never(never, _) => match never {},
        }
    }

    fn expected(isa: Isa) -> String {
        match isa {
            Isa::Scalar => "scalar".into(),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => "x86 avx2".into(),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 | Isa::Avx512Vbmi => "x86 avx512".into(),
            isa => format!("generic {isa}"),
        }
    }

    fn check<T: Element>() -> Result<(), Box<dyn std::error::Error>> {
        let src = Image::<T>::new(5, 4, 3)?;
        let source = Source::new(src.view(), Padding::Reflect);
        let mut dst = Image::<T>::new(3, 2, 3)?;
        let mut planes = [0.0f32; 3 * 3 * 2];
        for isa in Isa::ALL {
            let want = if isa.is_available() {
                expected(isa)
            } else {
                "scalar".into()
            };
            let mut rows = InterleavedRows(ImageViewMut::new(dst.as_mut_slice(), 3, 2, 3)?);
            assert_eq!(decided(Path::Isa(isa), &source, &mut rows), want, "{isa}");
            let mut rows = PlanarRows {
                planes: planes.chunks_exact_mut(6).collect(),
                width: 3,
            };
            assert_eq!(decided(Path::Isa(isa), &source, &mut rows), want, "{isa}");
        }
        let mut rows = InterleavedRows(dst.view_mut());
        assert_eq!(decided(Path::Generic(16), &source, &mut rows), "lanes 16");
        Ok(())
    }

    #[test]
    fn each_path_takes_its_route_for_u8_and_f32() -> Result<(), Box<dyn std::error::Error>> {
        check::<u8>()?;
        check::<f32>()
    }

    /// `map` sampled from `source` into a `width x height` image on `path`.
    pub(super) fn sampled(
        path: Path,
        source: Source<'_, u8>,
        interpolation: Interpolation,
        map: [[f64; 3]; 2],
        width: usize,
        height: usize,
    ) -> Result<Image<u8>, Box<dyn std::error::Error>> {
        let mut dst = Image::<u8>::new(width, height, source.view.channels())?;
        Job {
            source,
            interpolation,
            values: None,
            map: Prepared::Affine(map),
            width,
            height,
            rows: InterleavedRows(dst.view_mut()),
        }
        .run(path);
        Ok(dst)
    }

    /// The separable route keeps its vectors from one call to the next on a
    /// thread (`separable::Buffers`): nothing of a call may reach the next.
    /// A map with no finite column (every pixel the fill: reachable only
    /// from inside the crate, since public maps have finite coefficients)
    /// leaves the longest list of fills, a wide upscale the longest rows;
    /// the narrower calls after them must read none of it.
    #[test]
    fn the_separable_route_carries_nothing_from_one_call_to_the_next()
    -> Result<(), Box<dyn std::error::Error>> {
        let maps = [
            ([[f64::INFINITY, 0.0, 0.0], [0.0, 0.5, 0.25]], 40, 3),
            ([[0.25, 0.0, -1.3], [0.0, 0.75, 0.4]], 37, 5),
            ([[0.5, 0.0, 0.1], [0.0, 1.5, -0.3]], 9, 4),
            ([[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]], 5, 3),
            ([[-1.0, 0.0, 11.0], [0.0, 1.0, 0.0]], 11, 2),
        ];
        for channels in [1, 3, 4] {
            let mut src = Image::<u8>::new(12, 9, channels)?;
            for (i, v) in src.as_mut_slice().iter_mut().enumerate() {
                *v = (i * 37 % 251) as u8;
            }
            for isa in Isa::available()
                .into_iter()
                .filter(|&isa| isa != Isa::Scalar)
            {
                // Twice over, so the first maps also follow the last.
                for &(map, width, height) in maps.iter().chain(&maps) {
                    let source = Source::new(src.view(), Padding::Constant(7.0));
                    let run =
                        |path| sampled(path, source, Interpolation::Bilinear, map, width, height);
                    let (want, got) = (run(Path::Isa(Isa::Scalar))?, run(Path::Isa(isa))?);
                    assert_eq!(
                        got.as_slice(),
                        want.as_slice(),
                        "{isa}, {channels} channels, {map:?}"
                    );
                }
            }
        }
        Ok(())
    }
}
