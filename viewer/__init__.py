"""OZX Viewer: a desktop viewer for single-file OME-Zarr images."""

__version__ = "0.1.0"
