"""Read side of the trace store: the query filter, page sizes and the reader protocol."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from monitor.sidecar.severity import Severity
from monitor.v1 import query_pb2

DEFAULT_PAGE_SIZE = 50  # traces per QueryTraces page when the client asks for 0
MAX_PAGE_SIZE = 1000  # larger requests are capped
DEFAULT_TRACE_TOKENS = 1000  # tokens per GetTrace page when the client asks for 0
MAX_TRACE_TOKENS = 2000  # larger requests are capped (a page stays well under 4 MiB)


def trace_token_limit(max_tokens: int) -> int:
    """Tokens per GetTrace page for a requested count: the default for 0 or less, capped."""
    return DEFAULT_TRACE_TOKENS if max_tokens <= 0 else min(max_tokens, MAX_TRACE_TOKENS)


@dataclass(frozen=True)
class TraceFilter:
    """Filters of a trace query; None / '' means unfiltered."""

    start: datetime | None = None  # aware datetimes (UTC)
    end: datetime | None = None
    concept: str = ""
    min_score: float | None = None
    model_name: str = ""
    min_severity: Severity | None = None
    tenant: str = ""
    request_id: str = ""  # any id form: internal, external, or X-Request-Id
    source: str = ""  # the replica (sidecar instance_id) that stored the trace


class TraceReader(Protocol):
    """Read side of the trace store, used by the query API."""

    def query_traces(
        self, query: TraceFilter, page_size: int, cursor: str
    ) -> tuple[list[query_pb2.TraceSummary], str]:
        """Matching traces newest first and the cursor of the next page ('' if none).
        Raises ValueError for a malformed cursor."""
        ...

    def get_trace(
        self,
        request_id: str,
        model_name: str = "",
        token_offset: int = 0,
        max_tokens: int = 0,
        source: str = "",
    ) -> query_pb2.Trace | None:
        """One stored trace with a page of its tokens, or None. ``request_id`` is vLLM's
        internal id, the id the API client saw, or its ``X-Request-Id`` header; ``model_name``
        and ``source`` ('' = any) narrow it; when several traces match, the newest (by first
        alert) is returned. The tokens from index
        ``token_offset`` (by position), at most ``trace_token_limit(max_tokens)`` of them;
        ``total_tokens`` and ``next_token_offset`` (0 after the last page) are set."""
        ...
