//! Displacement steps: a pull offset added to the coordinates at one point
//! of the chain, which turns the composed map into a grid.
//!
//! A displacement step on a canvas makes canvas point `q` read the canvas
//! before it at `q + d(q)` (a pull field, as albumentations' elastic
//! transform and fastai's jitter define it).

use geom::Point;
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Most control cells per axis of an elastic field: bounds the memory and
/// draws of a field on a huge canvas with a tiny smoothness.
const MAX_ELASTIC_CELLS: usize = 256;

/// A drawn displacement.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Displacement {
    /// An independent offset per *output* pixel, uniform in `±magnitude`
    /// canvas pixels on each axis, from a ChaCha8 stream keyed by `key`
    /// (two words per output pixel in raster order, so any row can be found
    /// by seeking and rows can be built in any order).
    Jitter { magnitude: f64, key: u64 },
    /// A smooth field: cubic B-spline through random control offsets.
    Elastic(ElasticField),
}

impl Displacement {
    /// The smooth part of the offset at canvas point `q` (jitter is zero-mean
    /// per-pixel noise, so its smooth part is zero).
    #[inline]
    pub(crate) fn smooth_offset(&self, q: Point) -> Point {
        match self {
            Displacement::Jitter { .. } => (0.0, 0.0),
            Displacement::Elastic(field) => field.value(q),
        }
    }

    /// Where canvas-before point `p` appears on this canvas: the `q` with
    /// `q + d(q) = p`. Jitter moves no object on average and leaves points
    /// where they are.
    pub(crate) fn forward(&self, p: Point) -> Point {
        match self {
            Displacement::Jitter { .. } => p,
            Displacement::Elastic(field) => field.solve(p),
        }
    }
}

/// Per-row jitter noise for a `width`-wide output: row `i` is words
/// `2·i·width ..` of the stream, drawn a row at a time (ChaCha fills a
/// buffer several times faster than it hands out single words).
pub(crate) struct JitterRows {
    rng: ChaCha8Rng,
    magnitude: f64,
    width: usize,
    row: Vec<u32>,
    next: usize,
}

impl JitterRows {
    pub(crate) fn new(key: u64, magnitude: f64, width: usize) -> JitterRows {
        JitterRows {
            rng: ChaCha8Rng::seed_from_u64(key),
            magnitude,
            width,
            row: vec![0; 2 * width],
            next: 0,
        }
    }

    /// Draws the noise of output row `i`.
    pub(crate) fn seek_row(&mut self, i: usize) {
        self.rng
            .set_word_pos(2 * (i as u128) * (self.width as u128));
        self.rng.fill(&mut self.row[..]);
        self.next = 0;
    }

    /// The next pixel's offset (zero past the end of the row).
    #[inline]
    pub(crate) fn next_offset(&mut self) -> Point {
        let Some(pair) = self.row.get(self.next..self.next + 2) else {
            return (0.0, 0.0);
        };
        self.next += 2;
        // 24 random bits: a uniform value in [-1, 1) on a 2^-23 lattice.
        let unit = |word: u32| f64::from(word >> 8) * (2.0 / 16_777_216.0) - 1.0;
        (
            unit(pair[0]) * self.magnitude,
            unit(pair[1]) * self.magnitude,
        )
    }
}

/// Random control offsets on a regular lattice over a canvas, interpolated by
/// a uniform cubic B-spline: twice continuously differentiable, so it bends
/// the image without tearing, and its derivative is known exactly (points map
/// forward by Newton's method).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ElasticField {
    /// Control points per canvas pixel (the inverse spacing), per axis.
    density: (f64, f64),
    /// Cells per axis; nodes run `0..cells + 4` (one apron node before the
    /// canvas, two after, for the spline's support).
    cells: (usize, usize),
    /// Offsets `(dx, dy)` per node, row-major.
    nodes: Vec<(f64, f64)>,
}

/// Uniform cubic B-spline weights at `t` in `[0, 1]`, and their derivatives.
#[inline]
fn bspline(t: f64) -> ([f64; 4], [f64; 4]) {
    const SIXTH: f64 = 1.0 / 6.0;
    let (t2, t3) = (t * t, t * t * t);
    let s = 1.0 - t;
    (
        [
            s * s * s * SIXTH,
            (3.0 * t3 - 6.0 * t2 + 4.0) * SIXTH,
            (-3.0 * t3 + 3.0 * t2 + 3.0 * t + 1.0) * SIXTH,
            t3 * SIXTH,
        ],
        [
            -s * s / 2.0,
            (3.0 * t2 - 4.0 * t) / 2.0,
            (-3.0 * t2 + 2.0 * t + 1.0) / 2.0,
            t2 / 2.0,
        ],
    )
}

