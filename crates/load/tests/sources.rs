//! Every source kind: ImageFolder trees (order, extensions, hidden files,
//! links, cycles, empty classes), list files (CSV with and without header,
//! quoted paths, JSON lines, bad lines) and WebDataset tar shards (labels
//! from .cls and .json, long names, brace patterns, cut and corrupt
//! archives), each error typed and naming its path (and member).

mod common;

use common::*;
use load::{Dataset, Error, SampleName, SourceKind};
use std::path::{Path, PathBuf};

fn names(d: &Dataset, root: &Path) -> Vec<String> {
    (0..d.len())
        .map(|i| {
            let n = d.name(i).unwrap_or_else(|| SampleName::file("?"));
            let rel = n.path.strip_prefix(root).unwrap_or(&n.path).to_path_buf();
            match n.member {
                Some(m) => format!("{}:{m}", rel.display()),
                None => rel.display().to_string(),
            }
        })
        .collect()
}

fn labels(d: &Dataset) -> Vec<i64> {
    (0..d.len()).filter_map(|i| d.label(i)).collect()
}

#[test]
fn image_folder_order_labels_and_filters() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    let png = png_rgb(&gradient(4, 4), 4, 4)?;
    for f in [
        "dog/b.png",
        "dog/A.JPG",
        "dog/sub/x.png",
        "dog/sub c/y.jpeg",
        "dog/.hidden.png",
        "dog/._b.png",
        "dog/.cache/z.png",
        "dog/notes.txt",
        "dog/scan.tiff",
        "dog/photo.ppm",
        "dog/anim.gif",
        "cat/1.Png",
        "cat/2.webp",
        "cat/3.bmp",
        ".trash/old.png",
    ] {
        write(&root.join(f), &png)?;
    }
    std::fs::write(root.join("readme.md"), "not a class")?;
    let d = Dataset::image_folder(root)?;
    assert_eq!(d.kind(), SourceKind::Folder);
    assert_eq!(d.classes(), ["cat", "dog"]);
    // torchvision's order: folders by path as strings ("dog/sub c" before
    // "dog/sub"'s children? no: "dog" < "dog/sub" < "dog/sub c"), files by name.
    assert_eq!(
        names(&d, root),
        [
            "cat/1.Png",
            "cat/2.webp",
            "cat/3.bmp",
            "dog/A.JPG",
            "dog/b.png",
            "dog/photo.ppm",
            "dog/scan.tiff",
            "dog/sub/x.png",
            "dog/sub c/y.jpeg",
        ]
    );
    assert_eq!(labels(&d), [0, 0, 0, 1, 1, 1, 1, 1, 1]);
    let mut bytes = Vec::new();
    d.read(0, &mut bytes)?;
    assert_eq!(bytes, png);
    Ok(())
}

#[test]
fn folder_order_compares_paths_as_strings() -> TestResult {
    // Folder "k/b c" sorts before "k/b/x" as strings (' ' < '/'), after it
    // as path components ("b" < "b c"): torchvision sorts the strings.
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    let png = png_rgb(&gradient(2, 2), 2, 2)?;
    for f in ["k/b/x/w.png", "k/b c/y.png", "k/b-d/z.png", "k/b.png"] {
        write(&root.join(f), &png)?;
    }
    let d = Dataset::image_folder(root)?;
    assert_eq!(
        names(&d, root),
        ["k/b.png", "k/b c/y.png", "k/b-d/z.png", "k/b/x/w.png"]
    );
    Ok(())
}

#[cfg(unix)]
#[test]
fn links_are_followed_and_cycles_refused() -> TestResult {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("data");
    let elsewhere = dir.path().join("elsewhere");
    let png = png_rgb(&gradient(2, 2), 2, 2)?;
    write(&root.join("a/1.png"), &png)?;
    write(&elsewhere.join("2.png"), &png)?;
    write(&elsewhere.join("deep/3.png"), &png)?;
    symlink(&elsewhere, root.join("b"))?; // a linked class
    symlink(&elsewhere, root.join("a/more"))?; // a linked subfolder
    let d = Dataset::image_folder(&root)?;
    assert_eq!(d.classes(), ["a", "b"]);
    assert_eq!(
        names(&d, &root),
        [
            "a/1.png",
            "a/more/2.png",
            "a/more/deep/3.png",
            "b/2.png",
            "b/deep/3.png"
        ]
    );
    // A link back to its own class folder: refused, naming the link.
    symlink(root.join("a"), root.join("a/loop"))?;
    match Dataset::image_folder(&root) {
        Err(Error::Folder { path, what }) => {
            assert!(path.ends_with("a/loop"), "{}", path.display());
            assert!(what.contains("cycle"), "{what}");
        }
        other => return Err(format!("expected a cycle error, got {other:?}").into()),
    }
    Ok(())
}

