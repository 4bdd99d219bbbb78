"""Type stubs of the extension module ``augment._augment`` (re-exported by ``augment``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Iterator, List, Literal, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

#: A parameter drawn per image: a number (fixed), a ``(low, high)`` pair
#: (uniform), or ``{"log_uniform": (low, high)}`` (see ``augment.log_uniform``).
Param = Union[float, Tuple[float, float], Sequence[float], Mapping[str, Tuple[float, float]]]
#: An ``H x W`` or ``H x W x C`` (C = 1, 3, 4) array of ``uint8`` or ``float32``.
ImageArray = Union[npt.NDArray[np.uint8], npt.NDArray[np.float32]]
Statistic = Union[float, Sequence[float]]
PathLike = Union[str, "os.PathLike[str]"]

def set_num_threads(n: int) -> None:
    """Sets the threads ``Pipeline.apply_batch`` uses in this process (at least 1).

    The default is ``AUGMENT_NUM_THREADS`` if set, else one per core. Call it
    in each DataLoader or multiprocessing worker that batches (for example in
    ``worker_init_fn``) so that N workers do not each start a pool of every
    core. A forked child builds its own pool on first use, with the count
    set in the parent unless it sets its own.

    >>> import augment
    >>> augment.set_num_threads(2); augment.get_num_threads()
    2
    """

def get_num_threads() -> int:
    """The threads ``Pipeline.apply_batch`` uses in this process."""

class Pipeline:
    """An augmentation pipeline: steps composed into one map, sampled once.

    Built by :meth:`builder`, read from a pipeline file (:meth:`load`) or a
    dict (:meth:`from_dict`), or a preset (:meth:`fastai`). Immutable and
    hashable-free; equal when steps and settings are equal. Image ``index``
    draws its parameters from ``(seed, index)`` only, so results do not
    depend on threads, batch split, processes or CPU.

    Pickles (as its JSON text), so it passes to DataLoader workers under
    fork, spawn and forkserver, to ``multiprocessing`` and to Ray tasks.

    >>> import numpy as np, augment
    >>> p = augment.Pipeline.builder().rotate(degrees=(-10, 10), p=0.75).resize(64, 64).seed(1).build()
    >>> out = p.apply(np.zeros((100, 120, 3), np.uint8), index=0)
    >>> out.shape, out.dtype
    ((64, 64, 3), dtype('uint8'))
    """

    @staticmethod
    def builder() -> PipelineBuilder:
        """A new builder: no steps, bilinear, ``reflect101`` padding, seed 0."""
    def to_builder(self) -> PipelineBuilder:
        """This pipeline as a builder, every step and setting kept, to extend it."""
    @classmethod
    def fastai(cls, width: int, height: int, *, seed: int = 0) -> Pipeline:
        """fastai v1's ``get_transforms()`` for training, then cover-resize and a random crop.

        Flip left-right (p=0.5), symmetric warp ±0.2, rotate ±10°, zoom
        1-1.1 at a random place (each p=0.75), brightness and contrast ±20 %
        (each p=0.75), resize to cover ``width x height``, crop at random.

        >>> import augment
        >>> len(augment.Pipeline.fastai(224, 224, seed=1))
        7
        """
    @classmethod
    def fastai_validation(cls, width: int, height: int) -> Pipeline:
        """Resize to cover ``width x height`` and crop the centre; nothing random."""
    @classmethod
    def load(cls, path: PathLike) -> Pipeline:
        """Reads a pipeline file, ``*.toml`` or ``*.json``.

        Raises ``OSError`` (``FileNotFoundError``) if it cannot be read,
        ``ValueError`` naming the key (``steps[1].p``) if a value is wrong.
        """
    def save(self, path: PathLike) -> None:
        """Writes the pipeline as a file, ``*.toml`` or ``*.json`` by its name."""
    @classmethod
    def from_json(cls, text: str) -> Pipeline:
        """A pipeline from the JSON form of a pipeline file."""
    @classmethod
    def from_toml(cls, text: str) -> Pipeline:
        """A pipeline from the TOML form of a pipeline file."""
    def to_json(self) -> str:
        """The pipeline in the JSON form of a pipeline file."""
    def to_toml(self) -> str:
        """The pipeline in the TOML form of a pipeline file."""
    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Pipeline:
        """A pipeline from a dict in the pipeline-file form (what :meth:`to_dict` gives).

        >>> import augment
        >>> p = augment.Pipeline.from_dict({"seed": 7, "steps": [
        ...     {"transform": {"type": "rotate", "degrees": [-10, 10]}, "p": 0.75},
        ...     {"transform": {"type": "resize", "width": 224, "height": 224}}]})
        >>> p.seed, len(p)
        (7, 2)
        """
    def to_dict(self) -> Dict[str, Any]:
        """The pipeline as a dict in the pipeline-file form (JSON types only)."""
    @property
    def seed(self) -> int:
        """The seed every image's parameters derive from."""
    def with_seed(self, seed: int) -> Pipeline:
        """The same pipeline with another seed."""
    def __len__(self) -> int:
        """The number of steps."""
    def __eq__(self, other: object) -> bool: ...
    def __reduce__(self) -> Tuple[Any, Tuple[str]]: ...
    def apply(self, image: ImageArray, index: int = 0) -> ImageArray:
        """Augments ``image`` as image number ``index``; a new array of the same dtype.

        ``image`` is ``H x W`` or ``H x W x C`` (C = 1, 3, 4), ``uint8`` or
        ``float32``; a 2-D input gives a 2-D output. Read without a copy
        when C-contiguous. Raises ``TypeError`` for other dtypes,
        ``ValueError`` for other shapes or sizes the pipeline refuses.
        """
    def __call__(
        self,
        *,
        image: ImageArray,
        mask: Optional[npt.NDArray[Any]] = None,
        masks: Optional[Sequence[npt.NDArray[Any]]] = None,
        bboxes: Optional[npt.ArrayLike] = None,
        keypoints: Optional[npt.ArrayLike] = None,
        labels: Optional[Sequence[Any]] = None,
        bbox_format: Literal["pascal_voc", "albumentations", "coco", "yolo"] = "pascal_voc",
        index: int = 0,
    ) -> Dict[str, Any]:
        """albumentations' calling convention: targets follow the image through one draw.

        Returns a dict with ``image``; ``mask`` (sampled nearest, the
        pipeline's ``mask_fill`` outside) if given, and ``masks`` (a list, the
        same way) if given: ``H x W`` or ``H x W x C`` of any bool, integer or
        float dtype, returned in that dtype, every element moved whole (class
        maps of int64, 16-bit instance ids, soft float masks); for ``bboxes`` (N x 4 in
        ``bbox_format``, or rows with values after the four coordinates,
        such as class labels, which come back with their boxes as tuples):
        ``bboxes`` still visible (clipped, same format),
        ``bbox_indices`` (which input boxes they are) and ``labels`` (theirs,
        if ``labels`` was given); for ``keypoints`` (N x 2, pixel centres at
        integers, or N x K with values after ``x, y`` such as COCO's
        visibility, carried unchanged): ``keypoints`` (every point in input
        order, NaN where a perspective step lost it, its values after it)
        and ``keypoints_inside`` (bool, N).

        >>> import numpy as np, augment
        >>> p = augment.Pipeline.builder().flip_horizontal().build()
        >>> out = p(image=np.zeros((10, 20, 3), np.uint8), bboxes=[[0, 0, 5, 5]], labels=["cat"])
        >>> out["bboxes"].tolist(), out["labels"]
        ([[15.0, 0.0, 20.0, 5.0]], ['cat'])
        """
    def apply_batch(
        self,
        images: Union[Sequence[ImageArray], npt.NDArray[Any]],
        first_index: int = 0,
        mean: Optional[Statistic] = None,
        std: Optional[Statistic] = None,
        out: Optional[npt.NDArray[np.float32]] = None,
    ) -> npt.NDArray[np.float32]:
        """Augments ``images`` as images ``first_index, first_index + 1, ...`` into an NCHW float32 array.

        Values are ``(v / full - mean[c]) / std[c]`` (``full`` = 255 for
        uint8, 1 for float32); ``mean`` and ``std`` default to ImageNet's and
        are one number or one per channel, in 0..1 units for uint8 images (a
        mean above 1, such as mmcv's 123.675, is a ValueError: divide 0..255
        statistics by 255). The images may differ in size
        but must share dtype and channels, and the pipeline must give them
        one output size (end it with a resize or crop). Runs on this
        process's thread pool with the GIL released. ``out``, if given, must
        be a C-contiguous float32 array of exactly the batch's shape; it is
        filled and returned. Without ``out``, the array returned is new or
        one this pipeline returned before that nothing references any more
        (refilling it spares a large batch its fresh pages). An empty
        ``0 x H x W x C`` array gives the ``(0, C, h, w)`` its images would;
        an empty list, which says nothing of them, ``(0, 0, 0, 0)``. A
        3-D array is N gray images, except one 3 or 4 wide: that is taken
        for a single H x W x C image passed alone, a ValueError (pass
        ``[image]``).

        >>> import numpy as np, augment
        >>> p = augment.Pipeline.fastai(32, 32, seed=0)
        >>> p.apply_batch([np.zeros((40, 50, 3), np.uint8)] * 4, first_index=8).shape
        (4, 3, 32, 32)
        """

