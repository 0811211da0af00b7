"""`python -m devsite SITE_DIR [--port N]`: serve the sample site by hand."""

import sys

from devsite.server import main

sys.exit(main())
