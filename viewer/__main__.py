"""`python -m viewer` runs the `ozx-viewer` command."""

import sys

from .cli import main

sys.exit(main())
