"""The toolkit's commands come from ``probes.cli`` through one guarded import."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.cli.exit_codes import ExitCode
from monitor.cli.main import TOOLKIT_COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[3]
IMPORTS_PROBES = re.compile(r"^\s*(from probes[\s.]|import probes\b)", re.MULTILINE)


def test_the_toolkit_registers_its_commands() -> None:
    from probes import cli

    args = build_parser().parse_args(["encoder", "export"])
    assert args.func is cli.cmd_encoder_export


def test_without_the_toolkit_its_commands_say_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import probes

    monkeypatch.setitem(sys.modules, "probes.cli", None)  # import now raises ImportError
    monkeypatch.delattr(probes, "cli", raising=False)
    for name in TOOLKIT_COMMANDS:
        assert main([name, "--anything", "x"]) == ExitCode.FAILED
        assert "the probe toolkit is not installed" in capsys.readouterr().err


def test_only_the_cli_main_imports_the_toolkit() -> None:
    importers = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "monitor").rglob("*.py"))
        if IMPORTS_PROBES.search(path.read_text())
    ]
    assert importers == ["monitor/cli/main.py"]
    assert len(IMPORTS_PROBES.findall((ROOT / "monitor/cli/main.py").read_text())) == 1