class PipelineBuilder:
    """Builds a :class:`Pipeline`: the Rust builder's methods by name, keyword arguments.

    Steps apply in the order given; ``p`` is the chance a step fires for an
    image (default 1). Parameters are numbers (fixed), ``(low, high)``
    pairs (uniform) or ``augment.log_uniform(low, high)``. Each method
    returns a new builder; nothing is checked until :meth:`build`.

    >>> import augment
    >>> p = (augment.Pipeline.builder()
    ...      .flip_horizontal(p=0.5)
    ...      .rotate(degrees=(-10, 10), p=0.75)
    ...      .resize(224, 224)
    ...      .seed(42)
    ...      .build())
    >>> len(p)
    3
    """

    def __init__(self) -> None: ...
    def step(self, transform: Mapping[str, Any], p: float = 1.0) -> PipelineBuilder:
        """Appends a step written as in pipeline files: ``{"type": "rotate", "degrees": [-10, 10]}``."""
    def resize(self, width: int, height: int, method: Literal["squish", "crop", "pad"] = "squish") -> PipelineBuilder:
        """Scale to ``width x height``: stretch (``squish``), cover and crop the centre, or fit and pad."""
    def centre_crop(self, width: int, height: Optional[int] = None) -> PipelineBuilder:
        """Keep the centred ``width x height`` window (square without ``height``, as ``CenterCrop(224)``)."""
    def center_crop(self, width: int, height: Optional[int] = None) -> PipelineBuilder:
        """Same as :meth:`centre_crop`."""
    def random_crop(self, width: int, height: Optional[int] = None) -> PipelineBuilder:
        """Keep a ``width x height`` window at a random position (square without ``height``)."""
    def crop_pad(self, width: int, height: Optional[int] = None, x: Param = 0.5, y: Param = 0.5) -> PipelineBuilder:
        """Keep a ``width x height`` window at fraction ``x``, ``y`` of the room (fastai's ``crop_pad``; square without ``height``)."""
    def random_resized_crop(
        self,
        width: int,
        height: Optional[int] = None,
        scale: Param = (0.08, 1.0),
        ratio: Param = {"log_uniform": (0.75, 4 / 3)},
    ) -> PipelineBuilder:
        """torchvision's ``RandomResizedCrop``: area fraction ``scale``, aspect ``ratio``; square without ``height``."""
    def zoom_crop(self, width: int, height: int, scale: Param) -> PipelineBuilder:
        """Zoom by ``scale`` on a random window, resized to ``width x height``."""
    def flip_horizontal(self, p: float = 1.0) -> PipelineBuilder:
        """Mirror left-right."""
    def flip_vertical(self, p: float = 1.0) -> PipelineBuilder:
        """Mirror top-bottom."""
    def dihedral(self, p: float = 1.0) -> PipelineBuilder:
        """One of the 8 symmetries of the square."""
    def rotate(self, degrees: Param, p: float = 1.0) -> PipelineBuilder:
        """Rotate the content counter-clockwise by ``degrees`` about the centre."""
    def zoom(self, scale: Param, x: Param = 0.5, y: Param = 0.5, p: float = 1.0) -> PipelineBuilder:
        """Zoom by ``scale`` on a window at fraction ``x``, ``y`` of the room."""
    def random_zoom(self, scale: Param, p: float = 1.0) -> PipelineBuilder:
        """Zoom by ``scale`` on a window at a random place (fastai's ``rand_zoom``)."""
    def translate(self, x: Param = 0.0, y: Param = 0.0, p: float = 1.0) -> PipelineBuilder:
        """Shift by fractions ``x`` of the width and ``y`` of the height."""
    def scale(self, x: Param, y: Param, p: float = 1.0) -> PipelineBuilder:
        """Scale each axis about the centre."""
    def shear(self, x_degrees: Param = 0.0, y_degrees: Param = 0.0, p: float = 1.0) -> PipelineBuilder:
        """Shear by angles in degrees about the centre."""
    def perspective(self, distortion: Param, p: float = 1.0) -> PipelineBuilder:
        """Move each corner by a random offset (fraction of the half side)."""
    def symmetric_warp(self, magnitude: Param, p: float = 1.0) -> PipelineBuilder:
        """fastai's ``symmetric_warp``."""
    def skew(self, magnitude: Param, p: float = 1.0) -> PipelineBuilder:
        """fastai's ``skew``."""
    def tilt(self, magnitude: Param, p: float = 1.0) -> PipelineBuilder:
        """fastai's ``tilt``."""
    def jitter(self, magnitude: Param, p: float = 1.0) -> PipelineBuilder:
        """Each output pixel reads a random neighbour within ``magnitude`` pixels."""
    def elastic(self, magnitude: Param, smoothness: float, p: float = 1.0) -> PipelineBuilder:
        """Elastic distortion: offsets up to ``magnitude`` pixels, ``smoothness`` pixels apart."""
    def brightness(self, delta: Param, p: float = 1.0) -> PipelineBuilder:
        """Shift brightness by ``delta`` (fraction of full intensity).

        uint8 results saturate at 0 and 255; float32 results are not
        clamped, so they may leave 0..1 (clip them if your model needs it).
        """
    def contrast(self, factor: Param, p: float = 1.0) -> PipelineBuilder:
        """Multiply contrast by ``1 + factor`` (uint8 saturates; float32 is not clamped)."""
    def mid_grey_contrast(self, scale: Param, p: float = 1.0) -> PipelineBuilder:
        """Scale contrast about mid-grey by ``scale``."""
    def cutout(self, holes: Param, width: Param, height: Param, p: float = 1.0) -> PipelineBuilder:
        """Black out ``holes`` rectangles of ``width x height`` output pixels."""
    def gaussian_blur(self, sigma: Param, p: float = 1.0) -> PipelineBuilder:
        """Gaussian blur with standard deviation ``sigma`` pixels."""
    def motion_blur(self, length: Param, degrees: Param, p: float = 1.0) -> PipelineBuilder:
        """Motion blur over ``length`` pixels at ``degrees``."""
    def shear_blur(self, length: Param, degrees: Param, p: float = 1.0) -> PipelineBuilder:
        """Cheap motion blur: shear by ``degrees``, box blur along rows over ``length`` pixels."""
    def interpolation(self, name: Literal["bilinear", "nearest"]) -> PipelineBuilder:
        """Interpolation of images (default bilinear; masks are always nearest)."""
    def padding(self, mode: Union[Literal["reflect101", "reflect", "border", "wrap", "zeros"], float]) -> PipelineBuilder:
        """What areas outside the source show (default ``reflect101``); a number is a constant."""
    def seed(self, seed: int) -> PipelineBuilder:
        """The seed every image's parameters derive from (default 0)."""
    def max_output_pixels(self, limit: int) -> PipelineBuilder:
        """Refuse outputs of more pixels than this (default 2**28)."""
    def antialias(self, on: bool = True) -> PipelineBuilder:
        """Sample a box-downscaled copy where the map shrinks the source over 2x (default on)."""
    def mask_fill(self, value: float) -> PipelineBuilder:
        """The value masks get outside the source (default 0)."""
    def min_box_visibility(self, fraction: float) -> PipelineBuilder:
        """Drop boxes keeping less than this fraction of their area (default 0)."""
    def build(self) -> Pipeline:
        """Checks every step and setting (``ValueError`` with the Rust message) and returns the pipeline."""

