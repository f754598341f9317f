"""``bench sidecar``'s synthetic producer, and its CLI flags filling the settings."""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np
import pytest

from monitor.artifacts.wire import decode_activations
from monitor.bench.capacity import run_sidecar_bench
from monitor.bench.capacity_traffic import CapacityStream, capacity_messages
from monitor.bench.settings import SidecarBenchSettings
from monitor.bench.soak_traffic import RowPool
from monitor.cli.main import build_parser
from monitor.placement import format_cpu_list

D_MODEL = 8


@pytest.fixture(scope="module")
def pool() -> RowPool:
    direction = np.random.default_rng(0).normal(size=D_MODEL)
    return RowPool.build(D_MODEL, direction, seed=0)


def _stream(**kw: object) -> CapacityStream:
    base: dict[str, object] = dict(
        producer_id="p",
        model_name="m",
        layers=[15],
        tokens_per_s=None,
        duration_s=0.0,
        batch=4,
        tokens=6,
        prompt_tokens=3,
    )
    base.update(kw)
    return CapacityStream(**base)  # type: ignore[arg-type]


def test_one_step_starts_and_finishes_the_first_request_with_its_prompt(pool: RowPool) -> None:
    stream = _stream()  # duration 0: a single step that also finishes everything
    messages = list(capacity_messages(stream, pool))
    assert messages[0].hello.producer_id == "p" and list(messages[0].hello.layers) == [15]
    (batch,) = [m.batch for m in messages[1:]]
    assert batch.shape == [3, D_MODEL] and batch.row_offset == 0
    assert [len(s.prompt_token_ids) for s in batch.started] == [3]
    assert list(batch.finished_request_ids) == list(batch.request_ids) == ["p-0-0"]
    assert (stream.tokens_sent, stream.rows_sent, stream.requests) == (3, 3, 1)


def test_requests_start_staggered_until_every_slot_runs(pool: RowPool) -> None:
    stream = _stream(duration_s=0.2, tokens_per_s=1000.0)
    batches = [m.batch for m in capacity_messages(stream, pool) if m.HasField("batch")]
    in_flight = [len(b.request_ids) for b in batches]
    assert in_flight[:6] == [1, 1, 2, 3, 3, 4] and max(in_flight) == 4
    starts = [len(b.started) for b in batches[:-1]]
    assert max(starts) == 1  # slots start at different steps


def test_layers_repeat_the_rows_with_the_plugins_offsets(pool: RowPool) -> None:
    stream = _stream(layers=[15, 14, 13], duration_s=0.05)
    batches = [m.batch for m in capacity_messages(stream, pool) if m.HasField("batch")]
    assert [b.layer for b in batches[:3]] == [15, 14, 13]
    offsets = [b.row_offset for b in batches]
    sizes = [b.shape[0] for b in batches]
    assert offsets == list(np.cumsum([0, *sizes[:-1]]))  # contiguous, no gaps
    assert [b.sequence for b in batches] == list(range(len(batches)))
    assert stream.rows_sent == 3 * stream.tokens_sent
    finished = [r for b in batches for r in b.finished_request_ids]
    assert len(finished) == len(set(finished)) == stream.requests  # each once
    assert all(b.finished_request_ids == [] for b in batches if b.layer != 13)


def test_pacing_holds_the_offered_rate(pool: RowPool) -> None:
    stream = _stream(tokens_per_s=400.0, duration_s=0.5)
    list(capacity_messages(stream, pool))
    assert stream.tokens_sent / stream.elapsed_s == pytest.approx(400.0, rel=0.25)


def test_firing_requests_carry_the_signal_from_mid_decode_and_are_timed(pool: RowPool) -> None:
    direction = np.random.default_rng(0).normal(size=D_MODEL)
    stream = _stream(firing_every=2, duration_s=0.2, tokens_per_s=2000.0)
    batches = [m.batch for m in capacity_messages(stream, pool) if m.HasField("batch")]
    assert stream.loud_sent_at and all(t > 0 for t in stream.loud_sent_at.values())
    loud, quiet = [], []
    for b in batches:
        rows = decode_activations(b.data, b.dtype, b.shape[0], D_MODEL)
        for row, i, pos in zip(rows, b.row_request, b.positions, strict=True):
            rid = b.request_ids[i]
            _, slot, index = rid.rsplit("-", 2)
            firing = stream.firing(int(slot), int(index))
            if firing and pos - stream.prompt_tokens + 1 >= stream.tokens // 2:
                loud.append(float(row @ direction))
                assert rid in stream.loud_sent_at
            elif not firing:
                quiet.append(float(row @ direction))
    assert loud and quiet
    assert np.mean(loud) > 8.0 > 4.0 > abs(np.mean(quiet))


