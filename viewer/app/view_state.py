"""What one window shows, as plain data without Qt: the image, its plane, channel and label
styles and the view rectangle. Panels, sliders, the status bar and the image session bind to it
(read it, change it through its methods, and follow its events); they never talk to each other."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Generic, TypeVar

from ..ome.display_defaults import LABEL_OPACITY, labels_shown_at_open
from ..ome.model import Image
from ..render.styles import ChannelStyle, LabelStyle, channel_styles
from ..render.units import format_length
from ..tiles import View

T = TypeVar("T")


class Event(Generic[T]):
    """A list of callbacks called with one value, in the order they were connected."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[T], None]] = []

    def connect(self, callback: Callable[[T], None]) -> None:
        self._callbacks.append(callback)

    def disconnect(self, callback: Callable[[T], None]) -> None:
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, value: T) -> None:
        for callback in list(self._callbacks):
            callback(value)


class ViewState:
    """The state of one shown image. Setters only emit when something changed.

    Events: `plane_changed(plane)`, `channel_changed(index)`, `label_changed(index)`,
    `view_changed(view)`. `opening_channels`: the styles the image opened with (what Reset
    returns to).
    """

    def __init__(self, image: Image, plane: tuple[int, ...]) -> None:
        self.image = image
        self.layout = image.layout
        self.plane = tuple(plane)
        self.channel_names = [c.label for c in image.channels]
        self.channels: list[ChannelStyle] = channel_styles(image.channels)
        self.opening_channels = list(self.channels)
        shown = labels_shown_at_open(image)
        self.label_names = [m.name for m in image.labels]
        self.labels: list[LabelStyle] = [LabelStyle(shown, LABEL_OPACITY) for _ in image.labels]
        self.view: View | None = None
        self.plane_changed: Event[tuple[int, ...]] = Event()
        self.channel_changed: Event[int] = Event()
        self.label_changed: Event[int] = Event()
        self.view_changed: Event[View] = Event()

    @property
    def plane_sizes(self) -> list[int]:
        """Entries of each slider axis (level 0)."""
        shape = self.image.levels[0].shape
        return [shape[axis] for axis in self.layout.sliders]

    def plane_texts(self) -> list[str]:
        """Per slider axis, "index / last", plus the physical position when the axis has a unit
        (`12 / 39 · 3.6 µm`, `5 / 19 · 10 s`)."""
        level = self.image.levels[0]
        texts = []
        for value, size, axis in zip(self.plane, self.plane_sizes, self.layout.sliders):
            text = f"{value} / {size - 1}"
            unit = self.image.axes[axis].unit
            if unit:
                text += " · " + format_length(level.translation[axis] + value * level.scale[axis], unit)
            texts.append(text)
        return texts

    def set_plane(self, plane: tuple[int, ...]) -> None:
        """Go to `plane` (each index clamped to its axis)."""
        plane = tuple(min(max(int(v), 0), size - 1) for v, size in zip(plane, self.plane_sizes))
        if plane != self.plane:
            self.plane = plane
            self.plane_changed.emit(plane)

    def step(self, axis_type: str, delta: int) -> None:
        """Move the first slider axis of type `axis_type` ("space" = z, "time" = t) by `delta`."""
        for index, axis in enumerate(self.layout.sliders):
            if self.image.axes[axis].type == axis_type:
                plane = list(self.plane)
                plane[index] += delta
                self.set_plane(tuple(plane))
                return

    def set_channel(self, index: int, **changes) -> None:
        """Change fields of channel `index`'s style (color, window, active, inverted)."""
        if "color" in changes:
            changes["color"] = changes["color"].lstrip("#").upper()
        if "window" in changes:
            changes["window"] = tuple(float(v) for v in changes["window"])
        style = replace(self.channels[index], **changes)
        if style != self.channels[index]:
            self.channels[index] = style
            self.channel_changed.emit(index)

    def reset_channel(self, index: int) -> None:
        """Back to the window the image opened with."""
        self.set_channel(index, window=self.opening_channels[index].window)

    def set_label(self, index: int, **changes) -> None:
        """Change fields of label map `index`'s style (visible, opacity)."""
        style = replace(self.labels[index], **changes)
        if style != self.labels[index]:
            self.labels[index] = style
            self.label_changed.emit(index)

    def set_view(self, view: View) -> None:
        if view != self.view:
            self.view = view
            self.view_changed.emit(view)
