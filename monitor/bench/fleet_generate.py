"""Millions of synthetic traces for the query part of ``bench fleet``, generated in SQL.

``INSERT ... SELECT ... FROM numbers()`` into the tables the repository created: every
value is a cheap function of the trace number ``t`` and the token position, so tens of
millions of rows are made inside the engine, with no Python per row. The columns are read
from ``system.columns`` first: a column without an expression here and without a default
fails the generation with its name, so a changed schema is noticed, not silently filled.

Shape (``GenPlan``): ``long`` traces of ``trace_tokens`` tokens each (GetTrace reads them)
hold about half of the rows; the other traces have ``short_tokens`` each. First alerts are
spread evenly over ``hours`` back from ``now`` (trace 0 newest). Filters select known
shares: every ``SOURCES``-th trace per source, every ``models``-th per model, 10 % critical,
about 10 % with a max score >= ``MIN_SCORE``, about half with each probe concept alerted
on, and every fourth trace has a second, newer snapshot (``LIMIT 1 BY`` must drop the
first). The encoder's ``concepts`` labels are stored, so reads label every concept.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from monitor.bench.fleet_data import CONCEPTS, model_names

SOURCES = 8
ENCODER = "gen-encoder"  # the encoder identity of every generated token and alert
MIN_SCORE = 0.95  # the min-score filter of the query cases (about 10 % match)
INSERT_ROWS = 1_000_000  # rows per INSERT ... SELECT (bounds the engine's memory)


@dataclass(frozen=True)
class GenPlan:
    """How many traces of which length; where their first alerts lie."""

    traces: int
    long: int
    trace_tokens: int
    short_tokens: int
    layers: int
    k: int
    concepts: int
    models: int
    now_us: int
    span_us: int

    @classmethod
    def make(
        cls,
        rows: int,
        traces: int,
        trace_tokens: int,
        layers: int,
        k: int,
        concepts: int,
        models: int,
        now_s: float,
        hours: float,
    ) -> GenPlan:
        """About half of ``rows`` in whole long traces, the rest spread over the others,
        so that the plan has at least ``rows`` token rows and exactly ``traces`` traces."""
        per_long = trace_tokens * layers
        long = max(1, min(traces, rows // (2 * per_long)))
        rest = max(0, rows - long * per_long)
        short = math.ceil(rest / ((traces - long) * layers)) if traces > long else 0
        return cls(
            traces=traces,
            long=long,
            trace_tokens=trace_tokens,
            short_tokens=max(1, short) if traces > long else 0,
            layers=layers,
            k=k,
            concepts=concepts,
            models=models,
            now_us=round(now_s * 1e6),
            span_us=round(hours * 3600e6),
        )

    @property
    def rows(self) -> int:
        short = (self.traces - self.long) * self.short_tokens
        return (self.long * self.trace_tokens + short) * self.layers

    def first_alert_us(self, t: int) -> int:
        """Trace ``t``'s first alert (microseconds; the same formula as the SQL)."""
        return self.now_us - (t * self.span_us) // self.traces

    def model(self, t: int) -> str:
        return model_names(self.models)[t % self.models]

    def tokens(self, t: int) -> int:
        return self.trace_tokens if t < self.long else self.short_tokens


def request_id(t: int) -> str:
    """Trace ``t``'s request id (the same as the SQL makes)."""
    return f"cmpl-gen-{t:010d}-0"


def source(t: int) -> str:
    return f"gen-source-{t % SOURCES}"


