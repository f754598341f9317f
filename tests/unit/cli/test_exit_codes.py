"""One exit-code table: unique numbers, the README's table equal to the enum, CommandError."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.cli.exit_codes import SUMMARY, CommandError, ExitCode, epilog

README = Path(__file__).resolve().parents[3] / "README.md"


def readme_table() -> dict[int, str]:
    """The rows of the README's "Exit codes" table: code -> meaning."""
    text = README.read_text()
    section = text.split("\n## Exit codes\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| (.+) \|$", section, flags=re.MULTILINE)
    return {int(code): meaning for code, meaning in rows}


def test_codes_are_unique_and_dense() -> None:
    values = [int(c) for c in ExitCode]
    assert len(values) == len(set(values))
    assert values == list(range(len(values)))


def test_readme_documents_every_code() -> None:
    table = readme_table()
    assert sorted(table) == [int(c) for c in ExitCode]
    for code in ExitCode:
        assert table[code].startswith(SUMMARY[code]), (code, table[code])


def test_epilog_always_lists_the_common_codes() -> None:
    assert epilog() == "exit status: 0 ok, 1 failed, 2 bad arguments"
    assert epilog(ExitCode.CONFIG).endswith("6 invalid configuration")


def test_command_error_becomes_its_exit_code(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["eval", "--concept", "c", "--data", str(tmp_path / "no.jsonl")]
    code = main([*argv, "--probe-dir", str(tmp_path)])
    assert code == ExitCode.ARTIFACTS
    assert "no probe at" in capsys.readouterr().err
    (tmp_path / "c.probe.json").write_text("{}")
    code = main([*argv, "--probe-dir", str(tmp_path)])
    assert code == ExitCode.USAGE
    assert "--data: no such file" in capsys.readouterr().err
    assert CommandError("x").code == ExitCode.FAILED
