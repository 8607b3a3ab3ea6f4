"""`ozx-viewer --self-test [FILE]`: prove that this installation can show an image.

Starts the viewer on the current display the way `ozx-viewer FILE` does, waits for the first
frame on screen that holds image pixels, then reads a part of every level of every image of the
file, prints one line and exits 0, or 1 with the reason. Works the same in a frozen bundle, so
installers and CI can check the real thing.
"""

from __future__ import annotations

import math
import os
import sys
import time

# the GUI start's import order (vispy before PySide6, see main.py)
from . import main as _main  # noqa: F401,I001
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from ..identity import APP_ID, APP_NAME
from .startup import PendingOpen
from .window import MainWindow

#: a frame counts as an image when this share of its pixels is not (near) black
MIN_IMAGE_FRACTION = 0.02
TIMEOUT_S = 60.0
#: levels up to this size are read whole, larger ones by their first and last chunk
WHOLE_LEVEL_BYTES = 64 << 20


def run(paths: list[str], pending: PendingOpen) -> int:
    """Show `pending`'s file, check the first image frame and every level; 0 passed, 1 failed."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setDesktopFileName(APP_ID)
    window = MainWindow()
    result: dict[str, object] = {}

    def finish(status: int, message: str) -> None:
        if not result:
            result.update(status=status, message=message)
            window.close()  # the last window: the app quits as when a user closes it

    def on_presented(event) -> None:
        if result or event.pixels is None or window.session is None:
            return
        fraction = image_fraction(event.pixels)
        if fraction < MIN_IMAGE_FRACTION:
            return
        window.canvas.read_back = False
        frame = f"first image frame {since_start()} ({fraction:.0%} of the canvas)"
        QTimer.singleShot(0, lambda: finish(*check_levels(pending.path, frame)))

    window.opener.failed.connect(lambda path, message: finish(1, f"cannot open {path}: {message}"))
    window.canvas.read_back = True
    window.canvas.events.presented.connect(on_presented)
    window.show()
    QTimer.singleShot(0, lambda: window.open_pending(pending))
    QTimer.singleShot(int(TIMEOUT_S * 1000), lambda: finish(1, f"no image on screen within {TIMEOUT_S:.0f} s"))
    app.exec()
    status = int(result.get("status", 1))
    message = str(result.get("message", "the window closed before an image was shown"))
    print(f"ozx-viewer self-test {'passed' if status == 0 else 'FAILED'}: {pending.path}: {message}",
          file=sys.stdout if status == 0 else sys.stderr)
    return status


def image_fraction(pixels) -> float:
    """Share of (every 4th row and column of) an RGB(A) frame that is not near black."""
    rgb = pixels[::4, ::4, :3]
    return float((rgb > 12).any(axis=-1).mean())


def since_start() -> str:
    """'after N.NNN s' since the process was created (Linux), else since Python started."""
    try:
        with open("/proc/self/stat") as f:
            stat = f.read()
        ticks = int(stat[stat.rindex(")") + 2:].split()[19])
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
        return f"after {age:.3f} s"
    except (OSError, ValueError, AttributeError):
        return f"after {time.perf_counter():.3f} s of Python"


def check_levels(path: str, frame: str) -> tuple[int, str]:
    """Read every level of every image (whole when small, else its first and last chunk)."""
    from ..errors import OzxError
    from ..ome import open_document

    try:
        document = open_document(path, background_index=False)
    except OzxError as exc:
        return 1, f"{frame}, but reopening failed: {exc}"
    levels = 0
    try:
        for image in document.images():
            for level in image.levels:
                for region in level_regions(level.shape, level.chunks, level.dtype.itemsize):
                    data = level.array.read(region)
                    if data.shape != tuple(s.stop - s.start for s in region):
                        return 1, f"{frame}, but level {image.path or '/'}:{level.path} read a wrong shape {data.shape}"
                levels += 1
    except Exception as exc:  # noqa: BLE001  (any failure is the answer, in one line)
        return 1, f"{frame}, but a level cannot be read: {type(exc).__name__}: {exc}"
    finally:
        document.close()
    if not levels:
        return 1, f"{frame}, but the file has no levels"
    return 0, f"{frame}; {levels} levels of {len(document.images())} image(s) read"


def level_regions(shape: tuple[int, ...], chunks: tuple[int, ...], itemsize: int) -> list[tuple[slice, ...]]:
    """The regions `check_levels` reads from a level of this shape."""
    if math.prod(shape) * itemsize <= WHOLE_LEVEL_BYTES:
        return [tuple(slice(0, s) for s in shape)]
    first = tuple(slice(0, min(c, s)) for s, c in zip(shape, chunks))
    last = tuple(slice((s - 1) // c * c, s) for s, c in zip(shape, chunks))
    return [first, last]
