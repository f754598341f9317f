from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from monitor.sidecar.alerts.compile import RuleError, compile_rules
from monitor.sidecar.alerts.rules import (
    AggregationSpec,
    Rule,
    RuleEngine,
)
from monitor.sidecar.config import RuleConfig
from monitor.sidecar.protos import alert_message, concept_activations

from .helpers import MODEL, make_probe
from .tokens import request_tokens

T0 = 1_700_000_000.0


def rule(
    method: str = "max",
    threshold: float = 0.5,
    *,
    name: str = "r",
    concept: str = "deception",
    min_tokens: int = 1,
    cooldown_s: float = 0.0,
    severity: Any = "warning",
    alpha: float = 0.1,
    window: int = 16,
) -> Rule:
    return Rule(
        name=name,
        concept=concept,
        threshold=threshold,
        aggregation=AggregationSpec(method, alpha=alpha, window=window),  # type: ignore[arg-type]
        min_tokens=min_tokens,
        severity=severity,
        cooldown_s=cooldown_s,
    )


def fire_positions(engine: RuleEngine, scores: list[float], **kw: Any) -> list[int]:
    firings = engine.evaluate(request_tokens({"deception": scores}, **kw), T0)
    return [int(f.position) for f in firings]


@pytest.mark.parametrize(
    ("spec", "scores", "threshold", "position", "value"),
    [
        (rule("max"), [0.1, 0.3, 0.6, 0.9], 0.6, 2, 0.6),
        (rule("mean"), [0.0, 1.0, 1.0, 1.0], 0.75, 3, 0.75),  # means 0, .5, .667, .75
        (rule("ema", alpha=0.5), [0.0, 1.0, 1.0], 0.75, 2, 0.75),  # ema 0, .5, .75
        # window 3: means so far 1, .5, .5 (first window), then windows .5, .833
        (rule("max_rolling_mean", window=3, min_tokens=3), [1, 0, 0.5, 1, 1], 0.8, 4, 2.5 / 3),
    ],
)
def test_each_aggregation_fires_at_the_first_crossing(
    spec: Rule, scores: list[float], threshold: float, position: int, value: float
) -> None:
    engine = RuleEngine([Rule(**{**spec.__dict__, "threshold": threshold})])
    firings = engine.evaluate(request_tokens({"deception": scores}), T0)
    assert len(firings) == 1
    assert firings[0].position == position
    assert firings[0].score == pytest.approx(value, abs=1e-6)


def test_rolling_mean_max_without_min_tokens_uses_the_mean_so_far() -> None:
    engine = RuleEngine([rule("max_rolling_mean", 0.9, window=3)])
    assert fire_positions(engine, [1.0, 0.0, 0.0]) == [0]


def test_threshold_exactly_at_the_boundary_fires() -> None:
    for threshold in (0.5, 0.25, 1.0):
        engine = RuleEngine([rule("max", threshold)])
        assert fire_positions(engine, [0.0, threshold]) == [1], threshold


def test_just_below_the_threshold_does_not_fire() -> None:
    engine = RuleEngine([rule("max", 0.5)])
    below = float(np.nextafter(np.float32(0.5), np.float32(0)))
    assert fire_positions(engine, [below, below]) == []


def test_min_tokens_delays_firing() -> None:
    engine = RuleEngine([rule("max", 0.5, min_tokens=3)])
    firings = engine.evaluate(request_tokens({"deception": [0.9, 0.1, 0.1, 0.1]}), T0)
    assert [f.position for f in firings] == [2]
    assert firings[0].score == pytest.approx(0.9)
    short = RuleEngine([rule("max", 0.5, min_tokens=5)])
    assert fire_positions(short, [0.9, 0.9, 0.9, 0.9]) == []


def test_state_streams_across_batches_and_positions_are_reported() -> None:
    engine = RuleEngine([rule("mean", 0.5)])
    assert fire_positions(engine, [0.2, 0.4]) == []  # mean .3
    # mean after 3: .4, after 4: .5 -> fires at the 2nd token of this batch, position 3
    assert fire_positions(engine, [0.6, 0.8, 0.0], start=2) == [3]


def test_at_most_one_alert_per_request_and_rule() -> None:
    engine = RuleEngine([rule("max", 0.5), rule("max", 0.8, name="high")])
    firings = engine.evaluate(request_tokens({"deception": [0.6, 0.9, 0.9]}), T0)
    assert sorted((f.rule, f.position) for f in firings) == [("high", 1), ("r", 0)]
    assert engine.evaluate(request_tokens({"deception": [1.0, 1.0]}, start=3), T0) == []
    other = engine.evaluate(request_tokens({"deception": [1.0]}, request_id="req-2"), T0)
    assert len(other) == 2


