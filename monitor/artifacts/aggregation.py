"""Streaming per-request aggregation of token scores, O(1) amortised per token.

This module also owns the aggregation vocabulary: the method names the probe artifacts,
``monitor.yaml`` rules and the training toolkit all use (``AggregationMethod``). Older
spellings are listed in ``METHOD_ALIASES`` and mapped to the canonical name where a
person writes them by hand (``canonical_method``). It needs only the standard library.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from typing import Literal, Protocol

AggregationMethod = Literal["mean", "max", "ema", "max_rolling_mean"]
#: Every method, in the order documentation lists them.
AGGREGATION_METHODS: tuple[AggregationMethod, ...] = ("mean", "max", "ema", "max_rolling_mean")
#: Older names still accepted in hand-written configuration, with their canonical name.
METHOD_ALIASES: Mapping[str, AggregationMethod] = {"rolling_mean_max": "max_rolling_mean"}


def canonical_method(name: str) -> str:
    """``name`` with an old spelling replaced by its canonical method name (anything else,
    valid or not, comes back unchanged for the caller's own validation to judge)."""
    return METHOD_ALIASES.get(name, name)


class AggregationSetting(Protocol):
    """What an aggregator is built from: a method and its parameters (a probe artifact's
    ``Aggregation`` section, or a rule's hashable copy of one)."""

    @property
    def method(self) -> AggregationMethod: ...

    @property
    def alpha(self) -> float:
        """EMA smoothing factor (method ``ema``)."""
        ...

    @property
    def window(self) -> int:
        """Window in tokens (method ``max_rolling_mean``)."""
        ...


class Aggregator(Protocol):
    """Folds token scores, in position order, into one request score."""

    def update(self, scores: Iterable[float]) -> float:
        """Add scores; return the aggregated value after them."""
        ...

    @property
    def value(self) -> float:
        """Aggregated value so far (0.0 before any token)."""
        ...

    @property
    def count(self) -> int:
        """Tokens seen."""
        ...


class MeanAggregator:
    """Arithmetic mean of all token scores."""

    def __init__(self) -> None:
        self._sum = 0.0
        self._n = 0

    def update(self, scores: Iterable[float]) -> float:
        for s in scores:
            self._sum += float(s)
            self._n += 1
        return self.value

    @property
    def value(self) -> float:
        return self._sum / self._n if self._n else 0.0

    @property
    def count(self) -> int:
        return self._n


class MaxAggregator:
    """Largest token score."""

    def __init__(self) -> None:
        self._max = 0.0
        self._n = 0

    def update(self, scores: Iterable[float]) -> float:
        for s in scores:
            s = float(s)
            if self._n == 0 or s > self._max:
                self._max = s
            self._n += 1
        return self.value

    @property
    def value(self) -> float:
        return self._max

    @property
    def count(self) -> int:
        return self._n


class EmaAggregator:
    """Exponential moving average, ``ema = alpha * s + (1 - alpha) * ema``, seeded by the
    first score; the value is the current (last) EMA."""

    def __init__(self, alpha: float) -> None:
        if not 0 < alpha <= 1:
            raise ValueError(f"alpha must be in (0, 1], got {alpha}")
        self._alpha = alpha
        self._ema = 0.0
        self._n = 0

    def update(self, scores: Iterable[float]) -> float:
        a = self._alpha
        for s in scores:
            s = float(s)
            self._ema = s if self._n == 0 else a * s + (1.0 - a) * self._ema
            self._n += 1
        return self.value

    @property
    def value(self) -> float:
        return self._ema

    @property
    def count(self) -> int:
        return self._n


class MaxRollingMeanAggregator:
    """Largest mean over ``window`` consecutive tokens; with fewer tokens than the window,
    the mean of all tokens so far."""

    def __init__(self, window: int) -> None:
        if window <= 0:
            raise ValueError(f"window must be > 0, got {window}")
        self._window = window
        self._recent: deque[float] = deque()
        self._sum = 0.0
        self._best = 0.0
        self._n = 0

    def update(self, scores: Iterable[float]) -> float:
        w = self._window
        for s in scores:
            s = float(s)
            self._recent.append(s)
            self._sum += s
            if len(self._recent) > w:
                self._sum -= self._recent.popleft()
            self._n += 1
            if self._n >= w:
                mean = self._sum / w
                if self._n == w or mean > self._best:
                    self._best = mean
        return self.value

    @property
    def value(self) -> float:
        if self._n == 0:
            return 0.0
        if self._n < self._window:
            return self._sum / self._n
        return self._best

    @property
    def count(self) -> int:
        return self._n


def make_aggregator(spec: AggregationSetting) -> Aggregator:
    """The aggregator a probe's ``aggregation`` section (or a rule's) asks for."""
    if spec.method == "mean":
        return MeanAggregator()
    if spec.method == "max":
        return MaxAggregator()
    if spec.method == "ema":
        return EmaAggregator(spec.alpha)
    if spec.method == "max_rolling_mean":
        return MaxRollingMeanAggregator(spec.window)
    raise ValueError(f"unknown aggregation method {spec.method!r}")
