//! What a warp is asked to do: the interpolation, the padding, the optional
//! fused value affine, and the checks every request passes before any pixel
//! is sampled.
//!
//! [`ChannelAffine`] promises `v * scale[c] + offset[c]` per channel, a
//! multiply then an add (two roundings, no fused multiply-add), applied after
//! interpolation and before the store's rounding; every kernel path repeats
//! exactly that (step 5 of the `kernels::scalar` reference).

use crate::coords::Prepared;
use crate::error::{Error, Result};
use geom::{Map, Padding};

/// How a source position between pixel centres becomes a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Interpolation {
    /// The pixel whose centre is nearest (ties round up: `floor(x + 0.5)`).
    /// Never invents values, so masks and label maps stay valid.
    Nearest,
    /// Blend of the four surrounding pixels.
    #[default]
    Bilinear,
}

/// A per-channel affine on values, `v * scale[c] + offset[c]`, applied after
/// interpolation and before rounding: lighting (brightness, contrast) and
/// tensor normalisation fused into the sampling pass.
///
/// ```
/// use sample::ChannelAffine;
/// // ImageNet normalisation of u8 input: (v / 255 - mean) / std.
/// let n = ChannelAffine::normalise([0.485, 0.456, 0.406], [0.229, 0.224, 0.225], 255.0);
/// let v = 128.0 * n.scale[0] + n.offset[0];
/// assert!((v - (128.0 / 255.0 - 0.485) / 0.229).abs() < 1e-5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChannelAffine {
    /// Factor per channel (only the first `channels` are used).
    pub scale: [f32; 4],
    /// Offset per channel, in the sample type's scale (0–255 for `u8`).
    pub offset: [f32; 4],
}

impl ChannelAffine {
    /// Values unchanged.
    pub const IDENTITY: ChannelAffine = ChannelAffine {
        scale: [1.0; 4],
        offset: [0.0; 4],
    };

    /// The same `v * scale + offset` for every channel.
    pub const fn uniform(scale: f32, offset: f32) -> ChannelAffine {
        ChannelAffine {
            scale: [scale; 4],
            offset: [offset; 4],
        }
    }

    /// `(v / full_scale - mean[c]) / std[c]` for three channels (a fourth,
    /// alpha, is scaled to 0–1 only).
    pub fn normalise(mean: [f32; 3], std: [f32; 3], full_scale: f32) -> ChannelAffine {
        let mut a = ChannelAffine::uniform(1.0 / full_scale, 0.0);
        for c in 0..3 {
            a.scale[c] = 1.0 / (full_scale * std[c]);
            a.offset[c] = -mean[c] / std[c];
        }
        a
    }

    fn check(&self) -> Result<()> {
        for &value in self.scale.iter().chain(&self.offset) {
            if !value.is_finite() {
                return Err(Error::NonFinite {
                    what: "value affine coefficient",
                    value,
                });
            }
        }
        Ok(())
    }
}

/// How to sample: interpolation, padding, and an optional fused value affine.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct WarpOptions {
    /// Nearest or bilinear.
    pub interpolation: Interpolation,
    /// What reads outside the source return.
    pub padding: Padding,
    /// Applied to every output value before rounding, if given.
    pub values: Option<ChannelAffine>,
}

/// Checks everything a warp needs and prepares the map.
pub(crate) fn prepare<'m>(
    width: usize,
    height: usize,
    map: &'m Map,
    options: &WarpOptions,
) -> Result<Prepared<'m>> {
    if let Some(values) = &options.values {
        values.check()?;
    }
    if let Some(value) = options.padding.constant().filter(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            what: "padding constant",
            value,
        });
    }
    match map {
        Map::Affine(a) => {
            a.check_finite()?;
        }
        Map::Projective(p) => {
            geom::Projective::new(p.matrix())?;
        }
        Map::Grid(g) => {
            if (g.width(), g.height()) != (width, height) {
                return Err(Error::GridSizeMismatch {
                    grid_width: g.width(),
                    grid_height: g.height(),
                    width,
                    height,
                });
            }
        }
    }
    Ok(Prepared::new(map))
}
