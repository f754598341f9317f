"""Rate-limited logging: repeated errors become one line per interval, not one per item.

Shared by the plugin and the sidecar (neither imports the other).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable


class RateLimitedLog:
    """Logs at most one message per ``interval_s``, reporting how many were suppressed."""

    def __init__(
        self,
        logger: logging.Logger,
        interval_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._interval = interval_s
        self._clock = clock
        self._last: float | None = None
        self._suppressed = 0
        self._lock = threading.Lock()

    def log(self, level: int, msg: str, *args: object, exc_info: bool = False) -> bool:
        """Log now or count as suppressed; returns whether a line was written."""
        now = self._clock()
        with self._lock:
            if self._last is not None and now - self._last < self._interval:
                self._suppressed += 1
                return False
            suppressed, self._suppressed = self._suppressed, 0
            self._last = now
        if suppressed:
            msg = f"{msg} ({suppressed} similar messages suppressed)"
        self._logger.log(level, msg, *args, exc_info=exc_info)
        return True

    def error(self, msg: str, *args: object, exc_info: bool = False) -> bool:
        return self.log(logging.ERROR, msg, *args, exc_info=exc_info)

    def warning(self, msg: str, *args: object) -> bool:
        return self.log(logging.WARNING, msg, *args)