impl ElasticField {
    /// A field over a `width x height` canvas with control points about
    /// `smoothness` pixels apart, each offset uniform in `±magnitude` pixels.
    pub(crate) fn draw<R: Rng + ?Sized>(
        width: usize,
        height: usize,
        magnitude: f64,
        smoothness: f64,
        rng: &mut R,
    ) -> ElasticField {
        let cells =
            |side: usize| ((side as f64 / smoothness).round() as usize).clamp(1, MAX_ELASTIC_CELLS);
        let (cx, cy) = (cells(width), cells(height));
        let nodes = (0..(cx + 4) * (cy + 4))
            .map(|_| {
                let dx = magnitude * (2.0 * rng.random::<f64>() - 1.0);
                let dy = magnitude * (2.0 * rng.random::<f64>() - 1.0);
                (dx, dy)
            })
            .collect();
        ElasticField {
            density: (cx as f64 / width as f64, cy as f64 / height as f64),
            cells: (cx, cy),
            nodes,
        }
    }

    /// Spline coordinate of `v` on an axis: integer node index and fraction.
    /// Beyond the canvas the field is held at its edge value.
    #[inline]
    fn locate(v: f64, density: f64, cells: usize) -> (usize, f64, f64) {
        let u = (v + 0.5) * density + 1.0;
        let max = (cells + 1) as f64;
        if u.is_nan() || u <= 1.0 {
            return (1, 0.0, 0.0);
        }
        if u >= max {
            return (cells + 1, 0.0, 0.0);
        }
        // u > 1, so truncation is the floor (and needs no libm call).
        let k = u as usize;
        // The derivative factor is zero where the field is held constant.
        (k, u - k as f64, density)
    }

    /// The offset at canvas point `q` (what [`ElasticField::offset`] gives,
    /// without the derivative: the per-pixel cost of a grid).
    #[inline]
    pub(crate) fn value(&self, q: Point) -> Point {
        let (kx, tx, _) = Self::locate(q.0, self.density.0, self.cells.0);
        let (ky, ty, _) = Self::locate(q.1, self.density.1, self.cells.1);
        let (wx, _) = bspline(tx);
        let (wy, _) = bspline(ty);
        let stride = self.cells.0 + 4;
        let mut d = (0.0, 0.0);
        for (r, &wr) in wy.iter().enumerate() {
            let start = (ky - 1 + r) * stride + kx - 1;
            let Some(row) = self.nodes.get(start..start + 4) else {
                continue;
            };
            let (mut rx, mut ry) = (0.0, 0.0);
            for (&wc, &(nx, ny)) in wx.iter().zip(row) {
                rx += wc * nx;
                ry += wc * ny;
            }
            d.0 += wr * rx;
            d.1 += wr * ry;
        }
        d
    }

    /// The offset at canvas point `q` and its Jacobian `[[∂dx/∂x, ∂dx/∂y], [∂dy/∂x, ∂dy/∂y]]`.
    pub(crate) fn offset(&self, q: Point) -> (Point, [[f64; 2]; 2]) {
        let (kx, tx, sx) = Self::locate(q.0, self.density.0, self.cells.0);
        let (ky, ty, sy) = Self::locate(q.1, self.density.1, self.cells.1);
        let (wx, dwx) = bspline(tx);
        let (wy, dwy) = bspline(ty);
        let stride = self.cells.0 + 4;
        let (mut d, mut jac) = ((0.0, 0.0), [[0.0; 2]; 2]);
        for (r, (&wr, &dwr)) in wy.iter().zip(&dwy).enumerate() {
            let row = (ky - 1 + r) * stride + kx - 1;
            for (c, (&wc, &dwc)) in wx.iter().zip(&dwx).enumerate() {
                let (nx, ny) = self.nodes[row + c];
                let (w, wdx, wdy) = (wc * wr, dwc * wr * sx, wc * dwr * sy);
                d.0 += w * nx;
                d.1 += w * ny;
                jac[0][0] += wdx * nx;
                jac[0][1] += wdy * nx;
                jac[1][0] += wdx * ny;
                jac[1][1] += wdy * ny;
            }
        }
        (d, jac)
    }

