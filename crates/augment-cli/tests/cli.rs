//! The `augment` command end to end: runs over folders (with a corrupt
//! file, on one or two threads, with targets), single-image apply, refusing
//! to overwrite inputs, --skip-existing, pipeline file errors, Ctrl-C, the
//! bench's JSON and every subcommand's --help.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn augment<I, S>(args: I) -> std::io::Result<Output>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_augment"))
        .args(args)
        .output()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A smooth RGB test image that differs per `seed`, saved by extension.
fn write_photo(path: &Path, width: u32, height: u32, seed: u32) -> TestResult {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            (x * 255 / width) as u8,
            (y * 255 / height) as u8,
            ((x + y + 40 * seed) % 256) as u8,
        ])
    })
    .save(path)?;
    Ok(())
}

/// Every file under `dir`, relative path to contents.
fn tree(dir: &Path) -> Result<BTreeMap<PathBuf, Vec<u8>>, Box<dyn std::error::Error>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.insert(path.strip_prefix(dir)?.to_path_buf(), std::fs::read(&path)?);
            }
        }
    }
    Ok(files)
}

fn names(files: &BTreeMap<PathBuf, Vec<u8>>) -> Vec<String> {
    files.keys().map(|p| p.display().to_string()).collect()
}

#[test]
fn run_skips_a_corrupt_file_writes_the_rest_and_fails() -> TestResult {
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("in");
    write_photo(&input.join("a.png"), 60, 40, 1)?;
    write_photo(&input.join("sub/b.png"), 50, 50, 2)?;
    std::fs::write(input.join("broken.png"), b"\x89PNG\r\n\x1a\n truncated")?;
    std::fs::write(input.join("notes.txt"), b"not an image")?;
    let out = dir.path().join("out");
    let before = tree(&input)?;

    let result = augment([
        "run",
        "--preset",
        "fastai-validation",
        "--size",
        "32x24",
        "--copies",
        "2",
    ])?;
    assert_eq!(
        result.status.code(),
        Some(2),
        "no INPUT or --out: a usage error"
    );

    let result = Command::new(env!("CARGO_BIN_EXE_augment"))
        .args(["run", "--preset", "fastai-validation", "--size", "32x24"])
        .args(["--copies", "2", "--out"])
        .arg(&out)
        .arg(&input)
        .output()?;
    let stderr = text(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "a file failed: {stderr}");
    assert!(
        stderr.contains("broken.png"),
        "the corrupt file is named: {stderr}"
    );
    assert_eq!(
        stderr.matches("broken.png").count(),
        1,
        "reported once: {stderr}"
    );
    let stdout = text(&result.stdout);
    assert!(
        stdout.contains("4 written, 1 failed"),
        "summary counts: {stdout}"
    );
    let written = tree(&out)?;
    assert_eq!(
        names(&written),
        ["a-0.png", "a-1.png", "sub/b-0.png", "sub/b-1.png"],
        "every valid image written, subfolders kept, nothing else (no temporary files)"
    );
    for name in written.keys() {
        let img = image::open(out.join(name))?;
        assert_eq!((img.width(), img.height()), (32, 24), "{}", name.display());
    }
    assert_eq!(tree(&input)?, before, "inputs untouched");
    Ok(())
}

#[test]
fn run_gives_the_same_bytes_on_one_or_two_threads() -> TestResult {
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("in");
    for (n, name) in ["c.png", "a.png", "d/b.png"].iter().enumerate() {
        write_photo(&input.join(name), 64 + 8 * n as u32, 48, n as u32)?;
    }
    let mut trees = Vec::new();
    for jobs in ["1", "2"] {
        let out = dir.path().join(format!("out{jobs}"));
        let result = Command::new(env!("CARGO_BIN_EXE_augment"))
            .args([
                "run", "--preset", "fastai", "--size", "40x40", "--copies", "3",
            ])
            .args(["--seed", "11", "--jobs", jobs, "--out"])
            .arg(&out)
            .arg(&input)
            .output()?;
        assert!(result.status.success(), "{}", text(&result.stderr));
        trees.push(tree(&out)?);
    }
    assert_eq!(trees[0].len(), 9);
    assert!(
        trees[0] == trees[1],
        "byte-identical outputs for --jobs 1 and 2"
    );
    let copy = |n: &str| trees[0].get(Path::new(n));
    assert_ne!(
        copy("a-0.png"),
        copy("a-1.png"),
        "copies are augmented differently"
    );
    Ok(())
}

const PIPELINE_TOML: &str = r#"
seed = 5

