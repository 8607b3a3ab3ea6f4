"""How layers are painted, as plain data (no Qt, no GL): the shader, the numpy composite, the
panels and the per-window view state all use these types."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChannelStyle:
    """How one channel is painted: colour 'RRGGBB', window (start, end) in data units."""

    color: str
    window: tuple[float, float]
    active: bool = True
    inverted: bool = False
