from __future__ import annotations

import logging
import sys
import types
from typing import Any

import pytest

from monitor.plugin import entry, vllm_version, worker_patch
from monitor.plugin.settings import PluginSettings


@pytest.fixture
def reported_down(monkeypatch: pytest.MonkeyPatch) -> list[tuple[type, PluginSettings, str]]:
    """Records the worker classes patched only to report capture down."""
    calls: list[tuple[type, PluginSettings, str]] = []
    monkeypatch.setattr(
        worker_patch,
        "report_capture_down",
        lambda cls, settings, reason: calls.append((cls, settings, reason)),
    )
    return calls


@pytest.fixture
def patched(
    monkeypatch: pytest.MonkeyPatch, reported_down: list[Any]
) -> list[tuple[type, PluginSettings]]:
    """Fresh registration state, a fake vLLM worker module, and a recording patcher."""
    calls: list[tuple[type, PluginSettings]] = []
    monkeypatch.setattr(entry, "_registered", False)
    monkeypatch.setattr(vllm_version, "installed_vllm_version", lambda: "0.32.0")
    monkeypatch.setattr(
        worker_patch, "patch_worker_class", lambda cls, settings: calls.append((cls, settings))
    )
    fake = types.ModuleType("vllm.v1.worker.gpu_worker")
    fake.Worker = type("Worker", (), {})  # type: ignore[attr-defined]
    for name in ("vllm", "vllm.v1", "vllm.v1.worker"):
        monkeypatch.setitem(sys.modules, name, sys.modules.get(name) or types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "vllm.v1.worker.gpu_worker", fake)
    return calls


def test_does_nothing_when_not_enabled(patched: list[Any]) -> None:
    entry.register()
    assert patched == []


def test_does_nothing_when_explicitly_disabled(
    patched: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_MONITOR_PLUGIN_ENABLED", "0")
    entry.register()
    assert patched == []


def test_enabled_patches_the_worker_once(
    patched: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_MONITOR_PLUGIN_ENABLED", "1")
    monkeypatch.setenv("LLM_MONITOR_PLUGIN_LAYERS", "[3, 7]")
    monkeypatch.setenv("LLM_MONITOR_PLUGIN_SIDECAR_ADDRESS", "unix:/tmp/sidecar.sock")
    entry.register()
    entry.register()  # re-entrant
    ((cls, settings),) = patched
    assert cls is sys.modules["vllm.v1.worker.gpu_worker"].Worker
    assert settings.layers == [3, 7]
    assert settings.sidecar_address == "unix:/tmp/sidecar.sock"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LLM_MONITOR_PLUGIN_LAYERS", "oops"),
        ("LLM_MONITOR_PLUGIN_BUFFER_BATCHES", "0"),
        ("LLM_MONITOR_PLUGIN_ENABLED", "maybe"),
    ],
)
def test_bad_settings_are_logged_not_raised(
    patched: list[Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    name: str,
    value: str,
) -> None:
    monkeypatch.setenv("LLM_MONITOR_PLUGIN_ENABLED", "1")
    monkeypatch.setenv(name, value)
    with caplog.at_level(logging.ERROR, logger="vllm.llm_monitor"):
        entry.register()
    assert patched == []
    assert "plugin could not be enabled" in caplog.text


def test_a_failing_patch_is_logged_not_raised(
    patched: list[Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def fail(cls: type, settings: PluginSettings) -> None:
        raise RuntimeError("vLLM changed")

    monkeypatch.setattr(worker_patch, "patch_worker_class", fail)
    monkeypatch.setenv("LLM_MONITOR_PLUGIN_ENABLED", "true")
    with caplog.at_level(logging.ERROR, logger="vllm.llm_monitor"):
        entry.register()
    assert "vLLM changed" in caplog.text


def _plugin_records(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "vllm.llm_monitor" and r.levelno >= level]


def test_an_unsupported_vllm_logs_one_line_and_reports_capture_down(
    patched: list[Any],
    reported_down: list[Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(vllm_version, "installed_vllm_version", lambda: "0.40.1")
    monkeypatch.setenv("LLM_MONITOR_PLUGIN_ENABLED", "1")
    with caplog.at_level(logging.DEBUG, logger="vllm.llm_monitor"):
        entry.register()
        entry.register()
    assert patched == []  # no hooks, no wrapped step
    ((cls, settings, reason),) = reported_down
    assert cls is sys.modules["vllm.v1.worker.gpu_worker"].Worker
    assert settings.enabled
    assert "vLLM 0.40.1" in reason and vllm_version.SUPPORTED_VLLM in reason
    (line,) = _plugin_records(caplog, logging.INFO)
    assert line.levelno == logging.WARNING
    message = line.getMessage()
    assert "vLLM 0.40.1 is outside the supported range >=0.32,<0.33" in message
    assert "LLM_MONITOR_PLUGIN_ALLOW_UNSUPPORTED_VLLM=1" in message


def test_an_unsupported_vllm_without_a_worker_class_still_logs_one_line(
    patched: list[Any],
    reported_down: list[Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(vllm_version, "installed_vllm_version", lambda: "0.99.0")
    monkeypatch.setitem(sys.modules, "vllm.v1.worker.gpu_worker", None)  # moved away
    monkeypatch.setenv("LLM_MONITOR_PLUGIN_ENABLED", "1")
    with caplog.at_level(logging.INFO, logger="vllm.llm_monitor"):
        entry.register()
    (line,) = _plugin_records(caplog, logging.INFO)
    assert "vLLM 0.99.0" in line.getMessage()
    assert patched == [] and reported_down == []


def test_the_override_tries_an_unsupported_vllm_anyway(
    patched: list[Any],
    reported_down: list[Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(vllm_version, "installed_vllm_version", lambda: "0.40.1")
    monkeypatch.setenv("LLM_MONITOR_PLUGIN_ENABLED", "1")
    monkeypatch.setenv("LLM_MONITOR_PLUGIN_ALLOW_UNSUPPORTED_VLLM", "1")
    with caplog.at_level(logging.INFO, logger="vllm.llm_monitor"):
        entry.register()
    ((_, settings),) = patched
    assert settings.allow_unsupported_vllm
    assert reported_down == []
    (warning,) = _plugin_records(caplog, logging.WARNING)
    assert "vLLM 0.40.1" in warning.getMessage() and "trying anyway" in warning.getMessage()


def test_a_supported_vllm_logs_no_warning(
    patched: list[Any],
    reported_down: list[Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("LLM_MONITOR_PLUGIN_ENABLED", "1")
    with caplog.at_level(logging.INFO, logger="vllm.llm_monitor"):
        entry.register()
    assert len(patched) == 1 and reported_down == []
    assert _plugin_records(caplog, logging.WARNING) == []


def test_settings_defaults_and_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = PluginSettings()
    assert not defaults.enabled
    assert defaults.layers is None
    assert defaults.sidecar_address == "127.0.0.1:50051"
    assert defaults.buffer_batches > 0 and defaults.max_message_bytes > 0
    assert not defaults.allow_unsupported_vllm
    monkeypatch.setenv("LLM_MONITOR_PLUGIN_RECONNECT_MAX_S", "1.5")
    assert PluginSettings().reconnect_max_s == 1.5
    with pytest.raises(ValueError):
        PluginSettings(max_message_bytes=0)
