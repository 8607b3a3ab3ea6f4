"""Contrast tools: the values on screen, histograms with a draggable window, Auto and Reset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from tests.omezarr_fixtures import omero_channels, pyramid, write_image
from tests.test_render_screenshots import TIMEOUT_MS, open_and_wait, screenshot, wait_sharp
from viewer.app.contrast import histogram, sample_level, visible_sample
from viewer.render.formats import pack_channels
from viewer.tiles import LevelGeometry, TileKey, View


def geometries() -> list[LevelGeometry]:
    return [LevelGeometry((400, 600), (100, 100), (1.0, 1.0), (0.0, 0.0)),
            LevelGeometry((200, 300), (100, 100), (2.0, 2.0), (0.0, 0.0))]


def test_visible_sample_takes_the_view_at_a_level_that_fits() -> None:
    levels = geometries()
    data = [np.arange(2 * 400 * 600, dtype=np.uint16).reshape(2, 400, 600), None]
    data[1] = data[0][:, ::2, ::2]

    def tile(key: TileKey):
        r0, r1, c0, c1 = levels[key.level].tile_box(key.ty, key.tx)
        return pack_channels(data[key.level][:, r0:r1, c0:c1])

    view = View(150.0, 50.0, 350.0, 130.0, (800, 320))
    assert sample_level(levels, view, max_pixels=200 * 80) == 0
    assert sample_level(levels, view, max_pixels=200 * 80 - 1) == 1
    values = visible_sample(levels, tile, view, (), 2, max_pixels=200 * 80)
    assert [sorted(v.tolist()) for v in values] == [sorted(data[0][c, 50:130, 150:350].ravel().tolist()) for c in range(2)]
    coarse = visible_sample(levels, tile, view, (), 2, max_pixels=100)
    assert sorted(coarse[1].tolist()) == sorted(data[1][1, 25:65, 75:175].ravel().tolist())
    missing = visible_sample(levels, lambda key: None if key.tx == 1 else tile(key), view, (), 2, max_pixels=200 * 80)
    assert sorted(missing[0].tolist()) == sorted(data[0][0, 50:130, 200:350].ravel().tolist())  # tile column 1 left out


def test_histogram_bins_and_clips() -> None:
    counts = histogram(np.array([0, 1, 2, 3, 9, 10, 50, -4, np.nan]), (0.0, 10.0), bins=5)
    assert counts.tolist() == [3, 2, 0, 0, 3]  # -4 in the first bin, 10 and 50 in the last, NaN out
    assert histogram(np.zeros(0), (0.0, 1.0), bins=3).tolist() == [0, 0, 0]


@pytest.mark.gui
def test_a_dark_plate_is_fixed_by_auto_and_reset_goes_back(qtbot, window, tmp_path: Path) -> None:
    """A metadata window of 0–2040 over data of 52–81 shows black; Auto stretches it over what is
    on screen, the histogram shows where the values are, dragging an end changes the window."""
    rng = np.random.default_rng(3)
    data = rng.integers(52, 82, (600, 800)).astype(np.uint16)
    root = tmp_path / "dark.zarr"
    write_image(root, "", pyramid(data, 2), "yx", chunks=(256, 256),
                omero=omero_channels(["FFFFFF"], [(0, 2040)], ["DAPI"]))
    open_and_wait(qtbot, window, root)
    state, panel = window.state, window.channel_panel
    assert state.channels[0].window == (0.0, 2040.0)
    assert screenshot(window.canvas).max() <= 82 * 255 // 2040 + 1  # nearly black

    histogram_widget = panel.histograms[0]
    qtbot.waitUntil(lambda: histogram_widget.counts.sum() > 0, timeout=TIMEOUT_MS)
    lo, hi = histogram_widget.value_range
    assert lo == 0 and hi == 2040  # the range covers the values and the window
    filled = np.flatnonzero(histogram_widget.counts)
    assert filled.max() <= 82 * len(histogram_widget.counts) // 2040 + 1  # all values in the low bins

    qtbot.mouseClick(panel.auto_buttons[0], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: state.channels[0].window != (0.0, 2040.0), timeout=TIMEOUT_MS)
    start, end = state.channels[0].window
    assert 52 <= start <= 53 and 80 <= end <= 81
    assert (panel.start_spins[0].value(), panel.end_spins[0].value()) == (start, end)
    wait_sharp(qtbot, window)
    shot = screenshot(window.canvas)
    assert shot.mean() > 80 and shot.max() == 255

    # Drag the window's end to the middle of the histogram.
    qtbot.waitUntil(lambda: histogram_widget.value_range[1] < 100, timeout=TIMEOUT_MS)  # resampled
    x_end = round(histogram_widget.to_x(end))
    middle = histogram_widget.width() // 2
    qtbot.mousePress(histogram_widget, Qt.MouseButton.LeftButton, pos=QPoint(x_end, 10))
    qtbot.mouseMove(histogram_widget, QPoint(middle, 10))
    qtbot.mouseRelease(histogram_widget, Qt.MouseButton.LeftButton, pos=QPoint(middle, 10))
    assert state.channels[0].window[0] == start
    assert abs(state.channels[0].window[1] - histogram_widget.to_value(middle)) <= 1

    qtbot.mouseClick(panel.reset_buttons[0], Qt.MouseButton.LeftButton)
    assert state.channels[0].window == (0.0, 2040.0)


@pytest.mark.gui
def test_the_sample_leaves_overview_tiles_to_the_loaders_and_comes_again_when_they_are_built(
        qtbot, window, tmp_path: Path, monkeypatch) -> None:
    """An image without a pyramid: sampling the fitted view must not build the virtual overview
    tiles the loader threads are building (that doubled the work); the histogram fills once they are."""
    import threading

    from viewer.app import preparing
    from viewer.app.loader import TileLoader

    monkeypatch.setattr(preparing, "FIRST_TILES_MAX", 0)  # no tile built while opening
    data = np.full((1, 2048, 2048), 60, np.uint16)
    write_image(tmp_path / "flat", "", [data], "cyx", chunks=(1, 256, 256), omero=omero_channels(["FFFFFF"], [(0, 100)]))
    gate = threading.Event()
    readers: list[str] = []
    original = TileLoader.read

    def read(self, key):
        readers.append(threading.current_thread().name)
        if not threading.current_thread().name.startswith("tile-loader"):
            return original(self, key)
        gate.wait(20)
        return original(self, key)

    monkeypatch.setattr(TileLoader, "read", read)
    window.open_path(str(tmp_path / "flat"))
    qtbot.waitUntil(lambda: window.session is not None, timeout=TIMEOUT_MS)
    stream = window.session.stream
    assert stream.geometries[-1].virtual
    histogram_widget = window.channel_panel.histograms[0]
    sampler = window.sampler
    qtbot.waitUntil(lambda: sampler.values is not None, timeout=TIMEOUT_MS)  # sampled while nothing is built
    assert sampler.values[0].size == 0 and histogram_widget.counts.sum() == 0
    assert not [name for name in readers if name.startswith("contrast-sample")]
    gate.set()
    qtbot.waitUntil(lambda: histogram_widget.counts.sum() > 0, timeout=TIMEOUT_MS)  # sampled again once loaded
    assert set(np.unique(sampler.values[0])) == {60}
    assert not [name for name in readers if name.startswith("contrast-sample")]
