"""Pipelines pickle, and give the same images in other processes."""

from __future__ import annotations

import multiprocessing as mp
import pickle
import sys

import numpy as np
import pytest

import augment

#: A worker that hangs fails the test instead of the run.
TIMEOUT = 120


def make() -> augment.Pipeline:
    return augment.Pipeline.fastai(24, 24, seed=9)


def image() -> np.ndarray:
    y, x = np.mgrid[0:40, 0:50]
    return np.stack([x * 5 % 256, y * 6 % 256, (x + y) % 256], axis=-1).astype(np.uint8)


def work(args):
    pipeline, k = args
    return pipeline.apply(image(), index=k), pipeline.apply_batch([image()] * 2, first_index=k)


def test_pickle_round_trip():
    p = make()
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        q = pickle.loads(pickle.dumps(p, protocol=protocol))
        assert q == p and q.to_dict() == p.to_dict()
        assert np.array_equal(q.apply(image(), index=3), p.apply(image(), index=3))


def methods():
    available = mp.get_all_start_methods()
    return [m for m in ("fork", "spawn", "forkserver") if m in available]


@pytest.mark.parametrize("method", methods())
def test_processes_give_the_same_images(method):
    p = make()
    # Use the pool in the parent first: a forked child must not reuse it.
    expected = [work((p, k)) for k in range(4)]
    ctx = mp.get_context(method)
    with ctx.Pool(2) as pool:
        got = pool.map_async(work, [(p, k) for k in range(4)]).get(timeout=TIMEOUT)
    for (a, b), (c, d) in zip(expected, got):
        assert np.array_equal(a, c) and np.array_equal(b, d)


@pytest.mark.skipif(sys.platform == "win32", reason="fork is POSIX")
def test_forked_child_sets_its_own_threads():
    ctx = mp.get_context("fork")
    augment.set_num_threads(2)
    make().apply_batch([image()] * 4)
    with ctx.Pool(1, initializer=augment.set_num_threads, initargs=(1,)) as pool:
        assert pool.apply_async(augment.get_num_threads).get(timeout=TIMEOUT) == 1
        a, b = pool.apply_async(work, ((make(), 5),)).get(timeout=TIMEOUT)
    assert np.array_equal(b, work((make(), 5))[1])


def _epoch_worker(dataset, requests, answers):
    """A process that outlives epochs, as a persistent DataLoader worker does."""
    for _ in iter(requests.get, None):
        answers.put((dataset.epoch, dataset.index_of(3)))


@pytest.mark.parametrize("method", methods())
def test_a_worker_started_once_sees_every_set_epoch(folder, method):
    import augment.torch  # the adapter needs no torch until an item is made

    ds = augment.torch.ImageFolder(folder, make())
    context = mp.get_context(method)
    requests, answers = context.Queue(), context.Queue()
    worker = context.Process(target=_epoch_worker, args=(ds, requests, answers), daemon=True)
    worker.start()
    try:
        for epoch in (0, 1, 5):
            ds.set_epoch(epoch)
            requests.put(True)
            assert answers.get(timeout=TIMEOUT) == (epoch, epoch * augment.torch.EPOCH_STRIDE + 3)
    finally:
        requests.put(None)
        worker.join(TIMEOUT)
    # Pickled for elsewhere, the dataset carries its epoch as a number.
    copy = pickle.loads(pickle.dumps(ds))
    assert copy.epoch == 5 and copy.index_of(3) == ds.index_of(3)
    copy.set_epoch(6)
    assert ds.epoch == 5, "a copy from pickle has its own epoch"


def test_the_adapter_takes_torchvisions_transform_keyword(folder):
    import augment.torch  # the adapter needs no torch until an item is made

    by_name = augment.torch.ImageFolder(folder, transform=make())
    assert by_name.pipeline == make() and by_name.samples == augment.torch.ImageFolder(folder, make()).samples
    with pytest.raises(TypeError, match="not both"):
        augment.torch.ImageFolder(folder, make(), transform=make())
    with pytest.raises(TypeError, match="must be an augment.Pipeline, got NoneType"):
        augment.torch.ImageFolder(folder)
    with pytest.raises(TypeError, match="got function"):
        augment.torch.ImageFolder(folder, transform=lambda image: image)
