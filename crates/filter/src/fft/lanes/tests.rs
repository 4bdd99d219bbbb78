//! The lane FFT against the DFT and circular convolution computed in `f64`,
//! and every path against the scalar one, bit for bit.

use super::*;

/// A pulp operation running one transform direction.
struct Run<'a> {
    plan: &'a LanePlan,
    rows: &'a mut [Row],
    forward: bool,
}

impl pulp::WithSimd for Run<'_> {
    type Output = ();
    fn with_simd<S: Simd>(self, simd: S) {
        if self.forward {
            self.plan.forward(simd, self.rows);
        } else {
            self.plan.inverse(simd, self.rows);
        }
    }
}

fn forward(plan: &LanePlan, rows: &mut [Row]) {
    Isa::Scalar.vectorize(Run {
        plan,
        rows,
        forward: true,
    });
}

fn inverse(plan: &LanePlan, rows: &mut [Row]) {
    Isa::Scalar.vectorize(Run {
        plan,
        rows,
        forward: false,
    });
}

/// [`LANES`] signals of length `n` with distinct, irregular values.
fn signals(n: usize) -> Vec<Row> {
    (0..n)
        .map(|p| {
            let mut row = Row::ZERO;
            for k in 0..LANES {
                let v = ((p * 7919 + k * 104_729) % 1009) as f32 / 1009.0;
                row.re[k] = v - 0.5;
                row.im[k] = ((p * 31 + k * 17) % 13) as f32 / 13.0;
            }
            row
        })
        .collect()
}

#[test]
fn forward_is_the_dft_in_scrambled_order() {
    for n in [
        1, 2, 3, 4, 5, 6, 8, 12, 15, 16, 20, 30, 60, 64, 96, 100, 128, 240, 375,
    ] {
        let plan = LanePlan::new(n);
        let x = signals(n);
        let mut y = x.clone();
        forward(&plan, &mut y);
        let mut seen = vec![false; n];
        for k in 0..n {
            let pos = plan.position(k);
            assert!(!seen[pos], "n {n}: position {pos} twice");
            seen[pos] = true;
            for lane in 0..LANES {
                let (mut re, mut im) = (0.0f64, 0.0f64);
                for (p, row) in x.iter().enumerate() {
                    let angle = -TAU * ((p * k) % n) as f64 / n as f64;
                    let (a, b) = (f64::from(row.re[lane]), f64::from(row.im[lane]));
                    re += a * angle.cos() - b * angle.sin();
                    im += a * angle.sin() + b * angle.cos();
                }
                let got = (f64::from(y[pos].re[lane]), f64::from(y[pos].im[lane]));
                let err = (got.0 - re).abs().max((got.1 - im).abs());
                assert!(
                    err < 1e-5 * n as f64,
                    "n {n} k {k} lane {lane}: {got:?} against ({re}, {im})"
                );
            }
        }
    }
}

#[test]
fn inverse_undoes_forward_times_n() {
    for n in [1, 2, 3, 4, 5, 8, 24, 40, 64, 90, 1000, 1024] {
        let plan = LanePlan::new(n);
        let x = signals(n);
        let mut y = x.clone();
        forward(&plan, &mut y);
        inverse(&plan, &mut y);
        for (a, b) in x.iter().zip(&y) {
            for lane in 0..LANES {
                let want = (a.re[lane] * n as f32, a.im[lane] * n as f32);
                let err = (b.re[lane] - want.0).abs().max((b.im[lane] - want.1).abs());
                assert!(
                    err < 1e-5 * n as f32,
                    "n {n}: {:?} against {want:?}",
                    (b.re[lane], b.im[lane])
                );
            }
        }
    }
}

#[test]
fn convolve_is_circular_convolution() {
    let kernels: [(&[f32], usize); 3] = [
        (&[0.25, 0.5, 0.25], 1),
        (&[0.1, 0.2, 0.4, 0.2, 0.1], 2),
        (&[0.5, -0.25, 0.125, 1.0], 1),
    ];
    for n in [6, 16, 45, 128] {
        let plan = LanePlan::new(n);
        for &(kernel, before) in &kernels {
            let spectrum = plan.kernel_spectrum(kernel, before);
            assert_eq!(
                matches!(spectrum, LaneSpectrum::Real(_)),
                kernel.iter().eq(kernel.iter().rev())
            );
            let x = signals(n);
            let mut y = x.clone();
            plan.convolve(Isa::Scalar, &mut y, &spectrum);
            for p in 0..n {
                for lane in 0..LANES {
                    let (mut re, mut im) = (0.0f64, 0.0f64);
                    for (t, &w) in kernel.iter().enumerate() {
                        let row = &x[(p + n + t - before) % n];
                        re += f64::from(w) * f64::from(row.re[lane]);
                        im += f64::from(w) * f64::from(row.im[lane]);
                    }
                    let got = (f64::from(y[p].re[lane]), f64::from(y[p].im[lane]));
                    let err = (got.0 - re).abs().max((got.1 - im).abs());
                    assert!(err < 1e-5, "n {n} p {p}: {got:?} against ({re}, {im})");
                }
            }
        }
    }
}

#[test]
fn every_path_gives_the_scalar_bits() {
    for n in [12, 60, 256, 1024, 1080] {
        let plan = LanePlan::new(n);
        let spectrum = plan.kernel_spectrum(&[0.2, 0.3, 0.5, 0.1], 2);
        let mut want = signals(n);
        plan.convolve(Isa::Scalar, &mut want, &spectrum);
        for isa in Isa::available() {
            let mut got = signals(n);
            plan.convolve(isa, &mut got, &spectrum);
            assert!(got == want, "{isa}, n {n}");
        }
    }
}

#[test]
fn lane_sizes_are_smooth_and_short() {
    assert_eq!(lane_size(0), 1);
    assert_eq!(lane_size(948), 960);
    assert_eq!(lane_size(1000), 1024);
    assert_eq!(lane_size(1024), 1024);
    for n in 1..3000 {
        let m = lane_size(n);
        assert!(
            m >= n && m <= n.next_power_of_two() && is_smooth(m),
            "{n} -> {m}"
        );
    }
}
