"""The OME model on real files: 0.5/0.4 images, labels, plates, bioformats2raw, RFC-8 collections."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.omezarr_fixtures import omero_channels, pack, pyramid, set_group_attrs, write_image
from viewer.container.ozx_writer import ZipEntry, rfc9_comment, write_zip
from viewer.errors import OzxError
from viewer.ome import Group, Image, Opaque, Unavailable, open_document


def rng_image(shape: tuple[int, ...], dtype=np.uint16, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 4000, size=shape).astype(dtype)


@pytest.fixture
def labelled_ozx(tmp_path: Path) -> tuple[Path, list[np.ndarray], np.ndarray]:
    root = tmp_path / "img.zarr"
    levels = pyramid(rng_image((3, 300, 500)), 3)
    write_image(root, "", levels, "cyx", chunks=(1, 64, 64), shards=(1, 128, 128),
                omero=omero_channels(["FF0000", "00FF00", "0000FF"], [(10, 3000), (20, 2000), (0, 4000)], ["DAPI", "GFP", "RFP"]))
    set_group_attrs(root, "labels", {"labels": ["nuclei"]})
    label = (np.arange(300 * 500).reshape(1, 300, 500) % 7).astype(np.uint32)
    write_image(root, "labels/nuclei", pyramid(label, 3), "cyx", chunks=(1, 100, 100),
                extra_ome={"image-label": {"colors": [{"label-value": 1, "rgba": [255, 0, 0, 128]},
                                                      {"label-value": 2, "rgba": [0, 255, 0, 255]}],
                                           "properties": [{"label-value": 1, "class": "nucleus"}]}})
    return pack(root, tmp_path / "labelled.ozx"), levels, label


def test_single_image_with_labels(labelled_ozx) -> None:
    path, levels, label = labelled_ozx
    doc = open_document(path, background_index=False)
    images = doc.images()
    assert len(images) == 1, "label maps are not images"
    image = images[0]
    assert doc.format == "ozx" and doc.ome_version == "0.5"
    assert [a.name for a in image.axes] == ["c", "y", "x"]
    assert [a.type for a in image.axes] == ["channel", "space", "space"]
    assert image.axes[1].unit == "micrometer"
    assert [lv.shape for lv in image.levels] == [(3, 300, 500), (3, 150, 250), (3, 75, 125)]
    assert image.levels[0].chunks == (1, 64, 64) and image.levels[0].shards == (1, 128, 128)
    assert image.levels[1].scale == (1.0, 1.0, 1.0) and image.levels[0].scale == (1.0, 0.5, 0.5)
    assert [c.color for c in image.channels] == ["FF0000", "00FF00", "0000FF"]
    assert [c.label for c in image.channels] == ["DAPI", "GFP", "RFP"]
    assert image.channels[0].window == (10.0, 3000.0)
    for level, data in zip(image.levels, levels):
        np.testing.assert_array_equal(level.array.read(), data)
    assert [lm.name for lm in image.labels] == ["nuclei"]
    nuclei = image.labels[0]
    assert nuclei.colors == {1: (255, 0, 0, 128), 2: (0, 255, 0, 255)}
    assert nuclei.properties[1] == {"class": "nucleus"}
    np.testing.assert_array_equal(nuclei.levels[0].array.read(), label)
    assert image.plane_axes == (1, 2) and image.channel_axis == 0 and image.slider_axes == []
    doc.close()


def test_defaults_without_omero(tmp_path: Path) -> None:
    root = tmp_path / "grey.zarr"
    write_image(root, "", [rng_image((2, 40, 30))], "zyx")
    doc = open_document(root)
    image = doc.images()[0]
    assert doc.format == "directory"
    assert len(image.channels) == 1 and image.channels[0].color == "FFFFFF"
    assert image.channels[0].from_metadata is False
    assert image.slider_axes == [0]
    rgb_root = tmp_path / "rgb.zarr"
    write_image(rgb_root, "", [np.zeros((3, 20, 20), np.uint8)], "cyx")
    rgb = open_document(rgb_root).images()[0]
    assert rgb.rgb and [c.color for c in rgb.channels] == ["FF0000", "00FF00", "0000FF"]


def test_zipped_v04_in_top_level_folder_with_deflate(tmp_path: Path) -> None:
    root = tmp_path / "old.ome.zarr"
    data = rng_image((1, 2, 90, 70))
    write_image(root, "", pyramid(data, 2), "tczyx"[1:], zarr_format=2, chunks=(1, 1, 32, 32))
    entries = [ZipEntry("old.ome.zarr/" + p.relative_to(root).as_posix(), p.read_bytes(), method=8)
               for p in sorted(root.rglob("*")) if p.is_file()]
    out = tmp_path / "old.ome.zarr.zip"
    write_zip(out, entries, comment=None, zip64_end=False)
    doc = open_document(out, background_index=False)
    assert doc.format == "zip" and doc.ome_version == "0.4"
    rules = {f.rule for f in doc.findings}
    assert {"M2", "M6"} <= rules
    image = doc.images()[0]
    assert [a.name for a in image.axes] == ["c", "z", "y", "x"]
    np.testing.assert_array_equal(image.levels[0].array.read(), data)


def test_plate_in_document_order(tmp_path: Path) -> None:
    root = tmp_path / "plate.zarr"
    wells = [("A", "1"), ("B", "2")]
    set_group_attrs(root, "", {"plate": {
        "name": "screen", "rows": [{"name": "A"}, {"name": "B"}], "columns": [{"name": "1"}, {"name": "2"}],
        "wells": [{"path": f"{r}/{c}", "rowIndex": ord(r) - 65, "columnIndex": int(c) - 1} for r, c in wells],
        "field_count": 2}})
    for r, c in wells:
        set_group_attrs(root, f"{r}/{c}", {"well": {"images": [{"path": "0"}, {"path": "1"}]}})
        for f in "01":
            write_image(root, f"{r}/{c}/{f}", [np.full((8, 8), ord(r) * 10 + int(f), np.uint16)], "yx")
    doc = open_document(pack(root, tmp_path / "plate.ozx"), background_index=False)
    assert isinstance(doc.root, Group) and doc.root.kind == "plate" and doc.root.name == "screen"
    assert doc.root.attributes["rows"] == ["A", "B"]
    assert [w.name for w in doc.root.children] == ["A1", "B2"]
    images = doc.images()
    assert [im.path for im in images] == ["A/1/0", "A/1/1", "B/2/0", "B/2/1"]
    assert images[3].levels[0].array.read()[0, 0] == ord("B") * 10 + 1


def test_bioformats2raw_series_names_from_ome_xml(tmp_path: Path) -> None:
    root = tmp_path / "b2r.zarr"
    set_group_attrs(root, "", {"bioformats2raw.layout": 3})
    set_group_attrs(root, "OME", {"series": ["0", "1"]})
    (root / "OME" / "METADATA.ome.xml").write_text(
        '<?xml version="1.0"?><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06">'
        '<Image ID="Image:0" Name="overview"/><Image ID="Image:1" Name="detail"/></OME>')
    for i in range(2):
        write_image(root, str(i), [np.full((10, 12), i, np.uint16)], "yx")
    doc = open_document(pack(root, tmp_path / "b2r.ozx"))
    assert isinstance(doc.root, Group) and doc.root.kind == "series"
    assert [im.name for im in doc.images()] == ["overview", "detail"]
    assert [im.path for im in doc.images()] == ["0", "1"]


def test_rfc8_collection(tmp_path: Path) -> None:
    root = tmp_path / "col.zarr"
    write_image(root, "before", [np.full((16, 16), 1, np.uint8)], "yx", name="b")
    write_image(root, "after", [np.full((16, 16), 2, np.uint8)], "yx", name="a")
    write_image(root, "seg", [np.ones((16, 16), np.uint16)], "yx")
    import zarr
    arr = zarr.create_array(store=zarr.storage.LocalStore(str(root)), name="inline/s0/arr", shape=(20, 10), dtype="uint8", chunks=(20, 10))
    arr[...] = 5
    arr1 = zarr.create_array(store=zarr.storage.LocalStore(str(root)), name="inline/s1/arr", shape=(10, 5), dtype="uint8", chunks=(10, 5))
    arr1[...] = 6
    (root / "more.json").write_text(json.dumps({"ome": {"version": "0.x", "type": "collection", "name": "more", "nodes": [
        {"type": "multiscale", "name": "again", "path": {"type": "zarr", "path": "./after"}}]}}))
    set_group_attrs(root, "", {"version": "0.x", "type": "collection", "name": "study", "nodes": [
        {"type": "multiscale", "id": "before", "name": "Before", "path": {"type": "zarr", "path": "./before"}},
        {"type": "multiscale", "id": "after", "name": "After", "path": {"type": "zarr", "path": "./after"}},
        {"type": "multiscale", "name": "segmentation", "path": {"type": "zarr", "path": "./seg"},
         "attributes": {"labels": {"source": [{"id": "after"}], "labelAttributes": [{"labelValue": 1, "color": [1, 2, 3, 4]}]}}},
        {"type": "multiscale", "id": "inl", "name": "Inline", "attributes": {
            "coordinateSystems": [{"id": "physical", "axes": [{"name": "y", "type": "space", "unit": "nanometer"},
                                                              {"name": "x", "type": "space", "unit": "nanometer"}]}]},
         "nodes": [
             {"type": "singlescale", "id": "s0", "path": {"type": "zarr", "path": "./inline/s0/arr"},
              "attributes": {"coordinateTransformations": [{"type": "scale", "scale": [3.0, 3.0], "input": {"id": "s0"}, "output": {"id": "physical"}}]}},
             {"type": "singlescale", "id": "s1", "path": {"type": "zarr", "path": "./inline/s1/arr"},
              "attributes": {"coordinateTransformations": [{"type": "sequence", "input": {"id": "s1"}, "output": {"id": "physical"},
                                                            "transformations": [{"type": "scale", "scale": [6.0, 6.0]},
                                                                                {"type": "translation", "translation": [1.5, 1.5]}]}]}}]},
        {"type": "collection", "name": "referenced", "path": {"type": "json", "path": "./more.json"}},
        {"type": "multiscale", "name": "remote", "path": {"type": "zarr", "path": "https://data.example.org/x.zarr"}},
        {"type": "multiscale", "name": "escape", "path": {"type": "zarr", "path": "../../etc"}},
        {"type": "acme:table", "name": "measurements", "path": {"type": "acme:parquet", "path": "./stats.parquet"}},
        {"type": "collection", "name": "loop", "path": {"type": "zarr", "path": "."}},
    ]})
    doc = open_document(pack(root, tmp_path / "col.ozx"), background_index=False)
    assert isinstance(doc.root, Group) and doc.root.name == "study"
    names = [im.name for im in doc.images()]
    assert names == ["Before", "After", "Inline", "again"]
    after = doc.images()[1]
    assert [lm.name for lm in after.labels] == ["segmentation"] and after.labels[0].colors == {1: (1, 2, 3, 4)}
    inline = doc.images()[2]
    assert inline.axes[0].unit == "nanometer"
    assert inline.levels[0].scale == (3.0, 3.0) and inline.levels[1].scale == (6.0, 6.0)
    assert inline.levels[1].translation == (1.5, 1.5)
    assert inline.levels[1].array.read()[0, 0] == 6
    kinds = {c.name: type(c) for c in doc.root.children}
    assert kinds["remote"] is Unavailable and kinds["escape"] is Unavailable and kinds["loop"] is Unavailable
    assert kinds["measurements"] is Opaque
    remote = next(c for c in doc.root.children if c.name == "remote")
    assert "https://data.example.org/x.zarr" in remote.reason and "not loaded" in remote.reason


def test_missing_root_metadata_is_a_clear_error(tmp_path: Path) -> None:
    out = tmp_path / "x.ozx"
    write_zip(out, [ZipEntry("readme.txt", b"hello")], comment=rfc9_comment())
    with pytest.raises(OzxError, match="no OME-Zarr metadata"):
        open_document(out)


def test_multiscale_transforms_and_derived_scales(tmp_path: Path) -> None:
    root = tmp_path / "t.zarr"
    write_image(root, "", pyramid(rng_image((64, 48)), 2), "yx", pixel_size=0.25)
    meta = json.loads((root / "zarr.json").read_text())
    ms = meta["attributes"]["ome"]["multiscales"][0]
    ms["coordinateTransformations"] = [{"type": "translation", "translation": [10.0, 20.0]}]
    del ms["datasets"][1]["coordinateTransformations"]
    (root / "zarr.json").write_text(json.dumps(meta))
    image = open_document(root).images()[0]
    assert image.levels[0].scale == (0.25, 0.25) and image.levels[0].translation == (10.0, 20.0)
    assert image.levels[1].scale == (2.0, 2.0)  # derived from the shape ratio when transforms are missing


def test_ngff_zarr_ozx_interop(tmp_path: Path) -> None:
    ngff_zarr = pytest.importorskip("ngff_zarr")
    data = rng_image((2, 120, 160))
    img = ngff_zarr.to_ngff_image(data, dims=["c", "y", "x"], scale={"c": 1.0, "y": 0.5, "x": 0.5})
    ms = ngff_zarr.to_multiscales(img, scale_factors=[2], chunks=32)
    for shard in (None, 2):
        out = tmp_path / f"ngff-{shard}.ozx"
        ngff_zarr.to_ngff_zarr(str(out), ms, version="0.5", chunks_per_shard=shard)
        doc = open_document(out, background_index=False)
        image = doc.images()[0]
        assert doc.format == "ozx" and [a.name for a in image.axes] == ["c", "y", "x"]
        assert image.levels[0].chunks[-2:] == (32, 32)
        if shard:
            assert image.levels[0].shards[-2:] == (64, 64)
        np.testing.assert_array_equal(image.levels[0].array.read(), data)
        assert image.levels[0].scale == (1.0, 0.5, 0.5)
        assert not [f for f in doc.findings if f.severity == "error"]


def test_ome_zarr_py_v04_image_and_plate_interop(tmp_path: Path) -> None:
    ome_zarr_writer = pytest.importorskip("ome_zarr.writer")
    import zarr

    data = rng_image((2, 5, 64, 80))
    group = zarr.open_group(str(tmp_path / "v04.zarr"), mode="w", zarr_format=2)
    ome_zarr_writer.write_image(data, group, axes="czyx", storage_options={"chunks": (1, 1, 32, 32)})
    image = open_document(tmp_path / "v04.zarr").images()[0]
    assert [a.name for a in image.axes] == ["c", "z", "y", "x"]
    np.testing.assert_array_equal(image.levels[0].array.read(), data)
    assert len(image.levels) >= 2

    plate = zarr.open_group(str(tmp_path / "plate.zarr"), mode="w", zarr_format=2)
    ome_zarr_writer.write_plate_metadata(plate, ["A"], ["1", "2"], ["A/1", "A/2"])
    for col in ("1", "2"):
        well = plate.require_group(f"A/{col}")
        ome_zarr_writer.write_well_metadata(well, [{"path": "0"}])
        ome_zarr_writer.write_image(np.full((32, 32), int(col), np.uint8), well.require_group("0"), axes="yx")
    doc = open_document(tmp_path / "plate.zarr")
    assert doc.root.kind == "plate"
    assert [im.levels[0].array.read()[0, 0] for im in doc.images()] == [1, 2]
