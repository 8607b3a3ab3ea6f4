"""What a file holds, as the side panel lists it (no Qt): entries, images in order, plate grids.

Follows the catalog policy for single-file viewers: label maps never count as images (they are
overlays of their image); unknown node types, paths that leave the file and URLs are entries that
cannot be shown, with the reason; the panel is wanted only when more than one image can be shown.
Nothing here reads the file: the catalog is built from the document tree already in memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator, Literal

from ..ome.model import Document, Image, Node, Opaque, Unavailable

EntryKind = Literal["image", "collection", "plate", "well", "series", "folder", "unavailable", "opaque"]
#: A plate grid has at most this many rows and columns (a 1536-well plate has 32 × 48); wells
#: a crafted plate places beyond them stay reachable from the tree and by paging.
MAX_GRID_SIDE = 1024


@dataclass(eq=False)
class Entry:
    """One node of the catalog. `index` is the image's position in `Catalog.images` (images only);
    `reason` says why an entry cannot be shown (unavailable and opaque entries)."""

    name: str
    kind: EntryKind
    path: str
    children: list[Entry] = field(default_factory=list)
    image: Image | None = None
    index: int | None = None
    reason: str | None = None
    attributes: dict = field(default_factory=dict, repr=False)
    parent: Entry | None = field(default=None, repr=False)

    @property
    def available(self) -> bool:
        return self.reason is None

    def walk(self) -> Iterator[Entry]:
        """This entry and every entry below it, depth first, in document order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def first_image(self) -> Entry | None:
        """The first image entry at or below this one."""
        return next((e for e in self.walk() if e.kind == "image"), None)


@dataclass(eq=False)
class PlateGrid:
    """A plate as a grid: row and column names, and the well entry at (row, column) if any."""

    entry: Entry
    rows: list[str]
    columns: list[str]
    wells: dict[tuple[int, int], Entry]

    def well(self, row: int, column: int) -> Entry | None:
        return self.wells.get((row, column))

    def fields(self, row: int, column: int) -> list[Entry]:
        """The well's fields in order (unavailable ones included); [] for an empty well."""
        well = self.wells.get((row, column))
        return list(well.children) if well is not None else []

    def position(self, entry: Entry) -> tuple[int, int] | None:
        """(row, column) of the well holding `entry` (a well or one of its fields)."""
        well = entry if entry.kind == "well" else entry.parent
        for place, candidate in self.wells.items():
            if candidate is well:
                return place
        return None


@dataclass(eq=False)
class Catalog:
    """The entry tree, the images that can be shown (document order) and the plates' grids."""

    root: Entry
    images: list[Entry]
    plates: list[PlateGrid]

    @property
    def wants_panel(self) -> bool:
        """More than one displayable, non-label image: only then is the side panel shown."""
        return len(self.images) > 1

    def entry_of(self, image: Image) -> Entry | None:
        """The entry showing `image` (by identity)."""
        return next((e for e in self.images if e.image is image), None)

    def plate_of(self, entry: Entry) -> PlateGrid | None:
        """The plate grid `entry` belongs to (the plate itself, a well or a field), if any."""
        node: Entry | None = entry
        while node is not None and node.kind != "plate":
            node = node.parent
        return next((p for p in self.plates if p.entry is node), None) if node is not None else None


def build_catalog(document: Document) -> Catalog:
    """The catalog of an open document (reads nothing from the file)."""
    images: list[Entry] = []
    root = _entry(document.root, None, images)
    plates = [_plate_grid(e) for e in root.walk() if e.kind == "plate"]
    return Catalog(root, images, plates)


def _entry(node: Node, parent: Entry | None, images: list[Entry]) -> Entry:
    if isinstance(node, Image):
        entry = Entry(_image_name(node, parent), "image", node.path, image=node, index=len(images), parent=parent)
        images.append(entry)
        return entry
    if isinstance(node, Unavailable):
        return Entry(node.name, "unavailable", node.path, reason=node.reason, parent=parent)
    if isinstance(node, Opaque):
        return Entry(f"{node.name} ({node.node_type})" if node.name else node.node_type, "opaque", node.path,
                     reason=_opaque_reason(node.node_type), parent=parent)
    entry = Entry(node.name, node.kind, node.path, attributes=node.attributes, parent=parent)
    entry.children = [_entry(child, entry, images) for child in node.children]
    _disambiguate(entry.children)
    return entry


