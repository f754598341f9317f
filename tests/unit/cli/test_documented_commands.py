"""Every benchmark command the README and docs/performance.md give still parses."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from monitor.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[3]
DOCUMENTS = (ROOT / "README.md", ROOT / "docs" / "performance.md")

#: `llm-monitor bench ...` or `bench ...` in backticks, after optional VAR=value settings.
COMMAND = re.compile(r"`((?:[A-Z][A-Z0-9_]*=\S+ )*(?:llm-monitor )?bench [a-z]+[^`]*)`")


def runnable(command: str) -> bool:
    """False for a synopsis (``[--flag]``, ``FILE``) or a flag named without its value."""
    return "[" not in command and "FILE" not in command and not command.endswith("--json")


def documented_commands(path: Path) -> list[str]:
    """The runnable benchmark commands in ``path``, each joined onto one line."""
    flat = re.sub(r"[ \t]*\n[ \t]*", " ", path.read_text())
    return sorted({c for c in COMMAND.findall(flat) if runnable(c)})


def cli_arguments(command: str) -> list[str]:
    """The arguments ``llm-monitor`` gets: without settings and the program's name."""
    args = shlex.split(command)
    while args and re.fullmatch(r"[A-Z][A-Z0-9_]*=.*", args[0]):
        args = args[1:]
    return args[1:] if args[:1] == ["llm-monitor"] else args


def test_the_documents_name_benchmark_commands() -> None:
    assert len(documented_commands(DOCUMENTS[0])) >= 10
    assert len(documented_commands(DOCUMENTS[1])) >= 10


def test_a_synopsis_is_not_taken_for_a_command() -> None:
    assert not runnable("llm-monitor bench soak [--short] --json FILE")
    assert not runnable("llm-monitor bench soak --json")
    assert runnable("llm-monitor bench latency --rounds 8 --json out/x.json")


def test_settings_before_the_command_are_left_out() -> None:
    args = cli_arguments("LLM_MONITOR_X=1 llm-monitor bench latency --sidecar-cpus 0")
    assert args == ["bench", "latency", "--sidecar-cpus", "0"]


@pytest.mark.parametrize(
    "command",
    [c for path in DOCUMENTS for c in documented_commands(path)],
)
def test_documented_command_parses(command: str) -> None:
    with contextlib.redirect_stderr(io.StringIO()) as err:
        try:
            build_parser().parse_args(cli_arguments(command))
        except SystemExit:
            pytest.fail(f"{command!r} no longer parses: {err.getvalue().strip()}")


def test_a_removed_flag_is_caught() -> None:
    with contextlib.redirect_stderr(io.StringIO()), pytest.raises(SystemExit):
        build_parser().parse_args(cli_arguments("llm-monitor bench latency --no-such-flag"))
