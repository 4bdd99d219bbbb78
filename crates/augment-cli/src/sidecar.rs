//! Targets that ride along with an image: files next to it named after it.
//!
//! For an image `photo.jpg`, the files `photo.mask.png` (a label mask the
//! size of the image), `photo.boxes.json` and `photo.points.json`, when
//! present in the same folder, follow the image through the same draw of
//! parameters and are written next to each output as
//! `photo-<copy>.mask.png`, `photo-<copy>.boxes.json` and
//! `photo-<copy>.points.json`.

use crate::files;
use anyhow::{Context, Result, bail};
use augment::{Augmented, BoxFormat, Boxes, Image, MappedPoint, Pipeline, Targets};
use image::{DynamicImage, ImageFormat};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::ffi::{OsStr, OsString};
use std::io::{Read, Write as _};
use std::path::{Path, PathBuf};

/// Largest boxes or points file read (a million boxes is about 50 MB).
const MAX_JSON_BYTES: u64 = 64 << 20;

/// The kinds of sidecar file, with their name suffixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `<stem>.mask.png`
    Mask,
    /// `<stem>.boxes.json`
    Boxes,
    /// `<stem>.points.json`
    Points,
}

impl Kind {
    /// Every kind, in the order they are written (before the image).
    pub const ALL: [Kind; 3] = [Kind::Mask, Kind::Boxes, Kind::Points];

    /// What follows the stem in the file name.
    pub fn suffix(self) -> &'static str {
        match self {
            Kind::Mask => ".mask.png",
            Kind::Boxes => ".boxes.json",
            Kind::Points => ".points.json",
        }
    }
}

/// `<stem><suffix>` as a file name.
pub fn name(stem: &OsStr, kind: Kind) -> OsString {
    let mut name = stem.to_os_string();
    name.push(kind.suffix());
    name
}

/// Whether a file name is a sidecar (so a folder walk does not take a mask
/// for an image of its own).
pub fn is_sidecar_name(name: &OsStr) -> bool {
    let name = name.to_string_lossy().to_ascii_lowercase();
    Kind::ALL.iter().any(|k| name.ends_with(k.suffix()))
}

/// The sidecar files present next to an image.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// `(kind, path)` for each present.
    pub files: Vec<(Kind, PathBuf)>,
}

impl Found {
    /// Looks for the sidecars of `image` (named after its stem).
    pub fn next_to(image: &Path) -> Found {
        let (Some(dir), Some(stem)) = (image.parent(), image.file_stem()) else {
            return Found::default();
        };
        let files = Kind::ALL
            .into_iter()
            .map(|kind| (kind, dir.join(name(stem, kind))))
            .filter(|(_, path)| path.is_file())
            .collect();
        Found { files }
    }

    fn path(&self, kind: Kind) -> Option<&Path> {
        self.files
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, p)| p.as_path())
    }

    /// Reads them all; an error names the file.
    pub fn load(&self) -> Result<Loaded> {
        let mask = self
            .path(Kind::Mask)
            .map(|p| read_mask(p).with_context(|| format!("mask {}", p.display())))
            .transpose()?;
        let boxes = self
            .path(Kind::Boxes)
            .map(|p| read_json::<BoxesFile>(p).with_context(|| format!("boxes {}", p.display())))
            .transpose()?
            .map(BoxesFile::into_boxes)
            .transpose()?;
        let points = self
            .path(Kind::Points)
            .map(|p| read_json::<PointsFile>(p).with_context(|| format!("points {}", p.display())))
            .transpose()?;
        Ok(Loaded {
            mask,
            boxes,
            points,
        })
    }
}

/// Sidecar contents, ready to be augmented.
#[derive(Debug, Default)]
pub struct Loaded {
    mask: Option<Image<u8>>,
    boxes: Option<(Boxes<usize>, Option<Vec<Value>>)>,
    points: Option<PointsFile>,
}

impl Loaded {
    /// Augments `image` as image `index` with these targets.
    pub fn augment(
        &self,
        pipeline: &Pipeline,
        image: &Image<u8>,
        index: u64,
    ) -> Result<Augmented<u8, usize>> {
        let keypoints: Vec<(f64, f64)> = self
            .points
            .as_ref()
            .map(|p| p.points.iter().map(|&[x, y]| (x, y)).collect())
            .unwrap_or_default();
        let targets = Targets {
            mask: self.mask.as_ref().map(Image::view),
            keypoints: &keypoints,
            boxes: self.boxes.as_ref().map(|(b, _)| b),
        };
        Ok(pipeline.apply_with_targets(image.view(), &targets, index)?)
    }

