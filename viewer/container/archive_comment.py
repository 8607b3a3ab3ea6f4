"""The RFC-9 archive comment: lenient JSON parse, OME-Zarr version and the `jsonFirst` flag."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from ..findings import Finding

_KNOWN_OME_KEYS = {"version", "zipFile"}
_TRAILING_COMMA = re.compile(rb",\s*([}\]])")


@dataclass
class ArchiveComment:
    """What the comment says; `findings` are S6 warnings about its form."""

    version: str | None = None
    json_first: bool = False
    findings: list[Finding] = field(default_factory=list)


def parse_comment(raw: bytes) -> ArchiveComment:
    """Parse the comment as the viewer does: strip NULs and whitespace, forgive trailing commas."""
    out = ArchiveComment()
    if not raw:
        out.findings.append(Finding("S6", "warning", "the archive has no comment; RFC-9 asks for a JSON comment with ome.version"))
        return out
    text = raw.rstrip(b"\x00 \t\r\n")
    data = _loads(text)
    if data is None:
        data = _loads(_TRAILING_COMMA.sub(rb"\1", text))
        if data is None:
            out.findings.append(Finding("S6", "warning", "the archive comment is not JSON; RFC-9 asks for a JSON object with ome.version"))
            return out
        out.findings.append(Finding("S6", "warning", "the archive comment is not valid JSON (trailing comma); it was read leniently"))
    elif text != raw:
        out.findings.append(Finding("S6", "warning", "the archive comment has trailing NUL bytes or spaces, so it is not plain JSON"))
    ome = data.get("ome") if isinstance(data, dict) else None
    if not isinstance(ome, dict):
        out.findings.append(Finding("S6", "warning", "the archive comment has no 'ome' object"))
        return out
    if isinstance(ome.get("version"), str):
        out.version = ome["version"]
    else:
        out.findings.append(Finding("S6", "warning", "the archive comment has no string 'ome.version'"))
    for key in sorted(set(ome) - _KNOWN_OME_KEYS):
        out.findings.append(Finding("S6", "warning", f"the archive comment has an unknown key 'ome.{key}' (written for a newer RFC-9 revision?); it was ignored"))
    zip_file = ome.get("zipFile")
    directory = zip_file.get("centralDirectory") if isinstance(zip_file, dict) else None
    flag = directory.get("jsonFirst", False) if isinstance(directory, dict) else False
    if not isinstance(flag, bool):
        out.findings.append(Finding("S6", "warning", "'jsonFirst' in the archive comment is not true or false; it was ignored"))
        flag = False
    out.json_first = flag
    return out


def _loads(text: bytes) -> object | None:
    try:
        return json.loads(text.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