#[test]
fn folder_errors_name_the_folder() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    match Dataset::image_folder(root.join("missing")) {
        Err(Error::Io { path, .. }) => assert!(path.ends_with("missing")),
        other => return Err(format!("{other:?}").into()),
    }
    match Dataset::image_folder(root) {
        Err(Error::Folder { path, what }) => {
            assert_eq!(path, root);
            assert!(what.contains("no class folders"), "{what}");
        }
        other => return Err(format!("{other:?}").into()),
    }
    write(&root.join("cat/1.png"), &png_rgb(&gradient(2, 2), 2, 2)?)?;
    write(&root.join("dog/readme.txt"), b"no images")?;
    match Dataset::image_folder(root) {
        Err(e @ Error::Folder { .. }) => {
            let text = e.to_string();
            assert!(text.contains("dog") && text.contains("no images"), "{text}");
        }
        other => return Err(format!("{other:?}").into()),
    }
    Ok(())
}

#[test]
fn list_files_csv_and_json_lines() -> TestResult {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    std::fs::create_dir(root.join("lists"))?;
    let cases = [
        (
            "with-header.csv",
            "path,label\nimg/a.jpg,3\n\n img/b, c.png , 7 \n",
        ),
        ("no-header.csv", "img/a.jpg,3\r\n\"img/b, c.png\",7\r\n"),
        (
            "lines.jsonl",
            "{\"path\": \"img/a.jpg\", \"label\": 3}\n\n{\"label\": 7, \"path\": \"img/b, c.png\"}\n",
        ),
        (
            "sniffed.txt",
            "{\"path\": \"img/a.jpg\", \"label\": 3}\n{\"path\": \"img/b, c.png\", \"label\": 7}",
        ),
        // Excel's byte-order mark; a header naming its columns among others.
        (
            "excel.csv",
            "\u{feff}id,Label,fold,file_name\r\n1,3,0,img/a.jpg\r\n2,7,1,\"img/b, c.png\"\r\n",
        ),
        (
            "label-first.csv",
            "label,path\n3,img/a.jpg\n7,img/b, c.png\n",
        ),
        ("tabs.tsv", "img/a.jpg\t3\nimg/b, c.png\t7\n"),
        ("caffe.txt", "img/a.jpg 3\nimg/b, c.png   7\n"),
        (
            "array.json",
            "[{\"image\": \"img/a.jpg\", \"category_id\": 3},\n {\"image\": \"img/b, c.png\", \"category_id\": 7}]",
        ),
    ];
    for (file, text) in cases {
        let path = root.join("lists").join(file);
        std::fs::write(&path, text)?;
        let d = Dataset::open(&path)?;
        assert_eq!(d.kind(), SourceKind::List, "{file}");
        assert_eq!(labels(&d), [3, 7], "{file}");
        assert_eq!(
            names(&d, root),
            ["lists/img/a.jpg", "lists/img/b, c.png"],
            "{file}: paths are relative to the list file"
        );
    }
    // Absolute paths stay absolute.
    let abs = root.join("abs.csv");
    std::fs::write(&abs, format!("{},1\n", root.join("x.png").display()))?;
    assert_eq!(
        Dataset::list_file(&abs)?.name(0).map(|n| n.path),
        Some(root.join("x.png"))
    );
    Ok(())
}

