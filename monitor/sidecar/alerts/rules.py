"""The rule engine: per request and rule, fold token scores and fire at most one alert.

A rule that uses the probe's own reading (the default) fires on the request score the
pipeline computed (``RequestTokens.running``: the probe's heads, each on its own segments);
a rule with its own aggregation folds the primary head's in-scope token scores.

Pure logic: no I/O, no wire types (it produces plain ``Firing`` records; the alert
messages are built at the edge) and no clock of its own (``now`` is passed in, in seconds since the
epoch). Each rule keeps its own reading per in-flight request and checks it after every
token, so an alert names the exact token where the rule fired; a whole batch of requests is
read and checked at once (:meth:`RuleEngine.evaluate_batch`), with the same result as
feeding each request's tokens in turn.

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
from monitor.sidecar.scoring.reading import ReadPlan
from monitor.sidecar.scoring.sinks import RequestTokens
from monitor.sidecar.scoring.table import MIN_SLOTS, ReadingTable
from monitor.sidecar.scoring.token_batch import TokenBatch
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


class _RuleTable:
    """One rule's state for every request (by engine slot): whether it holds state, has
    fired, and its own reading when the rule folds scores itself."""

    __slots__ = ("fired", "present", "reading")

    def __init__(self, rule: Rule, slots: int) -> None:
        plan = rule.plan or ReadPlan.single(rule.aggregation.as_probe())
        self.reading = ReadingTable([plan])
        self.reading.reserve(slots)
        self.present = np.zeros(slots, dtype=np.bool_)
        self.fired = np.zeros(slots, dtype=np.bool_)

    def reserve(self, slots: int) -> None:
        if slots > self.present.shape[0]:
            size = max(slots, 2 * self.present.shape[0])
            self.present = np.concatenate([self.present, np.zeros(size - len(self.present), bool)])
            self.fired = np.concatenate([self.fired, np.zeros(size - len(self.fired), bool)])
            self.reading.reserve(size)


def _new_alert_id() -> str:
    return uuid.uuid4().hex


class RuleEngine:
    """Evaluates the current rules on each request's tokens as they stream in.

    Thread-safe: ``evaluate`` / ``evaluate_batch`` / ``finish`` run on the pipeline
    thread, ``replace`` may be called from any thread. Per-request state lives in one
    table per rule (:class:`_RuleTable`), a request's row being its slot, so a batch of
    many requests is evaluated with a few array operations per rule.
    """

    def __init__(
        self,
        rules: Sequence[Rule] = (),
        *,
        alert_id: Callable[[], str] = _new_alert_id,
    ) -> None:
        self._rules: tuple[Rule, ...] = tuple(rules)
        self._alert_id = alert_id
        self._slots: dict[RequestKey, int] = {}  # requests with rule state
        self._free: list[int] = []
        self._size = MIN_SLOTS
        self._tables: dict[StateKey, _RuleTable] = {}
        self._last_published: dict[tuple[str, str], float] = {}  # (model, rule) -> time
        self._lock = threading.Lock()

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self._rules

    @property
    def active_requests(self) -> int:
        """Requests with rule state (for tests and diagnostics)."""
        return len(self._slots)

    def replace(self, rules: Sequence[Rule]) -> None:
        """Swap in new rules atomically, keeping state of rules that did not change."""
        new = tuple(rules)
        keep = {rule.state_key for rule in new}
        names = {rule.name for rule in new}
        with self._lock:
            self._rules = new
            for key in [k for k in self._tables if k not in keep]:
                del self._tables[key]
            for cooldown_key in [k for k in self._last_published if k[1] not in names]:
                del self._last_published[cooldown_key]

    def evaluate(self, tokens: RequestTokens, now: float) -> list[Firing]:
        """Feed one request's new tokens to every rule; the rules that fired on them."""
        return self.evaluate_batch(TokenBatch.of(tokens), now).get(0, [])

    def evaluate_batch(self, tokens: TokenBatch, now: float) -> dict[int, list[Firing]]:
        """Feed every request's new tokens to every rule; the firings of each group that
        had any, per group in rule order (made in group order: cooldowns see them as if
        each request's tokens had come alone, in turn)."""
        if not tokens.unique():  # a request named twice: its groups one after another
            out: dict[int, list[Firing]] = {}
            for g in range(len(tokens)):
                fired = self.evaluate_batch(TokenBatch.of(tokens.request(g)), now).get(0)
                if fired:
                    out[g] = fired
            return out
        hits: list[tuple[int, int, int, float]] = []  # group, rule, row, score
        with self._lock:
            rules = self._rules
            applicable = [(i, r) for i, r in enumerate(rules) if r.concept in tokens.scores]
            if not applicable or tokens.rows == 0:
                return {}
            slots = self._slots_of(tokens)
            for i, rule in applicable:
                hits += self._rule_hits(i, rule, tokens, slots)
            hits.sort()
            out = {}
            for g, i, row, value in hits:
                out.setdefault(g, []).append(self._firing(rules[i], tokens, g, row, value, now))
        return out

    def finish(self, model_name: str, request_id: str) -> None:
        """Forget a request (finished, expired or shut down)."""
        with self._lock:
            slot = self._slots.pop((model_name, request_id), None)
            if slot is not None:
                for table in self._tables.values():
                    table.present[slot] = False
                self._free.append(slot)

    def _slots_of(self, tokens: TokenBatch) -> npt.NDArray[np.intp]:
        """Each group's slot (a new request gets one)."""
        out = np.empty(len(tokens), dtype=np.intp)
        model = tokens.model_name
        for g, request_id in enumerate(tokens.request_ids):
            key = (model, request_id)
            slot = self._slots.get(key)
            if slot is None:
                slot = self._free.pop() if self._free else len(self._slots)
                self._slots[key] = slot
            out[g] = slot
        top = int(out.max()) + 1
        if top > self._size:
            self._size = max(top, 2 * self._size)
        for table in self._tables.values():
            table.reserve(self._size)
        return out

    def _rule_hits(
        self, index: int, rule: Rule, tokens: TokenBatch, slots: npt.NDArray[np.intp]
    ) -> list[tuple[int, int, int, float]]:
        """Where ``rule`` first fires in each group that had not fired it yet."""
        table = self._tables.get(rule.state_key)
        if table is None:
            table = self._tables[rule.state_key] = _RuleTable(rule, self._size)
        fresh = ~table.present[slots]
        if fresh.any():
            new = slots[fresh]
            table.present[new] = True
            table.fired[new] = False
            table.reading.clear(new)
        open_ = ~table.fired[slots]
        if not open_.any():
            return []
        running = tokens.running.get(rule.concept) if rule.own else None
        if running is not None:
            counts = tokens.counts[rule.concept]
        else:
            out_running = np.zeros((1, tokens.rows))
            out_counts = np.zeros((1, tokens.rows), dtype=np.int64)
            reading = table.reading
            reading.read(
                slots[open_],
                tokens.starts[open_],
                tokens.lengths[open_],
                tokens.scores[rule.concept][:, None],
                reading.in_scope(tokens.segments, tokens.sentence_end),
                tokens.prompt_done,
                out_running,
                out_counts,
            )
            running, counts = out_running[0], out_counts[0]
        cross = (running >= rule.threshold) & (counts >= rule.min_tokens)
        if not open_.all():
            cross &= np.repeat(open_, tokens.lengths)
        rows = np.flatnonzero(cross)
        if rows.size == 0:
            return []
        owner = np.repeat(np.arange(len(tokens)), tokens.lengths)[rows]
        groups, first = np.unique(owner, return_index=True)
        out = []
        for g, row in zip(groups.tolist(), rows[first].tolist(), strict=True):
            table.fired[slots[g]] = True
            out.append((g, index, row, float(running[row])))
        return out

    def _firing(
        self, rule: Rule, tokens: TokenBatch, g: int, row: int, value: float, now: float
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
            ids = tuple(int(i) for i in tokens.concept_ids[row])
            values = tuple(float(v) for v in tokens.concept_values[row])
        return Firing(
            alert_id=self._alert_id(),
            request_id=tokens.request_ids[g],
            model_name=tokens.model_name,
            concept=rule.concept,
            rule=rule.name,
            severity=rule.severity,
            score=value,
            threshold=rule.threshold,
            position=int(tokens.positions[row]),
            fired_at=now,
            suppressed=suppressed,
            top_concept_ids=ids,
            top_concept_values=values,
            tenant=tokens.tenants[g],
        )
