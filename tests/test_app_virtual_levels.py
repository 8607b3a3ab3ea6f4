"""A single-level image streamed into a real canvas: the overview builds, the indicator tells how far."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np
import pytest

from tests.omezarr_fixtures import omero_channels, write_image
from viewer.app.loader import TileLoader
from viewer.app.tile_stream import TileStream
from viewer.ome import open_document
from viewer.render.canvas import ImageCanvas
from viewer.render.styles import ChannelStyle
from viewer.tiles import MemoryBudget, TileKey

pytestmark = pytest.mark.gui


def test_overview_progress_is_shown_while_virtual_tiles_arrive(qtbot, tmp_path: Path) -> None:
    data = np.random.default_rng(5).integers(1, 255, (1, 4096, 4096)).astype(np.uint8)
    write_image(tmp_path / "one", "", [data], "cyx", chunks=(1, 512, 512))
    image = open_document(tmp_path / "one").images()[0]
    reader = TileLoader(image.levels, image.layout)
    coarsest = len(reader.geometries) - 1
    assert reader.geometries[coarsest].virtual
    gate = threading.Event()
    passed: list[TileKey] = []
    lock = threading.Lock()

    class GatedLoader:
        """The real loader, but all overview tiles except one wait: the indicator shows a part built."""

        tile_seconds = property(lambda _self: reader.tile_seconds)  # what the indicator reports

        def __call__(self, key: TileKey) -> np.ndarray:
            with lock:
                first = key.level == coarsest and not passed
                if first:
                    passed.append(key)
            if key.level == coarsest and not first:
                gate.wait(20)
            return reader(key)

    loader = GatedLoader()

    canvas = ImageCanvas(size=(512, 512), show=True)
    layer = canvas.add_composite(1)
    layer.set_styles([ChannelStyle("FFFFFF", (0, 255))], 255.0)
    stream = TileStream(canvas, layer, reader.geometries, loader, list, MemoryBudget(64 << 20))
    canvas.events.view_changed.connect(lambda _e: stream.set_view(canvas.world_view()))
    try:
        canvas.set_loading(True)  # what the window does with `loading_changed`
        canvas.fit(reader.geometries[0].world_bounds)
        stream.set_view(canvas.world_view())
        rows, cols = reader.geometries[coarsest].grid
        qtbot.waitUntil(lambda: stream.overview_progress() == 1 / (rows * cols), timeout=10000)
        built = f"overview {int(100 / (rows * cols))} %"
        qtbot.waitUntil(lambda: built in (canvas.loading_text or ""), timeout=5000)  # updated as tiles arrive
        per_tile = re.search(r"overview \d+ %, (\d+) ms per tile", canvas.loading_text or "")
        assert per_tile is not None, canvas.loading_text  # how long one tile takes is reported
        measured = reader.tile_seconds * 1000  # no tile finishes while the gate is shut: it stays put
        assert abs(int(per_tile.group(1)) - measured) <= 0.05 * measured + 0.5  # two significant digits
        gate.set()
        qtbot.waitUntil(lambda: stream.sharp() and stream.idle(), timeout=20000)
        assert stream.overview_progress() == 1.0
        assert stream.chosen_level() == coarsest
        qtbot.waitUntil(lambda: "overview" not in (canvas.loading_text or ""), timeout=5000)
    finally:
        gate.set()
        stream.close()
        canvas.close()


def test_an_expensive_overview_opens_with_a_preview_under_the_tiles(qtbot, window, tmp_path: Path, monkeypatch) -> None:
    """The preview fills the first frame where no tile is built yet and goes once the overview is."""
    from tests.test_render_screenshots import TIMEOUT_MS, screenshot
    from viewer.app import preparing

    data = np.full((1, 2048, 2048), 90, np.uint8)
    write_image(tmp_path / "big", "", [data], "cyx", chunks=(1, 256, 256), omero=omero_channels(["FFFFFF"], [(0, 255)]))
    monkeypatch.setattr(preparing, "FIRST_TILES_MAX", 0)  # as if the overview were expensive
    gate = threading.Event()
    original = TileLoader.__call__
    monkeypatch.setattr(TileLoader, "__call__", lambda self, key: (gate.wait(20), original(self, key))[1])
    window.open_path(str(tmp_path / "big"))
    qtbot.waitUntil(lambda: window.session is not None, timeout=TIMEOUT_MS)
    session = window.session
    assert session.preview is not None and not session.stream.textures  # nothing loaded yet...
    qtbot.waitUntil(lambda: screenshot(window.canvas).max() > 0, timeout=TIMEOUT_MS)
    shot = screenshot(window.canvas)
    centre = shot[shot.shape[0] // 2, shot.shape[1] // 2]
    assert tuple(centre) == (90, 90, 90)  # ...yet the image is there: the preview
    gate.set()
    qtbot.waitUntil(lambda: session.preview is None, timeout=TIMEOUT_MS)  # the overview is built
    assert session.stream.overview_progress() == 1
    shot = screenshot(window.canvas)
    assert tuple(shot[shot.shape[0] // 2, shot.shape[1] // 2]) == (90, 90, 90)
