"""``TokenBuffer``: one in-flight request's scored tokens, kept compactly until a rule fires.

Each decode step brings a ``RequestTokens`` of one or a few tokens; keeping those objects
costs about 2 KB per token in small numpy arrays and dicts. A ``TokenBuffer`` copies the
columns of each chunk (positions, token ids, every per-concept array, segments, the
encoder's top-k, ...) into growable numpy arrays, one set per layer, so a buffered token
costs its column bytes plus at most the doubling slack. At most ``max_tokens`` tokens per
layer are kept, the oldest dropped first. ``nbytes`` is the memory of the arrays (their
capacity), which the trace sink adds up against its global budget.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from monitor.sidecar.scoring.sinks import RequestTokens

MIN_CAPACITY = 16  # rows allocated for a new layer

_Column = tuple[str, str]  # (field of RequestTokens, concept or "")
_OPTIONAL = ("concept_ids", "concept_values", "segments", "sentence_end", "prompt_done")
_PER_CONCEPT = ("scores", "running", "counts")


def rows(tokens: RequestTokens, start: int, stop: int) -> RequestTokens:
    """Tokens ``start:stop`` of a chunk (the chunk itself when that is all of it)."""
    if start <= 0 and stop >= len(tokens):
        return tokens
    cut = slice(start, stop)
    changes: dict[str, Any] = {
        "positions": tokens.positions[cut],
        "token_ids": tokens.token_ids[cut],
    }
    for name in _PER_CONCEPT:
        changes[name] = {c: v[cut] for c, v in getattr(tokens, name).items()}
    for name in _OPTIONAL:
        value = getattr(tokens, name)
        changes[name] = value[cut] if value is not None else None
    return dataclasses.replace(tokens, **changes)


def _columns(tokens: RequestTokens) -> list[tuple[_Column, npt.NDArray[Any]]]:
    out: list[tuple[_Column, npt.NDArray[Any]]] = [
        (("positions", ""), tokens.positions),
        (("token_ids", ""), tokens.token_ids),
    ]
    for name in _PER_CONCEPT:
        mapping: Mapping[str, npt.NDArray[Any]] = getattr(tokens, name)
        out += [((name, concept), np.asarray(values)) for concept, values in mapping.items()]
    for name in _OPTIONAL:
        value = getattr(tokens, name)
        if value is not None:
            out.append(((name, ""), np.asarray(value)))
    return out


class _Layer:
    """Growable columns of one layer; live rows are ``[start, end)``."""

    __slots__ = ("aggregates", "arrays", "end", "keys", "layout", "start", "thresholds")

    def __init__(self, columns: list[tuple[_Column, npt.NDArray[Any]]], capacity: int) -> None:
        self.keys = [key for key, _ in columns]
        self.layout = [(key, a.dtype, a.shape[1:]) for key, a in columns]
        self.arrays = [np.empty((capacity, *a.shape[1:]), a.dtype) for _, a in columns]
        self.start = 0
        self.end = 0
        self.aggregates: Mapping[str, float] = {}
        self.thresholds: Mapping[str, float] = {}

    def __len__(self) -> int:
        return self.end - self.start

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.arrays)

    def fits(self, columns: list[tuple[_Column, npt.NDArray[Any]]]) -> bool:
        return len(columns) == len(self.layout) and all(
            key == k and a.dtype == dtype and a.shape[1:] == shape
            for (key, a), (k, dtype, shape) in zip(columns, self.layout, strict=True)
        )

    def append(self, columns: list[tuple[_Column, npt.NDArray[Any]]], limit: int) -> None:
        """Add rows, keeping at most ``limit`` (the oldest go first)."""
        n = int(columns[0][1].shape[0])
        skip = max(0, n - limit)  # a chunk longer than the limit keeps its tail
        n -= skip
        live = len(self)
        if live + n > limit:
            self.start += live + n - limit
            live = limit - n
        capacity = self.arrays[0].shape[0]
        if self.end + n > capacity:
            if live + n > capacity:
                capacity = min(limit, max(2 * capacity, live + n))
            self.arrays = [self._moved(a, capacity) for a in self.arrays]
            self.start, self.end = 0, live
        for array, (_, values) in zip(self.arrays, columns, strict=True):
            array[self.end : self.end + n] = values[skip:]
        self.end += n

    def _moved(self, array: npt.NDArray[Any], capacity: int) -> npt.NDArray[Any]:
        live = array[self.start : self.end]
        if capacity == array.shape[0]:
            array[: len(live)] = live.copy()  # compact in place (ranges may overlap)
            return array
        out = np.empty((capacity, *array.shape[1:]), array.dtype)
        out[: len(live)] = live
        return out

    def tokens(self, model_name: str, request_id: str, layer: int) -> RequestTokens:
        """The live rows as one chunk (views into the buffer)."""
        fields: dict[str, Any] = {name: {} for name in _PER_CONCEPT}
        for (name, concept), array in zip(self.keys, self.arrays, strict=True):
            view = array[self.start : self.end]
            if concept or name in _PER_CONCEPT:
                fields[name][concept] = view
            else:
                fields[name] = view
        return RequestTokens(
            model_name=model_name,
            request_id=request_id,
            layer=layer,
            aggregates=self.aggregates,
            thresholds=self.thresholds,
            **fields,
        )


class TokenBuffer:
    """The buffered tokens of one request: at most ``max_tokens`` per layer.

    A chunk whose columns differ from what a layer holds (another probe set after a reload,
    another encoder width) replaces that layer's rows: a trace never mixes layouts.
    """

    __slots__ = ("_layers", "_max_tokens")

    def __init__(self, max_tokens: int) -> None:
        if max_tokens <= 0:
            raise ValueError(f"max_tokens must be > 0, got {max_tokens}")
        self._max_tokens = max_tokens
        self._layers: dict[int, _Layer] = {}

    def __len__(self) -> int:
        return sum(len(layer) for layer in self._layers.values())

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays (their capacity)."""
        return sum(layer.nbytes for layer in self._layers.values())

    def append(self, tokens: RequestTokens) -> None:
        """Copy a chunk's rows in."""
        if not len(tokens):
            return
        columns = _columns(tokens)
        layer = self._layers.get(tokens.layer)
        if layer is None or not layer.fits(columns):
            capacity = min(self._max_tokens, max(MIN_CAPACITY, len(tokens)))
            layer = self._layers[tokens.layer] = _Layer(columns, capacity)
        layer.append(columns, self._max_tokens)
        layer.aggregates = dict(tokens.aggregates)
        layer.thresholds = dict(tokens.thresholds)

    def chunks(self, model_name: str, request_id: str) -> list[RequestTokens]:
        """The buffered rows, one chunk per layer. They are views into the buffer: do not
        append while they are in use (``clear`` is fine)."""
        return [
            layer.tokens(model_name, request_id, index)
            for index, layer in self._layers.items()
            if len(layer)
        ]

    def clear(self) -> None:
        """Drop every row and release the arrays."""
        self._layers.clear()
