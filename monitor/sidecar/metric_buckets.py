"""Buckets of the sidecar's latency histograms (seconds), chosen for what each measures."""

from __future__ import annotations

#: ``scoring_duration_seconds``: one batch through probes, encoder and rules (~ms).
SCORING_BUCKETS: tuple[float, ...] = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
)

#: ``ingest_to_score_seconds``: queueing plus scoring, up to seconds when the queue backs up.
LAG_BUCKETS: tuple[float, ...] = (
    0.001,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
)

#: ``trace_write_duration_seconds``: one SQLite transaction with fsync.
WRITE_BUCKETS: tuple[float, ...] = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
