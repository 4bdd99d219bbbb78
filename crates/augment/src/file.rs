//! Pipeline files: a [`Pipeline`] as TOML or JSON, every step, parameter,
//! probability and setting, read back through the same checks as
//! [`PipelineBuilder::build`](crate::PipelineBuilder::build).
//!
//! A file cannot make the library allocate without bound: the file itself
//! is read only up to [`MAX_PIPELINE_FILE_BYTES`], every size is checked
//! ([`MAX_OUTPUT_SIDE`](crate::MAX_OUTPUT_SIDE) per side), and the pixel
//! limit a file may set is at most [`geom::DEFAULT_MAX_PIXELS`] (a program
//! can lower it with [`Pipeline::with_max_output_pixels`] before running a
//! file it does not trust).

use crate::builder::PipelineBuilder;
use crate::error::{Error, Result};
use crate::param::check_probability;
use crate::pipeline::{Pipeline, Step};
use crate::transform::Transform;
use geom::{DEFAULT_MAX_PIXELS, Padding};
use sample::Interpolation;
use std::io::Read;
use std::path::Path;

/// The largest pipeline file [`Pipeline::load`] reads (1 MiB: a pipeline of
/// a thousand steps is a few tens of kilobytes).
pub const MAX_PIPELINE_FILE_BYTES: u64 = 1 << 20;

/// The text formats a pipeline file can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PipelineFormat {
    /// TOML (`*.toml`): the form to write by hand.
    Toml,
    /// JSON (`*.json`).
    Json,
}

impl PipelineFormat {
    /// The format a file name says (`.toml` or `.json`, any case).
    ///
    /// ```
    /// use augment::PipelineFormat;
    /// assert_eq!(PipelineFormat::from_path("train.TOML"), Some(PipelineFormat::Toml));
    /// assert_eq!(PipelineFormat::from_path("train.yaml"), None);
    /// ```
    pub fn from_path(path: impl AsRef<Path>) -> Option<PipelineFormat> {
        let ext = path.as_ref().extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "toml" => Some(PipelineFormat::Toml),
            "json" => Some(PipelineFormat::Json),
            _ => None,
        }
    }

    /// `"TOML"` or `"JSON"`.
    pub fn name(self) -> &'static str {
        match self {
            PipelineFormat::Toml => "TOML",
            PipelineFormat::Json => "JSON",
        }
    }
}

impl std::fmt::Display for PipelineFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A file error with the key path where it happened.
fn file_error<E: std::fmt::Display>(
    format: PipelineFormat,
    err: serde_path_to_error::Error<E>,
) -> Error {
    let message = err.inner().to_string().trim_end().to_string();
    path_error(format, err.path(), message)
}

/// The error at `path` (a key such as `steps[1].p`) saying `message`.
fn path_error(format: PipelineFormat, path: &serde_path_to_error::Path, message: String) -> Error {
    let mut key = path.to_string();
    if key.is_empty() {
        // A top-level key named "" (JSON allows it): say where, as for any
        // top-level problem.
        key = ".".into();
    }
    Error::PipelineFile {
        format: format.name(),
        key,
        message,
    }
}

