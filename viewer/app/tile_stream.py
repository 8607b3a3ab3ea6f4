"""One layer's tile pipeline: schedule loads for the view, hand arrivals to the GUI thread,
upload them to textures a few per frame and tell the visual what to draw."""

from __future__ import annotations

import weakref
from typing import Callable, Sequence

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal

from ..render.canvas import ImageCanvas
from ..render.formats import texel
from ..render.textures import TextureStore
from ..tiles import (
    LevelGeometry,
    MemoryBudget,
    TileKey,
    TileScheduler,
    View,
    choose_level,
    draw_plan,
    fully_sharp,
    tiles_to_draw,
    visible_tiles,
)

#: Per frame at most this many tiles or bytes go to the GPU, so a frame never stalls.
UPLOADS_PER_FRAME = 4
UPLOAD_BYTES_PER_FRAME = 8 << 20
_BUSY_POLL_MS = 50
#: Tiles that arrive while the view stands still are shown together, at most this long after the
#: first: with a software rasterizer every frame costs the loader threads CPU time, and batching
#: arrivals made zoom steps and jumps sharp ~20 % sooner (benchmarks/bench_viewer.py).
ARRIVAL_BATCH_MS = 40
#: The loading indicator tells how long a tile takes when it takes at least this long.
SLOW_TILE_SECONDS = 0.1

TilePlanes = Callable[[np.ndarray], Sequence[np.ndarray]]


