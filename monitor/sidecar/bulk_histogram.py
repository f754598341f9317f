"""A Prometheus histogram that takes a whole array of observations in one call.

Per-token scores arrive thousands at a time; ``Histogram.observe`` per value would
cost more than the scoring itself. This collector bins an array with numpy and
exposes the usual ``_bucket`` / ``_count`` / ``_sum`` series.

NaN and infinite values are never observed: one of them would turn ``_sum`` into NaN
for the life of the process. They are left out and returned as a count, for the caller
to report.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt
from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString


class BulkHistogramChild:
    """The bucket counts of one label set."""

    def __init__(self, bounds: npt.NDArray[np.float64]) -> None:
        self._bounds = bounds
        self._counts = np.zeros(len(bounds) + 1, dtype=np.int64)  # last: above every bound
        self._sum = 0.0
        self._lock = threading.Lock()

    def observe_many(self, values: npt.ArrayLike) -> int:
        """Add every finite value of ``values``; returns how many were left out (NaN or
        infinite)."""
        array = np.asarray(values, dtype=np.float64).ravel()
        finite = np.isfinite(array)
        skipped = int(array.size - np.count_nonzero(finite))
        if skipped:
            array = array[finite]
        if array.size == 0:
            return skipped
        bins = np.searchsorted(self._bounds, array, side="left")
        counts = np.bincount(bins, minlength=len(self._counts))
        with self._lock:
            self._counts += counts
            self._sum += float(array.sum())
        return skipped

    def observe(self, value: float) -> None:
        """Add one value (left out when not finite)."""
        self.observe_many([value])

    def snapshot(self) -> tuple[npt.NDArray[np.int64], float]:
        """Cumulative bucket counts (one per bound, then +Inf) and the sum."""
        with self._lock:
            return np.cumsum(self._counts), self._sum


class BulkHistogram:
    """A labelled histogram family registered as a custom collector."""

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str],
        buckets: Sequence[float],
        registry: CollectorRegistry,
    ) -> None:
        self._name = name
        self._doc = documentation
        self._labelnames = tuple(labelnames)
        self._bounds = np.asarray(sorted(b for b in buckets if b != float("inf")), np.float64)
        self._children: dict[tuple[str, ...], BulkHistogramChild] = {}
        self._lock = threading.Lock()
        registry.register(self)

    def labels(self, *values: str) -> BulkHistogramChild:
        """The child for these label values (created on first use)."""
        if len(values) != len(self._labelnames):
            raise ValueError(f"{self._name} takes labels {self._labelnames}")
        with self._lock:
            child = self._children.get(values)
            if child is None:
                child = self._children[values] = BulkHistogramChild(self._bounds)
            return child

    def describe(self) -> Iterable[Metric]:
        """The family, without samples (for the registry's name checks)."""
        return [HistogramMetricFamily(self._name, self._doc, labels=self._labelnames)]

    def collect(self) -> Iterable[Metric]:
        """Current bucket counts of every label set."""
        family = HistogramMetricFamily(self._name, self._doc, labels=self._labelnames)
        with self._lock:
            children = list(self._children.items())
        for values, child in children:
            cumulative, total = child.snapshot()
            bounds = [*(floatToGoString(b) for b in self._bounds), "+Inf"]
            family.add_metric(
                list(values),
                buckets=list(zip(bounds, cumulative.tolist(), strict=True)),
                sum_value=total,
            )
        return [family]
