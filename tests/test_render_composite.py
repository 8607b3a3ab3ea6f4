"""The numpy composite on hand-computed values (the GPU comparison is in test_render_screenshots)."""

from __future__ import annotations

import numpy as np

from viewer.render.composite import blend_labels, composite, over_background, shader_window, to_uint8
from viewer.render.styles import ChannelStyle


def test_channels_add_up_and_clip() -> None:
    data = np.array([[[0, 50, 100, 200]], [[100, 100, 100, 100]]], dtype=np.uint16)  # 2 channels × 1 × 4
    styles = [ChannelStyle("FF0000", (0, 100)), ChannelStyle("FF8000", (0, 200))]
    rgba = composite(data, styles)
    assert rgba.shape == (1, 4, 4) and rgba.dtype == np.float32
    np.testing.assert_allclose(rgba[0, :, 0], [0.5, 1.0, 1.0, 1.0])  # 0.5 (second channel) + x, clipped at 1
    np.testing.assert_allclose(rgba[0, :, 1], [0.5 * 128 / 255] * 4, rtol=1e-6)
    np.testing.assert_allclose(rgba[0, :, 2], 0)
    np.testing.assert_allclose(rgba[0, :, 3], 1)


def test_inverted_inactive_and_missing_styles() -> None:
    data = np.array([[[0, 255]], [[255, 255]], [[255, 255]]], dtype=np.uint8)
    rgba = composite(data, [ChannelStyle("00FF00", (0, 255), inverted=True), ChannelStyle("FF0000", (0, 255), active=False)])
    assert to_uint8(rgba[0]).tolist() == [[0, 255, 0, 255], [0, 0, 0, 255]]  # third channel: no style


def test_nan_is_transparent_only_where_every_active_channel_is_nan() -> None:
    data = np.array([[[np.nan, np.nan, 0.5]], [[np.nan, 1.0, np.nan]]], dtype=np.float32)
    rgba = composite(data, [ChannelStyle("FF0000", (0, 1)), ChannelStyle("0000FF", (0, 1))])
    assert rgba[0, :, 3].tolist() == [0.0, 1.0, 1.0]
    assert to_uint8(rgba[0]).tolist() == [[0, 0, 0, 0], [0, 0, 255, 255], [128, 0, 0, 255]]


def test_no_active_channel_paints_opaque_black() -> None:
    data = np.full((1, 2, 2), np.nan, dtype=np.float32)
    rgba = composite(data, [ChannelStyle("FFFFFF", (0, 1), active=False)])
    assert (rgba == [0, 0, 0, 1]).all()


def test_values_go_through_their_texture_type_and_empty_windows_do_not_divide_by_zero() -> None:
    big = np.array([[[16_777_217, 16_777_216]]], dtype=np.int64)  # float32 cannot tell them apart
    rgba = composite(big, [ChannelStyle("FFFFFF", (16_777_216, 16_777_217))])
    assert rgba[0, 0, 0] == rgba[0, 1, 0] == 0.0
    assert shader_window((5.0, 5.0), 1.0)[1] > 5.0
    flat = composite(np.array([[[4, 5, 6]]], np.uint16), [ChannelStyle("FFFFFF", (5, 5))])
    assert to_uint8(flat[0, :, 0]).tolist() == [0, 0, 255]


def test_labels_blend_over_opaque_and_transparent_pixels() -> None:
    below = np.array([[[1.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0]]], dtype=np.float32)
    labels = np.array([[[0, 0, 255, 255], [0, 0, 255, 255]]], dtype=np.uint8)
    out = blend_labels(below, labels, 0.25)
    np.testing.assert_allclose(out[0, 0], [0.75, 0, 0.25, 1.0])
    np.testing.assert_allclose(out[0, 1], [0, 0, 1.0, 0.25])  # the label's own colour, at its alpha
    # Over any opaque background, the transparent pixel gives what the GPU blend gives.
    np.testing.assert_allclose(over_background(out, (0.2, 0.4, 0.6))[0, 1], [0.15, 0.3, 0.7], rtol=1e-6)
    unlabelled = blend_labels(below, np.zeros_like(labels), 1.0)
    np.testing.assert_array_equal(unlabelled, below)
