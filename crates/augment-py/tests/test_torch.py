"""PyTorch: the ImageFolder adapter in DataLoader workers, and Loader(output="torch").

Skipped where torch is not installed (CI's virtualenv has no torch: its
wheels are several GB); run with `cargo xtask test --python-only --venv DIR`
on a virtualenv that has it.
"""

from __future__ import annotations

import multiprocessing as mp
import pickle

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="torch is not installed in this virtualenv (CI has none: several GB of wheels)"
)

import augment  # noqa: E402
import augment.torch  # noqa: E402


def pipeline() -> augment.Pipeline:
    return augment.Pipeline.fastai(24, 24, seed=4)


def run(dataset, workers, context=None):
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=3,
        shuffle=False,
        num_workers=workers,
        multiprocessing_context=context if workers else None,
        worker_init_fn=augment.torch.worker_init_fn(1) if workers else None,
        timeout=120 if workers else 0,  # a hung worker fails the test
    )
    return [(x.clone(), y.clone()) for x, y in loader]


def test_items(folder):
    ds = augment.torch.ImageFolder(folder, pipeline())
    assert isinstance(ds, torch.utils.data.Dataset)
    assert len(ds) == 7 and ds.classes == ["cat", "dog", "emu"] and ds.targets == [0, 0, 0, 1, 1, 2, 2]
    image, label = ds[4]
    assert image.shape == (3, 24, 24) and image.dtype == torch.float32 and label == 1
    raw, _ = augment.torch.ImageFolder(folder, pipeline(), normalise=False)[4]
    assert raw.shape == (24, 24, 3) and raw.dtype == torch.uint8
    # Item i is pipeline image i, normalised.
    path = ds.samples[4][0]
    expected = pipeline().apply_batch([augment.read_image(path)], 4)[0]
    assert np.array_equal(image.numpy(), expected)
    assert torch.equal(ds[-1][0], ds[6][0])
    with pytest.raises(IndexError):
        ds[7]


def test_items_are_the_loaders_images(jpegs):
    """Items are made as augment.Loader makes them (region and scaled decoding included)."""
    p = augment.Pipeline.builder().random_resized_crop(24, 24).flip_horizontal(p=0.5).seed(3).build()
    ds = augment.torch.ImageFolder(jpegs, p)
    loader = augment.Loader(jpegs, p, batch_size=4, shuffle=False, threads=1)
    for epoch in (0, 1):
        ds.set_epoch(epoch)
        loader.set_epoch(epoch)
        want = np.concatenate([x.copy() for x, _ in loader])
        got = run(ds, 0)
        assert np.array_equal(torch.cat([x for x, _ in got]).numpy(), want), epoch
    # torchvision scripts assign the transform (say, for a validation split).
    ds.transform = augment.Pipeline.builder().resize(8, 8).build()
    assert ds.pipeline == ds.transform and ds[0][0].shape == (3, 8, 8)
    with pytest.raises(TypeError, match="augment.Pipeline"):
        ds.transform = lambda image: image


def test_statistics_are_checked_when_built(folder):
    mmcv = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
    with pytest.raises(ValueError, match="0..=255 units"):
        augment.torch.ImageFolder(folder, pipeline(), **mmcv)
    with pytest.raises(ValueError, match="std"):
        augment.torch.ImageFolder(folder, pipeline(), mean=[0.5, 0.5, 0.5], std=[0.2, 0.0, 0.2])
    # Not normalising: the statistics are not used.
    assert augment.torch.ImageFolder(folder, pipeline(), normalise=False, **mmcv)[0][0].dtype == torch.uint8


def test_epochs(folder):
    ds = augment.torch.ImageFolder(folder, pipeline())
    a = ds[0][0]
    ds.set_epoch(1)
    assert ds.index_of(0) == 1 << 40
    assert not torch.equal(a, ds[0][0])


def methods():
    return [m for m in ("fork", "spawn", "forkserver") if m in mp.get_all_start_methods()]


@pytest.mark.parametrize("method", methods())
def test_workers_0_1_2_give_identical_tensors(folder, method):
    ds = augment.torch.ImageFolder(folder, pipeline())
    ds.set_epoch(2)
    base = run(ds, 0)
    for workers in (1, 2):
        got = run(ds, workers, mp.get_context(method))
        assert len(got) == len(base)
        for (a, b), (c, d) in zip(base, got):
            assert torch.equal(a, c) and torch.equal(b, d)


@pytest.mark.parametrize("method", methods())
def test_persistent_workers_draw_each_epoch(folder, method):
    """set_epoch reaches workers that live across epochs (persistent_workers=True)."""
    ds = augment.torch.ImageFolder(folder, pipeline())
    loader = torch.utils.data.DataLoader(
        ds,
        batch_size=3,
        num_workers=2,
        persistent_workers=True,
        multiprocessing_context=mp.get_context(method),
        worker_init_fn=augment.torch.worker_init_fn(1),
        timeout=120,
    )
    for epoch in (0, 1, 2):
        ds.set_epoch(epoch)
        got = [x for x, _ in loader]
        want = [x for x, _ in run(ds, 0)]
        assert all(torch.equal(a, b) for a, b in zip(got, want)), f"epoch {epoch}"
        if epoch:
            assert not torch.equal(got[0], first[0])
        else:
            first = got


def test_dataset_pickles(folder):
    ds = augment.torch.ImageFolder(folder, pipeline())
    copy = pickle.loads(pickle.dumps(ds))
    assert torch.equal(copy[3][0], ds[3][0])


def test_loader_gives_tensors(folder):
    loader = augment.Loader(folder, pipeline(), batch_size=4, threads=1, output="torch")
    batches = list(loader)
    assert all(isinstance(x, torch.Tensor) and x.dtype == torch.float32 for x, _ in batches)
    assert all(y.dtype == torch.int64 for _, y in batches)
    numpy = list(augment.Loader(folder, pipeline(), batch_size=4, threads=1))
    for (a, b), (c, d) in zip(batches, numpy):
        assert np.array_equal(a.numpy(), c) and np.array_equal(b.numpy(), d)


def test_loader_order_is_distributed_samplers(numbered):
    """The loader loads DistributedSampler's indices, index for index (labels are row numbers)."""
    for world in (1, 2, 3, 16):
        for rank in sorted({0, 1 % world, world - 1}):
            for e in (0, 1, 5):
                sampler = torch.utils.data.distributed.DistributedSampler(
                    range(7), num_replicas=world, rank=rank, shuffle=True, seed=11
                )
                sampler.set_epoch(e)
                loader = augment.Loader(numbered, pipeline(), batch_size=4, seed=11, rank=rank, world_size=world, threads=0)
                loader.set_epoch(e)
                got = np.concatenate([y for _, y in loader]).tolist()
                assert got == list(sampler), (world, rank, e)


def test_the_written_out_sampler_is_torchs():
    """test_loader.py's DistributedSampler written out (what runs where torch is absent) is torch's."""
    from test_loader import distributed_sampler, torch_randperm

    for seed in (0, 1, 11, 2**32 + 3):
        for n in (1, 2, 7, 100):
            g = torch.Generator().manual_seed(seed)
            assert torch_randperm(n, seed) == torch.randperm(n, generator=g).tolist(), (seed, n)
    for world in (1, 3, 16):
        for rank in range(world):
            sampler = torch.utils.data.distributed.DistributedSampler(range(7), num_replicas=world, rank=rank, seed=11)
            sampler.set_epoch(5)
            assert distributed_sampler(7, world, rank, 11, 5) == list(sampler), (world, rank)
