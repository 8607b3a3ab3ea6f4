"""Channel rendering settings from `omero`, with sensible defaults where it is missing or partial."""

from __future__ import annotations

import math
import re

import numpy as np

from ..findings import Finding
from .limits import MAX_CHANNELS
from .model import Channel, Image

#: Default colours for several channels (magenta/green pairs read well for two-channel images).
PALETTE = ["FF00FF", "00FF00", "0000FF", "FFFF00", "00FFFF", "FF0000", "FF8000", "FFFFFF"]
RGB = ["FF0000", "00FF00", "0000FF", "FFFFFF"]
_HEX = re.compile(r"^[0-9A-Fa-f]{6}$")


def dtype_range(dtype: np.dtype) -> tuple[float, float]:
    """The natural display range of a data type (floats: 0–1)."""
    if dtype.kind in "ui":
        info = np.iinfo(dtype)
        return float(info.min), float(info.max)
    if dtype.kind == "b":
        return 0.0, 1.0
    return 0.0, 1.0


def channel_count(image: Image) -> int:
    axis = image.channel_axis
    return 1 if axis is None else int(image.levels[0].shape[axis])


def parse_channels(omero: dict | None, image: Image, findings: list[Finding]) -> tuple[list[Channel], bool]:
    """(channels, is_rgb). One entry per index of the channel axis, whatever `omero` lists."""
    count = channel_count(image)
    if count > MAX_CHANNELS:
        findings.append(Finding("ome-channels", "warning", f"the image at '{image.path or '/'}' has {count} channels; only the first {MAX_CHANNELS} are listed"))
    dtype = image.levels[0].dtype
    rgb = omero is None and dtype == np.uint8 and count in (3, 4)
    defaults = default_colors(min(count, MAX_CHANNELS), rgb)
    lo, hi = dtype_range(dtype)
    entries = omero.get("channels") if omero else None
    entries = entries if isinstance(entries, list) else []
    if omero is not None and len(entries) != count and count <= MAX_CHANNELS:
        findings.append(Finding("ome-omero", "warning", f"omero lists {len(entries)} channels but the image has {count}; the rest use defaults"))
    channels = []
    count = min(count, MAX_CHANNELS)
    defaults = defaults[:count]
    for i in range(count):
        item = entries[i] if i < len(entries) and isinstance(entries[i], dict) else None
        if item is None:
            channels.append(Channel(f"Channel {i}" if count > 1 else "Intensity", defaults[i], (lo, hi), (lo, hi), True, False, False))
            continue
        window = item.get("window") if isinstance(item.get("window"), dict) else {}
        start, end = _number(window.get("start")), _number(window.get("end"))
        wmin, wmax = _number(window.get("min")), _number(window.get("max"))
        has_window = start is not None and end is not None and end != start
        channels.append(
            Channel(
                label=item["label"] if isinstance(item.get("label"), str) and item["label"] else f"Channel {i}",
                color=_color(item.get("color"), defaults[i]),
                window=(start, end) if has_window else (lo, hi),  # type: ignore[arg-type]
                limits=(wmin, wmax) if wmin is not None and wmax is not None else None,
                active=item.get("active") is not False,
                inverted=item.get("inverted") is True,
                from_metadata=has_window,
            )
        )
    return channels, rgb


def default_colors(count: int, rgb: bool) -> list[str]:
    """Grey for one channel, R/G/B(/A) for RGB pictures, else a distinct palette."""
    if count == 1:
        return ["FFFFFF"]
    if rgb:
        return RGB[:count]
    return [PALETTE[i % len(PALETTE)] for i in range(count)]


def _color(value: object, default: str) -> str:
    if isinstance(value, str):
        text = value.strip().lstrip("#")
        if _HEX.match(text):
            return text.upper()
    return default


def _number(value: object) -> float | None:
    """A finite number, or None (integers too large for a float are not numbers here)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:
            return None
        return number if math.isfinite(number) else None
    return None
