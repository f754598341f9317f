"""The shipper's side of the ring: open each item into batches, never lose a finish.

Opening an item may wait for its device-to-host copy and may find its rows unusable
(the capture did not fire, the labels disagree): those rows are dropped and counted.
Whatever happens to an item's rows, the request ids that finished by its step and the
prompts of requests that started are not dropped with them: they are carried to the next
batch that is sent. Without that, a request whose finishing step was dropped would stay
open in the sidecar, with its buffered tokens, until its idle timeout; and that happens
exactly under overload, when memory is tightest. What is carried is bounded (oldest
forgotten first), so a sidecar that stays away cannot grow it without limit.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Iterable

from monitor.logutil import RateLimitedLog
from monitor.plugin.batch import FINISHED_PER_BATCH, CapturedBatch, Outgoing, Unshippable
from monitor.plugin.request_control import StartedRequest
from monitor.plugin.ring import REASON_OPTED_OUT, REASON_PLUGIN_ERROR, DropCounters

log = logging.getLogger("vllm.llm_monitor")

#: Finished request ids carried while nothing can be sent (oldest forgotten first).
MAX_CARRIED_FINISHED = 65536
#: Prompts of started requests carried while nothing can be sent (oldest forgotten first).
MAX_CARRIED_STARTED = 1024


class Outbox:
    """Turns ring items into batches to encode; carries finishes of dropped items."""

    def __init__(self, drops: DropCounters) -> None:
        self._drops = drops
        self._finished: list[str] = []
        self._started: list[StartedRequest] = []
        self._logs: dict[str, RateLimitedLog] = {}
        # gRPC pulls the stream on its own thread while the shipper's thread may drain
        self._lock = threading.Lock()

    @property
    def carried(self) -> tuple[list[str], list[StartedRequest]]:
        """Copies of the finished ids and prompts waiting for the next batch."""
        with self._lock:
            return list(self._finished), list(self._started)

    def unpack(self, item: Outgoing) -> list[CapturedBatch]:
        """The item's batches, with what was carried attached; [] when its rows are
        dropped (counted; its finishes and prompts carried). Does not release the item.
        A step whose every row belongs to opted-out requests is counted here
        (``opted_out``); otherwise each batch carries its own count for the shipper."""
        try:
            batches = item.batches()
        except Unshippable as exc:
            self._dropped(item, exc.reason, exc.rows, str(exc))
            return []
        except Exception as exc:
            self._dropped(item, REASON_PLUGIN_ERROR, item.rows, f"cannot open a step: {exc!r}")
            return []
        if not batches:
            if item.opted_out_rows:  # stamped: not reported with batches before it
                self._drops.add(REASON_OPTED_OUT, item.opted_out_rows, item.row_offset)
            self.keep(item)
            return []
        with self._lock:
            carried_finished = self._finished[:FINISHED_PER_BATCH]
            del self._finished[:FINISHED_PER_BATCH]
            carried_started, self._started = self._started, []
        if carried_finished:
            last = batches[-1]
            finished = [*carried_finished, *last.finished_request_ids]
            batches[-1] = dataclasses.replace(last, finished_request_ids=finished)
        if carried_started:
            first = batches[0]
            batches[0] = dataclasses.replace(first, started=[*carried_started, *first.started])
        return batches

    def keep(self, item: Outgoing) -> None:
        """Carry the item's finished ids and prompts to the next batch that is sent."""
        self.carry(item.finished_request_ids, item.started)

    def keep_unsent(self, batches: list[CapturedBatch]) -> None:
        """Carry what unpacked batches carried, when they may not all have been sent."""
        if batches:
            self.carry(batches[-1].finished_request_ids, batches[0].started)

    def carry(self, finished: Iterable[str], started: Iterable[StartedRequest]) -> None:
        """Attach these finished ids and prompts to the next batch that is sent."""
        with self._lock:
            self._finished.extend(finished)
            del self._finished[:-MAX_CARRIED_FINISHED]
            self._started.extend(started)
            del self._started[:-MAX_CARRIED_STARTED]

    def discard(self, items: Iterable[Outgoing]) -> None:
        """Items dropped unsent (already counted): keep what they carry, release them."""
        for item in items:
            self.keep(item)
            item.release()

    def _dropped(self, item: Outgoing, reason: str, rows: int, detail: str) -> None:
        self._drops.add(reason, rows, item.row_offset)
        self.keep(item)
        limited = self._logs.get(reason)
        if limited is None:
            limited = self._logs[reason] = RateLimitedLog(log, interval_s=30.0)
        limited.warning("llm-monitor: %s", detail)
