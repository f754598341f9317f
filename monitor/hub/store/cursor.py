"""Page cursors of the fleet store: the keyset of the last trace returned, made opaque.

Traces are listed newest first by their first alert; ties are ordered by
``(model_name, request_id, source)``, descending, the rest of the ``traces`` sort key. A
cursor is that key of the last trace of a page, so the next page starts right after it
and pages stay stable while new traces arrive.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

MAX_MICROS = 2**63  # DateTime64(6) values are Int64 microseconds


@dataclass(frozen=True)
class TraceKey:
    """Where a trace sits in the newest-first order."""

    first_alert_us: int  # microseconds since the epoch
    model_name: str
    request_id: str
    source: str


def encode_cursor(key: TraceKey) -> str:
    """Opaque page token for the position after ``key``."""
    raw = json.dumps([key.first_alert_us, key.model_name, key.request_id, key.source])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> TraceKey:
    """The key of a page token; ValueError when malformed."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        first_alert, model_name, request_id, source = json.loads(raw)
        if isinstance(first_alert, bool) or not isinstance(first_alert, int):
            raise TypeError("time")
        if not -MAX_MICROS <= first_alert < MAX_MICROS:
            raise ValueError("time")
        if not all(isinstance(s, str) for s in (model_name, request_id, source)):
            raise TypeError("key")
        return TraceKey(first_alert, model_name, request_id, source)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise ValueError(f"malformed page token {cursor[:40]!r}") from None