class FileAugmenter:
    """Encoded images to augmented arrays, one at a time, each made as :class:`Loader` makes it.

    The plan for image ``index`` is drawn from the file's header before any
    pixel is decoded; the decoder is asked for only the region the plan
    reads, at the smallest DCT scale (1/8 to 7/8) that keeps the
    output's resolution; the window it delivers is sampled once. The
    result is :class:`Loader`'s image for the same file, pipeline and image
    number, bit for bit (``Loader`` images sample ``k`` of epoch ``e`` of an
    unshuffled dataset as image ``e * 2**40 + k``). For a ``Dataset`` of
    your own (a list of paths, bytes from a database); what
    ``augment.torch.ImageFolder`` reads with.

    ``file`` is a path (``str`` or ``os.PathLike``) or the file's bytes
    (``bytes``, or any buffer of bytes, copied once). Errors: ``OSError``
    if the file cannot be read (or is over ``max_file_bytes``),
    ``ValueError`` if it does not decode or the pipeline refuses it, both
    naming the file. The GIL is released while it works, and threads may
    share one ``FileAugmenter``. It pickles.

    >>> import augment
    >>> aug = augment.FileAugmenter(augment.Pipeline.builder().random_resized_crop(224, 224).seed(1).build())
    >>> x = aug.tensor("photo.jpg", index=7)  # doctest: +SKIP
    >>> x.shape, x.dtype  # doctest: +SKIP
    ((3, 224, 224), dtype('float32'))
    """

    def __init__(
        self,
        pipeline: Pipeline,
        *,
        orientation: bool = True,
        region_decoding: bool = True,
        scaled_decoding: bool = True,
        max_file_bytes: int = 268435456,
    ) -> None: ...
    @property
    def pipeline(self) -> Pipeline:
        """The pipeline images go through."""
    def tensor(
        self,
        file: Union[PathLike, bytes, bytearray, memoryview],
        index: int = 0,
        mean: Optional[Statistic] = None,
        std: Optional[Statistic] = None,
    ) -> npt.NDArray[np.float32]:
        """Image ``index`` from ``file`` as a ``3 x H x W`` float32 array, normalised as ``apply_batch`` normalises."""
    def pixels(self, file: Union[PathLike, bytes, bytearray, memoryview], index: int = 0) -> npt.NDArray[np.uint8]:
        """Image ``index`` from ``file`` as an ``H x W x 3`` uint8 array (RGB)."""
    def __reduce__(self) -> Tuple[Any, ...]: ...

