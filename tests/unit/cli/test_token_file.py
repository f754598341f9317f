"""``--token-file``: the client commands read the bearer token from a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli.commands.client import client_flags, settings_from
from monitor.cli.exit_codes import CommandError


def _settings(argv: list[str]):  # type: ignore[no-untyped-def]
    return settings_from(client_flags().parse_args(argv))


def test_token_file_wins_over_the_flag(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("from-file-0123456789\n")
    settings = _settings(["--token", "from-flag", "--token-file", str(path)])
    assert settings.token == "from-file-0123456789"
    assert settings.metadata() == (("authorization", "Bearer from-file-0123456789"),)


def test_token_file_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "token"
    path.write_text("env-file-0123456789")
    monkeypatch.setenv("LLM_MONITOR_TOKEN_FILE", str(path))
    assert _settings([]).token == "env-file-0123456789"


@pytest.mark.parametrize("content", ["", "two words\n"])
def test_bad_token_file_is_a_usage_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "token"
    path.write_text(content)
    with pytest.raises(CommandError, match="--token-file"):
        _settings(["--token-file", str(path)])
    with pytest.raises(CommandError, match="cannot read"):
        _settings(["--token-file", str(tmp_path / "missing")])
