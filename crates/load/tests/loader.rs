//! The loader end to end: batches identical whatever the thread count,
//! prefetch depth and batch size, and from a folder, a list file or tar
//! shards; each image is the pipeline's image `augment_index(epoch, k)`;
//! epochs, shuffle, ranks and lengths as the sampler says; bad samples
//! replaced and reported (skip) or delivered as errors (fail).

mod common;

use augment::{Normalisation, Pipeline};
use common::*;
use load::decode::{DecodeBuffer, Request, decode};
use load::sampler::{Sampling, augment_index};
use load::{Dataset, Error, Loader, LoaderBuilder, Output, Policy};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

const SIDE: usize = 12;

/// Image `i` of the test set: a gradient of a size that varies with `i`,
/// JPEG for even `i`, PNG for odd.
fn image_file(i: usize) -> Res<(Vec<u8>, &'static str)> {
    let (w, h) = (20 + 3 * i, 16 + (7 * i) % 11);
    let mut px = gradient(w, h);
    for (j, v) in px.iter_mut().enumerate() {
        *v = v.wrapping_add((i * 31 + j % 7) as u8);
    }
    Ok(if i.is_multiple_of(2) {
        (jpeg(&px, w, h, Jpeg::default())?, "jpg")
    } else {
        (png_rgb(&px, w, h)?, "png")
    })
}

/// The same `n` samples as a folder (classes "a" and "b"), a list file and
/// two tar shards, in the same order with the same labels.
struct Fixture {
    dir: tempfile::TempDir,
    files: Vec<PathBuf>,
}

impl Fixture {
    fn new(n: usize) -> Res<Fixture> {
        let dir = tempfile::tempdir()?;
        let mut files = Vec::new();
        let mut list = String::from("path,label\n");
        let mut shards = [tar::Builder::new(Vec::new()), tar::Builder::new(Vec::new())];
        for i in 0..n {
            let (bytes, ext) = image_file(i)?;
            let label = usize::from(i >= n / 2);
            let rel = format!("folder/{}/{i:03}.{ext}", ["a", "b"][label]);
            let path = dir.path().join(&rel);
            write(&path, &bytes)?;
            list.push_str(&format!("{rel},{label}\n"));
            let shard = &mut shards[usize::from(i >= n / 3)];
            for (name, data) in [
                (format!("{i:03}.{ext}"), bytes.as_slice()),
                (format!("{i:03}.cls"), label.to_string().as_bytes()),
            ] {
                let mut header = tar::Header::new_gnu();
                header.set_size(data.len() as u64);
                header.set_mode(0o644);
                shard.append_data(&mut header, name, data)?;
            }
            files.push(path);
        }
        std::fs::write(dir.path().join("list.csv"), list)?;
        for (s, b) in shards.into_iter().enumerate() {
            std::fs::write(dir.path().join(format!("shard-{s}.tar")), b.into_inner()?)?;
        }
        Ok(Fixture { dir, files })
    }

    fn folder(&self) -> Res<Dataset> {
        Ok(Dataset::image_folder(self.dir.path().join("folder"))?)
    }

    fn list(&self) -> Res<Dataset> {
        Ok(Dataset::list_file(self.dir.path().join("list.csv"))?)
    }

    fn shards(&self) -> Res<Dataset> {
        Ok(Dataset::shards(&format!(
            "{}/shard-{{0..1}}.tar",
            self.dir.path().display()
        ))?)
    }
}

fn pipeline() -> Res<Pipeline> {
    Ok(Pipeline::builder()
        .random_resized_crop(SIDE, SIDE)
        .flip_horizontal(0.5)
        .rotate(-10.0..=10.0, 0.5)
        .brightness(-0.2..=0.2, 0.5)
        .seed(11)
        .build()?)
}

fn builder(dataset: Dataset) -> Res<LoaderBuilder> {
    Ok(Loader::builder(dataset, pipeline()?))
}

