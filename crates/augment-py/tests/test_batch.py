"""apply_batch: NCHW float32, normalised, into a new array or `out`."""

from __future__ import annotations

import numpy as np
import pytest

import augment


@pytest.fixture
def pipeline() -> augment.Pipeline:
    return augment.Pipeline.fastai(32, 32, seed=5)


def normalised(image: np.ndarray, mean, std) -> np.ndarray:
    """What the tensor holds for one image: (v / full - mean) / std, CHW."""
    full = 255.0 if image.dtype == np.uint8 else 1.0
    chw = image.astype(np.float64).transpose(2, 0, 1) / full
    return (chw - np.asarray(mean)[:, None, None]) / np.asarray(std)[:, None, None]


def test_batch_is_apply_then_normalise(pipeline, photo):
    images = [photo, photo[:60, :100].copy(), photo[::-1].copy(), photo]
    t = pipeline.apply_batch(images, first_index=10)
    assert t.shape == (4, 3, 32, 32) and t.dtype == np.float32 and t.flags.c_contiguous
    for k, image in enumerate(images):
        expected = normalised(pipeline.apply(image, index=10 + k), augment.IMAGENET_MEAN, augment.IMAGENET_STD)
        # apply rounds to uint8, the batch does not: half a step apart at most.
        assert np.abs(t[k] - expected).max() <= 0.5 / 255 / 0.224 + 1e-5


def test_batch_depends_on_index_only(pipeline, photo):
    whole = pipeline.apply_batch([photo] * 6, first_index=0)
    split = np.concatenate(
        [pipeline.apply_batch([photo] * 2, first_index=0), pipeline.apply_batch([photo] * 4, first_index=2)]
    )
    assert np.array_equal(whole, split)
    n = augment.get_num_threads()
    try:
        augment.set_num_threads(1)
        one = pipeline.apply_batch([photo] * 6, first_index=0)
    finally:
        augment.set_num_threads(n)
    assert np.array_equal(whole, one)


def test_batch_from_a_4d_array_and_float32(pipeline, photo):
    stack = np.stack([photo] * 3)
    assert np.array_equal(pipeline.apply_batch(stack, first_index=1), pipeline.apply_batch(list(stack), first_index=1))
    f = (photo / 255).astype(np.float32)
    t = pipeline.apply_batch([f, f], first_index=0, mean=0.5, std=0.25)
    expected = normalised(pipeline.apply(f, index=1), [0.5] * 3, [0.25] * 3)
    assert np.abs(t[1] - expected).max() <= 1e-5 * 4


def test_batch_gray_and_custom_statistics(pipeline, photo):
    gray = np.ascontiguousarray(photo[..., 1])
    t = pipeline.apply_batch([gray, gray], mean=[0.5], std=[0.5])
    assert t.shape == (2, 1, 32, 32)
    assert -1.0 - 1e-6 <= t.min() and t.max() <= 1.0 + 1e-6


class _ArrayLike:
    """Stands in for a torch tensor or another library's array: values with
    a dtype, a shape and tolist(), but not a NumPy array."""

    def __init__(self, values, dtype="lib.uint8"):
        self.values, self.dtype, self.shape = values, dtype, np.shape(values)

    def tolist(self):
        return list(self.values)


def test_statistics_and_images_from_other_array_libraries(pipeline, photo):
    # Statistics read through tolist() (a torch tensor of means), the same
    # as the list.
    given = pipeline.apply_batch([photo], mean=_ArrayLike([0.5, 0.4, 0.3]), std=np.array([0.2, 0.25, 0.3]))
    assert np.array_equal(given, pipeline.apply_batch([photo], mean=[0.5, 0.4, 0.3], std=[0.2, 0.25, 0.3]))
    # An image that is not a NumPy array is refused saying what it is and
    # how to pass it (no silent reading of a C x H x W tensor as H x W x C).
    with pytest.raises(TypeError, match=r"_ArrayLike of dtype lib.uint8: pass a NumPy array, H x W x C"):
        pipeline.apply(_ArrayLike(photo))
    with pytest.raises(TypeError, match="got an array of dtype int16$"):
        pipeline.apply(photo.astype(np.int16))


def test_batch_into_out(pipeline, photo):
    out = np.full((3, 3, 32, 32), np.nan, np.float32)
    same = pipeline.apply_batch([photo] * 3, first_index=4, out=out)
    assert same is out
    assert np.array_equal(out, pipeline.apply_batch([photo] * 3, first_index=4))


