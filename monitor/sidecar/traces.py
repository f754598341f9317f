"""Plain types shared by the rule engine, the trace store and the query API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from monitor.v1 import query_pb2

Severity = Literal["info", "warning", "critical"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "critical")  # ascending

DEFAULT_PAGE_SIZE = 50  # traces per QueryTraces page when the client asks for 0
MAX_PAGE_SIZE = 1000  # larger requests are capped


def severity_rank(severity: str) -> int:
    """0 for info, 1 for warning, 2 for critical; ValueError for anything else."""
    try:
        return SEVERITIES.index(severity)
    except ValueError:
        raise ValueError(
            f"unknown severity {severity!r}; expected one of {', '.join(SEVERITIES)}"
        ) from None


@dataclass(frozen=True)
class TraceFilter:
    """Filters of a trace query; None / '' means unfiltered."""

    start: datetime | None = None  # aware datetimes (UTC)
    end: datetime | None = None
    concept: str = ""
    min_score: float | None = None
    model_name: str = ""
    min_severity: Severity | None = None


class TraceReader(Protocol):
    """Read side of the trace store, used by the query API."""

    def query_traces(
        self, query: TraceFilter, page_size: int, cursor: str
    ) -> tuple[list[query_pb2.TraceSummary], str]:
        """Matching traces newest first and the cursor of the next page ('' if none).
        Raises ValueError for a malformed cursor."""
        ...

    def get_trace(self, request_id: str, model_name: str = "") -> query_pb2.Trace | None:
        """One stored trace with all its tokens, or None."""
        ...


class AlertPublisher(Protocol):
    """Where fired alerts go (the WatchAlerts fan-out); ``publish`` never blocks."""

    def publish(self, alert: query_pb2.Alert) -> None:
        """Hand one alert to every current subscriber."""
        ...
