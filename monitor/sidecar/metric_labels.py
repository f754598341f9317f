"""Label vocabulary of the sidecar's metrics: fixed reason sets (anything else is
``other``), the model-name and series caps, and the per-model cache of label children.

Label values never come from input; a family that reaches its series cap stops growing.
"""

from __future__ import annotations

from typing import Any, Generic, Protocol, TypeVar

C = TypeVar("C")


OTHER = "other"
"""The label value of any reason outside its fixed set."""


UNKNOWN_MODEL = "unknown"
"""The model label of input that names no configured (or no longer countable) model."""


#: ``activations_dropped{reason}``: the producer's reasons (``monitor/plugin/ring.py``,
#: ``worker.py``) and the sidecar's own.
DROP_REASONS: frozenset[str] = frozenset(
    {
        "ring_buffer_full",
        "host_pool_full",
        "sidecar_unavailable",
        "label_mismatch",
        "capture_missed",
        "plugin_error",
        "opted_out",  # not a failure: the request asked not to be captured (vllm_xargs)
        "lost_in_transit",
        "sidecar_rejected",
        "sidecar_queue_full",
        "shutdown",
    }
)


#: ``tokens_uncaptured{reason}``.
UNCAPTURED_REASONS: frozenset[str] = frozenset({"prefix_cache"})


#: ``ingest_rejected{reason}``: every ``BadBatch`` reason of the ingest.
REJECT_REASONS: frozenset[str] = frozenset(
    {
        "decode",
        "empty_message",
        "no_hello",
        "hello_repeated",
        "oversized",
        "list_length",
        "model_name",
        "layer",
        "dtype",
        "shape",
        "data_size",
        "row_labels",
        "non_finite",
        "magnitude",
    }
)


#: ``ingest_ignored{reason}``: parts of accepted messages the sidecar did not use.
IGNORED_REASONS: frozenset[str] = frozenset(
    {
        "hello_layer",  # a Hello names a layer that is neither configured nor probed
        "drop_claim",  # a producer drop counter that went backwards or grew implausibly
        "tenant",  # a started request's tenant tag that is too long or not printable
    }
)


DEFAULT_MAX_SERIES_PER_FAMILY = 1000


DEFAULT_MAX_MODELS = 16


def bounded_label(value: str, allowed: frozenset[str]) -> str:
    """``value`` when it is one of ``allowed``, else ``other``."""
    return value if value in allowed else OTHER


class _NullChild:
    """Stands in for a label child refused by the series cap: every update is dropped."""

    def inc(self, amount: float = 1) -> None:
        pass

    def dec(self, amount: float = 1) -> None:
        pass

    def set(self, value: float) -> None:
        pass

    def observe(self, value: float) -> None:
        pass

    def observe_many(self, values: object) -> int:
        return 0


NULL_CHILD: Any = _NullChild()


class SeriesBudget(Protocol):
    """Creates label children against a per-family series cap (``SidecarMetrics``)."""

    def child(self, family: Any, *labels: str) -> Any:
        """The child, or ``NULL_CHILD`` once the family is at its cap."""
        ...


class _Children(Generic[C]):
    """One family's label children for one model, created on first use and cached.

    ``children(*labels)`` is the child for ``(model_name, *labels)``; label values are
    turned into strings once, when the child is created. Reads skip prometheus_client's
    lock (``labels()`` caches too, but under a lock), which matters on the hot path.
    With ``allowed`` (a fixed set for the first label), any other value is ``other``.
    A child refused by the family's series cap is a no-op and is not cached, so the
    cache never grows past the cap either.
    """

    __slots__ = ("_allowed", "_cache", "_family", "_metrics", "_model_name")

    def __init__(
        self,
        budget: SeriesBudget,
        family: Any,
        model_name: str,
        allowed: frozenset[str] | None = None,
    ) -> None:
        self._metrics = budget  # counts this family's children against its series cap
        self._family = family
        self._model_name = model_name
        self._allowed = allowed
        self._cache: dict[tuple[object, ...], C] = {}

    def __call__(self, *labels: object) -> C:
        child = self._cache.get(labels)
        if child is None:
            values = [str(label) for label in labels]
            if self._allowed is not None and values:
                values[0] = bounded_label(values[0], self._allowed)
                if values[0] == OTHER and labels[0] != OTHER:
                    return self(OTHER, *labels[1:])  # cached under ``other``: no growth
            child = self._metrics.child(self._family, self._model_name, *values)
            if child is not NULL_CHILD:
                self._cache[labels] = child
        return child
