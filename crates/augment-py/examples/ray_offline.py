"""Offline augmentation on Ray Data: what `augment run` writes, computed by a Ray cluster.

    python examples/ray_offline.py photos/ augmented/ --pipeline train.toml --copies 4 [--address auto]

Files under ``photos/`` are numbered as ``augment run`` numbers them
(folders walked in name order, hidden entries skipped): copy ``c`` of the
``i``-th image is image number ``i * copies + c`` of the pipeline, so every
output is exactly the pixels ``augment run --copies N`` (or ``augment apply
--index K``) gives for the same pipeline file and seed, whichever worker
computed it. Outputs keep the input's subfolders and are named as
``augment run`` names them, ``<stem>-<copy>.npy`` (``H x W x C`` uint8, one
NumPy file each, written to a hidden temporary file and renamed into place).

Ray is the engine: ``ray.data.from_items`` lists the files, ``map_batches``
runs :func:`augment_batch` on the workers (the pipeline travels pickled),
and the dataset it returns holds one row per output (``name``, ``index``).
On a cluster, ``photos/`` and ``augmented/`` must be paths every node sees
(a shared file system). Files are decoded by ``augment.read_image``, turned
upright by their EXIF orientation as the command-line tool turns them; it
reads JPEG, PNG, WebP, BMP, TIFF and Netpbm as 8-bit RGB, so outputs
equal ``augment run``'s for RGB files of those formats (the tool keeps gray and
alpha images as 1 or 4 channels, and reads more formats, which would shift
its numbering).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Dict, List

import numpy as np

import augment

#: The formats ``augment.read_image`` decodes.
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".ppm", ".pgm")
#: Files beside an image that ``augment run`` takes as its targets, not as images.
TARGET_SUFFIXES = (".mask.png", ".boxes.json", ".points.json")


def walk(root: Path) -> List[Path]:
    """Images under ``root`` in ``augment run``'s order: depth first, entries by name."""
    found = []
    for entry in sorted(os.scandir(root), key=lambda e: os.fsencode(e.name)):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            found += walk(Path(entry.path))
        elif entry.name.lower().endswith(IMAGE_EXTENSIONS) and not entry.name.lower().endswith(TARGET_SUFFIXES):
            found.append(Path(entry.path))
    return found


def augment_batch(
    batch: Dict[str, np.ndarray], pipeline: augment.Pipeline, copies: int, root: str, out: str
) -> Dict[str, np.ndarray]:
    """Every copy of every image in ``batch`` (columns ``path``, ``position``), written under ``out``."""
    names, indices = [], []
    for path, position in zip(batch["path"], batch["position"]):
        path = Path(str(path))
        image = augment.read_image(path)
        folder = Path(out) / path.parent.relative_to(root)
        folder.mkdir(parents=True, exist_ok=True)
        for copy in range(copies):
            index = int(position) * copies + copy
            pixels = pipeline.apply(image, index=index)
            name = f"{path.stem}-{copy}.npy"
            temporary = folder / f".{name}.partial"
            with open(temporary, "wb") as f:
                np.save(f, pixels)
            os.replace(temporary, folder / name)
            names.append(str((folder / name).relative_to(out)))
            indices.append(index)
    return {"name": np.array(names), "index": np.array(indices, np.uint64)}


def augment_folder(root: Path, out: Path, pipeline: augment.Pipeline, copies: int = 1, batch_size: int = 16):
    """A Ray dataset that, when consumed, writes every output; one row (``name``, ``index``) per output."""
    import ray

    root, out = Path(root).resolve(), Path(out).resolve()
    files = walk(root)
    items = [{"path": str(p), "position": i} for i, p in enumerate(files)]
    return ray.data.from_items(items).map_batches(
        augment_batch,
        batch_size=batch_size,
        batch_format="numpy",
        fn_kwargs={"pipeline": pipeline, "copies": copies, "root": str(root), "out": str(out)},
    )


def main() -> None:
    import ray

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root", type=Path, help="folder of images")
    parser.add_argument("out", type=Path, help="output folder")
    parser.add_argument("--pipeline", type=Path, help="pipeline file (TOML or JSON) [default: fastai 224x224]")
    parser.add_argument("--seed", type=int, help="the pipeline's seed [default: the file's]")
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=16, help="images per Ray task")
    parser.add_argument("--address", help="Ray cluster to join [default: a local instance]")
    args = parser.parse_args()
    pipeline = augment.Pipeline.load(args.pipeline) if args.pipeline else augment.Pipeline.fastai(224, 224)
    if args.seed is not None:
        pipeline = pipeline.with_seed(args.seed)
    ray.init(address=args.address)
    try:
        written = augment_folder(args.root, args.out, pipeline, args.copies, args.batch_size).materialize().count()
    finally:
        ray.shutdown()
    print(f"wrote {written} images under {args.out}")


if __name__ == "__main__":
    main()
