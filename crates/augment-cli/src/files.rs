//! Reading images, writing outputs atomically, and the Ctrl-C flag.
//!
//! Every output goes to a hidden temporary file in its destination folder
//! and is renamed over the destination only once complete, so an
//! interrupted run never leaves a half-written file under an output name.
//! (There is no fsync before the rename: atomic against interruption, not
//! against a power cut.)

use anyhow::{Context, Result, bail};
use augment::Image;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};
use std::io::{BufWriter, Seek, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by Ctrl-C: workers stop taking new work, and nothing more is renamed
/// into place.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Whether Ctrl-C was pressed.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Installs the Ctrl-C handler: the first press lets images in flight finish
/// (their temporary files are deleted, not renamed) and the run stop; a
/// second press exits at once (a hidden `.augment-*.part` file may stay).
pub fn handle_ctrl_c() -> Result<()> {
    ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(crate::EXIT_INTERRUPTED);
        }
        eprintln!("\naugment: interrupted; stopping (Ctrl-C again to quit at once)");
    })
    .context("installing the Ctrl-C handler")
}

/// The work stopped because of Ctrl-C (not a failure of the file at hand).
#[derive(Debug)]
pub struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

/// Decodes an image file, its format from its content (so a misnamed file
/// still reads), into 8-bit gray, RGB or RGBA, turned upright by its EXIF
/// orientation (JPEG, PNG, WebP) when `orientation` is set, as the loader
/// and the Python package's `read_image` turn it.
///
/// JPEGs go through the loader's decoder (`load::decode`), so `augment run`
/// sees the pixels the loader and `augment.read_image` see (libjpeg-turbo's,
/// on sequential files) and a gray JPEG stays one channel. Other formats go
/// through the `image` crate, which keeps their channels (gray, RGBA) and
/// reads more formats than the loader (TIFF); its default decoding limits
/// apply (512 MiB per allocation, the decoded image included).
pub fn read_image(path: &Path, orientation: bool) -> Result<Image<u8>> {
    let bytes = std::fs::read(path)?;
    if let Ok(header) = load::decode::probe(&bytes)
        && header.format == load::decode::Format::Jpeg
    {
        return read_jpeg(&bytes, header.color, orientation);
    }
    let mut decoder = ImageReader::new(std::io::Cursor::new(&bytes))
        .with_guessed_format()?
        .into_decoder()?;
    // `into_decoder` skips the limits `ImageReader::decode` applies: without
    // them a 74-byte PNG claiming 100000x100000 pixels asked for 30 GB and
    // aborted the process, and with it the rest of a `run`.
    let mut limits = image::Limits::default();
    decoder.set_limits(limits.clone())?;
    limits.reserve(decoder.total_bytes())?;
    let turn = if orientation {
        decoder.orientation()?
    } else {
        image::metadata::Orientation::NoTransforms
    };
    let mut decoded = DynamicImage::from_decoder(decoder)?;
    decoded.apply_orientation(turn);
    Ok(Image::try_from(decoded)?)
}

/// A JPEG through the loader's decoder: RGB, or one channel for a gray file
/// (the decoder repeats gray in R, G and B, so taking R loses nothing).
fn read_jpeg(
    bytes: &[u8],
    color: load::decode::ColorModel,
    orientation: bool,
) -> Result<Image<u8>> {
    use load::decode::{ColorModel, DecodeBuffer, Request, decode};
    let mut buffer = DecodeBuffer::new();
    let delivered = decode(bytes, &Request::new().orientation(orientation), &mut buffer)?;
    let (width, height) = (delivered.width as usize, delivered.height as usize);
    let rgb = buffer.as_slice();
    let (channels, pixels) = if color == ColorModel::Gray {
        (1, rgb.iter().step_by(3).copied().collect())
    } else {
        (3, rgb.to_vec())
    };
    Ok(Image::from_vec(width, height, channels, pixels)?)
}

/// Decodes an image file as it is stored (no orientation applied).
pub fn decode(path: &Path) -> Result<DynamicImage> {
    Ok(ImageReader::open(path)?.with_guessed_format()?.decode()?)
}

/// The writable image format a file extension names, if any.
pub fn writable_format(ext: &str) -> Option<ImageFormat> {
    ImageFormat::from_extension(ext).filter(ImageFormat::writing_enabled)
}

/// The readable image format a file extension names, if any.
pub fn readable_format(ext: &str) -> Option<ImageFormat> {
    ImageFormat::from_extension(ext).filter(ImageFormat::reading_enabled)
}

/// The extensions of every format this build writes, for error messages.
pub fn writable_extensions() -> String {
    ImageFormat::all()
        .filter(ImageFormat::writing_enabled)
        .filter_map(|f| f.extensions_str().first().copied())
        .collect::<Vec<_>>()
        .join(", ")
}

/// How outputs are encoded.
#[derive(Debug, Clone, Copy)]
pub struct Encoding {
    /// The container.
    pub format: ImageFormat,
    /// JPEG quality, 1–100.
    pub jpeg_quality: u8,
}

