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


@dataclass(frozen=True)
class SoakSettings:
    """``bench soak``: a real ``serve`` process under sustained synthetic decode traffic,
    first with no rule firing, then with rules firing on a fraction of the requests."""

    requests: int = 200
    """Concurrent requests per phase (split among the producers)."""
    tokens: int = 2000
    """Generated (decode) tokens per request, one row per step."""
    prompt_tokens: int = 64
    """Prompt tokens per request, sent as one chunk when the request starts."""
    producers: int = 4
    """Producer threads, each one Ingest stream with its own producer id."""
    firing_fraction: float = 0.01
    """Fraction of the second phase's requests that a rule flags (at least one when > 0)."""
    steps_per_s: float | None = None
    """Engine steps per second of each producer; None: as fast as the sidecar takes them
    (its queue then fills up to its budgets and the excess is dropped and counted)."""
    model_name: str = DEFAULT_MODEL_NAME
    """Model name the producers report and the synthetic probes are trained for."""
    d_model: int = 576
    """Residual width of the synthetic activations (the default model's)."""
    layer: int = 15
    """The captured layer the synthetic probes read."""
    max_queue_bytes: int | None = None
    """``ingest.max_queue_bytes`` to configure; None keeps the sidecar's default."""
    max_buffered_bytes: int | None = None
    """``storage.max_buffered_bytes`` to configure, where the sidecar has it; None keeps
    the sidecar's default."""
    sample_interval_s: float = 0.1
    """Seconds between two RSS samples of the sidecar process."""
    drain_timeout_s: float = 300.0
    """Seconds allowed, after the producers finish, for the sidecar to account every row."""
    seed: int = 0
    """Seed of the synthetic probes and activations."""

    @classmethod
    def short(cls) -> SoakSettings:
        """The CI preset: the same shape, small enough for a unit-test run."""
        return cls(requests=24, tokens=150, prompt_tokens=16, producers=2, firing_fraction=0.25)
