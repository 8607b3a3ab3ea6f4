"""The images of the file a window shows: its catalog in the side panel, the panel's hold on the
open file, and each image's channel settings while the window moves between its images."""

from __future__ import annotations

import threading

from PySide6.QtCore import QTimer

from ..ome.model import Image
from ..render.canvas import ImageCanvas
from ..render.styles import ChannelStyle, LabelStyle
from .catalog import Catalog, build_catalog
from .document_session import DocumentSession
from .settings import side_panel_visible
from .side_panel import SidePanel
from .view_state import ViewState


#: Thumbnails wait at most this long for the first frame of the file's first image.
THUMBNAIL_HOLD_MS = 600


class DocumentImages:
    """Follows the file of the image shown: `follow` when an image is shown, `remember` when it
    is let go, `close` with the window. The panel is shown only when the catalog wants it (and
    the user has not hidden it); while it lists a file, it holds one reference to that file's
    `DocumentSession`, given back once its thumbnail jobs have ended."""

    def __init__(self, panel: SidePanel, canvas: ImageCanvas) -> None:
        self.panel = panel
        self._canvas = canvas
        self.catalog: Catalog | None = None
        self._session: DocumentSession | None = None
        self._styles: dict[int, tuple[Image, list[ChannelStyle], list[LabelStyle]]] = {}
        panel.hide()
        panel.toggleViewAction().setEnabled(False)

    def follow(self, session: DocumentSession, image: Image) -> str:
        """`image` of the file `session` is shown: list that file (when it is another one) and
        mark the image. Returns the image's name as the panel lists it."""
        if session is not self._session:
            self._let_go()
            catalog = build_catalog(session.document)  # no reading: the tree is in memory
            self.catalog = catalog
            if catalog.wants_panel:
                session.acquire()
                self._session = session
                # Shown now, before the window settles its layout: the canvas gets its final
                # size before the first frame (a resize after it costs a stall).
                self.panel.set_catalog(catalog, hold=True)
                self.panel.setVisible(side_panel_visible())
                self._thumbnails_after_frame()
            else:
                self.panel.hide()
            self.panel.toggleViewAction().setEnabled(catalog.wants_panel)
        entry = self.catalog.entry_of(image) if self.catalog is not None else None
        if self._session is not None:
            self.panel.set_current(image)
        return entry.name if entry is not None else image.name

    def _thumbnails_after_frame(self) -> None:
        """Thumbnails start once the first image's first frame is on screen (their decoding
        would delay it), or after THUMBNAIL_HOLD_MS when no frame comes."""
        canvas, panel = self._canvas, self.panel
        done = []

        def go_on(_event=None) -> None:
            if not done:
                done.append(True)
                canvas.events.presented.disconnect(go_on)
                panel.go_on()

        canvas.events.presented.connect(go_on)
        QTimer.singleShot(THUMBNAIL_HOLD_MS, panel, go_on)

    @property
    def several(self) -> bool:
        """The file shown holds more than one image."""
        return self.catalog is not None and self.catalog.wants_panel

    def remember(self, state: ViewState) -> None:
        """Keep the channel and label settings of the image being let go (for this file only)."""
        self._styles[id(state.image)] = (state.image, list(state.channels), list(state.labels))

    def restore(self, state: ViewState) -> None:
        """Give a newly shown image the settings it had when last shown in this window."""
        kept = self._styles.get(id(state.image))
        if kept is not None and kept[0] is state.image:
            _, channels, labels = kept
            if len(channels) == len(state.channels):
                state.channels = list(channels)
            if len(labels) == len(state.labels):
                state.labels = list(labels)

    def close(self) -> None:
        """The window closes: stop thumbnails and let go of the file."""
        self._let_go()
        self.catalog = None

    def _let_go(self) -> None:
        workers = self.panel.set_catalog(None)
        session, self._session = self._session, None
        self._styles.clear()
        if session is not None:
            _release_after(workers, session)


def _release_after(workers: list[threading.Thread], session: DocumentSession) -> None:
    """Give `session` back once the thumbnail workers have stopped reading (off the GUI thread)."""

    def release() -> None:
        for worker in workers:
            worker.join()
        session.release()

    threading.Thread(target=release, name="close-image-list", daemon=True).start()
