"""What `info` and `validate` report: stable JSON dictionaries and their plain-text rendering."""

from __future__ import annotations

from typing import Any

from .container.zip_container import ZipContainer
from .findings import Finding
from .output import printable
from .ome.model import Document, Group, Image, LabelMap, Level, Node, Opaque, Unavailable


def conformance(findings: list[Finding]) -> dict[str, Any]:
    """Counts of errors and warnings; `conforming` means no RFC-9 error."""
    errors = sum(f.severity == "error" for f in findings)
    warnings = sum(f.severity == "warning" for f in findings)
    return {"conforming": errors == 0, "errors": errors, "warnings": warnings}


def document_info(doc: Document, findings: list[Finding]) -> dict[str, Any]:
    """The `info --json` object (documented in the README)."""
    container = doc.container
    zc = container if isinstance(container, ZipContainer) else None
    return {
        "file": doc.source,
        "format": doc.format,
        "size": zc.file_size if zc else None,
        "ome_version": doc.ome_version,
        "entry_count": zc.tail.entry_count if zc else None,
        "json_first": zc.comment.json_first if zc else None,
        "conformance": conformance(findings) if zc else None,
        "findings": [f.as_dict() for f in findings],
        "images": [image_info(image) for image in doc.images()],
        "tree": node_info(doc.root),
    }


def info_of(doc: Document) -> dict[str, Any]:
    """`document_info` with every finding: waits for a ZIP's full central-directory index (which
    may still be building in the background), whose findings belong in the report."""
    if isinstance(doc.container, ZipContainer):
        doc.container.wait_index()
    return document_info(doc, doc.findings)


def image_info(image: Image) -> dict[str, Any]:
    return {
        "name": image.name,
        "path": image.path,
        "axes": [{"name": a.name, "type": a.type, "unit": a.unit} for a in image.axes],
        "levels": [level_info(level) for level in image.levels],
        "channels": [
            {"label": c.label, "color": c.color, "window": [c.window[0], c.window[1]], "active": c.active,
             "inverted": c.inverted}
            for c in image.channels
        ],
        "rgb": image.rgb,
        "labels": [label_info(label) for label in image.labels],
    }


def level_info(level: Level) -> dict[str, Any]:
    return {
        "path": level.path,
        "shape": list(level.shape),
        "dtype": str(level.dtype),
        "chunks": list(level.chunks),
        "shards": list(level.shards) if level.shards else None,
        "scale": list(level.scale),
        "translation": list(level.translation),
    }


def label_info(label: LabelMap) -> dict[str, Any]:
    return {"name": label.name, "path": label.path, "levels": [level_info(level) for level in label.levels],
            "colors": len(label.colors)}


def node_info(node: Node) -> dict[str, Any]:
    """The document tree: groups with children, images, unavailable and opaque nodes."""
    if isinstance(node, Group):
        return {"kind": node.kind, "name": node.name, "path": node.path, "children": [node_info(c) for c in node.children]}
    if isinstance(node, Image):
        return {"kind": "image", "name": node.name, "path": node.path}
    if isinstance(node, Unavailable):
        return {"kind": "unavailable", "name": node.name, "path": node.path, "target": node.target, "reason": node.reason}
    assert isinstance(node, Opaque)
    return {"kind": "opaque", "name": node.name, "path": node.path, "type": node.node_type}


def format_info(info: dict[str, Any]) -> str:
    """Plain-text rendering of `document_info`."""
    lines = [_headline(info)]
    if info["conformance"] is not None:
        c = info["conformance"]
        verdict = "conforming" if c["conforming"] else "not conforming"
        lines.append(f"RFC-9: {verdict} ({c['errors']} errors, {c['warnings']} warnings)")
    lines += [f"  {f['severity']} {f['rule']}: {f['message']}" for f in info["findings"]]
    for image in info["images"]:
        lines += [""] + _format_image(image)
    hidden = _unshown(info["tree"])
    if hidden:
        lines += ["", "Not shown:"] + [f"  {n['name']}: {n.get('reason') or n.get('type')}" for n in hidden]
    return "\n".join(printable(line) for line in lines)


def _headline(info: dict[str, Any]) -> str:
    parts = [info["format"], f"OME-Zarr {info['ome_version'] or '?'}"]
    if info["entry_count"] is not None:
        parts.append(f"{info['entry_count']} entries")
        parts.append(f"jsonFirst: {'yes' if info['json_first'] else 'no'}")
    parts.append(f"{len(info['images'])} image{'s' if len(info['images']) != 1 else ''}")
    if info.get("size") is not None:
        parts.append(_size_text(info["size"]))
    return f"{info['file']}: " + ", ".join(parts)


def _size_text(size: int) -> str:
    """'1,234,567 bytes (1.2 MiB)': exact, and readable at a glance."""
    exact = f"{size:,} bytes"
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift:
            return f"{exact} ({size / (1 << shift):.1f} {unit})"
    return exact


def _dims(values: list[int]) -> str:
    return " × ".join(str(v) for v in values)


def _format_image(image: dict[str, Any]) -> list[str]:
    axes = ", ".join(f"{a['name']} ({a['type'] or 'unknown'}{', ' + a['unit'] if a['unit'] else ''})" for a in image["axes"])
    lines = [f"Image \"{image['name']}\" at /{image['path']}", f"  axes: {axes}", "  levels:"]
    for level in image["levels"]:
        shards = f"  shards {_dims(level['shards'])}" if level["shards"] else ""
        scale = ", ".join(f"{s:g}" for s in level["scale"])
        lines.append(f"    {level['path']}: {_dims(level['shape'])}  {level['dtype']}  chunks {_dims(level['chunks'])}{shards}  scale {scale}")
    lines.append("  channels:" + (" (RGB)" if image["rgb"] else ""))
    for c in image["channels"]:
        state = "" if c["active"] else "  (hidden)"
        inverted = "  inverted" if c["inverted"] else ""
        lines.append(f"    {c['label']}  #{c['color']}  window {c['window'][0]:g}–{c['window'][1]:g}{inverted}{state}")
    labels = ", ".join(label["name"] for label in image["labels"]) or "none"
    lines.append(f"  label maps: {labels}")
    return lines


def _unshown(tree: dict[str, Any]) -> list[dict[str, Any]]:
    if tree["kind"] in ("unavailable", "opaque"):
        return [tree]
    return [n for child in tree.get("children", []) for n in _unshown(child)]


def format_findings(path: str, findings: list[Finding]) -> str:
    """Plain-text `validate` report."""
    c = conformance(findings)
    verdict = "a conforming OME-Zarr zip file (RFC-9)" if c["conforming"] else "NOT a conforming OME-Zarr zip file (RFC-9)"
    lines = [f"{path}: {verdict}; {c['errors']} errors, {c['warnings']} warnings"]
    lines += [f"  {f.severity} {f.rule}: {f.message}" for f in findings]
    return "\n".join(printable(line) for line in lines)
