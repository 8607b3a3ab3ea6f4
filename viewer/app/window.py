"""The main window: canvas, plane sliders, channel and label panels, status bar, opening files."""

from __future__ import annotations

import math
import os

from PySide6.QtCore import QEvent, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QCursor, QDesktopServices, QDragMoveEvent, QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QGridLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QScrollArea,
    QSlider,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..render.canvas import ImageCanvas
from ..render.units import abbreviate
from .empty_state import EmptyState
from .error_log import log_dir
from ..ome.model import Image
from ..tiles import MemoryBudget
from .contrast_sampler import ContrastSampler
from .document_images import DocumentImages
from .plane_player import FRAMES_PER_SECOND, PlanePlayer
from .image_session import ImageSession
from .opening import DocumentOpener, OpenedImage, PendingOpen
from .panels import ChannelPanel, LabelPanel
from .startup import release_free_memory
from .settings import cache_budget
from .shell_actions import ShellActions
from .side_panel import SidePanel
from .view_state import ViewState
from .window_geometry import restore_geometry, save_geometry

APP_NAME = "OZX Viewer"
DEFAULT_SIZE = (1600, 1000)
ZOOM_STEP = 1.25
#: Shown when a drop holds URLs that are not local files (web links, items of a mail client).
REFUSED_URL_MESSAGE = "Only files on this computer can be opened; save the item to a folder first."
#: The content decides what a file is, never its name: "All files" opens anything readable.
FILE_FILTER = "OME-Zarr files (*.ozx *.OZX *.zip *.ZIP);;All files (*)"