[[steps]]
transform = { type = "rotate", degrees = [-20, 20] }
p = 0.9

[[steps]]
transform = { type = "flip_horizontal" }
p = 0.5

[[steps]]
transform = { type = "resize", width = 36, height = 30 }
"#;

#[test]
fn apply_is_deterministic_and_equals_the_run_output_of_its_index() -> TestResult {
    let dir = tempfile::tempdir()?;
    let pipeline = dir.path().join("train.toml");
    std::fs::write(&pipeline, PIPELINE_TOML)?;
    let input = dir.path().join("in");
    write_photo(&input.join("a.png"), 70, 50, 3)?;
    write_photo(&input.join("b.png"), 50, 70, 4)?;

    let run_out = dir.path().join("run");
    let result = Command::new(env!("CARGO_BIN_EXE_augment"))
        .arg("run")
        .arg("--pipeline")
        .arg(&pipeline)
        .args(["--copies", "2", "--out"])
        .arg(&run_out)
        .arg(&input)
        .output()?;
    assert!(result.status.success(), "{}", text(&result.stderr));

    // b.png is the second image found: its copy 1 is image 1 * 2 + 1 = 3.
    let mut outputs = Vec::new();
    for attempt in 0..2 {
        let out = dir.path().join(format!("apply{attempt}.png"));
        let result = Command::new(env!("CARGO_BIN_EXE_augment"))
            .arg("apply")
            .arg("--pipeline")
            .arg(&pipeline)
            .args(["--index", "3"])
            .arg(input.join("b.png"))
            .arg(&out)
            .output()?;
        assert!(result.status.success(), "{}", text(&result.stderr));
        outputs.push(std::fs::read(&out)?);
    }
    assert_eq!(outputs[0], outputs[1], "two applies, same bytes");
    assert_eq!(
        outputs[0],
        std::fs::read(run_out.join("b-1.png"))?,
        "apply --index 3 is run's image number 3"
    );
    let img = image::load_from_memory(&outputs[0])?;
    assert_eq!((img.width(), img.height()), (36, 30));

    // --seed overrides the file's seed.
    let reseeded = dir.path().join("reseeded.png");
    let result = Command::new(env!("CARGO_BIN_EXE_augment"))
        .arg("apply")
        .arg("--pipeline")
        .arg(&pipeline)
        .args(["--index", "3", "--seed", "6"])
        .arg(input.join("b.png"))
        .arg(&reseeded)
        .output()?;
    assert!(result.status.success(), "{}", text(&result.stderr));
    assert_ne!(std::fs::read(&reseeded)?, outputs[0]);
    Ok(())
}

#[test]
fn photos_are_turned_upright_by_their_exif_orientation_unless_told_not_to() -> TestResult {
    use image::ImageEncoder;
    let dir = tempfile::tempdir()?;
    let pipeline = dir.path().join("same.toml");
    std::fs::write(
        &pipeline,
        "seed = 1\n[[steps]]\ntransform = { type = \"flip_horizontal\" }\np = 0.0\n",
    )?;
    // Stored 40x20 with a red top-left quadrant; orientation 6 says "turn
    // 90° clockwise to view", which puts the red at the top right of 20x40.
    let (w, h) = (40u32, 20u32);
    let stored = image::RgbImage::from_fn(w, h, |x, y| {
        if x < w / 2 && y < h / 2 {
            image::Rgb([240, 16, 16])
        } else {
            image::Rgb([16, 16, 120])
        }
    });
    let input = dir.path().join("in").join("photo.png");
    std::fs::create_dir_all(dir.path().join("in"))?;
    let mut bytes = Vec::new();
    let mut encoder = image::codecs::png::PngEncoder::new(&mut bytes);
    encoder.set_exif_metadata(load::decode::tests_support::exif_orientation(6))?;
    encoder.write_image(stored.as_raw(), w, h, image::ExtendedColorType::Rgb8)?;
    std::fs::write(&input, bytes)?;

    let read =
        |flag: Option<&str>, name: &str| -> Result<image::RgbImage, Box<dyn std::error::Error>> {
            let out = dir.path().join(name);
            let mut command = Command::new(env!("CARGO_BIN_EXE_augment"));
            command.arg("apply").arg("--pipeline").arg(&pipeline);
            command.args(flag).arg(&input).arg(&out);
            let result = command.output()?;
            assert!(result.status.success(), "{}", text(&result.stderr));
            Ok(image::open(&out)?.to_rgb8())
        };
    let red = |img: &image::RgbImage, x: u32, y: u32| img.get_pixel(x, y)[0] > 128;

    let upright = read(None, "upright.png")?;
    assert_eq!(upright.dimensions(), (20, 40));
    assert!(red(&upright, 15, 2) && !red(&upright, 2, 2) && !red(&upright, 15, 30));
    let as_stored = read(Some("--no-orientation"), "stored.png")?;
    assert_eq!(as_stored, stored);

    // `run` reads the same way.
    let out = dir.path().join("run");
    let result = augment([
        "run".as_ref(),
        "--pipeline".as_ref(),
        pipeline.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        input.as_os_str(),
    ])?;
    assert!(result.status.success(), "{}", text(&result.stderr));
    assert_eq!(image::open(out.join("photo-0.png"))?.to_rgb8(), upright);

    // So does `demo --input`, whatever the file's name, and its tiles
    // cover 288x192 without stretching: the upright 20x40 photo's red top
    // right quadrant is the right of the tile's top third.
    let noext = dir.path().join("photo-without-extension");
    std::fs::copy(&input, &noext)?;
    let demo = dir.path().join("demo");
    let result = augment([
        "demo".as_ref(),
        "--input".as_ref(),
        noext.as_os_str(),
        "--out".as_ref(),
        demo.as_os_str(),
    ])?;
    assert!(result.status.success(), "{}", text(&result.stderr));
    let sheet = image::open(demo.join("contact-sheet.png"))?.to_rgb8();
    let gutter = 6;
    let tile = |x: u32, y: u32| red(&sheet, gutter + x, gutter + y);
    assert!(tile(270, 10) && !tile(10, 10) && !tile(270, 180));
    Ok(())
}

