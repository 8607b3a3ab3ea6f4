"""A hatched overlay over the parts of the image whose tiles cannot be read."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from vispy import gloo
from vispy.scene.visuals import create_visual_node
from vispy.visuals import Visual

Rect = tuple[float, float, float, float]

#: Stripes in screen pixels (so they look the same at every zoom): a light stripe every PERIOD px.
HATCH_PERIOD_PX = 12.0
HATCH_STRIPE_PX = 3.0
HATCH_STRIPE = (1.0, 0.45, 0.2, 0.9)
HATCH_SHADE = (0.0, 0.0, 0.0, 0.45)

_VERTEX = """
attribute vec2 a_position;
void main() {
    gl_Position = $transform(vec4(a_position, 0.0, 1.0));
}
"""

_FRAGMENT = f"""
void main() {{
    float d = mod(gl_FragCoord.x + gl_FragCoord.y, {HATCH_PERIOD_PX:.1f});
    gl_FragColor = d < {HATCH_STRIPE_PX:.1f} ? vec4{HATCH_STRIPE} : vec4{HATCH_SHADE};
}}
"""


class FailedVisual(Visual):
    """Draws diagonal hatching over world rectangles (all in one draw call)."""

    def __init__(self) -> None:
        super().__init__(vcode=_VERTEX, fcode=_FRAGMENT)
        self._rects: list[Rect] = []
        self._draw_mode = "triangles"
        self.set_gl_state("translucent", depth_test=False)
        self._positions = gloo.VertexBuffer(np.zeros((6, 2), np.float32))
        self.shared_program["a_position"] = self._positions

    @property
    def rects(self) -> list[Rect]:
        return list(self._rects)

    def set_rects(self, rects: Sequence[Rect]) -> None:
        rects = [tuple(map(float, r)) for r in rects]
        if rects == self._rects:
            return
        self._rects = rects
        if rects:
            corners = np.array([[(x0, y0), (x1, y0), (x0, y1), (x1, y0), (x1, y1), (x0, y1)]
                                for x0, y0, x1, y1 in rects], np.float32).reshape(-1, 2)
            self._positions.set_data(corners)
        self.update()

    def _prepare_transforms(self, view) -> None:
        view.view_program.vert["transform"] = view.get_transform()

    def _compute_bounds(self, axis: int, view) -> tuple[float, float] | None:
        if not self._rects or axis > 1:
            return None
        return min(r[axis] for r in self._rects), max(r[axis + 2] for r in self._rects)

    def draw(self) -> None:
        if self.visible and self._rects:
            super().draw()


FailedTiles = create_visual_node(FailedVisual)
