"""Readable pydantic validation errors: one ``source: field.path: message`` line each."""

from __future__ import annotations

from pydantic import ValidationError


def format_errors(source: str, error: ValidationError) -> str:
    """Every error of ``error`` as ``source: dotted.field.path: message``, one per line."""
    lines = []
    for item in error.errors():
        loc = ".".join(str(part) for part in item["loc"]) or "(root)"
        lines.append(f"{source}: {loc}: {item['msg']}")
    return "\n".join(lines)
