"""The Python `Loader` against the Rust loader and PyTorch DataLoaders, images/s.

    python crates/augment-py/bench/loader.py DATA --cli target/release/augment \\
        [--torch-python VENV/bin/python [--albumentations]] [--rounds 5] [--threads 2]

One epoch of DATA (an ImageFolder tree) to batches of 64 ImageNet-normalised
224x224 NCHW float32, through torchvision's RandomResizedCrop(224) and a
horizontal flip, on `--threads` threads, in three ways:

- `python`: `augment.Loader(DATA, pipeline, batch_size=64, threads=T)` in a
  fresh interpreter (this script with `--python-side`), timed from the first
  `next` to the last batch, as the Rust side times itself;
- `rust`: `augment load-bench DATA --preset random-resized-crop --threads T
  --batch 64 --size 224 --json`, the same pipeline and loader in Rust;
- `torchvision` (if `--torch-python` is given): `peer_loaders.py DATA
  torchvision` under that interpreter: `torchvision.datasets.ImageFolder`
  with the v2 `RandomResizedCrop(224)`, `RandomHorizontalFlip()`,
  `ToImage()`, `ToDtype(float32, scale=True)`, `Normalize(...)` under a
  `DataLoader` of T workers;
- `albumentations` (with `--albumentations` too): `peer_loaders.py DATA
  albumentations`, the same DataLoader over OpenCV decoding and
  albumentations' RandomResizedCrop, HorizontalFlip, Normalize, ToTensorV2.

With `--epochs N` every side runs N epochs in its one process, so a fresh
interpreter's one-off start (first touch of the arrays' fresh memory,
NumPy's thread pool starting) weighs on the figure as it would on a
longer dataset; the DataLoader peers start their workers again each epoch,
as they do by default.

Each round runs every side once, alternating, each in its own process (so
no side keeps threads or warm caches of another's); the report is the
median images/s of each side and the ratio python / rust. Seeds differ per
round (the same on each side) so no side is timed on one lucky draw.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path


def python_side(data: str, threads: int, batch: int, size: int, seed: int, epochs: int) -> None:
    import augment

    pipeline = augment.Pipeline.builder().random_resized_crop(size, size).flip_horizontal(p=0.5).seed(seed).build()
    loader = augment.Loader(data, pipeline, batch_size=batch, threads=threads, seed=seed)
    images = 0
    start = time.perf_counter()
    for epoch in range(epochs):
        loader.set_epoch(epoch)
        for x, _ in loader:
            images += x.shape[0]
    seconds = time.perf_counter() - start
    skipped = len(loader.report()["skipped"])
    print(json.dumps({"images": images, "seconds": seconds, "images_per_s": images / seconds, "skipped": skipped}))


def run_python(args, seed: int) -> float:
    cmd = [sys.executable, __file__, "--python-side", args.data, "--threads", str(args.threads),
           "--batch", str(args.batch), "--size", str(args.size), "--seed", str(seed), "--epochs", str(args.epochs)]
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    return out["images_per_s"]


def run_rust(args, seed: int) -> float:
    cmd = [args.cli, "load-bench", args.data, "--preset", "random-resized-crop", "--threads", str(args.threads),
           "--batch", str(args.batch), "--size", str(args.size), "--seed", str(seed), "--epochs", str(args.epochs),
           "--json"]
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    return out["images_per_s"]


def run_peer(peer: str):
    def run(args, seed: int) -> float:
        script = str(Path(__file__).with_name("peer_loaders.py"))
        cmd = [args.torch_python, script, args.data, peer, "--workers", str(args.threads),
               "--batch", str(args.batch), "--size", str(args.size), "--epochs", str(args.epochs)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        found = re.search(r"([0-9.]+) images/s", out)
        if not found:
            raise RuntimeError(f"no images/s in the {peer} peer's output: {out!r}")
        return float(found.group(1))
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", help="an ImageFolder tree")
    parser.add_argument("--cli", default="augment", help="the `augment` binary (a release build)")
    parser.add_argument("--torch-python", help="an interpreter with torch and torchvision")
    parser.add_argument("--albumentations", action="store_true",
                        help="also the OpenCV + albumentations DataLoader (needs them under --torch-python)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2, help="loader threads; torchvision's workers")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=1,
                        help="epochs each side runs in its one process")
    parser.add_argument("--python-side", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.python_side:
        python_side(args.data, args.threads, args.batch, args.size, args.seed, args.epochs)
        return
    sides = {"python": run_python, "rust": run_rust}
    if args.torch_python:
        sides["torchvision"] = run_peer("torchvision")
        if args.albumentations:
            sides["albumentations"] = run_peer("albumentations")
    figures = {name: [] for name in sides}
    for r in range(args.rounds):
        # Alternate which side goes first, so none always runs on a cooler machine.
        order = list(sides) if r % 2 == 0 else list(sides)[::-1]
        for name in order:
            figures[name].append(sides[name](args, args.seed + r))
        print(f"round {r}: " + "  ".join(f"{n} {figures[n][-1]:7.1f}" for n in sides), flush=True)
    medians = {n: statistics.median(v) for n, v in figures.items()}
    print(f"images/s, median of {args.rounds} (batch {args.batch}, {args.size}x{args.size}, {args.threads} threads):")
    for name, value in medians.items():
        print(f"  {name:12} {value:8.1f}   all: {', '.join(f'{v:.1f}' for v in figures[name])}")
    print(f"python / rust {medians['python'] / medians['rust']:.3f}")
    for peer in ("torchvision", "albumentations"):
        if peer in medians:
            print(f"python / {peer} {medians['python'] / medians[peer]:.2f}, "
                  f"rust / {peer} {medians['rust'] / medians[peer]:.2f}")


if __name__ == "__main__":
    main()
