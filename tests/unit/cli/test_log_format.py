"""``LLM_MONITOR_LOG_FORMAT``: text by default, one JSON object per line with ``json``, and
a clear error (exit code 6) for anything else."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
import pytest

from monitor.cli.exit_codes import ExitCode
from monitor.cli.main import main
from monitor.logutil import JsonFormatter, LogFormatError, log_format, log_handler

KEYS = {"time", "level", "logger", "message"}


@pytest.fixture(autouse=True)
def _no_format_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LLM_MONITOR_LOG_FORMAT", raising=False)


def test_text_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert log_format() == "text"
    monkeypatch.setenv("LLM_MONITOR_LOG_FORMAT", " JSON ")
    assert log_format() == "json"
    monkeypatch.setenv("LLM_MONITOR_LOG_FORMAT", "text")
    assert log_format() == "text"


def test_a_bad_value_names_the_variable_and_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_MONITOR_LOG_FORMAT", "xml")
    with pytest.raises(LogFormatError) as caught:
        log_format()
    assert str(caught.value) == (
        "invalid LLM_MONITOR_LOG_FORMAT='xml': expected 'text' (the default) or 'json'"
    )


def test_a_bad_value_stops_any_command_with_the_config_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("LLM_MONITOR_LOG_FORMAT", "yaml")
    code = main(["serve", "--config", str(tmp_path / "monitor.yaml")])
    assert code == ExitCode.CONFIG == 6
    err = capsys.readouterr().err
    assert "invalid LLM_MONITOR_LOG_FORMAT='yaml'" in err
    assert "monitor.yaml" not in err  # stopped before the command ran


def _record(logger: logging.Logger) -> str:
    stream = io.StringIO()
    handler = log_handler("json", stream)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("write failed for %s\nsecond line", "r-1")
        logger.warning("plain ünïcode")
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_json_lines_carry_time_level_logger_message_and_exception() -> None:
    lines = _record(logging.getLogger("llm_monitor.test_json")).splitlines()
    assert len(lines) == 2  # a multi-line message and its traceback stay on one line
    first, second = (json.loads(line) for line in lines)
    assert set(first) == KEYS | {"exception"}
    assert first["level"] == "ERROR" and first["logger"] == "llm_monitor.test_json"
    assert first["message"] == "write failed for r-1\nsecond line"
    assert first["exception"].startswith("Traceback (most recent call last):")
    assert first["exception"].endswith("ValueError: boom")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["time"])
    assert (second["level"], second["message"]) == ("WARNING", "plain ünïcode")
    assert set(second) == KEYS
    assert "ünïcode" in lines[1]  # written as is, not escaped


def test_text_format_is_unchanged() -> None:
    stream = io.StringIO()
    handler = log_handler("text", stream)
    assert not isinstance(handler.formatter, JsonFormatter)
    record = logging.LogRecord("llm_monitor.x", logging.INFO, __file__, 1, "hi %d", (3,), None)
    line = handler.format(record)
    assert line.endswith(" INFO llm_monitor.x: hi 3")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_logs_json_from_start_to_stop(tmp_path: Path) -> None:
    """A real ``llm-monitor serve``: every line it writes to stderr is one JSON object."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    target = f"127.0.0.1:{_free_port()}"
    config = tmp_path / "monitor.yaml"
    config.write_text(f"grpc_address: {target}\nmetrics_address: 127.0.0.1:0\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLM_MONITOR_")}
    env["LLM_MONITOR_LOG_FORMAT"] = "json"
    err = tmp_path / "stderr.log"
    with err.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "serve", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=sink,
            env=env,
        )
        try:
            deadline = time.monotonic() + 60
            serving = False
            with grpc.insecure_channel(target) as channel:
                stub = health_pb2_grpc.HealthStub(channel)
                while not serving and time.monotonic() < deadline:
                    assert proc.poll() is None, err.read_text()[-2000:]
                    try:
                        reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                        serving = reply.status == health_pb2.HealthCheckResponse.SERVING
                    except grpc.RpcError:
                        time.sleep(0.1)
            assert serving, err.read_text()[-2000:]
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(30)
    assert code == 0, err.read_text()[-2000:]
    lines = err.read_text().splitlines()
    assert len(lines) >= 2, lines  # at least the start and the stop
    records = [json.loads(line) for line in lines]
    assert all(set(r) >= KEYS and set(r) <= KEYS | {"exception", "stack"} for r in records)
    assert {r["level"] for r in records} >= {"INFO"}
    assert all(r["logger"].startswith(("llm_monitor", "monitor")) for r in records), records
