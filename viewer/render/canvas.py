"""The image canvas: a vispy SceneCanvas with a y-down pan/zoom camera, tile layers and overlays."""

from __future__ import annotations

import numpy as np
from vispy import scene
from vispy.util.event import Event

from ..tiles import View
from .tile_visual import CompositeTiles, LabelTiles
from .units import format_length, nice_length

Rect = tuple[float, float, float, float]

SCALE_BAR_TARGET_PX = 120
_MARGIN_PX = 16


class ImageCanvas(scene.SceneCanvas):
    """Shows tile layers in world (physical) coordinates, x right and y down, square world units.

    World units are physical, so anisotropic pixels keep their true aspect. Emits
    `events.view_changed` (no payload; ask `world_view()`) after every pan, zoom or resize.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(keys=None, bgcolor="black", **kwargs)
        self.unfreeze()
        self.events.add(view_changed=Event)
        self.view = self.central_widget.add_view(border_width=0)
        self.view.camera = scene.PanZoomCamera(aspect=1.0, flip=(False, True, False))
        self.view.scene.transform.changed.connect(self._on_view_changed)
        self.events.resize.connect(self._on_view_changed)
        self._unit: str | None = None
        self._bar = scene.visuals.Line(color="white", width=3, parent=self.view, method="gl")
        self._bar_text = scene.visuals.Text("", color="white", font_size=9, anchor_x="center",
                                            anchor_y="top", parent=self.view)
        self._loading = scene.visuals.Text("loading…", color=(1, 1, 0.5, 0.9), font_size=9,
                                           anchor_x="right", anchor_y="bottom", parent=self.view)
        self._loading.visible = False
        self._overlays_shown = True
        self._has_scale = False
        self._bar.visible = self._bar_text.visible = False
        self.freeze()

    # ---- layers ------------------------------------------------------------------------------
    def add_composite(self, slots: int) -> CompositeTiles:
        """A channel composite layer drawn under every label layer."""
        layer = CompositeTiles(slots, parent=self.view.scene)
        layer.order = 0
        return layer

    def add_labels(self, opacity: float = 0.5) -> LabelTiles:
        layer = LabelTiles(opacity, parent=self.view.scene)
        layer.order = 1
        return layer

    def remove_layer(self, layer: scene.Node) -> None:
        layer.parent = None

    # ---- camera ------------------------------------------------------------------------------
    def world_view(self) -> View:
        """The visible world rectangle and the canvas size in device pixels.

        Mapped from the view's corners: with a fixed aspect the camera shows more than its `rect`
        along one axis when the canvas' aspect differs.
        """
        width, height = self.view.size
        corners = self.view.scene.transform.imap(np.array([[0.0, 0.0], [width, height]]))
        (x0, y0), (x1, y1) = corners[:, :2] / corners[:, 3:4]
        ratio = self.pixel_scale
        return View(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1),
                    (max(int(round(width * ratio)), 0), max(int(round(height * ratio)), 0)))

    def fit(self, bounds: Rect) -> None:
        """Show the whole world rectangle, centred, with a small margin."""
        x0, y0, x1, y1 = bounds
        self.view.camera.set_range(x=(x0, x1), y=(y0, y1), margin=0.02)

    def zoom(self, factor: float, centre: tuple[float, float] | None = None) -> None:
        """Zoom in (factor > 1) or out around world point `centre` (default: the view centre)."""
        self.view.camera.zoom(1.0 / factor, center=centre)

    def show_rect(self, rect: Rect) -> None:
        """Show the world rectangle (x0, y0, x1, y1); it is widened about its centre if its
        aspect differs from the canvas', keeping square world units."""
        x0, y0, x1, y1 = rect
        self.view.camera.rect = (x0, y0, x1 - x0, y1 - y0)

    def to_world(self, pos: tuple[float, float]) -> tuple[float, float]:
        """World (x, y) under canvas position `pos` (logical pixels)."""
        x, y = self.scene.node_transform(self.view.scene).map((pos[0], pos[1]))[:2]
        return float(x), float(y)

    # ---- overlays ----------------------------------------------------------------------------
    def set_scale_unit(self, unit: str | None) -> None:
        """Show the scale bar for world units `unit` (a UDUNITS name; None: level-0 pixels)."""
        self._unit = unit
        self._has_scale = True
        self._bar.visible = self._bar_text.visible = self._overlays_shown
        self._place_overlays()

    def set_loading(self, loading: bool) -> None:
        if self._loading.visible != loading:
            self._loading.visible = loading
            self.update()

    @property
    def loading_shown(self) -> bool:
        return bool(self._loading.visible)

    def show_overlays(self, shown: bool) -> None:
        """Show or hide the scale bar and the loading indicator (tests compare bare pixels)."""
        self._overlays_shown = shown
        self._bar.visible = self._bar_text.visible = shown and self._has_scale
        self._loading.parent = self.view if shown else None
        self.update()

    def _on_view_changed(self, event=None) -> None:
        self._place_overlays()
        self.events.view_changed()

    def _place_overlays(self) -> None:
        width, height = self.view.size
        self._loading.pos = (width - _MARGIN_PX / 2, _MARGIN_PX / 2)
        view = self.world_view()
        if width <= 0 or view.x1 <= view.x0:
            return
        world_per_px = (view.x1 - view.x0) / width
        length = nice_length(SCALE_BAR_TARGET_PX * world_per_px)
        bar_px = length / world_per_px
        y = height - _MARGIN_PX
        self._bar.set_data(pos=[[_MARGIN_PX, y], [_MARGIN_PX + bar_px, y]])
        label, position = format_length(length, self._unit), (_MARGIN_PX + bar_px / 2, y - 4)
        if self._bar_text.text != label:  # re-laying out text every pan costs a frame's worth
            self._bar_text.text = label
        if tuple(self._bar_text.pos[0][:2]) != position:
            self._bar_text.pos = position
