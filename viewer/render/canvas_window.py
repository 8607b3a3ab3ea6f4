"""The native window the canvas' frames are shown in, embedded in the widget tree.

A native window is swapped by the render thread without Qt composing it with the widgets around
it (a QOpenGLWidget is composed by the GUI thread on every frame). It never takes the keyboard
focus, so the main window's shortcuts keep working; mouse input goes to the vispy canvas widget
(which stays hidden and only translates Qt events into vispy events), drags and drops to the
drag handlers of the container's top-level widget.

Drags over the image reach this window through its container (QWindowContainer passes drag
events on to the window it holds). They are handed to the top-level widget's handlers by a direct
call, once: sent to that widget as an event instead, Qt routed them back through the container
into this window, and the forwarding recursed until the process crashed.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QSurface, QSurfaceFormat, QWindow
from PySide6.QtWidgets import QApplication, QWidget

_MOUSE_EVENTS = {
    QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick,
    QEvent.Type.MouseMove, QEvent.Type.Wheel,
}
_embedded: set[CanvasWindow] = set()
#: drag event type -> name of the QWidget handler it is given to
_DRAG_HANDLERS = {
    QEvent.Type.DragEnter: "dragEnterEvent", QEvent.Type.DragMove: "dragMoveEvent",
    QEvent.Type.DragLeave: "dragLeaveEvent", QEvent.Type.Drop: "dropEvent",
}


def surface_format() -> QSurfaceFormat:
    """RGB, double-buffered, no depth or stencil (a 2D scene), no waiting for vertical sync."""
    fmt = QSurfaceFormat()
    fmt.setRedBufferSize(8)
    fmt.setGreenBufferSize(8)
    fmt.setBlueBufferSize(8)
    fmt.setSwapBehavior(QSurfaceFormat.SwapBehavior.DoubleBuffer)
    fmt.setSwapInterval(0)
    return fmt


class CanvasWindow(QWindow):
    """An OpenGL window that forwards its input. Called on the GUI thread: `on_resize(width,
    height, ratio)`, `on_expose()`, and `on_surface(exists)` after its native surface is created
    and before it is destroyed."""

    def __init__(self, input_widget: QWidget, on_resize: Callable[[int, int, float], None],
                 on_expose: Callable[[], None], on_surface: Callable[[bool], None]) -> None:
        super().__init__()
        self.setSurfaceType(QSurface.SurfaceType.OpenGLSurface)
        self.setFormat(surface_format())
        self.setFlag(Qt.WindowType.WindowDoesNotAcceptFocus, True)
        self._input = input_widget
        self._on_resize = on_resize
        self._on_expose = on_expose
        self._on_surface = on_surface
        self.container: QWidget | None = None
        self._forwarding_drag = False

    def embed(self, parent: QWidget | None) -> QWidget:
        """The widget that holds this window in a layout (made once)."""
        if self.container is None:
            self.container = QWidget.createWindowContainer(self, parent)
            # The container owns (and deletes) this window in C++, which PySide does not know:
            # until the container is gone, Python must not delete the window under it.
            _embedded.add(self)
            self.container.destroyed.connect(lambda *_: _embedded.discard(self))
            self.container.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.container.setMinimumSize(1, 1)
        return self.container

    def event(self, event: QEvent) -> bool:
        kind = event.type()
        if kind in _MOUSE_EVENTS:
            return QApplication.sendEvent(self._input, event)
        if kind in _DRAG_HANDLERS:
            return self._forward_drag(event)
        handled = super().event(event)
        if kind == QEvent.Type.PlatformSurface:
            self._on_surface(event.surfaceEventType() == event.SurfaceEventType.SurfaceCreated)
        return handled

    def _forward_drag(self, event: QEvent) -> bool:
        """Give a drag event to the top-level widget's handler (it accepts the proposed action
        of what it can open, so the drop arrives); ignored when re-entered or not embedded."""
        if self._forwarding_drag or self.container is None:
            event.ignore()
            return False
        self._forwarding_drag = True
        try:
            getattr(self.container.window(), _DRAG_HANDLERS[event.type()])(event)
        finally:
            self._forwarding_drag = False
        return event.isAccepted()

    def exposeEvent(self, event) -> None:
        if self.isExposed():
            self._on_expose()

    def resizeEvent(self, event) -> None:
        size = event.size()
        self._on_resize(size.width(), size.height(), self.devicePixelRatio())
