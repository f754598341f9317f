"""``llm-monitor bench fleet``: its pure parts (figures, goals, synthetic data, generated
SQL, query cases), the pusher's delivery against a scripted TraceIngest server, the
configurations it writes, and the generated data read back through the real chDB
repository at a small scale."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import pytest
import yaml

from monitor.bench.fleet_data import CONCEPTS, RowPool, TraceStream, bench_labels, rows_of
from monitor.bench.fleet_generate import GenPlan, check_columns, request_id, statements
from monitor.bench.fleet_hub import hub_config
from monitor.bench.fleet_ingest import Pusher
from monitor.bench.fleet_query import QueryCheckFailed, cases, query_request, reader_cases
from monitor.bench.fleet_settings import FleetBenchSettings
from monitor.bench.fleet_sidecar import engine_libraries, sidecar_config
from monitor.bench.fleet_summary import (
    ingest_figures,
    latency_case,
    per_million,
    quantiles_ms,
    rate_bins,
    verdict,
)
from monitor.cli.commands.bench_fleet import settings_from
from monitor.cli.exit_codes import CommandError
from monitor.cli.main import build_parser
from monitor.sidecar.traces import wire
from monitor.sidecar.traces.reader import TraceFilter
from monitor.v1 import fleet_pb2, fleet_pb2_grpc, query_pb2

SMALL = FleetBenchSettings(trace_tokens=50, chunk_tokens=20, k=8, concepts=64, alerts_per_trace=2)


# -- figures and goals ---------------------------------------------------------------------


def test_quantiles_are_milliseconds_with_linear_interpolation() -> None:
    figures = quantiles_ms([0.010, 0.020, 0.030, 0.040, 0.100])
    assert figures == {"n": 5, "p50_ms": 30.0, "p95_ms": 88.0, "max_ms": 100.0}
    assert quantiles_ms([]) == {"n": 0, "p50_ms": None, "p95_ms": None, "max_ms": None}


def test_latency_case_checks_the_p95_against_its_goal() -> None:
    met = latency_case("none/first", [0.1] * 19 + [0.2], 250.0)
    assert met["case"] == "none/first"
    assert met["p95_goal"] == {"value": 105.0, "goal": "<= 250", "met": True}
    missed = latency_case("get_trace", [0.05, 0.3], 100.0, tokens=500)
    assert missed["tokens"] == 500 and missed["p95_goal"]["met"] is False
    assert latency_case("empty", [], 100.0)["p95_goal"]["met"] is None


def test_rate_bins_count_rows_per_window_with_a_partial_last_window() -> None:
    acks = [(0.5, 10), (3.0, 20), (10.9, 5), (11.0, 99)]  # the last is past the end
    assert rate_bins(acks, 0.0, 10.92, 2) == [5.0, 10.0, 0.0, 0.0, 0.0, round(5 / 0.92, 1)]
    assert rate_bins(acks, 0.0, 0.0, 2) == []


def test_per_million() -> None:
    assert per_million(3.0, 1_500_000) == 2.0
    assert per_million(3.0, 0) is None


def _pusher(**counts: Any) -> dict[str, Any]:
    base = {
        "rows_acked": 1000,
        "alerts_acked": 6,
        "traces_acked": 2,
        "rows_unacked": 0,
        "pushes_acked": 4,
        "refused": {},
        "cpu_s": 0.5,
    }
    return base | counts


def test_ingest_figures_count_drops_from_the_database_and_unacknowledged_pushes() -> None:
    pushers = [_pusher(refused={"RESOURCE_EXHAUSTED": 2}), _pusher(rows_unacked=500)]
    exact = ingest_figures(pushers, {"rows": 2000, "alerts": 12, "traces": 4}, 2.0, 1.5, 900.0)
    assert exact["rows_per_s"] == {"value": 1000.0, "goal": ">= 900", "met": True}
    assert exact["drops"] == {"value": 500, "goal": "<= 0", "met": False}
    assert exact["pushes_refused"] == {"RESOURCE_EXHAUSTED": 2}
    assert exact["hub_cpu_s_per_million_rows"] == 750.0
    lossy = ingest_figures(
        [_pusher(), _pusher()], {"rows": 1990, "alerts": 11, "traces": 4}, 2.0, 1.0, 900.0
    )
    assert lossy["missing"] == {"rows": 10, "alerts": 1, "traces": 0}
    assert lossy["drops"]["value"] == 11
    clean = ingest_figures([_pusher()], {"rows": 1000, "alerts": 6, "traces": 2}, 1.0, 1.0, 1.0)
    assert clean["drops"]["met"] is True and clean["extra_rows"] == 0


def test_verdict_lists_every_goal_not_met_by_path() -> None:
    result = {
        "ingest": {"rows_per_s": {"value": 1.0, "goal": ">= 2", "met": False}},
        "query": {
            "cases": [
                latency_case("a", [0.01], 250.0),
                latency_case("b", [0.9], 250.0),
            ]
        },
        "alerts": {"p95_goal": {"value": None, "goal": "<= 5000", "met": None}},
        "settings": {"goals": {"query_p95_ms": 250.0}},
    }
    assert verdict(result) == {
        "all_goals_met": False,
        "goals_not_met": ["ingest.rows_per_s", "query.cases[b].p95_goal", "alerts.p95_goal"],
    }
    assert verdict({"x": {"value": 1, "goal": "<= 1", "met": True}})["all_goals_met"] is True


# -- synthetic traces ----------------------------------------------------------------------


def test_row_pool_has_distinct_ranked_concepts_per_token() -> None:
    pool = RowPool.build(k=8, concepts=64, seed=1, rows=300)
    assert pool.concept_ids.shape == (300, 8) and pool.concept_values.shape == (300, 8)
    assert all(len(set(row)) == 8 for row in pool.concept_ids.tolist())
    assert pool.concept_ids.min() >= 0 and pool.concept_ids.max() < 64
    assert bool(np.all(np.diff(pool.concept_values, axis=1) <= 0))
    assert pool.scores.shape == (len(CONCEPTS), 300)
    assert float(pool.scores.min()) >= 0.0 and float(pool.scores.max()) <= 1.0


def _stream(settings: FleetBenchSettings = SMALL, window: int = 3) -> TraceStream:
    pool = RowPool.build(settings.k, settings.concepts, 0, rows=500)
    return TraceStream(settings, pool, "t", source="src", encoder="enc", window=window)


def test_trace_stream_makes_whole_traces_with_snapshots_and_alerts() -> None:
    stream = _stream()
    updates = stream.updates(2000)
    assert rows_of(updates) >= 2000
    by_trace: dict[str, list[Any]] = {}
    for update in updates:
        by_trace.setdefault(update.request_id, []).append(update)
    complete = [u for u in by_trace.values() if sum(rows_of([x]) for x in u) == 50]
    assert len(complete) >= 10
    for trace in complete:
        assert [u.snapshot.version for u in trace] == [1, 2, 3]
        assert trace[0].alerts, "the flagging update carries the first alert"
        assert sum(len(u.alerts) for u in trace) == 2
        positions = np.concatenate([c.positions for u in trace for c in u.tokens])
        assert positions.tolist() == list(range(50))
        assert trace[-1].snapshot.token_count == 50
        assert {u.source for u in trace} == {"src"} and {u.encoder for u in trace} == {"enc"}
    first = complete[0][0]
    assert first.snapshot.first_alert == first.alerts[0].fired_at
    assert len(first.alerts[0].top_concept_ids) == SMALL.k


def test_trace_stream_interleaves_its_window_of_traces() -> None:
    updates = _stream(window=3).updates(60)
    assert [u.request_id for u in updates[:3]] == [
        request_id_of(0),
        request_id_of(1),
        request_id_of(2),
    ]


def request_id_of(n: int) -> str:
    return f"cmpl-t-{n:010d}-0"


def test_pushes_of_the_stream_decode_back_on_the_hub_side() -> None:
    updates = _stream().updates(200)
    labels = bench_labels(SMALL.concepts)
    request = wire.push_request("src", 7, updates, encoder=labels.encoder, labels=labels)
    decoded = wire.updates_from_push(fleet_pb2.PushRequest.FromString(request.SerializeToString()))
    assert [u.request_id for u in decoded] == [u.request_id for u in updates]
    assert rows_of(decoded) == rows_of(updates)
    assert [u.snapshot for u in decoded] == [u.snapshot for u in updates]
    assert wire.labels_from_push(request) == labels


# -- generated SQL -------------------------------------------------------------------------


def test_gen_plan_has_the_traces_asked_and_at_least_the_rows() -> None:
    plan = GenPlan.make(10_000_000, 1_000_000, 500, 1, 32, 4096, 2, 1_000.0, 72.0)
    assert (plan.traces, plan.long, plan.short_tokens) == (1_000_000, 10_000, 6)
    assert plan.rows >= 10_000_000
    small = GenPlan.make(2_000, 100, 500, 2, 32, 4096, 2, 1_000.0, 72.0)
    assert small.long == 1 and small.rows >= 2_000
    assert plan.first_alert_us(0) == 1_000_000_000
    assert plan.first_alert_us(plan.traces) == 1_000_000_000 - plan.span_us


def _describe(extra: tuple[str, ...] = ()) -> Any:
    from monitor.bench import fleet_generate as g

    plan = GenPlan.make(2_000, 100, 50, 1, 8, 64, 2, 1_000.0, 72.0)
    tables = {
        "traces": g.snapshot_exprs(plan, "1"),
        "alerts": g.alert_exprs(plan),
        "trace_tokens": g.token_exprs(plan),
        "concept_labels": g.label_exprs(),
    }

    def describe(table: str) -> list[list[object]]:
        rows: list[list[object]] = [[name, ""] for name in (*tables[table], *extra)]
        return [*rows, ["inserted_at", "DEFAULT"]]

    return plan, describe


def test_statements_fill_every_table_in_bounded_inserts() -> None:
    plan, describe = _describe()
    sql = statements(plan, "db", describe)
    assert sum(s.startswith("INSERT INTO db.traces ") for s in sql) == 2
    assert sum(s.startswith("INSERT INTO db.alerts ") for s in sql) == 1
    labels = [s for s in sql if s.startswith("INSERT INTO db.concept_labels ")]
    assert len(labels) == 1 and f"numbers({plan.concepts})" in labels[0]
    tokens = [s for s in sql if s.startswith("INSERT INTO db.trace_tokens ")]
    assert len(tokens) == 2  # long and short traces, each under INSERT_ROWS
    assert all("inserted_at" not in s.split("SELECT")[0] for s in sql)


def test_a_column_the_generator_cannot_fill_is_named() -> None:
    plan, describe = _describe(extra=("new_column",))
    with pytest.raises(ValueError, match="new_column"):
        statements(plan, "db", describe)
    with pytest.raises(ValueError, match="gone"):
        check_columns("t", {"gone": "1"}, [["kept", ""]])


# -- query cases ---------------------------------------------------------------------------


class FakeReader:
    """Full pages for every query; records the calls."""

    def __init__(self, page: int) -> None:
        self.page = page
        self.calls: list[tuple[TraceFilter, str]] = []

    def query_traces(
        self, query: TraceFilter, page_size: int, cursor: str
    ) -> tuple[list[query_pb2.TraceSummary], str]:
        self.calls.append((query, cursor))
        return [query_pb2.TraceSummary()] * self.page, "next-cursor"

    def get_trace(self, *args: Any, **kwargs: Any) -> query_pb2.Trace | None:
        return None


def test_reader_cases_time_every_filter_and_page() -> None:
    plan = GenPlan.make(20_000, 1_000, 50, 1, 8, 64, 2, 1_000.0, 72.0)
    reader = FakeReader(page=5)
    out = reader_cases(reader, plan, "deep-cursor", 5, 2, 250.0)
    names = [c["case"] for c in out]
    assert len(names) == 3 * len(cases(plan)) and "source/deep" in names
    assert all(c["n"] == 2 and c["p95_goal"]["met"] for c in out)
    assert {cursor for _, cursor in reader.calls} == {"", "next-cursor", "deep-cursor"}
    with pytest.raises(QueryCheckFailed, match="none/first"):
        reader_cases(FakeReader(page=4), plan, "deep", 5, 1, 250.0)


def test_the_time_range_case_surrounds_the_deep_cursor() -> None:
    plan = GenPlan.make(20_000, 1_000, 50, 1, 8, 64, 2, 1_000_000.0, 72.0)
    (time_range,) = [c.query for c in cases(plan) if c.name == "time_range"]
    assert time_range.start is not None and time_range.end is not None
    middle_us = plan.first_alert_us(plan.traces // 2)
    assert time_range.start.timestamp() * 1e6 < middle_us < time_range.end.timestamp() * 1e6
    assert (time_range.end - time_range.start).total_seconds() == pytest.approx(3600.0)


def test_query_request_carries_every_filter() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    query = TraceFilter(
        start=start, concept="misuse", min_score=0.9, min_severity="warning", source="s"
    )
    request = query_request(query, 50, "cur")
    assert request.start_time.ToDatetime(tzinfo=UTC) == start
    assert not request.HasField("end_time")
    assert (request.concept, request.min_score, request.min_severity) == ("misuse", 0.9, "warning")
    assert (request.source, request.page_size, request.page_token) == ("s", 50, "cur")


# -- the pusher against a scripted hub -----------------------------------------------------


Script = list[grpc.StatusCode | None]
TINY = FleetBenchSettings(
    trace_tokens=40, chunk_tokens=20, k=4, concepts=16, push_rows=40, alerts_per_trace=1
)


class ScriptedIngest(fleet_pb2_grpc.TraceIngestServicer):
    """Answers the n-th push with the n-th code of its script (None: acknowledge; the
    third push is asked for labels); acknowledges once the script is done."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: list[fleet_pb2.PushRequest] = []

    def Push(self, request: fleet_pb2.PushRequest, context: Any) -> fleet_pb2.PushResponse:
        self.requests.append(request)
        n = len(self.requests)
        code = self.script[n - 1] if n <= len(self.script) else None
        if code is not None:
            context.abort(code, f"scripted {code.name}")
        return fleet_pb2.PushResponse(acked_seq=request.seq, need_labels=n == 3)


