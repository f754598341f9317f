"""A ScoreSink that records what it receives."""

from __future__ import annotations

import threading

from monitor.sidecar.scoring.sinks import BaseScoreSink, RequestResult, RequestTokens


class RecordingSink(BaseScoreSink):
    def __init__(self) -> None:
        self.tokens: list[RequestTokens] = []
        self.finished: list[RequestResult] = []
        self._lock = threading.Lock()

    def on_tokens(self, tokens: RequestTokens) -> None:
        with self._lock:
            self.tokens.append(tokens)

    def on_request_finished(self, result: RequestResult) -> None:
        with self._lock:
            self.finished.append(result)

    def scores_of(self, request_id: str, concept: str) -> dict[int, float]:
        """position -> score for one request and concept."""
        with self._lock:
            out: dict[int, float] = {}
            for t in self.tokens:
                if t.request_id == request_id and concept in t.scores:
                    out.update(zip(t.positions.tolist(), t.scores[concept].tolist(), strict=True))
            return out