/// Class names as labels (as many CSV datasets give them): classes sorted
/// by name, label = position, as for a folder; with or without a header.
#[test]
fn list_files_with_class_names() -> TestResult {
    let dir = tempfile::tempdir()?;
    let cases = [
        (
            "names.csv",
            "image_id,label\na.jpg,dog\nb.jpg,cat\nc.jpg,dog\nd.jpg,ant\n",
        ),
        (
            "no-header.csv",
            "a.jpg,dog\nb.jpg,cat\nc.jpg,dog\nd.jpg,ant\n",
        ),
        (
            "names.jsonl",
            "{\"path\": \"a.jpg\", \"label\": \"dog\"}\n{\"path\": \"b.jpg\", \"label\": \"cat\"}\n\
             {\"path\": \"c.jpg\", \"label\": \"dog\"}\n{\"path\": \"d.jpg\", \"label\": \"ant\"}\n",
        ),
    ];
    for (file, text) in cases {
        let path = dir.path().join(file);
        std::fs::write(&path, text)?;
        let d = Dataset::list_file(&path)?;
        assert_eq!(d.classes(), ["ant", "cat", "dog"], "{file}");
        assert_eq!(labels(&d), [2, 1, 2, 0], "{file}");
        assert_eq!(d.len(), 4, "{file}: the header is not a sample");
    }
    // Among names, a label that reads as a number is a name too.
    let mixed = dir.path().join("mixed.csv");
    std::fs::write(&mixed, "a.jpg,b10\nb.jpg,7\nc.jpg,b10\n")?;
    let d = Dataset::list_file(&mixed)?;
    assert_eq!(
        (d.classes(), labels(&d)),
        (&["7".to_string(), "b10".into()][..], vec![1, 0, 1])
    );
    // Integer labels give no class names.
    let numbers = dir.path().join("numbers.csv");
    std::fs::write(&numbers, "path,label\na.jpg,4\n")?;
    assert!(Dataset::list_file(&numbers)?.classes().is_empty());
    // JSON lines do not mix the two.
    let json = dir.path().join("mixed.jsonl");
    std::fs::write(
        &json,
        "{\"path\": \"a.jpg\", \"label\": \"cat\"}\n{\"path\": \"b.jpg\", \"label\": 3}\n",
    )?;
    match Dataset::list_file(&json) {
        Err(e @ Error::List { line: 2, .. }) => {
            assert!(e.to_string().contains("class name"), "{e}")
        }
        other => return Err(format!("{other:?}").into()),
    }
    Ok(())
}

#[test]
fn list_file_errors_name_the_line() -> TestResult {
    let dir = tempfile::tempdir()?;
    let cases: [(&str, &str, usize, &str); 6] = [
        ("a.csv", "a.jpg,1\nb.jpg,x\n", 2, "not an integer"),
        ("b.csv", "a.jpg,1\nno comma here\n", 2, "path,label"),
        ("c.csv", "a.jpg,1\n\"open quote,2\n", 2, "quote"),
        (
            "d.jsonl",
            "{\"path\": \"a\", \"label\": 1}\n{\"path\": 3, \"label\": 1}\n",
            2,
            "path",
        ),
        ("e.jsonl", "{\"path\": \"a\"}\n", 1, "label"),
        ("f.jsonl", "{oops\n", 1, "JSON"),
    ];
    for (file, text, line, words) in cases {
        let path = dir.path().join(file);
        std::fs::write(&path, text)?;
        match Dataset::list_file(&path) {
            Err(e @ Error::List { .. }) => {
                let Error::List { line: at, .. } = &e else {
                    unreachable!()
                };
                assert_eq!(*at, line, "{file}: {e}");
                assert!(e.to_string().contains(words), "{file}: {e}");
                assert!(e.to_string().contains(file), "{file}: {e}");
            }
            other => return Err(format!("{file}: {other:?}").into()),
        }
    }
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "path,label\n\n")?;
    assert!(matches!(
        Dataset::list_file(&empty),
        Err(Error::NoSamples { .. })
    ));
    assert!(matches!(
        Dataset::list_file(dir.path().join("missing.csv")),
        Err(Error::Io { .. })
    ));
    // Files given by mistake are named for what they are.
    let gz = dir.path().join("shard.tar.gz");
    std::fs::write(&gz, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3])?;
    let jpeg = dir.path().join("photo.jpg");
    let mut bytes = Vec::new();
    image::RgbImage::new(8, 8).write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Jpeg,
    )?;
    std::fs::write(&jpeg, bytes)?;
    for (path, words) in [(gz, "gzip"), (jpeg, "an image, not a list")] {
        let e = Dataset::open(&path).err().map(|e| e.to_string());
        assert!(
            e.as_deref()
                .is_some_and(|e| e.contains(words) && !e.contains("line")),
            "{}: {e:?}",
            path.display()
        );
    }
    Ok(())
}

/// Appends a regular member.
fn member(b: &mut tar::Builder<Vec<u8>>, name: &str, data: &[u8]) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    b.append_data(&mut header, name, data)
}

fn shard(members: &[(&str, &[u8])]) -> std::io::Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in members {
        member(&mut b, name, data)?;
    }
    b.into_inner()
}

