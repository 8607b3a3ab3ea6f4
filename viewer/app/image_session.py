"""Everything shown for one opened image: the composite layer, label overlays and their streams."""

from __future__ import annotations

import threading
from typing import Sequence

import numpy as np
from PySide6.QtCore import QObject, Signal

from ..ome.model import LabelMap, PlaneLayout
from ..render.canvas import ImageCanvas
from ..render.textures import texture_scale
from ..render.styles import ChannelStyle
from .loader import LabelTileLoader, level_index
from .preparing import OpenedImage, channel_slots, tile_loader
from .settings import cache_budget
from .tile_stream import TileStream

#: Label maps are shown at open only when there are at most this many.
MAX_LABELS_SHOWN = 2
LABEL_OPACITY = 0.5


class ImageSession(QObject):
    """Streams one image into the canvas; emits `loading_changed(bool)` and `failed(str)`."""

    loading_changed = Signal(bool)
    failed = Signal(str)

    def __init__(self, canvas: ImageCanvas, opened: OpenedImage) -> None:
        super().__init__()
        self.opened = opened
        image = opened.image
        self._canvas = canvas
        self.slots = channel_slots(image)
        self._scale = texture_scale(image.levels[0].dtype)
        self.composite = canvas.add_composite(self.slots)
        loader = tile_loader(opened)
        budget = cache_budget()
        self.stream = self._stream(self.composite, loader.geometries, loader, budget)
        for key, tile in opened.first_tiles.items():  # read while opening: the first frame needs no load
            self.stream.cache.put(key, tile)
        opened.first_tiles = {}
        self._label_budget = budget // 4
        self._labels: list[tuple[LabelMap, PlaneLayout]] = [(m, m.layout) for m in image.labels]
        self._label_layers: dict[int, tuple[object, TileStream]] = {}
        self._pending_opacity: dict[int, float] = {}
        self.labels_shown_at_open = len(image.labels) <= MAX_LABELS_SHOWN
        self.plane = opened.start_plane
        self._view = None
        self.stream.set_plane(self.plane)
        if self.labels_shown_at_open:
            for index in range(len(self._labels)):
                self.set_label_visible(index, True)

    @property
    def world_bounds(self) -> tuple[float, float, float, float]:
        return self.stream.geometries[0].world_bounds

    @property
    def loading(self) -> bool:
        return self.stream.loading or any(s.loading for _, s in self._label_layers.values())

    def set_styles(self, styles: Sequence[ChannelStyle]) -> None:
        self.composite.set_styles(list(styles)[: self.slots], self._scale)

    def set_view(self, view) -> None:
        self._view = view
        self.stream.set_view(view)
        for layer, stream in self._label_layers.values():
            if layer.visible:
                stream.set_view(view)

    def pump_now(self) -> None:
        """Request, upload and hand to the layers what is due now instead of on the next event loop
        turn (a new image's first tiles are already cached, so the next frame shows them)."""
        self.stream.pump_now()
        for _, stream in self._label_layers.values():
            stream.pump_now()

    def set_plane(self, plane: tuple[int, ...]) -> None:
        self.plane = tuple(plane)
        self.stream.set_plane(self.plane)
        for index, (_, stream) in self._label_layers.items():
            stream.set_plane(self._label_plane(index))

    def set_label_visible(self, index: int, visible: bool) -> None:
        if index not in self._label_layers:
            if not visible:
                return
            self._label_layers[index] = self._label_layer(index)
        layer, stream = self._label_layers[index]
        layer.visible = visible
        if visible and self._view is not None:
            stream.set_view(self._view)
        self._canvas.update()

    def set_label_opacity(self, index: int, opacity: float) -> None:
        if index in self._label_layers:
            self._label_layers[index][0].set_overlay_opacity(opacity)
        else:
            self._pending_opacity[index] = opacity

    def value_at(self, x: float, y: float) -> tuple[int, np.ndarray] | None:
        return self.stream.value_at(x, y)

    def close(self) -> None:
        """Stop all loading, remove the layers and close the document once loads have stopped."""
        streams = [self.stream] + [s for _, s in self._label_layers.values()]
        for stream in streams:
            stream.close()
        for layer in [self.composite] + [l for l, _ in self._label_layers.values()]:
            self._canvas.remove_layer(layer)
        document = self.opened.document
        schedulers = [stream.scheduler for stream in streams]  # no QObject may end on that thread

        def close_when_idle() -> None:
            for scheduler in schedulers:
                scheduler.shutdown(wait=True)
            document.close()

        threading.Thread(target=close_when_idle, name="close-document", daemon=True).start()

    # ---- helpers ---------------------------------------------------------------------------
    def _stream(self, visual, geometries, loader, budget: int, planes=None) -> TileStream:
        stream = TileStream(self._canvas, visual, geometries, loader, planes or (lambda tile: list(tile)), budget)
        stream.loading_changed.connect(lambda _on: self.loading_changed.emit(self.loading))
        stream.failed.connect(self.failed)
        return stream

    def _label_layer(self, index: int) -> tuple[object, TileStream]:
        label_map, layout = self._labels[index]
        layer = self._canvas.add_labels(self._pending_opacity.pop(index, LABEL_OPACITY))
        loader = LabelTileLoader(label_map.levels, layout, label_map.colors)
        stream = self._stream(layer, loader.geometries, loader, self._label_budget, planes=lambda tile: [tile])
        stream.set_plane(self._label_plane(index))
        return layer, stream

    def _label_plane(self, index: int) -> tuple[int, ...]:
        """The image plane on the label map's own slider axes, matched by axis name."""
        image = self.opened.image
        label_map, layout = self._labels[index]
        by_name = {image.axes[a].name: (v, image.levels[0].shape[a]) for a, v in zip(self.opened.layout.sliders, self.plane)}
        plane = []
        for axis in layout.sliders:
            size = label_map.levels[0].shape[axis]
            value, parent_size = by_name.get(label_map.axes[axis].name, (0, size))
            plane.append(level_index(value, parent_size, size))
        return tuple(plane)
