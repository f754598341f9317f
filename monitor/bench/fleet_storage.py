"""Bytes on disk per stored token-layer: the sidecar's SQLite store and the hub's ClickHouse.

SQLite: ``sqlite_traces`` synthetic traces (the ingest's shape: 3 probes, top-k concepts,
alerts, the encoder's labels stored once) are written through ``SqliteTraceRepository`` in
batches as its writer thread would, the WAL is checkpointed, and the pages in use are
divided by the token rows. ClickHouse: the figures come from the ingest's store
(:func:`monitor.bench.fleet_chdb.ingest_readback`), per row of ``trace_tokens`` after its
parts are merged (and as inserted).
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from monitor.bench.fleet_data import RowPool, TraceStream, bench_labels, rows_of
from monitor.bench.fleet_settings import FleetBenchSettings
from monitor.bench.stats import goal

BATCH_ROWS = 2000  # token rows per transaction (a writer thread's batch)


def _used_bytes(path: Path) -> tuple[int, int]:
    """(pages in use x page size, file size) after checkpointing the WAL."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages, free, size = (
            int(conn.execute(f"PRAGMA {name}").fetchone()[0])
            for name in ("page_count", "freelist_count", "page_size")
        )
    finally:
        conn.close()
    return (pages - free) * size, path.stat().st_size


def sqlite_bytes(settings: FleetBenchSettings) -> dict[str, Any]:
    """Write ``sqlite_traces`` traces to a fresh SQLite store; bytes per token row."""
    from monitor.sidecar.traces.sqlite import SqliteTraceRepository

    labels = bench_labels(settings.concepts)
    pool = RowPool.build(settings.k, settings.concepts, settings.seed)
    stream = TraceStream(settings, pool, "sqlite", window=4)
    updates_per_trace = -(-settings.trace_tokens // settings.chunk_tokens)
    total_updates = settings.sqlite_traces * updates_per_trace
    with tempfile.TemporaryDirectory(prefix="llm-monitor-fleet-sqlite-") as tmp:
        path = Path(tmp) / "traces.sqlite"
        repository = SqliteTraceRepository(path, retention_s=7 * 86400.0, labels=labels)
        empty, _ = _used_bytes(path)
        rows = written = 0
        began = time.monotonic()
        try:
            while written < total_updates:
                updates = stream.updates(BATCH_ROWS)[: total_updates - written]
                repository.apply(updates)
                written += len(updates)
                rows += rows_of(updates)
        finally:
            repository.close()
        write_s = time.monotonic() - began
        used, file_size = _used_bytes(path)
    per_row = used / rows if rows else None
    return {
        "traces": settings.sqlite_traces,
        "token_rows": rows,
        "used_bytes": used,
        "file_bytes": file_size,
        "empty_store_bytes": empty,
        "bytes_per_row": goal(
            None if per_row is None else round(per_row, 1),
            "<=",
            settings.goals.sqlite_bytes_per_row,
        ),
        "rows_per_s_written": round(rows / write_s) if write_s > 0 else None,
    }


def clickhouse_bytes(readback: dict[str, Any], goal_bytes: float) -> dict[str, Any]:
    """Bytes per token row of ``trace_tokens`` (merged, and as inserted), and of every
    table together per token row, from :func:`~monitor.bench.fleet_chdb.ingest_readback`."""
    merged = readback["sizes_merged"]
    inserted = readback["sizes_as_inserted"]
    tokens = merged["trace_tokens"]
    rows = int(tokens["rows"])

    def per(size: int) -> float | None:
        return round(size / rows, 1) if rows else None

    all_tables = sum(int(t["bytes_on_disk"]) for t in merged.values())
    return {
        "token_rows": rows,
        "token_bytes_on_disk": int(tokens["bytes_on_disk"]),
        "bytes_per_row": goal(per(int(tokens["bytes_on_disk"])), "<=", goal_bytes),
        "bytes_per_row_as_inserted": per(int(inserted["trace_tokens"]["bytes_on_disk"])),
        "all_tables_bytes_per_token_row": per(all_tables),
        "parts_as_inserted": readback["token_parts_as_inserted"],
        "column_bytes_per_row": readback["token_column_bytes_per_row"],
    }
