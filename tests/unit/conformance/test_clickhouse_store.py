"""What only the ClickHouse store does: its RowBinary encoding, its table contract, its
tie order, TTL settings and migrations, its bytes on disk per token, durability under
kill -9, and its executor's errors (on chDB, in this process)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from monitor.hub.store import ChdbExecutor, ClickHouseError, ClickHouseTraceRepository
from monitor.hub.store import rowbinary as rb
from monitor.hub.store.schema import SCHEMA_VERSION, SchemaTooNew
from monitor.sidecar.scoring.sinks import RequestTokens
from monitor.sidecar.traces.labels import ConceptLabels
from monitor.sidecar.traces.reader import TraceFilter

from .data import DAY, LABELS, MODEL, T0, Sidecar, tokens

BYTES_PER_TOKEN_LAYER = 150  # the goal on disk per stored token and layer (3 probes, k = 32)


@pytest.fixture(scope="module")
def executor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChdbExecutor]:
    opened = ChdbExecutor(tmp_path_factory.mktemp("chdb"))
    yield opened
    opened.close()


def fresh(executor: ChdbExecutor, **kw: object) -> ClickHouseTraceRepository:
    database = f"t_{uuid.uuid4().hex[:12]}"
    return ClickHouseTraceRepository(executor, database=database, labels=LABELS, **kw)  # type: ignore[arg-type]


def test_rowbinary_blocks_read_back_as_written(executor: ChdbExecutor) -> None:
    executor.command(
        "CREATE TABLE IF NOT EXISTS default.rb (s String, n UInt32, a Array(UInt32),"
        " b Array(BFloat16), f Float32) ENGINE = MergeTree ORDER BY n"
    )
    texts = ["", "é✓", "x" * 200, "y" * 20_000, "q'\\"]  # lengths of 1-, 2- and 3-byte varints
    n = len(texts)
    counts = np.array([0, 1, 3, 2, 3], dtype=np.int64)
    ids = np.arange(n * 3, dtype=np.int64).reshape(n, 3) * 1000
    values = np.array([[0.5, 1.0, 2.0]] * n, dtype=np.float32)
    data = rb.rows(
        n,
        [
            rb.strings(texts),
            rb.fixed(np.arange(n), "<u4"),
            rb.arrays(ids, counts, "<u4"),
            rb.arrays(rb.bfloat16(values), counts, "<u2"),
            rb.fixed(np.linspace(0, 1, n), "<f4"),
        ],
    )
    executor.insert("default.rb", ["s", "n", "a", "b", "f"], data)
    rows = executor.query("SELECT s, n, a, b, f FROM default.rb ORDER BY n")
    assert [r[0] for r in rows] == texts
    assert [r[2] for r in rows] == [ids[i, : counts[i]].tolist() for i in range(n)]
    assert [r[3] for r in rows] == [[0.5, 1.0, 2.0][: counts[i]] for i in range(n)]
    assert [r[4] for r in rows] == pytest.approx(np.linspace(0, 1, n).tolist(), abs=1e-6)


def test_varints_and_bfloat16_rounding() -> None:
    assert [rb.varint(v) for v in (0, 127, 128, 300)] == [b"\0", b"\x7f", b"\x80\x01", b"\xac\x02"]
    piece = rb.varints(np.array([0, 127, 128, 300, 2**35]))
    assert piece.lengths is not None and piece.lengths.tolist() == [1, 1, 2, 2, 6]
    # round to nearest, ties to even (1 + 2**-8 lies halfway between 1.0 and 1.0078125)
    values = np.array([1.0, 1 + 2**-8, 1 + 3 * 2**-8, 0.3, -2.5], dtype=np.float32)
    back = (rb.bfloat16(values).astype(np.uint32) << 16).view(np.float32)
    assert back.tolist() == [1.0, 1.0, 1.015625, 0.30078125, -2.5]


def test_the_tables_are_the_documented_contract(executor: ChdbExecutor) -> None:
    repo = fresh(executor)
    columns = {
        table: [
            (name, kind)
            for name, kind, *_ in executor.query(f"DESCRIBE TABLE {repo.database}.{table}")
        ]
        for table in ("trace_tokens", "traces", "alerts", "concept_labels")
    }
    when = "DateTime64(6, 'UTC')"
    severity = "Enum8('info' = 0, 'warning' = 1, 'critical' = 2)"
    key = [
        ("model_name", "LowCardinality(String)"),
        ("request_id", "String"),
        ("source", "LowCardinality(String)"),
    ]
    assert columns["trace_tokens"] == [
        ("first_alert", when),
        *key,
        ("layer", "UInt16"),
        ("position", "UInt32"),
        ("token_id", "Int32"),
        ("segment", "Int8"),
        ("scores", "Map(LowCardinality(String), Float32)"),
        ("concept_ids", "Array(UInt32)"),
        ("concept_values", "Array(BFloat16)"),
        ("encoder", "LowCardinality(String)"),
        ("text", "String"),
    ]
    assert columns["traces"] == [
        ("first_alert", when),
        *key,
        ("version", "UInt32"),
        ("external_request_id", "String"),
        ("tenant", "LowCardinality(String)"),
        ("first_seen", when),
        ("last_seen", when),
        ("severity", severity),
        ("max_score", "Float64"),
        ("max_scores", "Map(LowCardinality(String), Float64)"),
        ("alert_concepts", "Array(LowCardinality(String))"),
        ("token_count", "UInt32"),
    ]
    assert [name for name, _ in columns["alerts"]] == [
        "fired_at",
        *[name for name, _ in key],
        "alert_id",
        "concept",
        "rule",
        "severity",
        "score",
        "threshold",
        "position",
        "suppressed",
        "tenant",
        "encoder",
        "top_concept_ids",
        "top_concept_values",
        "inserted_at",
    ]
    assert columns["concept_labels"] == [
        ("encoder", "LowCardinality(String)"),
        ("concept_id", "UInt32"),
        ("label", "String"),
    ]
    engines = dict(
        executor.query(
            "SELECT name, engine_full FROM system.tables"
            f" WHERE database = '{repo.database}' AND name != 'schema_version'"
        )
    )
    assert "ReplacingMergeTree(version)" in engines["traces"]
    assert all("fsync_after_insert = 1" in engine for engine in engines.values())


def test_ties_are_ordered_by_model_request_and_source_descending(
    executor: ChdbExecutor,
) -> None:
    repo = fresh(executor)
    a, b = Sidecar("pod-a"), Sidecar("pod-b")
    repo.apply([b.flagged("m", at=T0), a.flagged("z", at=T0), a.flagged("m", at=T0)])
    repo.apply([a.flagged("a", at=T0, model_name="zz"), a.flagged("new", at=T0 + 1)])
    page, _ = repo.query_traces(TraceFilter(), 10, "")
    assert [(s.model_name, s.request_id, s.source) for s in page] == [
        (MODEL, "new", "pod-a"),
        ("zz", "a", "pod-a"),
        (MODEL, "z", "pod-a"),
        (MODEL, "m", "pod-b"),
        (MODEL, "m", "pod-a"),
    ]


def test_retention_settings_change_the_ttl_of_an_existing_store(executor: ChdbExecutor) -> None:
    repo = fresh(executor, token_ttl_days=7, trace_ttl_days=90)

    def ttls() -> dict[str, str]:
        rows = executor.query(
            "SELECT name, engine_full FROM system.tables"
            f" WHERE database = '{repo.database}' AND name IN ('trace_tokens', 'traces', 'alerts')"
        )
        return {name: engine.split(" TTL ")[1].split(" SETTINGS")[0] for name, engine in rows}

    assert ttls() == {
        "trace_tokens": "toDateTime(first_alert) + toIntervalSecond(604800)",
        "traces": "toDateTime(first_alert) + toIntervalSecond(7776000)",
        "alerts": "toDateTime(fired_at) + toIntervalSecond(7776000)",
    }
    ClickHouseTraceRepository(executor, database=repo.database, token_ttl_days=1, trace_ttl_days=30)
    assert ttls() == {
        "trace_tokens": "toDateTime(first_alert) + toIntervalSecond(86400)",
        "traces": "toDateTime(first_alert) + toIntervalSecond(2592000)",
        "alerts": "toDateTime(fired_at) + toIntervalSecond(2592000)",
    }
    versions = executor.query(f"SELECT version FROM {repo.database}.schema_version")
    assert versions == [[SCHEMA_VERSION]]
    with pytest.raises(ValueError, match="token_ttl_days must be positive"):
        ClickHouseTraceRepository(executor, database=repo.database, token_ttl_days=0)


def test_tokens_expire_before_their_trace(executor: ChdbExecutor) -> None:
    repo = fresh(executor, token_ttl_days=1, trace_ttl_days=30)
    now = time.time()
    side = Sidecar()
    chunk = tokens({"d": [0.5, 0.7]}, request_id="a")
    repo.apply([side.flagged("a", at=now - 2 * DAY, chunks=[chunk])])
    repo.optimize()
    trace = repo.get_trace("a")
    assert trace is not None
    assert (trace.summary.token_count, trace.total_tokens, len(trace.tokens)) == (2, 0, 0)


def test_a_newer_schema_is_refused(executor: ChdbExecutor) -> None:
    repo = fresh(executor)
    executor.command(f"INSERT INTO {repo.database}.schema_version (version) VALUES (99)")
    with pytest.raises(SchemaTooNew, match="schema version 99"):
        ClickHouseTraceRepository(executor, database=repo.database)


def test_token_text_can_be_left_out(executor: ChdbExecutor) -> None:
    repo = fresh(executor, keep_token_text=False)
    side = Sidecar()
    chunk = tokens({"d": [0.5]}, request_id="a")
    repo.apply([side.flagged("a", chunks=[chunk], texts=[["secret"]])])
    trace = repo.get_trace("a")
    assert trace is not None and [t.text for t in trace.tokens] == [""]


def test_labels_stored_after_a_read_missed_them_are_used_at_once(executor: ChdbExecutor) -> None:
    repo = fresh(executor)
    other = ConceptLabels("sha256:00000000000000aa", ("zero", "one", "two"))
    side = Sidecar()
    chunk = tokens({"d": [0.5]}, request_id="a", concept_ids=[[2]], concept_values=[[1.0]])
    repo.apply(
        [side.update("a", at=T0, chunks=[chunk], alerts=[side.alert("a")], encoder=other.encoder)]
    )
    before = repo.get_trace("a")
    assert before is not None and before.tokens[0].concepts[0].label == ""
    repo.put_labels(other)
    after = repo.get_trace("a")
    assert after is not None and after.tokens[0].concepts[0].label == "two"
    reader = ClickHouseTraceRepository(executor, database=repo.database)  # another hub
    again = reader.get_trace("a")
    assert again is not None and again.tokens[0].concepts[0].label == "two"


def test_statement_errors_name_the_statement(executor: ChdbExecutor, tmp_path: Path) -> None:
    with pytest.raises(ClickHouseError, match=r"chDB query failed \(SELECT nope FROM nowhere\)"):
        executor.query("SELECT nope FROM nowhere")
    with pytest.raises(ClickHouseError, match="one process runs chDB on one directory"):
        ChdbExecutor(tmp_path / "another")
    with pytest.raises(ValueError, match="invalid name"):
        ClickHouseTraceRepository(executor, database="x; DROP TABLE y")


def scored_chunk(
    rng: np.random.Generator, request_id: str, n: int, pool_size: int = 256
) -> RequestTokens:
    """n tokens of 3 probes with a k = 32 top-k of a 4096-concept encoder, shaped like a
    sparse autoencoder's output: a request draws its concepts from its own pool (popular
    concepts more often), values fall off exponentially, probe scores drift smoothly."""
    m, k = 4096, 32
    popularity = 1.0 / np.arange(1, m + 1) ** 0.8
    pool = rng.choice(m, pool_size, replace=False, p=popularity / popularity.sum())
    weights = np.log(1.0 / np.arange(1, pool_size + 1))
    keys = weights + rng.gumbel(size=(n, pool_size))  # weighted draws without replacement
    ids = pool[np.argpartition(-keys, k, axis=1)[:, :k]].astype(np.int32)
    values = -np.sort(-rng.exponential(1.5, size=(n, k)).astype(np.float32), axis=1)
    drift = np.cumsum(rng.normal(0, 0.3, size=(3, n)), axis=1) - 2.0
    positions = np.arange(n, dtype=np.int64)
    return RequestTokens(
        model_name=MODEL,
        request_id=request_id,
        layer=15,
        positions=positions,
        token_ids=np.minimum(rng.zipf(1.3, n), 49151),
        scores={
            probe: (1 / (1 + np.exp(-drift[i]))).astype(np.float32)
            for i, probe in enumerate(("deception", "eval_awareness", "misuse"))
        },
        aggregates={},
        thresholds={},
        concept_ids=ids,
        concept_values=values,
    )


def test_a_stored_token_layer_takes_at_most_150_bytes_on_disk(executor: ChdbExecutor) -> None:
    """120 requests x 500 tokens (one layer, 3 probes, top-32 of 4096 concepts), inserted
    in batches of 10 requests, then merged; bytes on disk of ``trace_tokens`` / rows."""
    repo = fresh(executor)
    rng = np.random.default_rng(0)
    side = Sidecar()
    updates = [
        side.flagged(
            f"chatcmpl-{i:06d}-0a1b2c3d", at=T0 + i, chunks=[scored_chunk(rng, f"r{i}", 500)]
        )
        for i in range(120)
    ]
    started = time.perf_counter()
    for i in range(0, len(updates), 10):
        repo.apply(updates[i : i + 10])
    elapsed = time.perf_counter() - started
    repo.optimize()
    size = repo.table_sizes()["trace_tokens"]
    assert size.rows == 60_000
    per_row = size.bytes_on_disk / size.rows
    print(
        f"\ntrace_tokens: {per_row:.1f} B per token-layer on disk;"
        f" insert {size.rows / elapsed:,.0f} rows/s (encode + insert, 5,000-row batches)"
    )
    assert per_row <= BYTES_PER_TOKEN_LAYER


KILL_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from monitor.hub.store import ChdbExecutor, ClickHouseTraceRepository
    from tests.unit.conformance.data import Sidecar, T0, tokens

    repo = ClickHouseTraceRepository(ChdbExecutor(Path(sys.argv[1])), database="killed")
    side = Sidecar()
    i = 0
    while True:
        rid = f"r{i}"
        chunk = tokens({"d": [0.5] * 8}, request_id=rid)
        repo.apply([side.flagged(rid, at=T0 + i, chunks=[chunk])])
        print(i, flush=True)
        i += 1
    """
)


def test_acknowledged_writes_survive_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    acked = -1
    try:
        assert proc.stdout is not None
        while acked < 15:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else ""
            acked = int(line)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    check = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from monitor.hub.store import ChdbExecutor, ClickHouseTraceRepository
        from monitor.sidecar.traces.reader import TraceFilter

        repo = ClickHouseTraceRepository(ChdbExecutor(Path(sys.argv[1])), database="killed")
        page, _ = repo.query_traces(TraceFilter(), 1000, "")
        tokens = {s.request_id: repo.get_trace(s.request_id).total_tokens for s in page}
        print(len(page), min(tokens.values()), max(tokens.values()))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", check, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[3],
        check=True,
    ).stdout.split()
    stored, fewest, most = (int(x) for x in out)
    assert stored >= acked + 1  # every acknowledged trace (and maybe the one in flight)
    assert (fewest, most) == (8, 8)  # a visible trace has all its tokens
