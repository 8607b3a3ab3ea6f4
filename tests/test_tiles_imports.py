import subprocess
import sys


def test_tile_layer_imports_no_gui_and_no_other_viewer_package():
    code = (
        "import sys, viewer.tiles\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'vispy', 'zarr')\n"
        "       or (m.startswith('viewer.') and not m.startswith('viewer.tiles'))]\n"
        "print(','.join(sorted(bad)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
