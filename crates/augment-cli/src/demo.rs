//! `augment demo`: a default pipeline on the bundled photo (or the user's),
//! the variants and a contact sheet.

use crate::files;
use anyhow::{Context, Result};
use augment::{Image, Pipeline, ResizeMethod};
use std::path::Path;
use std::time::Instant;

/// The photograph bundled for the demo and the bench (CC0, see
/// assets/LICENSES.md), so both work on a fresh clone with nothing else
/// present.
pub const DEMO_PHOTO: &[u8] = include_bytes!("../assets/coffee.png");

/// Tile size of the demo: 3:2 like the bundled photo.
const TILE: (usize, usize) = (288, 192);
const VARIANTS: usize = 15;
const GRID_COLUMNS: usize = 4;
const GUTTER: usize = 6;

fn demo_pipeline(seed: u64) -> augment::Result<Pipeline> {
    Pipeline::builder()
        .flip_horizontal(0.5)
        .rotate(-25.0..=25.0, 0.75)
        .zoom(1.0..=1.4, 0.75)
        .brightness(-0.2..=0.2, 0.75)
        .contrast(-0.2..=0.2, 0.75)
        .resize_with(TILE.0, TILE.1, ResizeMethod::Crop)
        .seed(seed)
        .build()
}

/// The photo as RGB: yours read as `run` reads it (format from the bytes,
/// upright by its EXIF orientation), or the bundled one. Tiles cover the
/// tile size and cut the overflow, so no photo is stretched.
fn load_rgb(input: Option<&Path>) -> Result<Image<u8>> {
    let decoded = match input {
        Some(path) => image::DynamicImage::try_from(
            files::read_image(path, true).with_context(|| format!("reading {}", path.display()))?,
        )?,
        None => image::load_from_memory(DEMO_PHOTO).context("decoding the bundled photo")?,
    };
    Ok(Image::try_from(image::DynamicImage::ImageRgb8(
        decoded.to_rgb8(),
    ))?)
}

pub fn demo(out: &Path, seed: u64, input: Option<&Path>) -> Result<()> {
    let photo = load_rgb(input)?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let pipeline = demo_pipeline(seed)?;
    let original = Pipeline::builder()
        .resize_with(TILE.0, TILE.1, ResizeMethod::Crop)
        .build()?
        .apply(photo.view(), 0)?;

    let started = Instant::now();
    let variants = (0..VARIANTS as u64)
        .map(|k| pipeline.apply(photo.view(), k))
        .collect::<augment::Result<Vec<_>>>()?;
    let elapsed = started.elapsed();

    for (k, img) in variants.iter().enumerate() {
        save_png(img.clone(), &out.join(format!("variant-{k:02}.png")))?;
    }
    let tiles: Vec<&Image<u8>> = std::iter::once(&original).chain(&variants).collect();
    let sheet_path = out.join("contact-sheet.png");
    save_png(contact_sheet(&tiles)?, &sheet_path)?;

    println!(
        "augment demo: {} variants of a {}x{} photo in {:.2} ms ({:.0} images/s, one thread, {} kernels)",
        VARIANTS,
        photo.width(),
        photo.height(),
        elapsed.as_secs_f64() * 1e3,
        VARIANTS as f64 / elapsed.as_secs_f64(),
        augment::Isa::selected(),
    );
    println!(
        "wrote {VARIANTS} variants to {}/variant-NN.png",
        out.display()
    );
    println!("contact sheet (original first): {}", sheet_path.display());
    Ok(())
}

/// Tiles in a grid, `GRID_COLUMNS` wide, on a white background.
fn contact_sheet(tiles: &[&Image<u8>]) -> Result<Image<u8>> {
    let rows = tiles.len().div_ceil(GRID_COLUMNS);
    let width = GRID_COLUMNS * (TILE.0 + GUTTER) + GUTTER;
    let height = rows * (TILE.1 + GUTTER) + GUTTER;
    let mut sheet = Image::<u8>::new(width, height, 3)?;
    sheet.as_mut_slice().fill(255);
    for (n, tile) in tiles.iter().enumerate() {
        let x0 = GUTTER + (n % GRID_COLUMNS) * (TILE.0 + GUTTER);
        let y0 = GUTTER + (n / GRID_COLUMNS) * (TILE.1 + GUTTER);
        let row_len = tile.width() * 3;
        for (y, src_row) in tile.as_slice().chunks_exact(row_len).enumerate() {
            let start = ((y0 + y) * width + x0) * 3;
            sheet.as_mut_slice()[start..start + row_len].copy_from_slice(src_row);
        }
    }
    Ok(sheet)
}

/// Writes a PNG atomically (temporary file and rename).
fn save_png(img: Image<u8>, path: &Path) -> Result<()> {
    let png = files::Encoding {
        format: image::ImageFormat::Png,
        jpeg_quality: 100,
    };
    files::write_image(img, path, &png).with_context(|| format!("writing {}", path.display()))
}
