"""Rules from monitor.yaml resolved against the loaded probes into the engine's ``Rule``s.

The one place where the YAML schema meets the rule engine: the engine itself speaks only
its own types (``Rule``, ``AggregationSpec``, ``Firing``).
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.artifacts.probe_format import Probe
from monitor.sidecar.alerts.rules import AggregationSpec, Rule
from monitor.sidecar.config import CALIBRATED, RuleAggregation, RuleConfig
from monitor.sidecar.scoring.reading import ReadPlan


class RuleError(ValueError):
    """The rules do not fit the loaded probes; the message names the rule."""


def rule_aggregation(aggregation: RuleAggregation) -> AggregationSpec:
    """A rule's own aggregation setting in the engine's terms."""
    return AggregationSpec(
        aggregation.method,
        alpha=getattr(aggregation, "alpha", 0.1),
        window=getattr(aggregation, "window", 16),
    )


def compile_rules(
    configs: Sequence[RuleConfig], probes: Sequence[Probe], source: str = "config"
) -> tuple[Rule, ...]:
    """Resolve rules against the loaded probes; ``RuleError`` names ``source`` and every
    bad rule."""
    by_concept = {probe.concept: probe for probe in probes}
    loaded = ", ".join(sorted(by_concept)) or "none"
    rules: list[Rule] = []
    errors: list[str] = []
    names: set[str] = set()
    for i, config in enumerate(configs):
        where = f"{source}: rules.{i} ({config.name!r})"
        if config.name in names:
            errors.append(f"{where}: duplicate rule name")
            continue
        names.add(config.name)
        probe = by_concept.get(config.concept)
        if probe is None:
            errors.append(
                f"{where}: concept {config.concept!r} has no loaded probe (loaded: {loaded})"
            )
            continue
        threshold = probe.threshold if config.threshold == CALIBRATED else config.threshold
        aggregation = (
            AggregationSpec.of_probe(probe.aggregation)
            if config.aggregation is None
            else rule_aggregation(config.aggregation)
        )
        rules.append(
            Rule(
                name=config.name,
                concept=config.concept,
                threshold=float(threshold),
                aggregation=aggregation,
                min_tokens=config.min_tokens,
                severity=config.severity,
                cooldown_s=config.cooldown_s,
                own=config.aggregation is None,
                plan=ReadPlan.of(probe, aggregation.as_probe()),
            )
        )
    if errors:
        raise RuleError("\n".join(errors))
    return tuple(rules)
