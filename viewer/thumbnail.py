"""`ozx-viewer thumbnail`: one image of a file as a PNG, without Qt, a display or `$HOME`.

Runs inside desktop thumbnailer sandboxes (GNOME's bubblewrap: read-only system, no home, no
network). Nothing is written but OUTPUT, and OUTPUT only once the picture is complete: a temporary
file in OUTPUT's folder is renamed into place, and removed if anything fails.
"""

from __future__ import annotations

import os

from .errors import OzxError
from .output import write_atomically
from .ome import open_document
from .ome.model import Image
from .render.png import encode_png
from .render.thumbnail import DEFAULT_SIZE, render_thumbnail


def write_thumbnail(source: str, output: str, size: int = DEFAULT_SIZE, image_path: str | None = None) -> Image:
    """Render the first image of `source` (or the one at group path `image_path`) into the PNG
    `output`; returns the image drawn. Raises OzxError with a one-line message on bad input."""
    if os.path.exists(output) and os.path.samefile(source, output):
        raise OzxError(f"the output '{output}' is the input file; it is never overwritten")
    document = open_document(source)
    try:
        image = choose_image(document.images(), image_path)
        png = encode_png(render_thumbnail(image, size))
    finally:
        document.close()
    write_atomically(output, png)
    return image


def choose_image(images: list[Image], path: str | None) -> Image:
    """The image at group `path` ("" or "/" = the root), or the first one."""
    if not images:
        raise OzxError("this file holds no image that can be shown")
    if path is None:
        return images[0]
    wanted = path.strip("/")
    for image in images:
        if image.path.strip("/") == wanted:
            return image
    listed = ", ".join(repr(im.path) for im in images[:5]) + (", …" if len(images) > 5 else "")
    raise OzxError(f"there is no image at '{path}' in this file (images: {listed})")
