//! Region decoding: a loader that asks decoders for only the window its
//! plans read gives the batches of one that decodes whole images; the
//! window, turned to stored pixels through each EXIF orientation, cut
//! from the stored image and turned upright again, samples to the
//! whole image's output.

mod common;

use augment::{Image, Normalisation, Pipeline};
use common::*;
use load::decode::{DecodeBuffer, Request, decode, probe};
use load::{Dataset, Loader, Output};

const SIDE: usize = 24;

/// Image `i`: a textured gradient of a size that varies with `i`, JPEG
/// for even `i` and PNG for odd, with EXIF orientation `1 + i % 8`.
fn image_file(i: usize) -> Res<(Vec<u8>, &'static str)> {
    let (w, h) = (90 + 13 * i, 70 + (17 * i) % 41);
    let mut px = gradient(w, h);
    for (j, v) in px.iter_mut().enumerate() {
        *v = v.wrapping_add(((j * 7919) % 61) as u8);
    }
    let orientation = Some(1 + (i % 8) as u16);
    Ok(if i.is_multiple_of(2) {
        let options = Jpeg {
            orientation,
            ..Jpeg::default()
        };
        (jpeg(&px, w, h, options)?, "jpg")
    } else {
        let (color, depth) = (png::ColorType::Rgb, png::BitDepth::Eight);
        (png(&px, w, h, color, depth, None, orientation)?, "png")
    })
}

fn pipelines() -> Res<Vec<Pipeline>> {
    Ok(vec![
        Pipeline::builder()
            .random_resized_crop(SIDE, SIDE)
            .flip_horizontal(0.5)
            .brightness(-0.2..=0.2, 0.5)
            .seed(5)
            .build()?,
        Pipeline::builder()
            .rotate(-20.0..=20.0, 0.7)
            .zoom(1.0..=2.0, 1.0)
            .random_resized_crop(SIDE, SIDE)
            .seed(6)
            .build()?,
        Pipeline::fastai_default(SIDE, SIDE).seed(7).build()?,
    ])
}

/// A folder of [`image_file`] 0 to 15 in two classes.
fn sixteen_images() -> Res<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    for i in 0..16 {
        let (bytes, ext) = image_file(i)?;
        let class = ["a", "b"][i % 2];
        write(&dir.path().join(format!("{class}/{i:03}.{ext}")), &bytes)?;
    }
    Ok(dir)
}

/// One image of a batch: label, sample, tensor values, pixels.
type Slot = (i64, usize, Vec<f32>, Vec<u8>);

/// Every batch of two epochs, flattened.
fn run(loader: &mut Loader) -> Res<Vec<Slot>> {
    let mut all = Vec::new();
    for e in 0..2 {
        loader.set_epoch(e)?;
        for batch in loader.iter() {
            let batch = batch?;
            let per = 3 * SIDE * SIDE;
            for i in 0..batch.len() {
                let tensor = batch
                    .tensor()
                    .map(|t| t[i * per..(i + 1) * per].to_vec())
                    .unwrap_or_default();
                let pixels = batch
                    .pixels()
                    .map(|p| p[i * per..(i + 1) * per].to_vec())
                    .unwrap_or_default();
                all.push((batch.labels()[i], batch.samples()[i], tensor, pixels));
            }
        }
    }
    Ok(all)
}

#[test]
fn region_decoding_gives_the_batches_of_whole_images() -> TestResult {
    let dir = sixteen_images()?;
    for pipeline in pipelines()? {
        for output in [Output::Tensor(Normalisation::IMAGENET), Output::Pixels] {
            let make = |on: bool| {
                Loader::builder(Dataset::image_folder(dir.path())?, pipeline.clone())
                    .batch_size(5)
                    .threads(2)
                    .output(output)
                    .shuffle(true)
                    .region_decoding(on)
                    .build()
            };
            let (on, off) = (run(&mut make(true)?)?, run(&mut make(false)?)?);
            assert_eq!(on.len(), 32);
            // The JPEG decoder (at whatever scale both loaders decode
            // at) and the PNG decoder honour the region, each file turned
            // by its EXIF orientation, and give the batches within the
            // bound stated on
            // `augment::Pipeline::read_window`: u8 by at most 1, f32 by
            // about one f32 step, on very few values.
            let (mut values, mut differ) = (0, 0);
            for (a, b) in on.iter().zip(&off) {
                assert_eq!((a.0, a.1), (b.0, b.1), "labels and samples");
                for (x, y) in a.2.iter().zip(&b.2) {
                    assert!((x - y).abs() <= 1e-6, "tensor {x} against {y}");
                    values += 1;
                    differ += usize::from(x != y);
                }
                for (x, y) in a.3.iter().zip(&b.3) {
                    assert!(x.abs_diff(*y) <= 1, "pixel {x} against {y}");
                    values += 1;
                    differ += usize::from(x != y);
                }
            }
            assert!(
                differ * 10_000 <= values,
                "{differ} of {values} values differ"
            );
        }
    }
    Ok(())
}