/// What one slot delivered.
#[derive(Debug, Clone, PartialEq)]
struct Slot {
    sample: usize,
    label: i64,
    tensor: Vec<f32>,
    pixels: Vec<u8>,
}

/// One epoch as position -> slot, and the batch sizes seen.
fn epoch(loader: &mut Loader, e: u64) -> Res<(BTreeMap<u64, Slot>, Vec<usize>)> {
    loader.set_epoch(e)?;
    let mut slots = BTreeMap::new();
    let mut sizes = Vec::new();
    for batch in loader.iter() {
        let batch = batch?;
        sizes.push(batch.len());
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
            let slot = Slot {
                sample: batch.samples()[i],
                label: batch.labels()[i],
                tensor,
                pixels,
            };
            assert!(slots.insert(batch.positions()[i], slot).is_none());
        }
    }
    Ok((slots, sizes))
}

#[test]
fn batches_do_not_depend_on_threads_prefetch_or_batch_size() -> TestResult {
    let fx = Fixture::new(11)?;
    for output in [Output::Tensor(Normalisation::IMAGENET), Output::Pixels] {
        let run = |threads, prefetch, batch| -> Res<_> {
            let mut loader = builder(fx.folder()?)?
                .threads(threads)
                .prefetch(prefetch)
                .batch_size(batch)
                .output(output)
                .build()?;
            epoch(&mut loader, 3)
        };
        let (reference, sizes) = run(1, 1, 4)?;
        assert_eq!(sizes, [4, 4, 3]);
        assert_eq!(reference.len(), 11);
        for (threads, prefetch, batch) in [(2, 3, 4), (3, 2, 5), (2, 1, 1), (4, 4, 11)] {
            let (slots, _) = run(threads, prefetch, batch)?;
            assert_eq!(
                slots, reference,
                "{threads} threads, prefetch {prefetch}, batch {batch}"
            );
        }
    }
    Ok(())
}

/// A loader of batches of 3 on 2 threads (prefetch 1, so buffers come
/// back to the pool often), and its epoch 1 as the reference.
fn batches_of_three(fx: &Fixture, output: Output) -> Res<(Loader, BTreeMap<u64, Slot>)> {
    let mut loader = builder(fx.folder()?)?
        .threads(2)
        .prefetch(1)
        .batch_size(3)
        .output(output)
        .build()?;
    let (reference, _) = epoch(&mut loader, 1)?;
    Ok((loader, reference))
}

/// Moving each batch's images out (as the Python package hands them to
/// NumPy) leaves the batch's labels and the following batches as they
/// were: the loader allocates afresh where it would have reused.
#[test]
fn images_moved_out_of_batches_match_the_reused_buffers() -> TestResult {
    let fx = Fixture::new(11)?;
    for output in [Output::Tensor(Normalisation::IMAGENET), Output::Pixels] {
        let (mut loader, reference) = batches_of_three(&fx, output)?;
        loader.set_epoch(1)?;
        let per = 3 * SIDE * SIDE;
        let mut seen = 0;
        for batch in loader.iter() {
            let mut batch = batch?;
            let (tensor, pixels) = (batch.take_tensor(), batch.take_pixels());
            assert_eq!(tensor.is_some(), matches!(output, Output::Tensor(_)));
            assert_eq!(pixels.is_some(), output == Output::Pixels);
            let tensor = tensor.unwrap_or_default();
            let pixels = pixels.unwrap_or_default();
            assert_eq!(tensor.len() + pixels.len(), batch.len() * per);
            for i in 0..batch.len() {
                let slot = &reference[&batch.positions()[i]];
                assert_eq!(batch.samples()[i], slot.sample);
                assert_eq!(batch.labels()[i], slot.label);
                if tensor.is_empty() {
                    assert_eq!(pixels[i * per..(i + 1) * per], slot.pixels[..]);
                } else {
                    assert_eq!(tensor[i * per..(i + 1) * per], slot.tensor[..]);
                }
                seen += 1;
            }
            // The second take finds the buffer gone.
            assert!(batch.take_tensor().is_none_or(|t| t.is_empty()));
            assert!(batch.take_pixels().is_none_or(|p| p.is_empty()));
        }
        assert_eq!(seen, 11);
    }
    Ok(())
}