#[test]
fn jpegs_are_read_by_the_loaders_decoder_and_gray_stays_gray() -> TestResult {
    let dir = tempfile::tempdir()?;
    let pipeline = dir.path().join("same.toml");
    std::fs::write(
        &pipeline,
        "seed = 1\n[[steps]]\ntransform = { type = \"flip_horizontal\" }\np = 0.0\n",
    )?;
    let input = dir.path().join("in");
    write_photo(&input.join("colour.jpg"), 61, 45, 2)?;
    let gray = image::GrayImage::from_fn(37, 29, |x, y| image::Luma([(x * 7 + y * 3) as u8]));
    gray.save(input.join("gray.jpg"))?;

    let out = dir.path().join("out");
    let result = augment([
        "run".as_ref(),
        "--pipeline".as_ref(),
        pipeline.as_os_str(),
        "--format".as_ref(),
        "png".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        input.as_os_str(),
    ])?;
    assert!(result.status.success(), "{}", text(&result.stderr));

    let loader_pixels = |name: &str| -> Result<Vec<u8>, Box<dyn std::error::Error>> {
        let bytes = std::fs::read(input.join(name))?;
        let mut buffer = load::decode::DecodeBuffer::new();
        load::decode::decode(&bytes, &load::decode::Request::new(), &mut buffer)?;
        Ok(buffer.as_slice().to_vec())
    };
    let colour = image::open(out.join("colour-0.png"))?;
    assert_eq!(colour.color(), image::ColorType::Rgb8);
    assert_eq!(colour.as_bytes(), loader_pixels("colour.jpg")?);
    let written_gray = image::open(out.join("gray-0.png"))?;
    assert_eq!(
        written_gray.color(),
        image::ColorType::L8,
        "one channel in, one out"
    );
    let loader_gray: Vec<u8> = loader_pixels("gray.jpg")?.into_iter().step_by(3).collect();
    assert_eq!(written_gray.as_bytes(), loader_gray);
    Ok(())
}

#[test]
fn apply_refuses_to_overwrite_its_input() -> TestResult {
    let dir = tempfile::tempdir()?;
    let photo = dir.path().join("photo.png");
    write_photo(&photo, 40, 30, 0)?;
    let before = std::fs::read(&photo)?;
    let same_file_other_spelling = dir.path().join("sub/../photo.png");
    std::fs::create_dir(dir.path().join("sub"))?;
    for output in [&photo, &same_file_other_spelling] {
        let result = Command::new(env!("CARGO_BIN_EXE_augment"))
            .args(["apply", "--preset", "fastai"])
            .arg(&photo)
            .arg(output)
            .output()?;
        let stderr = text(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("refusing to overwrite"), "{stderr}");
        assert_eq!(std::fs::read(&photo)?, before, "input bytes unchanged");
    }
    let result = Command::new(env!("CARGO_BIN_EXE_augment"))
        .args(["apply", "--preset", "fastai"])
        .arg(&photo)
        .arg(dir.path().join("out.unknown"))
        .output()?;
    assert_eq!(result.status.code(), Some(2));
    assert!(text(&result.stderr).contains("out.unknown"));
    Ok(())
}

