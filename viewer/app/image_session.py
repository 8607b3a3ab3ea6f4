"""Everything shown for one opened image: the composite layer, label overlays and their streams,
kept in step with the window's `ViewState`."""

from __future__ import annotations

import threading
import weakref

import numpy as np
from PySide6.QtCore import QObject, Signal

from ..ome.display_defaults import label_plane
from ..render.canvas import ImageCanvas
from ..render.formats import pack_channels
from ..render.textures import TextureStore, texture_scale
from ..tiles import MemoryBudget, View
from .label_probe import PENDING, LabelProbe
from .loader import LabelTileLoader
from .preparing import OpenedImage, channel_slots, tile_loader
from .tile_stream import TileStream
from .view_state import ViewState


class ImageSession(QObject):
    """Streams one image into the canvas as `state` says; emits `loading_changed(bool)` and
    `failed(str)`. Decoded tiles and textures come out of the app-wide `budget`."""

    loading_changed = Signal(bool)
    failed = Signal(str)
    label_ids_ready = Signal()

    def __init__(self, canvas: ImageCanvas, opened: OpenedImage, state: ViewState, budget: MemoryBudget) -> None:
        super().__init__()
        self.opened = opened
        self.state = state
        image = opened.image
        self._canvas = canvas
        self._budget = budget
        self.slots = channel_slots(image)
        self._scale = texture_scale(image.levels[0].dtype)
        self.composite = canvas.add_composite(self.slots)
        self.failed_overlay = canvas.add_failed_overlay()
        loader = tile_loader(opened)
        self.stream = self._stream(self.composite, loader.geometries, loader, failed_overlay=self.failed_overlay)
        self.preview = self._preview_layer(opened)
        for key, tile in opened.first_tiles.items():  # read while opening: the first frame needs no load
            self.stream.cache.put(key, tile)
        opened.first_tiles = {}
        self._label_layers: dict[int, tuple[object, TileStream]] = {}
        self._probes: dict[int, LabelProbe] = {}  # made when first asked (reading starts then)
        self._apply_styles()
        self.stream.set_plane(state.plane)
        for index, style in enumerate(state.labels):
            if style.visible:
                self._apply_label(index)
        self._bindings = [
            (state.channel_changed, self._apply_styles),
            (state.plane_changed, self._apply_plane),
            (state.label_changed, self._apply_label),
            (state.view_changed, self._apply_view),
        ]
        for event, callback in self._bindings:
            event.connect(callback)

    @property
    def world_bounds(self) -> tuple[float, float, float, float]:
        return self.stream.geometries[0].world_bounds

    @property
    def loading(self) -> bool:
        return self.stream.loading or any(s.loading for _, s in self._label_layers.values())

    def pump_now(self) -> None:
        """Request, upload and hand to the layers what is due now instead of on the next event loop
        turn (a new image's first tiles are already cached, so the next frame shows them)."""
        self.stream.pump_now()
        for _, stream in self._label_layers.values():
            stream.pump_now()

    def value_at(self, x: float, y: float) -> tuple[int, np.ndarray] | None:
        return self.stream.value_at(x, y)

    def label_ids_at(self, x: float, y: float) -> tuple[list[tuple[str, int]], bool]:
        """([(label map name, id)] of the shown label maps with a label at world (x, y), whether
        every id is known yet); `label_ids_ready` is emitted when a missing one arrives."""
        found, complete = [], True
        for index, label_map in enumerate(self.opened.image.labels):
            if not self.state.labels[index].visible:
                continue
            value = self._probe(index).value_at(x, y, self._label_plane(index))
            if value is PENDING:
                complete = False
            elif value:
                found.append((label_map.name, value))
        return found, complete

    def close(self) -> None:
        """Stop all loading, remove the layers and let go of the file once loads have stopped."""
        for event, callback in self._bindings:
            event.disconnect(callback)
        for probe in self._probes.values():
            probe.close()
        streams = [self.stream] + [s for _, s in self._label_layers.values()]
        for stream in streams:
            stream.close()
        for layer in [self.composite, self.failed_overlay] + [l for l, _ in self._label_layers.values()]:
            self._canvas.remove_layer(layer)
        self._drop_preview()
        session = self.opened.session
        schedulers = [stream.scheduler for stream in streams]  # no QObject may end on that thread

        def release_when_idle() -> None:
            for scheduler in schedulers:
                scheduler.shutdown(wait=True)
            session.release()

        threading.Thread(target=release_when_idle, name="close-image", daemon=True).start()

    # ---- following the state -----------------------------------------------------------------
    def _apply_styles(self, _index: int = 0) -> None:
        for layer in (self.composite, self.preview):
            if layer is not None:
                layer.set_styles(self.state.channels[: self.slots], self._scale)

    def _apply_plane(self, plane: tuple[int, ...]) -> None:
        self.stream.set_plane(plane)
        for index, (_, stream) in self._label_layers.items():
            stream.set_plane(self._label_plane(index))

    def _apply_view(self, view: View) -> None:
        self.stream.set_view(view)
        for layer, stream in self._label_layers.values():
            if layer.visible:
                stream.set_view(view)

    def _apply_label(self, index: int) -> None:
        style = self.state.labels[index]
        if index not in self._label_layers:
            if not style.visible:
                return
            self._label_layers[index] = self._label_layer(index)
        layer, stream = self._label_layers[index]
        layer.visible = style.visible
        layer.set_overlay_opacity(style.opacity)
        if style.visible and self.state.view is not None:
            stream.set_view(self.state.view)
        self._canvas.update()

    # ---- helpers ---------------------------------------------------------------------------
    def _preview_layer(self, opened: OpenedImage):
        """The preview (if the image opened with one) as a composite layer under the tiles: it
        shows wherever no tile is drawn yet."""
        if opened.preview is None:
            return None
        layer = self._canvas.add_composite(self.slots)
        layer.order = -1
        self._preview_textures = TextureStore(1 << 62)
        world = self.stream.geometries[0].world_bounds
        layer.set_tiles([self._preview_textures.upload("preview", list(pack_channels(opened.preview)), world)])
        opened.preview = None
        self.stream.loading_changed.connect(self._drop_preview_when_built)
        return layer

    def _drop_preview_when_built(self, loading: bool) -> None:
        """Once the overview is built, the preview could only show through transparent (NaN)
        pixels, where it does not belong."""
        if not loading and self.stream.overview_progress() == 1:
            self._drop_preview()

    def _drop_preview(self) -> None:
        if self.preview is not None:
            self._canvas.remove_layer(self.preview)
            self._preview_textures.clear()
            self.preview = None

    def _stream(self, visual, geometries, loader, planes=None, failed_overlay=None) -> TileStream:
        stream = TileStream(self._canvas, visual, geometries, loader, planes or (lambda tile: list(tile)), self._budget,
                            failed_overlay=failed_overlay)
        stream.loading_changed.connect(lambda _on: self.loading_changed.emit(self.loading))
        stream.failed.connect(self.failed)
        return stream

    def _label_layer(self, index: int) -> tuple[object, TileStream]:
        label_map = self.opened.image.labels[index]
        layer = self._canvas.add_labels(self.state.labels[index].opacity)
        loader = LabelTileLoader(label_map.levels, label_map.layout, label_map.colors)
        stream = self._stream(layer, loader.geometries, loader, planes=lambda tile: [tile])
        stream.set_plane(self._label_plane(index))
        return layer, stream

    def _probe(self, index: int) -> LabelProbe:
        if index not in self._probes:
            label_map = self.opened.image.labels[index]
            ref = weakref.ref(self)  # probe threads never keep this QObject alive
            self._probes[index] = LabelProbe(LabelTileLoader(label_map.levels, label_map.layout, label_map.colors),
                                             lambda: _emit_ready(ref))
        return self._probes[index]

    def _label_plane(self, index: int) -> tuple[int, ...]:
        return label_plane(self.opened.image, self.state.plane, self.opened.image.labels[index])


def _emit_ready(ref: weakref.ref) -> None:
    session = ref()
    if session is not None:
        session.label_ids_ready.emit()
