"""Page cursors of trace queries: opaque tokens for the position after the last trace.

Traces are listed newest first by the time of their first alert, ties broken by a
backend's row id (newest first too); a cursor is that (first alert time, row id) pair, so
pages stay stable while new traces arrive.
"""

from __future__ import annotations

import base64
import binascii
import json
import math

from monitor.sidecar.traces.reader import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

MAX_ROW_ID = 2**63  # row ids are SQLite integers: non-negative and below this


def page_limit(page_size: int) -> int:
    """Traces per page for a requested size: the default for 0 or less, capped."""
    return DEFAULT_PAGE_SIZE if page_size <= 0 else min(page_size, MAX_PAGE_SIZE)


def encode_cursor(first_alert: float, row_id: int) -> str:
    """Opaque page token for the position after (first_alert, row_id)."""
    raw = json.dumps([first_alert, row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, int]:
    """The (first_alert, row_id) of a page token; ValueError when malformed."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        first_alert, row_id = json.loads(raw)
        if isinstance(row_id, bool) or not isinstance(row_id, int) or not 0 <= row_id < MAX_ROW_ID:
            raise TypeError("row id")
        value = float(first_alert)
        if not math.isfinite(value):
            raise ValueError("time")
        return value, row_id
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise ValueError(f"malformed page token {cursor[:40]!r}") from None
