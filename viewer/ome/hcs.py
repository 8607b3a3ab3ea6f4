"""High-content screening (`plate`/`well`) and `bioformats2raw.layout` series → groups of images."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import replace

from ..container.base import Container
from ..errors import OzxError
from ..findings import Finding
from .metadata import NodeMeta, as_list, join, read_node
from .model import Group, Image, Node, Unavailable
from .limits import MAX_IMAGES, images_left, spend_image, take_image
from .multiscales import parse_image

MAX_XML_BYTES = 16 * 1024 * 1024


def _image_or_unavailable(container: Container, path: str, name: str, findings: list[Finding],
                          seen: dict[str, Image | Unavailable] | None = None) -> Image | Unavailable:
    """Parse one image group; a broken one becomes an unavailable node with the reason. With
    `seen`, a path listed again reuses the first result (a crafted plate may list one field
    thousands of times). Every call counts against the document's image budget, parsed or
    reused, image or not, so a listing cannot make more nodes than the budget allows."""
    if seen is not None and path in seen:
        try:
            take_image()
        except OzxError as exc:
            return Unavailable(name, path, path, str(exc))
        return replace(seen[path], name=name)
    result = _parse_image_group(container, path, name, findings)
    if isinstance(result, Unavailable):
        spend_image()
    if seen is not None:
        seen[path] = result
    return result


def _parse_image_group(container: Container, path: str, name: str, findings: list[Finding]) -> Image | Unavailable:
    try:
        node = read_node(container, path)
        if node is None or "multiscales" not in node.ome:
            raise OzxError(f"there is no image at '{path}'")
        return parse_image(container, node, findings, name)
    except OzxError as exc:
        findings.append(Finding("ome-image", "warning", f"'{path}' cannot be shown: {exc}"))
        return Unavailable(name, path, path, str(exc))


def parse_plate(container: Container, node: NodeMeta, findings: list[Finding]) -> Group:
    """Plate → wells (in `wells` order) → fields. Rows/columns/acquisitions go to `attributes`."""
    plate = node.ome.get("plate")
    if not isinstance(plate, dict):
        raise OzxError("the plate metadata is not an object")
    rows = [r.get("name") for r in as_list(plate.get("rows")) if isinstance(r, dict)]
    columns = [c.get("name") for c in as_list(plate.get("columns")) if isinstance(c, dict)]
    acquisitions = [a for a in as_list(plate.get("acquisitions")) if isinstance(a, dict)]
    group = Group(
        name=plate.get("name") if isinstance(plate.get("name"), str) else (node.path.rsplit("/", 1)[-1] or "plate"),
        path=node.path,
        kind="plate",
        attributes={"rows": rows, "columns": columns, "acquisitions": acquisitions, "field_count": plate.get("field_count")},
    )
    seen: dict[str, Image | Unavailable] = {}
    for i, well in enumerate(as_list(plate.get("wells"))):
        if not images_left() or i >= MAX_IMAGES:
            findings.append(Finding("ome-plate", "warning", f"the plate lists more wells than the {MAX_IMAGES} images a file may open; the rest are not listed"))
            break
        well_path = well.get("path") if isinstance(well, dict) else None
        if not isinstance(well_path, str) or ".." in well_path.split("/"):
            continue
        group.children.append(_parse_well(container, join(node.path, well_path), well_path, well, findings, seen))
    return group


def _parse_well(container: Container, path: str, name: str, entry: dict, findings: list[Finding],
                seen: dict[str, Image | Unavailable]) -> Group | Unavailable:
    try:
        node = read_node(container, path)
    except OzxError as exc:
        return Unavailable(name, path, path, str(exc))
    well = node.ome.get("well") if node else None
    if not isinstance(well, dict) or not isinstance(well.get("images"), list):
        return Unavailable(name, path, path, "the well has no image list")
    group = Group(
        name=name.replace("/", ""),
        path=path,
        kind="well",
        attributes={"row": entry.get("rowIndex"), "column": entry.get("columnIndex")},
    )
    for i, field in enumerate(well["images"]):
        if not images_left() or i >= MAX_IMAGES:
            findings.append(Finding("ome-plate", "warning", f"the well '{group.name}' lists more fields than the {MAX_IMAGES} images a file may open; the rest are not listed"))
            break
        field_path = field.get("path") if isinstance(field, dict) else None
        if not isinstance(field_path, str) or ".." in field_path.split("/"):
            continue
        image = _image_or_unavailable(container, join(path, field_path), f"{group.name} field {field_path}", findings, seen)
        group.children.append(image)
    return group


def parse_series(container: Container, node: NodeMeta, findings: list[Finding]) -> Group:
    """bioformats2raw: `OME/series` if present, else groups 0, 1, 2… until the first gap."""
    ome_node = read_node(container, join(node.path, "OME"))
    series = ome_node.ome.get("series") if ome_node else None
    names = _series_names(container, join(node.path, "OME/METADATA.ome.xml"), findings)
    if isinstance(series, list) and all(isinstance(s, str) for s in series):
        paths = [s for s in series if ".." not in s.split("/")]
    else:
        paths = []
        while images_left() and len(paths) < MAX_IMAGES and read_node(container, join(node.path, str(len(paths)))) is not None:
            paths.append(str(len(paths)))
    group = Group(name=node.path.rsplit("/", 1)[-1] or "series", path=node.path, kind="series")
    for i, path in enumerate(paths):
        if not images_left():  # build_document names the cap (ome-images)
            break
        xml_name = names[i] if i < len(names) and names[i] else None
        child: Node = _image_or_unavailable(container, join(node.path, path), xml_name or f"Series {path}", findings)
        if xml_name:  # the OME-XML names what the instrument called it; multiscales names are often generic
            child.name = xml_name
        group.children.append(child)
    return group


def _series_names(container: Container, key: str, findings: list[Finding]) -> list[str]:
    """Image names from the OME-XML (element `Image`, attribute `Name`), if it is there."""
    size = container.size(key)
    if size is None or size > MAX_XML_BYTES:
        return []
    try:
        root = ElementTree.fromstring(container.read(key) or b"")
    except (ElementTree.ParseError, OzxError, ValueError):
        findings.append(Finding("ome-xml", "info", "OME/METADATA.ome.xml cannot be parsed; series are numbered"))
        return []
    return [el.get("Name", "") for el in root if el.tag.rsplit("}", 1)[-1] == "Image"]
