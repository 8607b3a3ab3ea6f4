"""The tile-cache size setting: stored per user by Qt, read when an image opens."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from viewer.app import settings
from viewer.tiles import default_cache_budget


@pytest.fixture
def user_config(tmp_path: Path, qapp):
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    yield tmp_path
    settings.set_cache_budget_mb(None)


def test_default_is_quarter_of_ram_capped(user_config: Path) -> None:
    assert settings.cache_budget() == default_cache_budget() <= 1 << 30


def test_user_value_is_kept_per_user_and_bounded(user_config: Path) -> None:
    settings.set_cache_budget_mb(200)
    assert settings.cache_budget() == 200 << 20
    stored = list(user_config.rglob("*.ini"))
    assert stored and "cache_mb=200" in stored[0].read_text()
    settings.set_cache_budget_mb(1)
    assert settings.cache_budget() == settings.MIN_CACHE_MB << 20
    settings.set_cache_budget_mb(None)
    assert settings.cache_budget() == default_cache_budget()