def test_alert_carries_everything() -> None:
    engine = RuleEngine(
        [rule("max", 0.5, severity="critical")],
        alert_id=lambda: "alert-1",
    )
    tokens = request_tokens(
        {"deception": [0.1, 0.7]},
        start=10,
        request_id="abc",
        concept_ids=[[1, 2], [7, -1]],
        concept_values=[[0.5, 0.4], [2.5, 0.0]],
    )
    (firing,) = engine.evaluate(tokens, T0 + 0.25)
    alert = alert_message(firing, lambda i: f"concept-{i}")
    assert alert.alert_id == "alert-1"
    assert (alert.request_id, alert.model_name, alert.concept, alert.rule) == (
        "abc",
        MODEL,
        "deception",
        "r",
    )
    assert alert.severity == "critical"
    assert alert.score == pytest.approx(0.7)
    assert alert.threshold == 0.5
    assert alert.position == 11
    assert [(c.id, c.value, c.label) for c in alert.top_concepts] == [(7, 2.5, "concept-7")]
    assert alert.fired_at.ToNanoseconds() == int((T0 + 0.25) * 1e9)
    assert not alert.suppressed


def test_alert_ids_are_unique_by_default() -> None:
    engine = RuleEngine([rule("max", 0.5)])
    ids = {
        f.alert_id
        for i in range(20)
        for f in engine.evaluate(request_tokens({"deception": [1.0]}, request_id=str(i)), T0)
    }
    assert len(ids) == 20


def test_failing_concept_label_gives_an_empty_label() -> None:
    def broken(i: int) -> str:
        raise KeyError(i)

    assert [c.label for c in concept_activations([3], [1.0], broken)] == [""]


def test_tokens_without_the_rule_concept_are_ignored() -> None:
    engine = RuleEngine([rule("max", 0.1)])
    assert engine.evaluate(request_tokens({"misuse": [1.0]}), T0) == []
    assert engine.active_requests == 0


def test_cooldown_per_model_and_rule_suppresses_but_still_reports() -> None:
    engine = RuleEngine([rule("max", 0.5, cooldown_s=60), rule("max", 0.5, name="b")])

    def fire(request_id: str, now: float, model: str = MODEL) -> dict[str, bool]:
        tokens = request_tokens({"deception": [0.9]}, request_id=request_id, model_name=model)
        return {f.rule: f.suppressed for f in engine.evaluate(tokens, now)}

    assert fire("a", T0) == {"r": False, "b": False}
    assert fire("b", T0 + 59.9) == {"r": True, "b": False}  # "b" has no cooldown
    assert fire("c", T0 + 59.9, model="other-model") == {"r": False, "b": False}
    # the cooldown runs from the last *published* alert, not from suppressed ones
    assert fire("d", T0 + 60.0) == {"r": False, "b": False}
    assert fire("e", T0 + 61.0) == {"r": True, "b": False}


def test_finish_forgets_the_request() -> None:
    engine = RuleEngine([rule("mean", 0.5)])
    engine.evaluate(request_tokens({"deception": [0.4]}), T0)
    assert engine.active_requests == 1
    engine.finish(MODEL, "req-1")
    assert engine.active_requests == 0
    # the mean starts again from scratch: 0.6 alone fires (0.4 is forgotten)
    assert fire_positions(engine, [0.6]) == [0]


def test_compile_resolves_calibrated_thresholds_and_probe_aggregation(
    rng: np.random.Generator,
) -> None:
    probes = [
        make_probe(rng, "deception", threshold=0.7, method="max_rolling_mean"),
        make_probe(rng, "misuse", threshold=0.2),
    ]
    configs = [
        RuleConfig(name="d", concept="deception"),
        RuleConfig.model_validate(
            {
                "name": "m",
                "concept": "misuse",
                "threshold": 0.9,
                "aggregation": {"method": "rolling_mean_max", "window": 4},
                "severity": "critical",
                "min_tokens": 2,
                "cooldown_s": 5,
            }
        ),
        RuleConfig.model_validate(
            {"name": "e", "concept": "misuse", "aggregation": {"method": "ema", "alpha": 0.3}}
        ),
    ]
    d, m, e = compile_rules(configs, probes)
    assert d.threshold == 0.7
    assert d.aggregation == AggregationSpec("max_rolling_mean", alpha=0.1, window=16)
    assert (m.threshold, m.severity, m.min_tokens, m.cooldown_s) == (0.9, "critical", 2, 5.0)
    assert m.aggregation == AggregationSpec("max_rolling_mean", alpha=0.1, window=4)
    assert e.threshold == 0.2  # calibrated: the misuse probe's
    assert e.aggregation.method == "ema" and e.aggregation.alpha == 0.3


