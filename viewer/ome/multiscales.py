"""`multiscales` (0.1–0.6), `omero` and `labels`/`image-label` → Image and LabelMap."""

from __future__ import annotations

from typing import Any

from ..container.base import Container, is_safe_key
from ..errors import OzxError
from ..findings import Finding
from .channels import parse_channels
from .limits import MAX_DOCUMENT_LABEL_MAPS, MAX_LABEL_MAPS, MAX_LEVELS, MAX_PLANES, take_image, take_label_map
from .metadata import NodeMeta, join, read_node
from .model import Axis, Image, LabelMap, Level, plane_layout
from .transforms import level_transforms
from .zarr_array import ZarrArray

_LEGACY_AXES = ["t", "c", "z", "y", "x"]
_AXIS_TYPES = {"t": "time", "c": "channel", "z": "space", "y": "space", "x": "space"}


def parse_axes(ms: dict, ndim: int | None) -> list[Axis]:
    """Axes of a multiscale: objects (0.4+), strings (0.3), coordinateSystems (0.6) or implied tczyx."""
    raw: Any = ms.get("axes")
    if raw is None and isinstance(ms.get("coordinateSystems"), list) and ms["coordinateSystems"]:
        raw = ms["coordinateSystems"][0].get("axes") if isinstance(ms["coordinateSystems"][0], dict) else None
    if raw is None:
        names = _LEGACY_AXES[-ndim:] if ndim and ndim <= 5 else _LEGACY_AXES
        return [Axis(n, _AXIS_TYPES[n], None) for n in names]
    if not isinstance(raw, list) or not raw:
        raise OzxError("the multiscales 'axes' list is missing or empty")
    axes = []
    for item in raw:
        if isinstance(item, str):
            axes.append(Axis(item, _AXIS_TYPES.get(item.lower()), None))
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            kind = item.get("type") if isinstance(item.get("type"), str) else _AXIS_TYPES.get(item["name"].lower())
            unit = item.get("unit") if isinstance(item.get("unit"), str) else None
            axes.append(Axis(item["name"], kind, unit))
        else:
            raise OzxError("an axis of the multiscales metadata has no name")
    check_axes(axes)
    return axes


def check_axes(axes: list[Axis]) -> None:
    """OzxError unless the axes can be displayed: two or more, at most one of type 'channel', and
    the channel axis not among the two displayed ones."""
    if len(axes) < 2:
        raise OzxError(f"the multiscales 'axes' list has {len(axes)} axis; an image needs at least two")
    channels = [a.name for a in axes if a.type == "channel"]
    if len(channels) > 1:
        raise OzxError(f"the multiscales 'axes' list has {len(channels)} axes of type 'channel' ({', '.join(channels[:4])}); one is allowed")
    layout = plane_layout(axes)
    if layout.channel in (layout.row, layout.col):
        raise OzxError("the multiscales 'axes' list leaves no two axes to display besides the channel axis")


def read_levels(container: Container, group: str, ms: dict, findings: list[Finding]) -> tuple[list[Level], list[Axis]]:
    """Open every dataset of a multiscale as a lazy level with its physical transform."""
    datasets = ms.get("datasets")
    if not isinstance(datasets, list) or not datasets:
        raise OzxError(f"the image at '{group or '/'}' lists no resolution levels (datasets)")
    if len(datasets) > MAX_LEVELS:
        findings.append(Finding("ome-levels", "warning", f"the image at '{group or '/'}' lists {len(datasets)} levels; only the first {MAX_LEVELS} are used"))
        datasets = datasets[:MAX_LEVELS]
    arrays: list[tuple[str, ZarrArray, dict]] = []
    for i, ds in enumerate(datasets):
        path = ds.get("path") if isinstance(ds, dict) else None
        if not isinstance(path, str) or not path:
            raise OzxError(f"level {i} of the image at '{group or '/'}' has no path")
        if not is_safe_key(path):
            raise OzxError(f"level {i} of the image at '{group or '/'}' has the path {path!r}, which leaves the image (absolute, '..' or backslash); refused")
        key = join(group, path)
        try:
            node = read_node(container, key)
            if node is None or node.node_type != "array":
                raise OzxError(f"the level array '{key}' is missing")
            arrays.append((key, ZarrArray(container, key, node.array_meta), ds))
        except OzxError as exc:
            if i == 0:
                raise
            findings.append(Finding("ome-levels", "warning", f"only {i} levels of the image at '{group or '/'}' are usable: {exc}"))
            break
    ndim = arrays[0][1].ndim
    axes = parse_axes(ms, ndim)
    if len(axes) != ndim:
        raise OzxError(f"the image at '{group or '/'}' has {len(axes)} axes but its arrays have {ndim} dimensions")
    if 0 in arrays[0][1].shape:
        raise OzxError(f"the image at '{group or '/'}' is empty (its shape {arrays[0][1].shape} has a zero)")
    channel = plane_layout(axes).channel
    channels = arrays[0][1].shape[channel] if channel is not None else None
    usable = [a for a in arrays if a[1].ndim == ndim and 0 not in a[1].shape
              and (channel is None or a[1].shape[channel] == channels)]
    if len(usable) < len(arrays):
        findings.append(Finding("ome-levels", "warning", f"levels of the image at '{group or '/'}' that are empty or have another dimensionality or channel count were skipped"))
    base_shape = usable[0][1].shape
    for axis in plane_layout(axes).sliders:
        name, size = axes[axis].name, base_shape[axis]
        if size > MAX_PLANES:
            findings.append(Finding("ome-planes", "warning", f"the axis '{name}' of the image at '{group or '/'}' has {size} positions; only the first {MAX_PLANES} can be reached"))
    levels = []
    for key, array, ds in usable:
        scale, translation = level_transforms(ds, ms, ndim, base_shape, array.shape, findings)
        levels.append(Level(key, array, scale, translation))
    return levels, axes


