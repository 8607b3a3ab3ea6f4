"""Per-level physical scale and translation from OME-Zarr coordinate transformations."""

from __future__ import annotations

import math

from ..findings import Finding

#: Physical coordinates the viewer can draw (its GPU transforms are single precision): a pixel at
#: least MIN_SCALE wide, a whole level within ±MAX_COORDINATE.
MIN_SCALE = 1e-30
MAX_COORDINATE = 1e30


def _flatten(transforms: object) -> list[dict]:
    """Transform objects in application order; RFC-5 `sequence`s are unpacked."""
    out: list[dict] = []
    for t in transforms if isinstance(transforms, list) else []:
        if isinstance(t, dict) and t.get("type") == "sequence":
            out += _flatten(t.get("transformations"))
        elif isinstance(t, dict):
            out.append(t)
    return out


def _vector(value: object, ndim: int) -> list[float] | None:
    if isinstance(value, list) and len(value) == ndim and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        try:
            vec = [float(v) for v in value]
        except OverflowError:  # an integer of hundreds of digits
            return None
        if all(math.isfinite(v) for v in vec):
            return vec
    return None


def _finite(values: list[float]) -> bool:
    return all(math.isfinite(v) for v in values)


def apply(transforms: object, scale: list[float], translation: list[float], ndim: int, findings: list[Finding], where: str) -> bool:
    """Compose `transforms` after (scale, translation) in place; False if none was usable."""
    used = False
    for t in _flatten(transforms):
        kind = t.get("type")
        if kind == "identity":
            used = True
        elif kind == "scale" and (vec := _vector(t.get("scale"), ndim)) is not None and all(v > 0 for v in vec) \
                and _finite(new_scale := [a * b for a, b in zip(scale, vec)]) \
                and _finite(new_translation := [a * b for a, b in zip(translation, vec)]) and all(v > 0 for v in new_scale):
            scale[:], translation[:] = new_scale, new_translation
            used = True
        elif kind == "translation" and (vec := _vector(t.get("translation"), ndim)) is not None \
                and _finite(new_translation := [a + b for a, b in zip(translation, vec)]):
            translation[:] = new_translation
            used = True
        else:
            findings.append(Finding("ome-transform", "warning", f"a {str(kind)[:40]!r} transformation of {where} cannot be applied (wrong values, or its product overflows) and was ignored"))
    return used


def level_transforms(
    dataset: dict, multiscale: dict, ndim: int, base_shape: tuple[int, ...], shape: tuple[int, ...], findings: list[Finding]
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(scale, translation) per axis of one level, multiscale-wide transforms included.

    Without usable per-level transforms the scale is the downsampling factor from level 0."""
    scale = [1.0] * ndim
    translation = [0.0] * ndim
    where = f"level '{dataset.get('path')}'"
    default = [b / s if s else 1.0 for b, s in zip(base_shape, shape)]
    if not apply(dataset.get("coordinateTransformations"), scale, translation, ndim, findings, where):
        scale = list(default)
    apply(multiscale.get("coordinateTransformations"), scale, translation, ndim, findings, "the multiscale")
    if not all(MIN_SCALE <= s and n * s + abs(t) <= MAX_COORDINATE for s, t, n in zip(scale, translation, shape)):
        findings.append(Finding("ome-transform", "warning", f"the transformations of {where} give pixels under "
                                f"{MIN_SCALE:g} or coordinates beyond ±{MAX_COORDINATE:g}, which cannot be drawn; they were ignored"))
        scale, translation = default, [0.0] * ndim
    return tuple(scale), tuple(translation)
