"""Log output: rate-limited logging, and the line format of the CLI and the sidecar.

``RateLimitedLog`` turns repeated errors into one line per interval, not one per item
(shared by the plugin and the sidecar; neither imports the other). ``log_format()`` reads
``LLM_MONITOR_LOG_FORMAT`` (``text``, the default, or ``json``) and ``log_handler`` writes
records in that format: with ``json`` one JSON object per line (``time``, ``level``,
``logger``, ``message``, and ``exception`` / ``stack`` when the record has them).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import IO, Literal

from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOG_FORMAT_ENV = "LLM_MONITOR_LOG_FORMAT"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

LogFormat = Literal["text", "json"]


class LogFormatError(ValueError):
    """``LLM_MONITOR_LOG_FORMAT`` holds a value other than ``text`` or ``json``."""


class LogSettings(BaseSettings):
    """Logging settings from the environment (``LLM_MONITOR_LOG_*``)."""

    model_config = SettingsConfigDict(env_prefix="LLM_MONITOR_LOG_", extra="ignore")

    format: LogFormat = "text"

    @field_validator("format", mode="before")
    @classmethod
    def _normalise(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


def log_format() -> LogFormat:
    """The log format the environment asks for; ``LogFormatError`` naming the variable and
    the accepted values when it is not one of them."""
    try:
        return LogSettings().format
    except ValidationError as exc:
        got = exc.errors()[0].get("input")
        raise LogFormatError(
            f"invalid {LOG_FORMAT_ENV}={got!r}: expected 'text' (the default) or 'json'"
        ) from None


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: time (UTC, ISO 8601), level, logger,
    message, and the exception or stack text when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, tz=timezone.utc)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def log_handler(fmt: LogFormat, stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing to ``stream`` (stderr by default) in ``fmt``."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    return handler


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
