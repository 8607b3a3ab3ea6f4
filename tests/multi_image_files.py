"""Files holding several images, written by third-party writers or built like the reader's tests:
an ngff-zarr plate, an ome-zarr-py plate, a bioformats2raw layout, an RFC-8 collection with every
kind of entry, and a single image with labels. Each builder returns (path, expected names)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.omezarr_fixtures import omero_channels, pack, pyramid, set_group_attrs, write_image


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def ngff_zarr_plate(tmp: Path) -> tuple[Path, list[str]]:
    """ngff-zarr 0.5 plate, rows A–B × columns 1–3, well B/2 absent, 2 fields per well, packed."""
    nz = pytest.importorskip("ngff_zarr")
    root = tmp / "ngff-plate.ome.zarr"
    wells = [("A", "1"), ("A", "2"), ("A", "3"), ("B", "1"), ("B", "3")]
    plate = nz.Plate(columns=[nz.PlateColumn(name=c) for c in "123"], rows=[nz.PlateRow(name=r) for r in "AB"],
                     wells=[nz.PlateWell(path=f"{r}/{c}", rowIndex="AB".index(r), columnIndex=int(c) - 1) for r, c in wells],
                     name="ngff screen", field_count=2, version="0.5")
    nz.to_hcs_zarr(nz.HCSPlate(store=str(root), plate_metadata=plate), str(root))
    for i, (r, c) in enumerate(wells):
        for f in range(2):
            data = rng(10 * i + f).integers(0, 3000, (2, 96, 96)).astype(np.uint16)
            image = nz.to_ngff_image(data, dims=["c", "y", "x"], scale={"c": 1.0, "y": 0.5, "x": 0.5})
            multiscales = nz.to_multiscales(image, scale_factors=[2], chunks=48)
            nz.write_hcs_well_image(str(root), multiscales, plate, r, c, field_index=f, version="0.5")
    names = [f"{r}{c}" for r, c in wells]
    return pack(root, tmp / "ngff-plate.ozx"), names


def ome_zarr_py_plate(tmp: Path) -> tuple[Path, list[str]]:
    """ome-zarr-py 0.4 plate (a folder), one row of two wells, one field each."""
    writer = pytest.importorskip("ome_zarr.writer")
    import zarr

    group = zarr.open_group(str(tmp / "omezarr-plate.zarr"), mode="w", zarr_format=2)
    writer.write_plate_metadata(group, ["A"], ["1", "2"], ["A/1", "A/2"])
    for col in ("1", "2"):
        well = group.require_group(f"A/{col}")
        writer.write_well_metadata(well, [{"path": "0"}])
        data = rng(int(col)).integers(0, 1000, (2, 96, 128)).astype(np.uint16)
        writer.write_image(data, well.require_group("0"), axes="cyx", storage_options={"chunks": (1, 32, 32)})
    return tmp / "omezarr-plate.zarr", ["A1", "A2"]


def bioformats2raw_file(tmp: Path) -> tuple[Path, list[str]]:
    """bioformats2raw.layout 3 with OME/series and image names from METADATA.ome.xml."""
    root = tmp / "b2r.zarr"
    set_group_attrs(root, "", {"bioformats2raw.layout": 3})
    set_group_attrs(root, "OME", {"series": ["0", "1", "2"]})
    names = ["overview", "detail", "label image"]
    (root / "OME" / "METADATA.ome.xml").write_text(
        '<?xml version="1.0"?><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06">'
        + "".join(f'<Image ID="Image:{i}" Name="{n}"/>' for i, n in enumerate(names)) + "</OME>")
    for i in range(3):
        data = rng(20 + i).integers(0, 255, (3, 80, 80)).astype(np.uint8)
        write_image(root, str(i), pyramid(data, 2), "cyx", chunks=(1, 40, 40))
    return pack(root, tmp / "b2r.ozx"), names


def rfc8_collection(tmp: Path) -> tuple[Path, list[str]]:
    """An RFC-8 collection: nested and referenced collections, a label map, an unknown node
    type, a path leaving the file (to a real folder beside it) and a URL. Returns the names of
    the root's entries in order."""
    root = tmp / "col.zarr"
    write_image(root, "overview", pyramid(rng(1).integers(0, 200, (96, 96)).astype(np.uint8), 2), "yx",
                omero=omero_channels(["00FFFF"], [(0, 200)]))
    write_image(root, "day1/a", [rng(2).integers(0, 200, (64, 64)).astype(np.uint8)], "yx",
                omero=omero_channels(["FF00FF"], [(0, 200)]))
    write_image(root, "day1/b", [rng(3).integers(0, 4000, (2, 64, 64)).astype(np.uint16)], "cyx",
                omero=omero_channels(["FF0000", "00FF00"], [(0, 4000), (0, 2000)]))
    write_image(root, "later", [rng(4).integers(0, 200, (48, 48)).astype(np.uint8)], "yx")
    write_image(root, "seg", [(np.arange(96 * 96).reshape(96, 96) // 500 % 4).astype(np.uint16)], "yx")
    (root / "more.json").write_text(json.dumps({"ome": {"version": "0.x", "type": "collection", "name": "more", "nodes": [
        {"type": "multiscale", "name": "Later", "path": {"type": "zarr", "path": "./later"}}]}}))
    outside = tmp / "outside.zarr"  # a real image beside the file: must never be opened
    write_image(outside, "", [np.full((16, 16), 7, np.uint8)], "yx")
    set_group_attrs(root, "", {"version": "0.x", "type": "collection", "name": "study", "nodes": [
        {"type": "multiscale", "id": "ov", "name": "Overview", "path": {"type": "zarr", "path": "./overview"}},
        {"type": "multiscale", "name": "cells", "path": {"type": "zarr", "path": "./seg"},
         "attributes": {"labels": {"source": [{"id": "ov"}], "labelAttributes": [{"labelValue": 1, "color": [255, 0, 0, 255]}]}}},
        {"type": "collection", "name": "Day 1", "nodes": [
            {"type": "multiscale", "name": "Day 1 A", "path": {"type": "zarr", "path": "./day1/a"}},
            {"type": "multiscale", "name": "Day 1 B", "path": {"type": "zarr", "path": "./day1/b"}}]},
        {"type": "collection", "name": "Referenced", "path": {"type": "json", "path": "./more.json"}},
        {"type": "acme:table", "name": "measurements", "path": {"type": "acme:parquet", "path": "./stats.parquet"}},
        {"type": "multiscale", "name": "neighbour", "path": {"type": "zarr", "path": "../outside.zarr"}},
        {"type": "multiscale", "name": "remote", "path": {"type": "zarr", "path": "https://data.example.org/x.zarr"}},
    ]})
    names = ["Overview", "Day 1", "Referenced", "measurements (acme:table)", "neighbour", "remote"]
    return pack(root, tmp / "collection.ozx"), names


def single_with_labels(tmp: Path) -> tuple[Path, list[str]]:
    """One image with a label map: one image, no panel."""
    root = tmp / "labelled.zarr"
    data = rng(5).integers(0, 4000, (2, 120, 160)).astype(np.uint16)
    write_image(root, "", pyramid(data, 2), "cyx", chunks=(1, 64, 64),
                omero=omero_channels(["FF0000", "00FF00"], [(0, 4000), (0, 4000)]))
    set_group_attrs(root, "labels", {"labels": ["nuclei"]})
    labels = (np.arange(120 * 160).reshape(1, 120, 160) // 900 % 3).astype(np.uint32)
    write_image(root, "labels/nuclei", pyramid(labels, 2), "cyx", chunks=(1, 64, 64),
                extra_ome={"image-label": {"colors": [{"label-value": 1, "rgba": [255, 255, 0, 255]}]}})
    return pack(root, tmp / "labelled.ozx"), ["image"]


def rfc8_collection_with_plate(tmp: Path) -> tuple[Path, list[str]]:
    """An RFC-8 collection holding an image and a plate (a collection with `plate` attributes
    whose wells are collections with `well` attributes). Returns the image names in order."""
    root = tmp / "study.zarr"
    for name, seed in (("overview", 30), ("a1", 31), ("b2a", 32), ("b2b", 33)):
        write_image(root, name, [rng(seed).integers(0, 200, (48, 48)).astype(np.uint8)], "yx",
                    omero=omero_channels(["FFFFFF"], [(0, 200)]))

    def well(name: str, fields: list[str]) -> dict:
        return {"type": "collection", "name": name, "attributes": {"well": {}}, "nodes": [
            {"type": "multiscale", "name": f, "path": {"type": "zarr", "path": f"./{f}"}} for f in fields]}

    set_group_attrs(root, "", {"version": "0.x", "type": "collection", "name": "screen study", "nodes": [
        {"type": "multiscale", "name": "Overview", "path": {"type": "zarr", "path": "./overview"}},
        {"type": "collection", "name": "P1", "attributes": {"plate": {
            "rows": [{"name": "A"}, {"name": "B"}], "columns": [{"name": "1"}, {"name": "2"}]}},
         "nodes": [well("A1", ["a1"]), well("B2", ["b2a", "b2b"])]},
    ]})
    return pack(root, tmp / "study.ozx"), ["Overview", "A1 field a1", "B2 field b2a", "B2 field b2b"]
