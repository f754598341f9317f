"""deploy/clickhouse/README.md, the documented contract of the fleet store's tables, against
the tables the hub really creates (chDB, the engine of the `chdb` backend, running the same
statements as a ClickHouse server): every column with its type, each table's engine,
partition and sort key, and every SQL example (ad-hoc, Grafana, GRANT) run on a small
fleet's traces with known answers.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from monitor.hub.store import ChdbExecutor, ClickHouseError, ClickHouseTraceRepository
from monitor.sidecar.records import Firing
from monitor.sidecar.scoring.sinks import RequestTokens
from monitor.sidecar.severity import Severity
from monitor.sidecar.traces.labels import concept_labels
from monitor.sidecar.traces.snapshots import Snapshots
from monitor.sidecar.traces.writer import TraceUpdate

ROOT = Path(__file__).resolve().parents[3]
README = ROOT / "deploy" / "clickhouse" / "README.md"
DATABASE = "llm_monitor"  # the examples name it, as does the hub's default
NOW = time.time()
MODEL = "m"
LABELS = concept_labels([f"concept {i}" for i in range(8)])
TOP_K = ((5, 3.0), (2, 1.5), (7, 0.25))  # each token's encoder top-k: (id, activation)
#: (source, request id, concept, severity, seconds ago): the same request id on two pods
FLAGGED: tuple[tuple[str, str, str, Severity, float], ...] = (
    ("pod-a", "req-1", "misuse", "critical", 600.0),
    ("pod-b", "req-1", "deception", "warning", 1800.0),
    ("pod-a", "req-2", "misuse", "critical", 7200.0),
)
#: values of the examples' {name:Type} query parameters
PARAMS = {"model": MODEL, "request_id": "req-1", "source": "pod-a", "concept": "misuse"}
PARAMS_NUMERIC = {"layer": 3}
GRAFANA_INTERVAL_S = 60


def _chunk(request_id: str, start: int, scores: Sequence[float], layer: int) -> RequestTokens:
    n = len(scores)
    positions = np.arange(start, start + n, dtype=np.int64)
    return RequestTokens(
        model_name=MODEL,
        request_id=request_id,
        layer=layer,
        positions=positions,
        token_ids=positions + 100,
        scores={"misuse": np.asarray(scores, np.float32)},
        aggregates={"misuse": float(max(scores))},
        thresholds={"misuse": 0.5},
        concept_ids=np.array([[i for i, _ in TOP_K]] * n, dtype=np.int32),
        concept_values=np.array([[v for _, v in TOP_K]] * n, dtype=np.float32),
        segments=np.full(n, 6, dtype=np.int8),
    )


def _updates() -> list[TraceUpdate]:
    """Each trace's flagging update (3 tokens on layers 3 and 5) and a later one (2 more
    tokens on layer 3), with the summaries a sidecar attaches."""
    out = []
    for source, request_id, concept, severity, ago in FLAGGED:
        snapshots, at = Snapshots(), NOW - ago
        firing = Firing(
            alert_id=f"{source}/{request_id}/{concept}",
            request_id=request_id,
            model_name=MODEL,
            concept=concept,
            rule=concept,
            severity=severity,
            score=0.9,
            threshold=0.5,
            position=1,
            fired_at=at,
            top_concept_ids=(5, 2),
            top_concept_values=(3.0, 1.5),
        )
        first = TraceUpdate(
            model_name=MODEL,
            request_id=request_id,
            first_seen=at - 1,
            last_seen=at,
            tokens=[
                _chunk(request_id, 0, [0.2, 0.9, 0.95], 3),
                _chunk(request_id, 0, [0.1] * 3, 5),
            ],
            alerts=[firing],
            max_scores={concept: 0.95},
            source=source,
            encoder=LABELS.encoder,
            texts=[["a", "b", "c"], ["a", "b", "c"]],
        )
        later = TraceUpdate(
            model_name=MODEL,
            request_id=request_id,
            first_seen=at - 1,
            last_seen=at + 1,
            tokens=[_chunk(request_id, 3, [0.99, 0.3], 3)],
            max_scores={concept: 0.99},
            source=source,
            encoder=LABELS.encoder,
        )
        out += [snapshots.add(first), snapshots.add(later)]
    return out


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChdbExecutor]:
    """The hub's store on chDB with the fleet above, one batch stored twice (a replay)."""
    executor = ChdbExecutor(tmp_path_factory.mktemp("chdb"))
    try:
        store = ClickHouseTraceRepository(executor, database=DATABASE, labels=LABELS)
        updates = _updates()
        store.apply(updates)
        store.apply(updates[:2])  # unmerged duplicates: the examples must not show them
        yield executor
    finally:
        executor.close()


