"""Type stubs of ``augment.torch``."""

from __future__ import annotations

import os
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from . import FileAugmenter, Pipeline

EPOCH_STRIDE: int

class ImageFolder:
    """torchvision's ``ImageFolder`` with an ``augment`` pipeline: ``(tensor, label)`` items."""

    root: str
    pipeline: Pipeline
    transform: Pipeline
    augmenter: FileAugmenter
    normalise: bool
    mean: Tuple[float, ...]
    std: Tuple[float, ...]
    orientation: bool
    region_decoding: bool
    scaled_decoding: bool
    samples: List[Tuple[str, int]]
    targets: List[int]
    classes: List[str]
    class_to_idx: Dict[str, int]
    epoch: int
    def __init__(
        self,
        root: Union[str, "os.PathLike[str]"],
        pipeline: Optional[Pipeline] = None,
        normalise: bool = True,
        mean: Sequence[float] = ...,
        std: Sequence[float] = ...,
        orientation: bool = True,
        target_transform: Optional[Callable[[int], Any]] = None,
        *,
        transform: Optional[Pipeline] = None,
        region_decoding: bool = True,
        scaled_decoding: bool = True,
    ) -> None: ...
    def set_epoch(self, epoch: int) -> None:
        """Draws the augmentations of epoch ``epoch``, in DataLoader workers too (persistent ones included)."""
    def __len__(self) -> int: ...
    def index_of(self, i: int) -> int:
        """The pipeline image number item ``i`` is augmented as this epoch."""
    def __getitem__(self, i: int) -> Tuple[Any, Any]: ...

def worker_init_fn(threads: int = 1) -> Callable[[int], None]:
    """A DataLoader ``worker_init_fn`` that holds each worker to ``threads`` threads."""
