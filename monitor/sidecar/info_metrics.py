"""Info metrics: what is running (build, loaded probes) and whether the last reload took.

Their label values come from the package metadata and the loaded probe files, never from
ingest input, and there is one series per loaded probe.
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Gauge

from monitor import __version__
from monitor.artifacts.probe_format import Probe
from monitor.versions import vllm_distribution_version


class InfoMetrics:
    """``llm_monitor_build_info``, ``llm_monitor_probe_info`` and
    ``llm_monitor_config_last_reload_successful``."""

    def __init__(
        self, registry: CollectorRegistry, model_name: str, probes: Sequence[Probe]
    ) -> None:
        build = Gauge(
            "llm_monitor_build_info",
            "Always 1: the llm-monitor version and the vLLM installed next to it.",
            ("version", "vllm_version"),
            registry=registry,
        )
        build.labels(__version__, vllm_distribution_version() or "none").set(1)
        probe_info = Gauge(
            "llm_monitor_probe_info",
            "Always 1 per loaded probe: its concept, layer and calibrated threshold.",
            ("model_name", "concept", "layer", "threshold"),
            registry=registry,
        )
        for probe in probes:
            probe_info.labels(
                model_name, probe.concept, str(probe.layer), f"{probe.threshold:.6g}"
            ).set(1)
        self._reload = Gauge(
            "llm_monitor_config_last_reload_successful",
            "1 when the last rule reload (or the start) succeeded, 0 after a refused one.",
            ("model_name",),
            registry=registry,
        ).labels(model_name)
        self._reload.set(1)

    def reloaded(self, ok: bool) -> None:
        """Record the outcome of a rule reload."""
        self._reload.set(1 if ok else 0)
