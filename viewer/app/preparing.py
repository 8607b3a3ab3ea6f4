"""Open a document and prepare its first image, without Qt or GL, on any thread.

Preparing includes reading the coarsest level's tiles of the start plane (when there are only a
few), which the first frame shows; the window's tile stream starts with them in its cache.
"""

from __future__ import annotations

import logging
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from ..errors import OzxError
from ..ome import open_document
from ..ome.display_defaults import auto_windows, opening_channels, start_plane  # noqa: F401 (opening.py re-exports auto_windows)
from ..ome.model import Document, Image, PlaneLayout
from ..render.formats import MAX_SLOTS
from ..tiles import TileKey
from .document_session import DocumentSession
from .loader import TileLoader
from .overview import read_overview

logger = logging.getLogger(__name__)

#: The coarsest level is read while preparing when it has at most this many tiles and bytes.
FIRST_TILES_MAX = 16
FIRST_TILES_MAX_BYTES = 64 << 20
#: ...else, when it is virtual, its centre tiles are built for about this long.
FIRST_TILES_SECONDS = 0.6
FIRST_TILES_THREADS = 2
#: Larger chunk grids of the stored level than this are left to the tile stream: a single virtual
#: tile of such a grid may take longer than the whole opening should.
FIRST_TILES_MAX_CHUNKS = 1 << 18
#: An image whose overview is that expensive opens with a preview: a mosaic of real pixels from
#: evenly spread chunks (`overview.read_overview`), shown under the tiles until they cover it.
PREVIEW_SIDE = 512
PREVIEW_BYTES = 12 << 20
PREVIEW_CHUNKS = 96


@dataclass
class OpenedImage:
    """An image of an open file, with channel windows completed and a start plane. It holds one
    reference to `session` (released when the image is no longer shown).

    `first_tiles`: tiles already read with `tile_loader(self)` (the coarsest level's, or none).
    """

    path: str
    session: DocumentSession
    image: Image
    layout: PlaneLayout
    start_plane: tuple[int, ...]
    first_tiles: dict[TileKey, np.ndarray] = field(default_factory=dict)
    preview: np.ndarray | None = None
    """(channels, rows, cols) of the whole image in the composite's channels and texture type."""

    @property
    def document(self) -> Document:
        return self.session.document


def channel_slots(image: Image) -> int:
    """How many channels (the first ones) the composite layer shows."""
    return min(len(image.channels), MAX_SLOTS)


def tile_loader(opened: OpenedImage) -> TileLoader:
    """The loader of the image's composite tiles (the one `first_tiles` were read with)."""
    image = opened.image
    return TileLoader(image.levels, opened.layout, range(channel_slots(image)))


def read_first_tiles(opened: OpenedImage) -> dict[TileKey, np.ndarray]:
    """Every tile of the coarsest level on the start plane, if they are few and cheap (a virtual
    level is made from the whole coarsest stored level, which then counts). Otherwise, when that
    level is virtual, its tiles nearest the centre for up to FIRST_TILES_SECONDS (opening runs
    while the GUI starts, so the first frame shows part of the overview). Read errors are left
    to the tile stream, which reports them."""
    loader = tile_loader(opened)
    index = len(loader.geometries) - 1
    geometry = loader.geometries[index]
    rows, cols = geometry.grid
    source = loader.geometries[loader.pyramid.stored_count - 1]  # what is read to make it
    channels = channel_slots(opened.image) if opened.layout.channel is not None else 1
    nbytes = channels * source.shape[0] * source.shape[1] * loader.dtype.itemsize
    keys = [TileKey(index, opened.start_plane, ty, tx) for ty in range(rows) for tx in range(cols)]
    deadline = None
    if rows * cols > FIRST_TILES_MAX or nbytes > FIRST_TILES_MAX_BYTES:
        if not geometry.virtual:
            return {}
        opened.preview = read_preview(opened, loader)
        if _stored_chunks(opened, loader.pyramid.stored_count - 1) > FIRST_TILES_MAX_CHUNKS:
            return {}  # one virtual tile of an absurd grid could outlast the deadline: the stream makes it
        centre = (rows - 1) / 2, (cols - 1) / 2
        keys.sort(key=lambda k: (k.ty - centre[0]) ** 2 + (k.tx - centre[1]) ** 2)
        deadline = time.monotonic() + FIRST_TILES_SECONDS
    if deadline is None:
        return _read_tiles(loader, keys)
    # Two threads: the GUI is still importing, mostly on one core.
    with ThreadPoolExecutor(FIRST_TILES_THREADS) as pool:
        parts = pool.map(lambda i: _read_tiles(loader, keys[i::FIRST_TILES_THREADS], deadline), range(FIRST_TILES_THREADS))
        return {key: tile for part in parts for key, tile in part.items()}


