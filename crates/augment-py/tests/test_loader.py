"""augment.Loader: batches, epochs, sharding, pickling, reports."""

from __future__ import annotations

import pickle
import random

import numpy as np
import pytest

import augment
from conftest import read_png


def pipeline() -> augment.Pipeline:
    return augment.Pipeline.builder().flip_horizontal(p=0.5).rotate(degrees=(-10, 10)).resize(16, 16).seed(3).build()


def epoch(loader):
    return [(x.copy(), y.copy()) for x, y in loader]


def test_batches_shapes_labels_and_len(folder):
    loader = augment.Loader(folder, pipeline(), batch_size=3, threads=2)
    assert len(loader) == 3 and loader.images_per_epoch == 7
    assert loader.classes == ["cat", "dog", "emu"]
    batches = epoch(loader)
    assert [x.shape for x, _ in batches] == [(3, 3, 16, 16)] * 2 + [(1, 3, 16, 16)]
    assert all(x.dtype == np.float32 and y.dtype == np.int64 for x, y in batches)
    labels = np.concatenate([y for _, y in batches])
    assert sorted(labels.tolist()) == [0, 0, 0, 1, 1, 2, 2]
    assert loader.report() == {"skipped": [], "replaced": 0}


def test_same_batches_on_any_number_of_threads(folder):
    runs = []
    for threads in (0, 1, 3):
        loader = augment.Loader(folder, pipeline(), batch_size=2, threads=threads, prefetch=1 + threads % 2)
        runs.append(epoch(loader))
    for other in runs[1:]:
        for (a, b), (c, d) in zip(runs[0], other):
            assert np.array_equal(a, c) and np.array_equal(b, d)


def test_epochs_differ_and_repeat(folder):
    loader = augment.Loader(folder, pipeline(), batch_size=7, threads=1)
    e0 = epoch(loader)
    again = epoch(loader)
    loader.set_epoch(1)
    assert loader.epoch == 1
    e1 = epoch(loader)
    assert np.array_equal(e0[0][0], again[0][0])
    assert not np.array_equal(e0[0][0], e1[0][0])


def test_arrays_python_holds_are_never_refilled(folder):
    # The loader refills an earlier batch's array only once nothing in
    # Python references it: batches kept (whole or as a view) keep their
    # values through later epochs, and what Python does to an array it
    # let go of (scribbling on it, making it read-only) changes no batch.
    for layout in ("nchw_f32", "nhwc_u8"):
        loader = augment.Loader(folder, pipeline(), batch_size=2, threads=2, seed=5, layout=layout)
        reference = epoch(loader)
        assert [len(x) for x, _ in reference] == [2, 2, 2, 1]
        whole, views = [], []
        for round in range(6):
            for i, (x, y) in enumerate(loader):
                assert np.array_equal(x, reference[i][0]) and np.array_equal(y, reference[i][1])
                if round == 0:
                    whole.append((i, x))
                elif round == 1 and i == 0:
                    views.append((i, x[1:]))
                elif round == 2 and i == 1:
                    x.flags.writeable = False
                else:
                    x[...] = 0
        assert len(whole) == 4 and len(views) == 1
        for i, x in whole:
            assert np.array_equal(x, reference[i][0])
        for i, view in views:
            assert np.array_equal(view, reference[i][0][1:])


def test_batches_are_the_loaders_own_buffers_lent_without_a_copy(folder):
    # Each images array is a writable, C-contiguous view of the buffer the
    # workers augmented into, owned by its base (a LentImages holding the
    # batch); an epoch's short last batch (2 per batch over 7 images) has
    # its own shape. Arrays outlive their loader and iterator.
    import gc

    for layout, dtype in (("nchw_f32", np.float32), ("nhwc_u8", np.uint8)):
        loader = augment.Loader(folder, pipeline(), batch_size=2, threads=1, seed=5, layout=layout)
        reference = [(x.copy(), y.copy()) for x, y in loader]
        kept = list(loader)
        assert [len(x) for x, _ in kept] == [2, 2, 2, 1]
        for (x, _), (r, _) in zip(kept, reference):
            assert x.dtype == dtype and x.flags.c_contiguous and x.flags.writeable
            assert not x.flags.owndata and type(x.base).__name__ == "LentImages"
            interface = x.base.__array_interface__
            assert interface["shape"] == x.shape and interface["data"][0] == x.ctypes.data
            assert np.array_equal(x, r)
        del loader
        gc.collect()
        for (x, _), (r, _) in zip(kept, reference):
            assert np.array_equal(x, r)


