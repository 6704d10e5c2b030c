"""`python -m edge` runs the `tandem` CLI."""

import sys

from edge.cli import main

sys.exit(main())
