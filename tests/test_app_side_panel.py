"""The side panel on its own: tree and well grid contents, thumbnails (the numpy composite),
choosing images with mouse and keys, entries that cannot be shown, lazy thumbnails, hiding."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QLabel, QMainWindow

from tests import multi_image_files as files
from tests.plate_files import write_plate
from viewer.app import settings
from viewer.app.catalog import build_catalog
from viewer.app.plate_view import MAX_CELL
from viewer.app.side_panel import SidePanel
from viewer.app.thumbnail_jobs import THUMBNAIL_SIZE, ThumbnailJobs
from viewer.ome import open_document
from viewer.render.thumbnail import render_thumbnail

pytestmark = pytest.mark.gui
TIMEOUT_MS = 15000


@pytest.fixture(autouse=True)
def user_config(tmp_path: Path, qapp):
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "config"))
    yield
    settings.set_side_panel_visible(True)


@pytest.fixture
def shown(qtbot):
    """Open a file and show its panel in a window: returns (panel, catalog, chosen names)."""
    opened = []

    def show(path: Path, size=(1100, 800)):
        document = open_document(path, background_index=False)
        opened.append(document)
        catalog = build_catalog(document)
        window = QMainWindow()
        window.setCentralWidget(QLabel("canvas"))
        panel = SidePanel(window)
        window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, panel)
        qtbot.addWidget(window)
        opened.append(window)  # qtbot holds it weakly
        chosen = []
        panel.image_chosen.connect(lambda image: chosen.append(catalog.entry_of(image).name))
        panel.set_catalog(catalog)
        panel.set_current(catalog.images[0].image)
        window.resize(*size)
        window.show()
        window.activateWindow()  # no window manager under Xvfb: shortcuts need an active window
        qtbot.waitActive(window)
        return panel, catalog, chosen

    yield show
    for item in opened:
        if not isinstance(item, QMainWindow):
            item.close()


def rgba(picture) -> np.ndarray:
    """A QImage → (rows, cols, 4) uint8 RGBA."""
    from PySide6.QtGui import QImage

    picture = picture.convertToFormat(QImage.Format.Format_RGBA8888)
    data = np.frombuffer(picture.constBits(), np.uint8, picture.sizeInBytes())
    return data.reshape(picture.height(), picture.bytesPerLine() // 4, 4)[:, : picture.width()].copy()


def wait_thumbnails(qtbot, panel: SidePanel, indices) -> None:
    qtbot.waitUntil(lambda: all(panel.picture(i) is not None for i in indices), timeout=TIMEOUT_MS)


def tree_rows(panel: SidePanel) -> list[tuple[str, int, bool]]:
    """(text, depth, enabled) of every tree item, top to bottom."""
    rows = []

    def walk(item, depth):
        rows.append((item.text(0), depth, bool(item.flags() & Qt.ItemFlag.ItemIsEnabled)))
        for i in range(item.childCount()):
            walk(item.child(i), depth + 1)

    for i in range(panel.tree.topLevelItemCount()):
        walk(panel.tree.topLevelItem(i), 0)
    return rows


# ---- collections and series ------------------------------------------------------------------
def test_collection_tree_names_order_and_unavailable_entries(qtbot, shown, tmp_path: Path) -> None:
    path, names = files.rfc8_collection(tmp_path)
    panel, catalog, chosen = shown(path)
    assert tree_rows(panel) == [
        ("Overview", 0, True), ("cells (label map)", 1, True), ("Day 1", 0, True), ("Day 1 A", 1, True), ("Day 1 B", 1, True),
        ("Referenced", 0, True), ("Later", 1, True),
        ("measurements (acme:table) — unsupported node type “acme:table”: not shown by this viewer", 0, False),
        ("neighbour — outside the file: ../outside.zarr (not loaded)", 0, False),
        ("remote — external: https://data.example.org/x.zarr (not loaded)", 0, False),
    ]
    disabled = [panel.tree.topLevelItem(i) for i in range(3, 6)]
    assert all(not item.flags() & Qt.ItemFlag.ItemIsSelectable for item in disabled)
    assert disabled[2].toolTip(0) == "remote\nexternal: https://data.example.org/x.zarr (not loaded)"
    assert "study" in panel.title.text() and "4 images" in panel.title.text()
    # Clicking an unavailable entry does nothing; clicking an image chooses it.
    tree = panel.tree
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualItemRect(disabled[1]).center())
    label_row = tree.topLevelItem(0).child(0)  # a label map is an overlay: listed, never chosen
    assert not label_row.flags() & Qt.ItemFlag.ItemIsSelectable
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualItemRect(label_row).center())
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualItemRect(tree.topLevelItem(1).child(1)).center())
    assert chosen == ["Day 1 B"]


def test_tree_thumbnails_are_the_numpy_composite(qtbot, shown, tmp_path: Path) -> None:
    panel, catalog, _ = shown(files.rfc8_collection(tmp_path)[0])
    wait_thumbnails(qtbot, panel, range(4))
    for entry in catalog.images:
        expected = render_thumbnail(entry.image, THUMBNAIL_SIZE)
        got = rgba(panel.picture(entry.index))
        assert np.array_equal(got, expected), entry.name
        for mode in (QIcon.Mode.Normal, QIcon.Mode.Selected):  # not tinted when selected
            icon = panel.tree.item_of(entry).icon(0).pixmap(THUMBNAIL_SIZE, THUMBNAIL_SIZE, mode).toImage()
            assert np.array_equal(rgba(icon), expected)
    overview = rgba(panel.picture(0))
    assert (overview[..., 0] > 0).any()  # the label map is blended in red over a cyan image


def test_keys_move_through_the_images(qtbot, shown, tmp_path: Path) -> None:
    path, names = files.bioformats2raw_file(tmp_path)
    panel, catalog, chosen = shown(path)
    assert [row[0] for row in tree_rows(panel)] == names
    panel.tree.setFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_Down)
    assert chosen == ["detail"]
    qtbot.keyClick(panel.tree, Qt.Key.Key_PageDown)  # window-wide shortcut: next image in document order
    qtbot.keyClick(panel.tree, Qt.Key.Key_PageDown)  # clamped at the last image
    qtbot.keyClick(panel.tree, Qt.Key.Key_Up)
    qtbot.keyClick(panel.tree, Qt.Key.Key_PageUp)
    assert chosen == ["detail", "label image", "detail", "overview"]
    assert panel.tree.currentItem().text(0) == "overview"


# ---- plates -------------------------------------------------------------------------------------
def grid_cell(panel: SidePanel, row: int, column: int) -> np.ndarray:
    """The pixels of a well's picture as painted by the grid."""
    grid = panel.plate_view.grid
    rect = grid.picture_rect(row, column)
    image = rgba(grid.grab(rect).toImage())
    return image[..., :3]


