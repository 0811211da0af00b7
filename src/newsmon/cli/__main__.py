"""`python -m newsmon.cli`: the `newsmon` command without its console script."""

import sys

from newsmon.cli import main

sys.exit(main())
