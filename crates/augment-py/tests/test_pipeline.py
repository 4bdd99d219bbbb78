"""Pipeline: construction, files and dicts, apply, targets, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

import augment


def train() -> augment.Pipeline:
    return (
        augment.Pipeline.builder()
        .flip_horizontal(p=0.5)
        .rotate(degrees=(-10, 10), p=0.75)
        .zoom(scale=(1.0, 1.2), p=0.5)
        .brightness(delta=(-0.2, 0.2), p=0.75)
        .resize(64, 48)
        .seed(42)
        .build()
    )


def test_builder_mirrors_the_rust_builder():
    p = train()
    d = p.to_dict()
    assert [s["transform"]["type"] for s in d["steps"]] == [
        "flip_horizontal",
        "rotate",
        "zoom",
        "brightness",
        "resize",
    ]
    assert d["steps"][1] == {"transform": {"type": "rotate", "degrees": [-10.0, 10.0]}, "p": 0.75}
    assert d["seed"] == 42 and p.seed == 42 and len(p) == 5
    assert "rotate" in repr(p)


def test_builder_is_a_value():
    base = augment.Pipeline.builder().flip_horizontal(p=0.5)
    a = base.resize(32, 32).build()
    b = base.resize(16, 16).build()
    assert len(a) == len(b) == 2 and a != b
    assert len(base.build()) == 1


def test_parameter_forms():
    p = (
        augment.Pipeline.builder()
        .rotate(degrees=5)
        .rotate(degrees=(3, 3))
        .zoom(scale=augment.log_uniform(0.8, 1.25))
        .random_resized_crop(32, 32)
        .build()
    )
    steps = p.to_dict()["steps"]
    assert steps[0]["transform"]["degrees"] == 5.0
    assert steps[1]["transform"]["degrees"] == 3.0  # (a, a) is fixed, as Rust's a..=a
    assert steps[2]["transform"]["scale"] == {"log_uniform": [0.8, 1.25]}
    assert steps[3]["transform"]["ratio"] == {"log_uniform": [0.75, 4 / 3]}
    # One size is a square, as torchvision's RandomResizedCrop(224) and CenterCrop(224).
    square = augment.Pipeline.builder().random_resized_crop(32).center_crop(24).random_crop(16).crop_pad(8).build()
    sizes = [(s["transform"]["width"], s["transform"]["height"]) for s in square.to_dict()["steps"]]
    assert sizes == [(32, 32), (24, 24), (16, 16), (8, 8)]
    with pytest.raises(TypeError):
        augment.Pipeline.builder().resize(224)  # torchvision's Resize(256) keeps the aspect: no guessing
    # A range may come as any two-number sequence (a list from a config
    # file, a NumPy array), and reversed bounds are named as the mistake.
    as_tuple = augment.Pipeline.builder().rotate(degrees=(-10, 10)).random_resized_crop(32, scale=(0.2, 1.0)).build()
    for pair, scale in (([-10, 10], [0.2, 1.0]), (np.array([-10.0, 10.0]), np.array([0.2, 1.0]))):
        same = augment.Pipeline.builder().rotate(degrees=pair).random_resized_crop(32, scale=scale).build()
        assert same == as_tuple
    with pytest.raises(ValueError, match="low <= high"):
        augment.Pipeline.builder().rotate(degrees=(10, -10)).build()
    for bad in ([1.0], [1.0, 2.0, 3.0], "ab", [1.0, "x"]):
        with pytest.raises(TypeError, match="a \\(low, high\\) pair"):
            augment.Pipeline.builder().rotate(degrees=bad)


def test_every_builder_method_builds():
    p = (
        augment.Pipeline.builder()
        .flip_vertical(p=0.5)
        .dihedral(p=0.1)
        .random_zoom(scale=(1, 1.1), p=0.5)
        .translate(x=(-0.1, 0.1), p=0.5)
        .scale(x=(0.9, 1.1), y=1.0, p=0.5)
        .shear(x_degrees=(-5, 5), p=0.5)
        .perspective(distortion=(0, 0.2), p=0.5)
        .symmetric_warp(magnitude=(-0.2, 0.2), p=0.5)
        .skew(magnitude=(0, 0.2), p=0.5)
        .tilt(magnitude=(-0.2, 0.2), p=0.5)
        .jitter(magnitude=(0, 0.5), p=0.1)
        .elastic(magnitude=(0, 2), smoothness=16, p=0.1)
        .contrast(factor=(-0.2, 0.2), p=0.5)
        .mid_grey_contrast(scale=augment.log_uniform(0.8, 1.25), p=0.5)
        .cutout(holes=(1, 3), width=(4, 8), height=(4, 8), p=0.5)
        .gaussian_blur(sigma=(0.5, 1.5), p=0.3)
        .motion_blur(length=(3, 7), degrees=(0, 180), p=0.2)
        .shear_blur(length=(3, 7), degrees=(-10, 10), p=0.2)
        .crop_pad(60, 60)
        .centre_crop(50, 50)
        .center_crop(48, 48)
        .random_crop(40, 40)
        .zoom_crop(32, 32, scale=(1.0, 1.2))
        .resize(24, 24, method="crop")
        .step({"type": "rotate", "degrees": [-1, 1]}, p=0.5)
        .interpolation("nearest")
        .padding("border")
        .padding(0.5)
        .max_output_pixels(1 << 20)
        .antialias(False)
        .mask_fill(255)
        .min_box_visibility(0.1)
        .seed(7)
        .build()
    )
    assert len(p) == 25
    assert p.apply(np.zeros((70, 90, 3), np.uint8), index=1).shape == (24, 24, 3)


def test_presets(photo):
    train = augment.Pipeline.fastai(32, 32, seed=3)
    val = augment.Pipeline.fastai_validation(32, 32)
    assert train.seed == 3
    assert train.apply(photo, index=0).shape == (32, 32, 3)
    v = val.apply(photo, index=0)
    assert np.array_equal(v, val.apply(photo, index=99))  # nothing random
    extended = train.to_builder().flip_vertical(p=0.5).build()
    assert len(extended) == len(train) + 1


def test_dict_json_toml_and_files_round_trip(tmp_path):
    p = train()
    assert augment.Pipeline.from_dict(p.to_dict()) == p
    # Any mapping, and NumPy numbers in it, as configs read from YAML or
    # computed with NumPy hold them.
    from types import MappingProxyType

    assert augment.Pipeline.from_dict(MappingProxyType(p.to_dict())) == p
    with_numpy = {"seed": np.uint64(3), "steps": [{"transform": {"type": "rotate", "degrees": [np.float32(-10), np.int64(10)]}, "p": np.float64(0.5)}]}
    plain = {"seed": 3, "steps": [{"transform": {"type": "rotate", "degrees": [-10, 10]}, "p": 0.5}]}
    assert augment.Pipeline.from_dict(with_numpy) == augment.Pipeline.from_dict(plain)
    rotate5 = augment.Pipeline.builder().rotate(degrees=5).build()
    assert augment.Pipeline.builder().step({"type": "rotate", "degrees": np.int64(5)}).build() == rotate5
    assert augment.Pipeline.builder().step(MappingProxyType({"type": "rotate", "degrees": 5})).build() == rotate5
    assert augment.Pipeline.from_json(p.to_json()) == p
    assert augment.Pipeline.from_toml(p.to_toml()) == p
    assert json.loads(p.to_json()) == p.to_dict()
    for name in ("p.toml", "p.json"):
        p.save(tmp_path / name)
        assert augment.Pipeline.load(tmp_path / name) == p
        assert augment.Pipeline.load(str(tmp_path / name)) == p
    assert p.with_seed(5).seed == 5 and p.with_seed(5) != p


def test_apply_is_deterministic_in_seed_and_index(photo):
    p = train()
    a = p.apply(photo, index=7)
    assert a.shape == (48, 64, 3) and a.dtype == np.uint8 and a.flags.c_contiguous
    assert np.array_equal(a, p.apply(photo, index=7))
    assert not all(np.array_equal(a, p.apply(photo, index=k)) for k in range(8))
    assert not np.array_equal(a, p.with_seed(43).apply(photo, index=7))


@pytest.mark.parametrize("channels", [None, 1, 3, 4])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_apply_shapes_and_dtypes(photo, channels, dtype):
    p = augment.Pipeline.builder().rotate(degrees=10).resize(20, 10).build()
    if channels is None:
        image = photo[..., 0]
        expected = (10, 20)
    elif channels == 4:
        image = np.concatenate([photo, photo[..., :1]], axis=-1)
        expected = (10, 20, 4)
    else:
        image = photo[..., :channels]
        expected = (10, 20, channels)
    image = np.ascontiguousarray(image).astype(dtype)
    if dtype == np.float32:
        image /= 255
    out = p.apply(image, index=1)
    assert out.shape == expected and out.dtype == dtype


def test_non_contiguous_input_is_copied_with_the_same_result(photo):
    p = train()
    flipped = photo[:, ::-1]
    assert not flipped.flags.c_contiguous
    assert np.array_equal(p.apply(flipped, index=2), p.apply(np.ascontiguousarray(flipped), index=2))
    crop = photo[10:80, 5:100]
    assert np.array_equal(p.apply(crop, index=2), p.apply(crop.copy(), index=2))
    readonly = photo.copy()
    readonly.setflags(write=False)
    assert np.array_equal(p.apply(readonly, index=2), p.apply(photo, index=2))


def test_apply_leaves_the_input_alone(photo):
    before = photo.copy()
    train().apply(photo, index=0)
    assert np.array_equal(photo, before)


def test_call_with_targets(photo):
    p = (
        augment.Pipeline.builder()
        .flip_horizontal(p=1.0)
        .resize(60, 45)
        .build()
    )
    mask = (photo[..., 0] > 128).astype(np.uint8)
    out = p(
        image=photo,
        mask=mask,
        bboxes=[[10, 20, 40, 60], [100, 0, 120, 10]],
        labels=["cat", "dog"],
        keypoints=[[0, 0], [119, 89]],
        index=0,
    )
    assert out["image"].shape == (45, 60, 3)
    assert out["mask"].shape == (45, 60) and set(np.unique(out["mask"])) <= {0, 1}
    # A flip and a halving: x -> (120 - x) / 2 by edges.
    np.testing.assert_allclose(out["bboxes"][0], [40, 10, 55, 30], atol=1e-9)
    assert out["labels"] == ["cat", "dog"]
    assert list(out["bbox_indices"]) == [0, 1]
    assert out["keypoints"].shape == (2, 2) and out["keypoints_inside"].all()
    # Pixel centre j goes to (119 - j + 0.5) / 2 - 0.5.
    np.testing.assert_allclose(out["keypoints"][0], [59.25, -0.25], atol=1e-9)
    assert np.array_equal(out["image"], p.apply(photo, index=0))


def test_keypoints_with_values_after_x_y_keep_them(photo):
    """COCO's x, y, v rows: the point moves, the values after it ride along, in order."""
    p = augment.Pipeline.builder().rotate(degrees=(-40, 40)).zoom(scale=(1.0, 1.5)).resize(60, 45).seed(5).build()
    xy = [[0, 0], [119, 89], [60.5, 30.25], [-500, 7]]
    visibility = [2, 1, 0, 2]
    with_v = [[x, y, v, 10 * i] for i, ((x, y), v) in enumerate(zip(xy, visibility))]
    for index in range(8):
        plain = p(image=photo, keypoints=xy, index=index)
        carried = p(image=photo, keypoints=np.array(with_v, np.float32), index=index)
        assert carried["keypoints"].shape == (4, 4)
        np.testing.assert_array_equal(carried["keypoints"][:, :2], plain["keypoints"])
        np.testing.assert_array_equal(carried["keypoints"][:, 2], visibility)
        np.testing.assert_array_equal(carried["keypoints"][:, 3], [0, 10, 20, 30])
        np.testing.assert_array_equal(carried["keypoints_inside"], plain["keypoints_inside"])
    assert p(image=photo, keypoints=np.zeros((0, 3)))["keypoints"].shape == (0, 3)
    for bad in ([[1.0]], [1.0, 2.0], [[[1, 2]]]):
        with pytest.raises(ValueError, match="keypoints: expected an N x 2 array"):
            p(image=photo, keypoints=bad)


