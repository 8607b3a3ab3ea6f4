"""The app-wide memory budget: one decoded-tile cache and one texture allowance for all windows."""

from __future__ import annotations

import threading
import weakref
from typing import Protocol

from .cache import CacheShare, TileCache

#: Textures kept beyond those the views draw (which are always kept), for all windows together.
TEXTURE_BYTES = 24 << 20


class TextureHolder(Protocol):
    def set_budget(self, budget: int) -> None: ...


class MemoryBudget:
    """What every layer of every window may keep: decoded tiles share one LRU cache of
    `tile_bytes` (QuPath keeps one byte-weighted cache for all its viewers), and the texture
    allowance `texture_bytes` is split evenly among the texture stores that are open.
    Opening a second window therefore does not double what the process may hold."""

    def __init__(self, tile_bytes: int, texture_bytes: int = TEXTURE_BYTES) -> None:
        self.tiles = TileCache(tile_bytes)
        self._texture_bytes = texture_bytes
        self._holders: weakref.WeakSet[TextureHolder] = weakref.WeakSet()
        self._lock = threading.Lock()

    @property
    def tile_bytes(self) -> int:
        return self.tiles.budget

    def set_tile_bytes(self, budget: int) -> None:
        """Change the decoded-tile budget for every window at once."""
        self.tiles.set_budget(budget)

    def tile_share(self) -> CacheShare:
        """A new owner's part of the shared decoded-tile cache."""
        return CacheShare(self.tiles)

    def texture_share(self) -> int:
        """Bytes of spare textures each open store may keep now."""
        with self._lock:
            return self._texture_bytes // max(len(self._holders), 1)

    def join_textures(self, holder: TextureHolder) -> None:
        """Count `holder` in the split (every holder's share is updated)."""
        with self._lock:
            self._holders.add(holder)
        self._rebalance()

    def leave_textures(self, holder: TextureHolder) -> None:
        with self._lock:
            self._holders.discard(holder)
        self._rebalance()

    def _rebalance(self) -> None:
        share = self.texture_share()
        for holder in list(self._holders):
            holder.set_budget(share)
