"""The bulk histogram agrees with prometheus_client's own Histogram."""

from __future__ import annotations

import numpy as np
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from monitor.sidecar.bulk_histogram import BulkHistogram

BUCKETS = (0.1, 0.5, 0.9, 1.0)


def test_matches_prometheus_histogram() -> None:
    rng = np.random.default_rng(3)
    values = np.concatenate([rng.random(1000), [0.1, 0.5, 1.0, 1.5, -0.2]])
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    BulkHistogram("h", "doc", ("concept",), BUCKETS, ours).labels("x").observe_many(values)
    reference = Histogram("h", "doc", ("concept",), buckets=BUCKETS, registry=theirs)
    for v in values:
        reference.labels("x").observe(float(v))
    for le in ("0.1", "0.5", "0.9", "1.0", "+Inf"):
        got = ours.get_sample_value("h_bucket", {"concept": "x", "le": le})
        want = theirs.get_sample_value("h_bucket", {"concept": "x", "le": le})
        assert got == want, le
    assert ours.get_sample_value("h_count", {"concept": "x"}) == len(values)
    assert np.isclose(ours.get_sample_value("h_sum", {"concept": "x"}), values.sum())
    assert b'h_bucket{concept="x",le="+Inf"} 1005.0' in generate_latest(ours)


def test_label_count_is_checked() -> None:
    hist = BulkHistogram("h", "doc", ("a", "b"), BUCKETS, CollectorRegistry())
    try:
        hist.labels("only-one")
    except ValueError as exc:
        assert "labels" in str(exc)
    else:
        raise AssertionError("expected ValueError")


def test_non_finite_values_are_left_out_and_reported() -> None:
    registry = CollectorRegistry()
    hist = BulkHistogram("h", "doc", ("a",), BUCKETS, registry)
    child = hist.labels("x")
    assert child.observe_many([0.5, float("nan"), float("inf"), -float("inf")]) == 3
    child.observe(float("nan"))
    assert registry.get_sample_value("h_sum", {"a": "x"}) == 0.5
    assert registry.get_sample_value("h_count", {"a": "x"}) == 1
