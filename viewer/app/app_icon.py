"""The application's window icon, drawn from the app icon SVG that ships as package data."""

from __future__ import annotations

from pathlib import Path

import viewer

from ..identity import APP_ICON

#: pixel sizes drawn for the icon (what window managers, task bars and the X11 `_NET_WM_ICON` use)
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)


def icon_path() -> Path:
    """The app icon SVG: package data of an installed wheel or a frozen bundle
    (`viewer/resources/`), else the source tree's `resources/icons/` (editable installs, checkouts)."""
    package = Path(viewer.__file__).resolve().parent
    candidates = [package / "resources" / f"{APP_ICON}.svg", package.parent / "resources" / "icons" / f"{APP_ICON}.svg"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return candidates[-1]


def app_icon():
    """A QIcon with one pixmap per size of ICON_SIZES; an empty QIcon when the SVG is missing or
    unreadable (the app runs on with the platform's default icon). Needs a QGuiApplication."""
    from PySide6.QtCore import QByteArray
    from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap
    from PySide6.QtSvg import QSvgRenderer

    icon = QIcon()
    try:
        svg = icon_path().read_bytes()
    except OSError:
        return icon
    renderer = QSvgRenderer(QByteArray(svg))
    if not renderer.isValid():
        return icon
    for size in ICON_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(0)  # transparent
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        icon.addPixmap(QPixmap.fromImage(image))
    return icon
