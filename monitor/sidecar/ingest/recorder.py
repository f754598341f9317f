"""``ActivationRecorder``: an activation sink that keeps every row that arrived, per request.

Used where activations are the product rather than scores: training collection through the
serving path (``probes/collect.py``) and integration tests that compare what arrived with an
independent forward pass. Rows are kept per request, layer and position until popped, so
memory grows with what is recorded: record only the layers you read.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import numpy.typing as npt

from monitor.sidecar.ingest.batches import DecodedBatch

Row = tuple[int, int, npt.NDArray[np.float32]]
"""(position, token id, activation) of one token at one layer."""


class ActivationRecorder:
    """Implements ``ActivationSink``; thread-safe (batches arrive on the worker thread)."""

    def __init__(self, layers: Iterable[int] | None = None) -> None:
        self._layers = None if layers is None else frozenset(layers)
        self._lock = threading.Lock()
        # request -> layer -> position -> activation
        self._rows: dict[str, dict[int, dict[int, npt.NDArray[np.float32]]]] = {}
        self._tokens: dict[str, dict[int, int]] = {}  # request -> position -> token id
        self.uncaptured: dict[str, dict[str, int]] = defaultdict(dict)  # request -> reason -> n
        self.finished: set[str] = set()
        self.batches = 0  # every batch that arrived, recorded layer or not

    def on_batch(self, batch: DecodedBatch) -> None:
        """Record the rows of a validated batch (of a recorded layer)."""
        with self._lock:
            self.batches += 1
            for note in batch.uncaptured:
                self.uncaptured[note.request_id][note.reason] = note.count
            self.finished.update(batch.finished_request_ids)
            if self._layers is not None and batch.layer not in self._layers:
                return
            for i in range(batch.rows):
                request_id = batch.request_ids[int(batch.row_request[i])]
                position = int(batch.positions[i])
                layers = self._rows.setdefault(request_id, {})
                layers.setdefault(batch.layer, {})[position] = batch.activations[i].copy()
                self._tokens.setdefault(request_id, {})[position] = int(batch.token_ids[i])

    def requests(self) -> list[str]:
        """Ids of the requests with recorded rows."""
        with self._lock:
            return list(self._rows)

    def rows(self, request_id: str, layer: int) -> list[Row]:
        """A request's rows of one layer, by position (empty when none arrived)."""
        with self._lock:
            by_position = dict(self._rows.get(request_id, {}).get(layer, {}))
            tokens = dict(self._tokens.get(request_id, {}))
        return [(p, tokens[p], by_position[p]) for p in sorted(by_position)]

    def pop(self, request_id: str) -> dict[int, dict[int, npt.NDArray[np.float32]]]:
        """Forget a request; its rows (layer -> position -> activation)."""
        with self._lock:
            self._tokens.pop(request_id, None)
            return self._rows.pop(request_id, {})

    def matching(self, prompt_ids: Sequence[int]) -> list[str]:
        """Requests whose recorded tokens after any uncaptured (cached) prefix start with
        ``prompt_ids`` from that position on."""
        with self._lock:
            candidates = {r: dict(t) for r, t in self._tokens.items()}
        matches = []
        for request_id, by_position in candidates.items():
            if not by_position or min(by_position) >= len(prompt_ids):
                continue
            start = min(by_position)
            if all(by_position.get(p) == prompt_ids[p] for p in range(start, len(prompt_ids))):
                matches.append(request_id)
        return matches

    def find(self, prompt_ids: Sequence[int], timeout: float = 30.0) -> str:
        """The one request matching ``prompt_ids``, waiting for its rows to arrive."""
        _wait(lambda: len(self.matching(prompt_ids)) >= 1, timeout)
        matches = self.matching(prompt_ids)
        if len(matches) != 1:
            raise AssertionError(f"{len(matches)} recorded requests match the prompt")
        return matches[0]

    def complete(self, token_ids: Sequence[int], layers: Sequence[int]) -> str | None:
        """The id of a request whose tokens are exactly ``token_ids``, with a row at every
        position of every one of ``layers``; None while there is none."""
        n = len(token_ids)
        with self._lock:
            for request_id, tokens in self._tokens.items():
                if (
                    len(tokens) == n
                    and all(tokens.get(p) == t for p, t in enumerate(token_ids))
                    and all(len(self._rows[request_id].get(layer, {})) == n for layer in layers)
                ):
                    return request_id
        return None


def _wait(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