def test_sidecar_flags_fill_the_settings() -> None:
    args = build_parser().parse_args(
        [
            "bench",
            "sidecar",
            "--smoke",
            "--vllm-tokens-per-s",
            "120",
            "--stages",
            "probes",
            "--layers",
            "2",
            "--sweep-layers",
            "--sweep-probes",
            "1",
            "16",
            "--sweep-batches",
            "8",
            "256",
            "--encoder-precision",
            "int8",
        ]
    )
    assert args.vllm_tokens_per_s == 120.0 and args.stages == ["probes"]
    assert args.sweep_layers == [] and args.sweep_probes == [1, 16] and args.layers == 2
    assert args.sweep_batches == [8, 256] and args.encoder_precision == "int8"
    assert args.any_core is False
    assert build_parser().parse_args(["bench", "sidecar", "--any-core"]).any_core is True
    smoke = SidecarBenchSettings.smoke()
    assert smoke.level_s < SidecarBenchSettings().level_s
    assert dataclasses.replace(smoke, layers=2).layers == 2


def test_a_tiny_run_through_a_real_sidecar_reports_every_stage() -> None:
    settings = dataclasses.replace(
        SidecarBenchSettings.smoke(),
        stages=("probes", "full", "full-flagged"),
        start_tokens_per_s=300.0,
        level_s=0.5,
        max_levels=2,
        batch=4,
        tokens=8,
        alert_batch=4,
        sweep_layers=(2,),
        sweep_probes=(2,),
        sweep_batches=(2, 6),
        sweep_s=0.5,
    )
    own = os.sched_getaffinity(0)
    result = run_sidecar_bench(settings, {"tokens_per_s": 50.0, "measured": False})
    assert os.sched_getaffinity(0) == own  # the producers' CPUs given back
    if len(own) >= 2:  # the sidecar on the last CPU, the producers on the others
        assert result["sidecar_cpus"] == str(max(own))
        assert result["producer_cpus"] == format_cpu_list(own - {max(own)})
    else:
        assert result["sidecar_cpus"] is None
    assert set(result["stages"]) == {"probes", "full", "full-flagged"}
    for stage in result["stages"].values():
        levels = stage["levels"]
        assert levels and all(lv["rows_sent"] > 0 for lv in levels)
        for lv in levels:
            if lv["sustained"]:
                assert lv["rows_scored"] == lv["rows_sent"] and not lv["rows_dropped"]
    full = result["stages"]["full"]
    assert full["levels"][0]["offered_tokens_per_s"] == 50.0  # vLLM's rate first
    assert full["alert_latency_ms"]["alerts_timed"] >= 1
    flagged = result["stages"]["full-flagged"]  # the encoder on flagged requests only
    assert flagged["alert_latency_ms"]["alerts_timed"] >= 1
    assert set(result["goals"]) == {
        "probes_per_core_x",
        "full_per_core_x",
        "full_flagged_per_core_x",
        "alert_latency_p99_ms",
    }
    (row,) = result["scaling"]
    assert (row["layers"], row["probes_per_layer"]) == (2, 2) and row["scored_tokens_per_s"] > 0
    per_step = result["scaling_rows_per_step"]
    assert [p["rows_per_step"] for p in per_step] == [2, 6]
    assert all(p["scored_tokens_per_s"] > 0 and p["per_core_x"] > 0 for p in per_step)
    json.dumps(result)  # JSON-ready


def test_cpu_per_token_by_thread_drops_the_process_name_and_sorts() -> None:
    from monitor.bench.capacity import per_token_by_thread

    seconds = {"python3/pipeline": 0.4, "python3/event_engine": 0.1, "python3/main": 0.00001}
    assert per_token_by_thread(seconds, 100_000) == {"pipeline": 4.0, "event_engine": 1.0}
    assert list(per_token_by_thread(seconds, 100_000)) == ["pipeline", "event_engine"]
    assert per_token_by_thread(seconds, 0) == {}
