"""Ray Data: `examples/ray_offline.py` on a local Ray instance gives `augment run`'s pixels.

Skipped where ray (with its Data extras) is not installed; `cargo xtask
test` installs it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="ray is not installed in this virtualenv (pip install 'ray[data]')")
pytest.importorskip("ray.data", reason="Ray Data's extras are not installed (pip install 'ray[data]')")

import augment  # noqa: E402
from conftest import cli, read_png, write_png  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))
import ray_offline  # noqa: E402

CLI = cli()
#: Ray Data's own context warns about its deprecated settings on creation.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.data.context")


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray instance of 2 CPUs, shut down whatever the tests did."""
    # The workers import the example by name, as they would a training script's module.
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": str(EXAMPLES)}},
    )
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        yield
    finally:
        ray.shutdown()


def tree(root: Path) -> None:
    """Two subfolders, files whose names sort differently as text and numbers, a hidden file."""
    rng = np.random.default_rng(5)
    for folder, names in [("b", ["10.png", "9.png"]), ("a", ["x.png"]), ("a/deep", ["y.png"])]:
        (root / folder).mkdir(parents=True, exist_ok=True)
        for name in names:
            h, w = rng.integers(20, 40, 2)
            write_png(root / folder / name, rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    write_png(root / "top.png", rng.integers(0, 256, (25, 30, 3), dtype=np.uint8))
    write_png(root / ".hidden.png", np.zeros((4, 4, 3), np.uint8))
    (root / "notes.txt").write_text("not an image")
    write_png(root / "b" / "z.MASK.png", np.zeros((4, 4, 3), np.uint8))  # named as a target: not an image


def test_walk_is_augment_runs_order(tmp_path):
    tree(tmp_path)
    got = [p.relative_to(tmp_path).as_posix() for p in ray_offline.walk(tmp_path)]
    assert got == ["a/deep/y.png", "a/x.png", "b/10.png", "b/9.png", "top.png"]


@pytest.mark.skipif(CLI is None, reason="no `augment` binary: set AUGMENT_CLI or `cargo build -p augment-cli`")
def test_map_batches_equals_augment_run(tmp_path, local_ray):
    src = tmp_path / "photos"
    tree(src)
    pipeline = (
        augment.Pipeline.builder()
        .flip_horizontal(p=0.5)
        .rotate(degrees=(-20, 20))
        .gaussian_blur(sigma=(0.5, 1.0), p=0.5)
        .resize(24, 16)
        .seed(7)
        .build()
    )
    file = tmp_path / "p.json"
    pipeline.save(file)
    copies = 3
    subprocess.run(
        [CLI, "run", "--pipeline", str(file), "--copies", str(copies), "--jobs", "1", str(src), "--out", str(tmp_path / "cli")],
        check=True,
        capture_output=True,
    )
    out = tmp_path / "ray"
    rows = ray_offline.augment_folder(src, out, pipeline, copies=copies, batch_size=2).take_all()
    assert sorted(int(r["index"]) for r in rows) == list(range(5 * copies))
    cli_files = sorted(p.relative_to(tmp_path / "cli").with_suffix("") for p in (tmp_path / "cli").rglob("*.png"))
    ray_files = sorted(p.relative_to(out).with_suffix("") for p in out.rglob("*.npy"))
    assert cli_files == ray_files and len(ray_files) == 5 * copies
    assert sorted(r["name"] for r in rows) == sorted(f"{p}.npy" for p in ray_files)
    for name in ray_files:
        pixels = np.load(out / f"{name}.npy")
        expected = read_png(tmp_path / "cli" / f"{name}.png")
        assert pixels.dtype == np.uint8 and pixels.tobytes() == expected.tobytes() and pixels.shape == expected.shape, name
    assert not list(out.rglob(".*")), "temporary files left behind"
