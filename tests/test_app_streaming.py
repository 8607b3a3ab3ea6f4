"""Tile streaming into a real canvas: a zoom burst leaves no stale work and the last view completes."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from viewer.app.tile_stream import TileStream
from viewer.render.canvas import ImageCanvas
from viewer.render.styles import ChannelStyle
from viewer.tiles import LevelGeometry, MemoryBudget, TileKey, fully_sharp, wanted_tiles

pytestmark = pytest.mark.gui
LOAD_SECONDS = 0.01


def test_zoom_burst_drops_stale_work_and_finishes_the_last_view(qtbot) -> None:
    side, levels = 65536, 9  # 8 × 256² tiles across the coarsest level's 256 px
    geometries = [LevelGeometry((side >> i, side >> i), (256, 256), (float(1 << i),) * 2) for i in range(levels)]
    loads: list[tuple[int, TileKey]] = []
    lock = threading.Lock()
    stream: TileStream

    def loader(key: TileKey) -> np.ndarray:
        generation = stream.scheduler.generation
        time.sleep(LOAD_SECONDS)
        r0, r1, c0, c1 = geometries[key.level].tile_box(key.ty, key.tx)
        with lock:
            loads.append((generation, key))
        return np.full((1, r1 - r0, c1 - c0), 40 + 20 * key.level, dtype=np.uint8)

    canvas = ImageCanvas(size=(640, 480), show=True)
    layer = canvas.add_composite(1)
    layer.set_styles([ChannelStyle("FFFFFF", (0, 255))], 255.0)
    stream = TileStream(canvas, layer, geometries, loader, list, MemoryBudget(256 << 20))
    canvas.events.view_changed.connect(lambda _e: stream.set_view(canvas.world_view()))
    try:
        canvas.fit(geometries[0].world_bounds)
        stream.set_view(canvas.world_view())
        qtbot.waitUntil(lambda: stream.sharp() and stream.idle(), timeout=10000)
        for i in range(50):
            canvas.zoom(1.15, centre=(side * 0.3, side * 0.6))
            QApplication.processEvents()
        final = canvas.world_view()
        assert stream.scheduler.wait_idle(timeout=20)
        qtbot.waitUntil(lambda: stream.sharp() and stream.idle(), timeout=10000)

        assert stream.scheduler.pending() == 0 and stream.scheduler.in_flight() == 0
        chosen = stream.chosen_level()
        assert chosen == 0
        assert fully_sharp(geometries, final, (), stream.cache, chosen)
        last = stream.scheduler.generation
        final_wanted = set(wanted_tiles(geometries, final, ()))
        stale_after_last = [k for g, k in loads if g == last and k not in final_wanted]
        assert len(stale_after_last) <= 2  # at most what the two workers had already popped
        every_view_wanted = 50 * len(final_wanted)
        assert len(loads) < every_view_wanted / 4, "superseded views were loaded anyway"
        shot = canvas.render()[..., 0]
        assert (shot == 40).all()  # the whole view shows level 0
    finally:
        stream.close()
        canvas.close()


def test_panning_with_a_small_cache_loads_each_tile_once(qtbot) -> None:
    """Drawn tiles live on as textures: their decoded copies may go, and once the first view is
    complete no tile is loaded twice while the view pans on across the image (the cache holds six
    tiles: the prefetch ahead and some slack)."""
    geometries = [LevelGeometry((512, 8192), (256, 256), (1.0, 1.0)), LevelGeometry((256, 4096), (256, 256), (2.0, 2.0))]
    loads: list[TileKey] = []

    def loader(key: TileKey) -> np.ndarray:
        loads.append(key)
        r0, r1, c0, c1 = geometries[key.level].tile_box(key.ty, key.tx)
        return np.full((1, r1 - r0, c1 - c0), 60 + key.tx % 100, dtype=np.uint8)

    budget = 6 * 256 * 256
    canvas = ImageCanvas(size=(640, 480), show=True)
    layer = canvas.add_composite(1)
    layer.set_styles([ChannelStyle("FFFFFF", (0, 255))], 255.0)
    stream = TileStream(canvas, layer, geometries, loader, list, MemoryBudget(budget))
    canvas.events.view_changed.connect(lambda _e: stream.set_view(canvas.world_view()))
    try:
        canvas.show_rect((0.0, 0.0, 640.0, 480.0))  # level 0, one screen pixel per pixel
        stream.set_view(canvas.world_view())
        qtbot.waitUntil(lambda: stream.sharp() and stream.idle(), timeout=10000)
        first = len(loads)
        for _ in range(12):
            canvas.view.camera.pan((200.0, 0.0))
            qtbot.waitUntil(lambda: stream.sharp() and stream.idle(), timeout=10000)
            assert stream.chosen_level() == 0
            assert stream.cache.nbytes <= budget  # nothing waits for upload now
        panned = [key for key in loads[first:] if key.level == 0]
        assert len(panned) == len(set(panned)), [k for i, k in enumerate(panned) if k in panned[:i]]
        assert len(set(panned)) >= 2 * 9  # the view moved 2400 px: 9 more tile columns
        view = canvas.world_view()
        shot = canvas.render()[..., 0]
        assert shot[240, 0] == 60 + (int(view.x0) // 256) % 100  # the level-0 tile at the left edge
    finally:
        stream.close()
        canvas.close()
