"""SQL literals for ClickHouse statements built as text (the executors take plain SQL).

Every value from a request or a sidecar goes through one of these functions, never into
a statement as it is: strings are quoted with every byte that could end or bend the
literal escaped, numbers are checked to be numbers, names to be plain identifiers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def identifier(name: str) -> str:
    """A database or table name as it may appear unquoted; ValueError otherwise."""
    if not _IDENTIFIER.match(name):
        raise ValueError(
            f"invalid name {name!r}: letters, digits and underscores, not starting with a digit"
        )
    return name


def string(value: str) -> str:
    """A quoted string literal (backslash escapes for quotes, backslashes and control
    characters)."""
    out = []
    for char in value:
        if char in ("\\", "'"):
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    return "'" + "".join(out) + "'"


def strings(values: Iterable[str]) -> str:
    """A parenthesised list of string literals (for ``IN``)."""
    return "(" + ", ".join(string(value) for value in values) + ")"


def integer(value: int) -> str:
    """An integer literal."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"not an integer: {value!r}")
    return str(value)


def number(value: float) -> str:
    """A finite float literal."""
    result = float(value)
    if not math.isfinite(result):
        raise ValueError(f"not a finite number: {value!r}")
    return repr(result)


def micros(seconds: float) -> int:
    """Seconds since the epoch as the integer microseconds of a ``DateTime64(6)``."""
    return round(float(seconds) * 1_000_000)


def time_literal(seconds: float) -> str:
    """A ``DateTime64(6, 'UTC')`` value for seconds since the epoch."""
    return f"fromUnixTimestamp64Micro(toInt64({micros(seconds)}), 'UTC')"


def time_micros(us: int) -> str:
    """A ``DateTime64(6, 'UTC')`` value for integer microseconds since the epoch."""
    return f"fromUnixTimestamp64Micro(toInt64({integer(us)}), 'UTC')"