class MainWindow(QMainWindow):
    """Shows one image; opening happens in the background, a failure shows the empty state.

    `shell` (the `Application`) opens further files in windows of their own, keeps the recent
    files and the app-wide memory budget; without it (tests), this window opens everything itself
    and has a budget of its own. What is shown is `state` (a `ViewState`, None while empty):
    the panels, sliders and image session bind to it. Emits `closing()`.
    """

    closing = Signal()

    def __init__(self, shell=None) -> None:
        super().__init__()
        self.shell = shell
        self._opening: str | None = None
        self.setWindowTitle(APP_NAME)
        self.resize(*DEFAULT_SIZE)
        self.setAcceptDrops(True)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.budget: MemoryBudget = shell.budget if shell is not None else MemoryBudget(cache_budget())
        self.session: ImageSession | None = None
        self.state: ViewState | None = None
        self.sampler: ContrastSampler | None = None
        self.channel_panel: ChannelPanel | None = None
        self.label_panel: LabelPanel | None = None
        self.plane_sliders: list[QSlider] = []
        self._plane_labels: list[QLabel] = []
        self.players: list[PlanePlayer] = []

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.canvas = ImageCanvas(parent=central)
        self.shell_actions = ShellActions(self)
        layout.addWidget(self.shell_actions.banner)
        layout.addWidget(self.canvas.widget, 1)
        self._slider_box = QWidget()
        self._slider_grid = QGridLayout(self._slider_box)
        layout.addWidget(self._slider_box)
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.empty_state = EmptyState(self.open_dialog, self.recent_menu)
        self._pages = QStackedWidget()
        self._pages.addWidget(central)
        self._pages.addWidget(self.empty_state)
        self.setCentralWidget(self._pages)

        self._dock = QDockWidget("Channels", self)
        self._dock.setObjectName("channels")
        self._dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self._dock_scroll = QScrollArea()
        self._dock_scroll.setWidgetResizable(True)
        self._dock.setWidget(self._dock_scroll)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self._dock)
        self.side_panel = SidePanel(self)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.side_panel)
        self.side_panel.image_chosen.connect(self.show_image)
        self.images = DocumentImages(self.side_panel, self.canvas)

        self.cursor_label = QLabel()
        # No stretch: the read-out takes the room its text needs, messages keep the rest.
        self.statusBar().addPermanentWidget(self.cursor_label)

        self.opener = DocumentOpener()
        self.opener.opened.connect(self._show_image)
        self.opener.failed.connect(self._show_error)
        self.canvas.events.view_changed.connect(self._on_view_changed)
        self.canvas.events.mouse_move.connect(self._on_mouse_move)
        self.canvas.events.before_frame.connect(self._show_cursor)
        self._cursor_pos: tuple[float, float] | None = None
        self.canvas.events.mouse_double_click.connect(lambda _event: self.fit())
        self.canvas.events.mouse_press.connect(self._on_mouse_press)
        self.canvas.events.mouse_release.connect(self._on_mouse_release)
        self._right_press: tuple[float, float] | None = None
        self._build_menu()
        self._build_shortcuts()
        restore_geometry(self, shell.windows if shell is not None else ())

    # ---- opening -----------------------------------------------------------------------------
    @property
    def is_empty(self) -> bool:
        """True when this window shows no image and is opening none (a new file may use it)."""
        return self.session is None and self._opening is None

    def open_path(self, path: str) -> None:
        """Start opening `path` in the background; the current image stays until it is ready."""
        self._opening = path
        self.show_message(f"Opening {os.path.basename(path)}…")
        self.opener.open(path)

    def open_pending(self, pending: PendingOpen) -> None:
        """Like `open_path`, for an opening that was started before the window existed."""
        self._opening = pending.path
        self.show_message(f"Opening {os.path.basename(pending.path)}…")
        self.opener.adopt(pending)

    def show_image(self, image: Image) -> None:
        """Show another image of the file this window shows, without reopening the file."""
        if self.session is None or self.session.opened.session.closed:
            return
        self._opening = self.session.opened.path
        self.show_message(f"Opening {image.name}…")
        self.opener.open_image(self.session.opened.session, image)

    def open_paths(self, paths: list[str]) -> None:
        """Open `paths`: the first here if this window is empty, the others in windows of their own."""
        if self.shell is not None:
            self.shell.open_paths(paths, target=self)
        elif paths:
            self.open_path(paths[0])

    def open_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open OME-Zarr", "", FILE_FILTER)
        self.open_paths(paths)

    def open_folder_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open OME-Zarr folder")
        if path:
            self.open_paths([path])

    def show_message(self, text: str, timeout_ms: int = 0) -> None:
        self.statusBar().showMessage(text, timeout_ms)

    def dragEnterEvent(self, event: QDragMoveEvent) -> None:  # enter events are move events
        """Take any drag of URLs: local files open, other URLs get a message when dropped."""
        if event.mimeData().urls():
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        """Also for moves over the canvas' native window, which forwards them here."""
        self.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        urls = event.mimeData().urls()
        files = [url.toLocalFile() for url in urls if url.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.open_paths(files)
        else:
            event.ignore()  # the source keeps its item
        if len(files) < len(urls):  # after opening: "Opening …" would replace it
            self.show_message(REFUSED_URL_MESSAGE, 8000)

    def _show_error(self, path: str, message: str) -> None:
        self._opening = None
        self.statusBar().clearMessage()
        title = f"“{os.path.basename(path)}” cannot be opened."
        if self.session is None:
            self.setWindowTitle(f"{os.path.basename(path)} — {APP_NAME}")
            self.empty_state.show_failure(title, message)
            self._pages.setCurrentWidget(self.empty_state)
            self._dock.hide()
        else:
            self.show_message(f"{title} {message}", 15000)
            self.side_panel.set_current(self.session.opened.image)  # the image still shown

    def _show_image(self, opened: OpenedImage) -> None:
        self._opening = None
        self._close_session()
        self.statusBar().clearMessage()
        self.cursor_label.clear()  # the read-out of the previous image is not about this one
        self._pages.setCurrentIndex(0)
        self._dock.show()
        image = opened.image
        name = self.images.follow(opened.session, image)
        title = os.path.basename(opened.path.rstrip("/\\")) or opened.path
        if self.images.several:
            title = f"{title} · {name}"
        self.setWindowTitle(f"{title} — {APP_NAME}")
        if self.shell is not None:
            self.shell.recent.add(opened.path)
        self.canvas.set_scale_unit(image.axes[opened.layout.col].unit)
        self.state = state = ViewState(image, opened.start_plane)
        self.images.restore(state)  # an image shown before keeps its channel settings
        session = ImageSession(self.canvas, opened, state, self.budget)
        session.loading_changed.connect(self.canvas.set_loading)
        session.loading_changed.connect(lambda loading: loading or release_free_memory())
        session.failed.connect(lambda message: self.statusBar().showMessage(message, 15000))
        session.failed.connect(self.shell_actions.check_file)
        session.label_ids_ready.connect(self.canvas.update)  # the read-out is read again with the next frame
        self.session = session
        self.shell_actions.document_shown(opened.document)
        self._build_panels(state, session)
        self._build_sliders(state, session)
        self._settle_layout()
        self.fit()
        state.set_view(self.canvas.world_view())
        session.pump_now()

    def _settle_layout(self) -> None:
        """Lay out new panels and sliders now, not on a later event: the canvas gets its final
        size before the image is fitted, and the first frame needs no resize."""
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)

    def _close_session(self) -> None:
        for player in self.players:
            player.stop()
        if self.sampler is not None:
            self.sampler.close()
            self.sampler = None
        if self.session is not None:
            if self.state is not None:
                self.images.remember(self.state)
            self.shell_actions.document_closed()
            self.session.close()
            self.session = None
            self.state = None

    def closeEvent(self, event) -> None:
        save_geometry(self)
        self.shell_actions.close()
        self._close_session()
        self.images.close()
        self.canvas.close()  # stops its render thread
        super().closeEvent(event)
        self.closing.emit()

    # ---- panels and sliders ------------------------------------------------------------------
    def _build_panels(self, state: ViewState, session: ImageSession) -> None:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        self.sampler = ContrastSampler(session, state)
        self.channel_panel = ChannelPanel(state, session.slots, state.image.levels[0].dtype, self.sampler)
        column.addWidget(self.channel_panel)
        self.label_panel = None
        if state.labels:
            self.label_panel = LabelPanel(state)
            column.addWidget(self.label_panel)
        column.addStretch(1)
        self._dock_scroll.setWidget(box)
        self._dock.setMinimumWidth(box.sizeHint().width() + 24)

    def _build_sliders(self, state: ViewState, session: ImageSession) -> None:
        while self._slider_grid.count():
            self._slider_grid.takeAt(0).widget().deleteLater()
        for player in self.players:
            player.stop()
        self.plane_sliders = []
        self._plane_labels = []
        self.players = []
        image = state.image
        stream = session.stream
        for row, (axis, size) in enumerate(zip(state.layout.sliders, state.plane_sizes)):
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(0, size - 1)
            slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # arrow keys belong to the window shortcuts
            slider.valueChanged.connect(lambda _v: state.set_plane(tuple(s.value() for s in self.plane_sliders)))
            value = QLabel()
            value.setMinimumWidth(value.fontMetrics().horizontalAdvance(f"{size - 1} / {size - 1} · 000.0 mm"))
            player = PlanePlayer(state, row, lambda: stream.sharp() or stream.idle())
            play = QToolButton()
            play.setText("▶")
            play.setToolTip(f"Play through {image.axes[axis].name} ({FRAMES_PER_SECOND} planes per second)")
            play.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            play.clicked.connect(player.toggle)
            player.playing_changed.connect(lambda on, play=play: play.setText("■" if on else "▶"))
            self._slider_grid.addWidget(QLabel(image.axes[axis].name), row, 0)
            self._slider_grid.addWidget(play, row, 1)
            self._slider_grid.addWidget(slider, row, 2)
            self._slider_grid.addWidget(value, row, 3)
            self.plane_sliders.append(slider)
            self._plane_labels.append(value)
            self.players.append(player)
        self._show_plane(state.plane)
        state.plane_changed.connect(self._show_plane)
        self._slider_box.setVisible(bool(self.plane_sliders))

    def _show_plane(self, plane: tuple[int, ...]) -> None:
        """Sliders and their read-outs follow the state (a change never echoes back)."""
        if self.state is None:
            return
        for slider, label, value, text in zip(self.plane_sliders, self._plane_labels, plane, self.state.plane_texts()):
            slider.blockSignals(True)
            slider.setValue(value)
            slider.blockSignals(False)
            label.setText(text)

    def step_axis(self, kind: str, delta: int) -> None:
        """Move the first slider axis of type `kind` ("space" = z, "time" = t) by `delta`."""
        if self.state is not None:
            self.state.step(kind, delta)

    # ---- view --------------------------------------------------------------------------------
    def fit(self) -> None:
        if self.session is not None:
            self.canvas.fit(self.session.world_bounds)

    def zoom(self, factor: float) -> None:
        self.canvas.zoom(factor)

    def _on_view_changed(self, _event=None) -> None:
        if self.state is not None:
            self.state.set_view(self.canvas.world_view())

    def context_menu(self) -> QMenu:
        """What a right click on the image offers."""
        menu = QMenu(self)
        actions = self.shell_actions
        for action in (self.fit_action, None, actions.copy_view_action, actions.export_action, None, actions.properties_action):
            menu.addSeparator() if action is None else menu.addAction(action)
        return menu

    def _on_mouse_press(self, event) -> None:
        self._right_press = tuple(event.pos[:2]) if event.button == 2 else None

    def _on_mouse_release(self, event) -> None:
        """A right click (not a right drag, which zooms) opens the context menu."""
        pressed, self._right_press = self._right_press, None
        if event.button == 2 and pressed is not None and math.dist(pressed, event.pos[:2]) <= 4:
            self.context_menu().popup(QCursor.pos())

    def _on_mouse_move(self, event) -> None:
        """Update the cursor read-out; while a frame is coming (e.g. during a drag), with that
        frame, so the label's repaint and the frame share one window composition."""
        if self.session is not None:
            self._cursor_pos = (float(event.pos[0]), float(event.pos[1]))
            if not self.canvas.frame_pending:
                self._show_cursor()

    def _show_cursor(self, _event=None) -> None:
        if self._cursor_pos is not None and self.session is not None:
            text, exact = self._readout(*self.canvas.to_world(self._cursor_pos))
            self.cursor_label.setText(text)
            if exact:  # else read it again with the next frame: the shown level's tile is coming
                self._cursor_pos = None

    def describe_point(self, x: float, y: float) -> str:
        """Status text for world point (x, y): pixel, physical position and channel values."""
        return self._readout(x, y)[0]

    def _readout(self, x: float, y: float) -> tuple[str, bool]:
        """(status text for world point (x, y), whether its values come from the level shown)."""
        assert self.session is not None
        opened = self.session.opened
        image, layout = opened.image, opened.layout
        geometry = self.session.stream.geometries[0]
        (sy, sx), (oy, ox) = geometry.scale, geometry.translation
        col, row = math.floor((x - ox) / sx), math.floor((y - oy) / sy)
        if not (0 <= row < geometry.shape[0] and 0 <= col < geometry.shape[1]):
            return "", True
        xu, yu = abbreviate(image.axes[layout.col].unit), abbreviate(image.axes[layout.row].unit)
        text = f"x {col}, y {row} px   ({x:.4g} {xu}, {y:.4g} {yu})"
        labels, labels_known = self.session.label_ids_at(x, y)
        label_text = "".join(f"   {name}: {value}" for name, value in labels)
        found = self.session.value_at(x, y)
        if found is None:
            return text + label_text, False
        level, values = found
        names = [c.label for c in image.channels]
        parts = [f"{name} {_format_value(v)}" for name, v in zip(names, values.tolist())]
        shown = self.session.stream.chosen_level()
        exact = (shown is None or level <= shown) and labels_known
        return text + "   " + " · ".join(parts) + f"   (level {level})" + label_text, exact

    # ---- menus and keys ----------------------------------------------------------------------
    def _build_menu(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(QAction("&Open…", self, shortcut=QKeySequence.StandardKey.Open, triggered=self.open_dialog))
        file_menu.addAction(QAction("Open &Folder…", self, triggered=self.open_folder_dialog))
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.shell_actions.save_copy_action)
        file_menu.addAction(self.shell_actions.export_action)
        file_menu.addAction(self.shell_actions.properties_action)
        file_menu.setToolTipsVisible(True)  # why Save a Copy is off for folders
        file_menu.addSeparator()
        file_menu.addAction(QAction("&Close Window", self, shortcut=QKeySequence.StandardKey.Close, triggered=self.close))
        file_menu.addAction(QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit, triggered=self.quit))
        edit_menu = self.menuBar().addMenu("&Edit")
        edit_menu.addAction(self.shell_actions.copy_view_action)
        edit_menu.addAction(self.shell_actions.preferences_action)
        view_menu = self.menuBar().addMenu("&View")
        self.fit_action = QAction("&Fit to window", self, shortcut="F", triggered=self.fit)
        view_menu.addAction(self.fit_action)
        view_menu.addAction(QAction("Zoom &in", self, shortcut="+", triggered=lambda: self.zoom(ZOOM_STEP)))
        view_menu.addAction(QAction("Zoom &out", self, shortcut="-", triggered=lambda: self.zoom(1 / ZOOM_STEP)))
        view_menu.addAction(QAction("F&ull Screen", self, shortcut=QKeySequence.StandardKey.FullScreen,
                                    triggered=self.toggle_full_screen))
        view_menu.addSeparator()
        view_menu.addAction(self.side_panel.toggleViewAction())
        view_menu.addAction(self.side_panel.next_action)
        view_menu.addAction(self.side_panel.previous_action)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(QAction("Show &Log Folder", self, triggered=self.show_log_folder))
        help_menu.addAction(self.shell_actions.about_action)

    def quit(self) -> None:
        """Close every window (the app quits with the last one)."""
        if self.shell is not None:
            self.shell.quit()
        else:
            self.close()

    def toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def show_log_folder(self) -> None:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def _fill_recent_menu(self) -> None:
        """Newest first; files that are gone are shown but cannot be chosen."""
        menu = self.recent_menu
        menu.clear()
        paths = self.shell.recent.paths if self.shell is not None else []
        for path in paths:
            action = menu.addAction(path, lambda path=path: self.open_paths([path]))
            action.setEnabled(os.path.exists(path))
        if not paths:
            menu.addAction("No recent files").setEnabled(False)
        menu.addSeparator()
        clear = menu.addAction("Clear Menu", lambda: self.shell.recent.clear())
        clear.setEnabled(bool(paths))

    def _build_shortcuts(self) -> None:
        keys = {
            "0": self.fit,
            "Ctrl+0": self.fit,
            "Ctrl+=": lambda: self.zoom(ZOOM_STEP),
            "Ctrl++": lambda: self.zoom(ZOOM_STEP),
            "Ctrl+-": lambda: self.zoom(1 / ZOOM_STEP),
            "=": lambda: self.zoom(ZOOM_STEP),
            "Up": lambda: self.step_axis("space", 1),
            "Down": lambda: self.step_axis("space", -1),
            "Right": lambda: self.step_axis("time", 1),
            "Left": lambda: self.step_axis("time", -1),
        }
        for key, slot in keys.items():
            QShortcut(QKeySequence(key), self, slot)


def _format_value(value: float | int | bool) -> str:
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else f"{value:.5g}"
    return str(int(value))
