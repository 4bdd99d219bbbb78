"""Shared fixtures: deterministic test images and a minimal PNG codec.

The PNG helpers use only zlib and NumPy, so the tests need no imaging
library to exchange files with the `augment` command-line tool.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def photo() -> np.ndarray:
    """A 90 x 120 RGB uint8 image with structure in every channel."""
    y, x = np.mgrid[0:90, 0:120]
    r = (x * 2 + y) % 256
    g = (x * y // 7) % 256
    b = (255 - x - 2 * y) % 256
    return np.stack([r, g, b], axis=-1).astype(np.uint8)


def write_png(path: Path, image: np.ndarray) -> None:
    """Writes an H x W x 3 uint8 array as an 8-bit RGB PNG (filter 0)."""
    h, w, c = image.shape
    assert c == 3 and image.dtype == np.uint8
    raw = b"".join(b"\x00" + image[i].tobytes() for i in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def read_png(path: Path) -> np.ndarray:
    """Reads an 8-bit RGB or gray PNG without interlacing (all five filters)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, meta = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            meta = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert meta is not None
    w, h, depth, colour, _, _, interlace = meta
    assert depth == 8 and interlace == 0 and colour in (0, 2, 6)
    c = {0: 1, 2: 3, 6: 4}[colour]
    raw = zlib.decompress(idat)
    stride = w * c
    out = np.zeros((h, stride), np.int32)
    prev = np.zeros(stride, np.int32)
    for i in range(h):
        f = raw[i * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, i * (stride + 1) + 1).astype(np.int32)
        row = np.zeros(stride, np.int32)
        if f == 0:
            row = line
        elif f == 2:
            row = (line + prev) & 255
        else:
            for j in range(stride):
                a = row[j - c] if j >= c else 0
                b = prev[j]
                cc = prev[j - c] if j >= c else 0
                if f == 1:
                    pred = a
                elif f == 3:
                    pred = (a + b) // 2
                else:
                    p = a + b - cc
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - cc)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else cc)
                row[j] = (line[j] + pred) & 255
        out[i] = row
        prev = row
    return out.astype(np.uint8).reshape(h, w, c)


def cli() -> str | None:
    """The `augment` binary: $AUGMENT_CLI, else one built in the workspace."""
    given = os.environ.get("AUGMENT_CLI")
    if given:
        return given
    for profile in ("debug", "release"):
        path = REPO / "target" / profile / "augment"
        if path.exists():
            return str(path)
    return shutil.which("augment")


@pytest.fixture
def folder(tmp_path) -> Path:
    """An ImageFolder tree: 3 classes, 7 PNGs of different sizes."""
    root = tmp_path / "data"
    rng = np.random.default_rng(0)
    for c, (name, n) in enumerate([("cat", 3), ("dog", 2), ("emu", 2)]):
        (root / name).mkdir(parents=True)
        for i in range(n):
            h, w = 30 + 7 * i, 40 + 5 * c
            image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
            write_png(root / name / f"{i}.png", image)
    return root


@pytest.fixture
def numbered(folder) -> Path:
    """A CSV list of `folder`'s 7 images whose label is the row number.

    A loader over it returns, as labels, the dataset indices it loaded,
    so its order can be compared index for index with a sampler's.
    """
    files = sorted(p for p in folder.rglob("*.png"))
    path = folder / "numbered.csv"
    path.write_text("".join(f"{p.relative_to(folder).as_posix()},{i}\n" for i, p in enumerate(files)))
    return path


@pytest.fixture
def jpegs(tmp_path) -> Path:
    """An ImageFolder tree of 6 JPEGs (written by the `augment` tool), 150 to 250 pixels wide."""
    tool = cli()
    if tool is None:
        pytest.skip("no `augment` binary to write JPEGs: set AUGMENT_CLI or `cargo build -p augment-cli`")
    import augment  # here, so that fixtures without JPEGs need no built package

    root = tmp_path / "jpegs"
    identity = tmp_path / "identity.json"
    augment.Pipeline.builder().build().save(identity)
    y, x = np.mgrid[0:200, 0:250]
    for i in range(6):
        h, w = 120 + 16 * i, 150 + 20 * i
        image = np.stack([(x * (2 + i) + y) % 256, (x * y // 31) % 256, (255 - x - 2 * y) % 256], axis=-1)
        png = tmp_path / f"{i}.png"
        write_png(png, image[:h, :w].astype(np.uint8))
        out = root / "ab"[i % 2] / f"{i}.jpg"
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([tool, "apply", "--pipeline", str(identity), str(png), str(out)], check=True)
    return root