#[test]
fn run_refuses_outputs_that_would_land_on_inputs() -> TestResult {
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("in");
    write_photo(&input.join("a.png"), 40, 30, 0)?;
    // `a.png`'s copy 0 would be written as `a-0.png`: this very file.
    write_photo(&input.join("a-0.png"), 40, 30, 1)?;
    let before = tree(&input)?;

    // The output folder is the input folder.
    let result = Command::new(env!("CARGO_BIN_EXE_augment"))
        .args(["run", "--preset", "fastai", "--out"])
        .arg(&input)
        .arg(&input)
        .output()?;
    let stderr = text(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("input folder"), "{stderr}");
    assert_eq!(tree(&input)?, before, "nothing written, nothing changed");

    // The same files named one by one, so no folder is an input.
    let result = Command::new(env!("CARGO_BIN_EXE_augment"))
        .args(["run", "--preset", "fastai", "--out"])
        .arg(&input)
        .arg(input.join("a.png"))
        .arg(input.join("a-0.png"))
        .output()?;
    let stderr = text(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("refusing to overwrite"), "{stderr}");
    assert_eq!(tree(&input)?, before, "nothing written, nothing changed");

    // Two inputs that would share an output.
    let other = dir.path().join("other");
    write_photo(&other.join("a.png"), 40, 30, 2)?;
    let out = dir.path().join("out");
    let result = Command::new(env!("CARGO_BIN_EXE_augment"))
        .args(["run", "--preset", "fastai", "--out"])
        .arg(&out)
        .arg(input.join("a.png"))
        .arg(other.join("a.png"))
        .output()?;
    let stderr = text(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("would both be written"), "{stderr}");
    assert!(!out.exists() || tree(&out)?.is_empty(), "nothing written");
    Ok(())
}

#[test]
fn several_folders_keep_their_names() -> TestResult {
    // `train/*` as the shell expands it: one folder per class, the same
    // file names in each.
    let dir = tempfile::tempdir()?;
    let train = dir.path().join("train");
    write_photo(&train.join("cat/1.png"), 40, 30, 0)?;
    write_photo(&train.join("dog/1.png"), 40, 30, 1)?;
    write_photo(&train.join("dog/puppies/2.png"), 40, 30, 2)?;
    let out = dir.path().join("out");
    let result = Command::new(env!("CARGO_BIN_EXE_augment"))
        .args(["run", "--preset", "fastai", "--out"])
        .arg(&out)
        .arg(train.join("cat"))
        .arg(train.join("dog"))
        .output()?;
    assert!(result.status.success(), "{}", text(&result.stderr));
    assert_eq!(
        names(&tree(&out)?),
        ["cat/1-0.png", "dog/1-0.png", "dog/puppies/2-0.png"]
    );
    // One folder: its subfolders directly under --out, as before.
    let single = dir.path().join("single");
    let result = Command::new(env!("CARGO_BIN_EXE_augment"))
        .args(["run", "--preset", "fastai", "--out"])
        .arg(&single)
        .arg(&train)
        .output()?;
    assert!(result.status.success(), "{}", text(&result.stderr));
    assert_eq!(
        names(&tree(&single)?),
        ["cat/1-0.png", "dog/1-0.png", "dog/puppies/2-0.png"]
    );
    Ok(())
}

#[test]
fn an_output_folder_inside_the_input_folder_is_not_read_back() -> TestResult {
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("in");
    write_photo(&input.join("a.png"), 40, 30, 0)?;
    let out = input.join("augmented");
    for _ in 0..2 {
        let result = Command::new(env!("CARGO_BIN_EXE_augment"))
            .args(["run", "--preset", "fastai", "--copies", "2", "--out"])
            .arg(&out)
            .arg(&input)
            .output()?;
        assert!(result.status.success(), "{}", text(&result.stderr));
        assert!(
            text(&result.stdout).contains("2 written"),
            "{}",
            text(&result.stdout)
        );
    }
    assert_eq!(names(&tree(&out)?), ["a-0.png", "a-1.png"]);
    Ok(())
}

