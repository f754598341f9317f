"""Shared argparse pieces: value types, defaults read from settings dataclasses, output.

Flags never restate a default: :func:`default_of` reads it from the frozen settings
dataclass the command fills, so the flag and the library cannot drift apart.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

from monitor.cli.exit_codes import CommandError, ExitCode


def default_of(cls: type, name: str) -> Any:
    """The default of field ``name`` of dataclass ``cls`` (calling its factory if it has one).

    Raises ``KeyError`` for an unknown field and ``TypeError`` for a field without default.
    """
    for fld in dataclasses.fields(cls):
        if fld.name != name:
            continue
        if fld.default is not dataclasses.MISSING:
            return fld.default
        if fld.default_factory is not dataclasses.MISSING:
            return fld.default_factory()
        raise TypeError(f"{cls.__name__}.{name} has no default")
    raise KeyError(f"{cls.__name__} has no field {name!r}")


def _number(text: str, kind: type[int] | type[float]) -> int | float:
    try:
        return kind(text)
    except ValueError:
        what = "an integer" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None


def positive_int(text: str) -> int:
    """argparse type: an integer > 0."""
    value = int(_number(text, int))
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    value = int(_number(text, int))
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a number > 0."""
    value = float(_number(text, float))
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return value


def existing_file(flag: str, path: Path) -> Path:
    """``path`` when it is a file; else a usage error naming ``flag``."""
    if not path.is_file():
        raise CommandError(f"{flag}: no such file: {path}", ExitCode.USAGE)
    return path


def print_json(result: Any, path: Path | None = None) -> None:
    """Print ``result`` as indented JSON, and write it to ``path`` too when given."""
    text = json.dumps(result, indent=2)
    print(text)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")


def model_dir_or_default(given: Path | None) -> Path:
    """``given``, else the default model's directory, prepared now if it is not yet
    (``CommandError`` when that fails)."""
    from monitor import model

    if given is not None:
        return given
    try:
        return model.prepare(model.ModelSettings(), check=False)
    except model.ModelError as exc:
        raise CommandError(f"cannot prepare the default model: {exc}") from None


def cpu_list(text: str) -> str:
    """argparse type of a CPU list (``1`` or ``0,2-3``)."""
    from monitor.placement import parse_cpu_list

    try:
        parse_cpu_list(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def cpu_setting(text: str) -> str:
    """argparse type of a CPU placement: auto, inherit or a CPU list."""
    from monitor.placement import check_setting

    try:
        return check_setting(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
