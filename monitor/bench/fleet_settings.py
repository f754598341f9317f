"""What ``bench fleet`` measures: frozen settings the command fills from flags, and goals."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.model.settings import DEFAULT_MODEL_NAME

PHASES = ("ingest", "storage", "query", "alerts", "sidecar")
"""The parts of the benchmark, in the order they run."""


@dataclass(frozen=True)
class Goals:
    """The issue's targets (this machine, chDB backend at the hub)."""

    ingest_rows_per_s: float = 50_000.0
    clickhouse_bytes_per_row: float = 150.0
    sqlite_bytes_per_row: float = 500.0
    query_p95_ms: float = 250.0
    get_trace_p95_ms: float = 100.0
    alert_p95_s: float = 5.0
    sidecar_extra_rss_mb: float = 50.0


@dataclass(frozen=True)
class FleetBenchSettings:
    """``bench fleet``: ingest, storage, query, alert latency and sidecar cost of the
    fleet store, each against its goal."""

    phases: tuple[str, ...] = PHASES
    """Which parts to run (a subset of ``PHASES``)."""
    # -- trace shape (every phase's synthetic data) ---------------------------------------
    trace_tokens: int = 500
    """Stored tokens per trace (one row per token and layer)."""
    chunk_tokens: int = 125
    """Tokens per trace update (a trace arrives as trace_tokens / chunk_tokens updates)."""
    layers: int = 1
    """Probe layers per trace (a token is one row per layer)."""
    k: int = 32
    """Concepts per token (the encoder's top-k)."""
    concepts: int = 4096
    """Concept ids are drawn from 0..concepts-1 (the encoder's width)."""
    alerts_per_trace: int = 3
    """Alerts per trace, the first in its flagging update."""
    models: int = 2
    """Served model names the traces are spread over."""
    # -- ingest ---------------------------------------------------------------------------
    duration_s: float = 60.0
    """Seconds the pushers push."""
    pushers: int = 4
    """Sidecar-like pusher processes, one source each."""
    push_rows: int = 20_000
    """Token rows per push (whole updates, so a few more). The default is a sidecar's
    ``storage.hub.max_batch_tokens``: the push a shipper sends while it has a backlog,
    i.e. at these rates. Smaller pushes cost the hub more CPU per row."""
    # -- storage --------------------------------------------------------------------------
    sqlite_traces: int = 200
    """Traces written to a SQLite store to measure its bytes per row."""
    # -- query ----------------------------------------------------------------------------
    rows: int = 10_000_000
    """Token rows generated for the query phase (at least; long traces are whole)."""
    traces: int = 1_000_000
    """Traces generated for the query phase."""
    hours: float = 72.0
    """The generated traces' first alerts spread over this many hours before now."""
    page_size: int = 50
    """Traces per QueryTraces page."""
    samples: int = 20
    """Timed calls per query case (after one warm-up call)."""
    grpc_samples: int = 10
    """Timed calls per case through the hub's gRPC (a subset of the cases)."""
    # -- alerts and sidecar ---------------------------------------------------------------
    alert_samples: int = 40
    """Alerts timed from firing to the hub's WatchAlerts: the sidecar load's requests a
    rule flags (at most sidecar_requests)."""
    sidecar_requests: int = 48
    """Concurrent requests of the sidecar load (each mode)."""
    sidecar_tokens: int = 600
    """Decode tokens per request of the sidecar load."""
    steps_per_s: float = 50.0
    """Engine steps per second of each sidecar producer (paced: the same load each mode)."""
    model_name: str = DEFAULT_MODEL_NAME
    d_model: int = 576
    layer: int = 15
    start_timeout_s: float = 120.0
    """Seconds a hub or sidecar subprocess may take to start."""
    seed: int = 0
    goals: Goals = Goals()

    @classmethod
    def quick(cls) -> FleetBenchSettings:
        """A minute or two: proves every part runs; its figures mean little."""
        return cls(
            duration_s=8.0,
            sqlite_traces=40,
            rows=200_000,
            traces=20_000,
            samples=5,
            grpc_samples=3,
            alert_samples=10,
            sidecar_requests=16,
            sidecar_tokens=200,
        )

    def check(self) -> None:
        """ValueError naming the first setting that cannot work."""
        unknown = [p for p in self.phases if p not in PHASES]
        if unknown:
            raise ValueError(f"unknown phases {unknown}; expected some of {', '.join(PHASES)}")
        if self.trace_tokens < self.chunk_tokens:
            raise ValueError("trace_tokens must be >= chunk_tokens")
        if not 0 < self.k <= self.concepts:
            raise ValueError("k must be in 1..concepts")
        if self.traces > self.rows:
            raise ValueError("traces must be <= rows (every trace has at least one token row)")
        if self.rows < self.trace_tokens * self.layers:
            raise ValueError("rows must cover at least one whole trace")
        if self.pushers < 1 or self.alerts_per_trace < 1 or self.models < 1:
            raise ValueError("pushers, alerts_per_trace and models must be >= 1")
