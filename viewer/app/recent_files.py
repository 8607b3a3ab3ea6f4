"""The Open Recent list: the last files opened, newest first, kept per user (no Qt)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import platformdirs

MAX_RECENT = 10
APP_DIR_NAME = "ozx-viewer"


def config_dir() -> Path:
    """The per-user folder for the viewer's own files (never next to an opened file)."""
    return Path(platformdirs.user_config_dir(APP_DIR_NAME, appauthor=False))


class RecentFiles:
    """Absolute paths, newest first, at most `MAX_RECENT`; saved atomically after each change."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / "recent.json"
        self._paths = self._load()

    @property
    def paths(self) -> list[str]:
        return list(self._paths)

    def add(self, path: str) -> None:
        path = os.path.abspath(path)
        self._paths = [path] + [p for p in self._paths if p != path][: MAX_RECENT - 1]
        self._save()

    def clear(self) -> None:
        self._paths = []
        self._save()

    def _load(self) -> list[str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        if not isinstance(data, list):
            return []
        return [p for p in data if isinstance(p, str)][:MAX_RECENT]

    def _save(self) -> None:
        """Write a temporary file beside the list and rename it over: never a half-written list."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(prefix=".recent-", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(self._paths, out, indent=1)
            os.replace(temporary, self.path)
        except OSError:  # a read-only home: the list just is not kept
            pass
