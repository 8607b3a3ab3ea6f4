"""The neutral document tree: images, levels, axes, channels and label maps (no Qt, no GL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator, Literal, Union

import numpy as np

from ..findings import Finding
from .limits import reachable_planes

if TYPE_CHECKING:
    from ..container.base import Container
    from .zarr_array import ZarrArray


@dataclass(frozen=True)
class Axis:
    """One dimension of an image: `type` is "space", "time", "channel", a custom string or None."""

    name: str
    type: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class PlaneLayout:
    """Roles of an image's axes: the displayed `row` and `col` (the last two space axes, else the
    last two axes), the `channel` axis if any, and the `sliders` (z, t, custom) in axis order."""

    row: int
    col: int
    channel: int | None
    sliders: tuple[int, ...]


def plane_layout(axes: list[Axis]) -> PlaneLayout:
    """The axis roles for display."""
    spatial = [i for i, a in enumerate(axes) if a.type == "space"]
    row, col = spatial[-2:] if len(spatial) >= 2 else (len(axes) - 2, len(axes) - 1)
    channel = next((i for i, a in enumerate(axes) if a.type == "channel"), None)
    sliders = tuple(i for i in range(len(axes)) if i not in (row, col, channel))
    return PlaneLayout(row, col, channel, sliders)


@dataclass
class Level:
    """One resolution level: a lazy array plus its physical scale and translation per axis."""

    path: str
    array: ZarrArray
    scale: tuple[float, ...]
    translation: tuple[float, ...]

    @property
    def shape(self) -> tuple[int, ...]:
        return self.array.shape

    @property
    def dtype(self) -> np.dtype:
        return self.array.dtype

    @property
    def chunks(self) -> tuple[int, ...]:
        """The unit of reading: the inner chunk shape when sharded."""
        return self.array.chunks

    @property
    def shards(self) -> tuple[int, ...] | None:
        return self.array.shards


@dataclass
class Channel:
    """Rendering settings of one channel. `window` is (start, end); `limits` is (min, max)."""

    label: str
    color: str
    window: tuple[float, float]
    limits: tuple[float, float] | None = None
    active: bool = True
    inverted: bool = False
    from_metadata: bool = True


@dataclass
class LabelMap:
    """An integer image drawn over its source image; `colors` maps a value to RGBA 0–255."""

    name: str
    path: str
    axes: list[Axis]
    levels: list[Level]
    colors: dict[int, tuple[int, int, int, int]] = field(default_factory=dict)
    properties: dict[int, dict] = field(default_factory=dict)

    @property
    def layout(self) -> PlaneLayout:
        return plane_layout(self.axes)


@dataclass
class Image:
    """One multiscale image: levels finest first, its channels and its label maps."""

    name: str
    path: str
    axes: list[Axis]
    levels: list[Level]
    channels: list[Channel]
    labels: list[LabelMap] = field(default_factory=list)
    default_z: int | None = None
    default_t: int | None = None
    model: Literal["color", "greyscale"] = "color"
    rgb: bool = False

    @property
    def layout(self) -> PlaneLayout:
        return plane_layout(self.axes)

    @property
    def channel_axis(self) -> int | None:
        """Index of the channel axis, or None for a single-channel image."""
        return self.layout.channel

    @property
    def plane_axes(self) -> tuple[int, int]:
        """Indices of the displayed (row, column) axes."""
        return self.layout.row, self.layout.col

    @property
    def slider_axes(self) -> list[int]:
        """Axes that are neither displayed nor the channel axis (z, t, custom)."""
        return list(self.layout.sliders)

    def plane_count(self, axis: int) -> int:
        """Positions a slider of `axis` offers: level 0's size, capped at limits.MAX_PLANES."""
        return reachable_planes(self.levels[0].shape[axis])


@dataclass
class Group:
    """A container of nodes: a collection, plate, well, bioformats2raw series set or folder."""

    name: str
    path: str
    kind: Literal["collection", "plate", "well", "series", "folder"]
    children: list[Node] = field(default_factory=list)
    attributes: dict = field(default_factory=dict)


@dataclass
class Unavailable:
    """A node that cannot be shown: outside the file, encrypted, unreadable; `reason` says why."""

    name: str
    path: str
    target: str
    reason: str


@dataclass
class Opaque:
    """A node of a type the viewer does not know (RFC-8 extension types); listed, not opened."""

    name: str
    path: str
    node_type: str


Node = Union[Image, Group, Unavailable, Opaque]


@dataclass
class Document:
    """What one file holds: a tree rooted at `root`, plus container facts and findings."""

    source: str
    format: Literal["ozx", "zip", "directory"]
    ome_version: str | None
    root: Node
    ome_findings: list[Finding]
    container: Container

    @property
    def findings(self) -> list[Finding]:
        """Container findings (RFC-9 conformance) followed by metadata findings."""
        return list(self.container.findings) + self.ome_findings

    def images(self) -> list[Image]:
        """Every image in document order (label maps are not images)."""
        return list(iter_images(self.root))

    def close(self) -> None:
        """Release the file handle."""
        self.container.close()


def iter_images(node: Node) -> Iterator[Image]:
    """Depth-first, document-order walk yielding the images under `node`."""
    if isinstance(node, Image):
        yield node
    elif isinstance(node, Group):
        for child in node.children:
            yield from iter_images(child)
