"""Hostile files, class 2: counts taken from metadata are capped or lazy, with a finding naming
the cap; opening takes well under the time and memory bounds (measured in a fresh process)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from viewer.container.ozx_writer import ZipEntry, rfc9_comment, write_zip
from viewer.errors import OzxError
from viewer.ome import open_document
from viewer.ome.limits import MAX_CHANNELS, MAX_IMAGES, MAX_LEVELS

from .hostile_files import image_zip
from .hostile_probe import probe
from .zipfixtures import array_json, group_json, ome_attrs

BIG = 10**15


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hostile-counts")


def _channel_attrs(ndim_names: str = "cyx") -> dict:
    types = {"c": "channel", "z": "space", "y": "space", "x": "space", "t": "time"}
    return {"ome": {"version": "0.5", "multiscales": [{
        "axes": [{"name": n, "type": types[n]} for n in ndim_names],
        "datasets": [{"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [1.0] * len(ndim_names)}]}]}]}}


def huge_shape(path: Path) -> Path:
    return image_zip(path, b"", shape=(BIG, BIG, BIG), chunks=(1, 256, 256), attrs=_channel_attrs())


def many_levels(path: Path) -> Path:
    attrs = ome_attrs(["0"])
    attrs["ome"]["multiscales"][0]["datasets"] *= 100_000
    return image_zip(path, bytes(256 * 256 * 2), attrs=attrs)


def plate(path: Path, wells: int, fields: int, same_field: bool) -> Path:
    well_list = [{"path": f"r{i}/c", "rowIndex": 0, "columnIndex": i} for i in range(wells)]
    entries = [ZipEntry("zarr.json", group_json({"ome": {"version": "0.5", "plate": {
        "rows": [{"name": "r"}], "columns": [{"name": "c"}], "wells": well_list}}}))]
    images = [{"path": "0" if same_field else str(j)} for j in range(fields)]
    entries.append(ZipEntry("r0/c/zarr.json", group_json({"ome": {"version": "0.5", "well": {"images": images}}})))
    entries += [ZipEntry("r0/c/0/zarr.json", group_json(ome_attrs(["0"]))),
                ZipEntry("r0/c/0/0/zarr.json", array_json([4, 4], [4, 4]))]
    write_zip(path, entries, comment=rfc9_comment())
    return path


def rfc8_references(path: Path, count: int) -> Path:
    nodes = [{"type": "multiscale", "name": f"n{i}", "path": "img"} for i in range(count)]
    entries = [
        ZipEntry("zarr.json", group_json({"ome": {"version": "0.6", "type": "collection", "nodes": nodes}})),
        ZipEntry("img/zarr.json", group_json(ome_attrs(["0"]))),
        ZipEntry("img/0/zarr.json", array_json([4, 4], [4, 4])),
    ]
    write_zip(path, entries, comment=rfc9_comment())
    return path


def many_omero(path: Path) -> Path:
    attrs = _channel_attrs()
    attrs["ome"]["omero"] = {"channels": [{}] * 400_000}
    return image_zip(path, b"", shape=(3, 256, 256), chunks=(1, 256, 256), attrs=attrs)


def tiny_chunks(path: Path) -> Path:
    return image_zip(path, b"\0\0", shape=(4096, 4096), chunks=(1, 1))


def many_planes(path: Path) -> Path:
    return image_zip(path, b"", shape=(BIG, 256, 256), chunks=(1, 256, 256), attrs=_channel_attrs("zyx"))


def plate_of_one_well(path: Path, wells: int, fields: int) -> Path:
    """A plate listing the same well `wells` times; the well lists the same field `fields` times."""
    well_list = [{"path": "r0/c", "rowIndex": 0, "columnIndex": 0}] * wells
    entries = [ZipEntry("zarr.json", group_json({"ome": {"version": "0.5", "plate": {
                   "rows": [{"name": "r"}], "columns": [{"name": "c"}], "wells": well_list}}})),
               ZipEntry("r0/c/zarr.json", group_json({"ome": {"version": "0.5", "well": {"images": [{"path": "0"}] * fields}}})),
               ZipEntry("r0/c/0/zarr.json", group_json(ome_attrs(["0"]))),
               ZipEntry("r0/c/0/0/zarr.json", array_json([4, 4], [4, 4]))]
    write_zip(path, entries, comment=rfc9_comment())
    return path


def series_missing(path: Path, count: int) -> Path:
    """bioformats2raw: `OME/series` lists `count` paths; only the first exists."""
    entries = [ZipEntry("zarr.json", group_json({"ome": {"version": "0.5", "bioformats2raw.layout": 3}})),
               ZipEntry("OME/zarr.json", group_json({"ome": {"version": "0.5", "series": [f"s{i}" for i in range(count)]}})),
               ZipEntry("s0/zarr.json", group_json(ome_attrs(["0"]))),
               ZipEntry("s0/0/zarr.json", array_json([4, 4], [4, 4]))]
    write_zip(path, entries, comment=rfc9_comment())
    return path


def label_maps(path: Path, names: list[str]) -> Path:
    """An image whose `labels` group lists `names`; only the label map 'x' exists."""
    entries = [ZipEntry("zarr.json", group_json(ome_attrs(["0"]))), ZipEntry("0/zarr.json", array_json([4, 4], [4, 4])),
               ZipEntry("labels/zarr.json", group_json({"ome": {"version": "0.5", "labels": names}})),
               ZipEntry("labels/x/zarr.json", group_json(ome_attrs(["0"]))),
               ZipEntry("labels/x/0/zarr.json", array_json([4, 4], [4, 4]))]
    write_zip(path, entries, comment=rfc9_comment())
    return path


def collection_nodes(path: Path) -> Path:
    nodes = [{"type": "collection", "name": f"c{i}"} for i in range(200_000)]
    write_zip(path, [ZipEntry("zarr.json", group_json({"ome": {"version": "0.6", "type": "collection", "nodes": nodes}}))],
              comment=rfc9_comment())
    return path


CASES = {
    "channels-1e15": (huge_shape, "ome-channels"),
    "levels-100000": (many_levels, "ome-levels"),
    "wells-100000": (lambda p: plate(p, 100_000, 1, True), "ome-plate"),
    "fields-100000-same": (lambda p: plate(p, 1, 100_000, True), "ome-plate"),
    "rfc8-10000-refs": (lambda p: rfc8_references(p, 10_000), None),
    "rfc8-200000-nodes": (collection_nodes, "rfc8-nodes"),
    "omero-400000": (many_omero, "ome-omero"),
    "chunks-1x1": (tiny_chunks, None),
    "planes-1e15": (many_planes, "ome-planes"),
    "labels-100000-same": (lambda p: label_maps(p, ["x"] * 100_000), None),
    "plate-1000-same-wells-4000-same-fields": (lambda p: plate_of_one_well(p, 1000, 4000), "ome-images"),
    "series-100000-missing": (lambda p: series_missing(p, 100_000), "ome-images"),
    "labels-100000-distinct": (lambda p: label_maps(p, ["x"] + [f"n{i}" for i in range(100_000)]), "ome-labels"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_info_is_bounded_and_names_the_cap(folder: Path, case: str) -> None:
    build, rule = CASES[case]
    path = build(folder / f"{case}.ozx")
    outcome = probe("info-json", path)
    outcome.assert_bounded()
    assert outcome.code == 0, outcome.stderr
    info = json.loads(outcome.stdout)
    if rule:
        assert rule in {f["rule"] for f in info["findings"]}, info["findings"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_prepare_is_bounded(folder: Path, case: str) -> None:
    path = CASES[case][0](folder / f"prep-{case}.ozx")
    outcome = probe("prepare", path)
    outcome.assert_bounded()


def test_caps_hold_in_the_model(folder: Path) -> None:
    doc = open_document(huge_shape(folder / "m1.ozx"))
    try:
        assert len(doc.images()[0].channels) == MAX_CHANNELS
    finally:
        doc.close()
    doc = open_document(many_levels(folder / "m2.ozx"))
    try:
        assert len(doc.images()[0].levels) == MAX_LEVELS
    finally:
        doc.close()
    doc = open_document(plate(folder / "m3.ozx", 1, 100_000, True))
    try:
        assert len(doc.images()) == MAX_IMAGES
        assert doc.images()[0].levels[0].array is doc.images()[-1].levels[0].array  # parsed once
    finally:
        doc.close()


def test_a_read_over_too_many_chunks_is_refused(folder: Path) -> None:
    doc = open_document(tiny_chunks(folder / "m4.ozx"))
    try:
        array = doc.images()[0].levels[0].array
        assert array.read((slice(0, 8), slice(0, 8))).shape == (8, 8)
        with pytest.raises(OzxError, match="spans 262144 chunks"):
            array.read((slice(0, 512), slice(0, 512)))
    finally:
        doc.close()


def test_slider_positions_are_capped_and_the_start_plane_is_reachable(folder: Path) -> None:
    from viewer.ome.display_defaults import start_plane
    from viewer.ome.limits import MAX_PLANES

    doc = open_document(many_planes(folder / "m5.ozx"))
    try:
        image = doc.images()[0]
        (axis,) = image.slider_axes
        assert image.levels[0].shape[axis] == BIG and image.plane_count(axis) == MAX_PLANES == 2**31 - 1
        assert start_plane(image) == (MAX_PLANES // 2,)  # the middle z of what a slider can reach
        (finding,) = [f for f in doc.findings if f.rule == "ome-planes"]
        assert f"only the first {MAX_PLANES} can be reached" in finding.message
    finally:
        doc.close()


def test_an_overview_tile_over_too_many_chunks_is_an_error_not_endless_work() -> None:
    import time

    import numpy as np

    from viewer.tiles import LevelGeometry, TileKey
    from viewer.tiles.virtual import MAX_STORED_CHUNKS, OverviewTooLarge, VirtualPyramid

    reads: list[TileKey] = []
    probes: list[tuple[int, int, int, int]] = []

    def read(key: TileKey, out: np.ndarray | None = None) -> np.ndarray:
        reads.append(key)
        r0, r1, c0, c1 = geometry.tile_box(key.ty, key.tx)
        return np.zeros((1, r1 - r0, c1 - c0), np.uint16)

    def absent(level: int, plane: tuple[int, ...], box: tuple[int, int, int, int]) -> bool:
        probes.append(box)
        return False  # "cannot tell cheaply", as region_absent answers for huge regions

    geometry = LevelGeometry((BIG, BIG), (256, 256), (1.0, 1.0))
    pyramid = VirtualPyramid([geometry], read, 1, np.uint16, absent=absent, chunk=(256, 256))
    coarsest = len(pyramid.geometries) - 1
    started = time.perf_counter()
    with pytest.raises(OverviewTooLarge, match=f"more than the {MAX_STORED_CHUNKS} one overview tile may read"):
        pyramid.tile(TileKey(coarsest, (), 0, 0))
    assert time.perf_counter() - started < 0.1 and not reads and len(probes) == 1
    # 1x1 chunks: a 4096² level's coarsest overview tile (512² chunks) is refused, a finer one is built
    small = LevelGeometry((4096, 4096), (16, 16), (1.0, 1.0))
    geometry = small
    pyramid = VirtualPyramid([small], read, 1, np.uint16, absent=absent, chunk=(1, 1))
    with pytest.raises(OverviewTooLarge, match="stands for 262144 stored chunks"):
        pyramid.tile(TileKey(2, (), 0, 0))
    assert pyramid.tile(TileKey(1, (), 0, 0)).shape == (1, 128, 128)


def test_label_maps_are_opened_once_each_and_capped(folder: Path) -> None:
    from viewer.ome.limits import MAX_LABEL_MAPS, image_budget
    from viewer.ome.multiscales import read_labels

    doc = open_document(label_maps(folder / "l1.ozx", ["x"] * 100_000))
    try:
        assert [m.name for m in doc.images()[0].labels] == ["x"]
    finally:
        doc.close()
    doc = open_document(label_maps(folder / "l2.ozx", ["x"] + [f"n{i}" for i in range(100_000)]))
    try:
        assert [m.name for m in doc.images()[0].labels] == ["x"]
        messages = [f.message for f in doc.findings if f.rule == "ome-labels"]
        assert f"the image at '/' lists 100001 label maps; only the first {MAX_LABEL_MAPS} are opened" in messages
        assert len(messages) == 1 + MAX_LABEL_MAPS - 1  # the cap, and each listed but missing map
        findings: list = []
        with image_budget(label_maps=0):  # the document's label maps are spent: none opened, one finding
            assert read_labels(doc.container, "", findings) == []
            assert read_labels(doc.container, "", findings) == []
        spent = [f for f in findings if "label maps; the rest are not opened" in f.message]
        assert [f.message for f in spent] == ["the file holds more than 4096 label maps; the rest are not opened"]
    finally:
        doc.close()
