"""``python -m monitor.cli ...``: the same as ``llm-monitor ...``."""

import sys

from monitor.cli.main import main

sys.exit(main())