@pytest.mark.parametrize(
    "dtype", [np.bool_, np.int8, np.uint16, np.int32, np.int64, np.uint64, np.float32, np.float64]
)
def test_masks_of_every_dtype_move_whole(photo, dtype):
    """Each element lands where a warped map of source positions says, in its dtype."""
    p = augment.Pipeline.builder().rotate(degrees=(-30, 30)).zoom(scale=(1.0, 1.3)).resize(60, 45).seed(3).build()
    h, w = photo.shape[:2]
    rng = np.random.default_rng(1)
    if dtype is np.bool_:
        mask = rng.integers(0, 2, (h, w)).astype(bool)
    else:
        mask = (rng.integers(0, 100, (h, w)) * 1000 + 3).astype(dtype)
        if dtype is np.int8:
            mask = rng.integers(-128, 128, (h, w)).astype(np.int8)
    # Source positions as an int64 mask (above the fill, so never confused).
    position = np.arange(h * w, dtype=np.int64).reshape(h, w) + 1000
    for index in range(4):
        where = p(image=photo, mask=position, index=index)["mask"]
        outside = where == 0
        want = np.where(outside, np.zeros((), dtype), mask.reshape(-1)[np.where(outside, 0, where - 1000)])
        got = p(image=photo, mask=mask, index=index)["mask"]
        assert got.dtype == mask.dtype and got.shape == (45, 60)
        assert np.array_equal(got, want)
        # A uint8 mask (warped with the image) lands where the byte planes do.
        small = (np.arange(h * w) % 200 + 1).astype(np.uint8).reshape(h, w)
        with_image = p(image=photo, mask=small, index=index)["mask"]
        assert np.array_equal(with_image, p(image=photo, mask=small.astype(np.int32), index=index)["mask"])
        # Channels and the masks list move the same way.
        both = p(image=photo, masks=[mask, np.stack([mask, mask], -1)], index=index)["masks"]
        assert np.array_equal(both[0], want) and np.array_equal(both[1], np.stack([want, want], -1))
    # The fill is a value of the dtype, or refused.
    filled = augment.Pipeline.builder().zoom(scale=0.5).mask_fill(7).build()
    out = filled(image=photo, mask=np.full((h, w), 9, np.int32))["mask"]
    assert out.dtype == np.int32 and set(np.unique(out)) == {7, 9}
    with pytest.raises(ValueError, match="fill 300 is not a value of dtype int8"):
        augment.Pipeline.builder().mask_fill(300).build()(image=photo, mask=mask.astype(np.int8))
    # uint8 masks too, whichever way they go (with the image, or as byte planes).
    for fill in (-1, 300, 0.5):
        refusing = augment.Pipeline.builder().zoom(scale=0.5).mask_fill(fill).build()
        for m in (mask.astype(np.uint8), np.stack([mask.astype(np.uint8)] * 2, -1)):
            with pytest.raises(ValueError, match="is not a value of dtype uint8"):
                refusing(image=photo, mask=m)
    # One-hot masks of many channels go too; bytes per pixel are bounded.
    onehot = np.eye(80, dtype=np.uint8)[np.zeros((h, w), np.int64)]
    assert p(image=photo, mask=onehot)["mask"].shape == (45, 60, 80)
    tiny = augment.Pipeline.builder().resize(60, 45).max_output_pixels(60 * 45).build()
    with pytest.raises(ValueError, match="over the output limit"):
        tiny(image=photo, mask=np.zeros((h, w, 5), np.float64))


