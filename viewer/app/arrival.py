"""What arrives as a file to open (command line, drops, a second launch, macOS open events),
turned into absolute local paths. Standard library only: a second launch runs this first."""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit


def local_path(item: str, cwd: str | None = None) -> str | None:
    """An absolute path for a path or `file://` URI (relative paths against `cwd`); None for
    URLs of other schemes and macOS' legacy `-psn_…` arguments."""
    if item.startswith("-psn_"):
        return None
    if "://" in item or item.startswith("file:"):
        parts = urlsplit(item)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return None
        item = unquote(parts.path)
        if os.name == "nt" and item.startswith("/") and item[2:3] == ":":
            item = item[1:]  # file:///C:/x → C:/x
    return os.path.abspath(os.path.join(cwd or os.getcwd(), item))


def local_paths(items: list[str], cwd: str | None = None) -> tuple[list[str], list[str]]:
    """(absolute local paths, items refused because they are not local files)."""
    paths, refused = [], []
    for item in items:
        path = local_path(item, cwd)
        if path is None:
            if not item.startswith("-psn_"):
                refused.append(item)
        else:
            paths.append(path)
    return paths, refused
