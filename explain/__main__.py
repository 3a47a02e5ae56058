"""``python -m explain``: the ``explain`` command line (see :mod:`explain._cli`)."""

import sys

from explain._cli import main

if __name__ == "__main__":
    sys.exit(main())
