"""RFC-8 collections (draft): a tolerant reader of collection/multiscale/singlescale nodes.

Paths that leave the file are kept as unavailable nodes and never followed; unknown node types
are kept as opaque nodes; references are accepted as {"id"}, {"ref"}, {"$ref"} or bare strings.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..container.base import Container
from ..errors import OzxError
from ..findings import Finding
from .channels import parse_channels
from .limits import take_image
from .metadata import NodeMeta, as_dict, as_list, is_external, join, read_json, read_node, resolve_relative
from .model import Group, Image, LabelMap, Level, Node, Opaque, Unavailable, plane_layout
from .multiscales import label_colors, label_properties, parse_axes, parse_image, parse_label_map
from .transforms import apply
from .zarr_array import ZarrArray

MAX_DEPTH = 16
MAX_NODES = 10_000


@dataclass
class _PendingLabel:
    label: LabelMap
    sources: list[str]
    parent: Group


def is_rfc8(ome: dict) -> bool:
    """RFC-8 node documents have a string `type` in their OME object."""
    return isinstance(ome.get("type"), str)


class CollectionReader:
    """Walks one RFC-8 document tree inside a container."""

    def __init__(self, container: Container, findings: list[Finding]) -> None:
        self.container = container
        self.findings = findings
        self.ids: dict[str, Image] = {}
        self.labels: list[_PendingLabel] = []
        self.active: set[str] = set()  # documents being resolved right now (cycle guard)
        self.count = 0
        # Each referenced document is read and each image parsed once, however often it is referenced.
        self.followed: dict[str, tuple[dict, str, NodeMeta | None, str] | Node] = {}
        self.legacy: dict[str, Image | Unavailable] = {}
        self.levels: dict[int, tuple[object, tuple[list[Level], list] | OzxError]] = {}

    def read_root(self, node: NodeMeta) -> Node:
        """The tree of the root node; labels are attached to their source images at the end."""
        self.active.add(join(node.path, "zarr.json"))
        root = self.node(node.ome, node.path, 0, node.path.rsplit("/", 1)[-1] or "collection", None)
        self._attach_labels()
        return root

    def node(self, obj: dict, doc_dir: str, depth: int, fallback: str, parent: Group | None) -> Node:
        """One node (inline or referenced) of any type."""
        self.count += 1
        name = obj.get("name") if isinstance(obj.get("name"), str) and obj.get("name") else fallback
        if self.count > MAX_NODES or depth > MAX_DEPTH:
            return Unavailable(name, doc_dir, "", "the collection is nested too deeply or has too many nodes")
        kind = obj.get("type")
        if kind not in ("collection", "multiscale"):
            return Opaque(name, doc_dir, str(kind))
        if isinstance(obj.get("path"), (dict, str)):
            resolved = self._follow(obj, doc_dir, name)
            if not isinstance(resolved, tuple):
                return resolved
            target, target_dir, legacy, key = resolved
            if legacy is not None:
                return self._legacy_image(legacy, obj, name, parent)
            merged = {**target, "attributes": {**as_dict(target.get("attributes")), **as_dict(obj.get("attributes"))}}
            self.active.add(key)
            try:
                return self.node({**merged, "path": None, "name": name}, target_dir, depth + 1, name, parent)
            finally:
                self.active.discard(key)
        if kind == "collection":
            return self._collection(obj, doc_dir, depth, name)
        return self._multiscale(obj, doc_dir, name, parent)

    def _collection(self, obj: dict, doc_dir: str, depth: int, name: str) -> Group:
        attrs = as_dict(obj.get("attributes"))
        kind = "plate" if "plate" in attrs else "well" if "well" in attrs else "collection"
        group = Group(name=name, path=doc_dir, kind=kind, attributes={k: attrs[k] for k in ("plate", "well") if k in attrs})
        for i, child in enumerate(as_list(obj.get("nodes"))):
            if self.count >= MAX_NODES:
                self.findings.append(Finding("rfc8-nodes", "warning", f"the collection has more than {MAX_NODES} nodes; the rest are not listed"))
                break
            if isinstance(child, dict):
                group.children.append(self.node(child, doc_dir, depth + 1, f"{name} {i}", group))
        return group

    def _follow(self, obj: dict, doc_dir: str, name: str) -> tuple[dict, str, NodeMeta | None, str] | Node:
        """Load the document a node's `path` points to: (node object, its folder, legacy image node, key)."""
        path_obj = obj["path"]
        target = path_obj.get("path") if isinstance(path_obj, dict) else path_obj
        path_type = path_obj.get("type", "zarr") if isinstance(path_obj, dict) else "zarr"
        if not isinstance(target, str) or not target:
            return Unavailable(name, doc_dir, "", "the node's path is empty")
        if is_external(target):
            return Unavailable(name, doc_dir, target, f"external: {target} (not loaded)")
        resolved = resolve_relative(doc_dir, target)
        if resolved is None:
            return Unavailable(name, doc_dir, target, f"outside the file: {target} (not loaded)")
        if path_type not in ("zarr", "json"):
            return Opaque(name, resolved, f"unsupported path type {path_type}")
        key = join(resolved, "zarr.json") if path_type == "zarr" else resolved
        if key in self.active:
            return Unavailable(name, resolved, target, "the collection refers to itself (cycle)")
        if key not in self.followed:
            self.followed[key] = self._load(resolved, path_type, key, name, target)
        found = self.followed[key]
        return replace(found, name=name) if isinstance(found, Unavailable) else found

    def _load(self, resolved: str, path_type: str, key: str, name: str, target: str) -> tuple[dict, str, NodeMeta | None, str] | Node:
        try:
            if path_type == "json":
                doc = read_json(self.container, resolved)
                ome = doc.get("ome") if doc else None
                folder = resolved.rsplit("/", 1)[0] if "/" in resolved else ""
                if not isinstance(ome, dict):
                    raise OzxError(f"'{resolved}' holds no OME node")
                return ome, folder, None, key
            meta = read_node(self.container, resolved)
            if meta is None:
                raise OzxError(f"nothing is stored at '{resolved}'")
            if is_rfc8(meta.ome):
                return meta.ome, resolved, None, key
            if "multiscales" in meta.ome:
                return {}, resolved, meta, key
            raise OzxError(f"'{resolved}' holds no OME node")
        except OzxError as exc:
            self.findings.append(Finding("rfc8-path", "warning", f"'{name}' cannot be shown: {exc}"))
            return Unavailable(name, resolved, target, str(exc))

    def _legacy_image(self, meta: NodeMeta, obj: dict, name: str, parent: Group | None) -> Node:
        """A collection pointing at a 0.4/0.5 `multiscales` image (the example repositories do)."""
        cached = self.legacy.get(meta.path)
        if cached is not None and "labels" not in as_dict(obj.get("attributes")):
            if isinstance(cached, Image):
                try:
                    take_image()  # every listed image counts, parsed or not
                except OzxError as exc:
                    return Unavailable(name, meta.path, meta.path, str(exc))
            node = replace(cached, name=name)
            if isinstance(node, Image):
                self._register(obj, node)
            return node
        try:
            attrs = as_dict(obj.get("attributes"))
            if "labels" in attrs:
                label = parse_label_map(self.container, meta, name, self.findings)
                label.colors.update(label_colors(as_dict(attrs["labels"]).get("labelAttributes"), "labelValue", "color"))
                return self._pending_label(label, attrs["labels"], parent, name)
            image = parse_image(self.container, meta, self.findings, name)
        except OzxError as exc:
            self.legacy[meta.path] = Unavailable(name, meta.path, meta.path, str(exc))
            return self.legacy[meta.path]
        image.name = name
        self.legacy[meta.path] = image
        self._register(obj, image)
        return image

    def _multiscale(self, obj: dict, doc_dir: str, name: str, parent: Group | None) -> Node:
        attrs = as_dict(obj.get("attributes"))
        try:
            levels, axes = self._cached_singlescales(obj, attrs, doc_dir)
        except OzxError as exc:
            self.findings.append(Finding("rfc8-multiscale", "warning", f"'{name}' cannot be shown: {exc}"))
            return Unavailable(name, doc_dir, doc_dir, str(exc))
        if "labels" in attrs:
            labels = as_dict(attrs["labels"])
            label = LabelMap(name, doc_dir, axes, levels,
                             label_colors(labels.get("labelAttributes"), "labelValue", "color"),
                             label_properties(labels.get("labelAttributes"), "labelValue"))
            return self._pending_label(label, attrs["labels"], parent, name)
        try:
            take_image()
        except OzxError as exc:
            return Unavailable(name, doc_dir, doc_dir, str(exc))
        image = Image(name=name, path=doc_dir, axes=axes, levels=levels, channels=[])
        omero = attrs.get("omero") if isinstance(attrs.get("omero"), dict) else None
        image.channels, image.rgb = parse_channels(omero, image, self.findings)
        self._register(obj, image)
        return image

    def _cached_singlescales(self, obj: dict, attrs: dict, doc_dir: str) -> tuple[list[Level], list]:
        """`_singlescales`, once per referenced document (its `nodes` list is shared by every reference)."""
        nodes = obj.get("nodes")
        if id(nodes) not in self.levels:  # the cache holds `nodes`, so its id is never reused
            try:
                result: tuple[list[Level], list] | OzxError = self._singlescales(obj, attrs, doc_dir)
            except OzxError as exc:
                result = exc
            self.levels[id(nodes)] = (nodes, result)
        result = self.levels[id(nodes)][1]
        if isinstance(result, OzxError):
            raise result
        return result

    def _singlescales(self, obj: dict, attrs: dict, doc_dir: str) -> tuple[list[Level], list]:
        systems = attrs.get("coordinateSystems")
        nodes = [n for n in as_list(obj.get("nodes")) if isinstance(n, dict) and n.get("type") == "singlescale"]
        if not nodes:
            raise OzxError("the multiscale lists no singlescale levels")
        levels: list[Level] = []
        axes = None
        for level_node in nodes:
            path_obj = level_node.get("path")
            target = path_obj.get("path") if isinstance(path_obj, dict) else path_obj
            key = resolve_relative(doc_dir, target) if isinstance(target, str) and not is_external(target) else None
            if key is None:
                raise OzxError(f"a level path leaves the file ({target})")
            meta = read_node(self.container, key)
            if meta is None or meta.node_type != "array":
                raise OzxError(f"the level array '{key}' is missing")
            array = ZarrArray(self.container, key, meta.array_meta)
            if 0 in array.shape or (levels and array.ndim != levels[0].array.ndim):
                raise OzxError(f"the level array '{key}' is empty or has another dimensionality")
            if axes is None:
                axes = parse_axes({"coordinateSystems": systems} if isinstance(systems, list) else {}, array.ndim)
            scale, translation = [1.0] * array.ndim, [0.0] * array.ndim
            level_attrs = as_dict(level_node.get("attributes"))
            transforms = level_attrs.get("coordinateTransformations")
            if transforms is None:
                ident = level_node.get("id")
                transforms = [t for t in as_list(attrs.get("coordinateTransformations")) if isinstance(t, dict) and _ref_id(t.get("input")) == ident]
            if not apply(transforms, scale, translation, array.ndim, self.findings, f"level '{key}'") and levels:
                scale = [b / s if s else 1.0 for b, s in zip(levels[0].shape, array.shape)]
            levels.append(Level(key, array, tuple(scale), tuple(translation)))
        assert axes is not None
        if len(axes) != levels[0].array.ndim:
            raise OzxError("the coordinate system's axes do not match the arrays")
        channel = plane_layout(axes).channel
        if channel is not None and len({level.shape[channel] for level in levels}) > 1:
            raise OzxError("the levels of the multiscale have different channel counts")
        return levels, axes

    def _register(self, obj: dict, image: Image) -> None:
        if isinstance(obj.get("id"), str):
            self.ids[obj["id"]] = image

    def _pending_label(self, label: LabelMap, spec: object, parent: Group | None, name: str) -> Node:
        sources = [_ref_id(s) for s in as_list(as_dict(spec).get("source"))]
        if parent is None:
            return Opaque(name, label.path, "label map (no source)")
        self.labels.append(_PendingLabel(label, [s for s in sources if s], parent))
        return _LABEL_PLACEHOLDER

    def _attach_labels(self) -> None:
        """Attach label maps to their sources (or the single image beside them); placeholders go away."""
        for pending in self.labels:
            targets = [self.ids[s] for s in pending.sources if s in self.ids]
            if not targets:
                siblings = [c for c in pending.parent.children if isinstance(c, Image)]
                targets = siblings if len(siblings) == 1 else []
            for image in targets:
                image.labels.append(pending.label)
            if not targets:
                pending.parent.children.append(Opaque(pending.label.name, pending.label.path, "label map (no source)"))
        for group in {id(p.parent): p.parent for p in self.labels}.values():
            group.children = [c for c in group.children if c is not _LABEL_PLACEHOLDER]


_LABEL_PLACEHOLDER = Opaque("", "", "label placeholder")


def _ref_id(ref: object) -> str | None:
    """A reference's id, in any of the draft's spellings."""
    if isinstance(ref, str):
        return ref
    if isinstance(ref, dict):
        for key in ("id", "ref", "$ref"):
            value = ref.get(key)
            if isinstance(value, str):
                return value
            if isinstance(value, dict):
                return _ref_id(value)
    return None

