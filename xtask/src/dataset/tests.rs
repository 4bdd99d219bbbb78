//! End-to-end checks on small datasets (n = 24: every kind appears once
//! n >= 10, see `plan::count`).

use super::plan::{self, Chroma, JpegSpec, PngKind};
use super::*;
use anyhow::anyhow;
use image::metadata::Orientation;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;

const N: u64 = 24;

fn photos() -> Result<Vec<Photo>> {
    render::load_photos(&Workspace::locate().root.join("assets"))
}

fn options(out: &Path, seed: u64) -> Options {
    Options {
        out: out.to_path_buf(),
        n: N,
        seed,
        shards: Some(3),
        force: false,
    }
}

/// Runs `generate` on a pool of `threads`.
fn generate_on(threads: usize, photos: &[Photo], opts: &Options) -> Result<Report> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?
        .install(|| generate(photos, opts))
}

/// Every file under `dir`, by `/`-separated relative path.
fn files(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry?;
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(dir)?;
            let rel = rel.to_string_lossy().replace('\\', "/");
            out.insert(rel, fs::read(entry.path())?);
        }
    }
    Ok(out)
}

#[test]
fn the_same_seed_writes_the_same_bytes_on_any_thread_count() -> Result<()> {
    let photos = photos()?;
    let tmp = tempfile::tempdir()?;
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    generate_on(1, &photos, &options(&a, 11))?;
    generate_on(3, &photos, &options(&b, 11))?;
    generate_on(2, &photos, &options(&c, 12))?;
    let (a, b, c) = (files(&a)?, files(&b)?, files(&c)?);
    assert_eq!(a.len(), N as usize + 3 + 3);
    assert!(a == b, "two runs with seed 11 differ");
    let images = |f: &BTreeMap<String, Vec<u8>>| {
        f.iter()
            .filter(|(k, _)| k.starts_with("folder/"))
            .map(|(_, v)| v.clone())
            .collect::<BTreeSet<_>>()
    };
    assert!(
        images(&a).is_disjoint(&images(&c)),
        "another seed repeats a file"
    );
    Ok(())
}

/// What the headers of a JPEG say (up to the first scan).
#[derive(Debug, Default)]
struct JpegHeaders {
    /// The SOF marker's second byte: 0xC0 baseline, 0xC2 progressive.
    sof: u8,
    width: usize,
    height: usize,
    /// (component id, sampling factors as 0xHV).
    components: Vec<(u8, u8)>,
    /// The TIFF block of an `Exif\0\0` APP1 segment.
    exif: Option<Vec<u8>>,
}

fn jpeg_headers(bytes: &[u8]) -> JpegHeaders {
    assert_eq!(&bytes[..2], &[0xFF, 0xD8], "no SOI");
    let mut h = JpegHeaders::default();
    let mut i = 2;
    loop {
        assert_eq!(bytes[i], 0xFF, "marker expected at {i}");
        let marker = bytes[i + 1];
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        let payload = &bytes[i + 4..i + 2 + len];
        match marker {
            0xC0..=0xC3 => {
                assert_eq!(h.sof, 0, "two frames");
                h.sof = marker;
                h.height = usize::from(u16::from_be_bytes([payload[1], payload[2]]));
                h.width = usize::from(u16::from_be_bytes([payload[3], payload[4]]));
                h.components = payload[6..].chunks_exact(3).map(|c| (c[0], c[1])).collect();
                assert_eq!(h.components.len(), usize::from(payload[5]));
            }
            0xE1 if payload.starts_with(b"Exif\0\0") => h.exif = Some(payload[6..].to_vec()),
            0xDA => return h,
            _ => {}
        }
        i += 2 + len;
    }
}

fn jpeg_of(r: &Record) -> Option<JpegSpec> {
    match r.format {
        Format::Jpeg(j) => Some(j),
        Format::Png(_) => None,
    }
}

