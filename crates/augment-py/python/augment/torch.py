"""PyTorch adapters: a ``Dataset`` that replaces torchvision's ``ImageFolder``.

A torchvision script changes in two lines::

    # before
    from torchvision import datasets, transforms
    train = datasets.ImageFolder("imagenet/train", transforms.Compose([
        transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
        transforms.ToTensor(), transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)]))
    # after
    import augment, augment.torch
    train = augment.torch.ImageFolder("imagenet/train", augment.Pipeline.builder()
        .random_resized_crop(224, 224).flip_horizontal(p=0.5).seed(42).build())

    loader = torch.utils.data.DataLoader(train, batch_size=256, shuffle=True, num_workers=8)

Item ``i`` is augmented as image ``epoch * 2**40 + i`` of the pipeline, so
it is a function of (seed, epoch, i) only, and it is made as
``augment.Loader`` makes it (an :class:`augment.FileAugmenter`: the plan
drawn from the header, only the region it reads decoded, at the largest
DCT scale that keeps the output's resolution), the same tensor as that
sample's in ``augment.Loader(root, pipeline, shuffle=False)``'s epoch. So ``num_workers`` 0, 1 or 2, fork,
spawn or forkserver give identical tensors, and no worker repeats another's
random draws. Call :meth:`ImageFolder.set_epoch` each epoch (as with
``DistributedSampler``) to draw new augmentations; the epoch lives in
shared memory, so workers that outlive an epoch (``persistent_workers=True``)
see it too. torch is imported when an item is made, never when ``augment``
is.
"""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing.context import get_spawning_popen
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

from . import IMAGENET_MEAN, IMAGENET_STD, FileAugmenter, Pipeline
from ._augment import _check_normalisation, image_folder

#: Images per epoch number: item ``i`` of epoch ``e`` is image ``e * EPOCH_STRIDE + i``
#: (the Rust loader's ``sampler::augment_index`` uses the same stride).
EPOCH_STRIDE = 1 << 40

try:  # A real base class when torch is installed, so DataLoader sees a Dataset.
    from torch.utils.data import Dataset as _Base
except ImportError:  # pragma: no cover - exercised where torch is absent
    _Base = object  # type: ignore[assignment,misc]


