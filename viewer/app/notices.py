"""What the banner above the canvas says: the open file changed on disk, or it does not conform.

Qt-free: `FileWatch.check()` compares the file as it was opened with its open handle (the
container's check) and with what its path names now (`os.stat`); `conformance_notice` picks the
first RFC-9 error of a file that still opened.
"""

from __future__ import annotations

import os
from typing import Sequence

from ..container.base import Container
from ..container.positional_file import FileIdentity
from ..container.zip_container import ZipContainer
from ..findings import Finding

REMOVED = "The file was removed; what is shown stays until you close the window."
CHANGED = "The file changed on disk (truncated or rewritten); what is shown stays, new parts cannot be read."
REPLACED = ("The file was replaced by another file of the same name; this window keeps showing the file "
            "as it was opened.")

#: Short words for RFC-9 errors a file that opens may still have.
_RULE_WORDS = {
    "M2": "the hierarchy is not at the archive root",
    "M3": "it embeds another zipped OME-Zarr",
    "M4": "it is part of a split archive",
    "M5": "entries are encrypted",
    "M6": "entries are compressed",
    "M7": "ZIP records carry extra fields RFC-9 does not allow",
    "M8": "data precedes the first entry",
}


class FileWatch:
    """Notices when the open file is removed, replaced, truncated or rewritten (stat calls only)."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.path = container.path
        if isinstance(container, ZipContainer):
            self.identity: FileIdentity | None = container.file_identity
        else:  # a folder: only its removal or replacement can be told
            try:
                self.identity = FileIdentity.of(os.stat(self.path))
            except OSError:
                self.identity = None

    def check(self) -> str | None:
        """None while all is well, else the banner text (REMOVED, REPLACED or CHANGED)."""
        if isinstance(self.container, ZipContainer):
            try:
                changed = self.container.file_change()
            except (OSError, ValueError):  # closed meanwhile
                changed = None
            if changed is not None:
                return CHANGED
        try:
            now = FileIdentity.of(os.stat(self.path))
        except FileNotFoundError:
            return REMOVED
        except OSError:
            return None  # e.g. a network share that does not answer now: nothing certain to say
        if self.identity is None:
            return None
        if (now.inode, now.device) != (self.identity.inode, self.identity.device):
            return REPLACED
        return None


def conformance_notice(findings: Sequence[Finding], container: Container) -> str | None:
    """"This file is not a conforming .ozx: …" for a ZIP with an RFC-9 error, else None."""
    if not isinstance(container, ZipContainer):
        return None
    errors = [f for f in findings if f.severity == "error"]
    if not errors:
        return None
    first = errors[0]
    words = _RULE_WORDS.get(first.rule) or first.message.split(";")[0]
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"This file is not a conforming .ozx: {words}{more}. File › Properties lists the details."
