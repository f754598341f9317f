"""The prepared model's directory: its marker file, completeness and lock.

``llm-monitor-model.json`` records the source file and its sha256; when it matches,
preparing again does nothing. A lock file next to the directory serialises preparations
across processes.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.metadata
import json
import os
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from monitor.model.settings import DEFAULT_MODEL_NAME
from monitor.model.source import SOURCE_PACKAGE, SOURCE_VERSION

MARKER_NAME = "llm-monitor-model.json"
MARKER_FORMAT = 1
SAVED_DTYPE = "bfloat16"

_VERSIONED_PACKAGES = ("llm-monitor", "transformers", "torch", "gguf", "accelerate", "safetensors")


def _package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in _VERSIONED_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def build_marker(source_path: Path, source_sha256: str) -> dict[str, Any]:
    """The marker written next to a prepared model."""
    return {
        "format": MARKER_FORMAT,
        "model": DEFAULT_MODEL_NAME,
        "source_package": SOURCE_PACKAGE,
        "source_package_version": SOURCE_VERSION,
        "source_file": source_path.name,
        "source_sha256": source_sha256,
        "dtype": SAVED_DTYPE,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": _package_versions(),
        "check": None,
    }


def read_marker(model_dir: Path) -> dict[str, Any] | None:
    """The marker of a model directory, or None when it is missing or unreadable."""
    try:
        data = json.loads((model_dir / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_marker(model_dir: Path, marker: dict[str, Any]) -> None:
    """Write the marker atomically (temporary file, then rename)."""
    target = model_dir / MARKER_NAME
    tmp = target.with_name(f".{MARKER_NAME}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, target)


def marker_matches(marker: dict[str, Any] | None, source_file: str, source_sha256: str) -> bool:
    """Whether a marker describes a model made from exactly this source file."""
    return (
        marker is not None
        and marker.get("format") == MARKER_FORMAT
        and marker.get("source_file") == source_file
        and marker.get("source_sha256") == source_sha256
    )


def missing_files(model_dir: Path) -> list[str]:
    """What a complete model directory lacks (empty when nothing is missing)."""
    missing = [
        name
        for name in ("config.json", "tokenizer_config.json", MARKER_NAME)
        if not (model_dir / name).is_file()
    ]
    if not any(model_dir.glob("*.safetensors")):
        missing.append("*.safetensors")
    return missing


def is_prepared(model_dir: Path, source_file: str, source_sha256: str) -> bool:
    """Whether ``model_dir`` holds a complete model made from this source file."""
    return (
        model_dir.is_dir()
        and marker_matches(read_marker(model_dir), source_file, source_sha256)
        and not missing_files(model_dir)
    )


@contextlib.contextmanager
def locked(model_dir: Path) -> Iterator[None]:
    """Serialise preparations of one model directory across processes."""
    model_dir.parent.mkdir(parents=True, exist_ok=True)
    lock_path = model_dir.with_name(f".{model_dir.name}.lock")
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
