"""The catalog the side panel lists: entries, names and order, the panel rule, plate grids,
entries that cannot be shown (no display needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import multi_image_files as files
from tests.plate_files import row_names, write_plate
from viewer.app.catalog import build_catalog
from viewer.ome import open_document
from viewer.ome.model import Document, Group, Image, Opaque, Unavailable


def catalog_of(path: Path):
    document = open_document(path, background_index=False)
    document.close()  # the catalog reads nothing: it is built from the tree in memory
    return build_catalog(document)


def test_single_image_with_labels_wants_no_panel(tmp_path: Path) -> None:
    catalog = catalog_of(files.single_with_labels(tmp_path)[0])
    assert [e.name for e in catalog.images] == ["image"]
    assert len(catalog.images[0].image.labels) == 1  # the label map is an overlay, not an entry
    assert not catalog.wants_panel


def test_rfc8_collection_entries_in_order_with_reasons(tmp_path: Path) -> None:
    path, names = files.rfc8_collection(tmp_path)
    catalog = catalog_of(path)
    root = catalog.root
    assert root.kind == "collection" and root.name == "study"
    assert [e.name for e in root.children] == names
    assert [e.kind for e in root.children] == ["image", "collection", "collection", "opaque", "unavailable", "unavailable"]
    assert [e.name for e in root.children[1].children] == ["Day 1 A", "Day 1 B"]
    assert [e.name for e in root.children[2].children] == ["Later"]
    assert [e.name for e in catalog.images] == ["Overview", "Day 1 A", "Day 1 B", "Later"]
    assert [e.index for e in catalog.images] == [0, 1, 2, 3]
    assert catalog.wants_panel
    overview = catalog.images[0].image
    assert [m.name for m in overview.labels] == ["cells"]  # attached, not listed
    reasons = {e.name: e.reason for e in root.children if not e.available}
    assert reasons["measurements (acme:table)"] == "unsupported node type “acme:table”: not shown by this viewer"
    assert reasons["neighbour"] == "outside the file: ../outside.zarr (not loaded)"
    assert reasons["remote"] == "external: https://data.example.org/x.zarr (not loaded)"
    assert all(e.index is None and e.image is None for e in root.children if not e.available)


def test_bioformats2raw_series_named_from_ome_xml(tmp_path: Path) -> None:
    path, names = files.bioformats2raw_file(tmp_path)
    catalog = catalog_of(path)
    assert catalog.root.kind == "series"
    assert [e.name for e in catalog.root.children] == names == [e.name for e in catalog.images]
    assert [e.path for e in catalog.images] == ["0", "1", "2"]
    assert catalog.wants_panel


def test_ngff_zarr_plate_grid_with_an_empty_well(tmp_path: Path) -> None:
    path, wells = files.ngff_zarr_plate(tmp_path)
    catalog = catalog_of(path)
    assert catalog.root.kind == "plate" and catalog.root.name == "ngff screen"
    assert [e.name for e in catalog.root.children] == wells
    (plate,) = catalog.plates
    assert plate.rows == ["A", "B"] and plate.columns == ["1", "2", "3"]
    assert sorted(plate.wells) == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 2)]
    assert plate.well(1, 1) is None and plate.fields(1, 1) == []
    assert [f.name for f in plate.fields(1, 2)] == ["B3 field 0", "B3 field 1"]
    assert plate.well(1, 2).first_image() is plate.fields(1, 2)[0]
    assert [e.name for e in catalog.images][:4] == ["A1 field 0", "A1 field 1", "A2 field 0", "A2 field 1"]
    assert len(catalog.images) == 10
    assert plate.position(plate.fields(1, 0)[1]) == (1, 0)
    assert catalog.plate_of(plate.fields(0, 2)[0]) is plate


def test_ome_zarr_py_plate(tmp_path: Path) -> None:
    path, wells = files.ome_zarr_py_plate(tmp_path)
    catalog = catalog_of(path)
    (plate,) = catalog.plates
    assert plate.rows == ["A"] and plate.columns == ["1", "2"]
    assert [plate.well(0, c).name for c in range(2)] == wells
    assert [e.name for e in catalog.images] == ["A1 field 0", "A2 field 0"]


def test_384_well_plate_grid(tmp_path: Path) -> None:
    path = write_plate(tmp_path / "p384.ozx", 16, 24, 1, present=lambda r, c: (r + c) % 5 != 0)
    catalog = catalog_of(path)
    (plate,) = catalog.plates
    assert plate.rows == row_names(16) == list("ABCDEFGHIJKLMNOP")
    assert plate.columns == [str(c) for c in range(1, 25)]
    expected = {(r, c) for r in range(16) for c in range(24) if (r + c) % 5 != 0}
    assert set(plate.wells) == expected
    assert plate.well(2, 7).name == "C8" and plate.well(0, 0) is None
    assert len(catalog.images) == len(expected)


def _image(name: str, path: str) -> Image:
    return Image(name=name, path=path, axes=[], levels=[], channels=[])


def _document(root) -> Document:
    return Document(source="x.ozx", format="ozx", ome_version="0.5", root=root, ome_findings=[], container=None)


def test_rfc8_plate_placed_by_path_names_and_duplicates_disambiguated() -> None:
    wells = [Group(f"well {r}{c}", f"plate/{r}/{c}", "well", [_image("f", f"plate/{r}/{c}/0")], {"well": {}})
             for r, c in (("B", "03"), ("A", "01"), ("C", "01"))]
    plate = Group("p", "plate", "plate", wells, {"plate": {"rows": [{"name": "A"}, {"name": "B"}], "columns": [{"name": "01"}, {"name": "03"}]}})
    root = Group("root", "", "collection", [plate, _image("same", "x"), _image("same", "y"), Opaque("t", "t", "unsupported path type acme"),
                                             Unavailable("u", "u", "", "the level array 'u/0' is missing")])
    catalog = build_catalog(_document(root))
    (grid,) = catalog.plates
    assert grid.rows == ["A", "B", "C"] and grid.columns == ["01", "03"]  # a row the plate did not list is appended
    assert [grid.well(*place).path for place in ((1, 1), (0, 0), (2, 0))] == ["plate/B/03", "plate/A/01", "plate/C/01"]
    assert [e.name for e in catalog.root.children[1:3]] == ["same", "same (2)"]
    assert catalog.root.children[3].reason == "unsupported path type acme"
    assert catalog.root.children[4].reason == "the level array 'u/0' is missing"
    assert [e.name for e in catalog.images] == ["well B03 field 0", "well A01 field 0", "well C01 field 0", "same", "same (2)"]
    assert catalog.entry_of(catalog.images[3].image) is catalog.images[3]


def test_wells_placed_by_indices_when_names_do_not_match() -> None:
    wells = [Group("X", "plate/r1/c2", "well", [_image("f", "plate/r1/c2/0")], {"row": 1, "column": 0})]
    plate = Group("p", "plate", "plate", wells, {"rows": ["A", "B"], "columns": ["1"]})
    catalog = build_catalog(_document(plate))
    assert list(catalog.plates[0].wells) == [(1, 0)]


@pytest.mark.parametrize("count", [0, 1, 2])
def test_panel_only_for_more_than_one_image(count: int) -> None:
    root = Group("root", "", "collection", [_image(f"i{i}", str(i)) for i in range(count)] + [Opaque("o", "o", "acme:x")])
    assert build_catalog(_document(root)).wants_panel is (count > 1)