/// Images changed in place (`tensor_mut`/`pixels_mut`, as the Python
/// package lends them to NumPy, where users may write into them) are the
/// batch's own, and the buffer they return to the loader is overwritten
/// whole by later batches: scribbled-on buffers change no later value.
/// With per-image buffers there is no one buffer to lend.
#[test]
fn images_changed_in_place_leave_later_batches_unchanged() -> TestResult {
    let fx = Fixture::new(11)?;
    for output in [Output::Tensor(Normalisation::IMAGENET), Output::Pixels] {
        let (mut loader, reference) = batches_of_three(&fx, output)?;
        let per = 3 * SIDE * SIDE;
        for round in 0..3u64 {
            loader.set_epoch(1)?;
            let mut seen = 0;
            for batch in loader.iter() {
                let mut batch = batch?;
                let n = batch.len();
                for i in 0..n {
                    let slot = &reference[&batch.positions()[i]];
                    match output {
                        Output::Tensor(_) => {
                            let images = batch.tensor_mut().ok_or("no tensor to change")?;
                            assert_eq!(images.len(), n * per);
                            assert_eq!(images[i * per..(i + 1) * per], slot.tensor[..]);
                            images[i * per..(i + 1) * per].fill(f32::NAN);
                        }
                        Output::Pixels => {
                            let images = batch.pixels_mut().ok_or("no pixels to change")?;
                            assert_eq!(images.len(), n * per);
                            assert_eq!(images[i * per..(i + 1) * per], slot.pixels[..]);
                            images[i * per..(i + 1) * per].fill(round as u8 + 1);
                        }
                    }
                    seen += 1;
                }
                assert!(batch.tensor_mut().is_none() || batch.pixels_mut().is_none());
            }
            assert_eq!(seen, 11);
        }
    }
    let mut staged = builder(fx.folder()?)?.per_image_buffers(true).build()?;
    for batch in staged.iter() {
        let mut batch = batch?;
        assert!(batch.tensor_mut().is_none() && batch.pixels_mut().is_none());
    }
    Ok(())
}

/// With each image in its own buffer (for consumers that copy out), the
/// one copy out of a batch gives the images of the contiguous batches,
/// over two epochs (buffers swapped back and forth), a short last batch,
/// and samples the skip policy replaced.
#[test]
fn per_image_buffers_copy_out_the_same_batches() -> TestResult {
    let fx = Fixture::new(12)?;
    let dataset = fx.folder()?;
    spoil(&fx)?;
    for output in [Output::Tensor(Normalisation::IMAGENET), Output::Pixels] {
        let run = |per_image_buffers| -> Res<_> {
            builder(dataset.clone())?
                .threads(2)
                .prefetch(2)
                .batch_size(5)
                .output(output)
                .per_image_buffers(per_image_buffers)
                .build()
                .map_err(Into::into)
        };
        let mut contiguous = run(false)?;
        let mut staged = run(true)?;
        let per = 3 * SIDE * SIDE;
        for e in [2, 3] {
            let (reference, _) = epoch(&mut contiguous, e)?;
            staged.set_epoch(e)?;
            let mut seen = 0;
            let mut sizes = Vec::new();
            for batch in staged.iter() {
                let batch = batch?;
                sizes.push(batch.len());
                assert!(batch.tensor().is_none() && batch.pixels().is_none());
                let values = batch.len() * per;
                let (mut tensor, mut pixels) = (vec![f32::NAN; values], vec![0u8; values]);
                let copied = (
                    batch.copy_tensor_into(&mut tensor),
                    batch.copy_pixels_into(&mut pixels),
                );
                match output {
                    Output::Tensor(_) => assert!(copied.0.is_ok() && copied.1.is_err()),
                    Output::Pixels => assert!(copied.0.is_err() && copied.1.is_ok()),
                }
                // A destination of another length is refused.
                assert!(batch.copy_tensor_into(&mut tensor[1..]).is_err());
                assert!(batch.copy_pixels_into(&mut pixels[1..]).is_err());
                for i in 0..batch.len() {
                    let slot = &reference[&batch.positions()[i]];
                    assert_eq!(batch.samples()[i], slot.sample);
                    assert_eq!(batch.labels()[i], slot.label);
                    match output {
                        Output::Tensor(_) => {
                            assert_eq!(tensor[i * per..(i + 1) * per], slot.tensor[..]);
                        }
                        Output::Pixels => {
                            assert_eq!(pixels[i * per..(i + 1) * per], slot.pixels[..]);
                        }
                    }
                    seen += 1;
                }
            }
            assert_eq!((seen, sizes), (12, vec![5, 5, 2]), "epoch {e}");
        }
        // Six bad samples replaced in each of the two epochs.
        assert_eq!(staged.report().replaced, 12);
        assert_eq!(contiguous.report().replaced, 12);
    }
    Ok(())
}

