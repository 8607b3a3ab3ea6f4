"""A plate as a well grid (row and column names, each well's first field) and the chosen well's fields."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QSizePolicy,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from .catalog import Entry, PlateGrid
from .catalog_tree import ENTRY_ROLE, takes_navigation_keys, thumbnail_icon

#: A cell is at most MAX_CELL pixels (a 64-pixel thumbnail and a 2-pixel margin) and shrinks to
#: MIN_CELL to fit more columns into the panel's width.
MAX_CELL = 68
MIN_CELL = 36
MARGIN = 2
HEADER = 24
FIELD_ICON = 64

Pictures = Callable[[int], QImage | None]


class WellGrid(QWidget):
    """Wells at their row and column; emits `well_activated(row, column)` when the user makes a
    cell current (mouse or arrow keys)."""

    well_activated = Signal(int, int)

    def __init__(self, plate: PlateGrid, pictures: Pictures, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plate = plate
        self._pictures = pictures
        self._failed: set[int] = set()
        self.cell = MAX_CELL
        self.current: tuple[int, int] | None = None
        self._keys: dict[tuple[int, int], int] = {}  # well → catalog index of the image it shows
        for place, well in plate.wells.items():
            image = well.first_image() if well.available else None
            if image is not None and image.index is not None:
                self._keys[place] = image.index
        self._places: dict[int, list[tuple[int, int]]] = {}
        for place, key in self._keys.items():
            self._places.setdefault(key, []).append(place)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(False)
        self._resize()

    # ---- geometry ------------------------------------------------------------------------------
    def set_cell(self, size: int) -> None:
        size = max(MIN_CELL, min(MAX_CELL, size))
        if size != self.cell:
            self.cell = size
            self._resize()
            self.update()

    def cell_rect(self, row: int, column: int) -> QRect:
        return QRect(HEADER + column * self.cell, HEADER + row * self.cell, self.cell, self.cell)

    def picture_rect(self, row: int, column: int) -> QRect:
        """Where a well's thumbnail is drawn (MAX_CELL − 2·MARGIN pixels at the largest cell size)."""
        return self.cell_rect(row, column).adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)

    def cell_at(self, point: QPoint) -> tuple[int, int] | None:
        row, column = (point.y() - HEADER) // self.cell, (point.x() - HEADER) // self.cell
        if point.x() < HEADER or point.y() < HEADER or row >= len(self.plate.rows) or column >= len(self.plate.columns):
            return None
        return row, column

    def cells_in(self, rect: QRect) -> list[tuple[int, int]]:
        """Cells meeting `rect` (widget coordinates), row by row."""
        if not rect.isValid():
            return []
        r0 = max(0, (rect.top() - HEADER) // self.cell)
        r1 = min(len(self.plate.rows) - 1, (rect.bottom() - HEADER) // self.cell)
        c0 = max(0, (rect.left() - HEADER) // self.cell)
        c1 = min(len(self.plate.columns) - 1, (rect.right() - HEADER) // self.cell)
        return [(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]

    def _resize(self) -> None:
        size = QSize(HEADER + len(self.plate.columns) * self.cell + 1, HEADER + len(self.plate.rows) * self.cell + 1)
        self.setFixedSize(size)

    # ---- state ---------------------------------------------------------------------------------
    def set_current(self, place: tuple[int, int] | None) -> None:
        """Mark a cell current (no signal)."""
        if place == self.current:
            return
        for old in (self.current, place):
            if old is not None:
                self.update(self.cell_rect(*old).adjusted(-2, -2, 2, 2))
        self.current = place

    def thumbnail_key(self, row: int, column: int) -> int | None:
        """Catalog index of the image a well shows (its first available field)."""
        return self._keys.get((row, column))

    def refresh(self, index: int, failed: bool = False) -> None:
        """Repaint the wells showing image `index` (its thumbnail arrived or failed)."""
        if failed:
            self._failed.add(index)
        for row, column in self._places.get(index, []):
            self.update(self.cell_rect(row, column))

    # ---- painting ------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.fillRect(event.rect(), palette.base())
        self._paint_headers(painter, event.rect())
        cells: dict[tuple[int, int], None] = {}
        for rect in event.region():  # only the cells asked for (thumbnails arrive a few at a time)
            cells.update(dict.fromkeys(self.cells_in(rect)))
        for row, column in cells:
            self._paint_cell(painter, row, column)
        painter.end()

    def _paint_headers(self, painter: QPainter, clip: QRect) -> None:
        painter.setPen(self.palette().text().color())
        for column, name in enumerate(self.plate.columns):
            rect = QRect(HEADER + column * self.cell, 0, self.cell, HEADER)
            if rect.intersects(clip):
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, name)
        for row, name in enumerate(self.plate.rows):
            rect = QRect(0, HEADER + row * self.cell, HEADER, self.cell)
            if rect.intersects(clip):
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, name)

    def _paint_cell(self, painter: QPainter, row: int, column: int) -> None:
        well = self.plate.well(row, column)
        inner = self.picture_rect(row, column)
        if well is None:  # empty: a faint outline only
            painter.setPen(QPen(QColor(128, 128, 128, 90), 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(inner.adjusted(4, 4, -4, -4))
        elif not well.available or self.thumbnail_key(row, column) is None:
            painter.fillRect(inner, QBrush(QColor(128, 128, 128, 140), Qt.BrushStyle.BDiagPattern))
        else:
            painter.fillRect(inner, QColor(0, 0, 0))
            key = self.thumbnail_key(row, column)
            picture = self._pictures(key) if key is not None else None
            if picture is not None:
                painter.drawImage(inner, picture)
            elif key in self._failed:
                painter.setPen(QPen(QColor(160, 60, 60), 1))
                painter.drawLine(inner.topLeft(), inner.bottomRight())
        if self.current == (row, column):
            painter.setPen(QPen(self.palette().highlight().color(), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self.cell_rect(row, column).adjusted(1, 1, -1, -1))

    # ---- input -------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        place = self.cell_at(event.position().toPoint())
        if place is not None and event.button() == Qt.MouseButton.LeftButton:
            self._activate(place)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        moves = {Qt.Key.Key_Up: (-1, 0), Qt.Key.Key_Down: (1, 0), Qt.Key.Key_Left: (0, -1), Qt.Key.Key_Right: (0, 1)}
        if event.key() not in moves or not self.plate.rows or not self.plate.columns:
            super().keyPressEvent(event)
            return
        dr, dc = moves[event.key()]
        row, column = self.current if self.current is not None else (0, -1 if dc >= 0 else len(self.plate.columns))
        row = min(max(row + dr, 0), len(self.plate.rows) - 1)
        column = min(max(column + dc, 0), len(self.plate.columns) - 1)
        self._activate((row, column))

    def event(self, event: QEvent) -> bool:
        if takes_navigation_keys(event):
            return True
        if event.type() == QEvent.Type.ToolTip:
            place = self.cell_at(event.pos())
            text = self._tooltip(place) if place is not None else ""
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def _tooltip(self, place: tuple[int, int]) -> str:
        row, column = place
        name = f"{self.plate.rows[row]}{self.plate.columns[column]}"
        well = self.plate.well(row, column)
        if well is None:
            return f"{name}: empty"
        if not well.available:
            return f"{name}: {well.reason}"
        fields = len(well.children)
        return f"{name}: {fields} field{'s' if fields != 1 else ''}"

    def _activate(self, place: tuple[int, int]) -> None:
        self.set_current(place)
        self.well_activated.emit(*place)


class PlateView(QWidget):
    """The grid in a scroll area, then the current well's fields. Emits `entry_activated(Entry)`
    when the user chooses a field (directly, or a well: its first available field), and
    `visible_changed()` when other thumbnails may come into view."""

    entry_activated = Signal(object)
    visible_changed = Signal()

    def __init__(self, plate: PlateGrid, pictures: Pictures, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plate = plate
        self._pictures = pictures
        self.grid = WellGrid(plate, pictures)
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.grid)
        self.scroll.setWidgetResizable(False)
        self.scroll.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.well_label = QLabel()
        self.fields = QListWidget()
        self.fields.setViewMode(QListWidget.ViewMode.IconMode)
        self.fields.setFlow(QListWidget.Flow.LeftToRight)
        self.fields.setWrapping(False)
        self.fields.setMovement(QListWidget.Movement.Static)
        self.fields.setIconSize(QSize(FIELD_ICON, FIELD_ICON))
        self.fields.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.fields.setFixedHeight(FIELD_ICON + 48)
        self.fields.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.fields.installEventFilter(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.well_label)
        layout.addWidget(self.fields)
        self._quiet = 0
        self._shown: tuple[int, int] | None = None
        self._field_items: dict[int, QListWidgetItem] = {}
        self.grid.well_activated.connect(self._well_activated)
        self.fields.currentItemChanged.connect(self._field_changed)
        for bar in (self.scroll.horizontalScrollBar(), self.scroll.verticalScrollBar()):
            bar.valueChanged.connect(lambda _v: self.visible_changed.emit())
        self._fit = QTimer(self, singleShot=True, interval=0, timeout=self._fit_cells)
        self._show_well(None)

    # ---- what is shown -----------------------------------------------------------------------
    def select(self, entry: Entry) -> None:
        """Show the well of field `entry` and mark the field current (no signal)."""
        place = self.plate.position(entry)
        self.grid.set_current(place)
        if place is not None:
            self.scroll.ensureVisible(*self.grid.cell_rect(*place).center().toTuple(), self.grid.cell, self.grid.cell)
        with self._silenced():
            if place != self._shown or place is None:
                self._show_well(place)
            item = self._field_items.get(entry.index) if entry.index is not None else None
            if item is not None:
                self.fields.setCurrentItem(item)

    def visible_images(self, ring: bool = True) -> list[int]:
        """Catalog indices of the thumbnails in view (the current well's fields, then the wells in
        view row by row), then, with `ring`, those of the wells half a screen around them."""
        viewport = self.scroll.viewport()
        view = QRect(self.grid.mapFrom(viewport, QPoint(0, 0)), viewport.size())
        places = self.grid.cells_in(view)
        if ring:
            dx, dy = view.width() // 2, view.height() // 2
            seen = set(places)
            places += [p for p in self.grid.cells_in(view.adjusted(-dx, -dy, dx, dy)) if p not in seen]
        keys = list(self._field_items)
        for place in places:
            key = self.grid.thumbnail_key(*place)
            if key is not None:
                keys.append(key)
        return keys

    def set_thumbnail(self, index: int, picture: QImage) -> None:
        self.grid.refresh(index)
        item = self._field_items.get(index)
        if item is not None:
            item.setIcon(thumbnail_icon(picture))

    def set_thumbnail_error(self, index: int, message: str) -> None:
        self.grid.refresh(index, failed=True)
        item = self._field_items.get(index)
        if item is not None:
            item.setToolTip(f"{item.toolTip()}\nNo thumbnail: {message}")

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit.start()

    def eventFilter(self, watched, event: QEvent) -> bool:
        if watched is self.fields and takes_navigation_keys(event):
            return True
        return super().eventFilter(watched, event)

    # ---- helpers -------------------------------------------------------------------------------
    def _fit_cells(self) -> None:
        """Cells as large as fit the width (between MIN_CELL and MAX_CELL)."""
        columns = max(len(self.plate.columns), 1)
        width = self.scroll.viewport().width() - 2
        self.grid.set_cell((width - 24) // columns)
        self.visible_changed.emit()

    def _show_well(self, place: tuple[int, int] | None) -> None:
        """Fill the field list with the well at `place` (empty for None or an empty well)."""
        self._shown = place
        with self._silenced():
            self.fields.clear()
            self._field_items = {}
            if place is None:
                self.well_label.setText("Choose a well")
                return
            row, column = place
            name = f"{self.plate.rows[row]}{self.plate.columns[column]}"
            well = self.plate.well(row, column)
            if well is None:
                self.well_label.setText(f"Well {name}: empty")
                return
            if not well.available:
                self.well_label.setText(f"Well {name}: {well.reason}")
                return
            fields = well.children
            self.well_label.setText(f"Well {name}: {len(fields)} field{'s' if len(fields) != 1 else ''}")
            for number, field in enumerate(fields, 1):
                item = QListWidgetItem(str(number))
                item.setData(ENTRY_ROLE, field)
                item.setToolTip(field.name if field.available else f"{field.name}\n{field.reason}")
                if field.index is not None:
                    picture = self._pictures(field.index)
                    if picture is not None:
                        item.setIcon(thumbnail_icon(picture))
                    self._field_items[field.index] = item
                if not field.available:
                    item.setFlags(Qt.ItemFlag.NoItemFlags)
                self.fields.addItem(item)
        self.visible_changed.emit()

    def _well_activated(self, row: int, column: int) -> None:
        self._show_well((row, column))
        well = self.plate.well(row, column)
        image = well.first_image() if well is not None and well.available else None
        if image is not None:
            with self._silenced():
                self.fields.setCurrentItem(self._field_items.get(image.index))
            self.entry_activated.emit(image)

    @contextmanager
    def _silenced(self) -> Iterator[None]:
        """Changes made by the program, not the user: no `entry_activated`."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

    def _field_changed(self, current: QListWidgetItem | None, _previous) -> None:
        if self._quiet or current is None:
            return
        entry = current.data(ENTRY_ROLE)
        if entry is not None and entry.available:
            self.entry_activated.emit(entry)
