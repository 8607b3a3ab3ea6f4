"""Make every icon of OZX Viewer from the one SVG source `resources/icons/ozx-viewer.svg`.

Usage: python resources/icons/make_icons.py OUT_DIR

Writes into OUT_DIR:
- `ozx-viewer.svg` (the app) and `ozx-document.svg` (the `.ozx` file type: a page with the app
  picture on it), each also as `.ico` (Windows: PNG images 16-256) and `.icns` (macOS: 16-1024);
- `hicolor/`, a freedesktop icon theme tree: `scalable` and `<N>x<N>` PNGs, the app under
  `apps/io.github.ozxviewer.OzxViewer`, the document under `mimetypes/application-x-ome-zarr+zip`.

Rasterizes with Qt's SVG renderer (PySide6, already a dependency of the viewer); needs no display.
"""

from __future__ import annotations

import re
import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from viewer import identity as ID  # noqa: E402

SOURCE = Path(__file__).resolve().parent / f"{ID.APP_ICON}.svg"
HICOLOR_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
#: icns element types holding PNG data, by pixel size (several sizes serve two types: 1x and 2x)
ICNS_TYPES = (("icp4", 16), ("icp5", 32), ("icp6", 64), ("ic07", 128), ("ic08", 256), ("ic09", 512),
              ("ic10", 1024), ("ic11", 32), ("ic12", 64), ("ic13", 256), ("ic14", 512))
#: the page of the document icon (viewBox 0 0 256 256), the app picture sits on it scaled
PAGE = ('<path d="M48 12 H164 L216 64 V244 H48 Z" fill="#f4f6f8" stroke="#8a96a3" stroke-width="6" '
        'stroke-linejoin="round"/>\n  <path d="M164 12 V64 H216" fill="#d5dbe1" stroke="#8a96a3" '
        'stroke-width="6" stroke-linejoin="round"/>')


def document_svg(app_svg: str) -> str:
    """The document icon: a page with a folded corner and the app picture (scaled) on it."""
    inner = re.search(r"<svg[^>]*>(.*)</svg>", app_svg, re.S).group(1)
    inner = re.sub(r"<!--.*?-->", "", inner, flags=re.S).strip()
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny" '
            'width="256" height="256" viewBox="0 0 256 256">\n  ' + PAGE + '\n'
            '  <g transform="translate(64 92) scale(0.5)">\n' + inner + '\n  </g>\n</svg>\n')


def render_png(svg: str, size: int) -> bytes:
    """The SVG rasterized to a size×size PNG with transparency."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(svg.encode()))
    if not renderer.isValid():
        raise ValueError("the SVG icon source cannot be read")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico holding PNG images (allowed since Vista; 256 is written as 0)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, data = b"", b""
    for size, png in sorted(pngs.items()):
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(png), offset + len(data))
        data += png
    return header + entries + data


def icns(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns of PNG elements."""
    body = b"".join(kind.encode() + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for kind, size in ICNS_TYPES)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def make_icons(out: Path) -> list[Path]:
    """Write every icon file below `out`; returns their paths."""
    app_svg = SOURCE.read_text(encoding="utf-8")
    icons = {ID.APP_ICON: (app_svg, "apps", ID.APP_ID),
             ID.DOCUMENT_ICON: (document_svg(app_svg), "mimetypes", ID.DOCUMENT_ICON_NAME)}
    written: list[Path] = []

    def write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)

    for stem, (svg, context, theme_name) in icons.items():
        pngs = {size: render_png(svg, size) for size in sorted({*HICOLOR_SIZES, *ICO_SIZES, 1024})}
        write(out / f"{stem}.svg", svg.encode())
        write(out / f"{stem}.ico", ico({s: pngs[s] for s in ICO_SIZES}))
        write(out / f"{stem}.icns", icns(pngs))
        write(out / "hicolor" / "scalable" / context / f"{theme_name}.svg", svg.encode())
        for size in HICOLOR_SIZES:
            write(out / "hicolor" / f"{size}x{size}" / context / f"{theme_name}.png", pngs[size])
    return written


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    for path in make_icons(Path(sys.argv[1])):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
