"""The tile layer: level of detail, visible tiles, load scheduling, caching, coverage.

Pure numpy and standard library: no Qt, no GL, no other viewer subpackage.
"""

from .budget import MemoryBudget
from .cache import CacheShare, TileCache, default_cache_budget
from .coverage import draw_plan, fully_sharp, tiles_to_draw
from .geometry import (
    LevelGeometry,
    View,
    choose_level,
    tile_range,
    tile_shape_for,
    visible_tiles,
)
from .scheduler import TileKey, TileScheduler, wanted_tiles
from .virtual import VirtualPyramid, downsample

__all__ = [
    "CacheShare",
    "MemoryBudget",
    "LevelGeometry",
    "TileCache",
    "TileKey",
    "TileScheduler",
    "View",
    "VirtualPyramid",
    "choose_level",
    "default_cache_budget",
    "downsample",
    "draw_plan",
    "fully_sharp",
    "tile_range",
    "tile_shape_for",
    "tiles_to_draw",
    "visible_tiles",
    "wanted_tiles",
]
