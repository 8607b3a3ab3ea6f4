"""The label id under the cursor: level-0 tiles of a label map read on a worker, a few kept."""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np

from ..tiles import TileKey
from .loader import LabelTileLoader

#: Level-0 id tiles kept per label map (the ones under the cursor's recent path).
KEPT_TILES = 6
PENDING = object()
"""`value_at`'s answer while the tile is being read."""


class LabelProbe:
    """`value_at(x, y, plane)`: the id at world (x, y) from level 0 of the label map, None
    outside it, or PENDING while its tile is read (then `on_ready()` is called, from the worker)."""

    def __init__(self, loader: LabelTileLoader, on_ready: Callable[[], None]) -> None:
        self._loader = loader
        self._geometry = loader.geometries[0]
        self._on_ready = on_ready
        self._tiles: OrderedDict[TileKey, np.ndarray | None] = OrderedDict()
        self._pending: set[TileKey] = set()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="label-probe")

    def value_at(self, x: float, y: float, plane: tuple[int, ...]) -> int | None | object:
        geometry = self._geometry
        (sy, sx), (oy, ox) = geometry.scale, geometry.translation
        row, col = int(np.floor((y - oy) / sy)), int(np.floor((x - ox) / sx))
        if not (0 <= row < geometry.shape[0] and 0 <= col < geometry.shape[1]):
            return None
        ty, tx = row // geometry.tile[0], col // geometry.tile[1]
        key = TileKey(0, tuple(plane), ty, tx)
        with self._lock:
            if key in self._tiles:
                self._tiles.move_to_end(key)
                tile = self._tiles[key]
                if tile is None:  # cannot be read
                    return None
                return int(tile[0, row - ty * geometry.tile[0], col - tx * geometry.tile[1]])
            if key not in self._pending:
                self._pending.add(key)
                self._pool.submit(self._read, key)
        return PENDING

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _read(self, key: TileKey) -> None:
        try:
            tile = self._loader.read(key)
        except Exception:
            tile = None
        with self._lock:
            self._pending.discard(key)
            self._tiles[key] = tile
            while len(self._tiles) > KEPT_TILES:
                self._tiles.popitem(last=False)
        self._on_ready()
