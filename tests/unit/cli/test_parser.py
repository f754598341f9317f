"""The ``llm-monitor`` parser: every command registers, every ``--help`` works, fast."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[3]
COMMANDS = {
    "up",
    "serve",
    "model",
    "query",
    "trace",
    "watch",
    "reload",
    "rules",
    "hub",
    "train",
    "eval",
    "encoder",
    "bench",
}


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def command_paths(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    """Every command and sub-command, as the words that select it."""
    for name, sub in _subparsers(parser).items():
        yield (*prefix, name)
        yield from command_paths(sub, (*prefix, name))


def test_every_command_is_registered() -> None:
    assert set(_subparsers(build_parser())) == COMMANDS
    paths = set(command_paths(build_parser()))
    for nested in [("model", "prepare"), ("encoder", "export"), ("bench", "overhead")]:
        assert nested in paths


@pytest.mark.parametrize("path", sorted(command_paths(build_parser())), ids=" ".join)
def test_help_of_every_command(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([*path, "--help"])
    assert exit_info.value.code == 0
    assert "usage: llm-monitor " + " ".join(path) in capsys.readouterr().out


def test_leaf_commands_say_their_exit_codes() -> None:
    parser = build_parser()
    for path in command_paths(parser):
        node = parser
        for word in path:
            node = _subparsers(node)[word]
        if _subparsers(node):
            continue
        assert node.epilog and node.epilog.startswith("exit status: 0 ok"), path


def test_a_command_is_required() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2


def test_top_level_help_is_light() -> None:
    """``llm-monitor --help`` imports neither torch, transformers nor the sidecar."""
    code = (
        "import sys\n"
        "from monitor.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('torch', 'transformers', 'sklearn', 'onnxruntime', 'monitor.sidecar.app')\n"
        "print(' '.join(m for m in heavy if m in sys.modules), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stderr.strip() == ""
    assert "usage: llm-monitor" in result.stdout


def test_python_dash_m_entry_points(tmp_path: Path) -> None:
    for module in ("monitor.cli", "monitor.model"):
        argv = ["model", "path"] if module == "monitor.cli" else ["path"]
        result = subprocess.run(
            [sys.executable, "-m", module, *argv, "--cache-dir", str(tmp_path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().startswith(str(tmp_path / "models"))
