from __future__ import annotations

from prometheus_client import CollectorRegistry

from monitor.sidecar.metrics import SidecarMetrics

REQUIRED = {
    "llm_monitor_tokens_scored",
    "llm_monitor_activations_dropped",
    "llm_monitor_probe_score",
    "llm_monitor_request_score",
    "llm_monitor_alerts",
    "llm_monitor_ingest_queue_depth",
    "llm_monitor_ingest_rejected",
    "llm_monitor_batches_received",
    "llm_monitor_tokens_uncaptured",
    "llm_monitor_capture_up",
    "llm_monitor_pipeline_errors",
    "llm_monitor_alert_notifications",
    "llm_monitor_ingest_queue_bytes",
    "llm_monitor_scoring_duration_seconds",
    "llm_monitor_ingest_to_score_seconds",
    "llm_monitor_capture_to_score_seconds",
    "llm_monitor_trace_write_duration_seconds",
}


def test_every_series_has_model_name(registry: CollectorRegistry) -> None:
    metrics = SidecarMetrics(registry)
    model = metrics.model("m")
    model.tokens_scored.inc(3)
    model.dropped("ring_full").inc()
    model.probe_score("misuse").observe(0.3)
    model.request_score("misuse").observe(0.7)
    model.alerts("misuse", "critical").inc()
    model.alert_notifications("misuse", "critical").inc()
    model.rejected("shape").inc()
    model.uncaptured("prefix_cache_hit").inc(4)
    model.capture_up(15).set(1)
    families = {m.name: m for m in registry.collect()}
    assert set(families) >= REQUIRED
    samples = [s for m in families.values() for s in m.samples]
    assert samples
    assert all(s.labels.get("model_name") == "m" for s in samples)
    assert not any("request" in key for s in samples for key in s.labels)
    assert (
        registry.get_sample_value(
            "llm_monitor_probe_score_bucket", {"model_name": "m", "concept": "misuse", "le": "0.4"}
        )
        == 1
    )


def test_children_are_cached(registry: CollectorRegistry) -> None:
    metrics = SidecarMetrics(registry)
    assert metrics.model("m") is metrics.model("m")
    assert metrics.model("m").dropped("x") is metrics.model("m").dropped("x")
    assert metrics.model("m").probe_score("c") is metrics.model("m").probe_score("c")


def test_reasons_outside_the_fixed_set_are_other(registry: CollectorRegistry) -> None:
    model = SidecarMetrics(registry).model("m")
    for i in range(100):
        model.dropped(f"made-up-{i}").inc()
    model.dropped("ring_buffer_full").inc()
    value = registry.get_sample_value(
        "llm_monitor_activations_dropped_total", {"model_name": "m", "reason": "other"}
    )
    assert value == 100
    reasons = {
        s.labels["reason"]
        for m in registry.collect()
        if m.name == "llm_monitor_activations_dropped"
        for s in m.samples
    }
    assert reasons == {"other", "ring_buffer_full"}


def test_series_per_family_are_capped_and_counted(registry: CollectorRegistry) -> None:
    metrics = SidecarMetrics(registry, max_series_per_family=10)
    model = metrics.model("m")
    for layer in range(50):
        model.capture_up(layer).set(1)
    assert metrics.series("llm_monitor_capture_up") == 10
    capped = registry.get_sample_value(
        "llm_monitor_metric_series_capped_total", {"family": "llm_monitor_capture_up"}
    )
    assert capped == 40
    model.capture_up(49).set(1)  # a refused child stays a no-op
    assert (
        registry.get_sample_value("llm_monitor_capture_up", {"model_name": "m", "layer": "49"})
        is None
    )


def test_model_names_are_capped_to_unknown(registry: CollectorRegistry) -> None:
    metrics = SidecarMetrics(registry, max_models=4)
    models = [metrics.model(f"model-{i}") for i in range(10)]
    assert models[0].model_name == "model-0"
    assert {m.model_name for m in models[3:]} == {"unknown"}
    assert (
        registry.get_sample_value(
            "llm_monitor_metric_series_capped_total", {"family": "model_name"}
        )
        == 7
    )