@contextmanager
def scripted(script: Script) -> Iterator[tuple[ScriptedIngest, Pusher]]:
    servicer = ScriptedIngest(script)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    fleet_pb2_grpc.add_TraceIngestServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    pusher = Pusher(TINY, 0, f"127.0.0.1:{port}")
    try:
        yield servicer, pusher
    finally:
        pusher.close()
        server.stop(0)


def test_the_pusher_retries_refused_pushes_and_sends_labels_when_asked() -> None:
    with scripted([grpc.StatusCode.RESOURCE_EXHAUSTED]) as (servicer, pusher):
        for _ in range(3):
            assert pusher.push_next(give_up_at=float("inf"))
    stats = pusher.stats
    assert stats.refused == {"RESOURCE_EXHAUSTED": 1}
    assert (stats.pushes_acked, stats.rows_unacked) == (3, 0)
    assert stats.rows_acked == sum(
        rows_of(wire.updates_from_push(r)) for r in servicer.requests[1:]
    )
    assert [r.seq for r in servicer.requests] == [1, 1, 2, 3]
    # labels: with the first push (and its retry), not the second, again after need_labels
    assert [r.HasField("labels") for r in servicer.requests] == [True, True, False, True]
    assert stats.alerts_acked == sum(
        len(u.alerts) for r in servicer.requests[1:] for u in wire.updates_from_push(r)
    )
    assert stats.errors == []  # back-pressure is not an error