def parse_image(container: Container, node: NodeMeta, findings: list[Finding], name: str | None = None) -> Image:
    """An Image from a group whose OME metadata has `multiscales` (the first entry is used)."""
    multiscales = node.ome.get("multiscales")
    if not isinstance(multiscales, list) or not multiscales or not isinstance(multiscales[0], dict):
        raise OzxError(f"the image at '{node.path or '/'}' has no usable multiscales metadata")
    if len(multiscales) > 1:
        findings.append(Finding("ome-multiscales", "info", f"the image at '{node.path or '/'}' has {len(multiscales)} multiscales; the first is shown"))
    ms = multiscales[0]
    take_image()
    levels, axes = read_levels(container, node.path, ms, findings)
    image = Image(
        name=_display_name(ms, node, name),
        path=node.path,
        axes=axes,
        levels=levels,
        channels=[],
    )
    omero = node.ome.get("omero") if isinstance(node.ome.get("omero"), dict) else None
    image.channels, image.rgb = parse_channels(omero, image, findings)
    rdefs = omero.get("rdefs") if omero and isinstance(omero.get("rdefs"), dict) else {}
    image.default_z = rdefs.get("defaultZ") if isinstance(rdefs.get("defaultZ"), int) else None
    image.default_t = rdefs.get("defaultT") if isinstance(rdefs.get("defaultT"), int) else None
    image.model = "greyscale" if rdefs.get("model") == "greyscale" else "color"
    image.labels = read_labels(container, node.path, findings)
    return image


def _display_name(ms: dict, node: NodeMeta, fallback: str | None) -> str:
    if isinstance(ms.get("name"), str) and ms["name"]:
        return ms["name"]
    omero = node.ome.get("omero")
    if isinstance(omero, dict) and isinstance(omero.get("name"), str) and omero["name"]:
        return omero["name"]
    return fallback or node.path.rsplit("/", 1)[-1] or "image"


def read_labels(container: Container, image_path: str, findings: list[Finding]) -> list[LabelMap]:
    """The label maps listed in `<image>/labels` (unreadable ones become findings, not failures)."""
    group = join(image_path, "labels")
    try:
        node = read_node(container, group)
    except OzxError as exc:
        findings.append(Finding("ome-labels", "warning", str(exc)))
        return []
    if node is None:
        return []
    names = node.ome.get("labels")
    if not isinstance(names, list):
        return []
    where = image_path or "/"
    listed = [n for n in names if isinstance(n, str) and n and ".." not in n.split("/")]
    distinct = list(dict.fromkeys(listed))  # a map listed again is the same map, opened once
    if len(distinct) > MAX_LABEL_MAPS:
        findings.append(Finding("ome-labels", "warning", f"the image at '{where}' lists {len(distinct)} label maps; only the first {MAX_LABEL_MAPS} are opened"))
        distinct = distinct[:MAX_LABEL_MAPS]
    out = []
    for name in distinct:
        if not take_label_map():
            spent = f"the file holds more than {MAX_DOCUMENT_LABEL_MAPS} label maps; the rest are not opened"
            if all(f.message != spent for f in findings):
                findings.append(Finding("ome-labels", "warning", spent))
            break
        try:
            label_node = read_node(container, join(group, name))
            if label_node is None:
                raise OzxError(f"the label map '{name}' is listed but missing")
            out.append(parse_label_map(container, label_node, name, findings))
        except OzxError as exc:
            findings.append(Finding("ome-labels", "warning", f"label map '{name}' of '{image_path or '/'}' skipped: {exc}"))
    return out


def parse_label_map(container: Container, node: NodeMeta, name: str, findings: list[Finding]) -> LabelMap:
    """A LabelMap from a group with `multiscales` (+ `image-label` colours and properties)."""
    multiscales = node.ome.get("multiscales")
    if not isinstance(multiscales, list) or not multiscales or not isinstance(multiscales[0], dict):
        raise OzxError("it has no multiscales metadata")
    levels, axes = read_levels(container, node.path, multiscales[0], findings)
    if levels[0].dtype.kind not in "iub":
        findings.append(Finding("ome-labels", "warning", f"the label map '{name}' is not integer-typed"))
    info = node.ome.get("image-label") if isinstance(node.ome.get("image-label"), dict) else {}
    colors, properties = label_colors(info.get("colors"), "label-value", "rgba"), label_properties(info.get("properties"), "label-value")
    return LabelMap(name=name, path=node.path, axes=axes, levels=levels, colors=colors, properties=properties)


def label_colors(items: object, value_key: str, color_key: str) -> dict[int, tuple[int, int, int, int]]:
    """Label value → RGBA (0–255); invalid entries skipped, later duplicates win."""
    colors: dict[int, tuple[int, int, int, int]] = {}
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        value, rgba = item.get(value_key), item.get(color_key)
        if isinstance(value, int) and isinstance(rgba, list) and len(rgba) in (3, 4) and all(isinstance(c, int) for c in rgba):
            rgba = [min(255, max(0, c)) for c in rgba] + ([255] if len(rgba) == 3 else [])
            colors[value] = tuple(rgba)  # type: ignore[assignment]
    return colors


def label_properties(items: object, value_key: str) -> dict[int, dict]:
    """Label value → its other properties."""
    props: dict[int, dict] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get(value_key), int):
            props.setdefault(item[value_key], {}).update({k: v for k, v in item.items() if k != value_key})
    return props
