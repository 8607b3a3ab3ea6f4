"""Findings: what a reader or validator noticed about a file, with a rule id and severity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Finding:
    """One observation: `rule` is an RFC-9 rule id (M1…M8, S1…S8) or a reader id."""

    rule: str
    severity: Severity
    message: str

    def as_dict(self) -> dict[str, str]:
        """The JSON form used by `info --json` and `validate --json`."""
        return {"rule": self.rule, "severity": self.severity, "message": self.message}