def test_the_pusher_retries_errors_but_gives_up_an_invalid_push() -> None:
    script: Script = [grpc.StatusCode.INTERNAL, None, grpc.StatusCode.INVALID_ARGUMENT]
    with scripted(script) as (servicer, pusher):
        assert pusher.push_next(give_up_at=float("inf"))
        assert not pusher.push_next(give_up_at=float("inf"))
    stats = pusher.stats
    assert stats.refused == {"INTERNAL": 1, "INVALID_ARGUMENT": 1}
    assert [e.split(":")[1].strip() for e in stats.errors] == ["INTERNAL", "INVALID_ARGUMENT"]
    assert stats.pushes_acked == 1
    assert stats.rows_unacked == rows_of(wire.updates_from_push(servicer.requests[2]))


def test_the_pusher_gives_up_a_refused_push_at_its_deadline() -> None:
    with scripted([grpc.StatusCode.UNAVAILABLE] * 100) as (servicer, pusher):
        assert not pusher.push_next(give_up_at=time.monotonic() + 0.3)
    assert pusher.stats.pushes_acked == 0 and pusher.stats.rows_unacked >= 40
    assert pusher.stats.refused["UNAVAILABLE"] == len(servicer.requests) >= 2


# -- configurations, memory maps, flags ----------------------------------------------------


