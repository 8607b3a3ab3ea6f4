"""Reading node metadata: Zarr v3 `zarr.json` or Zarr v2 `.zgroup`/`.zarray` + `.zattrs`, as one shape."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

from ..container.base import MAX_JSON_BYTES, MAX_JSON_ITEMS, Container
from ..errors import OzxError


@dataclass
class NodeMeta:
    """A group or array: `ome` holds the OME keys (v3 `attributes.ome`, v2 the whole `.zattrs`)."""

    path: str
    zarr_format: int
    node_type: Literal["group", "array"]
    ome: dict = field(default_factory=dict)
    array_meta: dict = field(default_factory=dict)

    @property
    def version(self) -> str | None:
        """The OME-Zarr version this node declares (0.5: `ome.version`; 0.4: inside each object)."""
        if isinstance(self.ome.get("version"), str):
            return self.ome["version"]
        for key in ("multiscales", "plate", "well", "image-label"):
            value = self.ome.get(key)
            item = value[0] if isinstance(value, list) and value else value
            if isinstance(item, dict) and isinstance(item.get("version"), str):
                return item["version"]
        return None


def as_list(value: object) -> list:
    """`value` if it is a JSON list, else an empty list (wrong types in metadata are skipped)."""
    return value if isinstance(value, list) else []


def as_dict(value: object) -> dict:
    """`value` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def join(*parts: str) -> str:
    """Join key parts with '/', ignoring empty ones."""
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


def read_json(container: Container, key: str) -> dict | None:
    """Parse a JSON object entry; None if missing; OzxError if it is not a JSON object."""
    size = container.size(key)
    if size is None:
        return None
    if size > MAX_JSON_BYTES:
        raise OzxError(f"the metadata file '{key}' is {size} bytes, too large to be metadata")
    raw = container.read(key, MAX_JSON_BYTES)
    if raw is None:
        return None
    if raw.count(b",") + raw.count(b"{") + raw.count(b"[") > MAX_JSON_ITEMS:
        raise OzxError(f"the metadata file '{key}' holds more than {MAX_JSON_ITEMS} values, too many to be metadata")
    try:
        value = json.loads(raw.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError):
        raise OzxError(f"the metadata file '{key}' is not valid JSON") from None
    except RecursionError:
        raise OzxError(f"the metadata file '{key}' is nested too deeply") from None
    if not isinstance(value, dict):
        raise OzxError(f"the metadata file '{key}' is not a JSON object")
    return value


def read_node(container: Container, path: str) -> NodeMeta | None:
    """The node at `path` ("" = root), trying Zarr v3 first; None when there is no node."""
    v3 = read_json(container, join(path, "zarr.json"))
    if v3 is not None:
        node_type = v3.get("node_type")
        if node_type not in ("group", "array"):
            raise OzxError(f"'{join(path, 'zarr.json')}' has no valid node_type")
        attrs = v3.get("attributes") or {}
        ome = attrs.get("ome") if isinstance(attrs, dict) else None
        if not isinstance(ome, dict):
            # Some early 0.5-dev writers put OME keys straight into attributes.
            ome = {k: v for k, v in attrs.items() if k in _OME_KEYS} if isinstance(attrs, dict) else {}
        return NodeMeta(path, 3, node_type, ome, v3 if node_type == "array" else {})
    zarray = read_json(container, join(path, ".zarray"))
    zgroup = read_json(container, join(path, ".zgroup")) if zarray is None else None
    zattrs = read_json(container, join(path, ".zattrs"))
    if zarray is None and zgroup is None and zattrs is None:
        return None
    if zarray is not None:
        return NodeMeta(path, 2, "array", zattrs or {}, zarray)
    return NodeMeta(path, 2, "group", zattrs or {})


_OME_KEYS = {"multiscales", "omero", "labels", "image-label", "plate", "well", "bioformats2raw.layout", "series"}


def resolve_relative(base: str, relative: str) -> str | None:
    """Join a relative path onto the folder `base` (both inside the file); None if it climbs above the root."""
    stack = [p for p in base.split("/") if p]
    for part in relative.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not stack:
                return None
            stack.pop()
        else:
            stack.append(part)
    return "/".join(stack)


def is_external(path: str) -> bool:
    """URLs, absolute paths and drive letters point outside the file."""
    return "://" in path or path.startswith(("/", "\\", "file:", "http:", "https:", "s3:")) or (len(path) > 1 and path[1] == ":")