def read_preview(opened: OpenedImage, loader: TileLoader) -> np.ndarray | None:
    """The image's preview (see PREVIEW_SIDE), or None when it cannot be read."""
    image = opened.image
    try:
        preview = read_overview(image.levels, opened.layout, opened.start_plane, range(loader.pyramid.channels),
                                max_side=PREVIEW_SIDE, max_bytes=PREVIEW_BYTES, max_chunks=PREVIEW_CHUNKS)
    except Exception:  # a preview is a nicety: the tiles report read errors
        logger.debug("reading the preview of %s failed", opened.path, exc_info=True)
        return None
    return preview.astype(loader.dtype, copy=False)


def _stored_chunks(opened: OpenedImage, level: int) -> int:
    """Chunks of stored level `level` in one plane (rows × columns of the chunk grid)."""
    stored, layout = opened.image.levels[level], opened.layout
    return math.prod(-(-stored.shape[a] // max(stored.chunks[a], 1)) for a in (layout.row, layout.col))


def _read_tiles(loader: TileLoader, keys: list[TileKey], deadline: float | None = None) -> dict[TileKey, np.ndarray]:
    """Tiles `keys` in order until `deadline` (time.monotonic) or a read error."""
    tiles = {}
    for key in keys:
        if deadline is not None and time.monotonic() >= deadline:
            break
        try:
            tiles[key] = loader(key)
        except Exception:
            logger.debug("reading first tile %s failed", key, exc_info=True)
            break
    return tiles


def prepare(path: str) -> OpenedImage:
    """Open `path` and prepare its first image (raises OzxError with a one-line message)."""
    session = DocumentSession(path, open_document(path))
    try:
        images = session.document.images()
        if not images:
            raise OzxError("this file holds no image that can be shown")
        return prepare_image(session, images[0])
    finally:
        session.release()  # the opened image holds its own reference


def prepare_image(session: DocumentSession, image: Image) -> OpenedImage:
    """Prepare `image` of the open file `session` to be shown (its opening channel windows,
    start plane and first tiles); the result holds a reference to `session`."""
    session.acquire()
    try:
        layout = image.layout
        plane = start_plane(image)
        try:
            image.channels = opening_channels(image, plane)
        except OzxError:  # unreadable chunks keep the data type's range; their tiles report the error
            logger.debug("automatic windows of %s failed", session.path, exc_info=True)
        opened = OpenedImage(session.path, session, image, layout, plane)
        opened.first_tiles = read_first_tiles(opened)
    except BaseException:
        session.release()
        raise
    return opened


def prepare_outcome(path: str, session: DocumentSession | None = None,
                    image: Image | None = None) -> tuple[OpenedImage | str, str | None]:
    """(OpenedImage, None), or (path, one-line message for the user) when it cannot be opened.

    With `session` and `image`: that image of the file already open, else `path`'s first image."""
    try:
        if session is not None and image is not None:
            return prepare_image(session, image), None
        return prepare(path), None
    except OzxError as exc:
        return path, str(exc)
    except Exception as exc:  # a bug of ours: still one line for the user
        logger.debug("opening %s failed", path, exc_info=True)
        return path, f"internal error while reading the file ({type(exc).__name__}: {exc})"
