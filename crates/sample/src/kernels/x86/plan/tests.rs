//! The planning's tests: spans hold only pixels the planning passes, and
//! `plan_flat` plans exactly the blocks it may, reading within the buffer.

use super::*;
use geom::Padding;
use proptest::prelude::*;

/// A source of `w` x `h` pixels of `C` channels whose buffer ends with
/// its last pixel, `pad` elements of row padding.
fn geometry<const C: usize>(w: i32, h: i32, pad: i32) -> Geometry {
    let stride = w * C as i32 + pad;
    Geometry {
        nearest_x: w - 1,
        nearest_y: h - 1,
        stride,
        len: (h - 1) * stride + w * C as i32,
        w,
        h,
        padding: Padding::Border,
        fill: 0.0,
        avx512: false,
        gathers: false,
        vbmi: false,
    }
}

/// Every pixel of the span passes the planning's own tests: taps
/// inside (`floor` in `0..=w-2`, `0..=h-2`) and every read within the
/// buffer; and the span is found where a row crosses the source.
fn span_holds<const C: usize>(
    (w, h, pad): (i32, i32, i32),
    (a, rx, d, ry): (f64, f64, f64, f64),
    width: usize,
    wide: bool,
) -> Result<(), TestCaseError> {
    let g = geometry::<C>(w, h, pad);
    let row = Row::Affine { a, rx, d, ry };
    let (extra, reach) = read_extent::<C>(g, wide);
    let passes = |j: usize| {
        let (x, y) = (a * j as f64 + rx, d * j as f64 + ry);
        let (fx, fy) = (x.floor(), y.floor());
        let inside =
            (0.0..=f64::from(w - 2)).contains(&fx) && (0.0..=f64::from(h - 2)).contains(&fy);
        inside && {
            let base = fy as i64 * i64::from(g.stride) + fx as i64 * C as i64;
            base + i64::from(extra) + i64::from(reach) <= i64::from(g.len)
        }
    };
    // Limits made with the row's own steps estimate with their
    // reciprocals; with other steps, with divides.
    for steps in [(a, d), (a + 1.0, d - 1.0)] {
        let limits = SpanLimits::new::<C>(g, width, wide, steps.0, steps.1);
        match limits.and_then(|limits| limits.span(&row)) {
            Some(span) => {
                prop_assert!(span.first <= span.last && span.last < width);
                for j in span.first..=span.last {
                    prop_assert!(passes(j), "pixel {} of {:?}", j, (span.first, span.last));
                }
            }
            // A run of passing pixels is not missed where every tap's
            // reads fit (elsewhere the span bounds them conservatively).
            None => {
                let roomy = (h - 2) * g.stride + (w - 2) * C as i32 + extra + reach <= g.len;
                let run = (0..width).filter(|&j| passes(j)).count();
                prop_assert!(run < 3 || !roomy, "{} passing pixels, no span", run);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn a_span_holds_only_pixels_the_planning_would_pass(
        size in (1i32..40, 1i32..30, 0i32..5),
        // Steps like 0.5 from whole numbers land exactly on the tests'
        // bounds, where the estimate's ends must move inward.
        row in (
            prop_oneof![
                Just(0.0f64), Just(-0.0), -3.0f64..3.0, Just(1e-300), Just(1e300),
                Just(0.5), Just(-0.5), Just(0.25), Just(-0.1),
            ],
            prop_oneof![-60.0f64..60.0, Just(0.0), Just(-0.0), (-40i32..40).prop_map(f64::from)],
            prop_oneof![Just(0.0f64), -3.0f64..3.0, Just(0.5), Just(-0.25)],
            prop_oneof![-40.0f64..40.0, (-30i32..30).prop_map(f64::from)],
        ),
        width in 1usize..90,
        wide in any::<bool>(),
    ) {
        span_holds::<1>(size, row, width, wide)?;
        span_holds::<3>(size, row, width, wide)?;
        span_holds::<4>(size, row, width, wide)?;
    }
}

/// `plan_flat` plans a block exactly when every position is finite,
/// on or below the last row, and the last row's reads from the clamped
/// taps end within the buffer; its offsets are those taps', its row
/// weights 0. Its blocks blend with a stride of 0, so these reads are
/// all they make.
fn flat_block<const C: usize>(
    (w, h, pad): (i32, i32, i32),
    left_of_last: [f64; LANES],
    below_last: [f64; LANES],
) -> Result<(), TestCaseError> {
    let xs = left_of_last.map(|dx| f64::from(w - 1) - dx);
    let ys = below_last.map(|dy| f64::from(h - 1) + dy);
    if !(is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")) {
        return Ok(());
    }
    let g = geometry::<C>(w, h, pad);
    let (_, reach) = read_extent::<C>(g.flat(), true);
    // SAFETY: the CPU has AVX2 and FMA (tested above); 4 doubles are
    // read from each half of an 8-double array.
    let planned = unsafe {
        let half = |v: &[f64; LANES], k: usize| _mm256_loadu_pd(v.as_ptr().add(k));
        plan_flat::<C>(g, [half(&xs, 0), half(&xs, 4), half(&ys, 0), half(&ys, 4)])
    };
    let clamped = |x: f64| x.clamp(0.0, f64::from(w - 1)) as i64;
    let offset = |x: f64| i64::from(h - 1) * i64::from(g.stride) + clamped(x) * C as i64;
    let expected = xs.iter().zip(&ys).all(|(x, y)| {
        x.is_finite()
            && y.is_finite()
            && *y >= f64::from(h - 1)
            && offset(*x) + i64::from(reach) <= i64::from(g.len)
    });
    prop_assert_eq!(planned.is_some(), expected);
    if let Some(planned) = planned {
        for (k, &x) in xs.iter().enumerate() {
            prop_assert_eq!(i64::from(planned.base[k]), offset(x));
        }
        let fy: [f32; LANES] = bytemuck::cast(planned.fy);
        prop_assert_eq!(fy, [0.0; LANES]);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn flat_blocks_read_only_the_last_row_within_the_buffer(
        size in (1i32..30, 1i32..12, 0i32..5),
        // How far left of the last column: the last few columns' reads
        // pass the buffer's end.
        left_of_last in proptest::array::uniform8(prop_oneof![
            16 => 6.0f64..40.0,
            2 => -3.0f64..6.0,
            1 => Just(f64::NAN),
            1 => Just(f64::NEG_INFINITY),
        ]),
        // How far below the last row: lanes just above it among
        // lanes on or below it are the blocks the test must refuse.
        below_last in proptest::array::uniform8(prop_oneof![
            16 => 0.0f64..4.0,
            2 => -1.0f64..0.0,
            1 => Just(f64::NAN),
            1 => Just(f64::INFINITY),
        ]),
    ) {
        flat_block::<1>(size, left_of_last, below_last)?;
        flat_block::<3>(size, left_of_last, below_last)?;
        flat_block::<4>(size, left_of_last, below_last)?;
    }
}

#[test]
fn non_finite_rows_have_no_span() {
    let g = geometry::<3>(20, 20, 0);
    for (a, rx) in [(f64::NAN, 1.0), (1.0, f64::INFINITY), (f64::INFINITY, 0.0)] {
        let row = Row::Affine {
            a,
            rx,
            d: 0.5,
            ry: 3.0,
        };
        let limits = SpanLimits::new::<3>(g, 16, true, a, 0.5);
        assert!(limits.and_then(|l| l.span(&row)).is_none());
    }
}
