"""Open a file or folder and build its document tree (spec/collections-rfc8.md §14.1)."""

from __future__ import annotations

import os

from ..container import open_container
from ..container.base import Container
from ..errors import OzxError
from ..findings import Finding
from .collections import CollectionReader, is_rfc8
from .hcs import parse_plate, parse_series
from .limits import MAX_IMAGES, image_budget, images_left
from .metadata import NodeMeta, read_node
from .model import Document, Group, Node
from .multiscales import parse_image



def open_document(path: str | os.PathLike, background_index: bool = True) -> Document:
    """Open read-only and build the tree; raises OzxError with one plain sentence on bad input."""
    container = open_container(path, background_index=background_index)
    try:
        return build_document(container, os.fspath(path))
    except OzxError:
        container.close()
        raise
    except (RecursionError, MemoryError) as exc:
        container.close()
        raise OzxError(f"the metadata cannot be read ({type(exc).__name__})") from None


def build_document(container: Container, source: str) -> Document:
    """The document of an open container (used again when a background index changes the picture)."""
    findings: list[Finding] = []
    root_meta = read_node(container, "")
    if root_meta is None:
        raise OzxError("there is no OME-Zarr metadata at the root of this file (no zarr.json or .zattrs)")
    with image_budget():
        root = _root_node(container, root_meta, source, findings)
        if not images_left():
            findings.append(Finding("ome-images", "warning", f"the file holds more than {MAX_IMAGES} images; only the first {MAX_IMAGES} are opened"))
    version = root_meta.version or getattr(getattr(container, "comment", None), "version", None)
    doc = Document(source=source, format=container.format, ome_version=version, root=root,
                   ome_findings=findings, container=container)
    if not doc.images() and not isinstance(root, Group):
        raise OzxError("this file holds no image that can be shown")
    return doc


def _root_node(container: Container, meta: NodeMeta, source: str, findings: list[Finding]) -> Node:
    ome = meta.ome
    fallback = _file_stem(source)
    if is_rfc8(ome):
        return CollectionReader(container, findings).read_root(meta)
    if "plate" in ome:
        return parse_plate(container, meta, findings)
    if "bioformats2raw.layout" in ome:
        return parse_series(container, meta, findings)
    if "multiscales" in ome:
        return parse_image(container, meta, findings, fallback)
    return _scan_for_images(container, fallback, findings)


def _scan_for_images(container: Container, name: str, findings: list[Finding]) -> Group:
    """A plain root group: list every group with `multiscales` that is not a label map."""
    group = Group(name=name, path="", kind="folder")
    for key in sorted(container.metadata_keys(), key=lambda k: (k.count("/"), k)):
        if not key.endswith(("/zarr.json", "/.zattrs")):
            continue
        path = key.rsplit("/", 1)[0]
        if "labels" in path.split("/"):
            continue
        try:
            node = read_node(container, path)
        except OzxError as exc:
            findings.append(Finding("ome-scan", "warning", str(exc)))
            continue
        if node is None or "multiscales" not in node.ome or "image-label" in node.ome:
            continue
        try:
            group.children.append(parse_image(container, node, findings, path))
        except OzxError as exc:
            findings.append(Finding("ome-image", "warning", f"'{path}' cannot be shown: {exc}"))
        if not images_left():
            break
    if not group.children:
        raise OzxError("this file holds Zarr data but no OME-Zarr image (no multiscales metadata)")
    findings.append(Finding("ome-root", "warning", "the root group has no OME-Zarr metadata; images were found by scanning"))
    return group


def _file_stem(source: str) -> str:
    base = os.path.basename(os.path.normpath(source))
    for suffix in (".ome.zarr.zip", ".ozx", ".zip", ".ome.zarr", ".zarr"):
        if base.lower().endswith(suffix):
            return base[: -len(suffix)] or base
    return base
