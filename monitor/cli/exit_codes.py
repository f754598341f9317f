"""The exit codes of every ``llm-monitor`` command: one table, one meaning per number.

The README's "Exit codes" section lists the same table; a unit test keeps them equal.
Commands either return one of these codes or raise :class:`CommandError`, which the
dispatcher prints on stderr and turns into its code.
"""

from __future__ import annotations

from enum import IntEnum, unique


@unique
class ExitCode(IntEnum):
    """Process exit codes shared by all commands."""

    OK = 0
    """The command did what it was asked."""
    FAILED = 1
    """It ran and failed: the sidecar or vLLM could not start or stopped, preparing the
    model or training failed, or the probe toolkit is not installed."""
    USAGE = 2
    """Bad arguments: an unknown flag, a value out of range, a missing input file."""
    UNAVAILABLE = 3
    """The sidecar cannot be reached, or the feature is not configured there."""
    UNAUTHENTICATED = 4
    """The sidecar refused the token or the client certificate."""
    NOT_FOUND = 5
    """The sidecar has no stored request with that id."""
    CONFIG = 6
    """Invalid configuration: monitor.yaml, its rules, or the trace store or tokenizer it
    names."""
    ARTIFACTS = 7
    """Probes or the concept encoder cannot be loaded: missing, malformed or inconsistent."""


SUMMARY: dict[ExitCode, str] = {
    ExitCode.OK: "ok",
    ExitCode.FAILED: "failed",
    ExitCode.USAGE: "bad arguments",
    ExitCode.UNAVAILABLE: "sidecar unavailable",
    ExitCode.UNAUTHENTICATED: "not authenticated",
    ExitCode.NOT_FOUND: "not found",
    ExitCode.CONFIG: "invalid configuration",
    ExitCode.ARTIFACTS: "bad probes or encoder",
}
"""A few words per code, for ``--help`` epilogs."""


def epilog(*codes: ExitCode) -> str:
    """The ``exit status: ...`` line of a command's ``--help`` for the codes it uses."""
    chosen = sorted(set(codes) | {ExitCode.OK, ExitCode.FAILED, ExitCode.USAGE})
    return "exit status: " + ", ".join(f"{int(c)} {SUMMARY[c]}" for c in chosen)


class CommandError(Exception):
    """A command failed in a way its user can fix; the message says what and how.

    The dispatcher prints ``llm-monitor: <message>`` on stderr and exits with ``code``.
    """

    def __init__(self, message: str, code: ExitCode = ExitCode.FAILED) -> None:
        super().__init__(message)
        self.code = code
