"""Where scores go: the ``ScoreSink`` protocol and the Prometheus metrics sink."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np
import numpy.typing as npt

from monitor.sidecar.ingest.batches import DecodedBatch
from monitor.sidecar.metrics import SidecarMetrics

if TYPE_CHECKING:
    from monitor.sidecar.scoring.token_batch import TokenBatch

RequestEnd = Literal["finished", "expired", "shutdown"]


@dataclass(frozen=True)
class RequestTokens:
    """Everything scored for the tokens of one request in one batch (one layer).

    ``scores`` (the primary head's per-token score) and ``aggregates`` hold every probe of
    the layer; ``running`` is each probe's request score after each token and ``counts``
    the tokens it has read by then; ``segments``, ``sentence_end`` and ``prompt_done``
    say where each token sits in the request;
    ``concept_ids`` / ``concept_values`` are the concept encoder's per-token top-k (None
    without an encoder). Empty mappings mean "not computed" (tests, old producers).
    """

    model_name: str
    request_id: str
    layer: int
    positions: npt.NDArray[np.int64]  # [n], ascending
    token_ids: npt.NDArray[np.int64]  # [n]
    scores: Mapping[str, npt.NDArray[np.float32]]  # concept -> [n], in [0, 1]
    aggregates: Mapping[str, float]  # concept -> the request's aggregate after these tokens
    thresholds: Mapping[str, float]  # concept -> the probe's calibrated threshold
    concept_ids: npt.NDArray[np.int32] | None = None  # [n, k], largest value first
    concept_values: npt.NDArray[np.float32] | None = None  # [n, k]
    segments: npt.NDArray[np.int8] | None = None  # [n] monitor.artifacts.segments.Segment
    running: Mapping[str, npt.NDArray[np.float64]] = field(default_factory=dict)  # concept -> [n]
    counts: Mapping[str, npt.NDArray[np.int64]] = field(default_factory=dict)  # concept -> [n]
    sentence_end: npt.NDArray[np.bool_] | None = None  # [n] the token ends a sentence
    prompt_done: npt.NDArray[np.bool_] | None = None  # [n] the prompt is complete here
    tenant: str = ""  # the request's tenant tag ('' when none)
    #: [n, d_model] the rows of the encoder's layer while concepts are deferred (the
    #: encoder runs on flagged requests only: ``encoder_scope: flagged``); else None
    activations: npt.NDArray[np.float32] | None = None

    def __len__(self) -> int:
        return int(self.positions.shape[0])


@dataclass(frozen=True)
class RequestResult:
    """A request's aggregated scores when it finishes, expires or the sidecar stops."""

    model_name: str
    request_id: str
    end: RequestEnd
    scores: dict[str, float] = field(default_factory=dict)  # concept -> aggregated score
    tokens_scored: dict[str, int] = field(default_factory=dict)  # concept -> tokens
    rows: int = 0  # captured rows received, all layers
    uncaptured: dict[str, int] = field(default_factory=dict)  # reason -> tokens


class ScoreSink(Protocol):
    """Receives scores from the scoring worker thread.

    Thread contract: every method is called on the worker thread, must not block for long
    and should not raise (an exception is counted and logged, never propagated).
    Lifecycle: the worker owns the per-request table; every request a sink saw tokens of
    ends with exactly one ``on_request_finished`` (finished, expired or shutdown), after
    which no more tokens of it arrive. ``shutdown`` is called once, after the last request
    ended, when the sidecar stops.
    """

    #: False: the sink receives only finished requests (no ``on_tokens`` calls).
    wants_tokens: bool
    #: True: a batch's tokens come in one ``on_token_batch`` call instead of one
    #: ``on_tokens`` per request.
    takes_batches: bool

    def tokens_wanted(self) -> bool:
        """Whether ``on_tokens`` would use tokens now (asked once per batch of a sink that
        ``wants_tokens``; False: the batch's tokens are not built for it)."""
        ...

    def on_tokens(self, tokens: RequestTokens) -> None:
        """New scored tokens of one in-flight request."""
        ...

    def on_token_batch(self, tokens: TokenBatch) -> None:
        """New scored tokens of the in-flight requests of one batch (``takes_batches``)."""
        ...

    def on_request_finished(self, result: RequestResult) -> None:
        """A request's per-request state is final."""
        ...

    def force_flush(self, timeout: float) -> bool:
        """Wait until what the sink handed on so far is durable; False on timeout."""
        ...

    def shutdown(self, timeout: float) -> bool:
        """Flush and release resources; False when that did not finish within ``timeout``."""
        ...


class BaseScoreSink:
    """Defaults for a ``ScoreSink``: wants tokens, ignores everything, buffers nothing."""

    wants_tokens = True
    takes_batches = False

    def tokens_wanted(self) -> bool:
        """Always."""
        return True

    def on_tokens(self, tokens: RequestTokens) -> None:
        """Ignore the tokens."""

    def on_token_batch(self, tokens: TokenBatch) -> None:
        """Each request's tokens to ``on_tokens``, in order."""
        for g in range(len(tokens)):
            self.on_tokens(tokens.request(g))

    def on_request_finished(self, result: RequestResult) -> None:
        """Ignore the result."""

    def force_flush(self, timeout: float) -> bool:
        """Nothing is buffered."""
        return True

    def shutdown(self, timeout: float) -> bool:
        """Nothing to release."""
        return True


class ActivationSink(Protocol):
    """Receives every validated batch (activations and labels) before scoring.

    Used to collect training activations through the serving path, and by tests
    that compare what arrived with an independent forward pass.
    """

    def on_batch(self, batch: DecodedBatch) -> None:
        """A validated batch; must not block for long."""
        ...


class MetricsSink(BaseScoreSink):
    """Observes finished requests' aggregated scores into a histogram.

    Per-token scores are observed by the pipeline once per batch (cheaper than once per
    request), so this sink declares ``wants_tokens = False``.
    """

    wants_tokens = False

    def __init__(self, metrics: SidecarMetrics) -> None:
        self._metrics = metrics

    def on_tokens(self, tokens: RequestTokens) -> None:
        """Not called (``wants_tokens`` is False)."""

    def on_request_finished(self, result: RequestResult) -> None:
        if result.end != "finished":
            return
        model = self._metrics.model(result.model_name)
        for concept, value in result.scores.items():
            model.request_score(concept).observe(value)