class Loader:
    """Loads, augments and batches a dataset on worker threads: an iterable of ``(images, labels)``.

    ``source`` is an ImageFolder tree (``root/<class>/*.jpg``), a list file
    (CSV ``path,label`` or with a header naming those columns among others,
    TSV, ``path label`` text lines, JSON lines or a JSON array), the samples
    themselves as a sequence of ``(path, label)`` pairs (labels integers or
    class names: ``list(zip(df.path, df.label))``), a sequence of ``.tar``
    shard paths, or WebDataset tar shards
    (``"shards/train-{0000..0099}.tar"``). Epoch ``e`` is shuffled as
    ``torch.randperm(n, generator=torch.Generator().manual_seed(seed + e))``
    and split as ``DistributedSampler(num_replicas=world_size, rank=rank)``;
    the sample at global position ``k`` is augmented as image
    ``e * 2**40 + k`` of ``pipeline`` with ``seed`` (default: the pipeline's),
    so batches are the same on any number of threads (``threads``: worker
    threads, default all cores; 0 builds each batch on the thread that
    asks for it, as ``num_workers=0``).

    ``layout="nchw_f32"`` gives float32 NCHW normalised by ``mean``/``std``
    (default ImageNet's, in 0..1 units: pixels are scaled to 0..1 first),
    ``"nhwc_u8"`` uint8 NHWC pixels; labels are int64.
    ``output="torch"`` wraps both with ``torch.from_numpy`` (no copy).
    A batch's images array is the loader's own buffer, which the workers
    augmented into, lent without a copy (its ``base`` owns it); once
    nothing references the array (or a view or tensor of it) the buffer
    goes back to the loader for a later batch, so keeping a batch keeps
    its values. Samples that fail are replaced by the next that loads and listed by
    :meth:`report` (``policy="skip"``), or raise (``policy="fail"``).
    Pickles as its settings and epoch.

    Each image's augmentation is drawn from its header before decoding, so
    JPEGs are decoded only where it reads (``region_decoding``: outputs
    as decoding whole images, u8 values by at most 1 on very few pixels)
    and, where it shrinks an image, at the smallest scale of 1/8 to 7/8
    that keeps the output's resolution (``scaled_decoding``: the decoder's
    reduced inverse DCT stands in for the antialiasing of a full decode, a
    mean difference of about 1 level of 255 on photos at ImageNet sizes;
    images only a few dozen pixels across, or squeezed to a very different
    aspect ratio, can differ by several levels). Turn both off for the pixels of decoding every image whole.
    From the second epoch on, a JPEG decoded again jumps to its region's
    rows instead of reading the codes before them: the loader keeps where
    each MCU row starts (same pixels; about 300 bytes per ImageNet photo,
    up to ``seek_index_bytes`` in all, 256 MiB by default; 0 keeps none).

    >>> import augment  # doctest: +SKIP
    >>> loader = augment.Loader("imagenet/train", augment.Pipeline.fastai(224, 224), batch_size=256, seed=42)
    >>> for epoch in range(90):
    ...     loader.set_epoch(epoch)
    ...     for images, labels in loader:
    ...         ...
    """

    def __init__(
        self,
        source: Union[PathLike, Sequence[Tuple[PathLike, Union[int, str]]], Sequence[PathLike]],
        pipeline: Pipeline,
        batch_size: int = 64,
        shuffle: bool = True,
        seed: Optional[int] = None,
        rank: int = 0,
        world_size: int = 1,
        threads: Optional[int] = None,
        prefetch: int = 2,
        drop_last: bool = False,
        output: Literal["numpy", "torch"] = "numpy",
        layout: Literal["nchw_f32", "nhwc_u8"] = "nchw_f32",
        mean: Optional[Statistic] = None,
        std: Optional[Statistic] = None,
        orientation: bool = True,
        policy: Literal["skip", "fail"] = "skip",
        region_decoding: bool = True,
        scaled_decoding: bool = True,
        seek_index_bytes: int = 268435456,
    ) -> None: ...
    def __len__(self) -> int:
        """Batches per epoch (this rank's)."""
    def __iter__(self) -> LoaderIter:
        """Runs the current epoch; starting another iteration abandons an unfinished one.

        A Loader runs one epoch at a time: ``next()`` on an abandoned
        iterator raises ``RuntimeError`` (build a second Loader to read two
        streams at once).
        """
    @property
    def images_per_epoch(self) -> int:
        """Images this rank loads per epoch."""
    @property
    def classes(self) -> List[str]:
        """Class names of a folder dataset or of a list file labelled by name; the label is the index."""
    @property
    def threads(self) -> int:
        """Worker threads (0: batches are built on the iterating thread)."""
    @property
    def epoch(self) -> int:
        """The epoch the next iteration runs."""
    def set_epoch(self, epoch: int) -> None:
        """Sets the epoch of the next iteration (as ``DistributedSampler.set_epoch``)."""
    def report(self) -> Dict[str, Any]:
        """Skipped samples: ``{"skipped": [{"index", "path", "member", "epoch", "position", "error"}], "replaced": n}``.

        Live: during an epoch it holds the failures met so far (workers
        run ahead of the batches delivered, so it may name samples of
        batches not yet delivered).
        """
    def stats(self) -> Dict[str, Any]:
        """What the loader did over its lifetime: ``{"images", "failures",
        "read_seconds", "decode_seconds", "augment_seconds", "batch_seconds",
        "decoded_pixels", "scaled_decodes", "seek_index_bytes"}``.

        Seconds are thread time summed over the workers. ``decoded_pixels``
        against the images' own pixels shows what region and scaled decoding
        saved; ``scaled_decodes`` counts JPEGs decoded at 1/8 to 7/8;
        ``seek_index_bytes`` is the memory holding JPEG row starts now.
        Live: read during an epoch, figures as of that moment (the workers
        run ahead of the batches delivered).
        """
    def __reduce__(self) -> Tuple[Any, ...]: ...

