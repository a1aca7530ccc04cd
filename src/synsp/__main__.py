"""``python -m synsp``: the ``synsp`` command (see :mod:`synsp.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