    /// Writes the augmented targets next to an image output `image_path`
    /// (`<stem>.mask.png` and so on; stem = `image_path` without extension).
    pub fn write(&self, out: &mut Augmented<u8, usize>, image_path: &Path) -> Result<()> {
        let (Some(dir), Some(stem)) = (image_path.parent(), image_path.file_stem()) else {
            bail!("{} has no file name", image_path.display());
        };
        let (width, height) = (out.image.width(), out.image.height());
        if let Some(mask) = out.mask.take() {
            let png = files::Encoding {
                format: ImageFormat::Png,
                jpeg_quality: 100,
            };
            files::write_image(mask, &dir.join(name(stem, Kind::Mask)), &png)?;
        }
        if let (Some(boxes), Some((_, labels))) = (out.boxes.take(), &self.boxes) {
            let format = boxes.format();
            let (boxes, indices) = boxes.into_parts();
            let labels = labels
                .as_ref()
                .map(|all| indices.iter().filter_map(|&i| all.get(i)).collect());
            let written = BoxesOut {
                format,
                width,
                height,
                boxes,
                labels,
                indices,
            };
            write_json(&dir.join(name(stem, Kind::Boxes)), &written)?;
        }
        if let Some(points) = &self.points {
            let written = PointsOut {
                width,
                height,
                points: out
                    .keypoints
                    .iter()
                    .map(|p| p.position().map(|(x, y)| [x, y]))
                    .collect(),
                status: out.keypoints.iter().map(status).collect(),
                labels: points.labels.as_ref(),
            };
            write_json(&dir.join(name(stem, Kind::Points)), &written)?;
        }
        Ok(())
    }
}

fn status(p: &MappedPoint) -> &'static str {
    match p {
        MappedPoint::Inside(_) => "inside",
        MappedPoint::Outside(_) => "outside",
        MappedPoint::Lost => "lost",
    }
}

/// A mask keeps its label values: 8-bit gray, RGB or RGBA (a palette PNG
/// arrives as RGB or RGBA colours). Deeper masks are refused, since
/// converting 16-bit labels to 8 bits would merge them.
fn read_mask(path: &Path) -> Result<Image<u8>> {
    let decoded = files::decode(path)?;
    match decoded {
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_) => Ok(Image::try_from(decoded)?),
        other => bail!(
            "is {:?}; masks must be 8-bit (gray, RGB or RGBA) so label values survive",
            other.color()
        ),
    }
}

/// `photo.boxes.json`: `{"format": "pixel_xyxy", "boxes": [[x_min, y_min,
/// x_max, y_max], ...], "labels": [...]}`; `format` may be omitted
/// (pixel_xyxy) or `normalised_xyxy`; `labels` (any JSON values, one per
/// box) may be omitted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BoxesFile {
    #[serde(default = "pixel_xyxy")]
    format: BoxFormat,
    boxes: Vec<[f64; 4]>,
    #[serde(default)]
    labels: Option<Vec<Value>>,
}

fn pixel_xyxy() -> BoxFormat {
    BoxFormat::PixelXyxy
}

impl BoxesFile {
    /// Boxes labelled by their position, so the output can name which input
    /// box each one is, and the user's labels aside.
    fn into_boxes(self) -> Result<(Boxes<usize>, Option<Vec<Value>>)> {
        if let Some(labels) = &self.labels
            && labels.len() != self.boxes.len()
        {
            bail!(
                "{} boxes but {} labels: give one label per box, or none",
                self.boxes.len(),
                labels.len()
            );
        }
        let indices = (0..self.boxes.len()).collect();
        Ok((Boxes::new(self.format, self.boxes, indices)?, self.labels))
    }
}

/// What `photo-<copy>.boxes.json` holds: the boxes still visible, in the
/// input's format, relative to the output image (`width` x `height`), with
/// their labels and their positions in the input file.
#[derive(Serialize)]
struct BoxesOut<'a> {
    format: BoxFormat,
    width: usize,
    height: usize,
    boxes: Vec<[f64; 4]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    labels: Option<Vec<&'a Value>>,
    indices: Vec<usize>,
}

/// `photo.points.json`: `{"points": [[x, y], ...], "labels": [...]}` in
/// pixel coordinates (pixel centres at integers); `labels` optional.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PointsFile {
    points: Vec<[f64; 2]>,
    #[serde(default)]
    labels: Option<Vec<Value>>,
}

/// What `photo-<copy>.points.json` holds: every point in input order, its
/// position in the output (`null` when lost beyond a perspective horizon)
/// and its status (`inside`, `outside` the output, or `lost`).
#[derive(Serialize)]
struct PointsOut<'a> {
    width: usize,
    height: usize,
    points: Vec<Option<[f64; 2]>>,
    status: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    labels: Option<&'a Vec<Value>>,
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(MAX_JSON_BYTES + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > MAX_JSON_BYTES {
        bail!("larger than the limit of {MAX_JSON_BYTES} bytes");
    }
    Ok(serde_json::from_str(&text)?)
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    files::write_atomically(path, |w| {
        serde_json::to_writer_pretty(&mut *w, value)?;
        w.write_all(b"\n")?;
        Ok(())
    })
}