#[test]
fn each_image_is_the_pipeline_at_its_augment_index() -> TestResult {
    let fx = Fixture::new(7)?;
    // Scaled decoding stands in for the full decode within a bound
    // (`tests/scaled.rs`); region decoding gives the same bits.
    let mut loader = builder(fx.folder()?)?
        .batch_size(3)
        .threads(2)
        .scaled_decoding(false)
        .build()?;
    let pipeline = loader.pipeline().clone();
    let (slots, _) = epoch(&mut loader, 5)?;
    let order = Sampling {
        seed: 11,
        ..Sampling::default()
    }
    .indices(7, 5);
    let mut buffer = DecodeBuffer::new();
    for (&k, slot) in &slots {
        assert_eq!(slot.sample, order[k as usize], "position {k}");
        let bytes = std::fs::read(&fx.files[slot.sample])?;
        decode(&bytes, &Request::new(), &mut buffer)?;
        let view = buffer.view().ok_or("no image")?;
        let mut expected = vec![0.0; 3 * SIDE * SIDE];
        pipeline.apply_tensor(
            view,
            augment_index(5, k),
            &Normalisation::IMAGENET,
            &mut expected,
        )?;
        assert_eq!(slot.tensor, expected, "position {k}");
    }
    Ok(())
}

#[test]
fn folder_list_and_shards_give_identical_batches() -> TestResult {
    let fx = Fixture::new(9)?;
    let mut runs = Vec::new();
    for dataset in [fx.folder()?, fx.list()?, fx.shards()?] {
        let mut loader = builder(dataset)?.batch_size(4).threads(2).build()?;
        runs.push(epoch(&mut loader, 1)?.0);
    }
    assert_eq!(runs[0], runs[1], "folder vs list");
    assert_eq!(runs[0], runs[2], "folder vs shards");
    Ok(())
}