def test_ngff_zarr_plate_grid_wells_fields_and_thumbnails(qtbot, shown, tmp_path: Path) -> None:
    path, wells = files.ngff_zarr_plate(tmp_path)
    panel, catalog, chosen = shown(path)
    view = panel.plate_view
    assert panel.tree.isHidden()  # a plate file is its grid
    grid = view.grid
    assert grid.cell == MAX_CELL
    plate = catalog.plates[0]
    firsts = [plate.well(*place).first_image().index for place in sorted(plate.wells)]
    wait_thumbnails(qtbot, panel, firsts)
    for place in sorted(plate.wells):
        field = plate.fields(*place)[0]
        expected = render_thumbnail(field.image, THUMBNAIL_SIZE)
        assert np.array_equal(rgba(panel.picture(field.index)), expected)
        assert np.array_equal(grid_cell(panel, *place), expected[..., :3]), place  # square fields: opaque
    empty = grid_cell(panel, 1, 1)
    base = panel.palette().base().color()
    assert (np.abs(empty.astype(int) - (base.red(), base.green(), base.blue())).sum(-1) < 40).mean() > 0.8  # mostly background
    assert [view.fields.item(i).text() for i in range(view.fields.count())] == ["1", "2"]  # A1's fields
    a1 = plate.fields(0, 0)
    wait_thumbnails(qtbot, panel, [f.index for f in a1])
    for i, field in enumerate(a1):
        icon = view.fields.item(i).icon().pixmap(THUMBNAIL_SIZE, THUMBNAIL_SIZE, QIcon.Mode.Selected).toImage()
        assert np.array_equal(rgba(icon), render_thumbnail(field.image, THUMBNAIL_SIZE))

    # A click on well B3 shows its first field, then its second field can be chosen.
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=grid.cell_rect(1, 2).center())
    assert chosen == ["B3 field 0"] and view.well_label.text() == "Well B3: 2 fields"
    second = view.fields.item(1)
    qtbot.mouseClick(view.fields.viewport(), Qt.MouseButton.LeftButton, pos=view.fields.visualItemRect(second).center())
    assert chosen == ["B3 field 0", "B3 field 1"]
    # An empty well chooses nothing; arrows move through the grid.
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=grid.cell_rect(1, 1).center())
    assert chosen == ["B3 field 0", "B3 field 1"] and view.well_label.text() == "Well B2: empty"
    qtbot.keyClick(grid, Qt.Key.Key_Up)
    assert chosen[-1] == "A2 field 0" and grid.current == (0, 1)
    qtbot.keyClick(grid, Qt.Key.Key_PageDown)
    assert chosen[-1] == "A2 field 1" and view.fields.currentRow() == 1
    assert "Well A2" in view.well_label.text()