def test_returned_batches_python_holds_are_never_refilled(pipeline, photo):
    # Without out=, apply_batch refills an array it returned before only
    # once nothing in Python references it: kept results, views and
    # read-only arrays keep their values; what Python does to a result it
    # let go of changes no later result.
    images = [photo, photo[::-1].copy()]
    expected = [pipeline.apply_batch(images, first_index=k, out=np.empty((2, 3, 32, 32), np.float32)) for k in range(8)]
    kept, views = {}, {}
    for round in range(3):
        for k in range(8):
            t = pipeline.apply_batch(images, first_index=k)
            assert np.array_equal(t, expected[k])
            if round == 0 and k % 3 == 0:
                kept[k] = t
            elif round == 1 and k == 5:
                views[k] = t[1:]
            elif round == 1 and k == 6:
                t.flags.writeable = False
            else:
                t[...] = np.nan
            del t
    for k, t in kept.items():
        assert np.array_equal(t, expected[k])
    for k, v in views.items():
        assert np.array_equal(v, expected[k][1:])
    # Another shape after these: a batch of three.
    assert np.array_equal(pipeline.apply_batch(images + images[:1], first_index=0)[:2], expected[0])


def test_batch_out_is_checked(pipeline, photo):
    with pytest.raises(ValueError, match=r"shape \[2, 3, 32, 32\]"):
        pipeline.apply_batch([photo] * 2, out=np.empty((2, 3, 32, 31), np.float32))
    with pytest.raises(TypeError, match="float32"):
        pipeline.apply_batch([photo] * 2, out=np.empty((2, 3, 32, 32), np.float64))
    with pytest.raises(ValueError, match="C-contiguous"):
        pipeline.apply_batch([photo] * 2, out=np.empty((2, 3, 32, 64), np.float32)[..., ::2])
    readonly = np.empty((2, 3, 32, 32), np.float32)
    readonly.setflags(write=False)
    with pytest.raises(ValueError, match="out"):
        pipeline.apply_batch([photo] * 2, out=readonly)


def test_batch_errors(pipeline, photo):
    with pytest.raises(TypeError, match="mixes"):
        pipeline.apply_batch([photo, photo.astype(np.float32)])
    with pytest.raises(TypeError, match=r"images\[1\]"):
        pipeline.apply_batch([photo, photo.astype(np.int32)])
    with pytest.raises(TypeError, match="sequence"):
        pipeline.apply_batch(3)
    # One H x W x C image alone is not H gray images.
    with pytest.raises(ValueError, match="looks like one H x W x C image"):
        pipeline.apply_batch(photo)
    with pytest.raises(ValueError, match="batch image 1"):
        pipeline.apply_batch([photo, np.ascontiguousarray(photo[..., :1])])
    with pytest.raises(ValueError, match="channel values"):
        pipeline.apply_batch([np.ascontiguousarray(photo[..., :1])])
    with pytest.raises(ValueError, match="std"):
        pipeline.apply_batch([photo], mean=[0, 0, 0], std=[1, 0, 1])
    with pytest.raises(ValueError, match="both or neither"):
        pipeline.apply_batch([photo], mean=0.5)
    # mmcv's statistics are in 0..255 units; uint8 images are scaled to 0..1 first.
    with pytest.raises(ValueError, match="divide statistics given in 0..=255 units by 255"):
        pipeline.apply_batch([photo], mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
    as_float = pipeline.apply_batch([photo.astype(np.float32)], mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
    assert as_float.shape[0] == 1
    unsized = augment.Pipeline.builder().rotate(degrees=5).build()
    with pytest.raises(ValueError, match="batch image 1"):
        unsized.apply_batch([photo, photo[:50].copy()])


def test_empty_batch(pipeline):
    # An empty list says nothing of its images' channels or size.
    assert pipeline.apply_batch([]).shape == (0, 0, 0, 0)
    # An empty N x H x W x C array does: its batch has their output shape,
    # as the last, empty slice of a batch loop's array would.
    photos = np.zeros((5, 90, 120, 3), np.uint8)
    shape = pipeline.apply_batch(photos[:1]).shape[1:]
    for empty in (photos[:0], photos[:0].astype(np.float32)):
        got = pipeline.apply_batch(empty, first_index=3)
        assert got.shape == (0, *shape) and got.dtype == np.float32
        assert pipeline.apply_batch(empty, out=np.empty((0, *shape), np.float32)).shape == (0, *shape)
    assert pipeline.apply_batch(np.zeros((0, 90, 120), np.uint8), mean=0.5, std=0.25).shape == (0, 1, *shape[1:])
    with pytest.raises(ValueError):
        pipeline.apply_batch(photos[:0], out=np.empty((0, 0, 0, 0), np.float32))
