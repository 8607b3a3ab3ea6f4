"""Help › About: the versions of the viewer, Python, Qt and the libraries, and the OpenGL renderer."""

from __future__ import annotations

import importlib.metadata
import platform
import sys

from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from ..identity import APP_NAME, SUMMARY, VERSION

#: Libraries whose versions decide what the viewer reads and draws (it reads Zarr itself: zarr-python is not used).
LIBRARIES = ("PySide6", "vispy", "numpy", "numcodecs")


def package_version(name: str) -> str:
    """The version of an installed distribution or imported module, else "not installed"."""
    module = sys.modules.get(name.lower()) or sys.modules.get(name)
    version = getattr(module, "__version__", None)
    if version:
        return str(version)
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def version_rows(gl: dict[str, str] | None) -> list[tuple[str, str]]:
    """(component, version) for the About box; `gl` from `ImageCanvas.gl_info()` (None: unknown)."""
    rows = [(APP_NAME, VERSION), ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
            ("Qt", qVersion())]
    rows += [(name, package_version(name)) for name in LIBRARIES]
    if gl is None:
        rows.append(("OpenGL", "unknown (no canvas)"))
    else:
        rows += [("OpenGL renderer", gl.get("renderer", "?")), ("OpenGL version", gl.get("version", "?")),
                 ("OpenGL vendor", gl.get("vendor", "?"))]
    rows.append(("System", platform.platform()))
    return rows


def versions_text(rows: list[tuple[str, str]]) -> str:
    """Plain text of `version_rows`, one per line (for bug reports)."""
    return "\n".join(f"{name}: {value}" for name, value in rows)


class AboutDialog(QDialog):
    """Name, summary and a table of versions; Copy puts the versions on the clipboard."""

    def __init__(self, rows: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_NAME}")
        self.rows = rows
        title = QLabel(f"<b style='font-size: 15pt'>{APP_NAME}</b><br>{SUMMARY}")
        table = "".join(f"<tr><td style='padding-right: 16px; color: #555'>{_html(n)}</td><td>{_html(v)}</td></tr>"
                        for n, v in rows)
        self.table = QLabel(f"<table>{table}</table>")
        self.table.setTextFormat(Qt.TextFormat.RichText)
        self.table.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = QPushButton("Copy Versions")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(versions_text(self.rows)))
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        column = QVBoxLayout(self)
        column.addWidget(title)
        column.addSpacing(8)
        column.addWidget(self.table)
        column.addWidget(buttons)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
