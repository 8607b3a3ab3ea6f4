"""Windows come back where they were: the last closed window's size and position, cascaded so a
new window never lies exactly on top of one already open."""

from __future__ import annotations

from typing import Iterable

from PySide6.QtWidgets import QWidget

from .settings import set_window_geometry, window_geometry

CASCADE = 32


def restore_geometry(window: QWidget, others: Iterable[QWidget] = ()) -> bool:
    """Give `window` the last saved geometry (True if there was one), moved down and right while
    its top-left corner coincides with one of `others` (open windows)."""
    saved = window_geometry()
    restored = saved is not None and window.restoreGeometry(saved)
    taken = {(w.x(), w.y()) for w in others if w is not window and w.isVisible()}
    if taken:
        x, y = window.x(), window.y()
        screen = window.screen().availableGeometry() if window.screen() is not None else None
        for _ in range(len(taken) + 1):
            if (x, y) not in taken:
                break
            x, y = x + CASCADE, y + CASCADE
            if screen is not None and (x + 200 > screen.right() or y + 200 > screen.bottom()):
                x, y = screen.left(), screen.top()  # off the screen: start again at its corner
        window.move(x, y)
    return restored


def save_geometry(window: QWidget) -> None:
    """Remember `window`'s size and position (full screen and maximised states included)."""
    set_window_geometry(window.saveGeometry())