#[test]
fn webdataset_shards() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (jpg, png) = (
        jpeg(&gradient(8, 8), 8, 8, Jpeg::default())?,
        png_rgb(&gradient(4, 4), 4, 4)?,
    );
    let long = format!("{}/sample", "deep".repeat(40));
    let first = shard(&[
        ("a.jpg", &jpg),
        ("a.cls", b"3\n"),
        ("b.PNG", &png),
        ("b.json", br#"{"label": 5, "caption": "x"}"#),
        ("__meta__.txt", b"no image: ignored"),
        ("._c.jpg", &jpg), // hidden: skipped
        (&format!("{long}.jpg"), &jpg),
        (&format!("{long}.json"), br#"{"cls": 9}"#),
    ])?;
    let second = shard(&[
        (
            "d.webp",
            &webp_lossless(&gradient(2, 2), 2, 2, image::ExtendedColorType::Rgb8)?,
        ),
        ("d.cls", b"1"),
        ("e.tif", &png),
        ("e.cls", b"2"),
        ("d.seg.png", &png), // key "d", extension "seg.png": not an image of the sample
    ])?;
    write(&dir.path().join("train-00.tar"), &first)?;
    write(&dir.path().join("train-01.tar"), &second)?;
    let pattern = format!("{}/train-{{00..01}}.tar", dir.path().display());
    let d = Dataset::open(&pattern)?;
    assert_eq!(d.kind(), SourceKind::Shards);
    assert_eq!(labels(&d), [3, 5, 9, 1, 2]);
    assert_eq!(
        names(&d, dir.path()),
        [
            "train-00.tar:a.jpg",
            "train-00.tar:b.PNG",
            format!("train-00.tar:{long}.jpg").as_str(),
            "train-01.tar:d.webp",
            "train-01.tar:e.tif",
        ]
    );
    let mut bytes = Vec::new();
    d.read(2, &mut bytes)?;
    assert_eq!(bytes, jpg, "read by offset");
    d.read(1, &mut bytes)?;
    assert_eq!(bytes, png);
    Ok(())
}

#[test]
fn shard_errors_name_shard_and_member() -> TestResult {
    let dir = tempfile::tempdir()?;
    let jpg = jpeg(&gradient(8, 8), 8, 8, Jpeg::default())?;
    let expect = |file: &str, bytes: &[u8], words: &[&str]| -> TestResult {
        let path = dir.path().join(file);
        std::fs::write(&path, bytes)?;
        match Dataset::shard_files([&path]) {
            Ok(_) => Err(format!("{file}: opened").into()),
            Err(e) => {
                let text = e.to_string();
                assert!(text.contains(file), "{text}");
                for w in words {
                    assert!(text.contains(w), "{file}: {text} lacks {w}");
                }
                Ok(())
            }
        }
    };
    expect(
        "nolabel.tar",
        &shard(&[("a.jpg", &jpg), ("b.jpg", &jpg), ("b.cls", b"1")])?,
        &["a.jpg", "no label"],
    )?;
    expect(
        "badcls.tar",
        &shard(&[("a.jpg", &jpg), ("a.cls", b" \n")])?,
        &["a.cls", "empty"],
    )?;
    expect(
        "badjson.tar",
        &shard(&[("a.jpg", &jpg), ("a.json", br#"{"label": 1.5}"#)])?,
        &["a.json", "neither an integer nor a class name"],
    )?;
    let mut garbled = shard(&[("a.jpg", &jpg), ("a.cls", b"1")])?;
    garbled[0] ^= 0x55; // first header's name: checksum no longer matches
    expect("garbled.tar", &garbled, &["checksum", "byte 0"])?;
    expect("text.tar", &[b'x'; 700], &["checksum"])?;
    expect("short.tar", &[0u8; 100], &["ends inside a header"])?;
    let good = shard(&[
        ("a.jpg", &jpg),
        ("a.cls", b"1"),
        ("b.jpg", &jpg),
        ("b.cls", b"2"),
    ])?;
    // Cut inside b.cls, a label: refused at indexing.
    let b_cls_at = good.len() - 1024 - 512; // end blocks, then b.cls's data block
    expect("cutlabel.tar", &good[..b_cls_at], &["b.cls", "cut"])?;
    assert!(matches!(
        Dataset::shards(&format!("{}/missing-{{0..1}}.tar", dir.path().display())),
        Err(Error::Io { .. })
    ));
    assert!(matches!(
        Dataset::shards("x-{0..").err(),
        Some(Error::Pattern { .. })
    ));
    Ok(())
}

#[test]
fn a_cut_image_member_fails_when_read() -> TestResult {
    let dir = tempfile::tempdir()?;
    let jpg = jpeg(&gradient(64, 64), 64, 64, Jpeg::default())?;
    let whole = shard(&[("a.cls", b"1"), ("a.jpg", &jpg)])?;
    // Keep a.cls and half of a.jpg's data.
    let cut = 512 + 512 + 512 + jpg.len() / 2;
    let path = dir.path().join("cut.tar");
    std::fs::write(&path, &whole[..cut])?;
    let d = Dataset::shard_files([&path])?;
    assert_eq!(d.len(), 1);
    let mut bytes = Vec::new();
    match d.read(0, &mut bytes) {
        Err(e @ Error::Read { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains("cut.tar") && text.contains("a.jpg") && text.contains("cut"),
                "{text}"
            );
            assert_eq!(
                e.sample().and_then(|s| s.member.clone()),
                Some("a.jpg".to_string())
            );
        }
        other => return Err(format!("{other:?}").into()),
    }
    Ok(())
}

#[test]
fn open_picks_the_source_kind() -> TestResult {
    let dir = tempfile::tempdir()?;
    let png = png_rgb(&gradient(2, 2), 2, 2)?;
    write(&dir.path().join("folder/c/1.png"), &png)?;
    std::fs::write(dir.path().join("list.csv"), "folder/c/1.png,0\n")?;
    std::fs::write(
        dir.path().join("one.TAR"),
        shard(&[("k.png", &png), ("k.cls", b"0")])?,
    )?;
    let kind = |p: PathBuf| Dataset::open(p).map(|d| d.kind());
    assert_eq!(kind(dir.path().join("folder"))?, SourceKind::Folder);
    assert_eq!(kind(dir.path().join("list.csv"))?, SourceKind::List);
    assert_eq!(kind(dir.path().join("one.TAR"))?, SourceKind::Shards);
    Ok(())
}

#[test]
fn shards_labelled_by_class_name() -> TestResult {
    let dir = tempfile::tempdir()?;
    let jpg = jpeg(&gradient(8, 8), 8, 8, Jpeg::default())?;
    let first = shard(&[
        ("a.jpg", &jpg),
        ("a.cls", b"tabby cat\n"),
        ("b.jpg", &jpg),
        ("b.json", br#"{"label": "dog"}"#),
    ])?;
    let second = shard(&[("c.jpg", &jpg), ("c.cls", b"ant")])?;
    write(&dir.path().join("n-0.tar"), &first)?;
    write(&dir.path().join("n-1.tar"), &second)?;
    let d = Dataset::open(format!("{}/n-{{0..1}}.tar", dir.path().display()))?;
    // Names across every shard, sorted: ant, dog, tabby cat.
    assert_eq!(d.classes(), ["ant", "dog", "tabby cat"]);
    assert_eq!(labels(&d), [2, 1, 0]);
    // A shard of numbers after one of names: refused, naming the shard.
    write(
        &dir.path().join("n-2.tar"),
        &shard(&[("d.jpg", &jpg), ("d.cls", b"4")])?,
    )?;
    match Dataset::open(format!("{}/n-{{0..2}}.tar", dir.path().display())) {
        Err(e @ Error::Shard { .. }) => {
            assert!(
                e.to_string().contains("n-2.tar") && e.to_string().contains("mixed"),
                "{e}"
            )
        }
        other => return Err(format!("mixed labels: {other:?}").into()),
    }
    Ok(())
}

#[test]
fn samples_given_in_code() -> TestResult {
    use load::SampleLabel::{Index, Name};
    let named = Dataset::from_samples(
        "frame",
        vec![
            ("x/3.png".into(), Name("emu".into())),
            ("x/1.png".into(), Name("cat".into())),
            ("x/2.png".into(), Name("emu".into())),
        ],
    )?;
    assert_eq!(named.classes(), ["cat", "emu"]);
    assert_eq!(labels(&named), [1, 0, 1]);
    assert_eq!(named.kind(), SourceKind::List);
    let numbered = Dataset::from_samples("frame", vec![("a.png".into(), Index(7))])?;
    assert_eq!((labels(&numbered), numbered.classes().len()), (vec![7], 0));
    let mixed = Dataset::from_samples(
        "frame",
        vec![
            ("a.png".into(), Index(1)),
            ("b.png".into(), Name("dog".into())),
        ],
    );
    assert!(
        matches!(mixed, Err(Error::List { line: 2, .. })),
        "{mixed:?}"
    );
    assert!(matches!(
        Dataset::from_samples("frame", vec![]),
        Err(Error::NoSamples { .. })
    ));
    Ok(())
}
