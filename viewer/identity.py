"""Who the application is to the operating system: names, file type, IDs (the single source).

The desktop entry, MIME XML, thumbnailer entry, AppStream metainfo, Info.plist and the NSIS
defines are made from these values by `packaging/desktop_files.py`; keep this module free of
imports so that anything (build scripts, the GUI start) can read it for free.
"""

from __future__ import annotations

from . import __version__

VERSION = __version__
APP_NAME = "OZX Viewer"
#: desktop-file ID, icon name, macOS bundle id, Qt desktop file name (Wayland matches windows by it)
APP_ID = "io.github.ozxviewer.OzxViewer"
SUMMARY = "View zipped OME-Zarr (.ozx) microscopy images"
GENERIC_NAME = "Microscopy Image Viewer"
LICENSE = "BSD-3-Clause"
DEVELOPER = "OZX Viewer developers"

#: the command for terminals (prints; a console program on Windows)
CLI_EXECUTABLE = "ozx-viewer"
#: the same program without a console window on Windows: what the desktop starts
GUI_EXECUTABLE = "ozx-viewer-gui"
#: where the .deb puts the frozen bundle (under /usr: GNOME's thumbnailer sandbox sees only /usr)
LINUX_INSTALL_DIR = "/usr/lib/ozx-viewer"

EXTENSION = ".ozx"
DOCUMENT_NAME = "Zipped OME-Zarr image"
#: ours first; the second is used by a community MIME XML, so desktop entries list both
MIME_TYPES = ("application/x-ome-zarr+zip", "application/vnd.ome.zarr+zip")
MIME_TYPE = MIME_TYPES[0]
UTI = "org.openmicroscopy.ome-zarr-zip"
UTI_REFERENCE_URL = "https://ngff.openmicroscopy.org/rfc/9/"
WINDOWS_PROGID = "OzxViewer.OmeZarrZip.1"
WINDOWS_REGISTRY_KEY = "OzxViewer"

#: icon file stems (resources/icons/, made from one SVG by resources/icons/make_icons.py)
APP_ICON = "ozx-viewer"
DOCUMENT_ICON = "ozx-document"
#: freedesktop icon name of the document type (the MIME type with "/" → "-")
DOCUMENT_ICON_NAME = MIME_TYPE.replace("/", "-")