def test_boxes_with_labels_appended_keep_them(photo):
    """albumentations' habit: [x_min, y_min, x_max, y_max, label, ...] per box."""
    p = augment.Pipeline.builder().flip_horizontal(p=1.0).resize(60, 45).build()
    boxes = [[10, 20, 40, 60], [100, 0, 120, 10], [0, 0, 5, 5]]
    plain = p(image=photo, bboxes=boxes)
    tagged = p(image=photo, bboxes=[b + ["cat", i] for i, b in enumerate(boxes)], labels=["a", "b", "c"])
    assert [tuple(b[4:]) for b in tagged["bboxes"]] == [("cat", i) for i in plain["bbox_indices"]]
    assert np.array_equal(np.array([b[:4] for b in tagged["bboxes"]]), plain["bboxes"])
    assert tagged["labels"] == [["a", "b", "c"][i] for i in plain["bbox_indices"]]
    with pytest.raises(ValueError, match="box 1 has 3 values"):
        p(image=photo, bboxes=[[1, 2, 3, 4], [1, 2, 3]])
    with pytest.raises(ValueError, match="not a number"):
        p(image=photo, bboxes=[["a", 2, 3, 4, "cat"]])


def test_call_box_formats_agree(photo):
    p = augment.Pipeline.builder().rotate(degrees=(-20, 20)).resize(64, 64).seed(1).build()
    h, w = photo.shape[:2]
    voc = np.array([[10.0, 20.0, 50.0, 70.0]])
    x0, y0, x1, y1 = voc[0]
    forms = {
        "pascal_voc": voc,
        "albumentations": voc / [w, h, w, h],
        "coco": np.array([[x0, y0, x1 - x0, y1 - y0]]),
        "yolo": np.array([[(x0 + x1) / 2 / w, (y0 + y1) / 2 / h, (x1 - x0) / w, (y1 - y0) / h]]),
    }
    outs = {f: p(image=photo, bboxes=b, bbox_format=f, index=4)["bboxes"][0] for f, b in forms.items()}
    bx0, by0, bx1, by1 = outs["pascal_voc"]
    np.testing.assert_allclose(outs["albumentations"], np.array([bx0, by0, bx1, by1]) / 64, atol=1e-9)
    np.testing.assert_allclose(outs["coco"], [bx0, by0, bx1 - bx0, by1 - by0], atol=1e-9)
    np.testing.assert_allclose(
        outs["yolo"], [(bx0 + bx1) / 128, (by0 + by1) / 128, (bx1 - bx0) / 64, (by1 - by0) / 64], atol=1e-9
    )


