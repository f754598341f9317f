"""The parts of ``bench fleet`` that open a chDB data directory themselves.

chDB runs one engine per process on one directory, and a directory is locked to one
process; so each of these runs in a fresh ``spawn`` subprocess (``in_subprocess``) while
no hub holds the directory, and the benchmark's own process never loads chDB. They go
through the hub's repository (``ClickHouseTraceRepository`` over ``ChdbExecutor``): the
schema it creates is the one measured.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from monitor.bench.fleet_generate import GenPlan, statements
from monitor.bench.fleet_query import deep_cursor, reader_cases, reader_get_trace
from monitor.bench.fleet_settings import FleetBenchSettings

DATABASE = "llm_monitor"
T = TypeVar("T")


def in_subprocess(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in a fresh spawned process (exceptions come back raised)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def _open(data_dir: Path) -> Any:
    from monitor.hub.store import ChdbExecutor, ClickHouseTraceRepository

    return ClickHouseTraceRepository(ChdbExecutor(data_dir), database=DATABASE)


def _one(repository: Any, sql: str) -> int:
    rows = repository.executor.query(sql)
    return int(str(rows[0][0])) if rows else 0


def _column_bytes(repository: Any, table: str, rows: int) -> dict[str, float]:
    """Compressed bytes per row of each column of ``table`` (largest first)."""
    found = repository.executor.query(
        "SELECT column, sum(column_data_compressed_bytes) FROM system.parts_columns"
        f" WHERE active AND database = '{DATABASE}' AND table = '{table}' GROUP BY column"
    )
    per = {str(name): int(str(size)) / rows for name, size in found} if rows else {}
    return {k: round(v, 2) for k, v in sorted(per.items(), key=lambda kv: -kv[1])}


def _sizes(repository: Any) -> dict[str, dict[str, int]]:
    return {
        table: {"rows": size.rows, "bytes_on_disk": size.bytes_on_disk}
        for table, size in repository.table_sizes().items()
    }


def ingest_readback(data_dir: Path) -> dict[str, Any]:
    """What the ingest left in the store: rows, alerts and traces (distinct by natural
    key, and raw), and the bytes on disk as inserted and after merging every part."""
    repository = _open(data_dir)
    try:
        db = DATABASE
        stored = {
            "rows": _one(
                repository,
                "SELECT count() FROM (SELECT DISTINCT model_name, request_id, source, layer,"
                f" position FROM {db}.trace_tokens)",
            ),
            "alerts": _one(repository, f"SELECT uniqExact(alert_id) FROM {db}.alerts"),
            "traces": _one(
                repository, f"SELECT uniqExact(model_name, request_id, source) FROM {db}.traces"
            ),
        }
        raw_rows = _one(repository, f"SELECT count() FROM {db}.trace_tokens")
        as_inserted = _sizes(repository)
        parts = _one(
            repository,
            f"SELECT count() FROM system.parts WHERE active AND database = '{db}'"
            " AND table = 'trace_tokens'",
        )
        began = time.monotonic()
        repository.optimize()
        optimize_s = time.monotonic() - began
        merged = _sizes(repository)
        columns = _column_bytes(repository, "trace_tokens", merged["trace_tokens"]["rows"])
    finally:
        repository.executor.close()
    return {
        "stored": stored,
        "raw_token_rows": raw_rows,
        "token_parts_as_inserted": parts,
        "sizes_as_inserted": as_inserted,
        "sizes_merged": merged,
        "optimize_s": round(optimize_s, 2),
        "token_column_bytes_per_row": columns,
    }


def _encode(first_alert_us: int, model: str, request_id: str, source: str) -> str:
    from monitor.hub.store.cursor import TraceKey, encode_cursor

    return encode_cursor(TraceKey(first_alert_us, model, request_id, source))


def plan_for(settings: FleetBenchSettings, now_s: float) -> GenPlan:
    return GenPlan.make(
        rows=settings.rows,
        traces=settings.traces,
        trace_tokens=settings.trace_tokens,
        layers=settings.layers,
        k=settings.k,
        concepts=settings.concepts,
        models=settings.models,
        now_s=now_s,
        hours=settings.hours,
    )


def generate_and_query(data_dir: Path, settings: FleetBenchSettings) -> dict[str, Any]:
    """Fill a fresh store with the plan, then time every case through the repository."""
    repository = _open(data_dir)
    try:
        plan = plan_for(settings, time.time())

        def describe(table: str) -> list[list[object]]:
            return list(
                repository.executor.query(
                    "SELECT name, default_kind FROM system.columns WHERE database ="
                    f" '{DATABASE}' AND table = '{table}' ORDER BY position"
                )
            )

        began = time.monotonic()
        for statement in statements(plan, DATABASE, describe):
            repository.executor.command(statement)
        generate_s = time.monotonic() - began
        sizes = _sizes(repository)
        deep = deep_cursor(plan, _encode)
        goals = settings.goals
        query = reader_cases(
            repository, plan, deep, settings.page_size, settings.samples, goals.query_p95_ms
        )
        get_trace = reader_get_trace(repository, plan, settings.samples, goals.get_trace_p95_ms)
    finally:
        repository.executor.close()
    return {
        "plan": {
            "traces": plan.traces,
            "token_rows": plan.rows,
            "long_traces": plan.long,
            "tokens_per_long_trace": plan.trace_tokens,
            "tokens_per_short_trace": plan.short_tokens,
            "hours": settings.hours,
            "now_us": plan.now_us,
        },
        "generate_s": round(generate_s, 1),
        "generated_rows_per_s": round(plan.rows / generate_s) if generate_s > 0 else None,
        "sizes": sizes,
        "deep_cursor": deep,
        "query_traces": query,
        "get_trace": get_trace,
    }
