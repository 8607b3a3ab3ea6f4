"""Scale-bar lengths and units, label colours, texture types (no display needed)."""

from __future__ import annotations

import numpy as np
import pytest

from viewer.render.colors import colorize_labels, hex_to_rgb, palette_colors
from viewer.render.textures import texture_dtype, texture_scale
from viewer.render.units import abbreviate, format_length, nice_length


@pytest.mark.parametrize("limit, expected", [(1, 1), (1.9, 1), (2, 2), (4.99, 2), (5, 5), (9.9, 5),
                                             (10, 10), (0.037, 0.02), (380, 200), (7e6, 5e6)])
def test_nice_length(limit: float, expected: float) -> None:
    assert nice_length(limit) == pytest.approx(expected)


@pytest.mark.parametrize("value, unit, text", [
    (20, "micrometer", "20 µm"), (0.5, "micrometer", "500 nm"), (2000, "micrometer", "2 mm"),
    (5, "nanometer", "5 nm"), (100, None, "100 px"), (2, "inch", "2 in"), (10, "parsec", "10 pc"),
    (50, "millisecond", "50 ms"), (1, "angstrom", "1 Å"),
])
def test_format_length(value: float, unit: str | None, text: str) -> None:
    assert format_length(value, unit) == text


def test_abbreviate() -> None:
    assert [abbreviate(u) for u in ("micrometer", "meter", "kilometer", None, "furlong")] == ["µm", "m", "km", "px", "furlong"]


def test_hex_to_rgb() -> None:
    assert hex_to_rgb("FF8000") == (1.0, 128 / 255, 0.0)


def test_label_colours_are_stable_listed_and_zero_transparent() -> None:
    tile = np.array([[0, 1, 2], [7, 7, 300000]], dtype=np.int32)
    rgba = colorize_labels(tile, {7: (255, 0, 0, 200)})
    assert rgba.shape == (2, 3, 4) and rgba.dtype == np.uint8
    assert tuple(rgba[0, 0]) == (0, 0, 0, 0)
    assert tuple(rgba[1, 0]) == tuple(rgba[1, 1]) == (255, 0, 0, 200)
    np.testing.assert_array_equal(rgba[0, 1], palette_colors(np.array([1]))[0])
    assert not np.array_equal(rgba[0, 1], rgba[0, 2])  # neighbours differ
    listed_zero = colorize_labels(tile, {0: (1, 2, 3, 4)})
    assert tuple(listed_zero[0, 0]) == (1, 2, 3, 4)


@pytest.mark.parametrize("dtype, texture, scale", [
    ("uint8", "uint8", 255.0), ("bool", "uint8", 255.0), ("uint16", "uint16", 65535.0),
    ("int8", "float32", 1.0), ("int16", "float32", 1.0), ("int32", "float32", 1.0),
    ("uint32", "float32", 1.0), ("float32", "float32", 1.0), ("float64", "float32", 1.0),
])
def test_texture_types(dtype: str, texture: str, scale: float) -> None:
    assert texture_dtype(np.dtype(dtype)) == np.dtype(texture)
    assert texture_scale(np.dtype(dtype)) == scale
