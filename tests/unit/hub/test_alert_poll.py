"""Alert polling across hub replicas: overlapping reads, each alert streamed once."""

from __future__ import annotations

import pytest

from monitor.hub.alert_poll import AlertPoller
from monitor.hub.labels import RecentIds
from monitor.v1 import query_pb2


class Table:
    """An alerts table with insert times (ms), read as the repository reads it."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, query_pb2.Alert]] = []
        self.asked: list[int] = []

    def add(self, at_ms: int, alert_id: str, suppressed: bool = False) -> None:
        self.rows.append((at_ms, query_pb2.Alert(alert_id=alert_id, suppressed=suppressed)))

    def since(self, after_ms: int) -> tuple[list[query_pb2.Alert], int]:
        self.asked.append(after_ms)
        found = sorted((r for r in self.rows if r[0] > after_ms), key=lambda r: r[0])
        return [a for _, a in found], max((t for t, _ in found), default=after_ms)


class Published:
    def __init__(self) -> None:
        self.ids: list[str] = []

    def publish(self, alert: query_pb2.Alert) -> None:
        self.ids.append(alert.alert_id)


def test_each_alert_streams_once_and_late_commits_are_caught() -> None:
    table, out, recent = Table(), Published(), RecentIds()
    poller = AlertPoller(
        table.since, out, recent, interval_s=1.0, overlap_s=5.0, clock=lambda: 100.0
    )
    table.add(99_000, "history")  # stored before this replica started: not streamed
    table.add(100_500, "a")
    table.add(101_000, "muted", suppressed=True)
    assert poller.poll_once() == 1
    assert table.asked == [100_000]  # from the start; later polls overlap by 5 s
    table.add(98_000 + 3_000, "late")  # committed now, stamped within the overlap
    recent.first_time("pushed-here")  # streamed by this replica's own push path
    table.add(102_000, "pushed-here")
    assert poller.poll_once() == 1
    assert table.asked[-1] == 100_000  # overlapping, but never before the start
    table.add(110_000, "b")
    assert poller.poll_once() == 1
    table.add(106_000, "late2")  # a commit that finished after the read of "b"
    assert poller.poll_once() == 1
    assert table.asked[-1] == 110_000 - 5_000
    assert out.ids == ["a", "late", "b", "late2"]
    assert poller.poll_once() == 0


def test_the_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="interval_s"):
        AlertPoller(Table().since, Published(), RecentIds(), interval_s=0)
