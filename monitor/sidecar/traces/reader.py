"""Read side of the trace store: the query filter, page sizes and the reader protocol."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from monitor.sidecar.severity import Severity
from monitor.v1 import query_pb2

DEFAULT_PAGE_SIZE = 50  # traces per QueryTraces page when the client asks for 0
MAX_PAGE_SIZE = 1000  # larger requests are capped


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