#[test]
fn epochs_shuffle_and_lengths() -> TestResult {
    let fx = Fixture::new(10)?;
    let mut loader = builder(fx.folder()?)?.batch_size(4).threads(2).build()?;
    assert_eq!((loader.len(), loader.images_per_epoch()), (3, 10));
    assert_eq!(loader.classes(), ["a", "b"]);
    let (e0, _) = epoch(&mut loader, 0)?;
    let (e1, _) = epoch(&mut loader, 1)?;
    let (again, _) = epoch(&mut loader, 0)?;
    assert_eq!(e0, again, "an epoch repeats exactly");
    assert_ne!(
        e0.values().map(|s| s.sample).collect::<Vec<_>>(),
        e1.values().map(|s| s.sample).collect::<Vec<_>>(),
        "epochs shuffle differently"
    );
    assert!(loader.set_epoch(1 << 24).is_err());

    let mut ordered = builder(fx.folder()?)?
        .shuffle(false)
        .batch_size(4)
        .build()?;
    let (slots, _) = epoch(&mut ordered, 7)?;
    let samples: Vec<usize> = slots.values().map(|s| s.sample).collect();
    assert_eq!(samples, (0..10).collect::<Vec<_>>());
    let labels: Vec<i64> = slots.values().map(|s| s.label).collect();
    assert_eq!(labels, [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);

    let mut dropping = builder(fx.folder()?)?
        .batch_size(4)
        .drop_last_batch(true)
        .build()?;
    assert_eq!((dropping.len(), dropping.images_per_epoch()), (2, 8));
    assert_eq!(epoch(&mut dropping, 0)?.1, [4, 4]);
    Ok(())
}

#[test]
fn ranks_split_the_epoch() -> TestResult {
    let fx = Fixture::new(11)?;
    for drop_last in [false, true] {
        let mut seen = Vec::new();
        for rank in 0..3 {
            let mut loader = builder(fx.folder()?)?
                .distributed(rank, 3)
                .drop_last(drop_last)
                .batch_size(2)
                .threads(2)
                .build()?;
            let (slots, _) = epoch(&mut loader, 4)?;
            let expected = Sampling {
                seed: 11,
                rank,
                world: 3,
                drop_last,
                ..Sampling::default()
            }
            .indices(11, 4);
            let samples: Vec<usize> = slots.values().map(|s| s.sample).collect();
            assert_eq!(samples, expected, "rank {rank}");
            assert!(slots.keys().all(|k| k % 3 == rank as u64));
            seen.push(samples);
        }
        let lens: BTreeSet<usize> = seen.iter().map(Vec::len).collect();
        assert_eq!(lens.len(), 1, "equal lengths");
        let all: BTreeSet<usize> = seen.iter().flatten().copied().collect();
        assert_eq!(all.len(), if drop_last { 9 } else { 11 });
    }
    assert!(builder(fx.folder()?)?.distributed(3, 3).build().is_err());
    Ok(())
}

/// Replaces some samples with bad bytes after indexing; returns them by index.
fn spoil(fx: &Fixture) -> Res<BTreeMap<usize, &'static str>> {
    let mut bad = BTreeMap::new();
    // 1: a PNG with a damaged chunk (CRC mismatch).
    let mut png = std::fs::read(&fx.files[1])?;
    let len = png.len();
    png[len - 20] ^= 0xFF;
    std::fs::write(&fx.files[1], png)?;
    bad.insert(1, "corrupt");
    // 2: a JPEG cut in half.
    let jpg = std::fs::read(&fx.files[2])?;
    std::fs::write(&fx.files[2], &jpg[..jpg.len() / 2])?;
    bad.insert(2, "truncated");
    // 4: empty.
    std::fs::write(&fx.files[4], b"")?;
    bad.insert(4, "empty");
    // 5: text.
    std::fs::write(&fx.files[5], b"<html>not an image</html>")?;
    bad.insert(5, "not an image");
    // 6: a header announcing 100000 x 100000 pixels.
    let mut bomb = png_rgb(&gradient(1, 1), 1, 1)?;
    bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    std::fs::write(&fx.files[6], bomb)?;
    bad.insert(6, "exceeds the limit");
    // 9: deleted.
    std::fs::remove_file(&fx.files[9])?;
    bad.insert(9, "No such file");
    Ok(bad)
}

