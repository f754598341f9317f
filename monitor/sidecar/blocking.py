"""``BlockingCalls``: synchronous work of the query API, off the event loop and bounded.

The trace reader and the rule reload are synchronous. They run on worker threads so a
slow store never stalls the gRPC event loop: queries (``QueryTraces``, ``GetTrace``) on
one worker (a store that keeps one connection per thread sees one), ``ReloadRules`` on
another, so a slow query never delays a reload.

Bounds: at most ``max_pending`` calls per worker wait or run; one more is refused at
once with RESOURCE_EXHAUSTED (``llm_monitor_query_refused_total{reason="queue_full"}``),
so a burst of slow queries cannot queue unbounded work. A call whose deadline passes
while it waits is answered DEADLINE_EXCEEDED and, when its turn comes, not run at all
(``reason="deadline"``); a call already running finishes, and its slot stays taken until
then.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NoReturn, TypeVar

import grpc

from monitor.logutil import RateLimitedLog
from monitor.sidecar.config import ConfigError
from monitor.sidecar.metrics import SidecarMetrics
from monitor.sidecar.service_metrics import ServiceMetrics

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_MAX_PENDING = 64
ADMIN_METHODS = frozenset({"ReloadRules"})


class _Expired(Exception):
    """The caller's deadline passed before the call's turn came."""


class _Lane:
    """One worker thread and the count of calls waiting for or running on it."""

    def __init__(self, name: str, max_pending: int) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self.max_pending = max_pending
        self.pending = 0
        self.lock = threading.Lock()

    def reserve(self) -> bool:
        with self.lock:
            if self.pending >= self.max_pending:
                return False
            self.pending += 1
            return True

    def release(self) -> None:
        with self.lock:
            self.pending -= 1


class BlockingCalls:
    """Runs synchronous calls on bounded worker threads, within the caller's gRPC deadline."""

    def __init__(
        self,
        metrics: SidecarMetrics,
        model_name: str,
        name: str,
        *,
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> None:
        if max_pending <= 0:
            raise ValueError(f"max_pending must be positive, got {max_pending}")
        self._metrics = metrics.model(model_name)
        self._refused = ServiceMetrics.of(metrics.registry).query_refused
        self._model_name = model_name
        self._query = _Lane(name, max_pending)
        self._admin = _Lane(f"{name}-admin", max_pending)
        self._error_log = RateLimitedLog(log)

    def pending(self, method: str = "QueryTraces") -> int:
        """Calls waiting for or running on the worker that serves ``method``."""
        return self._lane(method).pending

    async def call(self, context: grpc.aio.ServicerContext, method: str, fn: Callable[[], T]) -> T:
        """``fn()`` on the method's worker. Aborts with RESOURCE_EXHAUSTED when the worker
        already has ``max_pending`` calls, with DEADLINE_EXCEEDED when the deadline is
        already past or passes while waiting, and with INTERNAL (counted, logged at a
        limited rate) when ``fn`` raises anything but ``ValueError``/``ConfigError``,
        which the caller handles."""
        remaining = context.time_remaining()
        if remaining is not None and remaining <= 0:
            await _abort(context, grpc.StatusCode.DEADLINE_EXCEEDED, "deadline already passed")
        lane = self._lane(method)
        if not lane.reserve():
            self._refused.labels(self._model_name, method, "queue_full").inc()
            await _abort(
                context,
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"{method}: {lane.max_pending} calls already waiting; retry later",
            )
        deadline = None if remaining is None else time.monotonic() + remaining

        def run() -> T:
            try:
                if deadline is not None and time.monotonic() >= deadline:
                    self._refused.labels(self._model_name, method, "deadline").inc()
                    raise _Expired
                return fn()
            finally:
                lane.release()

        loop = asyncio.get_running_loop()
        try:
            future = loop.run_in_executor(lane.executor, run)
        except RuntimeError:  # shut down
            lane.release()
            await _abort(context, grpc.StatusCode.UNAVAILABLE, "the sidecar is stopping")
        future.add_done_callback(_consume)  # a call left behind by its caller fails silently
        try:
            # shielded: a queued call must reach ``run`` (which skips it and frees its slot)
            # rather than be cancelled unseen
            return await asyncio.wait_for(asyncio.shield(future), timeout=remaining)
        except (asyncio.TimeoutError, _Expired):
            await _abort(context, grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded")
        except (ValueError, ConfigError):
            raise
        except Exception as exc:
            self._metrics.query_errors(method).inc()
            self._error_log.error("%s failed: %r", method, exc)
            await _abort(
                context, grpc.StatusCode.INTERNAL, f"{method} failed: {type(exc).__name__}"
            )

    def shutdown(self) -> None:
        """Stop the worker threads (running calls finish, queued ones are dropped)."""
        for lane in (self._query, self._admin):
            lane.executor.shutdown(wait=False, cancel_futures=True)

    def _lane(self, method: str) -> _Lane:
        return self._admin if method in ADMIN_METHODS else self._query


def _consume(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


async def _abort(
    context: grpc.aio.ServicerContext, code: grpc.StatusCode, details: str
) -> NoReturn:
    await context.abort(code, details)
    raise AssertionError("unreachable: context.abort raises")  # pragma: no cover