#[test]
fn an_output_folder_inside_the_input_holding_other_files_is_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("photos");
    write_photo(&input.join("b.png"), 40, 30, 0)?;
    // A folder of the user's data, one file named as an output of b.png.
    write_photo(&input.join("2020/b-0.png"), 30, 20, 1)?;
    write_photo(&input.join("2020/keep.png"), 30, 20, 2)?;
    let before = tree(&input)?;
    let result = Command::new(env!("CARGO_BIN_EXE_augment"))
        .args(["run", "--preset", "fastai", "--out"])
        .arg(input.join("2020"))
        .arg(&input)
        .output()?;
    let stderr = text(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "refused: {stderr}");
    assert!(stderr.contains("keep.png"), "names the file: {stderr}");
    assert_eq!(
        tree(&input)?,
        before,
        "nothing written, nothing overwritten"
    );
    Ok(())
}

/// A PNG of `width` x `height` RGB pixels by its header, with an empty
/// image stream: what a decoder reads before it allocates.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
            }
        }
        !crc
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [
        (
            b"IHDR",
            [
                &width.to_be_bytes()[..],
                &height.to_be_bytes(),
                &[8, 2, 0, 0, 0],
            ]
            .concat(),
        ),
        (
            b"IDAT",
            vec![0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
        ),
        (b"IEND", Vec::new()),
    ] {
        png.extend((data.len() as u32).to_be_bytes());
        let body = [&kind[..], &data].concat();
        png.extend(&body);
        png.extend(crc32(&body).to_be_bytes());
    }
    png
}

#[test]
fn a_file_claiming_a_huge_size_fails_alone() -> TestResult {
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("in");
    write_photo(&input.join("a.png"), 40, 30, 0)?;
    std::fs::write(input.join("huge.png"), png_claiming(100_000, 100_000))?;
    let out = dir.path().join("out");
    let result = Command::new(env!("CARGO_BIN_EXE_augment"))
        .args(["run", "--preset", "fastai", "--out"])
        .arg(&out)
        .arg(&input)
        .output()?;
    let stderr = text(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "one file failed: {stderr}");
    assert!(stderr.contains("huge.png"), "named: {stderr}");
    assert_eq!(names(&tree(&out)?), ["a-0.png"], "the rest written");
    let result = Command::new(env!("CARGO_BIN_EXE_augment"))
        .args(["apply", "--preset", "fastai"])
        .arg(input.join("huge.png"))
        .arg(dir.path().join("one.png"))
        .output()?;
    let stderr = text(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "nothing done: {stderr}");
    assert!(stderr.contains("huge.png"), "named: {stderr}");
    Ok(())
}

#[test]
fn skip_existing_keeps_what_is_there() -> TestResult {
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("in");
    write_photo(&input.join("a.png"), 40, 30, 0)?;
    write_photo(&input.join("b.png"), 40, 30, 1)?;
    let out = dir.path().join("out");
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_augment"))
            .args(["run", "--preset", "fastai", "--copies", "2", "--out"])
            .arg(&out)
            .args(extra)
            .arg(&input)
            .output()
    };
    let first = run(&[])?;
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert_eq!(tree(&out)?.len(), 4);
    let sentinel = out.join("a-1.png");
    std::fs::write(&sentinel, b"sentinel")?;
    std::fs::remove_file(out.join("b-0.png"))?;

    let second = run(&["--skip-existing"])?;
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert!(
        text(&second.stdout).contains("1 written, 0 failed, 3 skipped"),
        "{}",
        text(&second.stdout)
    );
    assert_eq!(
        std::fs::read(&sentinel)?,
        b"sentinel",
        "existing output kept"
    );
    assert!(out.join("b-0.png").is_file(), "the missing one is written");

    let third = run(&[])?;
    assert!(third.status.success(), "{}", text(&third.stderr));
    assert_ne!(
        std::fs::read(&sentinel)?,
        b"sentinel",
        "without --skip-existing outputs are replaced"
    );
    Ok(())
}

