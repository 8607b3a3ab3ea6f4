"""Vispy visuals that draw many tiles with one shader program: a channel composite and label overlays.

Each tile is a quad over its world rectangle; textures are sampled nearest-neighbour. The
window/colour math runs in the fragment shader, so changing contrast or colours only changes
uniforms and never re-uploads data; `composite.py` is the same maths in numpy.
"""

from __future__ import annotations

from typing import Sequence, Union

import numpy as np
from vispy import gloo
from vispy.scene.visuals import create_visual_node
from vispy.visuals import Visual

from .colors import hex_to_rgb
from .composite import shader_window
from .formats import MAX_SLOTS, channel_groups
from .styles import ChannelStyle
from .textures import TileTextures

_VERTEX = """
attribute vec2 a_corner;
uniform vec2 u_origin;
uniform vec2 u_size;
uniform vec2 u_tex_origin;
uniform vec2 u_tex_size;
varying vec2 v_tex;
void main() {
    v_tex = u_tex_origin + a_corner * u_tex_size;
    gl_Position = $transform(vec4(u_origin + a_corner * u_size, 0.0, 1.0));
}
"""

_COMPOSITE_SLOT = """
    v = t{group}.{component};
    if (u_active{i} > 0.5 && v == v) {{
        x = clamp((v - u_window{i}.x) / (u_window{i}.y - u_window{i}.x), 0.0, 1.0);
        if (u_inverted{i} > 0.5) x = 1.0 - x;
        rgb += x * u_color{i};
        seen = 1.0;
    }}
"""

_LABEL_FRAGMENT = """
varying vec2 v_tex;
uniform sampler2D u_tex0;
uniform float u_opacity;
void main() {
    vec4 c = texture2D(u_tex0, v_tex);
    if (c.a == 0.0) discard;
    gl_FragColor = vec4(c.rgb, c.a * u_opacity);
}
"""


def _composite_fragment(slots: int) -> str:
    groups, width = channel_groups(slots)
    declarations = "".join(f"uniform sampler2D u_tex{g};\n" for g in range(groups)) + "".join(
        f"uniform vec3 u_color{i}; uniform vec2 u_window{i}; uniform float u_inverted{i}; uniform float u_active{i};\n"
        for i in range(slots)
    )
    fetches = "".join(f"    vec4 t{g} = texture2D(u_tex{g}, v_tex);\n" for g in range(groups))
    body = "".join(_COMPOSITE_SLOT.format(i=i, group=i // width, component="rgba"[i % width]) for i in range(slots))
    # A pixel whose active channels are all NaN is transparent (v == v is false only for NaN).
    return f"""
varying vec2 v_tex;
uniform float u_any_active;
{declarations}
void main() {{
    vec3 rgb = vec3(0.0);
    float seen = 0.0;
    float v;
    float x;
{fetches}{body}
    if (seen == 0.0 && u_any_active > 0.5) discard;
    gl_FragColor = vec4(min(rgb, vec3(1.0)), 1.0);
}}
"""


Rect = tuple[float, float, float, float]
TileItem = Union[TileTextures, tuple[TileTextures, Rect]]
"""A tile drawn whole, or (tile, clip): only the world rectangle `clip` of it."""


class _TileQuadsVisual(Visual):
    """Draws `tiles` in list order (later ones over earlier ones), one quad per tile or clip."""

    def __init__(self, fragment: str) -> None:
        super().__init__(vcode=_VERTEX, fcode=fragment)
        self._tiles: list[tuple[TileTextures, Rect]] = []
        corners = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=np.float32)
        self.shared_program["a_corner"] = gloo.VertexBuffer(corners)
        self._draw_mode = "triangle_strip"

    def set_tiles(self, tiles: Sequence[TileItem]) -> None:
        self._tiles = [t if isinstance(t, tuple) else (t, t.box) for t in tiles]
        self.update()

    def _prepare_transforms(self, view) -> None:
        view.view_program.vert["transform"] = view.get_transform()

    def _compute_bounds(self, axis: int, view) -> tuple[float, float] | None:
        if not self._tiles or axis > 1:
            return None
        lows = [clip[axis] for _, clip in self._tiles]
        highs = [clip[axis + 2] for _, clip in self._tiles]
        return min(lows), max(highs)

    def draw(self) -> None:
        if not self.visible or not self._tiles:
            return
        self._configure_gl_state()
        program = self._program
        bound: list | None = None
        for tile, (x0, y0, x1, y1) in self._tiles:
            bx0, by0, bx1, by1 = tile.box
            program["u_origin"] = (x0, y0)
            program["u_size"] = (x1 - x0, y1 - y0)
            program["u_tex_origin"] = ((x0 - bx0) / (bx1 - bx0), (y0 - by0) / (by1 - by0))
            program["u_tex_size"] = ((x1 - x0) / (bx1 - bx0), (y1 - y0) / (by1 - by0))
            if tile.textures is not bound:  # a tile drawn in several pieces binds once
                bound = tile.textures
                for i, texture in enumerate(tile.textures):
                    program[f"u_tex{i}"] = texture
            program.draw(self._draw_mode)


class CompositeVisual(_TileQuadsVisual):
    """Adds the active channels of each tile, each coloured by its colour and window.

    Tile textures hold the channel slots 0..slots-1 packed as `formats.pack_channels` lays them
    out; `set_styles`' scale is the raw value a texture samples as 1.0 (255 for uint8, 65535 for
    uint16, 1 for float32).
    """

    def __init__(self, slots: int) -> None:
        if not 1 <= slots <= MAX_SLOTS:
            raise ValueError(f"1..{MAX_SLOTS} channel slots, got {slots}")
        super().__init__(_composite_fragment(slots))
        self.slots = slots
        # Every fragment is opaque or discarded: blending would only cost fill rate.
        self.set_gl_state(None, blend=False, depth_test=False)

    def set_styles(self, styles: Sequence[ChannelStyle | None], scale: float) -> None:
        """Paint slot i with styles[i]; None (or a missing entry) leaves the slot dark."""
        program = self.shared_program
        any_active = False
        for i in range(self.slots):
            style = styles[i] if i < len(styles) else None
            active = style is not None and style.active
            any_active |= active
            program[f"u_color{i}"] = hex_to_rgb(style.color) if style is not None else (0.0, 0.0, 0.0)
            program[f"u_window{i}"] = shader_window(style.window if style is not None else (0.0, 1.0), scale)
            program[f"u_inverted{i}"] = 1.0 if style is not None and style.inverted else 0.0
            program[f"u_active{i}"] = 1.0 if active else 0.0
        program["u_any_active"] = 1.0 if any_active else 0.0
        self.update()


class LabelVisual(_TileQuadsVisual):
    """RGBA label tiles drawn with an adjustable opacity."""

    def __init__(self, opacity: float = 0.5) -> None:
        super().__init__(_LABEL_FRAGMENT)
        self.set_gl_state("translucent", depth_test=False)
        self.set_overlay_opacity(opacity)

    def set_overlay_opacity(self, value: float) -> None:
        """0 (invisible) to 1 (label colours as given). Scene nodes' own `opacity` is not used."""
        self.shared_program["u_opacity"] = float(min(max(value, 0.0), 1.0))
        self.update()


CompositeTiles = create_visual_node(CompositeVisual)
LabelTiles = create_visual_node(LabelVisual)
