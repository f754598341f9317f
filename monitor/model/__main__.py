"""``python -m monitor.model prepare|path``: the same as ``llm-monitor model ...``.

It runs the command line by module name: the command line imports this package, never
the other way round.
"""

import runpy
import sys

sys.argv = [sys.argv[0], "model", *sys.argv[1:]]
runpy.run_module("monitor.cli", run_name="__main__", alter_sys=True)
