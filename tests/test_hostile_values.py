"""Hostile files, class 6: malformed values. Wrong JSON types, integers of hundreds of digits,
scale products overflowing to infinity, fill values that do not fit the data type and two axes of
type 'channel' each give a clear OzxError or finding naming the key, never an internal error.
(The schema-walking fuzzer is in tests/test_metadata_fuzz.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .hostile_probe import probe
from .hostile_files import image_zip
from .zipfixtures import ome_attrs


def _attrs(**multiscale) -> dict:
    attrs = ome_attrs(["0"])
    attrs["ome"]["multiscales"][0].update(multiscale)
    return attrs


def _dataset_scale(scale, multiscale_scale=None) -> dict:
    attrs = ome_attrs(["0"])
    attrs["ome"]["multiscales"][0]["datasets"][0]["coordinateTransformations"] = [{"type": "scale", "scale": scale}]
    if multiscale_scale is not None:
        attrs["ome"]["multiscales"][0]["coordinateTransformations"] = [{"type": "scale", "scale": multiscale_scale}]
    return attrs


def _dataset_transforms(transforms: list) -> dict:
    attrs = ome_attrs(["0"])
    attrs["ome"]["multiscales"][0]["datasets"][0]["coordinateTransformations"] = transforms
    return attrs


CHUNK = bytes(4 * 4 * 2)
REFUSED = {  # (metadata damage, words the one-line message must contain)
    "axes-is-an-integer": (dict(attrs=_attrs(axes=5)), "'axes' list is missing or empty"),
    "shape-300-digits": (dict(shape=(10**300, 4)), "impossible shape"),
    "fill-300-digits": (dict(fill_value=10**300), "does not fit the data type"),
    "fill-too-big-for-uint8": (dict(fill_value=300, data_type="uint8"), "does not fit the data type uint8"),
    "fill-hex-too-long": (dict(fill_value="0x" + "f" * 400), "does not fit the data type"),
    "fill-is-an-object": (dict(fill_value={"a": 1}), "does not fit the data type"),
    "two-channel-axes": (dict(attrs=_attrs(axes=[{"name": "c", "type": "channel"}, {"name": "d", "type": "channel"},
                                                 {"name": "y", "type": "space"}, {"name": "x", "type": "space"}]),
                              shape=(1, 1, 4, 4)), "2 axes of type 'channel'"),
    "channel-axis-displayed": (dict(attrs=_attrs(axes=[{"name": "c", "type": "channel"}, {"name": "x", "type": "space"}])),
                               "no two axes to display"),
    "chunk-shape-is-a-string": (dict(chunks="big"), "not a list of integers"),
    "codecs-is-an-object": (dict(codecs={"name": "bytes"}), "codec list is missing or empty"),
}
NOTED = {  # opens; the bad value is ignored with a finding
    "scale-product-overflows": (dict(attrs=_dataset_scale([1e200, 1e200], [1e200, 1e200])), "ome-transform"),
    "scale-400-digits": (dict(attrs=_dataset_scale([10**400, 1])), "ome-transform"),
    "scale-is-an-object": (dict(attrs=_dataset_scale({"y": 1})), "ome-transform"),
    "scale-1e35": (dict(attrs=_dataset_scale([1e35, 1e35])), "ome-transform"),  # finite, but not drawable
    "scale-1e-35": (dict(attrs=_dataset_scale([1e-35, 1e-35])), "ome-transform"),
    "translation-1e35": (dict(attrs=_dataset_transforms([{"type": "scale", "scale": [1.0, 1.0]},
                                                         {"type": "translation", "translation": [1e35, 0.0]}])), "ome-transform"),
}


def _build(path: Path, damage: dict) -> Path:
    damage = dict(damage)
    attrs = damage.pop("attrs", None)
    shape = damage.pop("shape", (4, 4))
    chunks = damage.pop("chunks", (4, 4) if len(shape) == 2 else shape)
    if attrs is None and len(shape) != 2:
        attrs = ome_attrs(["0"], ndim=len(shape))
    return image_zip(path, CHUNK, attrs=attrs, shape=shape, chunks=chunks, **damage)


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_malformed_value_is_one_clear_line(tmp_path: Path, case: str) -> None:
    damage, words = REFUSED[case]
    outcome = probe("info", _build(tmp_path / f"{case}.ozx", damage))
    outcome.assert_bounded()
    assert outcome.code == 2 and words in outcome.stderr, outcome.stderr
    assert outcome.stderr.count("\n") == 1
    prepared = probe("prepare", tmp_path / f"{case}.ozx")
    prepared.assert_bounded()
    assert prepared.message and words in prepared.message


@pytest.mark.parametrize("case", sorted(NOTED))
def test_malformed_value_is_a_finding(tmp_path: Path, case: str) -> None:
    damage, rule = NOTED[case]
    outcome = probe("info-json", _build(tmp_path / f"{case}.ozx", damage))
    outcome.assert_bounded()
    info = json.loads(outcome.stdout)  # strict JSON: no NaN or Infinity anywhere
    assert outcome.code == 0 and rule in {f["rule"] for f in info["findings"]}
    level = info["images"][0]["levels"][0]
    assert all(1e-30 <= v <= 1e30 for v in level["scale"]) and all(abs(v) <= 1e30 for v in level["translation"]), level
