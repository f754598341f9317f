"""``IngestLimits``: the bounds the ingest puts on what one message may make it hold.

A plain dataclass so the ingest wing does not depend on the configuration module; the
sidecar fills it from ``ingest:`` of monitor.yaml (``IngestConfig``, same names and
defaults). Each bound exists because the field it limits is producer input that would
otherwise turn into memory, metric series or counter increments without limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Layers one Hello may name (no served model has more decoder layers).
MAX_HELLO_LAYERS = 1024
#: Drop counters one message may carry (the plugin has a handful of reasons).
MAX_DROP_COUNTERS = 64
#: Producers whose drop accounting is remembered (least recently seen are forgotten).
MAX_PRODUCERS = 4096
#: Characters of a model name used as a metric label when no model is configured.
MAX_MODEL_LABEL = 128


@dataclass(frozen=True)
class IngestLimits:
    """Per-message bounds of the ingest (see ``IngestConfig`` for the descriptions)."""

    max_abs_activation: float = 1e6
    max_request_list: int = 16384
    max_dropped_rows_per_batch: int = 1 << 22

    @classmethod
    def of(cls, config: Any) -> IngestLimits:
        """The limits named like fields of ``config`` (an ``IngestConfig``), defaults for
        any it lacks."""
        defaults = cls()
        return cls(
            **{
                name: getattr(config, name, getattr(defaults, name))
                for name in ("max_abs_activation", "max_request_list", "max_dropped_rows_per_batch")
            }
        )