#[test]
fn skip_policy_replaces_and_reports() -> TestResult {
    let fx = Fixture::new(12)?;
    let dataset = fx.folder()?;
    let bad = spoil(&fx)?;
    let mut runs = Vec::new();
    for threads in [1, 3] {
        let mut loader = builder(dataset.clone())?
            .threads(threads)
            .batch_size(5)
            .build()?;
        let (slots, sizes) = epoch(&mut loader, 2)?;
        assert_eq!(sizes, [5, 5, 2]);
        // Each slot holds its sample or, if bad, the next good one in order.
        let order = Sampling {
            seed: 11,
            ..Sampling::default()
        }
        .indices(12, 2);
        for (&k, slot) in &slots {
            let mut t = 0;
            while bad.contains_key(&order[(k as usize + t) % 12]) {
                t += 1;
            }
            assert_eq!(slot.sample, order[(k as usize + t) % 12], "position {k}");
            assert!(!bad.contains_key(&slot.sample));
        }
        let report = loader.report();
        let reported: BTreeSet<usize> = report.skipped.iter().map(|s| s.index).collect();
        assert_eq!(reported, bad.keys().copied().collect::<BTreeSet<_>>());
        for s in &report.skipped {
            let text = s.error.to_string();
            let file = fx.files[s.index].to_string_lossy().into_owned();
            assert!(text.contains(&file), "{text}");
            assert!(text.contains(bad[&s.index]), "{text}");
            let typed = match bad[&s.index] {
                "No such file" => matches!(s.error, Error::Read { .. }),
                _ => matches!(s.error, Error::Decode { .. }),
            };
            assert!(typed, "{:?}", s.error);
        }
        assert_eq!(report.replaced, 6);
        // Later epochs do not retry them, and still fill every slot.
        assert_eq!(epoch(&mut loader, 3)?.0.len(), 12);
        assert_eq!(loader.report().skipped.len(), 6);
        runs.push(slots);
    }
    assert_eq!(
        runs[0], runs[1],
        "replacement is the same on 1 and 3 threads"
    );
    Ok(())
}

#[test]
fn fail_policy_yields_the_error_in_place_of_its_batch() -> TestResult {
    let fx = Fixture::new(12)?;
    let dataset = fx.folder()?;
    let bad = spoil(&fx)?;
    let mut loader = builder(dataset)?
        .policy(Policy::Fail)
        .batch_size(3)
        .threads(2)
        .build()?;
    loader.set_epoch(2)?;
    let order = Sampling {
        seed: 11,
        ..Sampling::default()
    }
    .indices(12, 2);
    let mut outcomes = Vec::new();
    for batch in loader.iter() {
        outcomes.push(batch.map(|b| b.len()).map_err(|e| e.to_string()));
    }
    assert_eq!(outcomes.len(), 4);
    for (b, outcome) in outcomes.iter().enumerate() {
        let first_bad = order[3 * b..3 * b + 3].iter().find(|i| bad.contains_key(i));
        match (first_bad, outcome) {
            (None, Ok(3)) => {}
            (Some(&i), Err(text)) => {
                // The first failing slot's error, naming its file.
                let file = fx.files[i].to_string_lossy().into_owned();
                assert!(text.contains(&file) && text.contains(bad[&i]), "{text}");
            }
            other => return Err(format!("batch {b}: {other:?}").into()),
        }
    }
    assert!(loader.report().skipped.is_empty());
    Ok(())
}

#[test]
fn when_nothing_loads_the_epoch_ends_with_an_error() -> TestResult {
    let fx = Fixture::new(4)?;
    let dataset = fx.folder()?;
    for f in &fx.files {
        std::fs::write(f, b"junk")?;
    }
    let mut loader = builder(dataset)?.batch_size(2).threads(2).build()?;
    let outcomes: Vec<_> = loader.iter().collect();
    assert_eq!(outcomes.len(), 1);
    assert!(matches!(
        outcomes[0],
        Err(Error::NothingLoads { tried: 4, .. })
    ));
    assert_eq!(loader.report().skipped.len(), 4);
    Ok(())
}