impl Pipeline {
    /// Reads a pipeline from text in `format`, checking every value as
    /// [`PipelineBuilder::build`] does. Errors name the key (`steps[1].p`)
    /// and the problem.
    ///
    /// ```
    /// use augment::{Pipeline, PipelineFormat};
    /// let text = r#"
    /// seed = 7
    ///
    /// [[steps]]
    /// transform = { type = "rotate", degrees = [-10, 10] }
    /// p = 0.75
    ///
    /// [[steps]]
    /// transform = { type = "resize", width = 224, height = 224 }
    /// "#;
    /// let pipeline = Pipeline::parse(text, PipelineFormat::Toml)?;
    /// assert_eq!(pipeline.steps().len(), 2);
    /// assert_eq!(Pipeline::from_toml(&pipeline.to_toml()?)?, pipeline);
    ///
    /// let err = Pipeline::from_toml("[[steps]]\ntransform = { type = \"rotate\", degrees = 5 }\np = 2\n")
    ///     .err().map(|e| e.to_string()).unwrap_or_default();
    /// assert!(err.contains("steps[0]") && err.contains("p = 2"), "{err}");
    /// # Ok::<(), augment::Error>(())
    /// ```
    pub fn parse(text: &str, format: PipelineFormat) -> Result<Pipeline> {
        // A byte-order mark, as Windows editors save UTF-8.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        match format {
            PipelineFormat::Toml => {
                let de = toml::Deserializer::parse(text).map_err(|e| Error::PipelineFile {
                    format: format.name(),
                    key: ".".into(),
                    message: e.to_string().trim_end().to_string(),
                })?;
                // The message alone, without toml's excerpt of the file: for
                // a value a step's checks refuse (`p = 7` in the third
                // `[[steps]]`), the excerpt showed the first `[[steps]]`
                // line as a "parse error"; the key says where.
                serde_path_to_error::deserialize(de).map_err(|e| {
                    path_error(format, e.path(), e.inner().message().trim_end().to_string())
                })
            }
            PipelineFormat::Json => {
                let mut de = serde_json::Deserializer::from_str(text);
                let pipeline: Pipeline =
                    serde_path_to_error::deserialize(&mut de).map_err(|e| file_error(format, e))?;
                de.end().map_err(|e| Error::PipelineFile {
                    format: format.name(),
                    key: ".".into(),
                    message: e.to_string(),
                })?;
                Ok(pipeline)
            }
        }
    }

    /// [`Pipeline::parse`] of TOML.
    pub fn from_toml(text: &str) -> Result<Pipeline> {
        Pipeline::parse(text, PipelineFormat::Toml)
    }

    /// [`Pipeline::parse`] of JSON.
    pub fn from_json(text: &str) -> Result<Pipeline> {
        Pipeline::parse(text, PipelineFormat::Json)
    }

    /// The pipeline as text in `format`: every step with its parameters and
    /// probability, and every setting (defaults included, so a file says
    /// everything it means).
    pub fn to_text(&self, format: PipelineFormat) -> Result<String> {
        let written = match format {
            PipelineFormat::Toml => toml::to_string_pretty(self).map_err(|e| e.to_string()),
            PipelineFormat::Json => serde_json::to_string_pretty(self).map_err(|e| e.to_string()),
        };
        written.map_err(|message| Error::PipelineWrite {
            format: format.name(),
            message,
        })
    }

    /// [`Pipeline::to_text`] as TOML.
    pub fn to_toml(&self) -> Result<String> {
        self.to_text(PipelineFormat::Toml)
    }

    /// [`Pipeline::to_text`] as JSON.
    pub fn to_json(&self) -> Result<String> {
        self.to_text(PipelineFormat::Json)
    }

    /// Reads a pipeline file, its format from its name (`*.toml`, `*.json`);
    /// files over [`MAX_PIPELINE_FILE_BYTES`] are refused unread.
    pub fn load(path: impl AsRef<Path>) -> Result<Pipeline> {
        let path = path.as_ref();
        let format =
            PipelineFormat::from_path(path).ok_or_else(|| Error::PipelineFormat(path.into()))?;
        let io = |source| Error::Io {
            path: path.into(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let mut text = String::new();
        // One byte past the limit tells a file at the limit from a longer one.
        file.take(MAX_PIPELINE_FILE_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(io)?;
        if text.len() as u64 > MAX_PIPELINE_FILE_BYTES {
            let len = std::fs::metadata(path).map_or(text.len() as u64, |m| m.len());
            return Err(Error::PipelineFileTooLarge {
                path: path.into(),
                len,
                limit: MAX_PIPELINE_FILE_BYTES,
            });
        }
        Pipeline::parse(&text, format)
    }

    /// Writes the pipeline to `path` in the format its name says.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let format =
            PipelineFormat::from_path(path).ok_or_else(|| Error::PipelineFormat(path.into()))?;
        let text = self.to_text(format)?;
        std::fs::write(path, text).map_err(|source| Error::Io {
            path: path.into(),
            source,
        })
    }

    /// The same pipeline refusing outputs over `limit` pixels (at least 1):
    /// how a program bounds what a file it did not write may ask for.
    #[must_use]
    pub fn with_max_output_pixels(mut self, limit: usize) -> Pipeline {
        self.max_output_pixels = limit.max(1);
        self
    }

    /// The largest output, in pixels, the pipeline accepts.
    pub fn max_output_pixels(&self) -> usize {
        self.max_output_pixels
    }
}

// ---- the file form ----

/// Mirrors `geom::Padding` for pipeline files: `"reflect101"`, `{"constant": 0.5}`, ….
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(remote = "Padding", rename_all = "snake_case")]
enum PaddingDef {
    Constant(f32),
    Zeros,
    Border,
    Reflect,
    Reflect101,
    Wrap,
}

