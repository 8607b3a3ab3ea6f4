"""The window's actions around the canvas: Properties, Save a Copy, Export View / Copy View,
Preferences, About, and the banner that tells when the open file changed on disk or does not
conform.

`ShellActions(window)` makes the actions and the banner; the window puts them in its menus and
layout, and calls `document_shown` / `document_closed` as images come and go.
"""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import QObject, QStandardPaths, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow

from ..identity import APP_NAME
from ..ome.model import Document
from .about import AboutDialog, version_rows
from .background import BackgroundCall
from .banner import Banner
from .export_view import grab_view, to_qimage, write_png
from .notices import FileWatch, conformance_notice
from .preferences import PreferencesDialog
from .settings import cache_budget
from .properties import PropertiesDialog
from .save_copy import can_save_copy, save_copy

logger = logging.getLogger(__name__)

#: How often the open file is checked on disk (a stat of the path and one of the open handle).
WATCH_INTERVAL_MS = 2000
SAVE_FILTER = "Zipped OME-Zarr (*.ozx);;All files (*)"


class ShellActions(QObject):
    """Actions and banner of one window; `window` needs `show_message(text, timeout_ms)` and `canvas`."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.banner = Banner()
        self.document: Document | None = None
        self.watch: FileWatch | None = None
        self.properties: PropertiesDialog | None = None
        self.properties_action = QAction("&Properties…", window, shortcut=QKeySequence("Ctrl+I"),
                                         triggered=self.show_properties, enabled=False)
        self.save_copy_action = QAction("Save a &Copy…", window, triggered=self.save_copy_dialog, enabled=False)
        self.preferences_action = QAction("&Preferences…", window, shortcut=QKeySequence.StandardKey.Preferences,
                                          triggered=self.show_preferences, menuRole=QAction.MenuRole.PreferencesRole)
        self.about_action = QAction(f"&About {APP_NAME}", window, triggered=self.show_about,
                                    menuRole=QAction.MenuRole.AboutRole)
        self.export_action = QAction("&Export View as PNG…", window, triggered=self.export_dialog, enabled=False)
        self.copy_view_action = QAction("&Copy View", window, shortcut=QKeySequence.StandardKey.Copy,
                                        triggered=self.copy_view, enabled=False)
        self._timer = QTimer(self, interval=WATCH_INTERVAL_MS)
        self._timer.timeout.connect(self.check_file)
        self._jobs: set[BackgroundCall] = set()

    # ---- the document --------------------------------------------------------------------------
    def document_shown(self, document: Document) -> None:
        """A new document is shown: enable its actions, watch its file, show its banner if any."""
        self.document = document
        self.watch = FileWatch(document.container)
        for action in (self.properties_action, self.export_action, self.copy_view_action):
            action.setEnabled(True)
        why_not = can_save_copy(document.container)
        self.save_copy_action.setEnabled(why_not is None)
        self.save_copy_action.setToolTip(why_not or "Write the bytes of the open file to another place")
        if self.properties is not None and self.properties.isVisible():
            self.properties.show_document(document)
        self.check_file()
        self._timer.start()

    def document_closed(self) -> None:
        self._timer.stop()
        self.document = self.watch = None
        for action in (self.properties_action, self.save_copy_action, self.export_action, self.copy_view_action):
            action.setEnabled(False)
        self.banner.show_text(None)

    def check_file(self, *_args: object) -> None:
        """Show what happened to the open file (removed, replaced, changed), else whether it
        does not conform; called on a timer and when a tile fails."""
        if self.document is None or self.watch is None:
            return
        text = self.watch.check() or conformance_notice(self.document.findings, self.document.container)
        self.banner.show_text(text)

    # ---- dialogs ---------------------------------------------------------------------------------
    def show_properties(self) -> None:
        if self.document is None:
            return
        if self.properties is None:
            self.properties = PropertiesDialog(self.window)
        self.properties.show_document(self.document)

    def show_preferences(self) -> PreferencesDialog:
        """Open the (window-modal) Preferences dialog; returns at once."""
        dialog = PreferencesDialog(self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        # The budget is shared by every window: the new size applies to all of them at once.
        dialog.accepted.connect(lambda: self.window.budget.set_tile_bytes(cache_budget()))
        dialog.open()
        return dialog

    def show_about(self) -> AboutDialog:
        """Open the About box (window-modal); returns at once."""
        try:
            gl = self.window.canvas.gl_info()
        except Exception:  # no context (closed, or none could be made): the box still opens
            logger.exception("the OpenGL strings cannot be read")
            gl = None
        dialog = AboutDialog(version_rows(gl), self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    # ---- Save a Copy -----------------------------------------------------------------------------
    def save_copy_dialog(self) -> None:
        if self.document is None:
            return
        name = os.path.basename(self.document.source.rstrip("/\\"))
        # Not beside the open file: it may sit in a mail client's temporary folder.
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or os.path.expanduser("~")
        target, _ = QFileDialog.getSaveFileName(self.window, "Save a Copy", os.path.join(folder, name), SAVE_FILTER)
        if target:
            self.save_copy_to(target)

    def save_copy_to(self, target: str) -> BackgroundCall | None:
        """Copy the open file to `target` on a worker thread; the outcome shows in the status bar."""
        if self.document is None:
            return None
        container, name = self.document.container, os.path.basename(target)
        self.window.show_message(f"Saving a copy as {name}…")
        return self._run("save-copy", lambda: save_copy(container, target),
                         lambda written: f"Saved a copy as {target} ({written:,} bytes).",
                         "The copy was not saved")

    # ---- the view as a picture -------------------------------------------------------------------
    def export_dialog(self) -> None:
        if self.document is None:
            return
        stem = os.path.splitext(os.path.basename(self.document.source.rstrip("/\\")))[0] or "view"
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation) or os.path.expanduser("~")
        target, _ = QFileDialog.getSaveFileName(self.window, "Export View as PNG", os.path.join(folder, f"{stem}.png"),
                                                "PNG images (*.png)")
        if target:
            self.export_view_to(target)

    def export_view_to(self, target: str) -> None:
        """Write the next frame shown (with the scale bar) to `target`, encoded and written off the
        GUI thread; the outcome shows in the status bar."""
        if self.document is None:
            return
        container = self.document.container

        def write(pixels) -> None:
            rows, cols = pixels.shape[:2]
            self._run("export-view", lambda: write_png(pixels, target, container),
                      lambda _written: f"Exported the view ({cols} × {rows} pixels) to {target}.",
                      "The view was not exported")

        grab_view(self.window.canvas, write)

    def copy_view(self) -> None:
        """Put the next frame shown on the clipboard as an image."""
        if self.document is None:
            return

        def copy(pixels) -> None:
            image = to_qimage(pixels)
            QGuiApplication.clipboard().setImage(image)
            self.window.show_message(f"Copied the view ({image.width()} × {image.height()} pixels).", 5000)

        grab_view(self.window.canvas, copy)

    def _run(self, name: str, work, done_text, failed_text: str) -> BackgroundCall:
        """Run `work` on a worker thread; its outcome goes to the status bar."""
        call = BackgroundCall(name, self)
        self._jobs.add(call)
        call.finished.connect(lambda result: self.window.show_message(done_text(result), 10000))
        call.failed.connect(lambda message: self.window.show_message(f"{failed_text}: {message}", 15000))
        for signal in (call.finished, call.failed):
            signal.connect(lambda *_: self._jobs.discard(call))
        call.start(work)
        return call

    def close(self) -> None:
        self._timer.stop()