def test_ome_zarr_py_plate_in_a_folder(qtbot, shown, tmp_path: Path) -> None:
    path, wells = files.ome_zarr_py_plate(tmp_path)
    panel, catalog, chosen = shown(path)
    wait_thumbnails(qtbot, panel, [0, 1])
    for entry in catalog.images:
        assert np.array_equal(rgba(panel.picture(entry.index)), render_thumbnail(entry.image, THUMBNAIL_SIZE))
    grid = panel.plate_view.grid
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=grid.cell_rect(0, 1).center())
    assert chosen == ["A2 field 0"]


def test_384_well_plate_loads_visible_wells_first_and_lazily(qtbot, shown, tmp_path: Path) -> None:
    path = write_plate(tmp_path / "p384.ozx", 16, 24, 1)
    panel, catalog, chosen = shown(path, size=(700, 400))
    view = panel.plate_view
    qtbot.waitUntil(lambda: all(panel.picture(i) is not None for i in view.visible_images()), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: panel.jobs.pending() == 0, timeout=TIMEOUT_MS)
    wanted = view.visible_images()
    shown_now = {i for i in range(len(catalog.images)) if panel.picture(i) is not None}
    assert set(wanted) == shown_now  # lazily: only the wells in view and half a screen around them
    assert len(shown_now) < 300
    bottom_right = catalog.plates[0].well(15, 23).first_image().index
    assert panel.picture(bottom_right) is None
    view.scroll.verticalScrollBar().setValue(view.scroll.verticalScrollBar().maximum())
    view.scroll.horizontalScrollBar().setValue(view.scroll.horizontalScrollBar().maximum())
    wait_thumbnails(qtbot, panel, [bottom_right])
    expected = render_thumbnail(catalog.images[bottom_right].image, THUMBNAIL_SIZE)
    assert np.array_equal(rgba(panel.picture(bottom_right)), expected)


# ---- thumbnail jobs ---------------------------------------------------------------------------
def test_jobs_drop_what_is_no_longer_wanted_and_deliver_nothing_after_close(qtbot) -> None:
    gate = threading.Event()
    started: list[int] = []

    def renderer(image, size):
        started.append(image)
        gate.wait(10)
        return np.full((size, size, 4), image, np.uint8)

    jobs = ThumbnailJobs(list(range(10)), size=4, threads=1, renderer=renderer)
    delivered = []
    jobs.ready.connect(lambda key, picture: delivered.append((key, rgba(picture)[0, 0, 0])))
    jobs.want([0, 1, 2, 3])
    qtbot.waitUntil(lambda: started == [0], timeout=TIMEOUT_MS)
    jobs.want([7, 8])  # scrolled away: 1–3 never start
    gate.set()
    qtbot.waitUntil(lambda: len(delivered) == 3, timeout=TIMEOUT_MS)
    assert started == [0, 7, 8] and delivered == [(0, 0), (7, 7), (8, 8)]
    jobs.want([8, 9, 2])  # 8 is drawn already
    qtbot.waitUntil(lambda: len(delivered) == 5, timeout=TIMEOUT_MS)
    assert started[3:] == [9, 2]
    gate.clear()
    jobs.want([4, 5])
    qtbot.waitUntil(lambda: len(started) == 6, timeout=TIMEOUT_MS)
    jobs.close()  # the document closes while 4 is drawn
    gate.set()
    jobs.join(10)
    qtbot.wait(50)
    assert started[-1] == 4 and [k for k, _ in delivered] == [0, 7, 8, 9, 2]
    assert jobs.picture(0) is None


