"""The image canvas: a vispy SceneCanvas with a y-down pan/zoom camera, tile layers and overlays,
rendered on a thread of its own into a native window."""

from __future__ import annotations

import threading

import numpy as np
import shiboken6
from PySide6.QtCore import QTimer, Qt
from PySide6.QtWidgets import QWidget
from vispy import scene
from vispy.gloo import gl
from vispy.gloo.context import set_current_canvas
from vispy.util.event import Event

from ..tiles import View
from .canvas_window import CanvasWindow
from .overlay import CanvasOverlay
from .render_thread import FrameRenderer, GlirCollector
from .failed_visual import FailedTiles
from .tile_visual import CompositeTiles, LabelTiles
from .units import format_length, nice_length

Rect = tuple[float, float, float, float]

SCALE_BAR_TARGET_PX = 120


class ImageCanvas(scene.SceneCanvas):
    """Shows tile layers in world (physical) coordinates, x right and y down, square world units.

    World units are physical, so anisotropic pixels keep their true aspect. Put `widget` in a
    layout. Emits `events.view_changed` (no payload; ask `world_view()`) after every pan, zoom or
    resize, and `events.presented` (`pixels`: the frame read back if `read_back` was set, else
    None) when a frame is on screen.

    Frames are paced: `update()` (which every scene change calls) only arms a short timer; when it
    fires, `events.before_frame` lets the layers do their once-per-frame work (tile requests and
    uploads), then `events.draw` turns the scene into GL commands, which a `FrameRenderer`
    rasterizes and shows on its own thread. One frame is on its way at a time; updates asked for
    meanwhile re-arm the timer once it is shown, so the event loop (input, timers, arrivals) always
    runs between two frames and a burst of view changes costs one frame, not one each. vispy's
    own Qt widget (`native`) is never shown: it only turns the window's mouse input into vispy
    events.
    """

    def __init__(self, parent: QWidget | None = None, size: tuple[int, int] = (800, 600), show: bool = False) -> None:
        self._frame_timer: QTimer | None = None
        super().__init__(app="pyside6", keys=None, bgcolor="black", autoswap=False, size=size)
        self.unfreeze()
        self.events.add(view_changed=Event, before_frame=Event, presented=Event)
        # Before any GL command is issued: the render thread replays them all.
        self._collector = GlirCollector()
        self.context.shared.parser = self._collector
        self.native.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._window = CanvasWindow(self.native, self._on_resized, self.update, self._on_surface)
        self._widget = self._window.embed(parent)
        self._widget.resize(*size)
        self._renderer = FrameRenderer(self._window, self._collector)
        self._renderer.presented.connect(self._on_presented)
        self.read_back = False
        self._frame_drawing = False  # a frame is on its way, from its commands until shown
        self._shown_frames = 0
        self._overlays_due = False
        self._in_before_frame = False
        self._frame_wanted = False
        # 1 ms, not 0: Qt runs a zero timer before timers that are overdue already, so a frame
        # asked for during a long stint (the window's first show) would extend it.
        self._frame_timer = QTimer(self.native, singleShot=True, interval=1)  # dies with the widget
        self._frame_timer.timeout.connect(self._start_frame)
        self.view = self.central_widget.add_view(border_width=0)
        self.view.camera = scene.PanZoomCamera(aspect=1.0, flip=(False, True, False))
        self.view.scene.transform.changed.connect(self._on_view_changed)
        self.events.resize.connect(self._on_view_changed)
        self._unit: str | None = None
        self._overlay = CanvasOverlay(self.scene)
        self._overlays_shown = True
        self._has_scale = False
        self._loading = False
        self._loading_details: dict[int, str] = {}  # per source (a layer's stream): its detail
        self._gl_info: dict[str, str] | None = None
        self.freeze()
        if show:
            self._widget.show()

    @property
    def widget(self) -> QWidget:
        """The widget showing the canvas (holds its native window)."""
        return self._widget

    @property
    def surface(self) -> CanvasWindow:
        """The native window the frames are shown in; it receives the mouse input and drops."""
        return self._window

    def show(self, visible: bool = True, run: bool = False) -> None:
        self._widget.setVisible(visible)

    def close(self) -> None:
        """Stop rendering (again: nothing happens)."""
        self._renderer.close()
        self._frame_timer.stop()
        super().close()
        # The container (and the native window in it) is deleted with its parent widget: deleting
        # it here, in C++, would leave PySide a dangling child wrapper to touch when the parent
        # goes (a segfault at every quit).
        if shiboken6.isValid(self._widget) and self._widget.parent() is None:
            shiboken6.delete(self._widget)  # no parent to do it: PySide deletes it, and knows

    # ---- frame pacing ------------------------------------------------------------------------
    def update(self, node=None) -> None:
        timer = self._frame_timer
        if timer is None or self._closed:  # still constructing, or closed
            return
        if self._frame_drawing:
            self._frame_wanted = True
        elif not self._in_before_frame and not timer.isActive():
            timer.start()

    @property
    def frame_pending(self) -> bool:
        """True when a frame is requested and its `before_frame` has not run yet."""
        return self._frame_timer is not None and (self._frame_timer.isActive() or self._frame_wanted)

    def _start_frame(self) -> None:
        if not self._window.isExposed():
            self._frame_wanted = True  # drawn when exposed
            return
        self._in_before_frame = True
        try:
            self.events.before_frame()
            if self._shown_frames:  # the first frame brings only the image: less to wait for,
                self._flush_overlays()  # and the overlays' first paint and shaders come a frame later
        finally:
            self._in_before_frame = False
        self._frame_drawing = True
        self._frame_wanted = self._overlays_due
        self.set_current()
        self.events.draw(region=None)  # vispy draws the scene (`on_draw`) into GL commands
        self.context.flush_commands()
        self._renderer.submit(self._collector.take(), tuple(int(v) for v in self.physical_size), self.read_back)

    def _on_presented(self, pixels: np.ndarray | None) -> None:
        self._frame_drawing = False
        self._shown_frames += 1
        self.events.presented(pixels=pixels)
        if self._frame_wanted:
            self._frame_wanted = False
            self._frame_timer.start()

    def _on_resized(self, width: int, height: int, ratio: float) -> None:
        self.native.resize(width, height)  # vispy takes the canvas size from its widget
        physical = (int(round(width * ratio)), int(round(height * ratio)))
        self.native._vispy_set_physical_size(*physical)
        self.events.resize(size=(width, height), physical_size=physical)

    def _on_surface(self, exists: bool) -> None:
        self._renderer.use_window(exists)
        if exists:
            self.update()

    def set_current(self, event=None) -> None:
        collector = getattr(self, "_collector", None)  # None while vispy constructs the canvas
        if collector is not None and threading.get_ident() == collector.render_thread:  # `render()`
            set_current_canvas(self)
        else:
            super().set_current(event)

    def render(self, *args, **kwargs) -> np.ndarray:
        """What the canvas shows (see vispy's `SceneCanvas.render`), drawn on the render thread."""
        self._flush_overlays()
        return self._renderer.call(lambda: super(ImageCanvas, self).render(*args, **kwargs))

    def gl_info(self) -> dict[str, str]:
        """The OpenGL vendor, renderer and version strings of the context the canvas draws with."""
        if self._gl_info is None:
            def query() -> dict[str, str]:
                return {name: str(gl.glGetParameter(getattr(gl, f"GL_{name.upper()}")))
                        for name in ("vendor", "renderer", "version")}

            self._gl_info = self._renderer.call(query)
        return dict(self._gl_info)

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

    def add_failed_overlay(self) -> FailedTiles:
        """Hatching over parts whose tiles cannot be read, drawn over every image and label layer."""
        layer = FailedTiles(parent=self.view.scene)
        layer.order = 2
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
        self._overlays_changed()

    def set_loading(self, loading: bool) -> None:
        self._loading = loading
        self._overlays_changed()

    def set_loading_detail(self, source: object, detail: str) -> None:
        """What `source` (e.g. one layer's tile stream) adds to the loading indicator ("" nothing)."""
        if self._loading_details.get(id(source), "") != detail:
            if detail:
                self._loading_details[id(source)] = detail
            else:
                self._loading_details.pop(id(source), None)
            self._overlays_changed()

    @property
    def loading_shown(self) -> bool:
        self._flush_overlays()
        return self._overlay.loading

    @property
    def loading_text(self) -> str | None:
        """The loading indicator's text while it is shown, else None."""
        self._flush_overlays()
        return self._overlay.loading_text

    @property
    def scale_bar(self) -> tuple[float, str] | None:
        """The scale bar shown: (length in logical pixels, label), or None."""
        self._flush_overlays()
        return self._overlay.bar

    def show_overlays(self, shown: bool) -> None:
        """Show or hide the scale bar and the loading indicator."""
        self._overlays_shown = shown
        self._overlays_changed()

    def _on_view_changed(self, event=None) -> None:
        self._overlays_changed()
        self.events.view_changed()

    def _overlays_changed(self) -> None:
        """Place the overlays again with the next frame (once, however many changes came first)."""
        self._overlays_due = True
        self.update()

    def _flush_overlays(self) -> None:
        if self._overlays_due:
            self._overlays_due = False
            self._overlay.place(self._scale_bar(), self._loading and self._overlays_shown,
                                (*self.size, self.pixel_scale), " · ".join(self._loading_details.values()))

    def _scale_bar(self) -> tuple[float, str] | None:
        width = self.view.size[0]
        view = self.world_view()
        if not (self._has_scale and self._overlays_shown) or width <= 0 or view.x1 <= view.x0:
            return None
        world_per_px = (view.x1 - view.x0) / width
        length = nice_length(SCALE_BAR_TARGET_PX * world_per_px)
        return round(float(length / world_per_px), 2), format_length(length, self._unit)
