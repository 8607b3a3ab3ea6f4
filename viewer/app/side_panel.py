"""The side panel of files with several images: a dock with the catalog tree and plate grids.

It lists what `catalog.build_catalog` found, draws thumbnails in the background
(`ThumbnailJobs`), and emits `image_chosen(Image)` when the user picks an image (click, arrow
keys in the tree, grid or field list, Page Up / Page Down through all images). It never reads
the file on the GUI thread and never follows entries that cannot be shown.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QImage, QKeySequence
from PySide6.QtWidgets import QDockWidget, QLabel, QSplitter, QVBoxLayout, QWidget

from ..ome.model import Image
from .catalog import Catalog, Entry, PlateGrid
from .catalog_tree import CatalogTree
from .plate_view import PlateView
from .settings import set_side_panel_visible
from .thumbnail_jobs import ThumbnailJobs

PANEL_WIDTH = 340
PLATE_PANEL_WIDTH = 480


class SidePanel(QDockWidget):
    """Lists the images of one document. `set_catalog` fills it, `set_current` follows the image
    shown, `step` moves through the images (`next_action` / `previous_action`: Page Down / Up).
    Hiding or showing it by hand (its close button, `toggleViewAction`) is remembered per user."""

    image_chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Images", parent)
        self.setObjectName("images")
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable | QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.catalog: Catalog | None = None
        self.jobs: ThumbnailJobs | None = None
        self.current: Entry | None = None
        self.tree = CatalogTree()
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.plate_view: PlateView | None = None
        self._plate_box = QWidget()
        self._plate_layout = QVBoxLayout(self._plate_box)
        self._plate_layout.setContentsMargins(0, 0, 0, 0)
        self._splitter = QSplitter(Qt.Orientation.Vertical)
        self._splitter.addWidget(self.tree)
        self._splitter.addWidget(self._plate_box)
        self._splitter.setChildrenCollapsible(False)
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(4, 4, 4, 4)
        column.addWidget(self.title)
        column.addWidget(self._splitter, 1)
        self.setWidget(body)
        self._wanted = QTimer(self, singleShot=True, interval=0, timeout=self._update_wanted)
        self.tree.entry_activated.connect(self._entry_activated)
        self.tree.visible_changed.connect(self._wanted.start)
        self.toggleViewAction().setText("&Image List")
        self.toggleViewAction().triggered.connect(set_side_panel_visible)
        self.next_action = QAction("&Next Image", self, shortcut=QKeySequence.StandardKey.MoveToNextPage,
                                   triggered=lambda: self.step(1))
        self.previous_action = QAction("&Previous Image", self, shortcut=QKeySequence.StandardKey.MoveToPreviousPage,
                                       triggered=lambda: self.step(-1))
        for action in (self.next_action, self.previous_action):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.setEnabled(False)
            self.addAction(action)  # the keys work while the panel shows; the window's menu adds them too

    # ---- content -----------------------------------------------------------------------------
    def set_catalog(self, catalog: Catalog | None, hold: bool = False) -> list[threading.Thread]:
        """Show `catalog` (None: nothing); with `hold`, thumbnails wait for `go_on`. Returns the
        thumbnail workers of the previous catalog, told to stop: join them (off the GUI thread)
        before closing its document."""
        old = self.jobs
        workers = []
        if old is not None:
            old.close()
            workers = old.workers
            old.deleteLater()
        self.catalog, self.current, self.jobs = catalog, None, None
        self._set_plate(None)
        self.tree.clear()
        several = catalog is not None and len(catalog.images) > 1
        self.next_action.setEnabled(several)
        self.previous_action.setEnabled(several)
        if catalog is None:
            self.title.clear()
            return workers
        self.jobs = ThumbnailJobs([e.image for e in catalog.images], parent=self)
        self.jobs.pause(hold)
        self.jobs.ready.connect(self._thumbnail_ready)
        self.jobs.failed.connect(self._thumbnail_failed)
        root = catalog.root
        only_plate = root.kind == "plate"
        self.title.setText(_title(catalog))
        self.tree.setVisible(not only_plate)
        if only_plate:
            self._set_plate(catalog.plates[0])
        else:
            self.tree.set_catalog(catalog)
        self.setMinimumWidth(PLATE_PANEL_WIDTH if catalog.plates else PANEL_WIDTH)
        self._wanted.start()
        return workers

    def set_current(self, image: Image) -> None:
        """Mark `image` as the one shown (no signal): the tree or grid selects and reveals it."""
        if self.catalog is None:
            return
        entry = self.catalog.entry_of(image)
        if entry is None:
            return
        self.current = entry
        plate = self.catalog.plate_of(entry)
        if plate is not None:
            self._set_plate(plate)
            self.plate_view.select(entry)
        elif self.catalog.root.kind != "plate":
            self._set_plate(None)
        self.tree.select(entry)
        self._wanted.start()

    def step(self, delta: int) -> None:
        """Choose the image `delta` places after the current one in document order (clamped)."""
        if self.catalog is None or not self.catalog.images:
            return
        index = self.current.index if self.current is not None else -1 if delta > 0 else len(self.catalog.images)
        target = min(max(index + delta, 0), len(self.catalog.images) - 1)
        if self.current is not None and target == self.current.index:
            return
        self._choose(self.catalog.images[target])

    def go_on(self) -> None:
        """Let held thumbnails be drawn."""
        if self.jobs is not None:
            self.jobs.pause(False)

    def picture(self, index: int) -> QImage | None:
        """The thumbnail of catalog image `index`, once drawn."""
        return self.jobs.picture(index) if self.jobs is not None else None

    def closeEvent(self, event: QCloseEvent) -> None:
        """The close button: hidden until the user shows it again (View › Image List)."""
        set_side_panel_visible(False)
        super().closeEvent(event)

    # ---- helpers -------------------------------------------------------------------------------
    def _choose(self, entry: Entry) -> None:
        assert entry.image is not None
        self.set_current(entry.image)
        self.image_chosen.emit(entry.image)

    def _entry_activated(self, entry: Entry) -> None:
        if entry.kind == "image":
            self._choose(entry)
            return
        plate = self.catalog.plate_of(entry) if self.catalog is not None else None
        if plate is not None:
            self._set_plate(plate)
        first = entry.first_image() if entry.kind in ("well", "plate") else None
        if first is not None and entry.kind == "well":
            self._choose(first)

    def _set_plate(self, plate: PlateGrid | None) -> None:
        if self.plate_view is not None and (plate is None or self.plate_view.plate is not plate):
            self.plate_view.setParent(None)
            self.plate_view.deleteLater()
            self.plate_view = None
        if plate is not None and self.plate_view is None:
            self.plate_view = PlateView(plate, self.picture)
            self.plate_view.entry_activated.connect(self._entry_activated)
            self.plate_view.visible_changed.connect(self._wanted.start)
            self._plate_layout.addWidget(self.plate_view)
        self._plate_box.setVisible(self.plate_view is not None)

    def _update_wanted(self) -> None:
        """Tell the thumbnail jobs what is in view now (the current image first)."""
        if self.jobs is None:
            return
        keys = [self.current.index] if self.current is not None and self.current.index is not None else []
        if self.plate_view is not None:
            keys += self.plate_view.visible_images()
        if not self.tree.isHidden():
            in_view = self.tree.visible_images()
            for index in in_view:  # drawn before, its icon given back since: show it again
                picture = self.jobs.picture(index)
                if picture is not None and not self.tree.has_thumbnail(index):
                    self.tree.set_thumbnail(index, picture)
            keys += in_view
        self.jobs.want(keys)

    def _thumbnail_ready(self, index: int, picture: QImage) -> None:
        self.tree.set_thumbnail(index, picture)
        if self.plate_view is not None:
            self.plate_view.set_thumbnail(index, picture)

    def _thumbnail_failed(self, index: int, message: str) -> None:
        self.tree.set_thumbnail_error(index, message)
        if self.plate_view is not None:
            self.plate_view.set_thumbnail_error(index, message)


def _title(catalog: Catalog) -> str:
    """“<root name> · N images”, with the plate size for a plate."""
    root = catalog.root
    count = len(catalog.images)
    text = f"<b>{_escape(root.name)}</b> · {count} images"
    if root.kind == "plate" and catalog.plates:
        plate = catalog.plates[0]
        text += f" in {len(plate.wells)} wells ({len(plate.rows)} × {len(plate.columns)})"
    return text


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