#[test]
fn a_pipeline_file_with_an_unknown_key_is_refused_naming_the_key() -> TestResult {
    let dir = tempfile::tempdir()?;
    let photo = dir.path().join("photo.png");
    write_photo(&photo, 40, 30, 0)?;
    for (name, body, key) in [
        (
            "bad.toml",
            "[[steps]]\ntransform = { type = \"rotate\", degrees = 5 }\nprobability = 0.5\n",
            "probability",
        ),
        ("bad.json", r#"{"steps": [], "sead": 3}"#, "sead"),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, body)?;
        let result = Command::new(env!("CARGO_BIN_EXE_augment"))
            .arg("apply")
            .arg("--pipeline")
            .arg(&file)
            .arg(&photo)
            .arg(dir.path().join("out.png"))
            .output()?;
        let stderr = text(&result.stderr);
        assert_eq!(result.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(key), "{name}: names the key: {stderr}");
        assert!(stderr.contains(name), "{name}: names the file: {stderr}");
        assert!(!dir.path().join("out.png").exists());
    }
    Ok(())
}

#[test]
fn format_flag_sets_the_container_and_the_name() -> TestResult {
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("in");
    write_photo(&input.join("a.png"), 40, 30, 0)?;
    let out = dir.path().join("out");
    let result = Command::new(env!("CARGO_BIN_EXE_augment"))
        .args(["run", "--preset", "fastai", "--format", "jpg", "--out"])
        .arg(&out)
        .arg(&input)
        .output()?;
    assert!(result.status.success(), "{}", text(&result.stderr));
    let bytes = std::fs::read(out.join("a-0.jpg"))?;
    assert_eq!(image::guess_format(&bytes)?, image::ImageFormat::Jpeg);

    // PNM as the binary P6 (colour) every reader takes, not PAM's P7.
    let result = Command::new(env!("CARGO_BIN_EXE_augment"))
        .args(["run", "--preset", "fastai", "--format", "ppm", "--out"])
        .arg(&out)
        .arg(&input)
        .output()?;
    assert!(result.status.success(), "{}", text(&result.stderr));
    let bytes = std::fs::read(out.join("a-0.ppm"))?;
    assert_eq!(&bytes[..2], b"P6");
    let img = image::load_from_memory(&bytes)?;
    assert_eq!(
        (img.width(), img.height(), img.color()),
        (224, 224, image::ColorType::Rgb8)
    );

    let result = Command::new(env!("CARGO_BIN_EXE_augment"))
        .args(["run", "--preset", "fastai", "--format", "xyz", "--out"])
        .arg(&out)
        .arg(&input)
        .output()?;
    assert_eq!(result.status.code(), Some(2));
    assert!(text(&result.stderr).contains("xyz"));
    Ok(())
}

#[test]
fn a_mask_boxes_and_points_ride_along_with_the_same_draw() -> TestResult {
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input)?;
    // Red on the left half, blue on the right; the mask marks the left half 7.
    let (w, h) = (48u32, 36u32);
    image::RgbImage::from_fn(w, h, |x, _| {
        if x < w / 2 {
            image::Rgb([230, 20, 20])
        } else {
            image::Rgb([20, 20, 230])
        }
    })
    .save(input.join("scene.png"))?;
    image::GrayImage::from_fn(w, h, |x, _| image::Luma([if x < w / 2 { 7 } else { 0 }]))
        .save(input.join("scene.mask.png"))?;
    std::fs::write(
        input.join("scene.boxes.json"),
        r#"{"format": "pixel_xyxy", "boxes": [[2, 2, 20, 30], [30, 5, 46, 20]], "labels": ["cat", 3]}"#,
    )?;
    std::fs::write(
        input.join("scene.points.json"),
        r#"{"points": [[10, 10], [40, 30], [-100, 5]]}"#,
    )?;
    let out = dir.path().join("out");
    let result = Command::new(env!("CARGO_BIN_EXE_augment"))
        .args([
            "run", "--preset", "fastai", "--size", "32x28", "--copies", "4",
        ])
        .arg("--out")
        .arg(&out)
        .arg(&input)
        .output()?;
    assert!(result.status.success(), "{}", text(&result.stderr));
    assert!(
        text(&result.stdout).contains("4 written"),
        "the mask is not an image of its own: {}",
        text(&result.stdout)
    );
    let mut sevens = 0;
    for copy in 0..4 {
        let image = image::open(out.join(format!("scene-{copy}.png")))?.to_rgb8();
        let mask = image::open(out.join(format!("scene-{copy}.mask.png")))?;
        let mask = match mask {
            image::DynamicImage::ImageLuma8(m) => m,
            other => return Err(format!("mask came out as {:?}", other.color()).into()),
        };
        assert_eq!(mask.dimensions(), image.dimensions(), "copy {copy}");
        assert_eq!(mask.dimensions(), (32, 28));
        let (mut marked, mut red) = (0, 0);
        for (m, px) in mask.pixels().zip(image.pixels()) {
            assert!(
                m[0] == 0 || m[0] == 7,
                "copy {copy}: label {} appeared",
                m[0]
            );
            if m[0] == 7 {
                marked += 1;
                if px[0] > px[2] {
                    red += 1;
                }
            }
        }
        assert!(
            red * 10 >= marked * 9,
            "copy {copy}: the mask follows the image ({red} of {marked} marked pixels red)"
        );
        sevens += marked;

        let boxes: serde_json::Value = serde_json::from_slice(&std::fs::read(
            out.join(format!("scene-{copy}.boxes.json")),
        )?)?;
        assert_eq!(boxes["format"], "pixel_xyxy");
        assert_eq!(
            (boxes["width"].as_u64(), boxes["height"].as_u64()),
            (Some(32), Some(28))
        );
        let kept = boxes["boxes"].as_array().map_or(0, Vec::len);
        assert_eq!(boxes["indices"].as_array().map_or(0, Vec::len), kept);
        assert_eq!(boxes["labels"].as_array().map_or(0, Vec::len), kept);
        for (index, label) in boxes["indices"]
            .as_array()
            .into_iter()
            .flatten()
            .zip(boxes["labels"].as_array().into_iter().flatten())
        {
            let expected = [serde_json::json!("cat"), serde_json::json!(3)];
            assert_eq!(
                Some(label),
                index.as_u64().and_then(|i| expected.get(i as usize))
            );
        }

        let points: serde_json::Value = serde_json::from_slice(&std::fs::read(
            out.join(format!("scene-{copy}.points.json")),
        )?)?;
        let status = points["status"].as_array().ok_or("no status")?;
        assert_eq!(status.len(), 3, "every point reported");
        assert_eq!(
            status[2], "outside",
            "a point far off the image stays off it"
        );
        assert_eq!(points["points"].as_array().map_or(0, Vec::len), 3);
    }
    assert!(sevens > 0, "the labelled half shows up somewhere");
    Ok(())
}

