"""The ``llm-monitor`` command: parser assembly, logging, dispatch.

Each command group registers itself (``register(subparsers)``); the offline toolkit's
commands (``train``, ``eval``, ``encoder``) come from ``probes.cli`` when the toolkit is
installed, and otherwise answer with how to install it. Every command's ``func`` takes
the parsed arguments and returns an :class:`~monitor.cli.exit_codes.ExitCode`, or raises
:class:`~monitor.cli.exit_codes.CommandError`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

from monitor import __version__
from monitor.cli.commands import bench, hub, model, query, rules, serve_up
from monitor.cli.exit_codes import CommandError, ExitCode, epilog
from monitor.logutil import LogFormat, LogFormatError, log_format, log_handler

TOOLKIT_COMMANDS = {
    "train": "fit probes from labelled JSONL through the serving path",
    "eval": "evaluate a probe on a labelled JSONL file",
    "encoder": "train and export the concept encoder",
}
"""The commands ``probes.cli`` registers, with their one-line help."""

REGISTRARS: tuple[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None], ...] = (
    serve_up.register,
    model.register,
    query.register,
    rules.register,
    hub.register,
)


log = logging.getLogger("llm_monitor")


def configure_logging(verbose: bool) -> LogFormat:
    """INFO (DEBUG with ``-v``) to stderr with time, level and logger name, as text or
    (``LLM_MONITOR_LOG_FORMAT=json``) one JSON object per line; the format chosen. A bad
    value is a ``CommandError`` with the CONFIG exit code."""
    try:
        fmt = log_format()
    except LogFormatError as exc:
        raise CommandError(str(exc), ExitCode.CONFIG) from None
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, handlers=[log_handler(fmt)]
    )
    return fmt


def _toolkit_missing(reason: str) -> Callable[[argparse.Namespace], int]:
    def handler(args: argparse.Namespace) -> int:
        raise CommandError(
            f"the probe toolkit is not installed ({reason}); install llm-monitor with its "
            "'train' extra from a source checkout",
            ExitCode.FAILED,
        )

    return handler


def register_toolkit_stubs(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], reason: str
) -> None:
    """``train``, ``eval`` and ``encoder`` that only say the toolkit is missing."""
    for name, text in TOOLKIT_COMMANDS.items():
        stub = sub.add_parser(
            name,
            help=f"{text} (needs the probe toolkit)",
            description=f"{text}. {reason}",
            epilog=epilog(),
        )
        stub.set_defaults(func=_toolkit_missing(reason), takes_any_arguments=True)


def register_toolkit(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The toolkit's commands, or stubs when ``probes`` is not importable (the image)."""
    try:
        from probes import cli as toolkit
    except ImportError as exc:
        register_toolkit_stubs(sub, str(exc))
    else:
        toolkit.register(sub)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="llm-monitor",
        description="Monitor an LLM served by vLLM with activation probes.",
        epilog="Exit codes are the same for every command; see the README.",
    )
    parser.add_argument("--version", action="version", version=f"llm-monitor {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register in REGISTRARS:
        register(sub)
    register_toolkit(sub)
    bench.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``llm-monitor`` console script; returns the exit code."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and not getattr(args, "takes_any_arguments", False):
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    fmt: LogFormat = "text"
    try:
        fmt = configure_logging(args.verbose)
        return int(args.func(args))
    except CommandError as exc:
        if fmt == "json":  # the log stream stays one JSON object per line
            log.error("%s", exc)
        else:
            print(f"llm-monitor: {exc}", file=sys.stderr)
        return int(exc.code)
