"""How layers are painted, as plain data (no Qt, no GL): the shader, the numpy composite, the
panels and the per-window view state all use these types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from ..ome.model import Channel


@dataclass(frozen=True)
class ChannelStyle:
    """How one channel is painted: colour 'RRGGBB', window (start, end) in data units."""

    color: str
    window: tuple[float, float]
    active: bool = True
    inverted: bool = False


def channel_styles(channels: Sequence[Channel]) -> list[ChannelStyle]:
    """The styles of an image's channels as its metadata (or the opening defaults) set them."""
    return [ChannelStyle(c.color, c.window, c.active, c.inverted) for c in channels]


@dataclass(frozen=True)
class LabelStyle:
    """How one label map is painted over the composite: shown or not, opacity 0–1."""

    visible: bool = True
    opacity: float = 0.5
