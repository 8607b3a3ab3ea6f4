"""Colour helpers: hex colours, a stable label palette and label-tile colouring (numpy only)."""

from __future__ import annotations

import numpy as np

RGBA = tuple[int, int, int, int]


def hex_to_rgb(color: str) -> tuple[float, float, float]:
    """'RRGGBB' → (r, g, b) in 0–1."""
    value = int(color.lstrip("#")[:6], 16)
    return ((value >> 16) / 255.0, ((value >> 8) & 0xFF) / 255.0, (value & 0xFF) / 255.0)


def palette_colors(values: np.ndarray) -> np.ndarray:
    """A stable, well-spread RGBA uint8 colour for each integer label value (alpha 255)."""
    mixed = _mix(values.astype(np.int64).view(np.uint64))
    hue = (mixed >> np.uint64(40)).astype(np.float64) / float(1 << 24)
    lightness = 0.55 + 0.25 * ((mixed >> np.uint64(8)) & np.uint64(0xFF)).astype(np.float64) / 255.0
    rgb = _hue_to_rgb(hue) * lightness[:, None] + (1 - lightness[:, None]) * 0.15
    out = np.empty((len(values), 4), dtype=np.uint8)
    out[:, :3] = np.clip(np.round(rgb * 255), 0, 255)
    out[:, 3] = 255
    return out


def colorize_labels(tile: np.ndarray, colors: dict[int, RGBA]) -> np.ndarray:
    """(rows, cols) integer labels → (rows, cols, 4) RGBA uint8.

    Listed values use their `image-label` colour; others a hashed palette colour; 0 is
    transparent unless listed.
    """
    values, inverse = np.unique(tile, return_inverse=True)
    table = palette_colors(values)
    for i, value in enumerate(values.tolist()):
        if value in colors:
            table[i] = colors[value]
        elif value == 0:
            table[i] = (0, 0, 0, 0)
    return table[inverse.reshape(tile.shape)]


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: nearby label values get unrelated colours."""
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _hue_to_rgb(hue: np.ndarray) -> np.ndarray:
    """Fully saturated colours for hues in [0, 1)."""
    k = (hue[:, None] * 6 + np.array([5.0, 3.0, 1.0])) % 6
    return 1 - np.clip(np.minimum(k, 4 - k), 0, 1)