    /// The canvas point `q` with `q + d(q) = p`, by Newton's method from
    /// `p - d(p)`. Where the field folds (no unique solution) the best
    /// iterate is returned.
    pub(crate) fn solve(&self, p: Point) -> Point {
        let mut q = {
            let (d, _) = self.offset(p);
            (p.0 - d.0, p.1 - d.1)
        };
        let mut best = (q, f64::INFINITY);
        for _ in 0..32 {
            let (d, j) = self.offset(q);
            let (fx, fy) = (q.0 + d.0 - p.0, q.1 + d.1 - p.1);
            let err = fx.hypot(fy);
            if err < best.1 {
                best = (q, err);
            }
            if err < 1e-10 {
                break;
            }
            let (a, b, c, e) = (1.0 + j[0][0], j[0][1], j[1][0], 1.0 + j[1][1]);
            let det = a * e - b * c;
            if det.is_nan() || det.abs() <= 1e-9 {
                break;
            }
            q = (q.0 - (e * fx - b * fy) / det, q.1 - (a * fy - c * fx) / det);
        }
        best.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bspline_weights_sum_to_one_and_derivatives_to_zero() {
        for t in [0.0, 0.1, 0.5, 0.93, 1.0] {
            let (w, dw) = bspline(t);
            assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-15);
            assert!(dw.iter().sum::<f64>().abs() < 1e-15);
        }
    }

    #[test]
    fn field_is_continuous_and_its_jacobian_is_its_derivative() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let f = ElasticField::draw(100, 60, 5.0, 20.0, &mut rng);
        let h = 1e-5;
        for &(x, y) in &[(10.3, 7.7), (49.5, 30.0), (0.0, 59.4), (-0.4, -0.4)] {
            let (_, j) = f.offset((x, y));
            let (px, _) = f.offset((x + h, y));
            let (mx, _) = f.offset((x - h, y));
            let (py, _) = f.offset((x, y + h));
            let (my, _) = f.offset((x, y - h));
            let num = [
                [(px.0 - mx.0) / (2.0 * h), (py.0 - my.0) / (2.0 * h)],
                [(px.1 - mx.1) / (2.0 * h), (py.1 - my.1) / (2.0 * h)],
            ];
            for r in 0..2 {
                for c in 0..2 {
                    assert!((num[r][c] - j[r][c]).abs() < 1e-6, "{num:?} vs {j:?}");
                }
            }
        }
    }

    #[test]
    fn value_is_the_offset_without_its_derivative() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let f = ElasticField::draw(90, 70, 4.0, 15.0, &mut rng);
        for &(x, y) in &[(1.5, 2.5), (44.4, 33.3), (-3.0, 80.0), (89.5, 0.0)] {
            let (a, b) = (f.value((x, y)), f.offset((x, y)).0);
            assert!((a.0 - b.0).abs() < 1e-12 && (a.1 - b.1).abs() < 1e-12);
        }
    }

    #[test]
    fn solve_inverts_the_pull() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let f = ElasticField::draw(64, 64, 3.0, 16.0, &mut rng);
        for &(x, y) in &[(5.0, 5.0), (31.2, 40.9), (63.0, 0.0)] {
            let q = f.solve((x, y));
            let (d, _) = f.offset(q);
            assert!((q.0 + d.0 - x).abs() < 1e-8 && (q.1 + d.1 - y).abs() < 1e-8);
        }
    }

    #[test]
    fn jitter_rows_depend_on_the_key_and_row_alone() {
        let mut a = JitterRows::new(9, 2.0, 5);
        let mut rows = Vec::new();
        for i in 0..3 {
            a.seek_row(i);
            rows.push((0..5).map(|_| a.next_offset()).collect::<Vec<Point>>());
        }
        // Row 2 drawn on its own, after other rows, is the same.
        let mut b = JitterRows::new(9, 2.0, 5);
        b.seek_row(0);
        b.seek_row(2);
        assert_eq!((0..5).map(|_| b.next_offset()).collect::<Vec<_>>(), rows[2]);
        assert_ne!(rows[1], rows[2]);
        assert!(
            rows.iter()
                .flatten()
                .all(|p| p.0.abs() <= 2.0 && p.1.abs() <= 2.0)
        );
        // It is the raw stream: words 2·i·width onwards.
        let mut raw = ChaCha8Rng::seed_from_u64(9);
        raw.set_word_pos(20);
        let word = raw.next_u32();
        let want = (f64::from(word >> 8) * (2.0 / 16_777_216.0) - 1.0) * 2.0;
        assert_eq!(rows[2][0].0, want);
    }
}
