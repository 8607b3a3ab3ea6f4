"""Run the viewer (`python viewer_probe.py STATE_FILE ARGS...` = `ozx-viewer ARGS...`) and report
what its windows show, for tests that drive it from outside with real X input.

Every 100 ms, STATE_FILE is replaced by a JSON object: "app" (the application's desktop file
name and the pixel sizes of its window icon) and "windows", one entry per visible main window:
its X window id, title, icon sizes, current status message, every status message it showed so
far, whether the empty state is shown, the path of the open image, and the screen rectangles
[x, y, width, height] of the canvas, the Channels panel, the status bar and the empty state.
"""

from __future__ import annotations

import json
import os
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDockWidget, QWidget

_messages: dict[int, list[str]] = {}


def _sizes(icon) -> list[int]:
    return sorted(size.width() for size in icon.availableSizes()) if not icon.isNull() else []


def _rect(widget: QWidget | None) -> list[int] | None:
    if widget is None or not widget.isVisible():
        return None
    corner = widget.mapToGlobal(widget.rect().topLeft())
    return [corner.x(), corner.y(), widget.width(), widget.height()]


def _describe(window) -> dict:
    key = int(window.winId())
    if key not in _messages:
        _messages[key] = []
        window.statusBar().messageChanged.connect(lambda text, key=key: text and _messages[key].append(text))
    session = window.session
    return {
        "id": key,
        "title": window.windowTitle(),
        "icon_sizes": _sizes(window.windowIcon()),
        "message": window.statusBar().currentMessage(),
        "messages": list(_messages[key]),
        "empty_state": window.empty_state.isVisible(),
        "path": session.opened.path if session is not None else None,
        "areas": {
            "canvas": _rect(window.canvas.widget),
            "channels": _rect(window.findChild(QDockWidget, "channels")),
            "status": _rect(window.statusBar()),
            "empty": _rect(window.empty_state),
        },
    }


def main() -> int:
    state_file = sys.argv[1]
    app = QApplication(sys.argv[:1])  # the viewer takes this one

    def dump() -> None:
        from viewer.app.window import MainWindow

        windows = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        temporary = state_file + ".tmp"
        state = {"app": {"desktop_file_name": app.desktopFileName(), "icon_sizes": _sizes(app.windowIcon())},
                 "windows": [_describe(w) for w in windows]}
        with open(temporary, "w", encoding="utf-8") as out:
            json.dump(state, out)
        os.replace(temporary, state_file)

    timer = QTimer()
    timer.timeout.connect(dump)
    timer.start(100)
    from viewer.cli import main as viewer_main

    return viewer_main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
