"""FileAugmenter: one file at a time, the images augment.Loader makes."""

from __future__ import annotations

import pickle
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import augment
from conftest import write_png

STRIDE = 1 << 40


def pipeline() -> augment.Pipeline:
    return augment.Pipeline.builder().random_resized_crop(24, 24).flip_horizontal(p=0.5).seed(9).build()


def samples(root: Path):
    return [p for p in sorted(root.rglob("*.jpg"))]


@pytest.mark.parametrize("steered", [True, False])
def test_images_are_the_loaders(jpegs, steered):
    settings = dict(region_decoding=steered, scaled_decoding=steered)
    aug = augment.FileAugmenter(pipeline(), **settings)
    files = samples(jpegs)
    for layout in ("nchw_f32", "nhwc_u8"):
        loader = augment.Loader(jpegs, pipeline(), batch_size=4, shuffle=False, threads=2, layout=layout, **settings)
        for epoch in (0, 1):
            loader.set_epoch(epoch)
            got = np.concatenate([x.copy() for x, _ in loader])
            assert len(got) == len(files)
            for k, path in enumerate(files):
                index = epoch * STRIDE + k
                mine = aug.tensor(path, index) if layout == "nchw_f32" else aug.pixels(path, index)
                assert mine.shape == got[k].shape and np.array_equal(mine, got[k]), (layout, epoch, path)


def test_decoding_is_steered(jpegs):
    """Region and scaled decoding are on by default: some images differ from whole decoding (within its bound)."""
    steered, whole = augment.FileAugmenter(pipeline()), augment.FileAugmenter(
        pipeline(), region_decoding=False, scaled_decoding=False
    )
    differ = 0
    for k, path in enumerate(samples(jpegs) * 3):
        a, b = steered.pixels(path, k).astype(int), whole.pixels(path, k).astype(int)
        differ += not np.array_equal(a, b)
        assert np.abs(a - b).mean() < 4, path
    assert differ > 0
    # Whole decoding is the pipeline on the decoded file.
    path = samples(jpegs)[0]
    assert np.array_equal(whole.pixels(path, 5), pipeline().apply(augment.read_image(path), index=5))
    assert np.array_equal(
        whole.tensor(path, 5, mean=0.5, std=0.25),
        pipeline().apply_batch([augment.read_image(path)], 5, mean=0.5, std=0.25)[0],
    )


def test_bytes_and_paths_agree(jpegs):
    aug = augment.FileAugmenter(pipeline())
    path = samples(jpegs)[3]
    data = path.read_bytes()
    want = aug.tensor(path, 2)
    for given in (str(path), data, bytearray(data), memoryview(data), np.frombuffer(data, np.uint8)):
        assert np.array_equal(aug.tensor(given, 2), want), type(given)
    # Bytes are bytes: an int64 array of byte values is not the file.
    with pytest.raises(TypeError, match="8-byte items"):
        aug.tensor(np.frombuffer(data, np.uint8).astype(np.int64), 2)


def test_errors_name_the_file(tmp_path, jpegs):
    aug = augment.FileAugmenter(pipeline())
    with pytest.raises(FileNotFoundError, match="missing.jpg"):
        aug.tensor(tmp_path / "missing.jpg")
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(samples(jpegs)[0].read_bytes()[:200])
    with pytest.raises(ValueError, match="cut.jpg"):
        aug.pixels(cut)
    with pytest.raises(ValueError, match="<bytes>"):
        aug.tensor(b"not an image")
    with pytest.raises(TypeError, match="path"):
        aug.tensor(42)
    with pytest.raises(ValueError, match="index"):
        aug.tensor(samples(jpegs)[0], -1)
    with pytest.raises(ValueError, match="both or neither"):
        aug.tensor(samples(jpegs)[0], 0, mean=0.5)
    with pytest.raises(OSError, match="limit"):
        augment.FileAugmenter(pipeline(), max_file_bytes=100).tensor(samples(jpegs)[0])
    with pytest.raises(ValueError, match="non-negative"):
        augment.FileAugmenter(pipeline(), max_file_bytes=-1)


def test_pickles_and_threads_share_it(jpegs):
    aug = augment.FileAugmenter(pipeline(), orientation=False, scaled_decoding=False)
    copy = pickle.loads(pickle.dumps(aug))
    assert repr(copy) == repr(aug) and "scaled_decoding=False" in repr(aug)
    files = samples(jpegs) * 4
    want = [aug.tensor(p, k) for k, p in enumerate(files)]
    assert all(np.array_equal(copy.tensor(p, k), w) for k, (p, w) in enumerate(zip(files, want)))
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda kp: aug.tensor(kp[1], kp[0]), enumerate(files)))
    assert all(np.array_equal(a, b) for a, b in zip(got, want))


def test_pipelines_without_one_output_size(tmp_path):
    """Unlike Loader, one image at a time needs no fixed output size."""
    path = tmp_path / "a.png"
    write_png(path, np.arange(30 * 40 * 3, dtype=np.uint8).reshape(30, 40, 3))
    flip = augment.Pipeline.builder().flip_horizontal(p=1.0).build()
    out = augment.FileAugmenter(flip).pixels(path)
    assert out.shape == (30, 40, 3) and np.array_equal(out, augment.read_image(path)[:, ::-1])