def test_a_list_file_labelled_by_class_name(folder, tmp_path):
    # A CSV as many datasets ship it: a header, then path and class name.
    rows = [(p, p.parent.name) for p in sorted(folder.rglob("*.png"))]
    listing = tmp_path / "train.csv"
    listing.write_text("image,label\n" + "".join(f"{p},{name}\n" for p, name in rows))
    loader = augment.Loader(listing, pipeline(), batch_size=len(rows), shuffle=False, threads=1)
    assert loader.classes == sorted({name for _, name in rows})
    (_, labels), = epoch(loader)
    assert labels.tolist() == [loader.classes.index(name) for _, name in rows]


def test_samples_given_in_code(folder, tmp_path):
    """A data frame's columns as the source: (path, label) pairs, labels numbers or names."""
    paths = sorted(folder.rglob("*.png"))
    from_folder = epoch(augment.Loader(folder, pipeline(), batch_size=7, shuffle=False, threads=1))
    named = [(p, p.parent.name) for p in paths]
    loader = augment.Loader(named, pipeline(), batch_size=7, shuffle=False, threads=1)
    assert loader.classes == ["cat", "dog", "emu"]
    (images, labels), = epoch(loader)
    assert labels.tolist() == from_folder[0][1].tolist()
    assert np.array_equal(images, from_folder[0][0]), "the same files give the same batch"
    numbered = [(str(p), np.int64(i)) for i, p in enumerate(paths)]
    copy = pickle.loads(pickle.dumps(augment.Loader(numbered, pipeline(), batch_size=7, shuffle=False)))
    (_, labels), = epoch(copy)
    assert labels.tolist() == list(range(7)) and copy.classes == []
    with pytest.raises(ValueError, match="mixed"):
        augment.Loader([(paths[0], 1), (paths[1], "dog")], pipeline())
    with pytest.raises(ValueError, match="neither an integer nor a class name"):
        augment.Loader([(paths[0], 1.5)], pipeline())
    # A float column of integer labels (pandas makes one where a value is
    # missing) gives the integers, from code and from the CSV it writes.
    floats = [(p, np.float64(i % 3)) for i, p in enumerate(paths)]
    (_, labels), = epoch(augment.Loader(floats, pipeline(), batch_size=7, shuffle=False))
    assert labels.tolist() == [i % 3 for i in range(7)]
    listing = tmp_path / "floats.csv"
    listing.write_text("path,label\n" + "".join(f"{p},{10.0 * i}\n" for i, p in enumerate(paths)))
    listed = augment.Loader(listing, pipeline(), batch_size=7, shuffle=False)
    (_, labels), = epoch(listed)
    assert labels.tolist() == [10 * i for i in range(7)] and listed.classes == []
    with pytest.raises(ValueError, match="not a .tar shard"):
        augment.Loader([str(p) for p in paths], pipeline())
    with pytest.raises(ValueError, match="empty"):
        augment.Loader([], pipeline())
    with pytest.raises(TypeError, match="pairs"):
        augment.Loader(7, pipeline())


def test_shuffle_off_is_folder_order(folder):
    loader = augment.Loader(folder, pipeline(), batch_size=7, shuffle=False, threads=0)
    (_, labels), = epoch(loader)
    assert labels.tolist() == [0, 0, 0, 1, 1, 2, 2]


def test_ranks_split_like_distributed_sampler(folder):
    seen = []
    for rank in range(2):
        loader = augment.Loader(folder, pipeline(), batch_size=8, rank=rank, world_size=2, threads=1)
        assert loader.images_per_epoch == 4  # 7 padded to 8, as DistributedSampler pads
        seen.append(epoch(loader)[0][1])
    assert sorted(np.concatenate(seen).tolist()).count(0) >= 3


def torch_randperm(n: int, seed: int) -> list:
    """``torch.randperm(n, generator=torch.Generator().manual_seed(seed))`` on the CPU, written out.

    torch's generator is MT19937 seeded by ``init_genrand`` with the seed's
    low 32 bits; ``randperm_cpu`` (for ``n`` below ``2**32 // 20``) swaps
    ``perm[i]`` with ``perm[i + random() % (n - i)]`` for ``i`` in
    ``0..n-1``. Python's ``random`` is the same MT19937, so its state is set
    to ``init_genrand``'s and ``getrandbits(32)`` is one 32-bit draw.
    """
    state = [seed & 0xFFFFFFFF]
    for i in range(1, 624):
        state.append((1812433253 * (state[-1] ^ (state[-1] >> 30)) + i) & 0xFFFFFFFF)
    mt = random.Random()
    mt.setstate((3, tuple(state) + (624,), None))
    perm = list(range(n))
    for i in range(n - 1):
        z = mt.getrandbits(32) % (n - i)
        perm[i], perm[i + z] = perm[i + z], perm[i]
    return perm