class TileStream(QObject):
    """Streams the tiles of one layer (`visual`) for the canvas' current view and plane.

    Tiles are loaded by `loader` on the scheduler's worker threads into this stream's share of
    `budget`'s cache; the GUI thread only uploads cached arrays (`planes` splits one into its
    textures) and draws; spare textures are kept within the stream's texture share. Tiles of
    the level shown that cannot be read are hatched on `failed_overlay` (if given). Emits
    `loading_changed(bool)` and `failed(str)` (a tile could not be read).
    """

    loading_changed = Signal(bool)
    failed = Signal(str)
    _arrived = Signal(object)
    _load_error = Signal(object, object)

    def __init__(
        self,
        canvas: ImageCanvas,
        visual,
        geometries: Sequence[LevelGeometry],
        loader: Callable[[TileKey], np.ndarray],
        planes: TilePlanes,
        budget: MemoryBudget,
        workers: int = 2,
        bias: float = 0.0,
        failed_overlay=None,
    ) -> None:
        super().__init__()
        self._canvas = canvas
        self._visual = visual
        self._geometries = list(geometries)
        self._loader = loader
        self._planes = planes
        self._bias = bias
        self._budget = budget
        self._failed_overlay = failed_overlay
        self.failed_keys: set[TileKey] = set()
        self.cache = budget.tile_share()
        self.textures = TextureStore(budget.texture_share())
        budget.join_textures(self.textures)
        self._view: View | None = None
        self._plane: tuple[int, ...] = ()
        self._requested: tuple[View, tuple[int, ...]] | None = None
        self._pump_queued = False
        self._frame_uploads = 0
        self._frame_bytes = 0
        self._uploads_left = False
        self._loading = False
        self._closed = False
        self._arrived.connect(self._on_arrived, Qt.ConnectionType.QueuedConnection)
        self._load_error.connect(self._on_load_error, Qt.ConnectionType.QueuedConnection)
        self._arrival_timer = QTimer(self, interval=ARRIVAL_BATCH_MS, singleShot=True)
        self._arrival_timer.timeout.connect(self._queue_pump)
        self._busy_timer = QTimer(self, interval=_BUSY_POLL_MS)
        self._busy_timer.timeout.connect(self._update_loading)
        canvas.events.draw.connect(self._on_frame)
        canvas.events.before_frame.connect(self._on_before_frame)
        # Worker threads hold only a weak reference, so this QObject is always freed on the GUI thread.
        ref = weakref.ref(self)
        self.scheduler = TileScheduler(
            loader, self.cache, lambda key, _array: _emit(ref, "_arrived", key), workers,
            lambda key, exc: _emit(ref, "_load_error", key, exc),
        )

    @property
    def geometries(self) -> list[LevelGeometry]:
        return self._geometries

    @property
    def loading(self) -> bool:
        """True while tiles of the current view are loading or waiting to be uploaded."""
        return self._loading

    def overview_progress(self) -> float | None:
        """Share of the coarsest level's tiles on the current plane that are built, when that level
        is virtual (made on demand from finer ones); None when it is stored."""
        index = len(self._geometries) - 1
        coarsest = self._geometries[index]
        if not coarsest.virtual:
            return None
        rows, cols = coarsest.grid
        built = sum(TileKey(index, self._plane, ty, tx) in self.textures or TileKey(index, self._plane, ty, tx) in self.cache
                    for ty in range(rows) for tx in range(cols))
        return built / (rows * cols)

    def loading_detail(self) -> str:
        """What the loading indicator adds for this layer: how much of a virtual overview is built
        and, when it is slow, how long a tile takes to read ("" when there is nothing to say)."""
        if not self._loading:
            return ""
        parts = []
        progress = self.overview_progress()
        if progress is not None and progress < 1:
            parts.append(f"overview {int(progress * 100)} %")
        seconds = getattr(self._loader, "tile_seconds", None)
        if seconds is not None and (parts or seconds >= SLOW_TILE_SECONDS):
            parts.append(f"{_round2(seconds * 1000)} ms per tile")
        return ", ".join(parts)

    def sharp(self) -> bool:
        """True when every visible tile of the chosen level is uploaded and drawn."""
        view = self._view
        if view is None or self._pump_queued or self._requested != (view, self._plane):
            return False
        chosen = choose_level(self._geometries, view, self._bias)
        return fully_sharp(self._geometries, view, self._plane, self.textures, chosen)

    def idle(self) -> bool:
        """True when nothing is loading, waiting for upload or about to be pumped."""
        return not self._pump_queued and not self._arrivals_waiting() and not self._uploads_left and self.scheduler.idle()

    def set_view(self, view: View) -> None:
        self._view = view
        self._queue_pump()

    def set_plane(self, plane: tuple[int, ...]) -> None:
        self._plane = tuple(plane)
        self._queue_pump()

    def chosen_level(self) -> int | None:
        if self._view is None:
            return None
        return choose_level(self._geometries, self._view, self._bias)

    def value_at(self, x: float, y: float) -> tuple[int, np.ndarray] | None:
        """(level, channel values at world (x, y)) from the finest cached tile there, or None.

        When that is coarser than the level shown (its decoded copy may have been let go once it
        was uploaded), the shown level's tile is requested, so asking again soon gives its values.
        Tiles must be packed (`formats.pack_channels`); the values include the packing's padding."""
        chosen = self.chosen_level()
        for index, geometry in enumerate(self._geometries):
            (sy, sx), (oy, ox) = geometry.scale, geometry.translation
            row, col = int(np.floor((y - oy) / sy)), int(np.floor((x - ox) / sx))
            if not (0 <= row < geometry.shape[0] and 0 <= col < geometry.shape[1]):
                return None
            ty, tx = row // geometry.tile[0], col // geometry.tile[1]
            key = TileKey(index, self._plane, ty, tx)
            if index == chosen and key not in self.cache:
                self.scheduler.request(key)
            tile = self.cache.get(key)
            if tile is not None:
                return index, texel(tile, row - ty * geometry.tile[0], col - tx * geometry.tile[1])
        return None

    def tile_now(self, key: TileKey) -> np.ndarray | None:
        """Tile `key` from the cache, else read at once (any thread; for samples, not for drawing).
        A virtual tile is only taken when built (None otherwise): building it is the loader
        threads' work, and a sample building it too would do that work twice."""
        tile = self.cache.get(key)
        if tile is not None:
            return tile
        if self._geometries[key.level].virtual:
            built = getattr(self._loader, "built", None)
            return built(key) if built is not None else None
        return self._loader(key)

    def failed_boxes(self, level: int, visible: list[tuple[int, int]]) -> list[tuple[float, float, float, float]]:
        """World boxes of the `visible` tiles of `level` on the current plane that failed to load."""
        if not self.failed_keys:
            return []
        geometry = self._geometries[level]
        return [geometry.tile_world_box(ty, tx) for ty, tx in visible
                if TileKey(level, self._plane, ty, tx) in self.failed_keys]

    def close(self) -> None:
        """Stop loading (without waiting for loads in progress) and free the textures."""
        self._closed = True
        self._busy_timer.stop()
        self._arrival_timer.stop()
        self._canvas.events.draw.disconnect(self._on_frame)
        self._canvas.events.before_frame.disconnect(self._on_before_frame)
        self.scheduler.shutdown(wait=False)
        self._canvas.set_loading_detail(self, "")
        self._visual.set_tiles([])
        if self._failed_overlay is not None:
            self._failed_overlay.set_rects([])
        self.textures.clear()
        self._budget.leave_textures(self.textures)
        self.cache.clear()

    # ---- the GUI-thread pump -----------------------------------------------------------------
    def pump_now(self) -> None:
        """Run a queued pump at once, e.g. so that a new image's cached tiles are in the next frame."""
        if self._pump_queued:
            self._pump()

    def _queue_pump(self) -> None:
        """Pump before the next frame (once per frame, however many changes came in between)."""
        if not self._pump_queued and not self._closed:
            self._pump_queued = True
            self._canvas.update()

    def _on_before_frame(self, event=None) -> None:
        if self._pump_queued:  # not pumped meanwhile by `pump_now`
            self._pump()

    def _on_arrived(self, key: TileKey) -> None:
        if key.plane == self._plane and not self._arrival_timer.isActive():
            self._arrival_timer.start()

    def _arrivals_waiting(self) -> bool:
        """Tiles arrived that the next pump shows (see ARRIVAL_BATCH_MS)."""
        return self._arrival_timer.isActive()

    def _on_load_error(self, key: TileKey, exc: Exception) -> None:
        if not self._closed:
            first = not self.failed_keys
            self.failed_keys.add(key)
            if first:
                self.failed.emit(f"Some tiles of this image cannot be read: {exc}")
            self._update_loading()
            self._queue_pump()

    def _on_frame(self, event=None) -> None:
        self._frame_uploads = self._frame_bytes = 0
        if self._uploads_left:
            self._queue_pump()

    def _pump(self) -> None:
        """Request what the view needs, upload a batch of arrived tiles, set the draw list."""
        self._pump_queued = False
        view = self._view
        if self._closed or view is None:
            return
        if self._requested != (view, self._plane):
            motion = _pan(self._requested[0], view) if self._requested is not None else (0.0, 0.0)
            self._requested = (view, self._plane)
            self.scheduler.update(self._geometries, view, self._plane, self._bias, resident=self.textures, motion=motion)
        chosen = choose_level(self._geometries, view, self._bias)
        # Uploaded tiles need no decoded copy: the cache may have let theirs go.
        wanted = tiles_to_draw(self._geometries, view, self._plane, _Either(self.textures, self.cache), chosen)
        # What this view still has to upload must survive a burst of arrivals until it is.
        visible = visible_tiles(self._geometries[chosen], view, margin=0)[0]
        needed = [TileKey(chosen, self._plane, ty, tx) for ty, tx in visible] + [key for key, _ in wanted]
        self.cache.protect(key for key in needed if key not in self.textures)
        self._uploads_left = False
        for key, array in wanted:  # coarsest first, so holes close early
            if key in self.textures:
                continue
            if self._frame_uploads >= UPLOADS_PER_FRAME or self._frame_bytes >= UPLOAD_BYTES_PER_FRAME:
                self._uploads_left = True
                break
            self.textures.upload(key, self._planes(array), self._geometries[key.level].tile_world_box(key.ty, key.tx))
            self.cache.demote(key)  # drawn from the texture now: its decoded copy goes first
            self._frame_uploads += 1
            self._frame_bytes += array.nbytes
        drawn = draw_plan(self._geometries, view, self._plane, self.textures, chosen)
        self._visual.set_tiles([(item, clip) for _, item, clip in drawn])
        if self._failed_overlay is not None:
            self._failed_overlay.set_rects(self.failed_boxes(chosen, visible))
        self.textures.trim(keep=[key for key, _ in wanted] + [key for key, _, _ in drawn])
        self._canvas.update()
        self._update_loading()
        self._canvas.set_loading_detail(self, self.loading_detail())  # per pump: arrivals, not a clock

    def _update_loading(self) -> None:
        loading = not self._closed and (self._uploads_left or self._arrivals_waiting() or not self.scheduler.idle())
        if loading:
            self._busy_timer.start()
        else:
            self._busy_timer.stop()
        if loading != self._loading:
            self._loading = loading
            self.loading_changed.emit(loading)
            if not loading:
                self._canvas.set_loading_detail(self, "")


def _round2(value: float) -> int:
    """`value` rounded to two significant digits (so the indicator does not flicker)."""
    return int(float(f"{value:.2g}")) if value >= 1 else round(value)


def _pan(before: View, after: View) -> tuple[float, float]:
    """How far the view panned, (dx, dy) in world units; (0, 0) if it zoomed or resized."""
    width, height = after.x1 - after.x0, after.y1 - after.y0
    if after.canvas_px != before.canvas_px or abs(width - (before.x1 - before.x0)) > 1e-6 * width \
            or abs(height - (before.y1 - before.y0)) > 1e-6 * height:
        return 0.0, 0.0
    (x0, y0), (x1, y1) = before.centre, after.centre
    return x1 - x0, y1 - y0


class _Either:
    """The tile source holding what either of two sources holds (the first one's item first)."""

    def __init__(self, first, second) -> None:
        self._first, self._second = first, second

    def get(self, key: TileKey) -> object | None:
        item = self._first.get(key)
        return item if item is not None else self._second.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._first or key in self._second


def _emit(ref: weakref.ref, signal: str, *args: object) -> None:
    stream = ref()
    if stream is not None:
        getattr(stream, signal).emit(*args)