/// What a decoder honouring the region would deliver, made by hand: the
/// stored pixels of `stored_rect(read_window)`, turned upright. Sampling
/// it at its upright origin gives the whole image's tensor.
#[test]
fn stored_regions_turned_upright_sample_like_the_whole_image() -> TestResult {
    let norm = Normalisation::IMAGENET;
    let mut smaller = 0;
    for pipeline in pipelines()? {
        for i in 0..16 {
            let (bytes, _) = image_file(i)?;
            let header = probe(&bytes)?;
            let o = header.orientation;
            let stored = (header.width, header.height);
            let (uw, uh) = header.upright_size();
            let mut upright = DecodeBuffer::new();
            decode(&bytes, &Request::new(), &mut upright)?;
            let mut raw = DecodeBuffer::new();
            decode(&bytes, &Request::new().orientation(false), &mut raw)?;
            let raw = raw.view().ok_or("empty")?;
            for k in 0..6u64 {
                let index = 100 * i as u64 + k;
                let plan = pipeline.plan(uw as usize, uh as usize, index)?;
                let win = pipeline.read_window(&plan);
                smaller += usize::from(win.area() < (uw * uh) as usize);
                let side = |v: usize| v as u32;
                let r = o.stored_rect(
                    (side(win.x), side(win.y), side(win.width), side(win.height)),
                    stored,
                );
                assert_eq!(
                    o.upright_rect(r, stored),
                    (side(win.x), side(win.y), side(win.width), side(win.height))
                );
                // The region turned upright, pixel by pixel.
                let size = (f64::from(stored.0), f64::from(stored.1));
                let turned = Image::<u8>::from_fn(win.width, win.height, 3, |u, v, c| {
                    let (x, y) = o.to_stored(((win.x + u) as f64, (win.y + v) as f64), size);
                    let (x, y) = (x as usize, y as usize);
                    assert!(x >= r.0 as usize && y >= r.1 as usize);
                    raw.pixel(x, y)[c]
                })?;
                let view = upright.view().ok_or("empty")?;
                let cut = view.crop(win.x, win.y, win.width, win.height)?;
                let same = (0..win.height)
                    .all(|v| (0..win.width).all(|u| cut.pixel(u, v) == turned.view().pixel(u, v)));
                assert!(
                    same,
                    "image {i} ({o:?}): the turned region is not the upright crop"
                );
                let len = 3 * SIDE * SIDE;
                let (mut whole, mut part) = (vec![0.0; len], vec![0.0; len]);
                let view = upright.view().ok_or("empty")?;
                pipeline.apply_tensor(view, index, &norm, &mut whole)?;
                pipeline.apply_tensor_window(
                    turned.view(),
                    (win.x, win.y),
                    &plan,
                    &norm,
                    &mut part,
                )?;
                let n = whole.iter().zip(&part).filter(|(a, b)| a != b).count();
                let m = whole
                    .iter()
                    .zip(&part)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f32::max);
                assert!(
                    whole == part,
                    "image {i} ({o:?}) index {k}: {n} differ, max {m}, window {win:?} of {uw}x{uh}, plan {plan:?}"
                );
            }
        }
    }
    assert!(
        smaller > 100,
        "{smaller} of 288 windows smaller than the image"
    );
    Ok(())
}

