from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from monitor.sidecar.batch_writer import DROP_CLOSED, DROP_FULL, BatchWriter


class Exporter:
    """Records batches; ``gate`` cleared = export waits; ``fail`` = items that raise."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()
        self.fail: set[int] = set()
        self.shutdowns = 0
        self.errors: list[BaseException] = []
        self.dropped: list[tuple[int, str]] = []
        self.threads: set[str] = set()

    def export(self, batch: list[int]) -> None:
        self.threads.add(threading.current_thread().name)
        self.entered.set()
        assert self.gate.wait(10.0)
        if self.fail & set(batch):
            raise RuntimeError(f"cannot export {batch}")
        self.batches.append(list(batch))

    def shutdown(self) -> None:
        self.shutdowns += 1

    def writer(self, **kw: object) -> BatchWriter[int]:
        return BatchWriter(
            self.export,
            shutdown=self.shutdown,
            on_error=self.errors.append,
            on_drop=lambda item, reason: self.dropped.append((item, reason)),
            name="test-writer",
            **kw,  # type: ignore[arg-type]
        )

    @property
    def exported(self) -> list[int]:
        return [item for batch in self.batches for item in batch]


@pytest.fixture
def exporter() -> Exporter:
    return Exporter()


@pytest.fixture
def started(exporter: Exporter) -> Iterator[BatchWriter[int]]:
    writer = exporter.writer(max_queue=100, max_batch=4)
    writer.start()
    yield writer
    exporter.gate.set()
    writer.close(5.0)


def test_exports_in_order_in_batches_of_at_most_max_batch(
    exporter: Exporter, started: BatchWriter[int]
) -> None:
    exporter.gate.clear()
    assert started.submit(0)
    assert exporter.entered.wait(5.0)  # the worker holds item 0; the rest queue up
    for item in range(1, 10):
        assert started.submit(item)
    exporter.gate.set()
    assert started.flush(5.0)
    assert exporter.exported == list(range(10))
    assert all(len(batch) <= 4 for batch in exporter.batches)
    assert exporter.batches[1] == [1, 2, 3, 4]  # queued items go out together
    assert exporter.threads == {"test-writer"}


def test_full_queue_drops_and_reports(exporter: Exporter) -> None:
    writer = exporter.writer(max_queue=2)  # not started: nothing drains the queue
    assert writer.submit(1) and writer.submit(2)
    assert not writer.submit(3)
    assert exporter.dropped == [(3, DROP_FULL)]
    assert not writer.flush(0.05)


def test_flush_waits_for_what_was_submitted_before_it(
    exporter: Exporter, started: BatchWriter[int]
) -> None:
    exporter.gate.clear()
    assert started.submit(1)
    assert not started.flush(0.05)
    exporter.gate.set()
    assert started.flush(5.0)
    assert exporter.exported == [1]
    assert started.flush(0.0)  # nothing pending


def test_export_error_is_reported_and_the_worker_goes_on(
    exporter: Exporter, started: BatchWriter[int]
) -> None:
    exporter.fail = {1}
    assert started.submit(1)
    assert started.flush(5.0)  # a failed batch counts as processed
    assert started.submit(2)
    assert started.flush(5.0)
    assert [str(e) for e in exporter.errors] == ["cannot export [1]"]
    assert exporter.exported == [2]


def test_a_failing_error_callback_does_not_stop_the_worker(exporter: Exporter) -> None:
    def broken(exc: BaseException) -> None:
        raise ValueError("callback")

    writer = BatchWriter(exporter.export, on_error=broken)
    writer.start()
    exporter.fail = {1}
    assert writer.submit(1) and writer.submit(2)
    assert writer.flush(5.0)
    assert writer.submit(3)
    assert writer.flush(5.0)
    assert exporter.exported[-1] == 3
    assert writer.close(5.0)


def test_close_exports_what_is_queued_then_shuts_down_once(
    exporter: Exporter, started: BatchWriter[int]
) -> None:
    exporter.gate.clear()
    for item in range(6):
        assert started.submit(item)
    exporter.gate.set()
    assert started.close(5.0)
    assert exporter.exported == list(range(6))
    assert exporter.shutdowns == 1
    assert started.close(5.0)  # idempotent
    assert exporter.shutdowns == 1


def test_submit_after_close_drops(exporter: Exporter, started: BatchWriter[int]) -> None:
    assert started.close(5.0)
    assert not started.submit(7)
    assert exporter.dropped == [(7, DROP_CLOSED)]
    assert exporter.exported == []


def test_close_that_times_out_leaves_shutdown_for_a_later_close(
    exporter: Exporter, started: BatchWriter[int]
) -> None:
    exporter.gate.clear()
    assert started.submit(1)
    assert exporter.entered.wait(5.0)
    assert not started.close(0.05)  # the worker is stuck in export
    assert exporter.shutdowns == 0
    exporter.gate.set()
    assert started.close(5.0)
    assert exporter.exported == [1]
    assert exporter.shutdowns == 1


def test_close_without_start_shuts_down_and_reports_what_was_lost(exporter: Exporter) -> None:
    writer = exporter.writer()
    assert writer.close(1.0)  # nothing submitted
    assert exporter.shutdowns == 1
    pending = exporter.writer()
    assert pending.submit(1)
    assert not pending.close(1.0)
    assert exporter.exported == []


def test_housekeeping_runs_at_start_and_on_schedule(exporter: Exporter) -> None:
    now = [100.0]
    runs: list[float] = []
    ran = threading.Event()

    def housekeeping() -> None:
        runs.append(now[0])
        ran.set()
        if len(runs) == 2:
            raise RuntimeError("prune failed")

    writer = exporter.writer(
        housekeeping=housekeeping, housekeeping_interval_s=60.0, clock=lambda: now[0]
    )
    writer.start()
    try:
        assert ran.wait(5.0)
        assert runs == [100.0]
        ran.clear()
        now[0] = 161.0  # the worker looks at the schedule at least once a second
        assert ran.wait(5.0)
        assert runs == [100.0, 161.0]
        assert writer.submit(1) and writer.flush(5.0)  # the error did not stop the worker
    finally:
        assert writer.close(5.0)
    assert [str(e) for e in exporter.errors] == ["prune failed"]


def test_start_twice_start_after_close_and_bad_sizes_are_refused(exporter: Exporter) -> None:
    writer = exporter.writer()
    writer.start()
    with pytest.raises(RuntimeError, match="already started"):
        writer.start()
    assert writer.close(5.0)
    closed = exporter.writer()
    closed.close(1.0)
    with pytest.raises(RuntimeError, match="test-writer is closed"):
        closed.start()
    with pytest.raises(ValueError, match="max_queue must be > 0, got 0"):
        exporter.writer(max_queue=0)
    with pytest.raises(ValueError, match="max_batch must be > 0, got -1"):
        exporter.writer(max_batch=-1)


class Flaky:
    """Fails the first ``failures`` exports, then records batches."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.attempts = 0
        self.batches: list[list[int]] = []
        self.done: list[list[int]] = []
        self.failed: list[tuple[list[int], str]] = []

    def export(self, batch: list[int]) -> None:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise OSError(f"attempt {self.attempts} failed")
        self.batches.append(list(batch))

    def writer(self, attempts: int) -> BatchWriter[int]:
        return BatchWriter(
            self.export,
            on_error=lambda exc: None,
            on_done=lambda batch: self.done.append(list(batch)),
            on_failed=lambda batch, exc: self.failed.append((list(batch), str(exc))),
            max_attempts=attempts,
            retry_backoff_s=0.01,
        )