def _strings(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def trace_exprs(plan: GenPlan) -> dict[str, str]:
    """Per trace (``t``): the columns shared by its rows in every table."""
    return {
        "first_alert": f"fromUnixTimestamp64Micro(toInt64({plan.now_us} - intDiv(t *"
        f" {plan.span_us}, {plan.traces})), 'UTC')",
        "model_name": f"{_strings(model_names(plan.models))}[t % {plan.models} + 1]",
        "request_id": "concat('cmpl-gen-', leftPad(toString(t), 10, '0'), '-0')",
        "source": f"concat('gen-source-', toString(t % {SOURCES}))",
    }


def _concepts(t: str) -> str:
    """One or two probe concepts alerted on, from the trace number."""
    names = _strings(CONCEPTS)
    return (
        f"if({t} % 2 = 0, [{names}[{t} % 3 + 1]],"
        f" arraySort([{names}[{t} % 3 + 1], {names}[({t} + 1) % 3 + 1]]))"
    )


def snapshot_exprs(plan: GenPlan, version: str) -> dict[str, str]:
    """The ``traces`` row of trace ``t`` at ``version`` (an expression: 1 or 2)."""
    tokens = f"if(t < {plan.long}, {plan.trace_tokens}, {plan.short_tokens})"
    score = "(0.5 + (intHash32(t) % 5000) / 10000.0)"
    return {
        **trace_exprs(plan),
        "version": f"toUInt32({version})",
        "external_request_id": "concat('cmpl-gen-', leftPad(toString(t), 10, '0'))",
        "tenant": "''",
        "first_seen": f"fromUnixTimestamp64Micro(toInt64({plan.now_us} - intDiv(t *"
        f" {plan.span_us}, {plan.traces}) - 2000000), 'UTC')",
        "last_seen": f"fromUnixTimestamp64Micro(toInt64({plan.now_us} - intDiv(t *"
        f" {plan.span_us}, {plan.traces}) + 10000000 * {version}), 'UTC')",
        "severity": "multiIf(t % 10 = 9, 'critical', t % 10 >= 7, 'warning', 'info')",
        "max_score": f"{score} + 0.01 * ({version} - 1)",
        "max_scores": f"map('deception', {score} + 0.01 * ({version} - 1), 'eval_awareness',"
        f" {score} * 0.8, 'misuse', {score} * 0.6)",
        "alert_concepts": _concepts("t"),
        "token_count": f"toUInt32(intDiv({tokens} * {version}, 2))",
    }


def alert_exprs(plan: GenPlan) -> dict[str, str]:
    """The first alert of trace ``t``."""
    return {
        **{k: v for k, v in trace_exprs(plan).items() if k != "first_alert"},
        "fired_at": trace_exprs(plan)["first_alert"],
        "alert_id": "concat('cmpl-gen-', leftPad(toString(t), 10, '0'), '-0-a')",
        "concept": f"{_concepts('t')}[1]",
        "rule": "concat('rule-', " + _concepts("t") + "[1])",
        "severity": "multiIf(t % 10 = 9, 'critical', t % 10 >= 7, 'warning', 'info')",
        "score": "0.95",
        "threshold": "0.9",
        "position": "toUInt32(0)",
        "suppressed": "false",
        "tenant": "''",
        "encoder": f"'{ENCODER}'",
        "top_concept_ids": _ids(plan, "t"),
        "top_concept_values": _values(plan, "t"),
    }


def _ids(plan: GenPlan, seed: str) -> str:
    """k distinct ids in 0..concepts-1: one pseudo-random id in each of k equal bands,
    the bands rotated by a hash (so they stay distinct modulo ``concepts``)."""
    band = max(1, plan.concepts // plan.k)
    return (
        f"arrayMap(j -> toUInt32((intHash32({seed}) + j * {band} + intHash32({seed} + j) %"
        f" {band}) % {plan.concepts}), range({plan.k}))"
    )


def _values(plan: GenPlan, seed: str) -> str:
    return (
        f"arrayMap(j -> toFloat32(exp(-j / 8.0) * (1 + (intHash32({seed} * 31 + j) % 100)"
        f" / 1000.0)), range({plan.k}))"
    )


def token_exprs(plan: GenPlan) -> dict[str, str]:
    """A token row of trace ``t`` at ``pos`` on layer ``layer`` (``h`` a per-row hash)."""
    score = "(intHash32(h) % 1000) / 1000.0"
    return {
        **trace_exprs(plan),
        "layer": "toUInt16(15 - layer)",
        "position": "toUInt32(pos)",
        "token_id": "toInt32(intHash32(h + 7) % 49152)",
        "segment": "toInt8(2)",
        "scores": f"map('deception', toFloat32({score}), 'eval_awareness',"
        f" toFloat32({score} * 0.7), 'misuse', toFloat32({score} * 0.4))",
        "concept_ids": _ids(plan, "h"),
        "concept_values": _values(plan, "h"),
        "encoder": f"'{ENCODER}'",
        "text": "''",
    }


def label_exprs() -> dict[str, str]:
    """One label per concept of the generated encoder (``c``: the concept id)."""
    return {
        "encoder": f"'{ENCODER}'",
        "concept_id": "toUInt32(c)",
        "label": "concat('generated concept ', toString(c))",
    }


def select_sql(
    exprs: dict[str, str], columns: list[str], source_sql: str, bindings: str
) -> tuple[str, str]:
    """(column list, SELECT) of ``exprs`` for the table's ``columns`` (in its order)."""
    names = [c for c in columns if c in exprs]
    select = ", ".join(f"{exprs[c]} AS {c}" for c in names)
    return ", ".join(names), f"SELECT {select} FROM (SELECT {bindings} FROM {source_sql})"


def check_columns(table: str, exprs: dict[str, str], described: list[list[object]]) -> list[str]:
    """The table's columns (``name, default_kind`` rows of system.columns, in order);
    ValueError naming columns the generator cannot fill or does not find."""
    columns = [str(row[0]) for row in described]
    missing = [str(r[0]) for r in described if str(r[0]) not in exprs and not str(r[1])]
    unknown = [c for c in exprs if c not in columns]
    if missing or unknown:
        raise ValueError(
            f"{table}: cannot generate columns {missing} (no expression, no default);"
            f" expressions for columns it lacks: {unknown}"
        )
    return columns


def statements(plan: GenPlan, db: str, describe: Callable[[str], list[list[object]]]) -> list[str]:
    """Every INSERT ... SELECT that fills ``db``'s tables with the plan (tokens last)."""
    out: list[str] = []

    def add(table: str, exprs: dict[str, str], source_sql: str, bindings: str) -> None:
        columns = check_columns(table, exprs, describe(table))
        names, select = select_sql(exprs, columns, source_sql, bindings)
        out.append(f"INSERT INTO {db}.{table} ({names}) {select}")

    add("traces", snapshot_exprs(plan, "1"), f"numbers({plan.traces})", "number AS t")
    # every fourth trace: a second, newer snapshot
    add(
        "traces", snapshot_exprs(plan, "2"), f"numbers({(plan.traces + 3) // 4})", "number * 4 AS t"
    )
    add("alerts", alert_exprs(plan), f"numbers({plan.traces})", "number AS t")
    # the encoder's labels (as a sidecar ships them), so reads label every concept
    add("concept_labels", label_exprs(), f"numbers({plan.concepts})", "number AS c")
    layers = plan.layers
    for first, count, tokens in (
        (0, plan.long, plan.trace_tokens),
        (plan.long, plan.traces - plan.long, plan.short_tokens),
    ):
        rows = count * tokens * layers
        for offset in range(0, rows, INSERT_ROWS):
            n = min(INSERT_ROWS, rows - offset)
            bindings = (
                f"{first} + intDiv(number, {tokens * layers}) AS t,"
                f" intDiv(number % {tokens * layers}, {layers}) AS pos,"
                f" number % {layers} AS layer, cityHash64(t, pos, layer) AS h"
            )
            add("trace_tokens", token_exprs(plan), f"numbers({offset}, {n})", bindings)
    return out
