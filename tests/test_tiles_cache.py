import random
import threading

import numpy as np
import pytest

from viewer.tiles import cache as cache_module
from viewer.tiles.cache import DEFAULT_CAP, TileCache, default_cache_budget


def block(nbytes: int, fill: int = 0) -> np.ndarray:
    return np.full(nbytes, fill, dtype=np.uint8)


def test_get_put_contains_and_byte_count():
    cache = TileCache(budget=1000)
    assert cache.get("a") is None
    assert cache.put("a", block(300, 7))
    assert "a" in cache and "b" not in cache
    assert cache.get("a")[0] == 7
    assert cache.nbytes == 300 and len(cache) == 1 and cache.budget == 1000


def test_evicts_least_recently_used_first():
    cache = TileCache(budget=1000)
    for key in "abc":
        cache.put(key, block(300))
    cache.get("a")  # b is now the least recently used
    cache.put("d", block(300))
    assert "b" not in cache
    assert {"a", "c", "d"} == {k for k in "abcd" if k in cache}
    cache.put("e", block(600))  # needs two evictions: c then a
    assert [k for k in "abcde" if k in cache] == ["d", "e"]
    assert cache.nbytes == 900


def test_contains_does_not_refresh_recency():
    cache = TileCache(budget=600)
    cache.put("a", block(300))
    cache.put("b", block(300))
    assert "a" in cache
    cache.put("c", block(300))
    assert "a" not in cache and "b" in cache


def test_replacing_a_key_updates_bytes():
    cache = TileCache(budget=1000)
    cache.put("a", block(300))
    cache.put("a", block(500))
    assert cache.nbytes == 500 and len(cache) == 1


def test_item_larger_than_budget_is_not_stored_and_drops_old_value():
    cache = TileCache(budget=100)
    cache.put("a", block(50))
    assert not cache.put("a", block(101))
    assert "a" not in cache and cache.nbytes == 0


def test_stored_arrays_are_read_only():
    cache = TileCache(budget=100)
    cache.put("a", block(10))
    with pytest.raises(ValueError):
        cache.get("a")[0] = 1


def test_clear():
    cache = TileCache(budget=100)
    cache.put("a", block(10))
    cache.clear()
    assert len(cache) == 0 and cache.nbytes == 0


def test_budget_never_exceeded_under_concurrent_use():
    cache = TileCache(budget=10_000)
    seen_over_budget = []

    def hammer(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(2000):
            key = rng.randrange(50)
            if rng.random() < 0.5:
                cache.put(key, block(rng.randrange(1, 3000)))
            else:
                cache.get(key)
            if cache.nbytes > cache.budget:
                seen_over_budget.append(cache.nbytes)

    threads = [threading.Thread(target=hammer, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen_over_budget == []
    held = [cache.get(key) for key in range(50)]
    assert cache.nbytes == sum(a.nbytes for a in held if a is not None)


def test_default_budget_is_quarter_of_ram_capped(monkeypatch):
    values = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 16 * 1024}  # 64 MiB of RAM
    monkeypatch.setattr(cache_module.os, "sysconf", values.__getitem__, raising=False)
    assert default_cache_budget() == 16 * 1024 * 1024
    values["SC_PHYS_PAGES"] = 64 * 1024 * 1024  # 256 GiB of RAM
    assert default_cache_budget() == DEFAULT_CAP


def test_default_budget_without_sysconf(monkeypatch):
    monkeypatch.delattr(cache_module.os, "sysconf", raising=False)
    assert default_cache_budget() == DEFAULT_CAP


def test_protected_keys_survive_until_released():
    cache = TileCache(budget=300)
    cache.put("a", np.zeros(100, np.uint8))
    cache.put("b", np.zeros(100, np.uint8))
    cache.protect(["a", "b"])
    cache.put("c", np.zeros(100, np.uint8))
    cache.put("d", np.zeros(100, np.uint8))  # over budget: only unprotected "c" may go
    assert "a" in cache and "b" in cache and "d" in cache and "c" not in cache
    cache.put("e", np.zeros(100, np.uint8))  # the newest array stays even beyond the budget
    assert set(k for k in "abcde" if k in cache) == {"a", "b", "e"} and cache.nbytes == 300
    cache.protect(["b"])
    cache.put("f", np.zeros(100, np.uint8))  # "a" is the least recently used unprotected one now
    assert set(k for k in "abcdef" if k in cache) == {"b", "e", "f"}
    cache.protect([])
    assert cache.nbytes == 300


def test_demoted_key_is_evicted_first():
    cache = TileCache(budget=300)
    for key in "abc":
        cache.put(key, np.zeros(100, np.uint8))
    cache.demote("c")
    cache.demote("missing")  # ignored
    cache.put("d", np.zeros(100, np.uint8))
    assert [k for k in "abcd" if k in cache] == ["a", "b", "d"]
