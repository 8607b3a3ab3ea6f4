"""The committed sample `resources/sample.ozx` is a conforming OME-Zarr 0.5 zip of skimage's picture."""

from __future__ import annotations

import json
from collections.abc import Iterator
import zipfile
from pathlib import Path

import numpy as np
import pytest
import zarr
from skimage import data

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "sample.ozx"


@pytest.fixture(scope="module")
def group() -> Iterator[zarr.Group]:
    store = zarr.storage.ZipStore(SAMPLE, mode="r")
    yield zarr.open_group(store, mode="r")
    store.close()


def test_sample_is_small() -> None:
    assert SAMPLE.stat().st_size < 1_000_000


def test_level0_equals_skimage_picture(group: zarr.Group) -> None:
    level0 = group["0"]
    assert level0.shape == (3, 512, 512)
    assert level0.dtype == np.uint8
    expected = np.moveaxis(data.immunohistochemistry(), -1, 0)
    np.testing.assert_array_equal(level0[:], expected)


def test_pyramid_levels(group: zarr.Group) -> None:
    level0 = group["0"][:].astype(np.float64)
    assert [group[str(i)].shape for i in range(3)] == [(3, 512, 512), (3, 256, 256), (3, 128, 128)]
    mean = level0.reshape(3, 256, 2, 256, 2).mean(axis=(2, 4))
    np.testing.assert_array_equal(group["1"][:], np.round(mean).astype(np.uint8))
    for i in range(3):
        assert group[str(i)].metadata.dimension_names == ("c", "y", "x")


def test_ome_metadata(group: zarr.Group) -> None:
    ome = group.attrs["ome"]
    assert ome["version"] == "0.5"
    (multiscale,) = ome["multiscales"]
    assert multiscale["name"] == "immunohistochemistry"
    assert [a["name"] for a in multiscale["axes"]] == ["c", "y", "x"]
    assert [a["type"] for a in multiscale["axes"]] == ["channel", "space", "space"]
    scales = [d["coordinateTransformations"][0]["scale"] for d in multiscale["datasets"]]
    assert scales == [[1.0, 0.5, 0.5], [1.0, 1.0, 1.0], [1.0, 2.0, 2.0]]
    omero = ome["omero"]
    assert [c["label"] for c in omero["channels"]] == ["Red", "Green", "Blue"]
    assert [c["color"] for c in omero["channels"]] == ["FF0000", "00FF00", "0000FF"]
    for channel in omero["channels"]:
        assert channel["window"] == {"start": 0, "end": 255, "min": 0, "max": 255}
        assert channel["active"] is True
    assert omero["rdefs"]["model"] == "color"


def test_zip_layout() -> None:
    with zipfile.ZipFile(SAMPLE) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        assert names[0] == "zarr.json"
        first_data = next(i for i, n in enumerate(names) if not n.endswith("zarr.json"))
        assert all(not n.endswith("zarr.json") for n in names[first_data:])
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
        comment = json.loads(zf.comment)
    assert comment["ome"]["version"] == "0.5"
    assert comment["ome"]["zipFile"]["centralDirectory"]["jsonFirst"] is True
    tail = SAMPLE.read_bytes()[-(22 + 20 + len(zf.comment)) :]
    assert tail.startswith(b"PK\x06\x07")
