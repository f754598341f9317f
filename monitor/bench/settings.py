"""What each benchmark measures: frozen settings the ``bench`` commands fill from flags."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from monitor.bench.workload import Workload
from monitor.cpu import ServingDtype
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
    rounds: int = 10
    """Rounds per engine, alternating which goes first (the paired ratios' sample)."""
    enforce_eager: bool = False
    """Run vLLM eager (no compile)."""
    extra_layers: tuple[int, ...] = ()
    """Layers to capture besides those the probes and encoder read (capture cost grows
    with the layers captured)."""
    dtype: ServingDtype | None = None
    """Serving dtype; None: ``LLM_MONITOR_DTYPE``, else what suits this CPU."""
    sweep_requests: tuple[int, ...] = (1, 8)
    """Other concurrencies of the scaling table (besides ``requests``)."""
    trace_store: Literal["sqlite", "hub"] = "sqlite"
    """Where the sidecar stores flagged traces: its SQLite file, or hub mode shipping to an
    ``llm-monitor hub`` (chDB) started beside it on this machine."""
    sidecar_nice: int = 0
    """Nice value of the sidecar process (0: as vLLM). Where vLLM's engine uses every core
    of the host (a CPU-served model), a niced sidecar takes CPU only when the engine leaves
    some, and catches up after bursts: throughput for alert latency."""
    sidecar_cpus: str = "auto"
    """Where the sidecar runs once the engines are up, as ``up`` places it: ``auto`` (the
    CPUs vLLM's compute threads are not bound to), ``inherit`` or a CPU list."""
    workload: Workload = "ordinary"
    """The chats sent (:mod:`monitor.bench.workload`): everyday requests, or stories that
    get nearly every request flagged."""
    sweep_rounds: int = 2
    """Rounds per engine at each of them."""
    confidence: float = 0.95
    """Confidence of the bootstrap intervals."""
    seed: int = 0
    """Seed of the bootstrap resampling."""


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


@dataclass(frozen=True)
class SidecarBenchSettings:
    """``bench sidecar``: how many tokens/s one sidecar sustains, stage by stage, against
    the unmonitored vLLM generation rate of the same machine."""

    stages: tuple[str, ...] = ("probes", "encoder", "full", "full-flagged")
    """What the sidecar runs: probes only; + the concept encoder; + rules and trace store;
    the same with the encoder on flagged requests only."""
    one_core: bool = True
    """The sidecar's threads on one CPU (the last) and the producers on the others, as
    the goals count a core; False: wherever the kernel puts them."""
    start_tokens_per_s: float = 2000.0
    """Offered rate of the first level of each stage's ladder."""
    growth: float = 1.5
    """Each level offers this many times the previous one, until the sidecar drops."""
    level_s: float = 4.0
    """Seconds each level streams."""
    max_levels: int = 16
    """Levels at most per stage."""
    producers: int = 2
    """Producer streams, each its own thread and ``Ingest`` stream."""
    batch: int = 256
    """Requests in flight per producer (rows per decode step). The goals are multiples of
    vLLM's rate that only an accelerator reaches, and an engine producing 100k tokens/s
    runs decode steps of hundreds of rows; ``sweep_batches`` shows smaller steps."""
    tokens: int = 64
    """Decode tokens per request."""
    prompt_tokens: int = 16
    """Prompt tokens per request (sent as rows in the request's first step)."""
    layers: int = 1
    """Captured layers (every token is one row per layer)."""
    probes: int = 3
    """Probes loaded per layer (synthetic)."""
    firing_every: int = 20
    """In the ``full`` stage every n-th request makes a rule fire (its alert is timed)."""
    alert_batch: int = 8
    """Requests in flight of the ``full`` stage's first level, streamed at vLLM's rate
    (one producer, every second request firing): where alert latency is read."""
    sweep_layers: tuple[int, ...] = (1, 2, 3, 4)
    """Layer counts of the scaling table (empty: no table)."""
    sweep_probes: tuple[int, ...] = (1, 4, 16)
    """Probe counts of the scaling table (empty: no table)."""
    sweep_batches: tuple[int, ...] = (8, 32, 64, 256)
    """Rows per step of the per-step table (probes-only, one layer; empty: no table)."""
    sweep_s: float = 4.0
    """Seconds of unpaced traffic per point of the scaling tables."""
    vllm_tokens_per_s: float | None = None
    """The unmonitored vLLM generation rate to compare with; None: measure it here."""
    model_dir: Path | None = None
    """Model whose generation rate is measured (None: the prepared default)."""
    vllm_requests: int = 64
    """Concurrent requests of the vLLM measurement."""
    vllm_tokens: int = 128
    """Generated tokens per request of the vLLM measurement."""
    vllm_rounds: int = 3
    """Measured rounds of the vLLM measurement (after one warm-up)."""
    dtype: ServingDtype | None = None
    """vLLM's dtype; None: ``LLM_MONITOR_DTYPE``, else what suits this CPU."""
    encoder_dir: Path | None = None
    """Concept encoder of the ``encoder`` and ``full`` stages (None: the shipped one)."""
    encoder_precision: Literal["float32", "int8"] = "float32"
    """Which graph of the encoder those stages run (``encoder_precision`` of the sidecar)."""
    model_name: str = DEFAULT_MODEL_NAME
    d_model: int = 576
    first_layer: int = 15
    """The first captured layer (the shipped encoder's); more layers count down from it."""
    seed: int = 0

    @classmethod
    def smoke(cls) -> SidecarBenchSettings:
        """Seconds, not minutes: proves the bench runs; its figures mean little."""
        return cls(
            start_tokens_per_s=1000.0,
            growth=4.0,
            level_s=1.0,
            max_levels=3,
            sweep_layers=(1, 2),
            sweep_probes=(1, 4),
            sweep_batches=(8, 64),
            sweep_s=1.0,
        )


@dataclass(frozen=True)
class LatencyBenchSettings:
    """``bench latency``: an online workload against vLLM's OpenAI server with and
    without the monitor (two servers, alternating)."""

    model_dir: Path | None = None
    """The model both servers serve (None: the prepared default)."""
    model_name: str = DEFAULT_MODEL_NAME
    arms: tuple[str, ...] = ("unmonitored", "monitored")
    """Servers to measure: ``unmonitored``, ``monitored``, and ``control`` (a second
    unmonitored server: set against the first, its ratios show what the host's noise
    alone does to these figures). One alone gives no ratios."""
    rounds: int = 3
    """Rounds per rate: each sends the same arrivals to each server in turn; every
    server's rounds are pooled (more rounds: narrower intervals, longer runs)."""
    rates: tuple[float, ...] = ()
    """Request rates (requests/s) of the Poisson arrivals; empty: ``fractions`` of the
    saturation rate measured first."""
    fractions: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)
    """Rates as fractions of the measured saturation rate (when ``rates`` is empty)."""
    saturation_requests: int = 64
    """Requests sent at once to measure the saturation rate."""
    requests: int = 48
    """Requests per rate and server."""
    max_tokens: int = 64
    """Generated tokens per request."""
    enforce_eager: bool = False
    dtype: ServingDtype | None = None
    """Serving dtype; None: ``LLM_MONITOR_DTYPE``, else what suits this CPU."""
    start_timeout_s: float = 900.0
    """Seconds a server may take to answer /health."""
    sidecar_nice: int = 0
    """Nice value of the sidecar process (see ``OverheadBenchSettings.sidecar_nice``)."""
    sidecar_cpus: str = "auto"
    """Where the sidecar runs (see ``OverheadBenchSettings.sidecar_cpus``)."""
    engine_cpus: str | None = None
    """CPUs every process of the vLLM servers runs on (a CPU list); None: any. With
    ``sidecar_cpus`` ``auto`` the sidecar runs on the others."""
    control_cpus: str | None = None
    """CPUs of the ``control`` server alone (None: as ``engine_cpus``): against an
    unconfined ``unmonitored`` server its ratios show what confining vLLM costs."""
    workload: Workload = "ordinary"
    """The chats sent (see ``OverheadBenchSettings.workload``)."""
    alert_every_request: bool = False
    """Add a rule that fires on every request, so that every request's alert is timed
    (every request is then flagged, encoded and stored: heavier for the sidecar than
    the workload itself). Off: the alerts the shipped rules raise are timed."""
    seed: int = 0

    @classmethod
    def smoke(cls) -> LatencyBenchSettings:
        """Seconds once the servers are up: proves the bench runs; figures mean little."""
        return cls(fractions=(0.5,), saturation_requests=4, requests=4, max_tokens=8, rounds=1)
