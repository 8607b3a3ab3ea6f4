"""Playing through z or t: one step per tick, skipping ticks while the shown plane is still
loading, so playback slows down instead of queueing planes that would never be seen."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from .view_state import ViewState

FRAMES_PER_SECOND = 10


class PlanePlayer(QObject):
    """Steps slider `index` of `state` forward (wrapping at the end) while playing; a tick is
    dropped while `ready()` is False (the current plane is not drawn yet). Emits
    `playing_changed(bool)`."""

    playing_changed = Signal(bool)

    def __init__(self, state: ViewState, index: int, ready: Callable[[], bool], fps: float = FRAMES_PER_SECOND) -> None:
        super().__init__()
        self._state = state
        self.index = index
        self._ready = ready
        self.shown = 0
        self.dropped = 0
        self._timer = QTimer(self, interval=max(int(1000 / fps), 1))
        self._timer.timeout.connect(self._tick)

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def toggle(self) -> None:
        self.stop() if self.playing else self.play()

    def play(self) -> None:
        if not self.playing:
            self._timer.start()
            self.playing_changed.emit(True)

    def stop(self) -> None:
        if self.playing:
            self._timer.stop()
            self.playing_changed.emit(False)

    def _tick(self) -> None:
        if not self._ready():
            self.dropped += 1
            return
        plane = list(self._state.plane)
        plane[self.index] = (plane[self.index] + 1) % self._state.plane_sizes[self.index]
        self._state.set_plane(tuple(plane))
        self.shown += 1