def test_boxes_that_leave_are_dropped_with_their_labels(photo):
    p = augment.Pipeline.builder().centre_crop(40, 40).build()
    out = p(image=photo, bboxes=[[0, 0, 10, 10], [50, 40, 70, 50]], labels=[1, 2])
    assert out["labels"] == [2] and list(out["bbox_indices"]) == [1]
    assert out["bboxes"].shape == (1, 4)


def test_type_errors(photo):
    p = train()
    with pytest.raises(TypeError, match="uint8 or float32.*int16"):
        p.apply(photo.astype(np.int16))
    with pytest.raises(TypeError, match="float64"):
        p.apply(photo.astype(np.float64))
    with pytest.raises(TypeError, match="list"):
        p.apply([[1, 2], [3, 4]])
    with pytest.raises(TypeError, match="mask.*bool, integer or float.*object"):
        p(image=photo, mask=np.zeros(photo.shape[:2], object))
    with pytest.raises(TypeError):
        augment.Pipeline.builder().rotate(degrees="ten")
    with pytest.raises(TypeError, match="dict"):
        augment.Pipeline.from_dict([1, 2])
    with pytest.raises(TypeError):
        augment.Pipeline()  # built by the builder, a file or a preset


def test_value_errors(photo):
    p = train()
    with pytest.raises(ValueError, match=r"shape \[2, 3, 4, 5\]"):
        p.apply(np.zeros((2, 3, 4, 5), np.uint8))
    with pytest.raises(ValueError, match="C = 1, 3 or 4"):
        p.apply(np.zeros((8, 8, 2), np.uint8))
    with pytest.raises(ValueError):
        p.apply(np.zeros((0, 8, 3), np.uint8))
    with pytest.raises(ValueError, match="mask"):
        p(image=photo, mask=np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError, match="rotate: p = 2"):
        augment.Pipeline.builder().rotate(degrees=(-10, 10), p=2).build()
    with pytest.raises(ValueError, match="log_uniform"):
        augment.Pipeline.builder().zoom(scale={"log": (1, 2)})
    with pytest.raises(ValueError, match="padding"):
        augment.Pipeline.builder().padding("mirror")
    with pytest.raises(ValueError, match="interpolation"):
        augment.Pipeline.builder().interpolation("bicubic")
    with pytest.raises(ValueError, match="method"):
        augment.Pipeline.builder().resize(10, 10, method="fit")
    with pytest.raises(ValueError, match="seed"):
        augment.Pipeline.builder().seed(-1)
    with pytest.raises(ValueError, match="non-negative"):
        augment.Pipeline.builder().resize(-1, 5)
    with pytest.raises(ValueError, match="non-negative"):
        augment.Pipeline.fastai(224, -224)
    with pytest.raises(ValueError, match="index"):
        p.apply(photo, index=-1)
    with pytest.raises(ValueError, match=r"steps\[0\]"):
        augment.Pipeline.from_dict({"steps": [{"transform": {"type": "spin"}}]})
    with pytest.raises(ValueError, match="bbox_format"):
        p(image=photo, bboxes=[[0, 0, 1, 1]], bbox_format="xywh")
    with pytest.raises(ValueError, match="labels"):
        p(image=photo, bboxes=[[0, 0, 1, 1]], labels=[1, 2])
    with pytest.raises(ValueError, match="box 0 has 3 values: a box is x_min, y_min, x_max, y_max"):
        p(image=photo, bboxes=[[0, 0, 1]])
    with pytest.raises(ValueError, match="box 0"):
        p(image=photo, bboxes=[[5, 5, 1, 1]])
    with pytest.raises(ValueError, match="exceeds the limit"):
        augment.Pipeline.builder().resize(100, 100).max_output_pixels(10).build().apply(photo)


