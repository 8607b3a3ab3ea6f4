"""The five layers import only the layers above them: container → OME model → tiles → render →
app. `errors`, `findings`, `output` and `identity` are shared by all; the commands (`cli`,
`report`, `thumbnail`, `__main__`) sit outside the layers and may use any of them."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "viewer"
LAYERS = ["container", "ome", "tiles", "render", "app"]
SHARED = {"errors", "findings", "output", "identity", ""}
#: Besides the layers above it, a layer of this rank may use these third-party packages.
GUI_FREE = {"container", "ome", "tiles"}


def _imported_viewer_modules(path: Path, source: str | None = None) -> set[str]:
    """Top-level names under `viewer` that the module at `path` imports, anywhere in its body
    (lazy imports inside functions too)."""
    tree = ast.parse(path.read_text(encoding="utf-8") if source is None else source)
    package = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = list(base) + (node.module.split(".") if node.module else [])
                names = [target] if node.module else [target + [alias.name] for alias in node.names]
            else:
                names = [node.module.split(".")] if node.module else []
            for parts in names:
                if parts and parts[0] == "viewer":
                    found.add(parts[1] if len(parts) > 1 else "")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "viewer":
                    found.add(parts[1] if len(parts) > 1 else "")
    return found


@pytest.mark.parametrize("layer", LAYERS)
def test_layer_imports_only_layers_above_it(layer: str) -> None:
    allowed = set(LAYERS[: LAYERS.index(layer) + 1]) | SHARED
    offences = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for name in _imported_viewer_modules(path) - allowed:
            offences.append(f"{path.relative_to(PACKAGE)} imports viewer.{name}")
    assert offences == []


def test_the_checker_sees_relative_absolute_and_lazy_imports() -> None:
    """The check above can fail: upward imports in a layer module are found."""
    module = PACKAGE / "tiles" / "example.py"
    source = "from ..app import window\nimport viewer.render.canvas\ndef f():\n    from .. import errors\n"
    assert _imported_viewer_modules(module, source) == {"app", "render", "errors"}
    assert _imported_viewer_modules(PACKAGE / "tiles" / "cache.py") == set()


@pytest.mark.parametrize("layer", sorted(GUI_FREE))
def test_lower_layers_load_no_gui_library(layer: str) -> None:
    """Importing every module of the layer loads neither Qt nor vispy (nor a higher layer)."""
    modules = [f"viewer.{layer}." + p.relative_to(PACKAGE / layer).with_suffix("").as_posix().replace("/", ".")
               for p in sorted((PACKAGE / layer).rglob("*.py")) if p.name != "__init__.py"]
    higher = LAYERS[LAYERS.index(layer) + 1:]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'vispy', 'OpenGL')\n"
        f"       or any(m.startswith('viewer.' + h) for h in {higher!r})]\n"
        "print(','.join(sorted(bad)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=PACKAGE.parent)
    assert result.stdout.strip() == ""
