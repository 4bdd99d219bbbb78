//! Command-line options shared by `run` and `apply`: where the pipeline
//! comes from, the output size and the seed.

use anyhow::{Context, Result, bail};
use augment::{MAX_OUTPUT_SIDE, Param, Pipeline, ResizeMethod, Step, Transform};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Output size of the presets when `--size` is not given.
pub const PRESET_SIZE: (usize, usize) = (224, 224);

/// Exactly one of a pipeline file or a preset.
#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
pub struct PipelineSource {
    /// Pipeline file, TOML or JSON by its extension (see the library's
    /// `Pipeline::load`); its own seed is used unless --seed is given.
    #[arg(long, value_name = "FILE")]
    pub pipeline: Option<PathBuf>,
    /// A built-in pipeline instead of a file: `fastai` is fastai v1's
    /// training transforms (flip, warp, rotate ±10°, zoom 1–1.1, lighting,
    /// random crop), `fastai-validation` its resize-and-centre-crop.
    #[arg(long, value_enum, value_name = "NAME")]
    pub preset: Option<Preset>,
}

/// The built-in pipelines.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    /// `Pipeline::fastai_default`: training augmentation.
    Fastai,
    /// `Pipeline::fastai_validation`: resize to cover, crop the centre.
    FastaiValidation,
}

/// The pipeline and what the command line changes about it.
#[derive(Args, Debug)]
pub struct PipelineArgs {
    #[command(flatten)]
    pub source: PipelineSource,
    /// Output size WIDTHxHEIGHT. For a preset it is the preset's size
    /// (default 224x224). For a pipeline file it appends a last step that
    /// scales the result to cover WIDTHxHEIGHT and crops the centre (aspect
    /// kept, nothing squashed); it composes into the same map, so each
    /// pixel is still interpolated once.
    #[arg(long, value_name = "WxH", value_parser = parse_size)]
    pub size: Option<(usize, usize)>,
    /// Seed for the random parameters (image k of a run always draws from
    /// (seed, k)); overrides the pipeline file's seed. Presets default to 0.
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
}

impl PipelineArgs {
    /// The pipeline these options describe.
    pub fn build(&self) -> Result<Pipeline> {
        let pipeline = match (&self.source.pipeline, self.source.preset) {
            (Some(path), _) => {
                let loaded = Pipeline::load(path)
                    .with_context(|| format!("reading the pipeline file {}", path.display()))?;
                match self.size {
                    Some((width, height)) => {
                        append_step(loaded, centre_crop_resize(width, height))?
                    }
                    None => loaded,
                }
            }
            (None, Some(preset)) => {
                let (width, height) = self.size.unwrap_or(PRESET_SIZE);
                let builder = match preset {
                    Preset::Fastai => Pipeline::fastai_default(width, height),
                    Preset::FastaiValidation => Pipeline::fastai_validation(width, height),
                };
                builder.build()?
            }
            (None, None) => bail!("give --pipeline FILE or --preset NAME"),
        };
        Ok(match self.seed {
            Some(seed) => pipeline.with_seed(seed),
            None => pipeline,
        })
    }
}

/// Scale to cover `width x height`, crop the centre (fastai's `crop`).
fn centre_crop_resize(width: usize, height: usize) -> Step {
    Step {
        transform: Transform::Resize {
            width,
            height,
            method: ResizeMethod::Crop,
            x: Param::Fixed(0.5),
            y: Param::Fixed(0.5),
        },
        p: 1.0,
    }
}

/// `pipeline` with `step` appended, checked as the builder checks.
fn append_step(pipeline: Pipeline, step: Step) -> Result<Pipeline> {
    Ok(augment::PipelineBuilder::from(pipeline)
        .step(step.transform, step.p)
        .build()?)
}

/// Parses `WIDTHxHEIGHT`, each side 1..=MAX_OUTPUT_SIDE.
pub fn parse_size(text: &str) -> Result<(usize, usize), String> {
    let (w, h) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("{text:?} is not WIDTHxHEIGHT (for example 224x224)"))?;
    let side = |name: &str, v: &str| -> Result<usize, String> {
        let n: usize = v
            .trim()
            .parse()
            .map_err(|_| format!("{name} {v:?} is not a whole number"))?;
        if n == 0 || n > MAX_OUTPUT_SIDE {
            return Err(format!("{name} {n} is outside 1..={MAX_OUTPUT_SIDE}"));
        }
        Ok(n)
    };
    Ok((side("width", w)?, side("height", h)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_bad_ones_say_why() {
        assert_eq!(parse_size("224x160"), Ok((224, 160)));
        assert_eq!(parse_size("64X48"), Ok((64, 48)));
        for (bad, says) in [
            ("224", "WIDTHxHEIGHT"),
            ("0x5", "width 0"),
            ("5xq", "height \"q\""),
            ("99999999x4", "outside"),
        ] {
            let err = parse_size(bad).err().unwrap_or_default();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn size_on_a_file_pipeline_appends_a_centre_crop() -> Result<()> {
        let base = Pipeline::builder().rotate(5.0, 1.0).seed(9).build()?;
        let grown = append_step(base.clone(), centre_crop_resize(32, 16))?;
        assert_eq!(grown.steps().len(), 2);
        assert_eq!(grown.steps()[0], base.steps()[0]);
        assert_eq!(grown.seed(), 9);
        let photo = augment::Image::<u8>::new(90, 30, 3)?;
        let out = grown.apply(photo.view(), 0)?;
        assert_eq!((out.width(), out.height()), (32, 16));
        Ok(())
    }
}
