"""``llm-monitor bench soak``: the synthetic traffic, and the short soak through a real
``llm-monitor serve`` process.

The soak runs the CI preset (``SoakSettings.short()``, about 10 s); set
``LLM_MONITOR_SOAK_REQUESTS`` / ``LLM_MONITOR_SOAK_TOKENS`` to run it larger.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from monitor.artifacts.wire import decode_batch
from monitor.bench.settings import SoakSettings
from monitor.bench.soak import OVERHEAD_ALLOWANCE_BYTES
from monitor.bench.soak_traffic import ProducerPlan, RowPool, messages
from monitor.cli import main

D_MODEL = 16


def _settings() -> SoakSettings:
    settings = SoakSettings.short()
    for name, variable in (("requests", "REQUESTS"), ("tokens", "TOKENS")):
        value = os.environ.get(f"LLM_MONITOR_SOAK_{variable}")
        if value:
            settings = dataclasses.replace(settings, **{name: int(value)})
    return settings


def _plan(requests: int = 3, tokens: int = 5, prompt: int = 4) -> ProducerPlan:
    firing = np.zeros(requests, dtype=bool)
    firing[1] = True
    return ProducerPlan(
        producer_id="p",
        model_name="m",
        layer=2,
        request_ids=[f"r{i}" for i in range(requests)],
        firing=firing,
        prompt_tokens=prompt,
        tokens=tokens,
    )


def test_traffic_is_a_staggered_prompt_then_decode_stream() -> None:
    rng = np.random.default_rng(0)
    direction = rng.normal(size=D_MODEL) / np.sqrt(D_MODEL)
    plan = _plan()
    stream = list(messages(plan, RowPool.build(D_MODEL, direction, seed=0)))
    assert stream[0].WhichOneof("kind") == "hello"
    assert list(stream[0].hello.layers) == [2] and stream[0].hello.capture_ok
    batches = [decode_batch(m.batch) for m in stream[1:]]
    positions: dict[str, list[int]] = {r: [] for r in plan.request_ids}
    finished: list[str] = []
    offset = 0
    for sequence, (raw, batch) in enumerate(zip(stream[1:], batches, strict=True)):
        assert (raw.batch.sequence, raw.batch.row_offset) == (sequence, offset)
        offset += batch.rows
        for row in range(batch.rows):
            positions[batch.request_ids[batch.row_request[row]]].append(int(batch.positions[row]))
        finished.extend(batch.finished_request_ids)
    assert finished == plan.request_ids  # each finishes once, in start order
    for request_id in plan.request_ids:  # prompt 0..3, then one decode row per step
        assert positions[request_id] == list(range(4 + 5))
    assert plan.rows_sent == offset == 3 * (4 + 5)
    assert plan.messages_sent == len(batches) == plan.steps
    started = [s.request_id for b in batches for s in b.started]
    assert started == plan.request_ids
    # Request j starts at step j and decodes for 5 steps: 1, 2, 3, 3, 3, 3, 2, 1 in flight.
    assert [len(b.request_ids) for b in batches] == [1, 2, 3, 3, 3, 3, 2, 1]


def test_firing_rows_carry_the_signal_from_mid_decode() -> None:
    rng = np.random.default_rng(1)
    direction = rng.normal(size=D_MODEL) / np.sqrt(D_MODEL)
    plan = _plan(tokens=8)
    logits: dict[tuple[str, int], float] = {}
    for message in list(messages(plan, RowPool.build(D_MODEL, direction, seed=0)))[1:]:
        batch = decode_batch(message.batch)
        z = batch.activations @ direction
        for row in range(batch.rows):
            logits[batch.request_ids[batch.row_request[row]], int(batch.positions[row])] = z[row]
    loud = {key for key, value in logits.items() if value > 7.0}  # sigmoid > 0.999
    # r1 fires from its 5th decode token (prompt 4 + 8 // 2) on; nothing else does.
    assert loud == {("r1", position) for position in range(8, 12)}


@pytest.fixture(scope="module")
def soak(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One short soak through the CLI (a real ``serve`` subprocess), read from its JSON."""
    settings = _settings()
    out = tmp_path_factory.mktemp("soak") / "soak.json"
    argv = ["bench", "soak", "--short", "--json", str(out)]
    argv += ["--requests", str(settings.requests), "--tokens", str(settings.tokens)]
    assert main(argv) == 0
    result: dict[str, Any] = json.loads(Path(out).read_text())
    return result


def test_every_row_sent_is_scored_or_counted_as_dropped(soak: dict[str, Any]) -> None:
    settings = _settings()
    per_phase = settings.requests * (settings.prompt_tokens + settings.tokens)
    for phase in soak["phases"]:
        assert phase["rows_sent"] == per_phase
        assert phase["rows_sent"] == phase["scored"] + sum(phase["dropped"].values())
        assert phase["settled"] and phase["stream_errors"] == []
        assert phase["pipeline_errors"] == 0
    assert soak["rows_sent"] == soak["tokens_scored"] + soak["rows_dropped"] == 2 * per_phase
    assert soak["sent_equals_accounted"] is True


def test_peak_rss_stays_within_the_budgets(soak: dict[str, Any]) -> None:
    budget = soak["limits"]["ingest.max_queue_bytes"]
    budget += soak["limits"]["storage.max_buffered_bytes"] or 0
    assert soak["budget_bytes"] == budget
    assert 0 < soak["baseline_rss_bytes"] <= soak["peak_rss_bytes"]
    assert soak["peak_rss_bytes"] <= budget + OVERHEAD_ALLOWANCE_BYTES
    assert soak["peak_rss_within_limit"] is True


def test_only_the_firing_phase_alerts_and_stores_traces(soak: dict[str, Any]) -> None:
    quiet, firing = soak["phases"]
    assert (quiet["phase"], firing["phase"]) == ("quiet", "firing")
    assert quiet["alerts"] == quiet["stored_traces"] == 0
    assert firing["firing_requests"] == round(0.25 * _settings().requests) > 0
    assert firing["alerts"] == firing["stored_traces"] == firing["firing_requests"]
    assert soak["reloaded_rules"] == 3


def test_the_sidecar_serves_to_the_end_and_stops_cleanly(soak: dict[str, Any]) -> None:
    assert soak["health"] == "SERVING"
    assert soak["sidecar_exit_code"] == 0