def _image_name(image: Image, parent: Entry | None) -> str:
    """A well's fields are named by well and field (“B3 field 0”): writers often name every
    field's multiscale alike (“image”)."""
    if parent is not None and parent.kind == "well":
        return f"{parent.name} field {image.path.rstrip('/').rsplit('/', 1)[-1]}"
    return image.name


def _opaque_reason(node_type: str) -> str:
    if node_type.startswith("unsupported path type") or node_type.startswith("label map"):
        return node_type
    return f"unsupported node type “{node_type}”: not shown by this viewer"


def _disambiguate(entries: list[Entry]) -> None:
    """Siblings with the same name get “ (2)”, “ (3)”… in document order."""
    seen: dict[str, int] = {}
    for entry in entries:
        count = seen.get(entry.name, 0) + 1
        seen[entry.name] = count
        if count > 1:
            entry.name = f"{entry.name} ({count})"


# ---- plates ------------------------------------------------------------------------------------
def _plate_grid(entry: Entry) -> PlateGrid:
    """Rows and columns from the plate metadata, each well placed by its path's row and column
    names, else by its row and column indices; names missing from the lists are appended."""
    rows, columns = _names(entry.attributes, "rows"), _names(entry.attributes, "columns")
    wells: dict[tuple[int, int], Entry] = {}
    index_of_row = {name: i for i, name in enumerate(rows)}
    index_of_col = {name: i for i, name in enumerate(columns)}
    for child in entry.children:
        if child.kind != "well" and not (child.kind == "unavailable" and "/" in child.path):
            continue
        place = _place(child, rows, columns, index_of_row, index_of_col)
        if place is not None and place not in wells:
            wells[place] = child
    return PlateGrid(entry, rows, columns, wells)


def _names(attrs: dict, key: str) -> list[str]:
    """Row or column names from plate attributes (0.5: top level; RFC-8: under `plate`)."""
    values = attrs.get(key)
    if not isinstance(values, list) and isinstance(attrs.get("plate"), dict):
        values = attrs["plate"].get(key)
    names = []
    for value in values if isinstance(values, list) else []:
        name = value.get("name") if isinstance(value, dict) else value
        names.append(name if isinstance(name, str) else str(len(names) + 1))
        if len(names) >= MAX_GRID_SIDE:
            break
    return names


def _place(well: Entry, rows: list[str], columns: list[str], index_of_row: dict[str, int],
           index_of_col: dict[str, int]) -> tuple[int, int] | None:
    """(row, column) of a well: by the names in its path (…/ROW/COLUMN), else by its indices,
    else by a name like “B12”; names not in the lists are appended (within MAX_GRID_SIDE)."""
    parts = well.path.rstrip("/").split("/")
    row_name, col_name = (parts[-2], parts[-1]) if len(parts) >= 2 else (None, None)
    if row_name in index_of_row and col_name in index_of_col:
        return index_of_row[row_name], index_of_col[col_name]
    row, col = well.attributes.get("row"), well.attributes.get("column")
    if _valid_index(row, rows) and _valid_index(col, columns):
        return row, col
    if row_name is None:
        match = re.fullmatch(r"([A-Za-z]+)0*(\d+)", well.name)
        if match is None:
            return None
        row_name, col_name = match.group(1), match.group(2)
    row_index = _index(row_name, rows, index_of_row)
    col_index = _index(col_name, columns, index_of_col)
    return (row_index, col_index) if row_index is not None and col_index is not None else None


def _valid_index(value: object, names: list[str]) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(names)


def _index(name: str, names: list[str], index_of: dict[str, int]) -> int | None:
    if name not in index_of:
        if len(names) >= MAX_GRID_SIDE:
            return None
        index_of[name] = len(names)
        names.append(name)
    return index_of[name]