#[test]
fn every_kind_appears_and_the_headers_say_what_the_plan_asked() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let out = tmp.path().join("d");
    let report = generate_on(2, &photos()?, &options(&out, 3))?;
    let recs = &report.records;
    let mut seen = BTreeSet::new();
    for r in recs {
        let bytes = fs::read(out.join(&r.path))?;
        assert_eq!(bytes.len() as u64, r.bytes);
        let Some(j) = jpeg_of(r) else {
            assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{}", r.path);
            assert!(r.path.ends_with(".png"));
            seen.insert("png");
            continue;
        };
        assert!(r.path.ends_with(".jpg"));
        let h = jpeg_headers(&bytes);
        assert_eq!((h.width as u32, h.height as u32), r.stored, "{}", r.path);
        if j.progressive {
            assert_eq!(h.sof, 0xC2, "{}: progressive needs SOF2", r.path);
            seen.insert("progressive");
        } else {
            assert_eq!(h.sof, 0xC0, "{}: baseline needs SOF0", r.path);
            seen.insert("baseline");
        }
        if j.gray {
            assert_eq!(h.components.len(), 1, "{}: gray has one component", r.path);
            seen.insert("gray");
        } else {
            let luma = match j.chroma {
                Chroma::S420 => 0x22,
                Chroma::S422 => 0x21,
                Chroma::S444 => 0x11,
            };
            let factors: Vec<u8> = h.components.iter().map(|c| c.1).collect();
            assert_eq!(factors, [luma, 0x11, 0x11], "{}: {:?}", r.path, j.chroma);
            seen.insert(match j.chroma {
                Chroma::S420 => "4:2:0",
                Chroma::S422 => "4:2:2",
                Chroma::S444 => "4:4:4",
            });
        }
        match &h.exif {
            Some(tiff) => {
                assert_ne!(j.orientation, 1);
                let tag = Orientation::from_exif_chunk(tiff).map(Orientation::to_exif);
                assert_eq!(tag, Some(j.orientation), "{}", r.path);
                seen.insert("exif");
            }
            None => assert_eq!(j.orientation, 1, "{}: EXIF segment missing", r.path),
        }
    }
    let expected = [
        "png",
        "progressive",
        "baseline",
        "gray",
        "4:2:0",
        "4:2:2",
        "4:4:4",
        "exif",
    ];
    assert_eq!(seen, expected.into_iter().collect());
    // 4:2:0 is the common case.
    let s420 = recs
        .iter()
        .filter_map(jpeg_of)
        .filter(|j| !j.gray && j.chroma == Chroma::S420)
        .count();
    assert!(s420 * 2 > recs.len(), "{s420} of {} are 4:2:0", recs.len());
    let summary = stats::summary(&out, &report, Duration::from_secs(1));
    for part in [
        "wrote 24 samples",
        "JPEG 23: 2 progressive, 1 gray",
        "PNG 1: RGB8 1",
        "70.8% within 15% of 500x375",
        "shards: 3 (shards/train-{0000..0002}.tar), 8 samples each",
        "bytes per pixel: JPEG ",
    ] {
        assert!(summary.contains(part), "{part:?} not in\n{summary}");
    }
    Ok(())
}

#[test]
fn every_file_decodes_upright_at_its_planned_size() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let out = tmp.path().join("d");
    let photos = photos()?;
    let seed = 4;
    let report = generate_on(2, &photos, &options(&out, seed))?;
    let specs = plan::plan(seed, N);
    let mut rotated = 0;
    for (r, spec) in report.records.iter().zip(&specs) {
        let bytes = fs::read(out.join(&r.path))?;
        let mut decoder = image::ImageReader::new(std::io::Cursor::new(&bytes))
            .with_guessed_format()?
            .into_decoder()?;
        let orientation = image::ImageDecoder::orientation(&mut decoder)?;
        let mut img = image::DynamicImage::from_decoder(decoder)?;
        assert_eq!((img.width(), img.height()), r.stored, "{}", r.path);
        img.apply_orientation(orientation);
        assert_eq!((img.width(), img.height()), r.size, "{}", r.path);
        let long = r.size.0.max(r.size.1);
        assert!((300..=1600).contains(&long), "{}: long side {long}", r.path);
        assert_eq!(r.size, (spec.width, spec.height));
        match r.format {
            Format::Jpeg(j) if j.gray => assert_eq!(img.color(), image::ColorType::L8),
            Format::Jpeg(_) => assert_eq!(img.color(), image::ColorType::Rgb8),
            Format::Png(kind) => assert_eq!(
                img.color(),
                match kind {
                    PngKind::Rgb8 | PngKind::Palette => image::ColorType::Rgb8,
                    PngKind::Rgb16 => image::ColorType::Rgb16,
                    PngKind::GrayAlpha => image::ColorType::La8,
                }
            ),
        }
        // A rotated sample, once its tag is applied, is the picture drawn
        // upright (up to JPEG loss; a wrong turn is off by tens of levels).
        if orientation != Orientation::NoTransforms {
            rotated += 1;
            let mut rng = plan::rng(seed, plan::Purpose::Pixels, spec.index);
            let picture = render::render(&photos, r.size.0 as usize, r.size.1 as usize, &mut rng);
            let (shown, drawn) = match jpeg_of(r) {
                Some(j) if j.gray => (img.into_luma8().into_raw(), picture.gray8()),
                _ => (img.into_rgb8().into_raw(), picture.rgb8()),
            };
            let err = shown
                .iter()
                .zip(&drawn)
                .map(|(&a, &b)| f64::from(a.abs_diff(b)))
                .sum::<f64>()
                / shown.len() as f64;
            assert!(err < 8.0, "{}: mean error {err} after orientation", r.path);
        }
    }
    assert!(rotated >= 1);
    Ok(())
}

