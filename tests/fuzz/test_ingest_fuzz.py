"""Property: whatever arrives on Ingest, the sidecar answers OK or INVALID_ARGUMENT as
the contract says, counts every rejection under its reason, creates no metric label from
input, stays SERVING and keeps its memory bounded.

Runs ``LLM_MONITOR_FUZZ_EXAMPLES`` messages (default 10,000) through the real gRPC
server of an in-process sidecar, in streams of up to ~26 messages; derandomized.
"""

from __future__ import annotations

from collections import Counter

import grpc
from hypothesis import HealthCheck, given, settings

from monitor.sidecar.app import Sidecar
from monitor.sidecar.ingest.limits import IngestLimits
from monitor.sidecar.metrics import DEFAULT_MAX_SERIES_PER_FAMILY

from .conftest import FUZZ_MAX_BATCH_BYTES, FUZZ_MESSAGES
from .streams import MARK, Plan, build, plans
from .wire_client import (
    INGEST_CODES,
    SERVING,
    health,
    metrics_text,
    rss_bytes,
    sample_sum,
    send_stream,
    series_count,
)

REJECTED = "llm_monitor_ingest_rejected_total"
#: Samples /metrics may hold after the run (~400 at start, fixed label sets only).
MAX_SERIES = 2000
#: RSS the run may add (allocator high-water of ~0.3 MB messages, SQLite cache, traces).
MAX_RSS_GROWTH = 200 * 1024 * 1024
#: Messages per stream on average (24 batches at most, uniform-ish) for the example count.
MESSAGES_PER_STREAM = 8


def test_ingest_answers_counts_and_stays_bounded(fuzz_sidecar: Sidecar) -> None:
    sidecar = fuzz_sidecar
    max_list = IngestLimits().max_request_list
    before_text = metrics_text(sidecar.metrics_port)
    rss_before = rss_bytes()
    expected: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    sent = {"messages": 0, "streams": 0, "rejected": 0}
    channel = grpc.insecure_channel(
        sidecar.grpc_target, options=[("grpc.max_send_message_length", 64 << 20)]
    )

    @settings(
        max_examples=max(50, FUZZ_MESSAGES // MESSAGES_PER_STREAM),
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(plans(max_list, FUZZ_MAX_BATCH_BYTES))
    def one_stream(plan: Plan) -> None:
        stream = build(plan)
        answer = send_stream(channel, stream.messages)
        sent["messages"] += len(stream.messages)
        sent["streams"] += 1
        assert answer.code in INGEST_CODES, (plan, answer)
        if answer.code == grpc.StatusCode.INVALID_ARGUMENT:
            sent["rejected"] += 1
            reason = answer.details.split(":", 1)[0]
            seen[reason] += 1
            assert len(answer.details) < 1000, answer.details[:200]
        if stream.reason == "*":
            return
        if stream.reason is None:
            assert answer.code == grpc.StatusCode.OK, (plan, answer)
        else:
            assert answer.code == grpc.StatusCode.INVALID_ARGUMENT, (plan, stream.reason)
            assert answer.details.startswith(f"{stream.reason}:"), (plan, answer.details[:200])
            expected[stream.reason] += 1

    try:
        one_stream()
        assert sent["messages"] >= FUZZ_MESSAGES, sent
        assert health(channel) == SERVING
        assert sidecar.pipeline.wait_idle(60.0)
        text = metrics_text(sidecar.metrics_port)
    finally:
        channel.close()

    # every rejection counted, under the reason the client was told
    for reason, count in seen.items():
        counted = sample_sum(text, REJECTED, reason=reason) - sample_sum(
            before_text, REJECTED, reason=reason
        )
        assert counted == count, (reason, counted, count)
    assert sample_sum(text, REJECTED) - sample_sum(before_text, REJECTED) == sent["rejected"]
    assert all(seen[r] >= n for r, n in expected.items())
    # no label value from input; series bounded; no family hit its cap
    assert MARK not in text
    assert series_count(text) < MAX_SERIES, series_count(text)
    assert sample_sum(text, "llm_monitor_metric_series_capped_total") == 0
    assert sample_sum(text, "llm_monitor_pipeline_errors_total") == 0
    assert "nan" not in {line.rsplit(" ", 1)[-1].lower() for line in text.splitlines()}
    growth = rss_bytes() - rss_before
    print(f"fuzz: {sent}, rejected by reason {dict(seen)}, RSS +{growth / 2**20:.1f} MiB")
    assert growth < MAX_RSS_GROWTH, growth
    assert DEFAULT_MAX_SERIES_PER_FAMILY >= 100  # the cap the series count is checked under
