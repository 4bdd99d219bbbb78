//! Worker threads: dropping a loader mid-epoch joins them promptly, a
//! file that blocks its reader does not stall the other workers, and the
//! same batches come with no worker threads at all. Its own test binary,
//! so counting this process's loader threads sees only these tests'.

mod common;

use augment::Pipeline;
use common::*;
use load::{Dataset, Loader};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Tests here count threads of the whole process: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// This process's threads named `augment-load-*` (Linux).
fn loader_threads() -> Option<usize> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    Some(
        tasks
            .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
            .filter(|name| name.starts_with("augment-load"))
            .count(),
    )
}

fn folder(n: usize) -> Res<(tempfile::TempDir, Vec<std::path::PathBuf>)> {
    let dir = tempfile::tempdir()?;
    let mut files = Vec::new();
    for i in 0..n {
        let path = dir.path().join(format!("c/{i:03}.png"));
        write(&path, &png_rgb(&gradient(64, 48), 64, 48)?)?;
        files.push(path);
    }
    Ok((dir, files))
}

fn pipeline() -> Res<Pipeline> {
    Ok(Pipeline::builder()
        .random_resized_crop(32, 32)
        .flip_horizontal(0.5)
        .build()?)
}

#[test]
fn dropping_mid_epoch_joins_every_thread_promptly() -> TestResult {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let (dir, _) = folder(40)?;
    let before = loader_threads();
    let mut loader = Loader::builder(Dataset::image_folder(dir.path())?, pipeline()?)
        .threads(4)
        .batch_size(4)
        .prefetch(4)
        .build()?;
    if let Some(before) = before {
        // A thread names itself once it runs: give them a moment.
        let deadline = Instant::now() + Duration::from_secs(5);
        while loader_threads() != Some(before + 4) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(loader_threads(), Some(before + 4));
    }
    let mut batches = loader.iter();
    let first = batches.next().ok_or("no batch")??;
    assert_eq!(first.len(), 4);
    // Mid-epoch, workers busy on the prefetched batches: drop it all.
    drop(batches);
    let started = Instant::now();
    drop(loader);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    if let Some(before) = before {
        // A joined thread can still be listed for a moment: the kernel
        // wakes its joiner before it takes the thread's entry out of
        // `/proc` (seen once under CI's load: one thread still listed).
        let deadline = Instant::now() + Duration::from_secs(1);
        while loader_threads() != Some(before) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(loader_threads(), Some(before), "threads left behind");
    }
    // The batch outlives its loader.
    assert_eq!(first.labels(), [0, 0, 0, 0]);
    Ok(())
}

#[test]
fn no_worker_threads_same_batches() -> TestResult {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let (dir, _) = folder(9)?;
    let collect = |threads: usize| -> Res<Vec<(Vec<u64>, Vec<f32>)>> {
        let mut loader = Loader::builder(Dataset::image_folder(dir.path())?, pipeline()?)
            .threads(threads)
            .batch_size(4)
            .build()?;
        loader.set_epoch(2)?;
        let mut out = Vec::new();
        for batch in loader.iter() {
            let batch = batch?;
            out.push((
                batch.positions().to_vec(),
                batch.tensor().ok_or("no tensor")?.to_vec(),
            ));
        }
        Ok(out)
    };
    let inline = collect(0)?;
    assert_eq!(inline.len(), 3);
    assert_eq!(inline, collect(3)?);
    Ok(())
}

/// A FIFO blocks whoever opens it until a writer comes: its worker waits,
/// the others fill the prefetch window meanwhile.
#[cfg(target_os = "linux")]
#[test]
fn a_blocked_file_does_not_stall_the_other_workers() -> TestResult {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let (dir, files) = folder(12)?;
    let dataset = Dataset::image_folder(dir.path())?;
    std::fs::remove_file(&files[0])?;
    let made = std::process::Command::new("mkfifo").arg(&files[0]).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("mkfifo unavailable; skipped");
        return Ok(());
    }
    let mut loader = Loader::builder(dataset, pipeline()?)
        .shuffle(false)
        .threads(3)
        .batch_size(1)
        .prefetch(6)
        .build()?;
    let fifo = files[0].clone();
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        // Let the others work first, then release the reader with no bytes.
        std::thread::sleep(Duration::from_millis(300));
        std::fs::OpenOptions::new()
            .write(true)
            .open(&fifo)
            .map(drop)
    });
    let started = Instant::now();
    let mut batches = loader.iter();
    let first = batches.next().ok_or("no batch")??;
    let waited = started.elapsed();
    drop(batches);
    let images = loader.stats().images;
    writer.join().map_err(|_| "writer panicked")??;
    assert!(waited >= Duration::from_millis(250), "{waited:?}");
    // While the FIFO blocked one worker, the other two loaded the rest
    // of the window (images 1..6).
    assert!(images >= 5, "only {images} images loaded meanwhile");
    // The empty FIFO was skipped: batch 0 holds the next sample.
    assert_eq!(first.samples(), [1]);
    assert_eq!(loader.report().skipped.len(), 1);
    Ok(())
}
