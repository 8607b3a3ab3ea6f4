"""`python -m viewer` runs the `ozx-viewer` command (also the PyInstaller entry script)."""

import sys

from viewer.cli import main

if __name__ == "__main__":
    sys.exit(main())