def test_os_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.toml"):
        augment.Pipeline.load(tmp_path / "nope.toml")
    with pytest.raises(ValueError, match="unknown format"):
        augment.Pipeline.load(tmp_path / "p.yaml")
    with pytest.raises(OSError):
        train().save(tmp_path / "missing-dir" / "p.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[steps]]\ntransform = { type = \"rotate\", degrees = 5 }\np = 2\n")
    with pytest.raises(ValueError, match=r"steps\[0\]"):
        augment.Pipeline.load(bad)


def test_hostile_sizes_raise_instead_of_crashing(photo):
    with pytest.raises(ValueError):
        augment.Pipeline.builder().resize(1 << 40, 1 << 40).build()
    with pytest.raises(ValueError):
        augment.Pipeline.builder().rotate(degrees=float("nan")).build()
    with pytest.raises(ValueError):
        augment.Pipeline.builder().elastic(magnitude=1, smoothness=0).build()


def test_threads_setting():
    n = augment.get_num_threads()
    assert n >= 1
    augment.set_num_threads(1)
    assert augment.get_num_threads() == 1
    augment.set_num_threads(n)
    with pytest.raises(ValueError, match="at least 1"):
        augment.set_num_threads(0)
    with pytest.raises(ValueError, match="non-negative"):
        augment.set_num_threads(-2)