def test_compile_names_rules_without_a_probe(rng: np.random.Generator) -> None:
    probes = [make_probe(rng, "deception")]
    configs = [
        RuleConfig(name="ok", concept="deception"),
        RuleConfig(name="typo", concept="decption"),
        RuleConfig(name="gone", concept="misuse"),
    ]
    with pytest.raises(RuleError) as info:
        compile_rules(configs, probes, "monitor.yaml")
    assert str(info.value).splitlines() == [
        "monitor.yaml: rules.1 ('typo'): concept 'decption' has no loaded probe"
        " (loaded: deception)",
        "monitor.yaml: rules.2 ('gone'): concept 'misuse' has no loaded probe (loaded: deception)",
    ]
    with pytest.raises(RuleError, match=r"rules\.1 \('ok'\): duplicate rule name"):
        compile_rules([configs[0], configs[0]], probes)


def test_reload_keeps_state_of_unchanged_rules() -> None:
    engine = RuleEngine([rule("mean", 0.5), rule("max", 0.95, name="other")])
    assert fire_positions(engine, [0.4, 0.4]) == []
    # same name, concept and aggregation: the mean (.4 over 2 tokens) carries on; the
    # threshold change applies at once
    engine.replace([rule("mean", 0.45), rule("ema", 0.95, name="other")])
    assert fire_positions(engine, [0.6], start=2) == [2]  # mean .4667 >= .45


def test_reload_resets_changed_rules() -> None:
    engine = RuleEngine([rule("mean", 0.5)])
    assert fire_positions(engine, [0.0, 0.0, 0.0]) == []
    engine.replace([rule("max", 0.5)])  # aggregation changed: fresh state
    assert fire_positions(engine, [0.5], start=3) == [3]
    engine.replace([rule("mean", 0.5)])  # back to mean: fresh again (0.6 alone)
    assert fire_positions(engine, [0.6], start=4) == [4]


def test_reload_does_not_refire_and_removed_rules_stop() -> None:
    engine = RuleEngine([rule("max", 0.5)])
    assert fire_positions(engine, [0.9]) == [0]
    engine.replace([rule("max", 0.2, severity="critical")])  # same state key: already fired
    assert fire_positions(engine, [0.9], start=1) == []
    engine.replace([])
    assert fire_positions(engine, [1.0], request_id="req-2") == []
    assert engine.rules == ()


def test_own_reading_fires_on_the_pipelines_request_score() -> None:
    """A rule on the probe's own reading uses the running score the pipeline computed
    (heads on their segments), not its own fold of the per-token scores."""
    import dataclasses

    engine = RuleEngine([dataclasses.replace(rule("mean", 0.6, min_tokens=2), own=True)])
    tokens = dataclasses.replace(
        request_tokens({"deception": [0.9, 0.9, 0.9, 0.9]}),
        running={"deception": np.array([0.0, 0.0, 0.5, 0.7])},
        counts={"deception": np.array([1, 1, 1, 2])},
    )
    (firing,) = engine.evaluate(tokens, T0)
    assert firing.position == 3 and firing.score == pytest.approx(0.7)


def test_rule_aggregation_reads_only_the_probes_segments(rng: np.random.Generator) -> None:
    """A rule with its own aggregation folds the primary head's in-scope tokens, once the
    prompt is complete for a head that reads the prompt."""
    import dataclasses

    from monitor.sidecar.config import RuleConfig

    probe = make_probe(rng).model_copy(update={"scope": ["user"]})
    config = RuleConfig(name="r", concept="deception", threshold=0.5, aggregation={"method": "max"})
    (compiled,) = compile_rules([config], [probe])
    engine = RuleEngine([compiled])
    tokens = dataclasses.replace(
        request_tokens({"deception": [0.9, 0.1, 0.6, 0.2]}),
        segments=np.array([1, 2, 2, 5], dtype=np.int8),  # system, user, user, post-instr.
        prompt_done=np.array([False, False, False, True]),
    )
    (firing,) = engine.evaluate(tokens, T0)
    # the system token's 0.9 is not read; the user max 0.6 counts at the prompt's end
    assert firing.position == 3 and firing.score == pytest.approx(0.6)
