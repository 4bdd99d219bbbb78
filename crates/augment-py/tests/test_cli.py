"""Python gives the bytes the `augment` command-line tool writes."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

import augment
from conftest import cli, read_png, write_png

CLI = cli()
pytestmark = pytest.mark.skipif(
    CLI is None, reason="no `augment` binary: set AUGMENT_CLI or `cargo build -p augment-cli`"
)


@pytest.mark.parametrize(
    "pipeline",
    [
        augment.Pipeline.fastai(64, 48, seed=11),
        augment.Pipeline.builder()
        .rotate(degrees=(-30, 30))
        .perspective(distortion=(0, 0.3), p=0.5)
        .gaussian_blur(sigma=(0.5, 1.5), p=0.5)
        .resize(40, 40)
        .seed(3)
        .build(),
    ],
)
def test_apply_equals_the_cli(tmp_path, photo, pipeline):
    src = tmp_path / "in.png"
    write_png(src, photo)
    assert np.array_equal(read_png(src), photo)
    file = tmp_path / "p.json"
    pipeline.save(file)
    for k in (0, 1, 5):
        out = tmp_path / f"out-{k}.png"
        subprocess.run([CLI, "apply", "--pipeline", str(file), "--index", str(k), str(src), str(out)], check=True)
        assert np.array_equal(read_png(out), pipeline.apply(photo, index=k)), k
