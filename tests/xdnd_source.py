"""A tiny drag source, another process like a file manager: `python xdnd_source.py URLS_FILE RESULTS_FILE`.

Shows a small window titled "xdnd source" at the bottom right of the screen. Each mouse press
starts a `QDrag` of `text/uri-list` with the URLs in URLS_FILE (one per line, read at the press:
absolute paths become `file://` URLs), offering Copy; when the drag ends, the drop action the
target chose ("CopyAction", or "IgnoreAction" when it refused) is appended to RESULTS_FILE.
Needs only PySide6 (run it with `python -P` so that nothing of the project is imported).
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QDrag, QMouseEvent
from PySide6.QtWidgets import QApplication, QLabel

TITLE = "xdnd source"
SIZE = (120, 60)


class Source(QLabel):
    def __init__(self, urls_file: Path, results_file: Path) -> None:
        super().__init__("drag me")
        self.urls_file = urls_file
        self.results_file = results_file

    def mousePressEvent(self, event: QMouseEvent) -> None:
        items = [line for line in self.urls_file.read_text(encoding="utf-8").splitlines() if line]
        mime = QMimeData()
        mime.setUrls([QUrl(item) if "://" in item else QUrl.fromLocalFile(item) for item in items])
        drag = QDrag(self)
        drag.setMimeData(mime)
        action = drag.exec(Qt.DropAction.CopyAction)
        with self.results_file.open("a", encoding="utf-8") as results:
            results.write(f"{action.name}\n")


def main() -> int:
    app = QApplication(sys.argv[:1])
    source = Source(Path(sys.argv[1]), Path(sys.argv[2]))
    source.setWindowTitle(TITLE)
    source.resize(*SIZE)
    screen = app.primaryScreen().geometry()
    source.move(screen.right() - SIZE[0] - 20, screen.bottom() - SIZE[1] - 20)
    source.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
