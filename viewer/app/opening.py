"""Open documents off the GUI thread and prepare what the window needs to show the first image."""

from __future__ import annotations

import itertools
import logging
import threading
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal

from ..errors import OzxError
from ..ome import open_document
from ..ome.model import Axis, Channel, Document, Image
from .loader import PlaneLayout, level_index

logger = logging.getLogger(__name__)

AUTO_PERCENTILES = (0.5, 99.5)
#: The automatic window samples at most this many pixels per side of the coarsest level.
AUTO_SAMPLE_SIDE = 2048


@dataclass
class OpenedImage:
    """A document and the image to show, with channel windows completed and a start plane."""

    path: str
    document: Document
    image: Image
    layout: PlaneLayout
    start_plane: tuple[int, ...]


def layout_of(axes: Sequence[Axis]) -> PlaneLayout:
    """Rows and columns are the last two space axes (else the last two axes), as in `Image`."""
    spatial = [i for i, a in enumerate(axes) if a.type == "space"]
    row, col = spatial[-2:] if len(spatial) >= 2 else (len(axes) - 2, len(axes) - 1)
    channel = next((i for i, a in enumerate(axes) if a.type == "channel"), None)
    sliders = tuple(i for i in range(len(axes)) if i not in (row, col, channel))
    return PlaneLayout(row, col, channel, sliders)


def start_plane(image: Image) -> tuple[int, ...]:
    """rdefs defaultZ/defaultT where given and in range, else the middle z and t = 0."""
    shape = image.levels[0].shape
    plane = []
    for axis in image.slider_axes:
        size, kind = shape[axis], image.axes[axis].type
        if kind == "space":
            index = image.default_z if image.default_z is not None else size // 2
        elif kind == "time":
            index = image.default_t if image.default_t is not None else 0
        else:
            index = 0
        plane.append(min(max(index, 0), size - 1))
    return tuple(plane)


def auto_windows(image: Image, layout: PlaneLayout, plane: tuple[int, ...]) -> list[Channel]:
    """Channels whose window is not from the metadata get percentiles of the coarsest level."""
    if all(c.from_metadata for c in image.channels):
        return image.channels
    level = image.levels[-1]
    region = [slice(None)] * len(level.shape)
    for axis, index in zip(layout.sliders, plane):
        i = level_index(index, image.levels[0].shape[axis], level.shape[axis])
        region[axis] = slice(i, i + 1)
    for axis in (layout.row, layout.col):
        size = level.shape[axis]
        start = max((size - AUTO_SAMPLE_SIDE) // 2, 0)
        region[axis] = slice(start, start + AUTO_SAMPLE_SIDE)
    data = level.array.read(tuple(region))
    channels = []
    for i, channel in enumerate(image.channels):
        if channel.from_metadata:
            channels.append(channel)
            continue
        values = data if layout.channel is None else np.take(data, i, axis=layout.channel)
        channels.append(replace(channel, window=_percentile_window(values)))
    return channels


def _percentile_window(values: np.ndarray) -> tuple[float, float]:
    values = values.astype(np.float64, copy=False).ravel()
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 0.0, 1.0
    lo, hi = (float(v) for v in np.percentile(values, AUTO_PERCENTILES))
    if hi <= lo:
        lo, hi = float(values.min()), float(values.max())
    if hi <= lo:
        hi = lo + 1.0
    return lo, hi


def prepare(path: str) -> OpenedImage:
    """Open `path` and prepare its first image (raises OzxError with a one-line message)."""
    document = open_document(path)
    try:
        images = document.images()
        if not images:
            raise OzxError("this file holds no image that can be shown")
        image = images[0]
        layout = layout_of(image.axes)
        plane = start_plane(image)
        image.channels = auto_windows(image, layout, plane)
        if image.rgb and len(image.channels) == 4:  # the fourth channel of RGBA is alpha
            image.channels[3].active = False
    except BaseException:
        document.close()
        raise
    return OpenedImage(path, document, image, layout, plane)


class DocumentOpener(QObject):
    """Opens files on a background thread; only the latest request's result is delivered.

    Emits `opened(OpenedImage)` or `failed(path, message)` on the GUI thread.
    """

    opened = Signal(object)
    failed = Signal(str, str)
    _done = Signal(int, object, object)

    def __init__(self) -> None:
        super().__init__()
        self._requests = itertools.count(1)
        self._latest = 0
        self._done.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def open(self, path: str) -> None:
        self._latest = request = next(self._requests)
        threading.Thread(target=self._work, args=(request, path), name="open-document", daemon=True).start()

    def _work(self, request: int, path: str) -> None:
        try:
            self._done.emit(request, prepare(path), None)
        except OzxError as exc:
            self._done.emit(request, path, str(exc))
        except Exception as exc:  # a bug of ours: still one line for the user
            logger.debug("opening %s failed", path, exc_info=True)
            self._done.emit(request, path, f"internal error while reading the file ({type(exc).__name__}: {exc})")

    def _deliver(self, request: int, result: object, message: str | None) -> None:
        if request != self._latest:
            if isinstance(result, OpenedImage):
                result.document.close()
            return
        if isinstance(result, OpenedImage):
            self.opened.emit(result)
        else:
            self.failed.emit(str(result), message or "")
