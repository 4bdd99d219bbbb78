//! Where each output pixel reads: the per-row evaluation of a pull map that
//! every kernel path shares, so scalar and SIMD paths cannot disagree on a
//! position.
//!
//! The arithmetic is part of the specification (SIMD paths repeat it lane by
//! lane, in the same order, in `f64`):
//!
//! - affine `[[a, b, c], [d, e, f]]`: per row `rx = b*i + c`, `ry = e*i + f`;
//!   per pixel `x = a*j + rx`, `y = d*j + ry`;
//! - projective `[[a, b, c], [d, e, f], [g, h, k]]`: per row `rx, ry, rw` as
//!   above; per pixel `X = a*j + rx`, `Y = d*j + ry`, `W = g*j + rw`, and
//!   `(X / W, Y / W)` where `W` is above a tiny positive threshold, else no
//!   position (NaN, read as padding): the point is at infinity or behind the
//!   viewer;
//! - grid: the stored `f32` pair, widened to `f64` exactly.
//!
//! Evaluating rows from their start rather than by accumulation keeps every
//! position exact to `f64` rounding whatever the image width, and means no
//! coordinate buffer is ever built for affine or projective maps.

use geom::{Grid, Map};

/// A map ready for row-wise evaluation.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Prepared<'a> {
    Affine([[f64; 3]; 2]),
    Projective { m: [[f64; 3]; 3], w_min: f64 },
    Grid(&'a Grid),
}

/// One output row of a prepared map.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Row<'a> {
    Affine {
        a: f64,
        rx: f64,
        d: f64,
        ry: f64,
    },
    Projective {
        a: f64,
        rx: f64,
        d: f64,
        ry: f64,
        g: f64,
        rw: f64,
        w_min: f64,
    },
    Grid(&'a [f32]),
}

impl<'a> Prepared<'a> {
    pub(crate) fn new(map: &'a Map) -> Prepared<'a> {
        match map {
            Map::Affine(a) => Prepared::Affine(a.rows()),
            Map::Projective(p) => {
                let m = p.matrix();
                let [_, _, [g, h, k]] = m;
                // The same "at infinity" rule as geom::Projective::apply.
                let w_min = f64::EPSILON * (g.abs() + h.abs() + k.abs());
                Prepared::Projective { m, w_min }
            }
            Map::Grid(g) => Prepared::Grid(g),
        }
    }

    /// The constants of output row `i`.
    #[inline]
    pub(crate) fn row(&self, i: usize) -> Row<'a> {
        let fi = i as f64;
        match *self {
            Prepared::Affine([[a, b, c], [d, e, f]]) => Row::Affine {
                a,
                rx: b * fi + c,
                d,
                ry: e * fi + f,
            },
            Prepared::Projective {
                m: [[a, b, c], [d, e, f], [g, h, k]],
                w_min,
            } => Row::Projective {
                a,
                rx: b * fi + c,
                d,
                ry: e * fi + f,
                g,
                rw: h * fi + k,
                w_min,
            },
            Prepared::Grid(grid) => Row::Grid(grid.row(i)),
        }
    }
}

impl Row<'_> {
    /// The source position output pixel `j` of this row reads; NaN where it
    /// has none.
    #[inline]
    pub(crate) fn at(&self, j: usize) -> (f64, f64) {
        let fj = j as f64;
        match *self {
            Row::Affine { a, rx, d, ry } => (a * fj + rx, d * fj + ry),
            Row::Projective {
                a,
                rx,
                d,
                ry,
                g,
                rw,
                w_min,
            } => {
                let w = g * fj + rw;
                // A NaN w compares false too, and also has no position.
                if w > w_min {
                    ((a * fj + rx) / w, (d * fj + ry) / w)
                } else {
                    (f64::NAN, f64::NAN)
                }
            }
            Row::Grid(xy) => (f64::from(xy[2 * j]), f64::from(xy[2 * j + 1])),
        }
    }
}
