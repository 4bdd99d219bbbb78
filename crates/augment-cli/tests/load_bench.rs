//! `augment load-bench` end to end: a folder, a list file and a shard
//! pattern, the JSON report's fields, a skipped file's exit code, and the
//! errors for a missing dataset and bad options.

use std::path::Path;
use std::process::{Command, Output};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn augment(args: &[&str]) -> std::io::Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_augment"))
        .args(args)
        .output()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn photo(path: &Path, seed: u32) -> TestResult {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    image::RgbImage::from_fn(48 + seed, 40, |x, y| {
        image::Rgb([(x * 5) as u8, (y * 6) as u8, (seed * 30) as u8])
    })
    .save(path)?;
    Ok(())
}

/// Six photos as a folder (two classes), a list file and a tar shard.
fn dataset(dir: &Path) -> TestResult {
    let mut list = String::new();
    let mut shard = tar::Builder::new(Vec::new());
    for i in 0..6u32 {
        let class = i % 2;
        let rel = format!("folder/c{class}/{i}.jpg");
        photo(&dir.join(&rel), i)?;
        list.push_str(&format!("{rel},{class}\n"));
        let bytes = std::fs::read(dir.join(&rel))?;
        for (name, data) in [
            (format!("{i}.jpg"), bytes),
            (format!("{i}.cls"), class.to_string().into_bytes()),
        ] {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            shard.append_data(&mut header, name, data.as_slice())?;
        }
    }
    std::fs::write(dir.join("list.csv"), list)?;
    std::fs::write(dir.join("shard-0.tar"), shard.into_inner()?)?;
    Ok(())
}

#[test]
fn every_source_kind_reports_json() -> TestResult {
    let dir = tempfile::tempdir()?;
    dataset(dir.path())?;
    for (data, source, classes) in [
        ("folder", "folder", 2),
        // Integer labels: the distinct values.
        ("list.csv", "list", 2),
        ("shard-{0..0}.tar", "shards", 2),
    ] {
        let path = dir.path().join(data);
        let path = path.to_string_lossy();
        let out = augment(&[
            "load-bench",
            &path,
            "--json",
            "--threads",
            "2",
            "--batch",
            "4",
            "--size",
            "32",
            "--epochs",
            "2",
        ])?;
        assert!(out.status.success(), "{data}: {}", text(&out.stderr));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        assert_eq!(report["images"], 12, "{data}");
        assert_eq!(report["threads"], 2);
        assert_eq!(report["preset"], "random-resized-crop");
        assert_eq!(report["source"], source);
        assert_eq!(report["classes"], classes);
        assert_eq!(report["skipped"], 0);
        assert!(report["images_per_s"].as_f64().is_some_and(|v| v > 0.0));
        for stage in ["read_ms", "decode_ms", "augment_ms", "batch_ms"] {
            assert!(
                report["stages"][stage].as_f64().is_some_and(|v| v > 0.0),
                "{data}: {stage} in {report}"
            );
        }
    }
    Ok(())
}

#[test]
fn region_and_scaled_decoding_can_be_turned_off_and_are_reported() -> TestResult {
    let dir = tempfile::tempdir()?;
    dataset(dir.path())?;
    let folder = dir.path().join("folder");
    let folder = folder.to_string_lossy();
    let run = |flags: &[&str]| -> Result<serde_json::Value, Box<dyn std::error::Error>> {
        let mut args = vec![
            "load-bench",
            &folder,
            "--json",
            "--batch",
            "3",
            "--size",
            "4",
        ];
        args.extend_from_slice(flags);
        let out = augment(&args)?;
        assert!(out.status.success(), "{flags:?}: {}", text(&out.stderr));
        Ok(serde_json::from_slice(&out.stdout)?)
    };
    let on = run(&[])?;
    let off = run(&["--no-region-decoding", "--no-scaled-decoding"])?;
    assert_eq!(
        (&on["region_decoding"], &on["scaled_decoding"]),
        (&true.into(), &true.into())
    );
    assert_eq!(
        (&off["region_decoding"], &off["scaled_decoding"]),
        (&false.into(), &false.into())
    );
    // Every crop of these 48..53 x 40 photos shrinks at least 2.5x to 4x4.
    assert_eq!(on["scaled_decodes"], 6);
    assert_eq!(off["scaled_decodes"], 0);
    let pixels = |r: &serde_json::Value| r["decoded_pixels_per_image"].as_f64().unwrap_or(0.0);
    // Whole images: (48 + 53) / 2 x 40 on average.
    assert!((pixels(&off) - 50.5 * 40.0).abs() < 1e-9, "{off}");
    assert!(
        pixels(&on) > 0.0 && pixels(&on) * 4.0 <= pixels(&off),
        "{on}"
    );
    Ok(())
}

#[test]
fn table_limit_preset_and_pixels() -> TestResult {
    let dir = tempfile::tempdir()?;
    dataset(dir.path())?;
    let folder = dir.path().join("folder");
    let out = augment(&[
        "load-bench",
        &folder.to_string_lossy(),
        "--preset",
        "fastai",
        "--limit",
        "3",
        "--size",
        "24",
        "--pixels",
        "--threads",
        "0",
    ])?;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.contains("3 images in"), "{table}");
    assert!(table.contains("fastai 24x24 to nhwc-u8"), "{table}");
    assert!(
        table.contains("decode") && table.contains("augment"),
        "{table}"
    );
    Ok(())
}

#[test]
fn skipped_files_exit_1_and_bad_input_exits_2() -> TestResult {
    let dir = tempfile::tempdir()?;
    dataset(dir.path())?;
    let folder = dir.path().join("folder");
    std::fs::write(folder.join("c0/0.jpg"), b"not a jpeg")?;
    let out = augment(&["load-bench", &folder.to_string_lossy(), "--size", "16"])?;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("0.jpg") && stderr.contains("not an image"),
        "{stderr}"
    );

    // Nothing loads: exit 2, and each file's failure is still said.
    let list = dir.path().join("gone.csv");
    std::fs::write(&list, "gone/a.jpg,0\ngone/b.jpg,1\n")?;
    let out = augment(&["load-bench", &list.to_string_lossy(), "--size", "16"])?;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("gone/a.jpg") && stderr.contains("gone/b.jpg"),
        "{stderr}"
    );

    let missing = dir.path().join("nowhere");
    let out = augment(&["load-bench", &missing.to_string_lossy()])?;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("nowhere"));
    let out = augment(&["load-bench", &folder.to_string_lossy(), "--batch", "0"])?;
    assert_eq!(out.status.code(), Some(2));
    let help = augment(&["load-bench", "--help"])?;
    let help = text(&help.stdout);
    for flag in [
        "--preset",
        "--threads",
        "--batch",
        "--size",
        "--json",
        "--epochs",
        "--limit",
    ] {
        assert!(help.contains(flag), "{flag} in {help}");
    }
    Ok(())
}
