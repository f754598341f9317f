"""Group commit: concurrent pushes written to the fleet store in one ``apply``.

Every insert into ClickHouse has a fixed cost (a new part, an fsync with chDB) besides its
rows, so the hub writes the pushes that arrive while a write is under way together: the
first caller becomes the writer and takes everything queued; callers that arrive meanwhile
wait, and the next of them writes the next group. Each caller returns only after the write
that held its updates committed (or raises that write's error), so a push is still
acknowledged only after its own rows are durable. No thread is started here: writers are
the callers' threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from monitor.sidecar.traces.writer import TraceUpdate

Apply = Callable[[Sequence[TraceUpdate]], None]

DEFAULT_MAX_GROUP_ROWS = 500_000  # token rows per write, at most (one push is never split)


@dataclass
class _Entry:
    updates: Sequence[TraceUpdate]
    rows: int
    done: bool = False
    error: BaseException | None = None


def token_rows(updates: Sequence[TraceUpdate]) -> int:
    """Token rows (tokens x layers) of ``updates``."""
    return sum(len(chunk) for update in updates for chunk in update.tokens)


class GroupCommit:
    """Writes the updates of concurrent callers together (thread-safe)."""

    def __init__(self, apply: Apply, max_group_rows: int = DEFAULT_MAX_GROUP_ROWS) -> None:
        if max_group_rows <= 0:
            raise ValueError(f"max_group_rows must be positive, got {max_group_rows}")
        self._apply = apply
        self._max_rows = max_group_rows
        self._cond = threading.Condition()
        self._pending: list[_Entry] = []
        self._writing = False
        self.writes = 0  # groups written (tests, metrics)

    def apply(self, updates: Sequence[TraceUpdate]) -> None:
        """Write ``updates`` (with whatever else is waiting); returns once committed,
        raises the error of the write that held them."""
        entry = _Entry(updates, token_rows(updates))
        with self._cond:
            self._pending.append(entry)
        while True:
            with self._cond:
                while not entry.done and self._writing:
                    self._cond.wait()
                if entry.done:
                    break
                self._writing = True
                group = self._take()
            self._write(group)  # may leave ``entry`` for the next group when it is full
        if entry.error is not None:
            raise entry.error

    def _write(self, group: list[_Entry]) -> None:
        error: BaseException | None = None
        try:
            self._apply([update for item in group for update in item.updates])
        except BaseException as exc:
            error = exc
        with self._cond:
            for item in group:
                item.done, item.error = True, error
            self._writing = False
            self.writes += 1
            self._cond.notify_all()

    def _take(self) -> list[_Entry]:
        """The oldest waiting entries up to ``max_group_rows`` (at least one); under the
        lock."""
        group: list[_Entry] = []
        rows = 0
        while self._pending and (not group or rows + self._pending[0].rows <= self._max_rows):
            item = self._pending.pop(0)
            group.append(item)
            rows += item.rows
        return group
