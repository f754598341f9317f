"""A ScoreSink that records what it receives."""

from __future__ import annotations

import threading

from monitor.sidecar.sinks import RequestResult, TokenScores


class RecordingSink:
    def __init__(self) -> None:
        self.tokens: list[TokenScores] = []
        self.finished: list[RequestResult] = []
        self._lock = threading.Lock()

    def on_tokens(self, scores: TokenScores) -> None:
        with self._lock:
            self.tokens.append(scores)

    def on_request_finished(self, result: RequestResult) -> None:
        with self._lock:
            self.finished.append(result)

    def scores_of(self, request_id: str, concept: str) -> dict[int, float]:
        """position -> score for one request and concept."""
        with self._lock:
            out: dict[int, float] = {}
            for t in self.tokens:
                if t.request_id == request_id and t.concept == concept:
                    out.update(zip(t.positions.tolist(), t.scores.tolist(), strict=True))
            return out
