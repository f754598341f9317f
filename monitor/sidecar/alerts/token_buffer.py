"""``TokenBuffer``: one in-flight request's scored tokens, kept compactly until a rule fires.

Each decode step brings a ``RequestTokens`` of one or a few tokens; keeping those objects
costs about 2 KB per token in small numpy arrays and dicts. A ``TokenBuffer`` copies the
columns of each chunk (positions, token ids, every per-concept array, segments, the
encoder's top-k, ...) into one growable record array per layer (a numpy structured array,
one field per column, packed), so a buffered token costs its column bytes plus at most the
doubling slack, and appending a chunk is one slice assignment. A whole batch of requests
is laid out as records once (:class:`BatchRecords`) and each request's rows are appended
from it. At most ``max_tokens`` tokens per layer are kept, the oldest dropped first.
``nbytes`` is the memory of the arrays (their capacity), which the trace sink adds up
against its global budget.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from monitor.sidecar.scoring.sinks import RequestTokens
from monitor.sidecar.scoring.token_batch import TokenBatch

MIN_CAPACITY = 16  # rows allocated for a new layer

_Column = tuple[str, str]  # (field of RequestTokens, concept or "")
_Keys = tuple[_Column, ...]
_OPTIONAL = (
    "concept_ids",
    "concept_values",
    "segments",
    "sentence_end",
    "prompt_done",
    "activations",  # deferred concepts: encoded if the request is flagged
)
_PER_CONCEPT = ("scores", "running", "counts")
Records = npt.NDArray[np.void]


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


def _columns(source: RequestTokens | TokenBatch, prompt: bool) -> list[tuple[_Column, Any]]:
    """The columns of a chunk (or of a whole batch: ``prompt`` says whether its rows have
    a ``prompt_done`` column), in the order the records lay them out."""
    out: list[tuple[_Column, Any]] = [
        (("positions", ""), source.positions),
        (("token_ids", ""), source.token_ids),
    ]
    for name in _PER_CONCEPT:
        mapping: Mapping[str, npt.NDArray[Any]] = getattr(source, name)
        out += [((name, concept), np.asarray(values)) for concept, values in mapping.items()]
    for name in _OPTIONAL:
        if isinstance(source, TokenBatch):
            present = prompt if name == "prompt_done" else name not in source.missing
            value = getattr(source, name) if present else None
        else:
            value = getattr(source, name)
        if value is not None:
            out.append(((name, ""), np.asarray(value)))
    return out


#: Layouts seen, so that equal layouts are the same objects (``fits`` by identity).
_LAYOUTS: dict[tuple[Any, ...], tuple[_Keys, np.dtype[np.void]]] = {}
MAX_LAYOUTS = 256


def _layout(columns: list[tuple[_Column, Any]]) -> tuple[_Keys, np.dtype[np.void]]:
    signature = tuple((key, a.dtype.str, a.shape[1:]) for key, a in columns)
    layout = _LAYOUTS.get(signature)
    if layout is None:
        if len(_LAYOUTS) >= MAX_LAYOUTS:
            _LAYOUTS.clear()
        dtype = np.dtype([(f"f{i}", a.dtype, a.shape[1:]) for i, (_, a) in enumerate(columns)])
        layout = _LAYOUTS[signature] = (tuple(key for key, _ in columns), dtype)
    return layout


def _records(columns: list[tuple[_Column, Any]]) -> tuple[_Keys, Records]:
    """The columns as one packed record array (field ``f<i>`` is column i)."""
    keys, dtype = _layout(columns)
    n = int(columns[0][1].shape[0])
    out = np.empty(n, dtype=dtype)
    for i, (_, values) in enumerate(columns):
        out[f"f{i}"] = values
    return keys, out


class BatchRecords:
    """A batch's rows as records, laid out once and sliced per request (two layouts: rows
    of requests with a known prompt carry ``prompt_done``, the others do not)."""

    __slots__ = ("_built", "tokens")

    def __init__(self, tokens: TokenBatch) -> None:
        self.tokens = tokens
        self._built: dict[bool, tuple[_Keys, Records]] = {}

    def rows(self, g: int) -> tuple[_Keys, Records]:
        """The keys and records of group ``g``."""
        tokens = self.tokens
        prompt = tokens.has_prompt[g]
        built = self._built.get(prompt)
        if built is None:
            built = self._built[prompt] = _records(_columns(tokens, prompt))
        a = int(tokens.starts[g])
        return built[0], built[1][a : a + int(tokens.lengths[g])]


class _Layer:
    """Growable records of one layer; live rows are ``[start, end)``."""

    __slots__ = ("aggregates", "end", "keys", "records", "start", "thresholds")

    def __init__(self, keys: _Keys, dtype: np.dtype[np.void], capacity: int) -> None:
        self.keys = keys
        self.records: Records = np.empty(capacity, dtype=dtype)
        self.start = 0
        self.end = 0
        #: the latest aggregates: a dict, or (a batch's running scores, the row to read)
        self.aggregates: Mapping[str, float] | tuple[Mapping[str, npt.NDArray[Any]], int] = {}
        self.thresholds: Mapping[str, float] = {}

    def __len__(self) -> int:
        return self.end - self.start

    @property
    def nbytes(self) -> int:
        return int(self.records.nbytes)

    def fits(self, keys: _Keys, dtype: np.dtype[np.void]) -> bool:
        if keys is self.keys and dtype is self.records.dtype:
            return True
        return keys == self.keys and dtype == self.records.dtype

    def append(self, chunk: Records, limit: int) -> None:
        """Add rows, keeping at most ``limit`` (the oldest go first)."""
        n = int(chunk.shape[0])
        skip = max(0, n - limit)  # a chunk longer than the limit keeps its tail
        n -= skip
        live = len(self)
        if live + n > limit:
            self.start += live + n - limit
            live = limit - n
        capacity = self.records.shape[0]
        if self.end + n > capacity:
            if live + n > capacity:
                capacity = min(limit, max(2 * capacity, live + n))
            self.records = self._moved(capacity)
            self.start, self.end = 0, live
        self.records[self.end : self.end + n] = chunk[skip:]
        self.end += n

    def _moved(self, capacity: int) -> Records:
        live = self.records[self.start : self.end]
        if capacity == self.records.shape[0]:
            self.records[: len(live)] = live.copy()  # compact in place (ranges may overlap)
            return self.records
        out = np.empty(capacity, dtype=self.records.dtype)
        out[: len(live)] = live
        return out

    def tokens(self, model_name: str, request_id: str, layer: int) -> RequestTokens:
        """The live rows as one chunk (each column a contiguous copy)."""
        fields: dict[str, Any] = {name: {} for name in _PER_CONCEPT}
        live = self.records[self.start : self.end]
        for i, (name, concept) in enumerate(self.keys):
            column = np.ascontiguousarray(live[f"f{i}"])
            if concept or name in _PER_CONCEPT:
                fields[name][concept] = column
            else:
                fields[name] = column
        if isinstance(self.aggregates, tuple):
            running, row = self.aggregates
            aggregates = {c: float(v[row]) for c, v in running.items()}
        else:
            aggregates = dict(self.aggregates)
        return RequestTokens(
            model_name=model_name,
            request_id=request_id,
            layer=layer,
            aggregates=aggregates,
            thresholds=dict(self.thresholds),
            **fields,
        )


class TokenBuffer:
    """The buffered tokens of one request: at most ``max_tokens`` per layer.

    A chunk whose columns differ from what a layer holds (another probe set after a reload,
    another encoder width) replaces that layer's rows: a trace never mixes layouts.
    """

    __slots__ = ("_layers", "_max_tokens", "_nbytes")

    def __init__(self, max_tokens: int) -> None:
        if max_tokens <= 0:
            raise ValueError(f"max_tokens must be > 0, got {max_tokens}")
        self._max_tokens = max_tokens
        self._layers: dict[int, _Layer] = {}
        self._nbytes = 0

    def __len__(self) -> int:
        return sum(len(layer) for layer in self._layers.values())

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays (their capacity)."""
        return self._nbytes

    def append(self, tokens: RequestTokens) -> int:
        """Copy a chunk's rows in; returns how many bytes the buffer grew by."""
        if not len(tokens):
            return 0
        keys, chunk = _records(_columns(tokens, tokens.prompt_done is not None))
        return self._append(
            tokens.layer, keys, chunk, dict(tokens.aggregates), dict(tokens.thresholds)
        )

    def append_rows(self, records: BatchRecords, g: int) -> int:
        """Copy group ``g`` of a batch in (as ``append(records.tokens.request(g))``);
        returns how many bytes the buffer grew by."""
        keys, chunk = records.rows(g)
        if not chunk.shape[0]:
            return 0
        batch = records.tokens
        if batch.aggregates is not None:
            aggregates: Mapping[str, float] | tuple[Mapping[str, Any], int] = batch.aggregates[g]
        else:  # read when the buffer is stored: holds the running scores, not the batch
            aggregates = (batch.running, int(batch.starts[g]) + int(chunk.shape[0]) - 1)
        return self._append(batch.layer, keys, chunk, aggregates, batch.thresholds)

    def _append(
        self,
        index: int,
        keys: _Keys,
        chunk: Records,
        aggregates: Mapping[str, float] | tuple[Mapping[str, Any], int],
        thresholds: Mapping[str, float],
    ) -> int:
        before = self._nbytes
        layer = self._layers.get(index)
        if layer is None or not layer.fits(keys, chunk.dtype):
            if layer is not None:
                self._nbytes -= layer.nbytes
            capacity = min(self._max_tokens, max(MIN_CAPACITY, int(chunk.shape[0])))
            layer = self._layers[index] = _Layer(keys, chunk.dtype, capacity)
            self._nbytes += layer.nbytes
        held = layer.nbytes
        layer.append(chunk, self._max_tokens)
        layer.aggregates = aggregates
        layer.thresholds = thresholds
        self._nbytes += layer.nbytes - held
        return self._nbytes - before

    def chunks(self, model_name: str, request_id: str) -> list[RequestTokens]:
        """The buffered rows, one chunk per layer."""
        return [
            layer.tokens(model_name, request_id, index)
            for index, layer in self._layers.items()
            if len(layer)
        ]

    def clear(self) -> None:
        """Drop every row and release the arrays."""
        self._layers.clear()
        self._nbytes = 0
