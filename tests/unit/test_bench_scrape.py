"""The benchmarks' reading of a sidecar's /metrics (a real prometheus_client server)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

from monitor.bench.overhead import free_port
from monitor.bench.sidecar_scrape import SCORED, scrape, settle


@pytest.fixture
def metrics() -> Iterator[tuple[int, Histogram, Counter]]:
    registry = CollectorRegistry()
    lag = Histogram("llm_monitor_capture_to_score_seconds", "", ["model_name"], registry=registry)
    alerts = Counter("llm_monitor_alerts", "", ["concept"], registry=registry)
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    yield port, lag, alerts
    server.shutdown()
    thread.join(5)


def test_scrape_sums_labels_and_keeps_buckets_and_alerts_by_concept(
    metrics: tuple[int, Histogram, Counter],
) -> None:
    port, lag, alerts = metrics
    lag.labels("a").observe(0.003)
    lag.labels("b").observe(0.2)
    alerts.labels("misuse").inc(2)
    alerts.labels("deception").inc()
    totals = scrape(port)
    assert totals[SCORED] == 2
    assert totals["llm_monitor_capture_to_score_seconds_bucket:le=0.005"] == 1
    assert totals["llm_monitor_capture_to_score_seconds_bucket:le=0.25"] == 2
    assert totals["llm_monitor_alerts_total"] == 3
    assert totals["llm_monitor_alerts_total:misuse"] == 2


def test_settle_waits_until_scoring_stops(metrics: tuple[int, Histogram, Counter]) -> None:
    port, lag, _ = metrics
    stop = threading.Event()

    def scoring() -> None:  # a backlog still being scored
        for _ in range(60):
            if stop.wait(0.02):
                return
            lag.labels("a").observe(0.01)

    worker = threading.Thread(target=scoring)
    start = time.monotonic()
    worker.start()
    try:
        totals = settle(port, quiet_s=0.5, timeout_s=20)
    finally:
        stop.set()
        worker.join()
    assert totals[SCORED] == 60  # everything, not what had come when it was called
    assert time.monotonic() - start >= 1.2 + 0.5


def test_settle_gives_up_after_its_timeout(metrics: tuple[int, Histogram, Counter]) -> None:
    port, lag, _ = metrics
    stop = threading.Event()

    def scoring() -> None:
        while not stop.wait(0.05):
            lag.labels("a").observe(0.01)

    worker = threading.Thread(target=scoring)
    worker.start()
    try:
        start = time.monotonic()
        totals = settle(port, quiet_s=1.0, timeout_s=1.5)
        assert 1.5 <= time.monotonic() - start < 5.0
        assert totals[SCORED] > 0
    finally:
        stop.set()
        worker.join()
