"""A single-level image streamed into a real canvas: the overview builds, the indicator tells how far."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from tests.omezarr_fixtures import write_image
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

    def loader(key: TileKey) -> np.ndarray:
        with lock:
            first = key.level == coarsest and not passed
            if first:
                passed.append(key)
        if key.level == coarsest and not first:
            gate.wait(20)  # all but one overview tile wait: the indicator shows a part built
        return reader(key)

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
        gate.set()
        qtbot.waitUntil(lambda: stream.sharp() and stream.idle(), timeout=20000)
        assert stream.overview_progress() == 1.0
        assert stream.chosen_level() == coarsest
        qtbot.waitUntil(lambda: "overview" not in (canvas.loading_text or ""), timeout=5000)
    finally:
        gate.set()
        stream.close()
        canvas.close()
