"""The error log: unexpected exceptions with their tracebacks, in a rotating per-user file."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

import platformdirs

from .recent_files import APP_DIR_NAME

LOG_BYTES = 1 << 20
LOG_BACKUPS = 3


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_DIR_NAME, appauthor=False))


def start_log() -> Path | None:
    """Send the `viewer` loggers' warnings and errors to `log_dir()/ozx-viewer.log` (rotating);
    returns the file, or None when the folder cannot be written (the app runs on without it)."""
    path = log_dir() / "ozx-viewer.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS,
                                                       encoding="utf-8", delay=True)
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.WARNING)
    logger = logging.getLogger("viewer")
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > logging.WARNING:
        logger.setLevel(logging.WARNING)
    return path