def test_a_failed_thumbnail_is_reported_not_raised(qtbot) -> None:
    def renderer(image, size):
        raise ValueError("broken codec")

    jobs = ThumbnailJobs([object()], renderer=renderer)
    failures = []
    jobs.failed.connect(lambda key, message: failures.append((key, message)))
    jobs.want([0])
    qtbot.waitUntil(lambda: bool(failures), timeout=TIMEOUT_MS)
    jobs.close()
    jobs.join(10)
    assert failures == [(0, "ValueError: broken codec")] and jobs.error(0) == "ValueError: broken codec"


# ---- hiding -------------------------------------------------------------------------------------
def test_hiding_the_panel_is_remembered(qtbot, shown, tmp_path: Path) -> None:
    panel, _, _ = shown(files.bioformats2raw_file(tmp_path)[0])
    assert settings.side_panel_visible()
    panel.toggleViewAction().trigger()
    assert panel.isHidden() and not settings.side_panel_visible()
    panel.toggleViewAction().trigger()
    assert panel.isVisible() and settings.side_panel_visible()
    panel.close()  # the dock's close button
    assert not settings.side_panel_visible()


def test_tree_icons_are_bounded(qtbot, shown, tmp_path: Path, monkeypatch) -> None:
    from viewer.app import catalog_tree

    monkeypatch.setattr(catalog_tree, "MAX_ICONS", 2)
    panel, catalog, _ = shown(files.rfc8_collection(tmp_path)[0])
    wait_thumbnails(qtbot, panel, range(4))
    qtbot.wait(50)
    with_icon = [e.name for e in catalog.images if panel.tree.has_thumbnail(e.index)]
    assert len(with_icon) == 2
    for entry in catalog.images:
        icon = rgba(panel.tree.item_of(entry).icon(0).pixmap(THUMBNAIL_SIZE, THUMBNAIL_SIZE).toImage())
        drawn = np.array_equal(icon, render_thumbnail(entry.image, THUMBNAIL_SIZE))
        assert drawn is (entry.name in with_icon)


def test_a_plate_inside_a_collection_is_a_branch_and_a_grid(qtbot, shown, tmp_path: Path) -> None:
    path, names = files.rfc8_collection_with_plate(tmp_path)
    panel, catalog, chosen = shown(path)
    assert [e.name for e in catalog.images] == names
    assert tree_rows(panel) == [("Overview", 0, True), ("P1", 0, True), ("A1", 1, True), ("A1 field a1", 2, True),
                                ("B2", 1, True), ("B2 field b2a", 2, True), ("B2 field b2b", 2, True)]
    assert panel.plate_view is None  # the overview is shown: no grid yet
    tree = panel.tree
    field = tree.topLevelItem(1).child(1).child(1)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualItemRect(field).center())
    assert chosen == ["B2 field b2b"]
    view = panel.plate_view
    assert view is not None and view.grid.current == (1, 1) and view.fields.currentRow() == 1
    assert catalog.plates[0].well(0, 1) is None and catalog.plates[0].well(1, 0) is None
    qtbot.mouseClick(view.grid, Qt.MouseButton.LeftButton, pos=view.grid.cell_rect(0, 0).center())
    assert chosen == ["B2 field b2b", "A1 field a1"] and tree.currentItem().text(0) == "A1 field a1"
    panel.step(-1)
    assert chosen[-1] == "Overview" and panel.plate_view is None