def test_a_failed_batch_is_retried_until_it_is_exported() -> None:
    flaky = Flaky(failures=2)
    writer = flaky.writer(attempts=3)
    writer.start()
    assert writer.submit(1)
    assert writer.flush(10.0)
    assert flaky.attempts == 3
    assert flaky.batches == [[1]] and flaky.done == [[1]] and flaky.failed == []
    assert writer.failing_for() == 0.0  # recovered
    age = writer.last_error_age()
    assert age is not None and age < 10.0
    writer.close()


def test_a_batch_failing_every_attempt_goes_to_on_failed_and_the_writer_goes_on() -> None:
    flaky = Flaky(failures=2)
    writer = flaky.writer(attempts=2)
    writer.start()
    assert writer.submit(1) and writer.flush(10.0)
    assert flaky.failed == [([1], "attempt 2 failed")] and flaky.done == []
    assert writer.failing_for() > 0.0
    assert writer.submit(2) and writer.flush(10.0)
    assert flaky.done == [[2]]
    assert writer.alive()
    writer.close()
    assert not writer.alive()


def test_close_does_not_wait_out_the_retries() -> None:
    flaky = Flaky(failures=1000)
    writer = BatchWriter(
        flaky.export,
        on_error=lambda exc: None,
        on_failed=lambda batch, exc: flaky.failed.append((list(batch), str(exc))),
        max_attempts=1000,
        retry_backoff_s=5.0,
    )
    writer.start()
    assert writer.submit(1)
    while flaky.attempts == 0:
        threading.Event().wait(0.01)
    assert writer.close(timeout=5.0)
    assert [batch for batch, _ in flaky.failed] == [[1]]


def test_the_worker_restarts_after_an_unexpected_error(monkeypatch: pytest.MonkeyPatch) -> None:
    errors: list[BaseException] = []
    exported: list[list[int]] = []
    writer: BatchWriter[int] = BatchWriter(exported.append, on_error=errors.append)
    original = writer._export_with_retries
    calls = [0]

    def broken_once(batch: list[int]) -> None:
        calls[0] += 1
        if calls[0] == 1:
            raise RuntimeError("worker bug")
        original(batch)

    monkeypatch.setattr(writer, "_export_with_retries", broken_once)
    writer.start()
    assert writer.submit(1) and writer.flush(10.0)  # the batch counts as processed
    assert writer.submit(2) and writer.flush(10.0)
    assert writer.alive() and writer.restarts == 1
    assert [str(e) for e in errors] == ["worker bug"]
    assert exported == [[2]]
    writer.close()
