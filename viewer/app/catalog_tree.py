"""The catalog as a tree: collections and series as branches, images as leaves with thumbnails."""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QKeyEvent, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QTreeWidget, QTreeWidgetItem

from .catalog import Catalog, Entry
from .thumbnail_jobs import CACHE_ITEMS

ENTRY_ROLE = Qt.ItemDataRole.UserRole
ICON_SIZE = 64
#: Branches are expanded at first when the tree has at most this many entries.
EXPAND_AT_MOST = 600
UNIFORM_ABOVE = 2000
#: Items showing a thumbnail at once: as many as the pictures cache holds.
MAX_ICONS = CACHE_ITEMS
#: Keys the tree keeps when it has the focus (the window's shortcuts use them otherwise).
NAVIGATION_KEYS = {Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Home, Qt.Key.Key_End}


def takes_navigation_keys(event: QEvent) -> bool:
    """Accept a ShortcutOverride for arrow keys, so a focused panel widget gets them as key presses."""
    if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
        if event.key() in NAVIGATION_KEYS and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            event.accept()
            return True
    return False


class CatalogTree(QTreeWidget):
    """Entries below the catalog's root. Emits `entry_activated(Entry)` when the current item
    changes to an image, a well or a plate, and `visible_changed()` when other items may show."""

    entry_activated = Signal(object)
    visible_changed = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setIconSize(QSize(ICON_SIZE, ICON_SIZE))
        self.setUniformRowHeights(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._items: dict[int, QTreeWidgetItem] = {}  # catalog index → image item
        self._with_icon: OrderedDict[int, None] = OrderedDict()  # items showing a thumbnail, oldest first
        self._placeholder = _placeholder_icon()
        self._quiet = False
        self.currentItemChanged.connect(self._current_changed)
        self.verticalScrollBar().valueChanged.connect(lambda _v: self.visible_changed.emit())
        self.itemExpanded.connect(lambda _item: self.visible_changed.emit())
        self.itemCollapsed.connect(lambda _item: self.visible_changed.emit())

    def clear(self) -> None:
        """No items, and none remembered (their C++ objects are deleted with them)."""
        super().clear()
        self._items = {}
        self._with_icon.clear()

    def set_catalog(self, catalog: Catalog) -> None:
        self._quiet = True
        self.clear()
        total = sum(1 for _ in catalog.root.walk())
        self.setUniformRowHeights(total > UNIFORM_ABOVE)  # fast layout for long lists, compact branches otherwise
        for child in catalog.root.children if catalog.root.kind != "image" else [catalog.root]:
            self.addTopLevelItem(self._item(child))
        if total <= EXPAND_AT_MOST:
            self.expandAll()
        self._quiet = False

    def item_of(self, entry: Entry) -> QTreeWidgetItem | None:
        """The item showing an image entry."""
        return self._items.get(entry.index) if entry.index is not None else None

    def select(self, entry: Entry) -> None:
        """Make `entry`'s item current without emitting `entry_activated`."""
        item = self.item_of(entry)
        if item is None or item is self.currentItem():
            return
        self._quiet = True
        parent = item.parent()
        while parent is not None:
            parent.setExpanded(True)
            parent = parent.parent()
        self.setCurrentItem(item)
        self.scrollToItem(item)
        self._quiet = False

    def set_thumbnail(self, index: int, picture: QImage) -> None:
        """Show an image's thumbnail; at most MAX_ICONS items keep theirs (the oldest go back to
        the placeholder and get theirs again when they come into view)."""
        item = self._items.get(index)
        if item is None or index in self._with_icon:
            return
        item.setIcon(0, thumbnail_icon(picture))
        self._with_icon[index] = None
        while len(self._with_icon) > MAX_ICONS:
            oldest, _ = self._with_icon.popitem(last=False)
            self._items[oldest].setIcon(0, self._placeholder)

    def has_thumbnail(self, index: int) -> bool:
        return index in self._with_icon

    def set_thumbnail_error(self, index: int, message: str) -> None:
        item = self._items.get(index)
        if item is not None:
            item.setToolTip(0, f"{item.text(0)}\nNo thumbnail: {message}")

    def visible_images(self) -> list[int]:
        """Catalog indices of the image items in view, top to bottom."""
        out = []
        viewport = self.viewport().rect()
        item = self.itemAt(viewport.center().x(), 1)
        while item is not None and self.visualItemRect(item).top() < viewport.bottom():
            entry = item.data(0, ENTRY_ROLE)
            if entry is not None and entry.kind == "image":
                out.append(entry.index)
            item = self.itemBelow(item)
        return out

    def event(self, event: QEvent) -> bool:
        return takes_navigation_keys(event) or super().event(event)

    # ---- helpers ---------------------------------------------------------------------------
    def _item(self, entry: Entry) -> QTreeWidgetItem:
        item = QTreeWidgetItem([entry.name])
        item.setData(0, ENTRY_ROLE, entry)
        if entry.kind == "image":
            item.setIcon(0, self._placeholder)
            item.setToolTip(0, entry.name)
            self._items[entry.index] = item
            for label_map in entry.image.labels:  # overlays of the image, not images of their own
                child = QTreeWidgetItem([f"{label_map.name} (label map)"])
                child.setFlags(Qt.ItemFlag.ItemIsEnabled)
                child.setToolTip(0, f"{label_map.name}: a label map drawn over {entry.name} (Labels in the Channels panel)")
                item.addChild(child)
        elif not entry.available:
            item.setText(0, f"{entry.name} — {entry.reason}")  # the target stays visible (host or path)
            item.setFlags(Qt.ItemFlag.NoItemFlags)  # greyed, not selectable
            item.setToolTip(0, f"{entry.name}\n{entry.reason}")
        else:
            item.setToolTip(0, f"{entry.name} ({entry.kind})")
        for child in entry.children:
            item.addChild(self._item(child))
        return item

    def _current_changed(self, current: QTreeWidgetItem | None, _previous) -> None:
        if self._quiet or current is None:
            return
        entry = current.data(0, ENTRY_ROLE)
        if entry is not None and entry.available:
            self.entry_activated.emit(entry)


def thumbnail_icon(picture: QImage) -> QIcon:
    """An icon showing `picture` as drawn, also when selected (Qt would tint it otherwise)."""
    pixmap = QPixmap.fromImage(picture)
    icon = QIcon()
    for mode in (QIcon.Mode.Normal, QIcon.Mode.Selected, QIcon.Mode.Active):
        icon.addPixmap(pixmap, mode)
    return icon


def _placeholder_icon() -> QIcon:
    """A neutral square shown until the thumbnail arrives."""
    pixmap = QPixmap(ICON_SIZE, ICON_SIZE)
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    painter.setPen(QColor(128, 128, 128, 160))
    painter.drawRect(4, 4, ICON_SIZE - 9, ICON_SIZE - 9)
    painter.end()
    return QIcon(pixmap)
