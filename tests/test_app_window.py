"""The main window under Xvfb: the bundled sample, errors, planes, labels, status bar, keys."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.omezarr_fixtures import omero_channels, set_group_attrs, write_image
from tests.test_render_screenshots import TIMEOUT_MS, assert_shows, open_and_wait, screenshot, wait_sharp
from viewer.app.main import sample_path

pytestmark = pytest.mark.gui


def test_sample_opens_with_its_colours(qtbot, window) -> None:
    started = time.perf_counter()
    open_and_wait(qtbot, window, sample_path())
    sharp_after = time.perf_counter() - started
    image = window.session.opened.image
    assert window.windowTitle() == "sample.ozx — OZX Viewer"
    assert [c.color for c in window.state.channels] == ["FF0000", "00FF00", "0000FF"]
    stream = window.session.stream
    level = stream.chosen_level()
    assert_shows(window.canvas, stream.geometries[level], image.levels[level].array.read())
    window.canvas.show_overlays(True)
    window.grab().save("/tmp/ozx_sample.png")
    assert sharp_after < 5


def test_an_opening_started_before_the_window_is_adopted(qtbot, window) -> None:
    """`ozx-viewer FILE` starts reading before the GUI exists; the first tiles come with it, so the
    window uploads them while it builds the session, without waiting for a load."""
    from viewer.app.startup import PendingOpen

    pending = PendingOpen(str(sample_path()))
    uploaded_when_shown: list[int] = []
    window.opener.opened.connect(lambda _opened: uploaded_when_shown.append(len(window.session.stream.textures)))
    window.open_pending(pending)
    qtbot.waitUntil(lambda: bool(uploaded_when_shown), timeout=TIMEOUT_MS)
    assert uploaded_when_shown[0] > 0
    assert window.session.composite._tiles
    wait_sharp(qtbot, window)
    assert window.windowTitle() == "sample.ozx — OZX Viewer"

    finished = threading.Event()
    pending = PendingOpen(str(sample_path()))
    pending.add_done_callback(lambda _result, _message: finished.set())
    assert finished.wait(10)
    first = window.session
    window.open_pending(pending)  # finished already: shown before open_pending returns
    assert window.session is not first and window.session.composite._tiles
    wait_sharp(qtbot, window)


def test_bad_file_shows_the_empty_state_with_a_one_line_reason_and_the_window_stays_usable(qtbot, window, tmp_path: Path) -> None:
    bad = tmp_path / "noise.ozx"
    bad.write_bytes(np.random.default_rng(0).bytes(5000))
    window.open_path(str(bad))
    empty = window.empty_state
    qtbot.waitUntil(lambda: empty.isVisible(), timeout=TIMEOUT_MS)
    assert "noise.ozx" in empty.title.text() and "cannot be opened" in empty.title.text()
    assert not empty.detail.isVisible()  # technical detail only under "Details"
    empty.details_button.click()
    detail = empty.detail.text()
    assert empty.detail.isVisible() and detail and "\n" not in detail and "Traceback" not in detail
    assert not window.canvas.widget.isVisible()  # no black canvas, no empty Channels dock
    assert window.windowTitle() == "noise.ozx — OZX Viewer"
    assert window.is_empty
    open_and_wait(qtbot, window, sample_path())
    assert window.session is not None and window.canvas.widget.isVisible() and not empty.isVisible()


def write_stack(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """t=2, z=5 stack of 64 × 80 uint8 whose value is 10*t + z + 1; one label map."""
    t, z = np.meshgrid(np.arange(2), np.arange(5), indexing="ij")
    data = np.broadcast_to((10 * t + z + 1)[:, None, :, None, None], (2, 1, 5, 64, 80)).astype(np.uint8).copy()
    root = tmp_path / "stack.ome.zarr"
    omero = omero_channels(["FFFFFF"], [(0, 255)])
    omero["rdefs"] = {"defaultZ": 3, "model": "color"}
    write_image(root, "", [data], "tczyx", chunks=(1, 1, 1, 64, 80), omero=omero)
    labels = np.zeros((2, 1, 5, 64, 80), dtype=np.uint16)
    labels[:, :, :, 10:30, 20:40] = 7
    write_image(root, "labels/cells", [labels], "tczyx", chunks=(1, 1, 1, 64, 80),
                extra_ome={"image-label": {"colors": [{"label-value": 7, "rgba": [255, 0, 0, 255]}]}})
    set_group_attrs(root, "labels", {"labels": ["cells"]})
    return root, data


def test_planes_keys_labels_and_status(qtbot, window, tmp_path: Path) -> None:
    root, data = write_stack(tmp_path)
    open_and_wait(qtbot, window, root)
    canvas, session = window.canvas, window.session
    assert window.state.plane == (0, 3)  # t = 0, rdefs defaultZ = 3
    width, height = canvas.view.size
    canvas.show_rect((0.0, 0.0, width * 0.5, height * 0.5))  # 1:1
    wait_sharp(qtbot, window)
    qtbot.waitUntil(lambda: not session.loading, timeout=TIMEOUT_MS)

    shot = screenshot(canvas)
    assert tuple(shot[5, 5]) == (4, 4, 4)  # value 10*0 + 3 + 1
    label_pixel = shot[20, 30].astype(int)  # red label at 50 % over grey 4
    assert abs(label_pixel[0] - 130) <= 3 and label_pixel[1] <= 3

    qtbot.keyClick(window, Qt.Key.Key_Up)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert window.state.plane == (1, 4)
    wait_sharp(qtbot, window)
    qtbot.waitUntil(lambda: not session.loading, timeout=TIMEOUT_MS)  # the label layer's tiles too
    assert tuple(screenshot(canvas)[5, 5]) == (15, 15, 15)

    window.label_panel.sliders[0].setValue(100)
    assert tuple(screenshot(canvas)[20, 30]) == (255, 0, 0)
    window.label_panel.boxes[0].setChecked(False)
    assert tuple(screenshot(canvas)[20, 30]) == (15, 15, 15)

    text = window.describe_point(*canvas.to_world((30.5, 20.5)))
    assert text.startswith("x 30, y 20 px") and "µm" in text
    assert "ch0 15" in text and "(level 0)" in text

    # Decoded copies of uploaded tiles may be let go: the read-out then asks for the shown level's
    # tile again and, meanwhile, says which coarser level it read.
    shown = session.stream.cache
    for owner, key in [k for k in list(shown.cache._items) if k[0] == shown.owner and k[1].level == 0]:
        shown.cache._discard((owner, key))
    text = window.describe_point(*canvas.to_world((30.5, 20.5)))
    assert "(level 0)" not in text
    qtbot.waitUntil(lambda: "(level 0)" in window.describe_point(*canvas.to_world((30.5, 20.5))), timeout=TIMEOUT_MS)
    assert "ch0 15" in window.describe_point(*canvas.to_world((30.5, 20.5)))

    # The label map's name and the id under the cursor, while the map is shown.
    assert "cells" not in window.describe_point(*canvas.to_world((30.5, 20.5)))  # hidden
    window.label_panel.boxes[0].setChecked(True)
    qtbot.waitUntil(lambda: window.describe_point(*canvas.to_world((30.5, 20.5))).endswith("   cells: 7"), timeout=TIMEOUT_MS)
    assert "cells" not in window.describe_point(*canvas.to_world((5.5, 5.5)))  # background: no label


def test_fit_and_zoom_keys(qtbot, window) -> None:
    open_and_wait(qtbot, window, sample_path())
    fitted = window.canvas.world_view()
    qtbot.keyClick(window, Qt.Key.Key_Plus)
    zoomed = window.canvas.world_view()
    assert zoomed.x1 - zoomed.x0 == pytest.approx((fitted.x1 - fitted.x0) / 1.25, rel=1e-6)
    qtbot.keyClick(window, Qt.Key.Key_0)
    assert window.canvas.world_view() == fitted


def test_another_image_of_the_file_is_shown_without_reopening_it(qtbot, window, tmp_path: Path) -> None:
    from tests.test_thumbnail import collection
    from viewer.render.composite import composite, to_uint8

    path = collection(tmp_path)
    open_and_wait(qtbot, window, path)
    first = window.session
    document = first.opened.document
    assert window.windowTitle() == f"col.ozx · {document.images()[0].name} — OZX Viewer"
    first_state = window.state
    first_state.set_channel(0, color="FF00FF")

    second_image = document.images()[1]
    window.show_image(second_image)
    qtbot.waitUntil(lambda: window.session is not first and window.session is not None, timeout=TIMEOUT_MS)
    wait_sharp(qtbot, window)
    assert window.session.opened.document is document  # the open file is reused
    assert window.windowTitle() == f"col.ozx · {second_image.name} — OZX Viewer"
    assert window.state is not first_state and window.state.image is second_image
    assert window.state.channels[0].color != "FF00FF"  # its own channel settings
    level = second_image.levels[0].array.read()
    expected = to_uint8(composite(level[None], window.state.channels))
    stream = window.session.stream
    assert_shows(window.canvas, stream.geometries[0], np.moveaxis(expected, -1, 0)[:3])
    assert not window.session.opened.session.closed

    session = window.session.opened.session
    open_and_wait(qtbot, window, sample_path())  # another file replaces the image
    qtbot.waitUntil(lambda: session.closed, timeout=TIMEOUT_MS)  # the last image let go of the file


def test_tiles_that_cannot_be_read_are_hatched_and_named(qtbot, window, tmp_path: Path) -> None:
    """A corrupt level-0 chunk: the coarser level stays under a hatched overlay there, a message
    says so, and the rest of the view is exact."""
    from viewer.render.failed_visual import HATCH_PERIOD_PX

    root = tmp_path / "broken.zarr"
    data = np.full((1024, 1024), 200, np.uint8)
    write_image(root, "", [data, data[::2, ::2].copy()], "yx", chunks=(512, 512),
                omero=omero_channels(["FFFFFF"], [(0, 255)]))
    (root / "0" / "c" / "0" / "1").write_bytes(b"\x13\x37" * 40)  # the top-right chunk of level 0
    messages: list[str] = []
    window.statusBar().messageChanged.connect(messages.append)
    window.open_path(str(root))
    qtbot.waitUntil(lambda: window.session is not None, timeout=TIMEOUT_MS)
    canvas, stream = window.canvas, window.session.stream
    canvas.show_rect((0.0, 0.0, 512.0, 512.0 * canvas.view.size[1] / canvas.view.size[0]))  # 1:1, the top half
    qtbot.waitUntil(lambda: bool(stream.failed_keys and window.session.failed_overlay.rects), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: stream.idle(), timeout=TIMEOUT_MS)
    assert any(m.startswith("Some tiles of this image cannot be read") for m in messages)
    assert [k.level for k in stream.failed_keys] == [0]
    x0, y0, x1, y1 = window.session.failed_overlay.rects[0]
    assert (x0, y0) == (256.0, 0.0) and x1 == 512.0  # world units: 0.5 µm pixels
    shot = screenshot(canvas).astype(int)
    height, width = shot.shape[:2]
    left = shot[10: height // 4, 10: width // 2 - 10]
    assert (left == 200).all()  # readable tiles: exact
    right = shot[10: height // 4, width // 2 + 10: width - 10]
    stripes = (right[..., 0] > right[..., 2] + 60)
    shaded = np.all(right < 150, axis=-1)
    assert stripes.mean() > 0.15 and shaded.mean() > 0.5  # hatched: light stripes over a darkened coarse level
    assert not np.any(np.all(right == 200, axis=-1))
    # the stripes repeat every HATCH_PERIOD_PX screen pixels along a row
    row = stripes[0]
    starts = np.flatnonzero(row[1:] & ~row[:-1])
    assert len(starts) > 3 and set(np.diff(starts)) <= {int(HATCH_PERIOD_PX)}


def test_planes_show_their_physical_position_and_play(qtbot, window, tmp_path: Path) -> None:
    root, data = write_stack(tmp_path)
    open_and_wait(qtbot, window, root)
    assert [label.text() for label in window._plane_labels] == ["0 / 1", "3 / 4 · 3 µm"]  # t has no unit
    window.state.set_plane((1, 2))
    assert [s.value() for s in window.plane_sliders] == [1, 2]
    assert window._plane_labels[1].text() == "2 / 4 · 2 µm"

    player = window.players[1]  # z
    seen: list[int] = []
    window.state.plane_changed.connect(lambda plane: seen.append(plane[1]))
    player.play()
    qtbot.waitUntil(lambda: len(seen) >= 6, timeout=TIMEOUT_MS)
    player.stop()
    assert seen[:6] == [3, 4, 0, 1, 2, 3]  # wraps at the end
    wait_sharp(qtbot, window)
    z = window.state.plane[1]
    shot = screenshot(window.canvas)
    assert tuple(shot[shot.shape[0] * 3 // 4, shot.shape[1] // 2]) == (10 + z + 1,) * 3  # the plane played to is shown
