"""``llm-monitor query | trace | watch | reload`` against a real in-process gRPC server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import SecretStr

from monitor.cli import main
from monitor.cli.commands.query import parse_duration
from monitor.cli.exit_codes import ExitCode
from monitor.sidecar.config import ConfigError
from monitor.sidecar.security import AccessPolicy, AuthConfig, AuthInterceptor, TlsConfig
from monitor.v1 import query_pb2

from .certs import Pki, make_pki
from .sidecar.query_rig import MODEL, ApiServer, MemoryTraceReader, api_server, make_trace

NOW = datetime.now(timezone.utc).timestamp()
TOKEN = "cli-token-0123456789"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("LLM_MONITOR_"):
            monkeypatch.delenv(key)


@pytest.fixture
def reader() -> MemoryTraceReader:
    return MemoryTraceReader(
        [
            make_trace("old", NOW - 7200, concept="misuse", score=0.6, severity="info"),
            make_trace("new", NOW - 60, concept="deception", score=0.9, severity="critical"),
        ]
    )


def _reload() -> tuple[int, str]:
    return 2, "/etc/llm-monitor/monitor.yaml"


@pytest.fixture
def api(reader: MemoryTraceReader) -> Iterator[ApiServer]:
    with api_server(reader, reload=_reload) as server:
        yield server


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_query_table(api: ApiServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "query", "--address", api.target)
    assert code == ExitCode.OK, err
    lines = out.splitlines()
    assert lines[0].split()[:5] == ["FIRST", "SEEN", "REQUEST", "TENANT", "MODEL"]
    assert [line.split()[1] for line in lines[1:]] == ["new", "old"]
    assert "deception=0.900" in lines[1] and "critical" in lines[1]
    assert "deception-high" in lines[1]


def test_query_flags_become_filters(
    api: ApiServer, reader: MemoryTraceReader, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "query",
        "--address",
        api.target,
        "--since",
        "1h",
        "--concept",
        "deception",
        "--min-score",
        "0.5",
        "--model",
        MODEL,
        "--severity",
        "warning",
        "--limit",
        "7",
        "--json",
    )
    assert code == ExitCode.OK
    (got,) = json.loads(out)
    assert got["request_id"] == "new"
    assert got["max_scores"] == {"deception": pytest.approx(0.9)}
    query, page_size, cursor = reader.queries[-1]
    assert (query.concept, query.model_name, query.min_severity) == ("deception", MODEL, "warning")
    assert query.min_score == 0.5 and page_size == 7 and cursor == ""
    assert query.start is not None and query.end is None
    age = datetime.now(timezone.utc) - query.start
    assert timedelta(minutes=59) < age < timedelta(minutes=61)


def test_query_pages_and_time_range(
    api: ApiServer, reader: MemoryTraceReader, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "query", "--address", api.target, "--limit", "1")
    assert code == ExitCode.OK
    assert "more: --page-token 1" in out
    code, out, err = run(
        capsys, "query", "--address", api.target, "--limit", "1", "--page-token", "1", "--json"
    )
    assert [t["request_id"] for t in json.loads(out)] == ["old"]
    assert "next page" not in err
    start = datetime.fromtimestamp(NOW - 3 * 3600, tz=timezone.utc)
    code, out, _ = run(
        capsys,
        "query",
        "--address",
        api.target,
        "--start",
        start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "--end",
        (start + timedelta(hours=2)).isoformat(),
        "--json",
    )
    assert [t["request_id"] for t in json.loads(out)] == ["old"]
    query = reader.queries[-1][0]
    assert query.start == start.replace(microsecond=0)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--since", "yesterday"], "--since: expected a duration"),
        (["--since", "1h", "--start", "2026-01-01T00:00:00"], "exclude each other"),
        (["--start", "2026-13-01"], "--start: expected an ISO 8601 time"),
        (["--start", "2026-01-02T00:00:00", "--end", "2026-01-01T00:00:00"], "after its end"),
        (["--min-score", "3"], "--min-score must be in [0, 1]"),
        (["--limit", "0"], "--limit must be at least 1"),
        (["--tls-cert", "/nonexistent.pem"], "--tls-cert and --tls-key go together"),
    ],
)
def test_query_bad_flags(
    api: ApiServer, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, "query", "--address", api.target, *argv)
    assert code == ExitCode.USAGE
    assert message in err
    assert out == ""


def test_trace_table_and_json(api: ApiServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "trace", "new", "--address", api.target)
    assert code == ExitCode.OK, err
    assert out.startswith("request new  vllm id new  tenant -\nmodel tiny-llama  severity critical")
    assert "alert deception-high (deception, critical): score 0.900 >= 0.500 at position 2" in out
    table = out.split("\n\n", 1)[1].splitlines()
    assert table[0].split() == ["POS", "SEGMENT", "TOKEN", "DECEPTION", "MISUSE", "TOP", "CONCEPTS"]
    assert table[2].split()[:2] == ["1", "user"]
    assert table[3].split() == ["2", "reply", '"tok2"', "0.900", "0.100", "secrecy#7=1.50"]
    code, out, _ = run(capsys, "trace", "new", "--address", api.target, "--json")
    trace = json.loads(out)
    assert trace["summary"]["request_id"] == "new"
    assert [t["position"] for t in trace["tokens"]] == [0, 1, 2]
    assert trace["tokens"][0]["concepts"][0]["label"] == "secrecy"


def test_trace_not_found(api: ApiServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "trace", "missing", "--address", api.target)
    assert code == ExitCode.NOT_FOUND
    assert "no stored trace for request 'missing'" in err
    assert "Traceback" not in err and out == ""


def test_reload(api: ApiServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "reload", "--address", api.target)
    assert code == ExitCode.OK
    assert out.strip() == "reloaded 2 rule(s) from /etc/llm-monitor/monitor.yaml"


def test_reload_invalid_file(capsys: pytest.CaptureFixture[str]) -> None:
    def bad() -> tuple[int, str]:
        raise ConfigError("monitor.yaml: rules.0.severity: unknown")

    with api_server(None, reload=bad) as api:
        code, _, err = run(capsys, "reload", "--address", api.target)
    assert code == ExitCode.USAGE
    assert "INVALID_ARGUMENT: monitor.yaml: rules.0.severity: unknown" in err


def test_unavailable_sidecar(capsys: pytest.CaptureFixture[str]) -> None:
    with api_server(None) as api:
        target = api.target
        code, _, err = run(capsys, "query", "--address", target)
        assert code == ExitCode.UNAVAILABLE
        assert "no trace store configured" in err
    code, _, err = run(capsys, "query", "--address", target, "--timeout", "2")
    assert code == ExitCode.UNAVAILABLE
    assert f"sidecar at {target} is unavailable" in err
    assert "Traceback" not in err
    code, _, err = run(capsys, "watch", "--address", target, "--timeout", "0.5")
    assert code == ExitCode.UNAVAILABLE
    assert "no connection within 0.5 s" in err


def test_token_from_flag_or_environment(
    reader: MemoryTraceReader, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = AuthConfig(tokens=[SecretStr(TOKEN)])

    def interceptors(metrics):  # type: ignore[no-untyped-def]
        return [AuthInterceptor(AccessPolicy(auth), metrics, MODEL)]

    with api_server(reader, interceptors=interceptors) as api:
        code, _, err = run(capsys, "query", "--address", api.target)
        assert code == ExitCode.UNAUTHENTICATED
        assert "not authenticated" in err and "--token" in err
        code, _, err = run(capsys, "query", "--address", api.target, "--token", "nope")
        assert code == ExitCode.UNAUTHENTICATED
        code, _, _ = run(capsys, "query", "--address", api.target, "--token", TOKEN)
        assert code == ExitCode.OK
        monkeypatch.setenv("LLM_MONITOR_TOKEN", TOKEN)
        monkeypatch.setenv("LLM_MONITOR_ADDRESS", api.target)
        code, out, _ = run(capsys, "query", "--json")
        assert code == ExitCode.OK
        assert len(json.loads(out)) == 2


def test_tls_and_mutual_tls(
    tmp_path: Path, reader: MemoryTraceReader, capsys: pytest.CaptureFixture[str]
) -> None:
    pki: Pki = make_pki(tmp_path / "pki")
    tls = TlsConfig(cert_file=pki.server_cert, key_file=pki.server_key, client_ca_file=pki.ca)
    with api_server(reader, credentials=tls.server_credentials(), address="localhost:0") as api:
        address = f"localhost:{api.server.port}"
        code, _, err = run(capsys, "query", "--address", address, "--tls-ca", str(pki.ca))
        assert code == ExitCode.UNAVAILABLE  # no client certificate
        code, out, err = run(
            capsys,
            "query",
            "--address",
            address,
            "--tls-ca",
            str(pki.ca),
            "--tls-cert",
            str(pki.client_cert),
            "--tls-key",
            str(pki.client_key),
            "--json",
        )
        assert code == ExitCode.OK, err
        assert len(json.loads(out)) == 2
        code, _, err = run(
            capsys, "query", "--address", address, "--tls-ca", str(tmp_path / "nope.pem")
        )
        assert code == ExitCode.USAGE
        assert "--tls-ca: cannot read" in err


def _alert(n: int, concept: str = "deception") -> query_pb2.Alert:
    return query_pb2.Alert(
        alert_id=f"a{n}",
        request_id=f"r{n}-0123abcd",
        external_request_id=f"r{n}",
        tenant="team-b",
        model_name=MODEL,
        concept=concept,
        rule=f"{concept}-high",
        severity="critical",
        score=0.91,
        threshold=0.5,
        position=4,
        top_concepts=[query_pb2.ConceptActivation(id=3, value=2.0, label="lying")],
    )


def _wait(predicate, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_watch_prints_alerts_until_the_stream_ends(
    api: ApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    result: list[int] = []
    argv = ["watch", "--address", api.target, "--concept", "deception", "--json"]
    thread = threading.Thread(target=lambda: result.append(main(argv)))
    thread.start()
    assert _wait(lambda: api.hub.subscriber_count == 1)
    api.hub.publish(_alert(1))
    api.hub.publish(_alert(2, concept="misuse"))
    api.hub.publish(_alert(3))
    api.hub.close()
    thread.join(10)
    out, err = capsys.readouterr()
    assert result == [ExitCode.OK]
    assert [json.loads(line)["alert_id"] for line in out.splitlines()] == ["a1", "a3"]
    assert "ended the alert stream" in err


def test_watch_line_format_and_ctrl_c(api: ApiServer) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LLM_MONITOR_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "watch", "--address", api.target],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    line, code = "", None
    try:
        subscribed = _wait(lambda: api.hub.subscriber_count == 1, timeout=30)
        if subscribed:
            api.hub.publish(_alert(7))
            assert process.stdout is not None
            line = process.stdout.readline()
            process.send_signal(signal.SIGINT)
            code = process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    assert process.stderr is not None
    assert subscribed, f"watch never subscribed; stderr {process.stderr.read()!r}"
    assert code == ExitCode.OK, f"line {line!r}, stderr {process.stderr.read()!r}"
    assert (
        "CRITICAL" in line and "rule=deception-high" in line and "request=r7 tenant=team-b" in line
    )
    assert "score=0.910/0.500" in line and "lying#3=2.00" in line
    assert "Traceback" not in process.stderr.read()


API_ID = "chatcmpl-5f0c2e"  # what the API response said; vLLM appended -0a1b2c3d inside
HEADER_ID = "client-chosen-7"  # an X-Request-Id header: vLLM made chatcmpl-client-chosen-7


@pytest.fixture
def id_api() -> Iterator[ApiServer]:
    reader = MemoryTraceReader(
        [
            make_trace(f"{API_ID}-0a1b2c3d", NOW - 120, tenant="team-a"),
            make_trace(f"chatcmpl-{HEADER_ID}-9e8d7c6b", NOW - 60),
        ]
    )
    with api_server(reader) as server:
        yield server


@pytest.mark.parametrize(
    ("given", "internal"),
    [
        (API_ID, f"{API_ID}-0a1b2c3d"),
        (f"{API_ID}-0a1b2c3d", f"{API_ID}-0a1b2c3d"),
        (HEADER_ID, f"chatcmpl-{HEADER_ID}-9e8d7c6b"),
    ],
)
def test_trace_by_any_id_shows_the_api_id_and_tenant(
    id_api: ApiServer, capsys: pytest.CaptureFixture[str], given: str, internal: str
) -> None:
    code, out, err = run(capsys, "trace", given, "--address", id_api.target)
    assert code == ExitCode.OK, err
    external = internal.rsplit("-", 1)[0]
    tenant = "team-a" if internal.startswith(API_ID) else "-"
    assert out.splitlines()[0] == f"request {external}  vllm id {internal}  tenant {tenant}"


def test_query_by_request_id_and_tenant(
    id_api: ApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "query", "--address", id_api.target)
    assert code == ExitCode.OK, err
    rows = [line.split() for line in out.splitlines()[1:]]
    assert [row[1:3] for row in rows] == [[f"chatcmpl-{HEADER_ID}", "-"], [API_ID, "team-a"]]
    code, out, _ = run(capsys, "query", "--address", id_api.target, "--tenant", "team-a", "--json")
    assert [(t["external_request_id"], t["tenant"]) for t in json.loads(out)] == [
        (API_ID, "team-a")
    ]
    code, out, _ = run(
        capsys, "query", "--address", id_api.target, "--request-id", HEADER_ID, "--json"
    )
    assert [t["request_id"] for t in json.loads(out)] == [f"chatcmpl-{HEADER_ID}-9e8d7c6b"]


def test_source_narrows_query_and_trace(capsys: pytest.CaptureFixture[str]) -> None:
    reader = MemoryTraceReader(
        [
            make_trace("same-id", NOW - 120, source="pod-a", tokens=2),
            make_trace("same-id", NOW - 60, source="pod-b", tokens=5),
        ]
    )
    with api_server(reader) as api:
        code, out, err = run(capsys, "query", "--address", api.target, "--json")
        assert code == ExitCode.OK, err
        assert [t["source"] for t in json.loads(out)] == ["pod-b", "pod-a"]
        code, out, _ = run(capsys, "query", "--address", api.target, "--source", "pod-a", "--json")
        assert [t["source"] for t in json.loads(out)] == ["pod-a"]
        code, out, err = run(
            capsys, "trace", "same-id", "--address", api.target, "--source", "pod-a", "--json"
        )
        assert code == ExitCode.OK, err
        trace = json.loads(out)
        assert (trace["summary"]["source"], len(trace["tokens"])) == ("pod-a", 2)


def test_parse_duration() -> None:
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("1.5h") == timedelta(minutes=90)
    assert parse_duration("2w") == timedelta(days=14)
