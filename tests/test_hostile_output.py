"""Hostile files, class 7: output hygiene. Terminal escape sequences and other control characters
from a file never reach the terminal; `--json` is strict JSON (no NaN or Infinity)."""

from __future__ import annotations

import json
from pathlib import Path

from viewer.output import printable, to_json

from .hostile_files import image_zip
from .hostile_probe import probe
from .zipfixtures import ome_attrs

EVIL = "\x1b]0;pwned\x07\x1b[2J\x1b[31mred\u202e\x7f\x9b"


def _evil_file(path: Path) -> Path:
    attrs = ome_attrs(["0"])
    attrs["ome"]["multiscales"][0]["name"] = "name" + EVIL
    attrs["ome"]["multiscales"][0]["axes"][0]["unit"] = "unit" + EVIL
    attrs["ome"]["omero"] = {"channels": [{"label": "label" + EVIL, "window": {"start": 0, "end": 10}}]}
    return image_zip(path, bytes(32), attrs=attrs, shape=(4, 4), chunks=(4, 4))


def _clean(text: str) -> None:
    assert not any(ord(c) < 0x20 and c != "\n" or 0x7F <= ord(c) < 0xA0 or c == "\u202e" for c in text), repr(text)


def test_info_and_validate_escape_control_characters(tmp_path: Path) -> None:
    path = _evil_file(tmp_path / "evil.ozx")
    for action in ("info", "validate", "info-json", "validate-json"):
        outcome = probe(action, path)
        outcome.assert_bounded()
        _clean(outcome.stdout + outcome.stderr)
    text = probe("info", path).stdout
    assert "\\x1b" in text and "label" in text


def test_error_messages_escape_control_characters(tmp_path: Path) -> None:
    attrs = ome_attrs(["0" + EVIL])
    outcome = probe("info", image_zip(tmp_path / "bad.ozx", b"", attrs=attrs))
    assert outcome.code == 2
    _clean(outcome.stderr)


def test_strict_json() -> None:
    text = to_json({"a": float("nan"), "b": [float("inf"), 1.5], "c": "\x1b\x7f"})
    assert json.loads(text) == {"a": None, "b": [None, 1.5], "c": "\x1b\x7f"}
    _clean(text)
    assert printable("ok é 中") == "ok é 中"
    assert printable("a\nb\x1b") == "a\\x0ab\\x1b"