/// The sample index in a key (`n01440764_000012` is 12).
fn index_of(key: &str) -> u64 {
    key.rsplit_once('_')
        .and_then(|(_, i)| i.parse().ok())
        .unwrap_or(u64::MAX)
}

/// (key, extension, bytes, label) of every sample in the folder tree.
type Sample = (String, String, Vec<u8>, usize);

fn folder_samples(out: &Path) -> Result<BTreeSet<Sample>> {
    let mut set = BTreeSet::new();
    for (label, class) in CLASSES.iter().enumerate() {
        for entry in fs::read_dir(out.join("folder").join(class))? {
            let path = entry?.path();
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            let (key, ext) = name
                .split_once('.')
                .ok_or_else(|| anyhow!("{name}: no extension"))?;
            assert!(key.starts_with(class));
            set.insert((key.into(), ext.into(), fs::read(&path)?, label));
        }
    }
    Ok(set)
}

#[test]
fn the_shards_hold_exactly_the_folder_samples_in_shuffled_order() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let out = tmp.path().join("d");
    let report = generate_on(2, &photos()?, &options(&out, 5))?;
    let folder = folder_samples(&out)?;
    assert_eq!(folder.len(), N as usize);

    let mut from_tars = BTreeSet::new();
    let mut order = Vec::new();
    assert_eq!(report.shards.len(), 3);
    for (s, shard) in report.shards.iter().enumerate() {
        assert_eq!(shard.path, format!("shards/train-{s:04}.tar"));
        assert_eq!(shard.samples, 8);
        let file = fs::File::open(out.join(&shard.path))?;
        assert_eq!(file.metadata()?.len(), shard.bytes);
        let mut archive = tar::Archive::new(file);
        let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
        for entry in archive.entries()? {
            let mut entry = entry?;
            let header = entry.header();
            assert_eq!(header.mode()?, 0o644);
            assert_eq!(header.mtime()?, write::TAR_MTIME);
            assert_eq!(header.entry_type(), tar::EntryType::Regular);
            let name = entry.path()?.to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut bytes)?;
            entries.push((name, bytes));
        }
        assert_eq!(entries.len(), 2 * shard.samples);
        for pair in entries.chunks_exact(2) {
            let (image, cls) = (&pair[0], &pair[1]);
            let (key, ext) = image
                .0
                .split_once('.')
                .ok_or_else(|| anyhow!("{}: no extension", image.0))?;
            assert_eq!(cls.0, format!("{key}.cls"), "the label follows its image");
            let label: usize = std::str::from_utf8(&cls.1)?.parse()?;
            assert!(from_tars.insert((key.to_string(), ext.to_string(), image.1.clone(), label)));
            order.push(key.to_string());
        }
    }
    assert!(from_tars == folder, "shards and folder tree differ");
    let mut sorted = order.clone();
    sorted.sort_unstable_by_key(|key| index_of(key));
    assert_ne!(order, sorted, "shard order is not shuffled");
    Ok(())
}

#[test]
fn the_lists_name_the_folder_samples_relative_to_the_list() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let out = tmp.path().join("d");
    generate_on(2, &photos()?, &options(&out, 6))?;
    let folder: BTreeSet<(String, usize)> = folder_samples(&out)?
        .into_iter()
        .map(|(key, ext, _, label)| (format!("folder/{}/{key}.{ext}", CLASSES[label]), label))
        .collect();

    let csv = fs::read_to_string(out.join("train.csv"))?;
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("path,label"));
    let from_csv = lines
        .map(|l| {
            let (path, label) = l.rsplit_once(',').ok_or_else(|| anyhow!("{l}: no comma"))?;
            Ok((path.to_string(), label.parse()?))
        })
        .collect::<Result<Vec<(String, usize)>>>()?;

    let jsonl = fs::read_to_string(out.join("train.jsonl"))?;
    let from_jsonl = jsonl
        .lines()
        .map(|l| {
            assert!(l.starts_with("{\"path\":"), "{l}");
            let v: serde_json::Value = serde_json::from_str(l)?;
            let path = v["path"].as_str().ok_or_else(|| anyhow!("{l}: no path"))?;
            let label = v["label"]
                .as_u64()
                .ok_or_else(|| anyhow!("{l}: no label"))?;
            Ok((path.to_string(), label as usize))
        })
        .collect::<Result<Vec<(String, usize)>>>()?;
    assert_eq!(from_csv, from_jsonl);
    assert_eq!(from_csv.len(), N as usize);
    assert!(from_csv.iter().cloned().collect::<BTreeSet<_>>() == folder);
    let mut sorted = from_csv.clone();
    sorted.sort_by_key(|(path, _)| index_of(path.split('.').next().unwrap_or_default()));
    assert_eq!(from_csv, sorted, "lists are in key order");

    let classes = fs::read_to_string(out.join("classes.txt"))?;
    assert_eq!(classes.lines().collect::<Vec<_>>(), CLASSES);
    Ok(())
}

