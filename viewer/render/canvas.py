"""The image canvas: a vispy SceneCanvas with a y-down pan/zoom camera, tile layers and overlays."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QTimer
from vispy import scene
from vispy.util.event import Event

from ..tiles import View
from .overlay import CanvasOverlay
from .tile_visual import CompositeTiles, LabelTiles
from .units import format_length, nice_length

Rect = tuple[float, float, float, float]

SCALE_BAR_TARGET_PX = 120


class ImageCanvas(scene.SceneCanvas):
    """Shows tile layers in world (physical) coordinates, x right and y down, square world units.

    World units are physical, so anisotropic pixels keep their true aspect. Emits
    `events.view_changed` (no payload; ask `world_view()`) after every pan, zoom or resize.

    Frames are paced: `update()` (which every scene change calls) only arms a zero timer; when it
    fires, `events.before_frame` lets the layers do their once-per-frame work (tile requests and
    uploads) and then the repaint is requested. Updates asked for while a frame is drawn re-arm
    the timer after that frame, so the event loop (input, timers, arrivals) always runs between
    two frames and a burst of view changes costs one frame, not one each. The QOpenGLWidget
    composes and swaps the window itself, so the canvas does not swap its context (`autoswap`).
    """

    def __init__(self, **kwargs) -> None:
        self._frame_timer: QTimer | None = None
        super().__init__(keys=None, bgcolor="black", autoswap=False, **kwargs)
        self.unfreeze()
        self.events.add(view_changed=Event, before_frame=Event)
        self._frame_drawing = False
        self._overlays_due = False
        self._in_before_frame = False
        self._frame_wanted = False
        self._frame_timer = QTimer(self.native, singleShot=True, interval=0)  # dies with the widget
        self._frame_timer.timeout.connect(self._start_frame)
        self.events.draw.connect(self._on_draw_start, position="first")
        self.events.draw.connect(self._on_draw_end, position="last")
        self.view = self.central_widget.add_view(border_width=0)
        self.view.camera = scene.PanZoomCamera(aspect=1.0, flip=(False, True, False))
        self.view.scene.transform.changed.connect(self._on_view_changed)
        self.events.resize.connect(self._on_view_changed)
        self._unit: str | None = None
        self._overlay = CanvasOverlay(self.native)
        self._overlays_shown = True
        self._has_scale = False
        self._loading = False
        self.freeze()

    # ---- frame pacing ------------------------------------------------------------------------
    def update(self, node=None) -> None:
        timer = self._frame_timer
        if timer is None:  # still constructing
            super().update(node)
        elif self._frame_drawing:
            self._frame_wanted = True
        elif not self._in_before_frame and not timer.isActive():
            timer.start()

    @property
    def frame_pending(self) -> bool:
        """True when a frame is requested and its `before_frame` has not run yet."""
        return self._frame_timer is not None and (self._frame_timer.isActive() or self._frame_wanted)

    def _start_frame(self) -> None:
        self._in_before_frame = True
        try:
            self.events.before_frame()
            self._flush_overlays()
        finally:
            self._in_before_frame = False
        super().update()

    def _on_draw_start(self, event=None) -> None:
        self._frame_drawing = True
        self._frame_wanted = False

    def _on_draw_end(self, event=None) -> None:
        self._frame_drawing = False
        if self._frame_wanted:
            self._frame_wanted = False
            self._frame_timer.start()

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
        self._place_overlays()

    def set_loading(self, loading: bool) -> None:
        self._loading = loading
        self._defer_overlays()

    @property
    def loading_shown(self) -> bool:
        self._flush_overlays()
        return self._overlay.loading

    @property
    def scale_bar(self) -> tuple[float, str] | None:
        """The scale bar shown: (length in logical pixels, label), or None."""
        self._flush_overlays()
        return self._overlay.bar

    @property
    def overlay(self) -> CanvasOverlay:
        """The Qt widget over the canvas that paints the scale bar and the loading indicator."""
        return self._overlay

    def show_overlays(self, shown: bool) -> None:
        """Show or hide the scale bar and the loading indicator.

        They are painted by Qt over the canvas and never appear in the GL framebuffer."""
        self._overlays_shown = shown
        self._overlay.set_loading(self._loading and shown)
        self._place_overlays()

    def _on_view_changed(self, event=None) -> None:
        self.update()
        self._defer_overlays()
        self.events.view_changed()

    def _defer_overlays(self) -> None:
        """Repaint the overlays with the next frame when one is coming, else now.

        Any widget repaint makes Qt compose and swap the whole window (GL texture included):
        repainting the overlay apart from the frame would cost a second composition."""
        self._overlays_due = True
        if not self.frame_pending:
            self._flush_overlays()

    def _flush_overlays(self) -> None:
        if self._overlays_due:
            self._overlays_due = False
            self._overlay.set_loading(self._loading and self._overlays_shown)
            self._place_overlays()

    def _place_overlays(self) -> None:
        width = self.view.size[0]
        view = self.world_view()
        if not (self._has_scale and self._overlays_shown) or width <= 0 or view.x1 <= view.x0:
            self._overlay.set_bar(None)
            return
        world_per_px = (view.x1 - view.x0) / width
        length = nice_length(SCALE_BAR_TARGET_PX * world_per_px)
        self._overlay.set_bar((round(float(length / world_per_px), 2), format_length(length, self._unit)))
