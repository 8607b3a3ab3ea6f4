"""GPU textures of tiles and a byte-budgeted store of uploaded tiles (formats: `formats.py`)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Hashable, Iterable, Sequence

import numpy as np
from vispy import gloo

from .formats import FORMATS, TEXTURE_LAYOUTS, texture_dtype, texture_scale

Rect = tuple[float, float, float, float]

__all__ = ["TextureStore", "TileTextures", "make_texture", "texture_dtype", "texture_scale"]


@dataclass
class TileTextures:
    """The uploaded textures of one tile and the world rectangle (x0, y0, x1, y1) they cover."""

    textures: list[gloo.Texture2D]
    box: Rect
    nbytes: int


def make_texture(plane: np.ndarray) -> gloo.Texture2D:
    """A nearest-neighbour texture from a C-contiguous (rows, cols) or (rows, cols, 1|4) array of
    uint8, uint16 or float32 (one texel component per channel; RGBA uint8 for label colours)."""
    # Created by shape, then filled without a copy: `Texture2D(data)` copies every plane first
    # (~1 ms per 512² uint16 plane on the GUI thread). Tile arrays are never changed in place.
    components = 1 if plane.ndim == 2 else plane.shape[2]
    gl_format, prefix = TEXTURE_LAYOUTS[components]
    suffix, _ = FORMATS[plane.dtype]
    texture = gloo.Texture2D(shape=plane.shape, format=gl_format, internalformat=prefix + suffix,
                             interpolation="nearest", wrapping="clamp_to_edge")
    texture.set_data(np.ascontiguousarray(plane), copy=False)
    return texture


class TextureStore:
    """Uploaded tiles by key, least recently used dropped first beyond `budget` bytes.

    `get` and `__contains__` mirror `viewer.tiles.TileCache`, so the tile layer's coverage
    functions can ask what is on the GPU.
    """

    def __init__(self, budget: int) -> None:
        self._budget = budget
        self._items: OrderedDict[Hashable, TileTextures] = OrderedDict()
        self._nbytes = 0

    @property
    def nbytes(self) -> int:
        return self._nbytes

    def set_budget(self, budget: int) -> None:
        """Change the budget; the next `trim` applies it."""
        self._budget = budget

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> TileTextures | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def upload(self, key: Hashable, planes: Sequence[np.ndarray], box: Rect) -> TileTextures:
        """Create the textures of one tile (each plane one texture) and store them."""
        self.discard(key)
        item = TileTextures([make_texture(p) for p in planes], box, sum(p.nbytes for p in planes))
        self._items[key] = item
        self._nbytes += item.nbytes
        return item

    def trim(self, keep: Iterable[Hashable]) -> None:
        """Drop least recently used tiles until within budget, never those in `keep`."""
        protected = set(keep)
        for key in list(self._items):
            if self._nbytes <= self._budget:
                return
            if key not in protected:
                self.discard(key)

    def discard(self, key: Hashable) -> None:
        item = self._items.pop(key, None)
        if item is not None:
            self._nbytes -= item.nbytes
            for texture in item.textures:
                texture.delete()

    def clear(self) -> None:
        for key in list(self._items):
            self.discard(key)