#[test]
fn row_starts_kept_from_an_earlier_epoch_give_the_same_batches() -> TestResult {
    let dir = sixteen_images()?;
    for pipeline in pipelines()? {
        let make = |budget: usize| {
            Loader::builder(Dataset::image_folder(dir.path())?, pipeline.clone())
                .batch_size(5)
                .threads(2)
                .output(Output::Pixels)
                .seek_index_bytes(budget)
                .build()
        };
        let (mut kept, mut none) = (make(load::DEFAULT_SEEK_INDEX_BYTES)?, make(0)?);
        // Two epochs: the second decodes through the first's row starts.
        let (a, b) = (run(&mut kept)?, run(&mut none)?);
        assert_eq!(a.len(), 32);
        assert!(a == b, "batches differ with row starts kept");
        // The eight JPEGs keep theirs: 8 bytes per row (of 8 or 16
        // pixels) and an entry of some 41 bytes each.
        let held = kept.stats().seek_index_bytes;
        assert!(
            (8 * (8 + 32)..=8 * (8 * 20 + 64)).contains(&held),
            "{held} bytes held"
        );
        assert_eq!(none.stats().seek_index_bytes, 0);
    }
    Ok(())
}

/// `FileAugmenter`, one file at a time, makes the loader's images bit for
/// bit: the same plan from the header, the same region and scale asked
/// of the decoder, the same sampling; with steering on or off.
#[test]
fn file_augmenter_makes_the_loaders_images() -> TestResult {
    use load::sampler::augment_index;
    use load::{FileAugmenter, SampleName};
    let dir = sixteen_images()?;
    let norm = Normalisation::IMAGENET;
    for pipeline in pipelines()? {
        for (region, scaled) in [(true, true), (true, false), (false, true), (false, false)] {
            let loader = |output| {
                Loader::builder(Dataset::image_folder(dir.path())?, pipeline.clone())
                    .batch_size(5)
                    .threads(2)
                    .output(output)
                    .shuffle(false)
                    .region_decoding(region)
                    .scaled_decoding(scaled)
                    .build()
            };
            let tensors = run(&mut loader(Output::Tensor(norm))?)?;
            let pixels = run(&mut loader(Output::Pixels)?)?;
            let dataset = Dataset::image_folder(dir.path())?;
            let mut augmenter = FileAugmenter::new(pipeline.clone())
                .region_decoding(region)
                .scaled_decoding(scaled);
            let (mut tensor, mut rgb) = (Vec::new(), Vec::new());
            for (k, (t, p)) in tensors.iter().zip(&pixels).enumerate() {
                let (epoch, position) = ((k / 16) as u64, k % 16);
                assert_eq!(t.1, position, "no shuffle: position k is sample k");
                let path = dataset.name(position).ok_or("no name")?.path;
                let bytes = std::fs::read(&path)?;
                let name = SampleName::file(&path);
                let index = augment_index(epoch, position as u64);
                let size = augmenter.tensor(&name, &bytes, index, &norm, &mut tensor)?;
                assert_eq!(size, (SIDE, SIDE));
                assert!(tensor == t.2, "{}: tensor of image {index}", path.display());
                augmenter.pixels(&name, &bytes, index, &mut rgb)?;
                assert!(rgb == p.3, "{}: pixels of image {index}", path.display());
            }
        }
    }
    Ok(())
}

/// `FileAugmenter`'s errors name the sample, as the loader's do.
#[test]
fn file_augmenter_errors_name_the_sample() -> TestResult {
    use load::{Error, FileAugmenter, SampleName};
    let (bytes, _) = image_file(0)?;
    let mut augmenter = FileAugmenter::new(pipelines()?.remove(0));
    let name = SampleName::file("cut.jpg");
    let mut out = Vec::new();
    let error = augmenter
        .tensor(
            &name,
            &bytes[..bytes.len() / 3],
            0,
            &Normalisation::IMAGENET,
            &mut out,
        )
        .err()
        .ok_or("a third of a JPEG made an image")?;
    assert!(
        matches!(&error, Error::Decode { sample, .. } if *sample == name),
        "{error}"
    );
    assert!(error.to_string().starts_with("cut.jpg: "), "{error}");
    let tiny = FileAugmenter::new(pipelines()?.remove(0)).max_pixels(100);
    let error = { tiny }
        .pixels(&name, &bytes, 0, &mut Vec::new())
        .err()
        .ok_or("the pixel limit let a bigger image through")?;
    assert!(matches!(error, Error::Decode { .. }), "{error}");
    Ok(())
}
