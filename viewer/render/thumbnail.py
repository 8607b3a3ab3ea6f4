"""Thumbnails of images, drawn without a GPU (numpy only, no Qt, no GL): safe on any thread.

The picture is the composite the viewer opens with (`ome.display_defaults`), read from the
coarsest level that still gives one level pixel per thumbnail pixel, sampled at the centres of
the thumbnail's pixels (nearest neighbour, as the canvas samples its textures). Reads are
bounded: when even that level would need too many chunks or bytes (an image without a pyramid),
fewer points are sampled and shown as larger blocks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import OzxError
from ..ome.display_defaults import LABEL_OPACITY, label_plane, labels_shown_at_open, level_index, opening_channels, start_plane
from ..ome.model import Image, LabelMap, Level, PlaneLayout
from ..ome.sampling import ReadCost, read_cost, read_orthogonal
from .colors import colorize_labels
from .composite import blend_labels, composite, to_uint8
from .formats import MAX_SLOTS
from .styles import ChannelStyle, LabelStyle, channel_styles

DEFAULT_SIZE = 256
MAX_SIZE = 2048
#: What one thumbnail may decode, all layers together: chunks (each costs a lookup and a read
#: even when tiny) and decoded bytes. Chunks are decoded one at a time per thread, so memory
#: stays near two chunks; an image whose one sampled pixel needs more than MAX_PIXEL_BYTES
#: (a huge single chunk) gets no thumbnail.
MAX_CHUNKS = 4096
MAX_BYTES = 64 << 20
MAX_PIXEL_BYTES = 256 << 20


@dataclass(frozen=True)
class _Layer:
    """One array to sample: a level, its axis roles and the fixed index of every other axis."""

    level: Level
    layout: PlaneLayout
    fixed: dict[int, np.ndarray]

    def indices(self, ys: np.ndarray, xs: np.ndarray) -> list[np.ndarray]:
        """Index arrays (ascending, unique) per axis for world rows `ys` and columns `xs`."""
        out = []
        for axis in range(len(self.level.shape)):
            if axis == self.layout.row:
                out.append(_distinct(_pixel(ys, self.level, axis)))
            elif axis == self.layout.col:
                out.append(_distinct(_pixel(xs, self.level, axis)))
            else:
                out.append(self.fixed[axis])
        return out

    def covers(self, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        """(len(ys), len(xs)) booleans: which world points lie on the level."""
        return _on_level(ys, self.level, self.layout.row)[:, None] & _on_level(xs, self.level, self.layout.col)[None, :]

    def cost(self, ys: np.ndarray, xs: np.ndarray) -> ReadCost:
        return read_cost(self.level.array, self.indices(ys, xs))

    def sample(self, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        """(planes, len(ys), len(xs)): the values under each world point, planes in channel order."""
        indices = self.indices(ys, xs)
        data = read_orthogonal(self.level.array, indices)
        layout = self.layout
        data = np.take(data, np.searchsorted(indices[layout.row], _pixel(ys, self.level, layout.row)), axis=layout.row)
        data = np.take(data, np.searchsorted(indices[layout.col], _pixel(xs, self.level, layout.col)), axis=layout.col)
        shown = ([layout.channel] if layout.channel is not None else []) + [layout.row, layout.col]
        rest = [a for a in range(data.ndim) if a not in shown]  # single-index axes
        return np.transpose(data, rest + shown).reshape(-1, len(ys), len(xs))


def render_thumbnail(image: Image, size: int = DEFAULT_SIZE, plane: tuple[int, ...] | None = None,
                     styles: Sequence[ChannelStyle] | None = None,
                     labels: Sequence[LabelStyle] | None = None) -> np.ndarray:
    """The image fitted into a (size, size, 4) RGBA uint8 picture, aspect kept, transparent around it.

    Defaults are the viewer's opening state: `start_plane`, `opening_channels` (omero windows or
    percentiles, active channels), label maps shown at open at their opacity. `styles` and `labels`
    (one per channel / label map) draw another state, e.g. the one a user has set. Raises OzxError
    when the image cannot be read.
    """
    if not 1 <= size <= MAX_SIZE:
        raise OzxError(f"a thumbnail is 1 to {MAX_SIZE} pixels wide, not {size}")
    plane = start_plane(image) if plane is None else tuple(plane)
    if styles is None:
        styles = channel_styles(opening_channels(image, plane))
    if labels is None:
        labels = [LabelStyle(True, LABEL_OPACITY)] * len(image.labels) if labels_shown_at_open(image) else []
    layout = image.layout
    x0, y0, x1, y1 = _world_box(image.levels[0], layout)
    height, width = _fitted(y1 - y0, x1 - x0, size)

    shown = [i for i, s in enumerate(styles[: min(len(image.channels), MAX_SLOTS)]) if s.active]
    layers = [_image_layer(image, plane, shown, height, width)]
    overlays = [(m, s) for m, s in zip(image.labels, labels) if s.visible and s.opacity > 0]
    for label_map, _ in overlays:
        layers.append(_label_layer(image, plane, label_map, height, width))

    ys, xs = _affordable_points(layers, (x0, y0, x1, y1), height, width)
    rows, cols = len(ys), len(xs)
    if shown:
        data = layers[0].sample(ys, xs)
        rgba = composite(data, [styles[i] for i in shown])
    else:  # no active channel: the shader paints the image black
        rgba = composite(np.zeros((0, rows, cols), np.uint8), [])
    for layer, (label_map, style) in zip(layers[1:], overlays):
        coloured = colorize_labels(layer.sample(ys, xs)[0], label_map.colors)
        coloured[~layer.covers(ys, xs)] = 0  # beyond the label map's own extent
        rgba = blend_labels(rgba, coloured, style.opacity)

    picture = to_uint8(rgba)
    if (rows, cols) != (height, width):  # budget-limited: each sample covers a block
        picture = picture[np.arange(height) * rows // height][:, np.arange(width) * cols // width]
    out = np.zeros((size, size, 4), dtype=np.uint8)
    top, left = (size - height) // 2, (size - width) // 2
    out[top : top + height, left : left + width] = picture
    return out


def _affordable_points(layers: Sequence[_Layer], box: tuple[float, float, float, float], rows: int,
                       cols: int) -> tuple[np.ndarray, np.ndarray]:
    """World (ys, xs) of a rows × cols grid of pixel centres over `box`, made coarser until reading
    every layer at them fits the budget."""
    x0, y0, x1, y1 = box
    while True:
        ys, xs = _centres(y0, y1, rows), _centres(x0, x1, cols)
        costs = [layer.cost(ys, xs) for layer in layers]
        total = ReadCost(sum(c.chunks for c in costs), sum(c.nbytes for c in costs))
        if total.within(MAX_CHUNKS, MAX_BYTES):
            return ys, xs
        if (rows, cols) == (1, 1):
            if total.within(MAX_CHUNKS, MAX_PIXEL_BYTES):
                return ys, xs
            raise OzxError(f"the image's chunks are too large for a thumbnail ({total.nbytes >> 20} MiB to decode)")
        rows, cols = max(1, rows * 7 // 10), max(1, cols * 7 // 10)


def _image_layer(image: Image, plane: tuple[int, ...], channels: list[int], rows: int, cols: int) -> _Layer:
    layout = image.layout
    level = _level_for(image.levels, layout, rows, cols)
    fixed = _plane_indices(level, layout, plane, image.levels[0].shape)
    if layout.channel is not None:
        fixed[layout.channel] = np.array(channels or [0], dtype=np.int64)
    return _Layer(level, layout, fixed)


def _label_layer(image: Image, plane: tuple[int, ...], label_map: LabelMap, rows: int, cols: int) -> _Layer:
    layout = label_map.layout
    level = _level_for(label_map.levels, layout, rows, cols)
    fixed = _plane_indices(level, layout, label_plane(image, plane, label_map), label_map.levels[0].shape)
    if layout.channel is not None:
        fixed[layout.channel] = np.array([0], dtype=np.int64)  # as the viewer: the first channel
    return _Layer(level, layout, fixed)


def _plane_indices(level: Level, layout: PlaneLayout, plane: tuple[int, ...], finest: tuple[int, ...]) -> dict[int, np.ndarray]:
    return {axis: np.array([level_index(index, finest[axis], level.shape[axis])], dtype=np.int64)
            for axis, index in zip(layout.sliders, plane)}


def _level_for(levels: Sequence[Level], layout: PlaneLayout, rows: int, cols: int) -> Level:
    """The coarsest level with at least `rows` × `cols` pixels, else the finest."""
    for level in reversed(levels):
        if level.shape[layout.row] >= rows and level.shape[layout.col] >= cols:
            return level
    return levels[0]


def _world_box(level: Level, layout: PlaneLayout) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) the level covers in world (physical) units."""
    r, c = layout.row, layout.col
    sy, sx = level.scale[r], level.scale[c]
    if not all(math.isfinite(s) and s > 0 for s in (sy, sx)):
        raise OzxError("the image's pixel size is not a positive number")
    ty, tx = level.translation[r], level.translation[c]
    if level.shape[r] == 0 or level.shape[c] == 0:
        raise OzxError("the image is empty (a side of 0 pixels)")
    return tx, ty, tx + level.shape[c] * sx, ty + level.shape[r] * sy