def distributed_sampler(n: int, world: int, rank: int, seed: int, epoch: int) -> list:
    """``DistributedSampler(range(n), world, rank, shuffle=True, seed=seed)`` at ``epoch``, written out."""
    indices = torch_randperm(n, seed + epoch)
    total = world * -(-n // world)
    padding = total - n
    indices += (indices * -(-padding // n))[:padding]  # torch repeats the start, as often as needed
    return indices[rank:total:world]


def test_the_written_out_randperm_is_torchs():
    # Printed by torch 2.15: torch.randperm(10, generator=torch.Generator().manual_seed(s)).tolist()
    assert torch_randperm(10, 0) == [4, 1, 7, 5, 3, 9, 0, 8, 6, 2]


def test_loader_indices_are_distributed_samplers_written_out(numbered):
    for world in (1, 2, 3, 16):
        for rank in sorted({0, 1 % world, world - 1}):
            for e in (0, 1, 5):
                loader = augment.Loader(numbered, pipeline(), batch_size=4, seed=11, rank=rank, world_size=world, threads=0)
                loader.set_epoch(e)
                got = np.concatenate([y for _, y in loader]).tolist()
                assert got == distributed_sampler(7, world, rank, 11, e), (world, rank, e)


def test_drop_last_and_pixels_layout(folder):
    loader = augment.Loader(folder, pipeline(), batch_size=3, drop_last=True, layout="nhwc_u8", threads=1)
    assert len(loader) == 2
    batches = epoch(loader)
    assert [x.shape for x, _ in batches] == [(3, 16, 16, 3)] * 2 and batches[0][0].dtype == np.uint8


def test_pixels_are_the_pipeline_on_the_decoded_file(folder):
    p = augment.Pipeline.builder().resize(16, 16).build()
    loader = augment.Loader(folder, p, batch_size=7, shuffle=False, layout="nhwc_u8", threads=1)
    (pixels, _), = epoch(loader)
    first = read_png(sorted((folder / "cat").iterdir())[0])
    assert np.array_equal(pixels[0], p.apply(first, index=0))
    assert np.array_equal(augment.read_image(sorted((folder / "cat").iterdir())[0]), first)


def test_abandoned_epoch_and_restart(folder):
    loader = augment.Loader(folder, pipeline(), batch_size=2, threads=2)
    it = iter(loader)
    first = next(it)[0].copy()
    full = epoch(loader)  # abandons `it`
    assert np.array_equal(first, full[0][0])
    # An abandoned iterator says so rather than ending its epoch early
    # (zip(loader, loader) would silently give nothing).
    with pytest.raises(RuntimeError, match="abandoned"):
        next(it)
    with pytest.raises(RuntimeError, match="abandoned"):
        list(zip(loader, loader))
    # One that ran to its end stays ended, whatever starts after it.
    done = iter(loader)
    assert len(list(done)) == len(loader)
    again = iter(loader)
    assert list(done) == [] and len(list(again)) == len(loader)


def test_pickles_as_its_settings(folder):
    loader = augment.Loader(folder, pipeline(), batch_size=3, seed=9, threads=1, mean=0.5, std=0.25)
    loader.set_epoch(2)
    copy = pickle.loads(pickle.dumps(loader))
    assert copy.epoch == 2 and len(copy) == len(loader)
    for (a, b), (c, d) in zip(epoch(loader), epoch(copy)):
        assert np.array_equal(a, c) and np.array_equal(b, d)


def test_decoding_switches_pickle_and_leave_whole_image_formats_alone(folder):
    # PNGs are decoded whole at full size either way: the same batches.
    plain = augment.Loader(folder, pipeline(), batch_size=3, seed=4, threads=1)
    whole = augment.Loader(folder, pipeline(), batch_size=3, seed=4, threads=1, region_decoding=False, scaled_decoding=False)
    settings = pickle.loads(pickle.dumps(whole)).__reduce__()[1][0]
    assert (settings["region_decoding"], settings["scaled_decoding"]) == (False, False)
    assert plain.__reduce__()[1][0]["scaled_decoding"] is True
    for (a, b), (c, d) in zip(epoch(plain), epoch(whole)):
        assert np.array_equal(a, c) and np.array_equal(b, d)


def test_the_seek_index_budget_is_a_setting_that_pickles_and_shows_in_stats(folder):
    # Row starts are kept for sequential JPEGs only (the Rust tests check
    # their bits); PNGs keep none, and the budget travels with the settings.
    kept = augment.Loader(folder, pipeline(), batch_size=3, seed=4, threads=1)
    none = augment.Loader(folder, pipeline(), batch_size=3, seed=4, threads=1, seek_index_bytes=0)
    assert kept.__reduce__()[1][0]["seek_index_bytes"] == 256 << 20
    assert pickle.loads(pickle.dumps(none)).__reduce__()[1][0]["seek_index_bytes"] == 0
    for e in range(2):
        kept.set_epoch(e)
        none.set_epoch(e)
        for (a, b), (c, d) in zip(epoch(kept), epoch(none)):
            assert np.array_equal(a, c) and np.array_equal(b, d)
    assert kept.stats()["seek_index_bytes"] == 0 == none.stats()["seek_index_bytes"]
    with pytest.raises((ValueError, OverflowError, TypeError)):
        augment.Loader(folder, pipeline(), seek_index_bytes=-1)


def test_stats_count_images_and_decoded_pixels(folder):
    loader = augment.Loader(folder, pipeline(), batch_size=3, threads=2)
    assert loader.stats()["images"] == 0
    epoch(loader)
    stats = loader.stats()
    assert stats["images"] == 7 and stats["failures"] == 0 and stats["scaled_decodes"] == 0
    # PNGs are decoded whole: every pixel of every image, once.
    pixels = sum(read_png(p).shape[0] * read_png(p).shape[1] for p in folder.rglob("*.png"))
    assert stats["decoded_pixels"] == pixels
    assert stats["decode_seconds"] > 0 and stats["augment_seconds"] > 0
    epoch(loader)
    assert loader.stats()["images"] == 14
    # Read mid-epoch, the figures are live: the delivered batch is counted
    # (the previous stop gave those of the last finished epoch).
    it = iter(loader)
    next(it)
    assert 14 + 3 <= loader.stats()["images"] <= 21


def test_a_bad_file_is_reported_before_the_epoch_ends(folder):
    (folder / "cat" / "broken.png").write_bytes(b"not an image at all")
    loader = augment.Loader(folder, pipeline(), batch_size=8, shuffle=False, threads=1)
    it = iter(loader)
    next(it)  # the one batch holds every sample, the broken one replaced
    assert [s["path"].endswith("broken.png") for s in loader.report()["skipped"]] == [True]


def test_bad_files_are_reported(folder):
    (folder / "cat" / "broken.png").write_bytes(b"not an image at all")
    loader = augment.Loader(folder, pipeline(), batch_size=4, threads=1)
    labels = np.concatenate([y for _, y in epoch(loader)])
    assert len(labels) == 8
    report = loader.report()
    assert len(report["skipped"]) == 1 and report["replaced"] >= 1
    assert report["skipped"][0]["path"].endswith("broken.png")
    assert "image" in report["skipped"][0]["error"]
    strict = augment.Loader(folder, pipeline(), batch_size=4, threads=1, shuffle=False, policy="fail")
    with pytest.raises(ValueError, match="broken.png"):
        epoch(strict)


def test_loader_errors(folder, tmp_path):
    with pytest.raises(FileNotFoundError):
        augment.Loader(tmp_path / "missing", pipeline())
    with pytest.raises(ValueError, match="batch_size"):
        augment.Loader(folder, pipeline(), batch_size=0)
    with pytest.raises(ValueError, match="non-negative"):
        augment.Loader(folder, pipeline(), batch_size=-1)
    with pytest.raises(ValueError, match="output"):
        augment.Loader(folder, pipeline(), output="jax")
    with pytest.raises(ValueError, match="layout"):
        augment.Loader(folder, pipeline(), layout="nchw_u8")
    with pytest.raises(ValueError, match="rank"):
        augment.Loader(folder, pipeline(), rank=2, world_size=2)
    with pytest.raises(ValueError, match="both or neither"):
        augment.Loader(folder, pipeline(), mean=0.5)
    with pytest.raises(ValueError, match="0..=255 units"):
        augment.Loader(folder, pipeline(), mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])
    unsized = augment.Pipeline.builder().rotate(degrees=5).build()
    with pytest.raises(ValueError):
        augment.Loader(folder, unsized)
    loader = augment.Loader(folder, pipeline(), threads=0)
    with pytest.raises(ValueError, match="epoch"):
        loader.set_epoch(1 << 30)


_FORKED = {}


def _iterate_inherited():
    """In a forked child: iterate the loader the parent left in memory."""
    try:
        next(iter(_FORKED["loader"]))
    except RuntimeError as e:
        return str(e)
    return "iterated"


def test_a_forked_loader_refuses_instead_of_hanging(folder):
    import multiprocessing as mp

    if "fork" not in mp.get_all_start_methods():
        pytest.skip("fork is POSIX")
    _FORKED["loader"] = loader = augment.Loader(folder, pipeline(), batch_size=2, threads=1)
    try:
        with mp.get_context("fork").Pool(1) as pool:
            message = pool.apply_async(_iterate_inherited).get(timeout=120)
    finally:
        _FORKED.clear()
    assert "another process" in message
    assert len(epoch(loader)) == 4
