"""The shipper dials a sidecar that requires mutual TLS and an ingest token."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from pydantic import SecretStr, ValidationError

from monitor.plugin.batch import CapturedBatch
from monitor.plugin.ring import DropCounters, RingBuffer
from monitor.plugin.settings import PluginSettings
from monitor.plugin.shipper import ChannelTls, Shipper
from monitor.sidecar.app import Sidecar
from monitor.sidecar.config import SidecarConfig
from monitor.sidecar.security import AuthConfig, TlsConfig
from monitor.v1 import ingest_pb2

from ..certs import Pki, make_pki
from .rigs import BatchRecorder, wait_for
from .test_shipper import make_batch

TOKEN = "ingest-secret-0123456789"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def secure_sidecar(pki: Pki) -> Iterator[tuple[Sidecar, BatchRecorder, CollectorRegistry]]:
    registry = CollectorRegistry()
    activations = BatchRecorder()
    config = SidecarConfig(
        grpc_address="localhost:0",
        metrics_address="127.0.0.1:0",
        tls=TlsConfig(cert_file=pki.server_cert, key_file=pki.server_key, client_ca_file=pki.ca),
        auth=AuthConfig(ingest_token=SecretStr(TOKEN)),
    )
    app = Sidecar(config, registry=registry, activation_sinks=[activations])
    app.start()
    try:
        yield app, activations, registry
    finally:
        app.stop(grace=0)


def _shipper(
    address: str, tls: ChannelTls | None, token: str | None
) -> tuple[Shipper, RingBuffer[CapturedBatch]]:
    drops = DropCounters()
    ring: RingBuffer[CapturedBatch] = RingBuffer(16, drops)

    def hello() -> ingest_pb2.Hello:
        return ingest_pb2.Hello(producer_id="tls-producer", model_name="tiny-llama", layers=[1])

    shipper = Shipper(
        ring,
        drops,
        address,
        producer_id="tls-producer",
        hello=hello,
        max_message_bytes=1 << 20,
        reconnect_initial_s=0.05,
        reconnect_max_s=0.2,
        token=token,
        tls=tls,
    )
    return shipper, ring


def test_shipper_with_client_certificate_and_token_delivers(
    pki: Pki, secure_sidecar: tuple[Sidecar, BatchRecorder, CollectorRegistry]
) -> None:
    app, activations, _ = secure_sidecar
    shipper, ring = _shipper(
        f"localhost:{app.grpc_port}",
        ChannelTls(ca=pki.ca, cert=pki.client_cert, key=pki.client_key),
        TOKEN,
    )
    shipper.start()
    try:
        assert shipper.connected.wait(10)
        batch = make_batch(0, ["a"], [3], [0])
        assert ring.put(batch, rows=batch.rows)
        assert wait_for(lambda: activations.rows() == 3)
    finally:
        shipper.stop(5)


def test_shipper_without_client_certificate_never_connects(
    pki: Pki, secure_sidecar: tuple[Sidecar, BatchRecorder, CollectorRegistry]
) -> None:
    app, activations, _ = secure_sidecar
    for tls in (ChannelTls(ca=pki.ca), None):
        shipper, _ = _shipper(f"localhost:{app.grpc_port}", tls, TOKEN)
        shipper.start()
        try:
            time.sleep(1.0)
            assert not shipper.connected.is_set()
        finally:
            shipper.stop(5)
    assert activations.rows() == 0


def test_shipper_without_token_is_refused(
    pki: Pki, secure_sidecar: tuple[Sidecar, BatchRecorder, CollectorRegistry]
) -> None:
    app, activations, registry = secure_sidecar
    shipper, _ = _shipper(
        f"localhost:{app.grpc_port}",
        ChannelTls(ca=pki.ca, cert=pki.client_cert, key=pki.client_key),
        None,
    )
    shipper.start()
    try:
        assert wait_for(
            lambda: (
                (
                    registry.get_sample_value(
                        "llm_monitor_auth_failures_total",
                        {"model_name": "", "service": "monitor.v1.Monitor"},
                    )
                    or 0
                )
                >= 1
            )
        )
    finally:
        shipper.stop(5)
    assert activations.rows() == 0


def test_settings_tls_from_environment(pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_MONITOR_PLUGIN_TLS_CA", str(pki.ca))
    monkeypatch.setenv("LLM_MONITOR_PLUGIN_TLS_CERT", str(pki.client_cert))
    monkeypatch.setenv("LLM_MONITOR_PLUGIN_TLS_KEY", str(pki.client_key))
    settings = PluginSettings()
    assert (settings.tls_ca, settings.tls_cert, settings.tls_key) == (
        pki.ca,
        pki.client_cert,
        pki.client_key,
    )


def test_settings_tls_validation(tmp_path: Path, pki: Pki) -> None:
    with pytest.raises(ValidationError, match="not a file"):
        PluginSettings(tls_ca=tmp_path / "missing.pem")
    with pytest.raises(ValidationError, match="tls_cert and tls_key go together"):
        PluginSettings(tls_ca=pki.ca, tls_cert=pki.client_cert)
