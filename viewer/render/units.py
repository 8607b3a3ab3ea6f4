"""Physical units: abbreviations and nice rounded scale-bar lengths."""

from __future__ import annotations

import math

_SI_PREFIXES = {
    "yotta": ("Y", 24), "zetta": ("Z", 21), "exa": ("E", 18), "peta": ("P", 15), "tera": ("T", 12),
    "giga": ("G", 9), "mega": ("M", 6), "kilo": ("k", 3), "hecto": ("h", 2), "deca": ("da", 1),
    "": ("", 0), "deci": ("d", -1), "centi": ("c", -2), "milli": ("m", -3), "micro": ("µ", -6),
    "nano": ("n", -9), "pico": ("p", -12), "femto": ("f", -15), "atto": ("a", -18),
    "zepto": ("z", -21), "yocto": ("y", -24),
}
_SI_BASES = {"meter": "m", "second": "s"}
_OTHER = {"angstrom": "Å", "inch": "in", "foot": "ft", "yard": "yd", "mile": "mi",
          "parsec": "pc", "minute": "min", "hour": "h", "day": "d"}
# Prefixes a scale bar may switch to when the length gets large or small.
_BAR_PREFIXES = ["", "milli", "micro", "nano", "pico", "kilo"]


def split_si(unit: str | None) -> tuple[str, str] | None:
    """(prefix, base) of an SI unit such as 'micrometer', or None."""
    if not unit:
        return None
    for base in _SI_BASES:
        if unit.endswith(base) and unit[: -len(base)] in _SI_PREFIXES:
            return unit[: -len(base)], base
    return None


def abbreviate(unit: str | None) -> str:
    """'micrometer' → 'µm'; unknown units unchanged; no unit → 'px'."""
    if not unit:
        return "px"
    si = split_si(unit)
    if si is not None:
        return _SI_PREFIXES[si[0]][0] + _SI_BASES[si[1]]
    return _OTHER.get(unit, unit)


def nice_length(limit: float) -> float:
    """The largest 1, 2 or 5 × 10^n that is <= `limit` (limit > 0)."""
    exponent = math.floor(math.log10(limit))
    for mantissa in (5, 2, 1):
        value = mantissa * 10.0**exponent
        if value <= limit * (1 + 1e-9):
            return value
    return 10.0 ** (exponent - 1) * 5


def format_length(value: float, unit: str | None) -> str:
    """A length in `unit` as a short label, switching SI prefix to keep 1 ≤ number < 1000."""
    si = split_si(unit)
    if si is None or value <= 0:
        return f"{_number(value)} {abbreviate(unit)}"
    prefix, base = si
    metres = value * 10.0 ** _SI_PREFIXES[prefix][1]
    best = prefix
    for candidate in _BAR_PREFIXES:
        scaled = metres / 10.0 ** _SI_PREFIXES[candidate][1]
        if 1 <= round(scaled, 9) < 1000:
            best = candidate
            break
    scaled = metres / 10.0 ** _SI_PREFIXES[best][1]
    return f"{_number(scaled)} {_SI_PREFIXES[best][0]}{_SI_BASES[base]}"


def _number(value: float) -> str:
    return f"{value:.6g}"
