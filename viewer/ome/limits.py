"""Caps on what a file's metadata can make the reader iterate or allocate, and the per-document
image budget. A cap that is reached becomes a finding naming it, never unbounded work."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

from ..errors import OzxError

#: Channel entries built per image (the composite shows fewer; the rest are never listed).
MAX_CHANNELS = 256
#: Resolution levels per image (a 2× pyramid of 2**62 pixels has 62).
MAX_LEVELS = 64
#: Images opened per document (plates × fields, series, collections, scanned groups).
MAX_IMAGES = 4096
#: Positions on one slider axis (z, t, custom): what a slider widget can address.
MAX_PLANES = 2**31 - 1
#: Label maps opened per image (distinct names: a name listed again is the same map)...
MAX_LABEL_MAPS = 64
#: ...and per document, every image's together.
MAX_DOCUMENT_LABEL_MAPS = 4096
#: Chunks one region read may decode (a 4096² level of 1×1 chunks is never enumerated).
MAX_READ_CHUNKS = 1 << 16


def reachable_planes(size: int) -> int:
    """Positions of a slider axis of `size` entries that can be shown: at most MAX_PLANES (a
    finding `ome-planes` names the cap when an image claims more)."""
    return min(size, MAX_PLANES)


#: What the document being opened may still open: [images, label maps].
_budget: ContextVar[list[int] | None] = ContextVar("ozx_budget", default=None)


@contextmanager
def image_budget(count: int = MAX_IMAGES, label_maps: int = MAX_DOCUMENT_LABEL_MAPS) -> Iterator[None]:
    """Within the block, `take_image` allows `count` images and `take_label_map` `label_maps` maps."""
    token = _budget.set([count, label_maps])
    try:
        yield
    finally:
        _budget.reset(token)


def images_left() -> bool:
    """False once the document's image budget is spent."""
    left = _budget.get()
    return left is None or left[0] > 0


def take_image() -> None:
    """Count one image against the budget; OzxError when it is spent."""
    left = _budget.get()
    if left is None:
        return
    if left[0] <= 0:
        raise OzxError(f"the file holds more than {MAX_IMAGES} images; the rest are not opened")
    left[0] -= 1


def spend_image() -> None:
    """Count one listed node that is no image (unavailable) against the budget, without failing."""
    left = _budget.get()
    if left is not None and left[0] > 0:
        left[0] -= 1


def take_label_map() -> bool:
    """Count one label map against the document's budget; False (nothing counted) when it is spent."""
    left = _budget.get()
    if left is None:
        return True
    if left[1] <= 0:
        return False
    left[1] -= 1
    return True
