"""A thread-safe, byte-budgeted LRU cache of tile arrays."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
import itertools
from typing import Hashable, Iterable

import numpy as np

#: The default cap. With software OpenGL the GPU textures live in process memory too, and the
#: process itself takes ~215 MB. Tiles on screen are kept as textures (the tile stream protects
#: the ones waiting for upload and demotes uploaded copies), so this cache mostly holds the
#: prefetched tiles about to scroll in; 16 MiB keeps a viewing session under 300 MB (measured with
#: benchmarks/bench_viewer.py). Users with memory to spare raise it in the settings.
DEFAULT_CAP = 16 << 20


def default_cache_budget() -> int:
    """A quarter of physical RAM, capped at `DEFAULT_CAP` (the cap when RAM cannot be read)."""
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return DEFAULT_CAP
    if ram <= 0:
        return DEFAULT_CAP
    return min(ram // 4, DEFAULT_CAP)


class TileCache:
    """LRU mapping from tile keys to numpy arrays whose total `nbytes` never exceeds `budget`.

    Stored arrays are made read-only: they are shared between the loader threads and the
    renderer. An array larger than the whole budget is not stored. Keys given to `protect` are
    never evicted while protected (the cache then holds more than its budget), so the tiles a
    view is waiting for survive a burst of arrivals until they are used. Several owners (the
    layers of every window) share one cache through `CacheShare`: one LRU, one budget.
    """

    def __init__(self, budget: int) -> None:
        if budget < 0:
            raise ValueError(f"negative budget {budget}")
        self._budget = budget
        self._items: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._nbytes = 0
        self._protected_by: dict[Hashable, frozenset[Hashable]] = {}
        self._protected: frozenset[Hashable] = frozenset()
        self._lock = threading.Lock()

    @property
    def budget(self) -> int:
        return self._budget

    def set_budget(self, budget: int) -> None:
        """Change the budget now, evicting what it no longer allows."""
        if budget < 0:
            raise ValueError(f"negative budget {budget}")
        with self._lock:
            self._budget = budget
            self._evict()

    @property
    def nbytes(self) -> int:
        """Total bytes currently held."""
        with self._lock:
            return self._nbytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        """Membership test; does not count as a use."""
        with self._lock:
            return key in self._items

    def get(self, key: Hashable) -> np.ndarray | None:
        """The cached array (marking it most recently used), or None."""
        with self._lock:
            array = self._items.get(key)
            if array is not None:
                self._items.move_to_end(key)
            return array

    def put(self, key: Hashable, array: np.ndarray) -> bool:
        """Store `array` as most recently used, evicting the least recently used as needed.

        Returns False (and drops any previous value of `key`) when the array exceeds the budget.
        """
        with self._lock:
            self._discard(key)
            if array.nbytes > self._budget:
                return False
            array.flags.writeable = False
            self._items[key] = array
            self._nbytes += array.nbytes
            self._evict(keep=key)
            return True

    def demote(self, key: Hashable) -> None:
        """Make `key` the first to go (e.g. its tile is on the GPU now and this copy is a spare)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key, last=False)

    def protect(self, keys: Iterable[Hashable], owner: Hashable = None) -> None:
        """Exempt exactly `keys` from eviction (replacing `owner`'s previous set; other owners'
        stay) and evict what the budget no longer allows among the rest."""
        with self._lock:
            keys = frozenset(keys)
            if keys:
                self._protected_by[owner] = keys
            else:
                self._protected_by.pop(owner, None)
            self._protected = frozenset().union(*self._protected_by.values())
            self._evict()

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._nbytes = 0
            self._protected_by.clear()
            self._protected = frozenset()

    def owner_nbytes(self, owner: Hashable) -> int:
        """Bytes held under `(owner, key)` keys (see `CacheShare`)."""
        with self._lock:
            return sum(a.nbytes for k, a in self._items.items() if isinstance(k, tuple) and k and k[0] == owner)

    def discard_owner(self, owner: Hashable) -> None:
        """Drop every `(owner, key)` entry and `owner`'s protection (see `CacheShare`)."""
        with self._lock:
            for key in [k for k in self._items if isinstance(k, tuple) and k and k[0] == owner]:
                self._discard(key)
            if self._protected_by.pop(owner, None) is not None:
                self._protected = frozenset().union(*self._protected_by.values())

    def _evict(self, keep: Hashable = None) -> None:
        """Drop least recently used unprotected arrays (but not `keep`) until within budget."""
        if self._nbytes <= self._budget:
            return
        for key in [k for k in self._items if k not in self._protected and k != keep]:
            self._discard(key)
            if self._nbytes <= self._budget:
                return

    def _discard(self, key: Hashable) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self._nbytes -= old.nbytes


_owners = itertools.count(1)


class CacheShare:
    """One owner's part of a shared `TileCache`, with the same interface as the cache itself.

    Keys are stored as `(owner, key)`, so owners never see each other's tiles, while one LRU
    order and one budget cover them all: N windows do not mean N times the memory.
    """

    def __init__(self, cache: TileCache) -> None:
        self.cache = cache
        self.owner = next(_owners)

    @property
    def budget(self) -> int:
        return self.cache.budget

    @property
    def nbytes(self) -> int:
        """Bytes this owner holds."""
        return self.cache.owner_nbytes(self.owner)

    def __contains__(self, key: Hashable) -> bool:
        return (self.owner, key) in self.cache

    def get(self, key: Hashable) -> np.ndarray | None:
        return self.cache.get((self.owner, key))

    def put(self, key: Hashable, array: np.ndarray) -> bool:
        return self.cache.put((self.owner, key), array)

    def demote(self, key: Hashable) -> None:
        self.cache.demote((self.owner, key))

    def protect(self, keys: Iterable[Hashable]) -> None:
        self.cache.protect(((self.owner, key) for key in keys), owner=self.owner)

    def clear(self) -> None:
        """Drop this owner's tiles (the other owners' stay)."""
        self.cache.discard_owner(self.owner)
