"""apply_batch from Python against the same call from Rust, batch 64.

    python crates/augment-py/bench/apply_batch.py [--threads N] [--rounds R]

Both sides run in the same extension build on the same thread pool with the
same 64 images (the bundled photographs, half 600x400 and half 500x375)
through fastai's pipeline to 224x224 ImageNet-normalised NCHW float32. The
Rust side is `augment._augment._time_apply_batch_in_rust`, which times
`augment::Pipeline::apply_batch` in a Rust loop; the Python side times
`pipeline.apply_batch(images, first_index)` (each result dropped, so the
pipeline refills the array it returned before) and
`pipeline.apply_batch(images, first_index, out=out)` with `time.perf_counter`.
Rounds alternate the sides; the report is the median seconds per batch of
each and the overhead ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

import augment
from augment import _augment

ASSETS = Path(__file__).resolve().parents[3] / "assets"


def images() -> list:
    photos = [augment.read_image(ASSETS / name) for name in ("chelsea.png", "coffee.png", "astronaut.png")]
    out = []
    for k in range(64):
        big = photos[k % len(photos)]
        h, w = (400, 600) if k % 2 == 0 else (375, 500)
        reps = (-(-h // big.shape[0]), -(-w // big.shape[1]), 1)
        out.append(np.ascontiguousarray(np.tile(big, reps)[:h, :w]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=None, help="pool threads (default: one per core)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=5, help="batches per side per round")
    args = parser.parse_args()
    if args.threads:
        augment.set_num_threads(args.threads)
    batch = images()
    pipeline = augment.Pipeline.fastai(224, 224, seed=1)
    out = np.empty((64, 3, 224, 224), np.float32)
    pipeline.apply_batch(batch, 0, out=out)  # warm the pool and the caches
    rust, python, python_out = [], [], []
    index = 0
    for _ in range(args.rounds):
        rust += _augment._time_apply_batch_in_rust(pipeline, batch, index, args.repeats)
        for _ in range(args.repeats):
            start = time.perf_counter()
            pipeline.apply_batch(batch, index)
            python.append(time.perf_counter() - start)
            index += 64
        for _ in range(args.repeats):
            start = time.perf_counter()
            pipeline.apply_batch(batch, index, out=out)
            python_out.append(time.perf_counter() - start)
            index += 64
    r, p, po = (statistics.median(x) for x in (rust, python, python_out))
    print(f"threads {augment.get_num_threads()}, batch 64, fastai 224x224, {len(rust)} batches per side")
    print(f"rust   apply_batch          {r * 1e3:8.2f} ms/batch  {64 / r:8.1f} images/s")
    print(f"python apply_batch          {p * 1e3:8.2f} ms/batch  {64 / p:8.1f} images/s  overhead {100 * (p / r - 1):+.2f} %")
    print(f"python apply_batch(out=)    {po * 1e3:8.2f} ms/batch  {64 / po:8.1f} images/s  overhead {100 * (po / r - 1):+.2f} %")


if __name__ == "__main__":
    main()
