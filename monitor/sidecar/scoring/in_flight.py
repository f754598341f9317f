"""``InFlightRequests``: the scoring worker's table of in-flight requests.

Holds each request's :class:`~monitor.sidecar.scoring.request_state.RequestState`, the
tombstones of finished requests (their late rows must not start a new request) and the
prompts of started requests that have no rows yet (a ``started`` entry alone never creates
request state). Kept apart from the worker so the rules of when a request exists, and when
it is forgotten, read in one place; the worker holds its lock around every call.

A batch's requests are looked up at once (:meth:`InFlightRequests.touch_all`: one
dictionary lookup each, in C); only requests seen for the first time take the slower path.
Idle expiry scans every state once per interval instead of keeping them in
least-recently-seen order, which cost a reordering per request and batch.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence

from monitor.artifacts.segments import Segmenter
from monitor.sidecar.ingest.batches import DecodedBatch
from monitor.sidecar.records import RequestKey
from monitor.sidecar.scoring.request_state import RequestState
from monitor.sidecar.scoring.sinks import RequestEnd

MAX_TOMBSTONES = 65536
MAX_PENDING_PROMPTS = 4096


class InFlightRequests:
    """Request state by key, tombstones of finished requests and pending prompts (all
    bounded but the states, which idle expiry after ``ttl_s`` keeps in check)."""

    def __init__(self, segmenter: Segmenter, ttl_s: float) -> None:
        self._segmenter = segmenter
        self._ttl = ttl_s
        self._states: dict[RequestKey, RequestState] = {}
        self._by_model: dict[str, dict[str, RequestState]] = {}  # the same states, by model
        self._tombstones: OrderedDict[RequestKey, None] = OrderedDict()
        # Prompts of started requests with no rows yet (bounded, oldest dropped first):
        # (prompt token ids, tenant) of each
        self._pending_prompts: OrderedDict[RequestKey, tuple[list[int], str]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._states)

    def __iter__(self) -> Iterator[RequestKey]:
        """The keys, in the order the requests were first seen."""
        return iter(self._states)

    @property
    def pending_prompts(self) -> int:
        """How many started requests wait for their first rows."""
        return len(self._pending_prompts)

    def get(self, key: RequestKey) -> RequestState | None:
        """A request's state, if it has one (does not count as seeing it)."""
        return self._states.get(key)

    def touch(self, key: RequestKey, now: float) -> RequestState | None:
        """The state of a request seen at ``now``, created (with its pending prompt) on
        first sight; None for a finished request."""
        if key in self._tombstones:
            return None
        state = self._states.get(key)
        if state is None:
            state = self._states[key] = RequestState(last_seen=now)
            self._by_model.setdefault(key[0], {})[key[1]] = state
            pending = self._pending_prompts.pop(key, None)
            if pending is not None:
                state.set_prompt(self._segmenter.prompt_segments(pending[0]))
                state.tenant = pending[1]
        else:
            state.last_seen = now
        return state

    def touch_all(
        self, model_name: str, request_ids: Sequence[str], rows: Sequence[int], now: float
    ) -> list[RequestState | None]:
        """:meth:`touch` of each of a batch's requests (``rows``: how many rows each has
        in the batch, added to its count): their states, None for finished ones."""
        states = list(map(self._by_model.get(model_name, {}).get, request_ids))
        if None in states:  # first sight (or finished): the one-by-one path
            for i, state in enumerate(states):
                if state is None:
                    states[i] = self.touch((model_name, request_ids[i]), now)
        for state, count in zip(states, rows, strict=True):
            if state is not None:
                state.last_seen = now
                state.rows += count
        return states

    def start(self, batch: DecodedBatch, now: float, with_rows: Iterable[str] = ()) -> None:
        """Take the prompts of the batch's started requests: into the request's state when
        it has one or rows in this batch (``with_rows``: the ids of the requests that
        have), else into the pending prompts."""
        if not batch.started:
            return
        rows_for = set(with_rows)
        for started in batch.started:  # sent with every layer's batch: the first counts
            key = (batch.model_name, started.request_id)
            if key not in self._states and started.request_id not in rows_for:
                if key not in self._tombstones:
                    self._pending_prompts[key] = (
                        started.prompt_token_ids.tolist(),
                        started.tenant,
                    )
                    self._pending_prompts.move_to_end(key)
                    while len(self._pending_prompts) > MAX_PENDING_PROMPTS:
                        self._pending_prompts.popitem(last=False)
                continue
            state = self.touch(key, now)
            if state is not None and not state.tenant:
                state.tenant = started.tenant
            if state is not None and state.prompt is None:
                state.set_prompt(self._segmenter.prompt_segments(started.prompt_token_ids.tolist()))

    def idle(self, now: float) -> list[RequestKey]:
        """The requests idle for longer than the TTL at ``now``, least recently seen first."""
        oldest = now - self._ttl
        idle = [(s.last_seen, key) for key, s in self._states.items() if s.last_seen < oldest]
        idle.sort(key=lambda seen: seen[0])
        return [key for _, key in idle]

    def end(self, key: RequestKey, end: RequestEnd) -> RequestState | None:
        """Forget a request; its state (None when it had none). A finished request is
        tombstoned: rows or a start arriving after its end are ignored."""
        self._pending_prompts.pop(key, None)
        state = self._states.pop(key, None)
        if state is not None:
            same_model = self._by_model[key[0]]
            del same_model[key[1]]
            if not same_model:
                del self._by_model[key[0]]
        if end == "finished":
            self._tombstones[key] = None
            if len(self._tombstones) > MAX_TOMBSTONES:
                self._tombstones.popitem(last=False)
        return state
