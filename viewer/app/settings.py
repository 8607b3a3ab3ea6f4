"""User settings kept by Qt (per user, never next to the opened file)."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings

from ..tiles import default_cache_budget

ORGANIZATION = "OZX Viewer"
APPLICATION = "OZX Viewer"
CACHE_KEY = "tiles/cache_mb"
MIN_CACHE_MB = 16


def _settings() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


def cache_budget() -> int:
    """Bytes the decoded-tile cache may hold: the user's setting, else `default_cache_budget()`."""
    value = _settings().value(CACHE_KEY)
    try:
        megabytes = int(value)
    except (TypeError, ValueError):
        return default_cache_budget()
    return max(megabytes, MIN_CACHE_MB) << 20


def set_cache_budget_mb(megabytes: int | None) -> None:
    """Store the cache size in MiB (None: back to the automatic size). Applies to images opened next."""
    settings = _settings()
    if megabytes is None:
        settings.remove(CACHE_KEY)
    else:
        settings.setValue(CACHE_KEY, max(int(megabytes), MIN_CACHE_MB))
    settings.sync()


def user_cache_mb() -> int | None:
    """The cache size the user chose in MiB, or None when the automatic size applies."""
    try:
        return max(int(_settings().value(CACHE_KEY)), MIN_CACHE_MB)
    except (TypeError, ValueError):
        return None


GEOMETRY_KEY = "window/geometry"


def window_geometry() -> QByteArray | None:
    """The last closed window's geometry (`QWidget.saveGeometry()`), or None."""
    value = _settings().value(GEOMETRY_KEY)
    return value if isinstance(value, QByteArray) and not value.isEmpty() else None


def set_window_geometry(geometry: QByteArray) -> None:
    settings = _settings()
    settings.setValue(GEOMETRY_KEY, geometry)
    settings.sync()


SIDE_PANEL_KEY = "window/side_panel_visible"


def side_panel_visible() -> bool:
    """Whether the image list of files with several images is shown (True until the user hides it)."""
    value = _settings().value(SIDE_PANEL_KEY, True)
    return value not in (False, "false", "0", 0)


def set_side_panel_visible(visible: bool) -> None:
    """Remember whether the user wants the image list (applies to every window and file)."""
    settings = _settings()
    settings.setValue(SIDE_PANEL_KEY, bool(visible))
    settings.sync()
