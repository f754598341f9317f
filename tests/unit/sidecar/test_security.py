"""Bearer tokens, TLS and mutual TLS on a real gRPC server on loopback."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import grpc
import numpy as np
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import CollectorRegistry
from pydantic import SecretStr, ValidationError

from monitor.sidecar.app import Sidecar
from monitor.sidecar.config import ConfigError, SidecarConfig, load_config
from monitor.sidecar.metrics import SidecarMetrics
from monitor.sidecar.security import (
    AccessPolicy,
    AuthConfig,
    AuthInterceptor,
    TlsConfig,
    bearer_token,
    token_matches,
)
from monitor.sidecar.server import exposure_warnings, is_loopback
from monitor.v1 import ingest_pb2, ingest_pb2_grpc, query_pb2, query_pb2_grpc

from ..certs import Pki, make_pki
from .helpers import batch_message, hello, make_batch
from .query_rig import MODEL, ApiServer, MemoryTraceReader, api_server, make_trace

QUERY_TOKEN = "q-token-1234567890"
INGEST_TOKEN = "i-token-4567890123"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def _auth(tokens: list[str], ingest: str | None = None) -> AuthConfig:
    return AuthConfig(
        tokens=[SecretStr(t) for t in tokens],
        ingest_token=SecretStr(ingest) if ingest is not None else None,
    )


def _interceptors(auth: AuthConfig):  # type: ignore[no-untyped-def]
    return lambda metrics: [AuthInterceptor(AccessPolicy(auth), metrics, MODEL)]


def _bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


# ---- pure parts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metadata", "token"),
    [
        ((("authorization", "Bearer abc"),), "abc"),
        ((("Authorization", "bearer  abc "),), "abc"),
        ((("authorization", b"Bearer abc"),), "abc"),
        ((("authorization", "Basic abc"),), None),
        ((("authorization", "Bearer"),), None),
        ((("x-other", "Bearer abc"),), None),
        ((), None),
        (None, None),
    ],
)
def test_bearer_token(
    metadata: tuple[tuple[str, str | bytes], ...] | None, token: str | None
) -> None:
    assert bearer_token(metadata) == token


def test_token_matches() -> None:
    accepted = [b"one", b"two"]
    assert token_matches("two", accepted)
    assert not token_matches("three", accepted)
    assert not token_matches("tw", accepted)
    assert not token_matches(None, accepted)


def test_policy_per_service() -> None:
    policy = AccessPolicy(_auth([QUERY_TOKEN], INGEST_TOKEN))
    query = _bearer(QUERY_TOKEN)
    ingest = _bearer(INGEST_TOKEN)
    assert policy.allows("monitor.v1.TraceQuery", query)
    assert policy.allows("monitor.v1.Admin", query)
    assert not policy.allows("monitor.v1.TraceQuery", ingest)
    assert policy.allows("monitor.v1.Monitor", ingest)
    assert not policy.allows("monitor.v1.Monitor", query)
    assert policy.allows("grpc.health.v1.Health", None)
    assert policy.allows("grpc.reflection.v1alpha.ServerReflection", None)
    assert not policy.allows("some.Unknown", None)
    open_ingest = AccessPolicy(_auth([QUERY_TOKEN]))
    assert open_ingest.allows("monitor.v1.Monitor", None)
    assert not AccessPolicy(AuthConfig()).enforcing


@pytest.mark.parametrize(
    ("tokens", "message"),
    [
        ([""], "tokens[0] is empty"),
        (["0123456789abcdef", "has space 0123456789"], "tokens[1] must be printable"),
        (["short"], "tokens[0] is shorter than 16 characters"),
    ],
)
def test_auth_config_rejects_bad_tokens(tokens: list[str], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        AuthConfig.model_validate({"tokens": tokens})


def test_tokens_are_secret() -> None:
    auth = _auth([QUERY_TOKEN], INGEST_TOKEN)
    assert QUERY_TOKEN not in repr(auth) and INGEST_TOKEN not in str(auth)


def test_tls_config_requires_existing_files(tmp_path: Path, pki: Pki) -> None:
    with pytest.raises(ValidationError, match="not a file"):
        TlsConfig(cert_file=tmp_path / "missing.pem", key_file=pki.server_key)
    with pytest.raises(ValidationError, match="not a file"):
        TlsConfig(
            cert_file=pki.server_cert, key_file=pki.server_key, client_ca_file=tmp_path / "nope"
        )
    assert TlsConfig(cert_file=pki.server_cert, key_file=pki.server_key).client_ca_file is None


def test_config_file_with_tls_and_auth(tmp_path: Path, pki: Pki) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text(
        f"tls:\n  cert_file: {pki.server_cert}\n  key_file: {pki.server_key}\n"
        f"auth:\n  tokens: [{QUERY_TOKEN}]\n  ingest_token: {INGEST_TOKEN}\n"
    )
    config = load_config(path)
    assert config.tls is not None and config.tls.cert_file == pki.server_cert
    assert [t.get_secret_value() for t in config.auth.tokens] == [QUERY_TOKEN]
    path.write_text("tls:\n  cert_file: /nonexistent.pem\n  key_file: /nonexistent.key\n")
    with pytest.raises(ConfigError, match=r"tls\.cert_file"):
        load_config(path)


def test_loopback_and_exposure_warnings() -> None:
    for address in ("127.0.0.1:1", "localhost:1", "[::1]:1", "unix:/tmp/x.sock"):
        assert is_loopback(address), address
    for address in ("0.0.0.0:1", "10.1.2.3:1", "[::]:1", "monitor.example:1"):
        assert not is_loopback(address), address
    assert exposure_warnings("127.0.0.1:50051", AuthConfig(), None) == []
    warnings = exposure_warnings("0.0.0.0:50051", AuthConfig(), None)
    assert any("no auth.tokens" in w for w in warnings)
    assert any("no auth.ingest_token" in w for w in warnings)
    clear = exposure_warnings("0.0.0.0:50051", _auth([QUERY_TOKEN], INGEST_TOKEN), None)
    assert clear == [
        "gRPC listens on 0.0.0.0:50051 (not loopback) without tls: bearer tokens travel in "
        "clear text"
    ]


# ---- tokens over real gRPC ----------------------------------------------------------


@pytest.fixture
def guarded() -> Iterator[ApiServer]:
    reader = MemoryTraceReader([make_trace("r1", 1_800_000_000.0)])
    auth = _auth([QUERY_TOKEN, "second-token-0123456"], INGEST_TOKEN)
    with api_server(reader, interceptors=_interceptors(auth), reload=lambda: (1, "x")) as api:
        yield api


def _code(call) -> grpc.StatusCode | None:  # type: ignore[no-untyped-def]
    try:
        call()
    except grpc.RpcError as err:
        return err.code()
    return None


def test_query_api_needs_a_token(guarded: ApiServer) -> None:
    with grpc.insecure_channel(guarded.target) as channel:
        stub = query_pb2_grpc.TraceQueryStub(channel)
        admin = query_pb2_grpc.AdminStub(channel)
        request = query_pb2.QueryTracesRequest()
        with pytest.raises(grpc.RpcError) as info:
            stub.QueryTraces(request, timeout=5)
        assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert "bearer token missing" in info.value.details()
        with pytest.raises(grpc.RpcError) as info:
            stub.QueryTraces(request, timeout=5, metadata=_bearer("wrong"))
        assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert "not accepted" in info.value.details()
        assert _code(lambda: stub.QueryTraces(request, timeout=5, metadata=_bearer(INGEST_TOKEN)))
        for token in (QUERY_TOKEN, "second-token-0123456"):
            response = stub.QueryTraces(request, timeout=5, metadata=_bearer(token))
            assert [t.request_id for t in response.traces] == ["r1"]
        get = query_pb2.GetTraceRequest(request_id="r1")
        assert _code(lambda: stub.GetTrace(get, timeout=5)) == grpc.StatusCode.UNAUTHENTICATED
        watch = stub.WatchAlerts(query_pb2.WatchAlertsRequest())
        assert _code(lambda: next(iter(watch))) == grpc.StatusCode.UNAUTHENTICATED
        reload = query_pb2.ReloadRulesRequest()
        assert _code(lambda: admin.ReloadRules(reload, timeout=5)) == (
            grpc.StatusCode.UNAUTHENTICATED
        )
        assert admin.ReloadRules(reload, timeout=5, metadata=_bearer(QUERY_TOKEN)).rules == 1
    refused = guarded.metric("llm_monitor_auth_failures_total", service="monitor.v1.TraceQuery")
    assert refused == 5
    assert guarded.metric("llm_monitor_auth_failures_total", service="monitor.v1.Admin") == 1


def _list_services(target: str) -> set[str]:
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    with grpc.insecure_channel(target) as channel:
        reflect = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        (answer,) = list(reflect.ServerReflectionInfo(iter([request]), timeout=5))
        return {s.name for s in answer.list_services_response.service}


def test_health_stays_open_and_reflection_is_off(guarded: ApiServer) -> None:
    with grpc.insecure_channel(guarded.target) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", "monitor.v1.TraceQuery", "monitor.v1.Admin"):
            answer = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
    with pytest.raises(grpc.RpcError) as info:
        _list_services(guarded.target)
    assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_reflection_when_configured(registry: CollectorRegistry) -> None:
    config = SidecarConfig(
        grpc_address="127.0.0.1:0", metrics_address="127.0.0.1:0", reflection=True
    )
    with Sidecar(config, registry=registry) as app:
        names = _list_services(app.grpc_target)
    assert {"monitor.v1.TraceQuery", "monitor.v1.Admin", "monitor.v1.Monitor"} <= names


def test_ingest_needs_the_ingest_token(guarded: ApiServer, rng: np.random.Generator) -> None:
    def messages() -> list[ingest_pb2.IngestMessage]:
        return [hello(), batch_message(make_batch(rng.normal(size=(2, 4)).astype(np.float32)))]

    with grpc.insecure_channel(guarded.target) as channel:
        stub = ingest_pb2_grpc.MonitorStub(channel)
        for metadata in (None, _bearer(QUERY_TOKEN)):
            with pytest.raises(grpc.RpcError) as info:
                stub.Ingest(iter(messages()), timeout=5, metadata=metadata)
            assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
        summary = stub.Ingest(iter(messages()), timeout=5, metadata=_bearer(INGEST_TOKEN))
    assert summary.rows_accepted == 2
    assert guarded.metric("llm_monitor_auth_failures_total", service="monitor.v1.Monitor") == 2


# ---- TLS ----------------------------------------------------------------------------


def _tls_server(pki: Pki, *, mutual: bool):  # type: ignore[no-untyped-def]
    tls = TlsConfig(
        cert_file=pki.server_cert,
        key_file=pki.server_key,
        client_ca_file=pki.ca if mutual else None,
    )
    reader = MemoryTraceReader([make_trace("r1", 1_800_000_000.0)])
    return api_server(reader, credentials=tls.server_credentials(), address="localhost:0")


def _query(channel: grpc.Channel) -> int:
    stub = query_pb2_grpc.TraceQueryStub(channel)
    return len(stub.QueryTraces(query_pb2.QueryTracesRequest(), timeout=5).traces)


def test_tls(pki: Pki) -> None:
    with _tls_server(pki, mutual=False) as api:
        target = f"localhost:{api.server.port}"
        trusted = grpc.ssl_channel_credentials(root_certificates=pki.ca.read_bytes())
        with grpc.secure_channel(target, trusted) as channel:
            assert _query(channel) == 1
        with grpc.insecure_channel(target) as channel:
            assert _code(lambda: _query(channel)) == grpc.StatusCode.UNAVAILABLE
        untrusted = grpc.ssl_channel_credentials(root_certificates=pki.other_ca.read_bytes())
        with grpc.secure_channel(target, untrusted) as channel:
            assert _code(lambda: _query(channel)) == grpc.StatusCode.UNAVAILABLE


def test_mutual_tls_refuses_a_client_without_a_certificate(pki: Pki) -> None:
    with _tls_server(pki, mutual=True) as api:
        target = f"localhost:{api.server.port}"
        anonymous = grpc.ssl_channel_credentials(root_certificates=pki.ca.read_bytes())
        with grpc.secure_channel(target, anonymous) as channel:
            assert _code(lambda: _query(channel)) == grpc.StatusCode.UNAVAILABLE
        client = grpc.ssl_channel_credentials(
            root_certificates=pki.ca.read_bytes(),
            private_key=pki.client_key.read_bytes(),
            certificate_chain=pki.client_cert.read_bytes(),
        )
        with grpc.secure_channel(target, client) as channel:
            assert _query(channel) == 1


# ---- the Sidecar wires it all -------------------------------------------------------


def test_sidecar_with_tls_auth_and_trace_reader(
    pki: Pki, registry: CollectorRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    config = SidecarConfig(
        grpc_address="localhost:0",
        metrics_address="127.0.0.1:0",
        tls=TlsConfig(cert_file=pki.server_cert, key_file=pki.server_key),
        auth=_auth([QUERY_TOKEN]),
    )
    reader = MemoryTraceReader([make_trace("r1", 1_800_000_000.0)])
    app = Sidecar(config, registry=registry, trace_reader=reader)
    with caplog.at_level(logging.WARNING):
        app.start()
    try:
        assert not [r for r in caplog.records if "not loopback" in r.getMessage()]
        credentials = grpc.ssl_channel_credentials(root_certificates=pki.ca.read_bytes())
        with grpc.secure_channel(f"localhost:{app.grpc_port}", credentials) as channel:
            assert _code(lambda: _query(channel)) == grpc.StatusCode.UNAUTHENTICATED
            stub = query_pb2_grpc.TraceQueryStub(channel)
            trace = stub.GetTrace(
                query_pb2.GetTraceRequest(request_id="r1"),
                timeout=5,
                metadata=_bearer(QUERY_TOKEN),
            )
        assert trace.summary.request_id == "r1"
        assert isinstance(app.metrics, SidecarMetrics)
    finally:
        app.stop(grace=0.5)


def test_open_on_all_interfaces_is_refused_without_tokens() -> None:
    with pytest.raises(ValidationError, match=r"auth\.tokens and auth\.ingest_token are not set"):
        SidecarConfig(grpc_address="0.0.0.0:0")
    with pytest.raises(ValidationError, match=r"auth\.ingest_token is not set"):
        SidecarConfig(grpc_address="10.0.0.1:0", auth=_auth([QUERY_TOKEN]))
    guarded = SidecarConfig(grpc_address="0.0.0.0:0", auth=_auth([QUERY_TOKEN], INGEST_TOKEN))
    assert guarded.grpc_address == "0.0.0.0:0"
    assert SidecarConfig(grpc_address="unix:/tmp/x.sock").grpc_address.startswith("unix:")


def test_config_file_open_bind_names_the_fields(tmp_path: Path) -> None:
    path = tmp_path / "monitor.yaml"
    path.write_text('grpc_address: "0.0.0.0:50051"\n')
    with pytest.raises(ConfigError, match="allow_insecure"):
        load_config(path)
    path.write_text('grpc_address: "0.0.0.0:50051"\nallow_insecure: true\n')
    assert load_config(path).allow_insecure


def test_sidecar_open_on_all_interfaces_with_allow_insecure_warns(
    registry: CollectorRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    config = SidecarConfig(
        grpc_address="0.0.0.0:0", metrics_address="127.0.0.1:0", allow_insecure=True
    )
    app = Sidecar(config, registry=registry)
    with caplog.at_level(logging.WARNING, logger="monitor.sidecar.app"):
        app.start()
    try:
        messages = [r.getMessage() for r in caplog.records]
        assert any("no auth.tokens" in m for m in messages), messages
        with grpc.insecure_channel(app.grpc_target) as channel:
            code = _code(lambda: _query(channel))
        assert code == grpc.StatusCode.UNAVAILABLE  # no trace store configured
    finally:
        app.stop(grace=0.5)