class LoaderIter(Iterator[Tuple[Any, Any]]):
    """The batches of one epoch, in order."""

    def __iter__(self) -> LoaderIter: ...
    def __next__(self) -> Tuple[Any, Any]: ...

class LentImages:
    """The ``base`` of a :class:`Loader` batch's images array: it owns the
    loader's buffer the images were augmented into, lent to NumPy without
    a copy, and returns it to the loader when the last array, view or
    tensor over it is gone. Not made from Python."""

    @property
    def __array_interface__(self) -> Dict[str, Any]: ...

def read_image(path: PathLike, orientation: bool = True) -> npt.NDArray[np.uint8]:
    """Decodes a JPEG, PNG, WebP, BMP, TIFF or Netpbm file to an ``H x W x 3`` uint8 array (RGB).

    The loader's decoders: gray is replicated, alpha dropped, 16 bits
    rounded to 8, EXIF orientation applied unless ``orientation=False``
    (torchvision's ``ImageFolder`` does not apply it). Raises ``OSError``
    if the file cannot be read, ``ValueError`` if it does not decode.
    """

def image_folder(root: PathLike) -> Tuple[List[Path], List[int], List[str]]:
    """``(paths, labels, classes)`` of an ImageFolder tree, in torchvision's order."""

def _check_normalisation(mean: Statistic, std: Statistic, channels: int) -> None:
    """Raises what ``apply_batch`` would for ``mean``/``std`` on uint8 images of ``channels`` channels."""
