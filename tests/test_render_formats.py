"""Channel packing for textures (numpy only): how many textures, which texel component, padding."""

from __future__ import annotations

import numpy as np
import pytest

from viewer.render.formats import channel_groups, pack_channels, texel


@pytest.mark.parametrize("count, expected", [(1, (1, 1)), (2, (2, 1)), (3, (3, 1)), (4, (1, 4)),
                                             (5, (2, 4)), (8, (2, 4)), (9, (3, 4)), (12, (3, 4))])
def test_channel_groups(count: int, expected: tuple[int, int]) -> None:
    assert channel_groups(count) == expected


def test_pack_puts_channel_k_in_texture_k_div_width_component_k_mod_width() -> None:
    data = np.arange(5 * 2 * 3, dtype=np.uint16).reshape(5, 2, 3) + 1  # no zeros: padding shows
    packed = pack_channels(data)
    assert packed.shape == (2, 2, 3, 4) and packed.dtype == np.uint16 and packed.flags.c_contiguous
    assert packed[0, 1, 2].tolist() == [6, 12, 18, 24]
    assert packed[1, 1, 2].tolist() == [30, 0, 0, 0]
    assert texel(packed, 1, 2).tolist() == [6, 12, 18, 24, 30, 0, 0, 0]


def test_up_to_three_channels_keep_a_texture_each() -> None:
    two = pack_channels(np.array([[[1.5]], [[np.nan]]], dtype=np.float32))
    assert two.shape == (2, 1, 1, 1)
    assert two[0, 0, 0, 0] == 1.5 and np.isnan(two[1, 0, 0, 0])
    assert texel(two, 0, 0)[0] == 1.5
    one = pack_channels(np.full((1, 4, 5), 7, dtype=np.uint8))
    assert one.shape == (1, 4, 5, 1) and (one == 7).all()