/// Mirrors `sample::Interpolation` for pipeline files.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(remote = "Interpolation", rename_all = "snake_case")]
enum InterpolationDef {
    Nearest,
    Bilinear,
}

/// A step as a file holds it; checked on reading, so an error names the step.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StepSpec {
    transform: Transform,
    #[serde(default = "always")]
    p: f64,
}

fn always() -> f64 {
    1.0
}

impl TryFrom<StepSpec> for Step {
    type Error = Error;

    fn try_from(s: StepSpec) -> Result<Step> {
        s.transform.validate()?;
        check_probability(s.transform.name(), s.p)?;
        Ok(Step {
            transform: s.transform,
            p: s.p,
        })
    }
}

/// A pipeline as a file holds it; turned into a [`Pipeline`] by the builder's checks.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PipelineSpec {
    steps: Vec<Step>,
    #[serde(default, with = "InterpolationDef")]
    interpolation: Interpolation,
    #[serde(default = "default_padding", with = "PaddingDef")]
    padding: Padding,
    #[serde(default, with = "seed")]
    seed: u64,
    #[serde(default = "default_max_pixels")]
    max_output_pixels: usize,
    #[serde(default = "default_true")]
    antialias: bool,
    #[serde(default)]
    mask_fill: f32,
    #[serde(default)]
    min_box_visibility: f64,
}

fn default_padding() -> Padding {
    Padding::Reflect101
}

fn default_max_pixels() -> usize {
    DEFAULT_MAX_PIXELS
}

fn default_true() -> bool {
    true
}

impl TryFrom<PipelineSpec> for Pipeline {
    type Error = Error;

    fn try_from(s: PipelineSpec) -> Result<Pipeline> {
        if s.max_output_pixels > DEFAULT_MAX_PIXELS {
            return Err(Error::InvalidParameter {
                transform: "pipeline",
                parameter: "max_output_pixels",
                value: s.max_output_pixels.to_string(),
                expected: "at most 268435456 (2^28) in a pipeline file; \
                           a program may allow more with PipelineBuilder::max_output_pixels",
            });
        }
        PipelineBuilder {
            pipeline: Pipeline {
                steps: s.steps,
                interpolation: s.interpolation,
                padding: s.padding,
                seed: s.seed,
                max_output_pixels: s.max_output_pixels,
                antialias: s.antialias,
                mask_fill: s.mask_fill,
                min_box_visibility: s.min_box_visibility,
            },
        }
        .build()
    }
}

impl From<Pipeline> for PipelineSpec {
    fn from(p: Pipeline) -> PipelineSpec {
        PipelineSpec {
            steps: p.steps,
            interpolation: p.interpolation,
            padding: p.padding,
            seed: p.seed,
            max_output_pixels: p.max_output_pixels,
            antialias: p.antialias,
            mask_fill: p.mask_fill,
            min_box_visibility: p.min_box_visibility,
        }
    }
}

/// Seeds are `u64`, but TOML integers are `i64`: a seed above `i64::MAX`
/// is written as a decimal string, and either form is read.
mod seed {
    use serde::de::{self, Visitor};

    pub(super) fn serialize<S: serde::Serializer>(seed: &u64, s: S) -> Result<S::Ok, S::Error> {
        if i64::try_from(*seed).is_ok() {
            s.serialize_u64(*seed)
        } else {
            s.collect_str(seed)
        }
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        d.deserialize_any(SeedVisitor)
    }

    struct SeedVisitor;

    impl Visitor<'_> for SeedVisitor {
        type Value = u64;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a whole number from 0 to 18446744073709551615 (or it as a string)")
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
            v.parse()
                .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
        }
    }
}