/// Every row of the README's kernel table, as `augment bench --json` keys it.
fn expected_bench_keys() -> Vec<String> {
    let mut keys = Vec::new();
    for format in ["rgb_u8", "gray_u8", "rgba_u8", "rgb_f32"] {
        for padding in ["constant", "border", "reflect", "reflect101", "wrap"] {
            keys.push(format!("warp_affine_{format}/{padding}"));
        }
    }
    keys.push("warp_affine_rgb_u8_scalar/border".into());
    keys.push("warp_projective_rgb_u8/border".into());
    keys.push("remap_grid_rgb_u8/border".into());
    for format in ["u8", "f32"] {
        for sigma in [1, 3, 10, 30] {
            keys.push(format!("gaussian_rgb_{format}/sigma={sigma}"));
        }
    }
    keys.push("box_rgb_u8/k=15".into());
    keys.push("box_rgb_u8/k=61".into());
    keys.push("motion_rgb_u8/L=15,angle=30".into());
    keys.push("box_downscale_rgb_u8/4x4".into());
    keys.push("resize_antialiased_rgb_u8/1024x768_to_256x192".into());
    keys
}

fn positive(v: &serde_json::Value) -> bool {
    v.as_f64().is_some_and(|x| x > 0.0 && x.is_finite())
}

