"""`run(paths)`: start the viewer (the `ozx-viewer [FILE...]` command)."""

from __future__ import annotations

import sys

# vispy (and with it numpy) before PySide6: every module imported after PySide6 passes its
# feature hook, which reads the module's source (inspect.getsource); ~65 ms for vispy's modules.
import vispy.scene  # noqa: F401,I001  (import order matters, see above)
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from ..identity import APP_ID, APP_NAME
from .app_icon import app_icon
from .application import Application
from .error_log import start_log
from .single_instance import Election
from .startup import PendingOpen, sample_path

__all__ = ["run", "sample_path"]


def run(paths: list[str], pending: PendingOpen | None = None, election: Election | None = None) -> int:
    """Open each of `paths` (absolute) in a window of its own and run until the last one closes.

    `pending`: the opening of `paths[0]`, if the caller started it already. `election`: this
    process serves later launches when it is the primary.
    """
    start_log()
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    qapp.setApplicationName(APP_NAME)
    qapp.setApplicationDisplayName(APP_NAME)
    qapp.setDesktopFileName(APP_ID)  # desktop shells match windows to the .desktop entry by it
    qapp.setWindowIcon(app_icon())  # every window's icon
    app = Application(qapp, election)
    try:
        window = app.new_window()
        if pending is not None:
            # Ready already: the first frame shows the image. Adopted from the event loop, so
            # showing the window and building the session are two short GUI-thread stints.
            QTimer.singleShot(0, lambda: app.open_paths(paths, target=window, pending=pending))
        else:
            app.open_paths(paths, target=window)
        return qapp.exec()
    finally:
        app.close()
