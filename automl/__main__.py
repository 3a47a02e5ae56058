"""``python -m automl``: the command line of :mod:`automl` (see :mod:`automl._cli`)."""

import sys

from automl._cli import main

if __name__ == "__main__":
    sys.exit(main())