def test_the_hub_configuration_is_accepted_by_the_hub(tmp_path: Path) -> None:
    from monitor.hub.config import HubConfig

    config = HubConfig(**hub_config(tmp_path / "data", 5001, 5002))
    assert config.storage.backend == "chdb" and config.storage.path == tmp_path / "data"
    assert config.server.address == "127.0.0.1:5001"


@pytest.mark.parametrize("hub", [None, "127.0.0.1:5003"])
def test_the_sidecar_configurations_are_accepted_by_serve(tmp_path: Path, hub: str | None) -> None:
    from monitor.sidecar.config import load_config

    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump(sidecar_config(SMALL, tmp_path, tmp_path, (5001, 5002), hub)))
    config = load_config(path)
    assert config.storage.backend == ("hub" if hub else "sqlite")
    assert [r.cooldown_s for r in config.rules] == [0.0] * 3


def test_engine_libraries_are_found_in_a_process_memory_map() -> None:
    code = "import sys, {0}; sys.stdout.write('ready\\n'); sys.stdout.flush(); sys.stdin.read()"
    for module, expected in (("json", False), ("chdb", True)):
        proc = subprocess.Popen(
            [sys.executable, "-c", code.format(module)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        try:
            assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
            found = engine_libraries(proc.pid)
        finally:
            proc.communicate(b"")
        assert bool(found) is expected, (module, found)


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["bench", "fleet", *argv])


def test_pushes_are_as_large_as_a_sidecar_shipper_makes_them() -> None:
    from monitor.sidecar.hub_config import HubConfig as SidecarHubConfig

    default = SidecarHubConfig.model_fields["max_batch_tokens"].default
    assert FleetBenchSettings().push_rows == default


def test_flags_override_the_quick_preset() -> None:
    settings = settings_from(_args("--quick", "--rows", "300000", "--phases", "query", "ingest"))
    assert settings.rows == 300_000 and settings.traces == FleetBenchSettings.quick().traces
    assert settings.phases == ("ingest", "query")
    assert settings_from(_args()) == FleetBenchSettings()
    with pytest.raises(CommandError, match="traces must be <= rows"):
        settings_from(_args("--rows", "10", "--traces", "20"))


# -- generated data through the real repository (chDB) -------------------------------------


def test_generated_traces_read_back_through_the_repository(tmp_path: Path) -> None:
    from monitor.bench.fleet_chdb import DATABASE, _encode
    from monitor.bench.fleet_query import deep_cursor, reader_get_trace
    from monitor.hub.store import ChdbExecutor, ClickHouseTraceRepository

    repository = ClickHouseTraceRepository(ChdbExecutor(tmp_path / "ch"), database=DATABASE)
    try:
        plan = GenPlan.make(9_000, 2_000, 50, 2, 8, 64, 2, datetime.now(UTC).timestamp(), 72.0)
        executor = repository.executor

        def describe(table: str) -> list[list[object]]:
            return executor.query(
                f"SELECT name, default_kind FROM system.columns WHERE database = '{DATABASE}'"
                f" AND table = '{table}' ORDER BY position"
            )

        for statement in statements(plan, DATABASE, describe):
            executor.command(statement)
        sizes = repository.table_sizes()
        assert sizes["trace_tokens"].rows == plan.rows
        assert sizes["traces"].rows == plan.traces + (plan.traces + 3) // 4
        assert sizes["alerts"].rows == plan.traces
        page, _ = repository.query_traces(TraceFilter(), 3, "")
        assert [t.request_id for t in page] == [request_id(0), request_id(1), request_id(2)]
        assert page[0].token_count == plan.trace_tokens  # version 2 won over version 1
        deep = deep_cursor(plan, _encode)
        after, _ = repository.query_traces(TraceFilter(), 2, deep)
        assert [t.request_id for t in after] == [request_id(1001), request_id(1002)]
        out = reader_cases(repository, plan, deep, 5, 1, 250.0)
        assert len(out) == 3 * len(cases(plan))
        (by_id, narrow) = reader_get_trace(repository, plan, 2, 100.0)
        assert by_id["tokens"] == 50 and by_id["n"] == 2 and narrow["n"] == 2
    finally:
        repository.executor.close()
