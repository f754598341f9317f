"""What each benchmark measures: frozen settings the ``bench`` commands fill from flags."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from monitor.model.settings import DEFAULT_MODEL_NAME


@dataclass(frozen=True)
class OverheadBenchSettings:
    """``bench overhead``: two engines, one monitored, the same workload alternating."""

    model_dir: Path
    """The model both engines serve."""
    model_name: str = DEFAULT_MODEL_NAME
    """Served model name; also which shipped probes and encoder are used."""
    probe_dir: Path | None = None
    """Probes to score with; None: the shipped ones, else random (synthetic) probes."""
    encoder_dir: Path | None = None
    """Concept encoder to run; None: the shipped one, if any."""
    encoder: bool = True
    """False: score with the probes only, no concept encoder."""
    requests: int = 64
    """Concurrent requests per round."""
    tokens: int = 128
    """Generated tokens per request."""
    rounds: int = 6
    """Rounds per engine, alternating which goes first."""
    enforce_eager: bool = False
    """Run vLLM eager (no compile)."""


@dataclass(frozen=True)
class EncoderBenchSettings:
    """``bench encoder``: onnxruntime encoding of random rows for a fixed time."""

    encoder_dir: Path
    batch_rows: int = 256
    seconds: float = 10.0
    threads: int = 1
    warmup_batches: int = 20
    seed: int = 0
