//! The README's first command must keep working: `augment demo` on the
//! bundled photo writes 15 variants and a contact sheet of the right size.

use std::process::Command;

#[test]
fn demo_writes_variants_and_a_contact_sheet() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let out = dir.path().join("demo");
    let status = Command::new(env!("CARGO_BIN_EXE_augment"))
        .args(["demo", "--out"])
        .arg(&out)
        .status()?;
    assert!(status.success(), "demo failed: {status}");
    for k in 0..15 {
        let variant = image::open(out.join(format!("variant-{k:02}.png")))?;
        assert_eq!((variant.width(), variant.height()), (288, 192));
    }
    let sheet = image::open(out.join("contact-sheet.png"))?.to_rgb8();
    // 4 columns x 4 rows of 288x192 tiles with 6-pixel gutters.
    assert_eq!(sheet.dimensions(), (4 * 294 + 6, 4 * 198 + 6));
    // Tiles are not blank and not all identical: the augmentations did something.
    let tile = |n: u32| {
        let (x0, y0) = (6 + (n % 4) * 294, 6 + (n / 4) * 198);
        image::imageops::crop_imm(&sheet, x0, y0, 288, 192).to_image()
    };
    let distinct = (1..16).filter(|&n| tile(n) != tile(0)).count();
    assert_eq!(distinct, 15, "every variant differs from the original");
    Ok(())
}

#[test]
fn demo_refuses_an_unreadable_input_without_writing() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let bogus = dir.path().join("not-an-image.png");
    std::fs::write(&bogus, b"this is not a png")?;
    let out = dir.path().join("demo");
    let output = Command::new(env!("CARGO_BIN_EXE_augment"))
        .args(["demo", "--out"])
        .arg(&out)
        .arg("--input")
        .arg(&bogus)
        .output()?;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("not-an-image.png"),
        "error names the file: {stderr}"
    );
    assert_eq!(
        std::fs::read(&bogus)?,
        b"this is not a png",
        "input untouched"
    );
    Ok(())
}
