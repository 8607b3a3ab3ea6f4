"""How an image looks when it is first shown: start plane, channel windows and active channels,
label maps shown (no Qt, no GL: the viewer and the thumbnail renderer share these)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from .model import Channel, Image, LabelMap, PlaneLayout
from .sampling import read_cost, read_orthogonal, spread

AUTO_PERCENTILES = (0.5, 99.5)
#: The automatic window decodes at most this many chunks and bytes of the coarsest level, whole
#: chunks spread evenly over the plane (all of them when the level is small enough).
AUTO_SAMPLE_CHUNKS = 2048
AUTO_SAMPLE_BYTES = 32 << 20
#: Label maps are shown at open only when there are at most this many, at this opacity.
MAX_LABELS_SHOWN = 2
LABEL_OPACITY = 0.5


def level_index(index: int, finest: int, size: int) -> int:
    """A level-0 index on a non-displayed axis mapped to a level with `size` entries there."""
    return min(index * size // max(finest, 1), size - 1)


def start_plane(image: Image) -> tuple[int, ...]:
    """rdefs defaultZ/defaultT where given and in range, else the middle z and t = 0."""
    shape = image.levels[0].shape
    plane = []
    for axis in image.slider_axes:
        size, kind = shape[axis], image.axes[axis].type
        if kind == "space":
            index = image.default_z if image.default_z is not None else size // 2
        elif kind == "time":
            index = image.default_t if image.default_t is not None else 0
        else:
            index = 0
        plane.append(min(max(index, 0), size - 1))
    return tuple(plane)


def opening_channels(image: Image, plane: tuple[int, ...]) -> list[Channel]:
    """The channels as first shown: windows completed (`auto_windows`) and, for RGBA pictures,
    the alpha channel switched off."""
    channels = [replace(c) for c in auto_windows(image, image.layout, plane)]
    if image.rgb and len(channels) == 4:  # the fourth channel of RGBA is alpha
        channels[3].active = False
    return channels


def auto_windows(image: Image, layout: PlaneLayout, plane: tuple[int, ...]) -> list[Channel]:
    """Channels whose window is not from the metadata get percentiles of the coarsest level.

    uint8 RGB(A) pictures keep 0–255 on every channel: a stretch per channel would shift colours.
    """
    if image.rgb or all(c.from_metadata for c in image.channels):
        return image.channels
    data = _window_sample(image, layout, plane)
    if data is None:  # even one chunk is too large to decode for a window: keep the type's range
        return image.channels
    channels = []
    for i, channel in enumerate(image.channels):
        if channel.from_metadata:
            channels.append(channel)
            continue
        values = data if layout.channel is None else np.take(data, i, axis=layout.channel)
        channels.append(replace(channel, window=percentile_window(values)))
    return channels


def _window_sample(image: Image, layout: PlaneLayout, plane: tuple[int, ...]) -> np.ndarray | None:
    """Whole chunks of the coarsest level on `plane`, spread evenly, within the sample budget
    (None when a single chunk position exceeds it many times over)."""
    level = image.levels[-1]
    array, finest = level.array, image.levels[0].shape
    plane_axes = (layout.row, layout.col)  # filled below: never an index per pixel of a huge level
    # Never an index per entry of an axis the file claims: the plane axes are filled below, the
    # slider axes hold the plane, the channel axis the channels the image shows.
    indices = [np.zeros(1, dtype=np.int64) for _ in level.shape]
    if layout.channel is not None:
        indices[layout.channel] = np.arange(min(level.shape[layout.channel], max(len(image.channels), 1)))
    for axis, index in zip(layout.sliders, plane):
        indices[axis] = np.array([level_index(index, finest[axis], level.shape[axis])])
    grid = [-(-level.shape[a] // array.chunks[a]) for a in plane_axes]
    side = math.isqrt(AUTO_SAMPLE_CHUNKS)  # more rows × columns of chunks could never fit
    picked = [min(g, side) for g in grid]
    while True:
        for k, axis in enumerate(plane_axes):
            chunk, size = array.chunks[axis], level.shape[axis]
            ids = spread(picked[k], grid[k])
            indices[axis] = np.concatenate([np.arange(i * chunk, min((i + 1) * chunk, size)) for i in ids])
        cost = read_cost(array, indices)
        if cost.within(AUTO_SAMPLE_CHUNKS, AUTO_SAMPLE_BYTES):
            return read_orthogonal(array, indices)
        if picked == [1, 1]:
            return read_orthogonal(array, indices) if cost.within(AUTO_SAMPLE_CHUNKS, 8 * AUTO_SAMPLE_BYTES) else None
        # Fewer chunk rows and columns, keeping their proportion.
        picked = [max(1, p * 7 // 10) for p in picked]


def percentile_window(values: np.ndarray) -> tuple[float, float]:
    """(low, high) percentiles AUTO_PERCENTILES of the finite values (min–max when they are
    equal; (0, 1) without values)."""
    values = values.ravel()  # no float64 copy: the sample may be tens of MB
    if values.dtype.kind == "b":
        values = values.view(np.uint8)
    elif values.dtype.kind == "c":
        values = values.real
    if values.dtype.kind == "f":
        values = values[np.isfinite(values)]
    if values.size == 0:
        return 0.0, 1.0
    lo, hi = (float(v) for v in np.percentile(values, AUTO_PERCENTILES))
    if hi <= lo:
        lo, hi = float(values.min()), float(values.max())
    if hi <= lo:
        hi = lo + 1.0
    return lo, hi


def labels_shown_at_open(image: Image) -> bool:
    """Label maps are overlaid at open when the image has only a few."""
    return len(image.labels) <= MAX_LABELS_SHOWN


def label_plane(image: Image, plane: tuple[int, ...], label_map: LabelMap) -> tuple[int, ...]:
    """The image plane on the label map's own slider axes, matched by axis name."""
    shape = image.levels[0].shape
    by_name = {image.axes[a].name: (v, shape[a]) for a, v in zip(image.layout.sliders, plane)}
    out = []
    for axis in label_map.layout.sliders:
        size = label_map.levels[0].shape[axis]
        value, parent_size = by_name.get(label_map.axes[axis].name, (0, size))
        out.append(level_index(value, parent_size, size))
    return tuple(out)
