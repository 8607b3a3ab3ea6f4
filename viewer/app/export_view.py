"""File › Export View as PNG and Edit › Copy View: the picture the canvas shows, at its device
pixels, with the scale bar."""

from __future__ import annotations

from typing import Callable

import numpy as np
from PySide6.QtGui import QImage

from ..container.base import Container
from ..errors import OzxError
from ..render.canvas import ImageCanvas
from ..render.png import encode_png
from ..thumbnail import write_atomically
from .save_copy import is_open_file


def grab_view(canvas: ImageCanvas, deliver: Callable[[np.ndarray], None]) -> None:
    """Call `deliver(pixels)` with the next frame the canvas shows, read back from its framebuffer
    before the swap: exactly what is on screen, overlays included. (rows, cols, 4) uint8 RGBA,
    opaque. A canvas that is not on screen renders the scene offscreen instead."""
    if not canvas.surface.isExposed():
        deliver(_opaque(canvas.render()))
        return

    def on_presented(event) -> None:
        if event.pixels is None:  # a frame already on its way when this was asked
            return
        canvas.events.presented.disconnect(on_presented)
        canvas.read_back = False
        deliver(_opaque(event.pixels))

    canvas.read_back = True
    canvas.events.presented.connect(on_presented)
    canvas.update()


def _opaque(pixels: np.ndarray) -> np.ndarray:
    pixels = np.ascontiguousarray(pixels)
    pixels[..., 3] = 255  # the scene is drawn on an opaque background; keep the file opaque too
    return pixels


def write_png(pixels: np.ndarray, path: str, container: Container | None = None) -> int:
    """Encode and write atomically (call off the GUI thread); returns the bytes written. Never
    over the file `container` has open."""
    if container is not None and is_open_file(container, path):
        raise OzxError("that is the open file itself; choose another name")
    data = encode_png(pixels, level=6)
    write_atomically(path, data)
    return len(data)


def to_qimage(pixels: np.ndarray) -> QImage:
    """A QImage owning a copy of `pixels` (RGBA rows top-down)."""
    rows, cols = pixels.shape[:2]
    return QImage(pixels.tobytes(), cols, rows, cols * 4, QImage.Format.Format_RGBA8888).copy()
