"""Open a document and prepare its first image, without Qt or GL, on any thread.

Preparing includes reading the coarsest level's tiles of the start plane when there are only a
few (the window's tile stream starts with them in its cache), or else, when that level is virtual,
a preview of the whole image: either way the first frame shows the image.
"""

from __future__ import annotations

import logging
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
#: ...else, when it is virtual (its overview that expensive), it opens with a preview: a mosaic of
#: real pixels from evenly spread chunks (`overview.read_overview`), shown under the tiles until
#: they cover it.
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
    level is virtual, none: opening reads the preview instead (`opened.preview`), which shows the
    whole image at once while the tile stream builds the overview. Read errors are left to the
    tile stream, which reports them."""
    loader = tile_loader(opened)
    index = len(loader.geometries) - 1
    geometry = loader.geometries[index]
    rows, cols = geometry.grid
    source = loader.geometries[loader.pyramid.stored_count - 1]  # what is read to make it
    channels = channel_slots(opened.image) if opened.layout.channel is not None else 1
    nbytes = channels * source.shape[0] * source.shape[1] * loader.dtype.itemsize
    if rows * cols > FIRST_TILES_MAX or nbytes > FIRST_TILES_MAX_BYTES:
        if geometry.virtual:
            opened.preview = read_preview(opened, loader)
        return {}
    tiles = {}
    for key in (TileKey(index, opened.start_plane, ty, tx) for ty in range(rows) for tx in range(cols)):
        try:
            tiles[key] = loader(key)
        except Exception:
            logger.debug("reading first tile %s failed", key, exc_info=True)
            break
    return tiles


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