#[test]
fn an_abandoned_epoch_leaves_the_next_one_intact() -> TestResult {
    let fx = Fixture::new(10)?;
    let mut fresh = builder(fx.folder()?)?.batch_size(2).threads(2).build()?;
    let (expected, _) = epoch(&mut fresh, 1)?;
    let mut loader = builder(fx.folder()?)?.batch_size(2).threads(2).build()?;
    loader.set_epoch(0)?;
    let first = loader.iter().next().ok_or("no batch")??;
    assert_eq!(first.len(), 2);
    drop(first);
    let (slots, _) = epoch(&mut loader, 1)?;
    assert_eq!(slots, expected);
    Ok(())
}

#[test]
fn settings_are_checked() -> TestResult {
    let fx = Fixture::new(3)?;
    let bad = |b: LoaderBuilder| matches!(b.build(), Err(Error::Setting { .. }));
    assert!(bad(builder(fx.folder()?)?.batch_size(0)));
    assert!(bad(builder(fx.folder()?)?.prefetch(0)));
    assert!(bad(builder(fx.folder()?)?.threads(2000)));
    // No fixed output size.
    let free = Pipeline::builder().flip_horizontal(0.5).build()?;
    assert!(bad(Loader::builder(fx.folder()?, free)));
    // Statistics in 0..=255 units: the loader says so once, not nested.
    let mmcv = Normalisation::new(&[123.7, 116.3, 103.5], &[58.4, 57.1, 57.4])?;
    match builder(fx.folder()?)?.output(Output::Tensor(mmcv)).build() {
        Err(e @ Error::Normalisation { .. }) => {
            let e = e.to_string();
            assert!(
                e.contains("255") && e.matches("invalid").count() == 1,
                "{e}"
            );
        }
        other => return Err(format!("expected a normalisation error, got {other:?}").into()),
    }
    // A header limit below the images: each refused (skip), so nothing loads.
    let mut tiny = builder(fx.folder()?)?.max_pixels(10).threads(1).build()?;
    let outcome: Vec<_> = tiny.iter().collect();
    assert!(matches!(outcome[0], Err(Error::NothingLoads { .. })));
    assert!(
        tiny.report().skipped[0]
            .error
            .to_string()
            .contains("exceeds the limit of 10 pixels")
    );
    Ok(())
}

#[test]
fn loaders_move_between_threads_and_batches_are_shared() {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<Loader>();
    send::<load::Batch>();
    sync::<load::Batch>();
    send::<Dataset>();
    sync::<Dataset>();
    send::<Error>();
    sync::<Error>();
}

#[test]
fn stats_count_every_stage() -> TestResult {
    let fx = Fixture::new(6)?;
    let mut loader = builder(fx.folder()?)?.batch_size(4).threads(2).build()?;
    epoch(&mut loader, 0)?;
    let stats = loader.stats();
    assert_eq!(stats.images, 6);
    assert_eq!(stats.failures, 0);
    assert!(stats.per_image().iter().all(|d| !d.is_zero()), "{stats:?}");
    Ok(())
}

#[test]
fn a_monitor_reads_the_figures_while_an_epoch_runs() -> TestResult {
    let fx = Fixture::new(12)?;
    let dataset = fx.folder()?;
    let bad = spoil(&fx)?;
    let mut loader = builder(dataset)?.batch_size(4).threads(2).build()?;
    let monitor = loader.monitor();
    let mut seen = Vec::new();
    for batch in loader.iter() {
        let batch = batch?;
        // Every image of the delivered batches is counted by now, and
        // the failures met so far are in the report.
        let stats = monitor.stats();
        seen.push((batch.len(), stats.images, monitor.report().skipped.len()));
    }
    let mut delivered = 0;
    for &(n, images, _) in &seen {
        delivered += n as u64;
        assert!(images >= delivered, "{seen:?}");
    }
    assert_eq!(seen.last().map(|s| s.2), Some(bad.len()), "{seen:?}");
    assert_eq!(monitor.stats().images, loader.stats().images);
    assert_eq!(monitor.report().replaced, loader.report().replaced);
    Ok(())
}
