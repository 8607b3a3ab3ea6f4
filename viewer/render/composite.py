"""The colour maths of the composite and label layers in numpy (no Qt, no GL).

This is the one definition of how channels become colours: `CompositeVisual`'s shader does the
same per fragment (and takes its window uniforms from `shader_window`), the screenshot tests
compare the GPU against `composite`, and thumbnails are drawn with it.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .colors import hex_to_rgb
from .formats import texture_dtype, texture_scale
from .styles import ChannelStyle


def shader_window(window: tuple[float, float], scale: float) -> tuple[float, float]:
    """A window in data units → the window on sampled texture values (raw / `scale`), as the
    float32 uniforms hold it; an empty window gets a tiny width, so no value meets 0/0."""
    start, end = window
    if end == start:
        end = start + max(abs(start) * 1e-6, 1e-12)
    low, high = np.float32(start / scale), np.float32(end / scale)
    if high == low:  # distinct in float64, not in float32
        high = np.nextafter(low, np.float32(np.inf))
    return float(low), float(high)


def composite(data: np.ndarray, styles: Sequence[ChannelStyle | None]) -> np.ndarray:
    """(channels, rows, cols) raw values of any dtype → (rows, cols, 4) float32 RGBA in 0–1.

    Channel i is painted with styles[i] (None or a missing entry: not painted) exactly as the
    shader paints it: the value as its texture stores it (`formats.texture_dtype`), windowed,
    clamped to 0–1, inverted if asked, times the colour; active channels add up and the sum is
    clipped to 1. A pixel where every active channel is NaN is transparent (alpha 0); with no
    active channel at all, every pixel is opaque black.
    """
    data = np.asarray(data)
    count, rows, cols = data.shape
    scale = np.float32(texture_scale(data.dtype))
    rgb = np.zeros((rows, cols, 3), dtype=np.float32)
    seen = np.zeros((rows, cols), dtype=bool)
    any_active = False
    for i in range(count):
        style = styles[i] if i < len(styles) else None
        if style is None or not style.active:
            continue
        any_active = True
        start, end = (np.float32(w) for w in shader_window(style.window, float(scale)))
        values = data[i].astype(texture_dtype(data.dtype)).astype(np.float32) / scale
        valid = ~np.isnan(values)
        with np.errstate(invalid="ignore"):
            x = np.clip((values - start) / (end - start), np.float32(0), np.float32(1))
        if style.inverted:
            x = np.float32(1) - x
        x[~valid] = 0
        rgb += x[..., None] * np.asarray(hex_to_rgb(style.color), dtype=np.float32)
        seen |= valid
    out = np.empty((rows, cols, 4), dtype=np.float32)
    np.minimum(rgb, np.float32(1), out=out[..., :3])
    out[..., 3] = 1.0 if not any_active else seen
    out[..., :3] *= out[..., 3:]  # discarded pixels keep nothing
    return out


def blend_labels(rgba: np.ndarray, labels: np.ndarray, opacity: float) -> np.ndarray:
    """Paint coloured labels ((rows, cols, 4) RGBA uint8, `colors.colorize_labels`) over `rgba`
    (float RGBA in 0–1) with `opacity`, as the label layer blends: colour × a + below × (1 − a),
    a = label alpha × opacity. Where `rgba` is transparent, the label's own colour and alpha
    remain (the same result over any opaque background). Returns a new array."""
    a = labels[..., 3:].astype(np.float32) / 255 * np.float32(min(max(opacity, 0.0), 1.0))
    colour = labels[..., :3].astype(np.float32) / 255
    below_a = rgba[..., 3:]
    out_a = a + below_a * (1 - a)
    out = np.empty_like(rgba, dtype=np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[..., :3] = np.where(out_a > 0, (colour * a + rgba[..., :3] * below_a * (1 - a)) / out_a, 0)
    out[..., 3:] = out_a
    return out


def over_background(rgba: np.ndarray, background: tuple[float, float, float]) -> np.ndarray:
    """(rows, cols, 4) RGBA in 0–1 drawn over an opaque background → (rows, cols, 3) in 0–1."""
    a = rgba[..., 3:]
    return rgba[..., :3] * a + np.asarray(background, dtype=np.float32) * (1 - a)


def to_uint8(values: np.ndarray) -> np.ndarray:
    """Colours in 0–1 → uint8, rounded as the framebuffer stores them."""
    return np.round(np.clip(values, 0, 1) * 255).astype(np.uint8)