#[test]
fn bench_json_covers_the_kernel_table() -> TestResult {
    let result = augment(["bench", "--json", "--seconds", "0.01"])?;
    assert!(result.status.success(), "{}", text(&result.stderr));
    let report: serde_json::Value = serde_json::from_slice(&result.stdout)?;
    let selected = report["isa"]["selected"]
        .as_str()
        .ok_or("no isa.selected")?;
    let available = report["isa"]["available"]
        .as_array()
        .ok_or("no isa.available")?;
    assert!(available.iter().any(|a| a == selected), "{report}");
    assert!(report["isa"]["gathers"].is_boolean(), "{report}");
    assert!(
        report["isa"]["gathers_reason"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "{report}"
    );
    assert_eq!(report["input"]["width"], 1024);
    assert_eq!(report["input"]["height"], 768);

    let kernels = report["kernels"].as_object().ok_or("no kernels")?;
    let expected = expected_bench_keys();
    for key in &expected {
        let k = kernels.get(key).ok_or_else(|| format!("no kernel {key}"))?;
        assert!(positive(&k["ns_per_pixel"]), "{key}: {k}");
        assert!(positive(&k["best_ns_per_pixel"]), "{key}: {k}");
        assert!(k["runs"].as_u64().is_some_and(|n| n >= 3), "{key}: {k}");
        let isa = k["isa"].as_str().ok_or_else(|| format!("{key}: no isa"))?;
        let want = if key.contains("_scalar/") {
            "scalar"
        } else {
            selected
        };
        assert_eq!(isa, want, "{key}");
        assert!(k["what"].as_str().is_some_and(|w| !w.is_empty()), "{key}");
    }
    assert_eq!(
        kernels.len(),
        expected.len(),
        "no unexpected kernels: {report}"
    );
    assert!(positive(&report["warp_scalar_over_selected"]));

    let pipeline = &report["pipeline"];
    assert_eq!(pipeline["isa"], selected);
    assert_eq!(pipeline["batch"], 8);
    for key in [
        "one_thread_images_per_s",
        "all_threads_images_per_s",
        "scaling",
    ] {
        assert!(positive(&pipeline[key]), "pipeline.{key}: {pipeline}");
    }
    assert!(pipeline["threads"].as_u64().is_some_and(|n| n >= 1));
    assert!(positive(&report["seconds"]));
    Ok(())
}

#[test]
fn bench_runs_the_forced_path_and_prints_a_table() -> TestResult {
    let forced = Command::new(env!("CARGO_BIN_EXE_augment"))
        .args(["bench", "--seconds", "0.01", "--threads", "1"])
        .env("AUGMENT_FORCE_ISA", "scalar")
        .env("AUGMENT_GATHERS", "off")
        .output()?;
    assert!(forced.status.success(), "{}", text(&forced.stderr));
    let table = text(&forced.stdout);
    assert!(table.contains("kernel path: scalar"), "{table}");
    assert!(table.contains("AUGMENT_FORCE_ISA=scalar"), "{table}");
    assert!(
        table.contains("x86 gathers: off (AUGMENT_GATHERS=off)"),
        "{table}"
    );
    for key in expected_bench_keys() {
        let row = table
            .lines()
            .find(|l| l.starts_with(&format!("{key} ")))
            .ok_or_else(|| format!("no row {key}:\n{table}"))?;
        assert!(row.contains(" scalar "), "the forced path runs: {row}");
    }
    assert!(table.contains("images/s"), "{table}");

    let both = augment(["bench", "--quick", "--seconds", "1"])?;
    assert_eq!(
        both.status.code(),
        Some(2),
        "--quick and --seconds conflict"
    );
    Ok(())
}

#[test]
fn help_works_for_every_subcommand() -> TestResult {
    let top = augment(["--help"])?;
    assert!(top.status.success());
    let top = text(&top.stdout);
    for (sub, flags) in [
        ("demo", &["--out", "--seed", "--input"][..]),
        (
            "run",
            &[
                "--pipeline",
                "--preset",
                "--copies",
                "--size",
                "--seed",
                "--jobs",
                "--skip-existing",
                "--format",
                "--out",
            ][..],
        ),
        (
            "apply",
            &["--pipeline", "--preset", "--seed", "--index"][..],
        ),
        (
            "bench",
            &["--json", "--seconds", "--quick", "--threads"][..],
        ),
    ] {
        assert!(top.contains(sub), "top-level help lists {sub}");
        let help = augment([sub, "--help"])?;
        assert!(help.status.success(), "{sub} --help");
        let help = text(&help.stdout);
        for flag in flags {
            assert!(help.contains(flag), "{sub} --help mentions {flag}:\n{help}");
        }
    }
    Ok(())
}

/// Ctrl-C in the middle of a run: it stops with 130, every output present
/// is complete, and no temporary file is left.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_cleanly() -> TestResult {
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("in");
    for n in 0..4 {
        write_photo(&input.join(format!("p{n}.png")), 320, 240, n)?;
    }
    let out = dir.path().join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_augment"))
        .args([
            "run", "--preset", "fastai", "--size", "256x256", "--copies", "5000",
        ])
        .arg("--out")
        .arg(&out)
        .arg(&input)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let started = std::time::Instant::now();
    while tree(&out).map_or(0, |t| t.len()) < 3 {
        if started.elapsed().as_secs() > 60 {
            child.kill()?;
            return Err("no output within a minute".into());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()?;
    assert!(killed.success());
    let result = child.wait_with_output()?;
    assert_eq!(result.status.code(), Some(130), "{}", text(&result.stderr));
    let written = tree(&out)?;
    assert!(written.len() < 4 * 5000, "stopped early");
    for (name, bytes) in &written {
        let name = name.display().to_string();
        assert!(!name.contains(".augment-"), "temporary file left: {name}");
        let img = image::load_from_memory(bytes).map_err(|e| format!("{name}: {e}"))?;
        assert_eq!((img.width(), img.height()), (256, 256), "{name}");
    }
    Ok(())
}
