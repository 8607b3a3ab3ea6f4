"""The window with files of several images: the side panel exactly when it should be there,
switching images in the same window (pixels on screen) without reopening the file, titles,
keys, each image's own settings, and nothing outside the file opened."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt

from tests import multi_image_files as files
from tests.omezarr_fixtures import omero_channels, pack, pyramid, set_group_attrs, write_image
from tests.test_render_screenshots import TIMEOUT_MS, assert_shows, position_pattern, wait_sharp
from viewer.app import settings
from viewer.app.thumbnail_jobs import THUMBNAIL_SIZE
from viewer.render.thumbnail import render_thumbnail

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def user_config(tmp_path: Path, qapp):
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "config"))
    yield
    settings.set_side_panel_visible(True)


def open_file(qtbot, window, path: Path) -> None:
    window.open_path(str(path))
    qtbot.waitUntil(lambda: window.session is not None and window.session.opened.path == str(path), timeout=TIMEOUT_MS)
    wait_sharp(qtbot, window)


def shown_name(window) -> str:
    return window.images.catalog.entry_of(window.session.opened.image).name


def wait_for_image(qtbot, window, name: str) -> None:
    qtbot.waitUntil(lambda: window.session is not None and shown_name(window) == name, timeout=TIMEOUT_MS)
    wait_sharp(qtbot, window)


@pytest.mark.parametrize("builder, wanted", [
    (files.ngff_zarr_plate, True), (files.ome_zarr_py_plate, True), (files.bioformats2raw_file, True),
    (files.rfc8_collection, True), (files.single_with_labels, False),
])
def test_the_panel_is_there_exactly_when_the_file_holds_several_images(qtbot, window, tmp_path: Path, builder, wanted) -> None:
    path, _ = builder(tmp_path)
    open_file(qtbot, window, path)
    panel = window.side_panel
    assert panel.isVisible() is wanted
    assert panel.toggleViewAction().isEnabled() is wanted
    assert panel.next_action.isEnabled() is wanted
    first = window.images.catalog.images[0]
    assert window.session.opened.image is first.image  # the first image is shown at open
    title = path.name if wanted is False else f"{path.name} · {first.name}"
    assert window.windowTitle() == f"{title} — OZX Viewer"
    if wanted:
        assert panel.current is first


def two_patterns(tmp_path: Path) -> tuple[Path, list[list[np.ndarray]]]:
    """A collection of two RGB pattern images whose colours are their values (windows 0–255)."""
    root = tmp_path / "two.zarr"
    first = pyramid(position_pattern(300, 400), 2)
    second = pyramid(255 - position_pattern(200, 260), 2)
    for name, levels in (("a", first), ("b", second)):
        write_image(root, name, levels, "cyx", chunks=(1, 128, 128),
                    omero=omero_channels(["FF0000", "00FF00", "0000FF"], [(0, 255)] * 3))
    set_group_attrs(root, "", {"version": "0.x", "type": "collection", "name": "pair", "nodes": [
        {"type": "multiscale", "name": "First", "path": {"type": "zarr", "path": "./a"}},
        {"type": "multiscale", "name": "Second", "path": {"type": "zarr", "path": "./b"}}]})
    return pack(root, tmp_path / "two.ozx"), [first, second]


def test_choosing_an_image_shows_it_in_the_same_window_without_reopening(qtbot, window, tmp_path: Path, monkeypatch) -> None:
    import viewer.app.preparing as preparing

    opened_files = []
    original = preparing.open_document
    monkeypatch.setattr(preparing, "open_document", lambda path, *a, **k: opened_files.append(path) or original(path, *a, **k))
    path, levels = two_patterns(tmp_path)
    open_file(qtbot, window, path)
    stream = window.session.stream
    assert_shows(window.canvas, stream.geometries[stream.chosen_level()], levels[0][stream.chosen_level()])
    document_session = window.session.opened.session

    tree = window.side_panel.tree
    second = tree.topLevelItem(1)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualItemRect(second).center())
    wait_for_image(qtbot, window, "Second")
    stream = window.session.stream
    assert [g.shape for g in stream.geometries] == [(200, 260), (100, 130)]
    assert_shows(window.canvas, stream.geometries[stream.chosen_level()], levels[1][stream.chosen_level()])
    assert window.windowTitle() == "two.ozx · Second — OZX Viewer"
    assert window.session.opened.session is document_session and not document_session.closed
    assert opened_files == [str(path)]  # opened once

    window.side_panel.previous_action.trigger()  # Page Up
    wait_for_image(qtbot, window, "First")
    stream = window.session.stream
    assert_shows(window.canvas, stream.geometries[stream.chosen_level()], levels[0][stream.chosen_level()])
    assert tree.currentItem().text(0) == "First"
    assert opened_files == [str(path)]


def test_page_keys_and_each_image_keeps_its_own_settings(qtbot, window, tmp_path: Path) -> None:
    path, names = files.bioformats2raw_file(tmp_path)
    open_file(qtbot, window, path)
    first_windows = [c.window for c in window.state.channels]
    window.state.set_channel(0, window=(10.0, 20.0), color="FFFF00")
    window.canvas.widget.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    wait_for_image(qtbot, window, "detail")
    assert window.windowTitle() == "b2r.ozx · detail — OZX Viewer"
    assert window.state.channels[0].window != (10.0, 20.0)  # its own opening settings
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    wait_for_image(qtbot, window, "label image")
    qtbot.keyClick(window, Qt.Key.Key_PageDown)  # the last image: nothing happens
    qtbot.keyClick(window, Qt.Key.Key_PageUp)
    qtbot.keyClick(window, Qt.Key.Key_PageUp)
    wait_for_image(qtbot, window, "overview")
    assert window.state.channels[0].window == (10.0, 20.0) and window.state.channels[0].color == "FFFF00"
    assert [c.window for c in window.state.channels[1:]] == first_windows[1:]
    assert window.channel_panel.start_spins[0].value() == 10.0


def test_arrow_keys_in_the_panel_choose_images_and_leave_the_planes_alone(qtbot, window, tmp_path: Path) -> None:
    path, _ = files.ngff_zarr_plate(tmp_path)
    open_file(qtbot, window, path)
    grid = window.side_panel.plate_view.grid
    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    wait_for_image(qtbot, window, "A2 field 0")
    qtbot.keyClick(grid, Qt.Key.Key_Down)  # B2 is empty: nothing is chosen
    assert grid.current == (1, 1)
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    wait_for_image(qtbot, window, "B3 field 0")
    assert window.windowTitle() == "ngff-plate.ozx · B3 field 0 — OZX Viewer"
    assert window.side_panel.plate_view.well_label.text() == "Well B3: 2 fields"


def test_the_collection_never_opens_what_is_outside_the_file(qtbot, window, tmp_path: Path) -> None:
    path, _ = files.rfc8_collection(tmp_path)
    events: list[tuple[str, tuple]] = []
    recording = [True]

    def hook(event: str, args: tuple) -> None:
        if recording[0] and (event in ("open", "os.listdir", "os.scandir") or event.startswith(("socket.", "urllib."))):
            events.append((event, args))

    sys.addaudithook(hook)  # stays installed; records only during this test
    try:
        open_file(qtbot, window, path)
        panel = window.side_panel
        qtbot.waitUntil(lambda: all(panel.picture(e.index) is not None for e in window.images.catalog.images), timeout=TIMEOUT_MS)
        for index in range(1, 4):
            panel.step(1)
            wait_for_image(qtbot, window, window.images.catalog.images[index].name)
    finally:
        recording[0] = False
    touched = [str(args[0]) for event, args in events if event in ("open", "os.listdir", "os.scandir") and args]
    assert not [t for t in touched if "outside" in t]
    assert not [e for e, _ in events if e.startswith(("socket.", "urllib."))]
    for entry in window.images.catalog.images:  # thumbnails are the numpy composite
        got = panel.picture(entry.index)
        assert got is not None and got.width() == THUMBNAIL_SIZE
        from tests.test_app_side_panel import rgba

        assert np.array_equal(rgba(got), render_thumbnail(entry.image, THUMBNAIL_SIZE))
    disabled = [panel.tree.topLevelItem(i) for i in range(panel.tree.topLevelItemCount())
                if not panel.tree.topLevelItem(i).flags() & Qt.ItemFlag.ItemIsEnabled]
    assert [item.text(0).split(" — ")[0] for item in disabled] == ["measurements (acme:table)", "neighbour", "remote"]


def test_hiding_the_panel_holds_for_the_next_file_and_closing_lets_go_of_it(qtbot, window, tmp_path: Path) -> None:
    path, _ = files.bioformats2raw_file(tmp_path)
    open_file(qtbot, window, path)
    window.side_panel.toggleViewAction().trigger()
    assert not window.side_panel.isVisible()
    session = window.session.opened.session
    collection, _ = files.rfc8_collection(tmp_path)
    open_file(qtbot, window, collection)
    assert not window.side_panel.isVisible() and window.side_panel.toggleViewAction().isEnabled()
    qtbot.waitUntil(lambda: session.closed, timeout=TIMEOUT_MS)  # the first file is closed
    qtbot.keyClick(window, Qt.Key.Key_PageDown)  # the keys work with the panel hidden
    wait_for_image(qtbot, window, "Day 1 A")
    window.side_panel.toggleViewAction().trigger()
    assert window.side_panel.isVisible() and settings.side_panel_visible()
    session = window.session.opened.session
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)  # the fixture closes it again
    window.close()
    qtbot.waitUntil(lambda: session.closed, timeout=TIMEOUT_MS)


def test_a_plate_after_a_collection_in_the_same_window(qtbot, window, tmp_path: Path) -> None:
    """The plate-only view leaves the tree empty: the tree must not keep the collection's items."""
    (tmp_path / "c").mkdir()
    (tmp_path / "p").mkdir()
    collection, _ = files.rfc8_collection(tmp_path / "c")
    plate, _ = files.ome_zarr_py_plate(tmp_path / "p")
    open_file(qtbot, window, collection)
    open_file(qtbot, window, plate)
    assert window.side_panel.current is window.images.catalog.images[0]
    window.side_panel.step(1)
    wait_for_image(qtbot, window, window.images.catalog.images[1].name)
    assert window.windowTitle() == f"{plate.name} · {window.images.catalog.images[1].name} — OZX Viewer"