def _readme() -> str:
    return README.read_text()


def _sections() -> dict[str, str]:
    """Text of each '### `table`' section of "Tables"."""
    text = _readme()
    tables = text[text.index("## Tables") : text.index("## Users and privileges")]
    parts = re.split(r"^### `(\w+)`.*$", tables, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _documented_columns(section: str) -> dict[str, str | None]:
    """Column -> documented type (None: "as above") from a section's table rows."""
    columns: dict[str, str | None] = {}
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        names = re.findall(r"`([^`]+)`", cells[0])
        types = re.findall(r"`([^`]+)`", cells[1])
        if cells[1] == "as above":
            columns.update(dict.fromkeys(names))
        elif len(types) == len(names):
            columns.update(zip(names, types, strict=True))
        else:
            assert len(types) == 1, line
            columns.update(dict.fromkeys(names, types[0]))
    return columns


def test_the_readme_documents_every_table_the_hub_creates(engine: ChdbExecutor) -> None:
    tables = {
        str(row[0])
        for row in engine.query(f"SELECT name FROM system.tables WHERE database = '{DATABASE}'")
    }
    assert set(_sections()) == tables - {"schema_version"}
    assert "schema_version" in _readme()


def test_every_column_and_type_is_documented(engine: ChdbExecutor) -> None:
    typed: dict[str, str] = {}
    for table, section in _sections().items():
        rows = engine.query(
            f"SELECT name, type FROM system.columns WHERE database = '{DATABASE}'"
            f" AND table = '{table}'"
        )
        actual = {str(name): str(kind) for name, kind in rows}
        documented = _documented_columns(section)
        assert set(documented) == set(actual), table
        for name, kind in documented.items():
            if kind is None:  # "as above": the same column of trace_tokens
                assert actual[name] == typed[name], (table, name)
            else:
                assert kind == actual[name], (table, name)
            typed.setdefault(name, actual[name])


def test_engines_partitions_and_keys_are_documented(engine: ChdbExecutor) -> None:
    for table, section in _sections().items():
        ((engine_full, sorting_key, partition_key),) = engine.query(
            "SELECT engine_full, sorting_key, partition_key FROM system.tables"
            f" WHERE database = '{DATABASE}' AND name = '{table}'"
        )
        documented_engine = re.search(r"`ENGINE = ([^`]+)`", section)
        assert documented_engine and str(engine_full).startswith(documented_engine[1] + " "), table
        order = re.search(r"`ORDER BY \(([^`]+)\)`", section)
        assert order and order[1] == sorting_key, table
        partition = re.search(r"`PARTITION BY ([^`]+)`", section)
        assert (partition[1] if partition else "") == partition_key, table
        assert ("TTL" in str(engine_full)) == ("no TTL" not in section), table


def _sql_blocks() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", _readme(), flags=re.S)


def _bind(sql: str) -> str:
    """The example with its query parameters and Grafana macros expanded as
    clickhouse-client and the Grafana ClickHouse data source do."""

    def parameter(match: re.Match[str]) -> str:
        name, kind = match[1], match[2]
        if kind == "String":
            return "'" + PARAMS[name] + "'"
        return str(PARAMS_NUMERIC[name])

    sql = re.sub(r"\{(\w+):(\w+)\}", parameter, sql)
    start, end = int(NOW - 86400), int(NOW + 60)
    sql = re.sub(
        r"\$__timeFilter\((\w+)\)",
        lambda m: f"{m[1]} >= toDateTime({start}) AND {m[1]} <= toDateTime({end})",
        sql,
    )
    return re.sub(
        r"\$__timeInterval\((\w+)\)",
        lambda m: f"toStartOfInterval(toDateTime({m[1]}), INTERVAL {GRAFANA_INTERVAL_S} second)",
        sql,
    )


def test_the_examples_are_all_found() -> None:
    blocks = _sql_blocks()
    grants = [b for b in blocks if b.startswith("GRANT ")]
    grafana = [b for b in blocks if "$__" in b]
    assert (len(blocks), len(grants), len(grafana)) == (9, 2, 2)


def test_every_example_runs_and_answers(engine: ChdbExecutor) -> None:
    for block in _sql_blocks():
        if block.startswith("GRANT "):
            continue
        rows = engine.query(_bind(block))
        assert rows, block


def _example(marker: str) -> str:
    (block,) = [b for b in _sql_blocks() if marker in b]
    return _bind(block)


def test_every_misuse_alert_of_the_last_hour(engine: ChdbExecutor) -> None:
    """One row per alert (the replayed batch does not show), the older one left out."""
    rows = engine.query(_example("concept = 'misuse'"))
    assert [(row[1], row[3], row[4], row[5]) for row in rows] == [
        ("pod-a", "req-1", "misuse", "critical")
    ]


def test_the_top_concepts_of_a_trace(engine: ChdbExecutor) -> None:
    """Labelled from concept_labels, strongest first, counted once per token."""
    rows = engine.query(_example("ARRAY JOIN concept_ids"))
    assert [(row[0], row[1], float(row[2]), row[3]) for row in rows] == [
        (i, f"concept {i}", v, 5) for i, v in TOP_K
    ]


def test_the_newest_traces_are_one_row_each_newest_summary(engine: ChdbExecutor) -> None:
    rows = engine.query(_example("FROM llm_monitor.traces FINAL\nWHERE first_alert >="))
    assert [(row[1], row[3], row[7]) for row in rows] == [
        ("pod-a", "req-1", 5),
        ("pod-b", "req-1", 5),
        ("pod-a", "req-2", 5),
    ]


def test_a_traces_tokens_on_one_layer(engine: ChdbExecutor) -> None:
    rows = engine.query(_example("layer = {layer:UInt16}"))
    assert [row[0] for row in rows] == [0, 1, 2, 3, 4]
    assert [row[3] for row in rows] == ["a", "b", "c", "", ""]


def test_the_grafana_panels(engine: ChdbExecutor) -> None:
    per_concept = engine.query(_example("$__timeInterval(fired_at)"))
    assert sorted((row[1], row[2]) for row in per_concept) == [
        ("deception", 1),
        ("misuse", 1),
        ("misuse", 1),
    ]
    critical = engine.query(_example("severity = 'critical'\nORDER BY first_alert DESC"))
    assert [(row[1], row[3]) for row in critical] == [("pod-a", "req-1"), ("pod-a", "req-2")]


@pytest.mark.parametrize("index", [0, 1])
def test_the_documented_grants_are_valid(engine: ChdbExecutor, index: int) -> None:
    """Each GRANT parses and names real privileges: chDB has no such user, so it fails on
    the grantee (UNKNOWN_ROLE), not on the statement (SYNTAX_ERROR)."""
    grant = [b for b in _sql_blocks() if b.startswith("GRANT ")][index]
    with pytest.raises(ClickHouseError, match="UNKNOWN_ROLE"):
        engine.command(grant)
