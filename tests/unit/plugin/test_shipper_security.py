"""The plugin keeps its ingest token secret and dials with keepalive."""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from monitor.plugin import shipper as shipper_module
from monitor.plugin.settings import PluginSettings


def test_ingest_token_is_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_MONITOR_PLUGIN_INGEST_TOKEN", "plugin-token-0123456789")
    settings = PluginSettings()
    assert settings.ingest_token is not None
    assert settings.ingest_token.get_secret_value() == "plugin-token-0123456789"
    assert "plugin-token" not in repr(settings) and "plugin-token" not in str(settings)


def test_the_shipper_channel_has_keepalive(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    real_channel = grpc.insecure_channel

    def fake_channel(address: str, options: list[tuple[str, Any]]) -> grpc.Channel:
        seen.update(options)
        return real_channel(address)

    monkeypatch.setattr(shipper_module.grpc, "insecure_channel", fake_channel)
    shipper = shipper_module.Shipper.__new__(shipper_module.Shipper)
    shipper._address, shipper._max_message_bytes, shipper._tls = "127.0.0.1:1", 1024, None
    shipper._open_channel().close()
    assert seen["grpc.keepalive_time_ms"] == 30_000
    assert seen["grpc.keepalive_timeout_ms"] == 20_000
    assert seen["grpc.keepalive_permit_without_calls"] == 1
