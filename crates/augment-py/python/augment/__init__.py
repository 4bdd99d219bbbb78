"""Fast, exact image data augmentation, with a Rust core.

Every geometric transform (resize, crop, flip, rotate, zoom, perspective,
elastic) is a change of coordinates: a :class:`Pipeline` composes them into
one map and samples the source once, with lighting and normalisation fused
into the same pass. Image ``k`` of a pipeline with seed ``s`` depends on
``(s, k)`` only, so results are the same on any number of threads or
DataLoader workers, under fork, spawn or forkserver.

>>> import numpy as np, augment
>>> pipeline = (augment.Pipeline.builder()
...     .flip_horizontal(p=0.5)
...     .rotate(degrees=(-10, 10), p=0.75)
...     .resize(224, 224)
...     .seed(42)
...     .build())
>>> photo = np.zeros((480, 640, 3), np.uint8)
>>> pipeline.apply(photo, index=0).shape
(224, 224, 3)
>>> pipeline.apply_batch([photo] * 4, first_index=0).shape
(4, 3, 224, 224)
>>> out = pipeline(image=photo, bboxes=[[10, 20, 110, 220]], labels=["cat"], index=3)
>>> sorted(out)
['bbox_indices', 'bboxes', 'image', 'labels']

Arrays are ``H x W`` or ``H x W x C`` (``C`` = 1, 3 or 4) ``uint8`` or
``float32`` (full intensity 255 and 1.0); C-contiguous arrays are read
without a copy, others are copied first. The GIL is released while Rust
works. Errors are ``ValueError`` (bad parameters, shapes, pipeline files),
``TypeError`` (wrong dtypes or types) and ``OSError`` (files), with the Rust
library's message.

``Pipeline.apply_batch`` runs on a thread pool of this process (one thread
per core, ``AUGMENT_NUM_THREADS`` or :func:`set_num_threads`); a forked
worker builds its own pool on first use. In DataLoader workers that each
call ``apply_batch``, set the threads per worker (for example
``augment.set_num_threads(1)`` in ``worker_init_fn``) so that N workers do
not start N pools of all cores; ``apply`` and ``__call__`` run on the
calling thread only.
"""

from __future__ import annotations

from typing import Tuple

# Every array the extension hands out is NumPy's: without NumPy, fail here
# with the usual ImportError rather than at the first array.
import numpy  # noqa: F401

from ._augment import (
    FileAugmenter,
    Loader,
    Pipeline,
    PipelineBuilder,
    __version__,
    get_num_threads,
    read_image,
    set_num_threads,
)

#: ImageNet's per-channel mean (RGB), the default of ``apply_batch`` and ``Loader``.
IMAGENET_MEAN: Tuple[float, float, float] = (0.485, 0.456, 0.406)
#: ImageNet's per-channel standard deviation (RGB).
IMAGENET_STD: Tuple[float, float, float] = (0.229, 0.224, 0.225)


def log_uniform(low: float, high: float) -> dict:
    """A parameter drawn log-uniformly in ``[low, high]`` (both positive).

    As likely to halve as to double: how torchvision draws aspect ratios.

    >>> import augment
    >>> p = augment.Pipeline.builder().zoom(scale=augment.log_uniform(0.8, 1.25)).build()
    >>> p.to_dict()["steps"][0]["transform"]["scale"]
    {'log_uniform': [0.8, 1.25]}
    """
    return {"log_uniform": (float(low), float(high))}


def _rebuild_loader(settings: dict) -> Loader:
    """Unpickles a :class:`Loader`: its settings, then its epoch."""
    settings = dict(settings)
    epoch = settings.pop("epoch", 0)
    loader = Loader(**settings)
    loader.set_epoch(epoch)
    return loader


__all__ = [
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "FileAugmenter",
    "Loader",
    "Pipeline",
    "PipelineBuilder",
    "__version__",
    "get_num_threads",
    "log_uniform",
    "read_image",
    "set_num_threads",
]
