"""Trace updates to and from the fleet wire, and the running summaries they carry."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from monitor.sidecar.records import Firing
from monitor.sidecar.scoring.sinks import RequestTokens
from monitor.sidecar.traces.labels import concept_labels, encoder_identity
from monitor.sidecar.traces.snapshots import Snapshots
from monitor.sidecar.traces.wire import (
    WireError,
    labels_from_push,
    push_request,
    updates_from_push,
)
from monitor.sidecar.traces.writer import TraceUpdate
from monitor.v1 import fleet_pb2


def chunk(start: int, n: int, layer: int = 3, k: int = 4) -> RequestTokens:
    rng = np.random.default_rng(start)
    return RequestTokens(
        model_name="m",
        request_id="r1",
        layer=layer,
        positions=np.arange(start, start + n, dtype=np.int64),
        token_ids=np.arange(100 + start, 100 + start + n, dtype=np.int64),
        scores={
            "misuse": rng.random(n, dtype=np.float32),
            "deception": rng.random(n, dtype=np.float32),
        },
        aggregates={},
        thresholds={},
        concept_ids=rng.integers(0, 4096, (n, k)).astype(np.int32),
        concept_values=rng.random((n, k), dtype=np.float32),
        segments=np.full(n, 6, dtype=np.int8),
        tenant="team-a",
    )


def firing(
    alert_id: str, fired_at: float, severity: str = "warning", concept: str = "misuse"
) -> Firing:
    return Firing(
        alert_id=alert_id,
        request_id="r1",
        model_name="m",
        concept=concept,
        rule=f"{concept}-rule",
        severity=severity,  # type: ignore[arg-type]
        score=0.9,
        threshold=0.5,
        position=7,
        fired_at=fired_at,
        top_concept_ids=(5, 9),
        top_concept_values=(1.5, 0.25),
        tenant="team-a",
    )


def update(tokens: list[RequestTokens], alerts: list[Firing], **scores: float) -> TraceUpdate:
    return TraceUpdate(
        model_name="m",
        request_id="r1",
        first_seen=10.0,
        last_seen=12.5,
        tokens=tokens,
        alerts=alerts,
        max_scores=scores,
        tenant="team-a",
        source="pod-a",
    )


def test_snapshots_summarise_a_request_across_updates() -> None:
    snapshots = Snapshots()
    assert snapshots.add(update([chunk(0, 5)], [])).snapshot is None  # never flagged
    first = snapshots.add(update([chunk(0, 5)], [firing("a1", 20.0)], misuse=0.9)).snapshot
    assert first is not None
    assert (first.version, first.first_alert, first.severity) == (1, 20.0, "warning")
    assert (first.token_count, first.alert_concepts, first.max_score) == (5, ("misuse",), 0.9)
    later = snapshots.add(
        update(
            [chunk(5, 3), chunk(0, 8, layer=5)],
            [firing("a2", 19.0, "critical", "deception")],
            misuse=0.7,
            deception=0.95,
        )
    ).snapshot
    assert later is not None
    # an alert stamped earlier does not move the trace's key (its first alert)
    assert (later.version, later.first_alert, later.severity) == (2, 20.0, "critical")
    assert later.token_count == 8  # positions 0..7 on either layer
    assert later.alert_concepts == ("deception", "misuse")
    assert dict(later.max_scores) == {"misuse": 0.9, "deception": 0.95}
    assert later.max_score == 0.95


def test_snapshots_forget_the_oldest_request_beyond_the_bound() -> None:
    snapshots = Snapshots(max_requests=2)
    for request in ("a", "b", "c"):
        first = dataclasses.replace(
            update([], [dataclasses.replace(firing("x" + request, 1.0), request_id=request)]),
            request_id=request,
        )
        snapshots.add(first)
    assert len(snapshots) == 2
    again = dataclasses.replace(update([], []), request_id="a")
    assert snapshots.add(again).snapshot is None


def test_an_update_round_trips_through_a_push() -> None:
    labels = concept_labels(["alpha", "beta"])
    sent = Snapshots().add(update([chunk(0, 6), chunk(0, 6, layer=5)], [firing("a1", 20.0)]))
    sent = dataclasses.replace(sent, texts=[list("abcdef"), list("abcdef")])
    request = push_request("pod-a", 42, [sent], encoder=labels.encoder, labels=labels)
    wire = fleet_pb2.PushRequest.FromString(request.SerializeToString())
    assert labels_from_push(wire) == labels
    (got,) = updates_from_push(wire)
    assert (got.source, got.encoder, got.tenant) == ("pod-a", labels.encoder, "team-a")
    assert got.snapshot == sent.snapshot
    assert got.texts == [list("abcdef"), list("abcdef")]
    for mine, theirs in zip(sent.tokens, got.tokens, strict=True):
        assert mine.layer == theirs.layer
        np.testing.assert_array_equal(mine.positions, theirs.positions)
        np.testing.assert_array_equal(mine.token_ids, theirs.token_ids)
        assert mine.scores.keys() == theirs.scores.keys()
        for concept in mine.scores:
            np.testing.assert_array_equal(mine.scores[concept], theirs.scores[concept])
        np.testing.assert_array_equal(mine.concept_ids, theirs.concept_ids)
        np.testing.assert_array_equal(mine.concept_values, theirs.concept_values)
        np.testing.assert_array_equal(mine.segments, theirs.segments)
    (alert,) = got.alerts
    assert alert == sent.alerts[0]


def test_encoder_identity_follows_the_labels() -> None:
    assert encoder_identity(["a", "b"]) == encoder_identity(["a", "b"])
    assert encoder_identity(["a", "b"]) != encoder_identity(["b", "a"])
    assert concept_labels(["a", "b"]).label(1) == "b"
    assert concept_labels(["a", "b"]).label(7) == ""


def _push_with(mutate: object) -> fleet_pb2.PushRequest:
    sent = Snapshots().add(update([chunk(0, 4)], [firing("a1", 20.0)]))
    request = push_request("pod-a", 1, [sent])
    mutate(request.updates[0])  # type: ignore[operator]
    return request


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda u: setattr(u, "model_name", ""), "updates[0].model_name is empty"),
        (lambda u: setattr(u, "version", 0), "updates[0].version must be >= 1"),
        (lambda u: setattr(u, "severity", "loud"), "unknown severity 'loud'"),
        (lambda u: setattr(u, "last_seen", float("nan")), "updates[0].last_seen is not finite"),
        (lambda u: u.chunks[0].token_ids.append(1), "token_ids has 5 values for 4 positions"),
        (lambda u: u.chunks[0].concept_ids.append(1), "concept_ids and concept_values need"),
        (lambda u: u.chunks[0].scores[0].values.append(0.5), "has 5 values for 4"),
        (lambda u: u.chunks[0].positions.__setitem__(1, 0), "strictly ascending"),
        (lambda u: setattr(u.alerts[0], "request_id", "other"), "another request"),
        (lambda u: setattr(u.chunks[0], "layer", 70000), "is above 65535"),
    ],
)
def test_a_malformed_push_is_refused_naming_the_field(mutate: object, message: str) -> None:
    with pytest.raises(WireError, match=message.replace("[", r"\[").replace("]", r"\]")):
        updates_from_push(_push_with(mutate))
