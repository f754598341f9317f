"""The rule engine: per request and rule, fold token scores and fire at most one alert.

A rule that uses the probe's own reading (the default) fires on the request score the
pipeline computed (``RequestTokens.running``: the probe's heads, each on its own segments);
a rule with its own aggregation folds the primary head's in-scope token scores.

Pure logic: no I/O, no wire types (it produces plain ``Firing`` records; the alert
messages are built at the edge) and no clock of its own (``now`` is passed in, in seconds since the
epoch). Each rule keeps its own aggregator per in-flight request and checks it after every
token, so an alert names the exact token where the rule fired.

Cooldown is per (model, rule): after a rule's alert for a model is published, further
firings of that rule for the same model within ``cooldown_s`` come back as *suppressed*
(``Firing.suppressed``): the request is still flagged (its trace is stored with the alert)
and the firing is counted in ``llm_monitor_alerts_total``, but it is not streamed to
``WatchAlerts`` (nor counted in ``llm_monitor_alert_notifications_total``), so a flood of
similar requests yields one notification per cooldown while every firing stays counted and
every flagged request queryable.

Rules can be replaced at any time (reload). A request's state for a rule survives the
replacement when the rule's name, concept and aggregation are unchanged (its threshold,
severity, ``min_tokens`` and cooldown may change); states of removed or changed rules are
dropped.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from monitor.artifacts.aggregation import AggregationMethod
from monitor.artifacts.probe_format import Aggregation
from monitor.sidecar.records import Firing, RequestKey
from monitor.sidecar.scoring.reading import ProbeReader, ReadPlan
from monitor.sidecar.scoring.sinks import RequestTokens
from monitor.sidecar.severity import Severity

StateKey = tuple[str, str, "AggregationSpec", bool]


@dataclass(frozen=True)
class AggregationSpec:
    """A hashable aggregation setting (methods: ``monitor.artifacts.aggregation``'s vocabulary)."""

    method: AggregationMethod
    alpha: float = 0.1
    window: int = 16

    @classmethod
    def of_probe(cls, aggregation: Aggregation) -> AggregationSpec:
        return cls(aggregation.method, aggregation.alpha, aggregation.window)

    def as_probe(self) -> Aggregation:
        """The same setting in the probe artifact's terms."""
        return Aggregation(method=self.method, alpha=self.alpha, window=self.window)


@dataclass(frozen=True)
class Rule:
    """A validated rule, with its threshold resolved to a number."""

    name: str
    concept: str
    threshold: float
    aggregation: AggregationSpec
    min_tokens: int = 1
    severity: Severity = "warning"
    cooldown_s: float = 60.0
    own: bool = False  # the probe's own reading (its heads and their segments)
    #: How the rule reads tokens when it folds them itself: the primary head's segments
    #: with the rule's aggregation (None: every token).
    plan: ReadPlan | None = field(default=None, compare=False, hash=False, repr=False)

    @property
    def state_key(self) -> StateKey:
        """What must stay equal for in-flight state to survive a reload."""
        return (self.name, self.concept, self.aggregation, self.own)


class _RuleState:
    __slots__ = ("fired", "reader")

    def __init__(self, reader: ProbeReader) -> None:
        self.reader = reader
        self.fired = False


def _new_alert_id() -> str:
    return uuid.uuid4().hex


class RuleEngine:
    """Evaluates the current rules on each request's tokens as they stream in.

    Thread-safe: ``evaluate`` / ``finish`` run on the pipeline thread, ``replace`` may be
    called from any thread.
    """

    def __init__(
        self,
        rules: Sequence[Rule] = (),
        *,
        alert_id: Callable[[], str] = _new_alert_id,
    ) -> None:
        self._rules: tuple[Rule, ...] = tuple(rules)
        self._alert_id = alert_id
        self._requests: dict[
            RequestKey, dict[tuple[str, str, AggregationSpec, bool], _RuleState]
        ] = {}
        self._last_published: dict[tuple[str, str], float] = {}  # (model, rule) -> time
        self._lock = threading.Lock()

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self._rules

    @property
    def active_requests(self) -> int:
        """Requests with rule state (for tests and diagnostics)."""
        return len(self._requests)

    def replace(self, rules: Sequence[Rule]) -> None:
        """Swap in new rules atomically, keeping state of rules that did not change."""
        new = tuple(rules)
        keep = {rule.state_key for rule in new}
        names = {rule.name for rule in new}
        with self._lock:
            self._rules = new
            for states in self._requests.values():
                for key in [k for k in states if k not in keep]:
                    del states[key]
            for cooldown_key in [k for k in self._last_published if k[1] not in names]:
                del self._last_published[cooldown_key]

    def evaluate(self, tokens: RequestTokens, now: float) -> list[Firing]:
        """Feed one request's new tokens to every rule; the rules that fired on them."""
        fired: list[Firing] = []
        key = (tokens.model_name, tokens.request_id)
        with self._lock:
            rules = self._rules
            states = self._requests.get(key)
            for rule in rules:
                scores = tokens.scores.get(rule.concept)
                if scores is None or len(scores) == 0:
                    continue
                if states is None:
                    states = self._requests[key] = {}
                state = states.get(rule.state_key)
                if state is None:
                    plan = rule.plan or ReadPlan.single(rule.aggregation.as_probe())
                    state = states[rule.state_key] = _RuleState(ProbeReader(plan))
                if state.fired:
                    continue
                running = tokens.running.get(rule.concept) if rule.own else None
                if running is not None:
                    counts = tokens.counts[rule.concept]
                else:
                    running, counts = state.reader.update(
                        scores[:, None],
                        tokens.segments
                        if tokens.segments is not None
                        else np.zeros(len(scores), dtype=np.int8),
                        tokens.sentence_end
                        if tokens.sentence_end is not None
                        else np.zeros(len(scores), dtype=np.bool_),
                        tokens.prompt_done,
                    )
                hit = _first_crossing(rule, running, counts)
                if hit is None:
                    continue
                index, value = hit
                state.fired = True
                fired.append(self._firing(rule, tokens, index, value, now))
        return fired

    def finish(self, model_name: str, request_id: str) -> None:
        """Forget a request (finished, expired or shut down)."""
        with self._lock:
            self._requests.pop((model_name, request_id), None)

    def _firing(
        self, rule: Rule, tokens: RequestTokens, index: int, value: float, now: float
    ) -> Firing:
        """Build the firing (cooldown is decided and recorded here, under the lock)."""
        cooldown_key = (tokens.model_name, rule.name)
        last = self._last_published.get(cooldown_key)
        suppressed = last is not None and now - last < rule.cooldown_s
        if not suppressed:
            self._last_published[cooldown_key] = now
        ids: tuple[int, ...] = ()
        values: tuple[float, ...] = ()
        if tokens.concept_ids is not None and tokens.concept_values is not None:
            ids = tuple(int(i) for i in tokens.concept_ids[index])
            values = tuple(float(v) for v in tokens.concept_values[index])
        return Firing(
            alert_id=self._alert_id(),
            request_id=tokens.request_id,
            model_name=tokens.model_name,
            concept=rule.concept,
            rule=rule.name,
            severity=rule.severity,
            score=value,
            threshold=rule.threshold,
            position=int(tokens.positions[index]),
            fired_at=now,
            suppressed=suppressed,
            top_concept_ids=ids,
            top_concept_values=values,
            tenant=tokens.tenant,
        )


def _first_crossing(
    rule: Rule, running: npt.NDArray[np.float64], counts: npt.NDArray[np.int64]
) -> tuple[int, float] | None:
    """The first token where the request score reaches the threshold with enough tokens
    read."""
    hits = np.flatnonzero((running >= rule.threshold) & (counts >= rule.min_tokens))
    if hits.size == 0:
        return None
    i = int(hits[0])
    return i, float(running[i])