#[test]
fn a_non_empty_directory_is_refused_and_force_replaces_only_our_outputs() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let photos = photos()?;
    let out = tmp.path().join("d");
    fs::create_dir(&out)?;
    fs::write(out.join("keep.txt"), "mine")?;
    let mut opts = options(&out, 1);
    opts.n = 12;
    opts.shards = None;
    let err = generate_on(1, &photos, &opts).err();
    let err = err.ok_or_else(|| anyhow!("a non-empty directory was accepted"))?;
    assert!(err.to_string().contains("--force"), "{err}");
    assert_eq!(fs::read_dir(&out)?.count(), 1, "nothing written");

    opts.force = true;
    generate_on(1, &photos, &opts)?;
    // A second forced run over the first, with a link planted where a list
    // goes: the link is replaced, its target outside DIR is left alone.
    let outside = tmp.path().join("outside.csv");
    fs::write(&outside, "precious")?;
    fs::remove_file(out.join("train.csv"))?;
    #[cfg(unix)]
    std::os::unix::fs::symlink(&outside, out.join("train.csv"))?;
    opts.n = 10;
    let report = generate_on(1, &photos, &opts)?;
    assert_eq!(report.records.len(), 10);
    assert_eq!(report.shards.len(), 1);
    assert_eq!(fs::read_to_string(&outside)?, "precious");
    assert_eq!(fs::read_to_string(out.join("keep.txt"))?, "mine");
    assert_eq!(
        folder_samples(&out)?.len(),
        10,
        "the earlier run's files are gone"
    );
    Ok(())
}

#[test]
fn bad_arguments_are_refused_before_anything_is_written() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let photos = photos()?;
    let out = tmp.path().join("d");
    for (n, shards) in [
        (0, None),
        (MAX_SAMPLES + 1, None),
        (u64::MAX, None),
        (5, Some(0)),
        (5, Some(6)),
    ] {
        let opts = Options {
            n,
            shards,
            ..options(&out, 0)
        };
        assert!(
            generate(&photos, &opts).is_err(),
            "n {n}, shards {shards:?}"
        );
        assert!(!out.exists());
    }
    let file = tmp.path().join("file");
    fs::write(&file, "")?;
    assert!(generate(&photos, &options(&file, 0)).is_err());
    Ok(())
}

#[test]
fn the_default_shard_count_is_one_per_500_samples() {
    assert_eq!(shard_name(3, 4), "train-0003.tar");
    assert_eq!(shard_name(12_345, 20_000), "train-12345.tar");
    assert_eq!(
        (digits(0), digits(9), digits(10), digits(1999)),
        (1, 1, 2, 4)
    );
    assert_eq!(2000u64.div_ceil(DEFAULT_SHARD_SIZE), 4);
}

/// FNV-1a, 64-bit: enough to notice any changed byte.
fn fnv1a(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

#[test]
fn seed_0_writes_the_pinned_bytes() -> Result<()> {
    // Pins the output across machines and CPUs (CI runs this elsewhere than
    // where the digest was taken). If a dependency update changes what the
    // encoders write, this fails: update the digest, and know that datasets
    // generated before no longer match one generated now.
    let tmp = tempfile::tempdir()?;
    let out = tmp.path().join("d");
    let opts = Options {
        n: 12,
        shards: None,
        ..options(&out, 0)
    };
    generate_on(2, &photos()?, &opts)?;
    let digest = files(&out)?
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, (path, bytes)| {
            fnv1a(fnv1a(h, path.as_bytes()), bytes)
        });
    assert_eq!(format!("{digest:016x}"), "8ddf71c26ff03ce3");
    Ok(())
}
