//! One axis of a separable filter, as the direct and FFT passes take it.

use crate::method::Method;
use geom::Isa;

/// One axis of a separable filter: weights, how many of them lie before the
/// centre tap (`len / 2` for a centred kernel; box blurs of even size put
/// one more before), and how to compute it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Axis<'a> {
    pub weights: &'a [f32],
    pub before: usize,
    pub method: Method,
}

impl<'a> Axis<'a> {
    /// A centred kernel.
    pub(crate) fn centred(weights: &'a [f32], method: Method) -> Self {
        Axis {
            weights,
            before: weights.len() / 2,
            method,
        }
    }

    /// Taps after the centre.
    pub(crate) fn after(&self) -> usize {
        self.weights.len() - 1 - self.before
    }

    /// Whether this axis runs through the FFT on the `isa` path.
    pub(crate) fn uses_fft(&self, isa: Isa) -> bool {
        self.method.resolve(isa, self.before.max(self.after())) == Method::Fft
    }
}