class ImageFolder(_Base):  # type: ignore[misc,valid-type]
    """torchvision's ``ImageFolder`` with an ``augment`` pipeline: ``(tensor, label)`` items.

    Args:
        root: ``root/<class>/**/<image>``; classes sorted, label = index,
            files in torchvision's order (hidden files skipped).
        pipeline: the augmentation; it must give every image one size for
            batching (end it with a resize or crop). Also taken as
            ``transform=``, torchvision's name for it.
        normalise: a float32 CHW tensor normalised by ``mean``/``std``
            (``ToTensor`` + ``Normalize``); ``False`` gives the uint8 HWC
            image as a tensor.
        mean, std: per-channel statistics (default ImageNet's).
        orientation: apply EXIF orientation (torchvision does not).
        target_transform: applied to the label, as in torchvision.
        region_decoding, scaled_decoding: decode only the part of each
            image its augmentation reads, at a reduced scale where it
            shrinks enough (both on, as in ``augment.Loader``); off,
            every image is decoded whole at full size.

    >>> import augment, augment.torch  # doctest: +SKIP
    >>> ds = augment.torch.ImageFolder("data/train", augment.Pipeline.fastai(224, 224, seed=1))
    >>> image, label = ds[0]; image.shape
    torch.Size([3, 224, 224])
    """

    def __init__(
        self,
        root: Union[str, "os.PathLike[str]"],
        pipeline: Optional[Pipeline] = None,
        normalise: bool = True,
        mean: Sequence[float] = IMAGENET_MEAN,
        std: Sequence[float] = IMAGENET_STD,
        orientation: bool = True,
        target_transform: Optional[Callable[[int], Any]] = None,
        *,
        transform: Optional[Pipeline] = None,
        region_decoding: bool = True,
        scaled_decoding: bool = True,
    ) -> None:
        if pipeline is not None and transform is not None:
            raise TypeError("ImageFolder: give pipeline or transform (the same thing), not both")
        pipeline = pipeline if pipeline is not None else transform
        if not isinstance(pipeline, Pipeline):
            raise TypeError(
                "ImageFolder: pipeline (or transform) must be an augment.Pipeline, "
                f"got {type(pipeline).__name__}"
            )
        self.root = os.fspath(root)
        self.orientation = orientation
        self.region_decoding = region_decoding
        self.scaled_decoding = scaled_decoding
        self.pipeline = pipeline
        self.normalise = normalise
        self.mean = tuple(float(m) for m in mean)
        self.std = tuple(float(s) for s in std)
        if normalise:
            # Refused here rather than at the first item, in a worker.
            _check_normalisation(self.mean, self.std, 3)
        self.target_transform = target_transform
        paths, labels, classes = image_folder(self.root)
        self.samples: List[Tuple[str, int]] = [(os.fspath(p), int(label)) for p, label in zip(paths, labels)]
        self.targets: List[int] = [label for _, label in self.samples]
        self.classes: List[str] = list(classes)
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        # Shared with the DataLoader's workers, which get it when they
        # start (fork, spawn, forkserver): a persistent worker keeps its copy
        # of the dataset across epochs, and must still see set_epoch.
        self._epoch = multiprocessing.RawValue("q", 0)

    @property
    def pipeline(self) -> Pipeline:
        """The augmentation; assigning another (or to ``transform``) applies it from the next item on."""
        return self.augmenter.pipeline

    @pipeline.setter
    def pipeline(self, pipeline: Pipeline) -> None:
        if not isinstance(pipeline, Pipeline):
            raise TypeError(f"ImageFolder: pipeline must be an augment.Pipeline, got {type(pipeline).__name__}")
        #: What items are made with (see :class:`augment.FileAugmenter`).
        self.augmenter = FileAugmenter(
            pipeline,
            orientation=self.orientation,
            region_decoding=self.region_decoding,
            scaled_decoding=self.scaled_decoding,
        )

    #: torchvision's name for the pipeline.
    transform = pipeline

    @property
    def epoch(self) -> int:
        """The epoch whose augmentations items are drawn from."""
        return int(self._epoch.value)

    @epoch.setter
    def epoch(self, epoch: int) -> None:
        self.set_epoch(epoch)

    def set_epoch(self, epoch: int) -> None:
        """Draws the augmentations of epoch ``epoch`` (in the main process, before iterating).

        Workers see it, persistent ones included: the epoch is in memory the
        main process shares with the workers it starts.
        """
        if not 0 <= epoch < 1 << 24:
            raise ValueError(f"epoch = {epoch} is invalid: expected 0 <= epoch < 2**24")
        self._epoch.value = epoch

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        if get_spawning_popen() is None:
            # Pickled for elsewhere (a file, Ray, another machine): the
            # number, as shared memory only passes to a process being started.
            state["_epoch"] = self.epoch
        return state

    def __setstate__(self, state: dict) -> None:
        if isinstance(state["_epoch"], int):
            state["_epoch"] = multiprocessing.RawValue("q", state["_epoch"])
        self.__dict__.update(state)

    def __len__(self) -> int:
        return len(self.samples)

    def index_of(self, i: int) -> int:
        """The pipeline image number item ``i`` is augmented as this epoch."""
        return self.epoch * EPOCH_STRIDE + i

    def __getitem__(self, i: int) -> Tuple[Any, Any]:
        import torch

        if i < 0:
            i += len(self.samples)
        if not 0 <= i < len(self.samples):
            raise IndexError(f"index {i} out of range for {len(self.samples)} samples")
        path, label = self.samples[i]
        index = self.index_of(i)
        if self.normalise:
            tensor = torch.from_numpy(self.augmenter.tensor(path, index, self.mean, self.std))
        else:
            tensor = torch.from_numpy(self.augmenter.pixels(path, index))
        if self.target_transform is not None:
            return tensor, self.target_transform(label)
        return tensor, label

    def __repr__(self) -> str:
        return f"augment.torch.ImageFolder({self.root!r}, {len(self)} images, {len(self.classes)} classes, {self.pipeline!r})"


def worker_init_fn(threads: int = 1) -> Callable[[int], None]:
    """A DataLoader ``worker_init_fn`` that holds each worker to ``threads`` threads.

    >>> loader = torch.utils.data.DataLoader(ds, num_workers=8, worker_init_fn=augment.torch.worker_init_fn())  # doctest: +SKIP
    """
    return _ThreadsInit(threads)


class _ThreadsInit:
    """A picklable ``worker_init_fn`` (spawn and forkserver pickle it)."""

    def __init__(self, threads: int) -> None:
        self.threads = threads

    def __call__(self, _worker_id: int) -> None:
        from . import set_num_threads

        set_num_threads(self.threads)


__all__ = ["EPOCH_STRIDE", "ImageFolder", "worker_init_fn"]