def _fitted(height: float, width: float, size: int) -> tuple[int, int]:
    """(rows, cols) of a `height` × `width` picture fitted into size × size."""
    if height >= width:
        return size, min(size, max(1, round(size * width / height)))
    return min(size, max(1, round(size * height / width))), size


def _centres(start: float, end: float, count: int) -> np.ndarray:
    return start + (np.arange(count) + 0.5) * ((end - start) / count)


def _distinct(index: np.ndarray) -> np.ndarray:
    """The distinct values of a non-decreasing array (np.unique would also import numpy.ma)."""
    return index[np.r_[True, index[1:] != index[:-1]]]


def _unclipped(world: np.ndarray, level: Level, axis: int) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        index = np.floor((world - level.translation[axis]) / level.scale[axis])
    return np.nan_to_num(index, nan=-1.0, posinf=-1.0, neginf=-1.0).clip(-1, level.shape[axis]).astype(np.int64)


def _pixel(world: np.ndarray, level: Level, axis: int) -> np.ndarray:
    """Index of the level pixel under each world coordinate along `axis`, clipped to the level."""
    return _unclipped(world, level, axis).clip(0, level.shape[axis] - 1)


def _on_level(world: np.ndarray, level: Level, axis: int) -> np.ndarray:
    index = _unclipped(world, level, axis)
    return (index >= 0) & (index < level.shape[axis])
