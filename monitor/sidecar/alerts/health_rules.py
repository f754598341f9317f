"""The static health-alert group: is the monitor itself working?

Concept alerts (``prom_rules``) say what the probes saw; these say when the monitor cannot
see: the scrape target is down, capture is off, activations or traces are being lost, the
ingest queue is nearly full, a watchdog check fails, or the last rule reload was refused.
Thresholds that depend on the deployment (the ingest queue's limits) are read from the same
monitor.yaml the concept rules come from. Every alert carries a ``runbook_url`` pointing to
its entry in the "Runbook" section of deploy/README.md (anchor: the alert name in lower
case, as GitHub and most Markdown renderers make it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitor.sidecar.config import IngestConfig

HEALTH_GROUP_NAME = "llm-monitor-health"
DEFAULT_JOB = "llm-monitor"
DEFAULT_RUNBOOK_URL = "deploy/README.md"
#: dropped / (dropped + scored) activation rows over 10 minutes that fires the drop alert
DROP_RATIO = 0.05
#: fraction of the ingest queue's limits (batches or bytes) that counts as saturated
QUEUE_FRACTION = 0.8
SPOOL_AGE_S = 600  # hub mode: outbox updates older than this mean the hub is not reached

# Series of one sidecar: a pod or host runs one, so ``instance`` tells them apart.
_BY = "by (model_name, instance)"


@dataclass(frozen=True)
class HealthSettings:
    """What the health rules need to know about the deployment."""

    ingest: IngestConfig
    job: str = DEFAULT_JOB
    runbook_url: str = DEFAULT_RUNBOOK_URL


def _quote(value: str) -> str:
    """A PromQL double-quoted string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _alert(
    settings: HealthSettings,
    name: str,
    expr: str,
    duration: str,
    severity: str,
    summary: str,
    description: str,
) -> dict[str, Any]:
    return {
        "alert": name,
        "expr": expr,
        "for": duration,
        "labels": {"severity": severity},
        "annotations": {
            "summary": summary,
            "description": description,
            "runbook_url": f"{settings.runbook_url}#{name.lower()}",
        },
    }


def health_rules(settings: HealthSettings) -> dict[str, Any]:
    """The health group (``{"name": ..., "rules": [...]}``)."""
    where = "{{ $labels.model_name }} on {{ $labels.instance }}"
    # opted_out: requests that asked not to be captured, not a loss
    dropped = f'sum {_BY} (rate(llm_monitor_activations_dropped_total{{reason!="opted_out"}}[10m]))'
    scored = f"sum {_BY} (rate(llm_monitor_tokens_scored_total[10m]))"
    depth_limit = int(settings.ingest.queue_size * QUEUE_FRACTION)
    bytes_limit = int(settings.ingest.max_queue_bytes * QUEUE_FRACTION)
    percent = f"{QUEUE_FRACTION:.0%}"
    rules = [
        _alert(
            settings,
            "LlmMonitorTargetDown",
            f"up{{job={_quote(settings.job)}}} == 0",
            "5m",
            "critical",
            "llm-monitor sidecar {{ $labels.instance }} cannot be scraped",
            "Prometheus has failed to scrape the sidecar for 5 minutes: no probe scores, "
            "no concept alerts and no health alerts come from it.",
        ),
        _alert(
            settings,
            "LlmMonitorCaptureDown",
            "llm_monitor_capture_up == 0",
            "5m",
            "critical",
            f"no activation capture for layer {{{{ $labels.layer }}}} of {where}",
            "The vLLM plugin is not connected or reports capture off for this layer: "
            "vLLM serves, but its requests are not monitored.",
        ),
        _alert(
            settings,
            "LlmMonitorActivationsDropped",
            f"{dropped} / ({dropped} + {scored}) > {DROP_RATIO:g}",
            "10m",
            "warning",
            f"{where} loses activations before scoring",
            f"{{{{ $value | humanizePercentage }}}} of the captured activation rows were "
            "dropped in the last 10 minutes (llm_monitor_activations_dropped_total by "
            f"reason, opted_out not counted); above {DROP_RATIO:.0%} monitoring misses "
            "requests.",
        ),
        _alert(
            settings,
            "LlmMonitorIngestQueueSaturated",
            f"max {_BY} (llm_monitor_ingest_queue_depth) > {depth_limit} "
            f"or max {_BY} (llm_monitor_ingest_queue_bytes) > {bytes_limit}",
            "5m",
            "warning",
            f"the ingest queue of {where} is above {percent} of its limit",
            f"For 5 minutes the queue has held more than {percent} of ingest.queue_size "
            f"({settings.ingest.queue_size} batches) or ingest.max_queue_bytes "
            f"({settings.ingest.max_queue_bytes} bytes): scoring does not keep up and "
            "batches are about to be dropped (reason sidecar_queue_full).",
        ),
        _alert(
            settings,
            "LlmMonitorUnhealthy",
            "llm_monitor_health_check == 0",
            "5m",
            "warning",
            f"health check {{{{ $labels.check }}}} fails on {where}",
            "The sidecar's watchdog has reported NOT_SERVING (/readyz 503) for 5 minutes "
            "because of this check.",
        ),
        _alert(
            settings,
            "LlmMonitorTraceWritesDropped",
            f"sum {_BY} (increase(llm_monitor_trace_writes_dropped_total[10m])) > 0",
            "0m",
            "warning",
            f"the trace store of {where} drops writes",
            "{{ $value | humanize }} flagged-trace write(s) were dropped in the last 10 "
            "minutes because the trace store's write queue was full.",
        ),
        _alert(
            settings,
            "LlmMonitorTracesLost",
            "sum by (model_name, instance, reason) "
            '(increase(llm_monitor_traces_lost_total{reason!="queue_full"}[10m])) > 0',
            "0m",
            "warning",
            f"flagged traces of {where} were not stored ({{{{ $labels.reason }}}})",
            "{{ $value | humanize }} flagged trace(s) could not be written in the last 10 "
            "minutes; the alerts were still sent.",
        ),
        _alert(
            settings,
            "LlmMonitorTraceSpoolBacklog",
            f"max {_BY} (llm_monitor_trace_spool_oldest_age_seconds) > {SPOOL_AGE_S}",
            "5m",
            "warning",
            f"the trace outbox of {where} does not reach the hub",
            "In hub mode, the oldest trace update in the sidecar's outbox has waited more "
            f"than {SPOOL_AGE_S // 60} minutes: the hub or its database is down or refusing "
            "pushes (llm_monitor_trace_ship_retries_total by code). At storage.hub."
            "spool_max_mb new updates are refused and counted "
            '(traces_lost_total{reason="spool_full"}).',
        ),
        _alert(
            settings,
            "LlmMonitorConfigReloadFailed",
            "llm_monitor_config_last_reload_successful == 0",
            "5m",
            "warning",
            f"the last rule reload of {where} was refused",
            "monitor.yaml was changed and reloaded, but the new file is invalid: the sidecar "
            "keeps running the previous rules.",
        ),
    ]
    return {"name": HEALTH_GROUP_NAME, "rules": rules}