impl Encoding {
    /// Encodes `img` into `w`. PNG uses fast compression (the run is about
    /// throughput; files stay lossless). JPEG has no alpha, so RGBA loses it.
    /// PNM files (`.ppm`, `.pgm`, `.pnm`, ...) are binary P5 (gray) or P6
    /// (colour, alpha dropped), which every reader takes; the `image`
    /// crate's default, PAM (`P7`), few read (Pillow does not).
    pub fn encode<W: Write + Seek>(&self, img: Image<u8>, w: &mut W) -> Result<()> {
        let dynamic = DynamicImage::try_from(img)?;
        match self.format {
            ImageFormat::Png => {
                use image::codecs::png::{CompressionType, FilterType, PngEncoder};
                let encoder =
                    PngEncoder::new_with_quality(w, CompressionType::Fast, FilterType::Adaptive);
                dynamic.write_with_encoder(encoder)?;
            }
            ImageFormat::Jpeg => {
                let encoder =
                    image::codecs::jpeg::JpegEncoder::new_with_quality(w, self.jpeg_quality);
                let dynamic = if dynamic.color().has_alpha() {
                    DynamicImage::ImageRgb8(dynamic.to_rgb8())
                } else {
                    dynamic
                };
                dynamic.write_with_encoder(encoder)?;
            }
            ImageFormat::Pnm => {
                use image::codecs::pnm::{PnmEncoder, PnmSubtype, SampleEncoding};
                let (subtype, dynamic) = match dynamic.color().channel_count() {
                    1 => (PnmSubtype::Graymap(SampleEncoding::Binary), dynamic),
                    _ => (
                        PnmSubtype::Pixmap(SampleEncoding::Binary),
                        DynamicImage::ImageRgb8(dynamic.to_rgb8()),
                    ),
                };
                dynamic.write_with_encoder(PnmEncoder::new(w).with_subtype(subtype))?;
            }
            other => dynamic.write_to(w, other)?,
        }
        Ok(())
    }
}

/// Writes `path` through a temporary file in the same folder and a rename.
/// If Ctrl-C was pressed meanwhile, the temporary file is deleted instead
/// and [`Interrupted`] returned.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&mut std::fs::File>) -> Result<()>,
) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".augment-").suffix(".part");
    #[cfg(unix)]
    {
        // tempfile's default is 0600; outputs get what any new file gets
        // (0666 less the umask), as if written directly.
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    {
        let mut writer = BufWriter::new(tmp.as_file_mut());
        write(&mut writer)?;
        writer.flush()?;
    }
    if interrupted() {
        return Err(Interrupted.into());
    }
    tmp.persist(path)
        .with_context(|| format!("renaming the finished file to {}", path.display()))?;
    Ok(())
}

/// Encodes `img` and writes it atomically to `path`.
pub fn write_image(img: Image<u8>, path: &Path, encoding: &Encoding) -> Result<()> {
    write_atomically(path, |w| encoding.encode(img, w))
}

/// `path` made absolute with symbolic links resolved as far as it exists;
/// the part that does not exist yet is appended as written. Two paths that
/// would open the same file compare equal (hard links aside).
pub fn resolved(path: &Path) -> Result<PathBuf> {
    if let Ok(p) = path.canonicalize() {
        return Ok(p);
    }
    let absolute =
        std::path::absolute(path).with_context(|| format!("making {} absolute", path.display()))?;
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(p) = existing.canonicalize() {
            let mut out = p;
            for part in rest.iter().rev() {
                match part {
                    Component::ParentDir => {
                        out.pop();
                    }
                    Component::CurDir => {}
                    other => out.push(other),
                }
            }
            return Ok(out);
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                existing = parent;
            }
            _ => bail!("{} has no existing ancestor", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolved_paths_meet_where_the_files_meet() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let root = dir.path().canonicalize()?;
        std::fs::create_dir(root.join("a"))?;
        std::fs::write(root.join("a/x.png"), b"x")?;
        assert_eq!(resolved(&root.join("a/../a/x.png"))?, root.join("a/x.png"));
        assert_eq!(
            resolved(&root.join("a/new/../y.png"))?,
            root.join("a/y.png"),
            "a missing part is appended as written, .. taken lexically"
        );
        assert_eq!(resolved(&root.join("b/c/d.png"))?, root.join("b/c/d.png"));
        Ok(())
    }

    #[test]
    fn interrupted_writes_leave_nothing() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("out.bin");
        write_atomically(&target, |w| Ok(w.write_all(b"done")?))?;
        assert_eq!(std::fs::read(&target)?, b"done");
        let failed = write_atomically(&dir.path().join("bad.bin"), |_| bail!("encoder failed"));
        assert!(failed.is_err());
        let names: Vec<_> = std::fs::read_dir(dir.path())?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<Result<_, _>>()?;
        assert_eq!(names, vec![std::ffi::OsString::from("out.bin")]);
        Ok(())
    }
}
