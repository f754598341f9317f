"""The ``llm-monitor`` command line: one module per command group, each with
``register(subparsers)``; :func:`main` is the console script."""

from monitor.cli.main import main

__all__ = ["main"]
