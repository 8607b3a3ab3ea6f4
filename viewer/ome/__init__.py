"""Layer 2: OME-Zarr 0.4/0.5 and RFC-8 metadata → a neutral document tree (no Qt, no GL)."""

from .document import open_document
from .model import Axis, Channel, Document, Group, Image, LabelMap, Level, Opaque, Unavailable

__all__ = ["open_document", "Axis", "Channel", "Document", "Group", "Image", "LabelMap", "Level", "Opaque", "Unavailable"]
