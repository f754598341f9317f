"""Automatic concept labels: top-activating contexts, a short label, probe correlations.

For each concept: the contexts (a window of tokens with the activating token marked
``[[like this]]``) where it is most active, a short label made of the tokens it most
often fires on among its top activations, how often it fires, and its Pearson
correlation, over the probe data sets' records, between the concept's mean activation
on a record's read tokens and the record's label (one per probe concept). Contexts
that repeat (the corpora reuse prompts) count once.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from probes.encoder.dataset import ActivationSet

EXAMPLES = 8
LABEL_FROM = 24  # top activations the label is derived from
CANDIDATES = 96  # top activations searched for distinct contexts
WINDOW_BEFORE = 10
WINDOW_AFTER = 3


def top_rows(
    ids: npt.NDArray[np.int32], values: npt.NDArray[np.float32], m: int, n: int
) -> list[list[tuple[int, float]]]:
    """For each concept, its ``n`` largest (row, value) pairs, largest first."""
    rows = np.repeat(np.arange(ids.shape[0]), ids.shape[1])
    flat_ids, flat_values = ids.reshape(-1), values.reshape(-1)
    keep = flat_values > 0
    rows, flat_ids, flat_values = rows[keep], flat_ids[keep], flat_values[keep]
    order = np.lexsort((-flat_values, flat_ids))
    rows, flat_ids, flat_values = rows[order], flat_ids[order], flat_values[order]
    starts = np.searchsorted(flat_ids, np.arange(m + 1))
    return [
        [(int(r), float(v)) for r, v in zip(rows[a : a + n], flat_values[a : a + n], strict=True)]
        if b > a
        else []
        for a, end in itertools.pairwise(starts)
        for b in [min(end, a + n)]
    ]


def _piece(tokenizer: Any, token: int) -> str:
    return str(tokenizer.decode([int(token)])).replace("\n", "\\n")


def _window(data: ActivationSet, row: int) -> tuple[int, int]:
    seq = int(np.searchsorted(data.offsets, row, side="right") - 1)
    a, b = int(data.offsets[seq]), int(data.offsets[seq + 1])
    return max(a, row - WINDOW_BEFORE), min(b, row + WINDOW_AFTER + 1)


def distinct(
    data: ActivationSet, top: Sequence[tuple[int, float]], n: int
) -> list[tuple[int, float]]:
    """The first ``n`` of ``top`` whose token windows differ (the corpora repeat prompts)."""
    seen: set[tuple[int, ...]] = set()
    out = []
    for row, value in top:
        lo, hi = _window(data, row)
        key = (row - lo, *data.tokens[lo:hi].tolist())
        if key not in seen:
            seen.add(key)
            out.append((row, value))
            if len(out) == n:
                break
    return out


def context(tokenizer: Any, data: ActivationSet, row: int) -> str:
    """The tokens around ``row`` (within its sequence) with ``row``'s token marked."""
    lo, hi = _window(data, row)
    before = "".join(_piece(tokenizer, t) for t in data.tokens[lo:row])
    after = "".join(_piece(tokenizer, t) for t in data.tokens[row + 1 : hi])
    return f"{before}[[{_piece(tokenizer, data.tokens[row])}]]{after}"


def short_label(tokenizer: Any, data: ActivationSet, top: Sequence[tuple[int, float]]) -> str:
    """The (at most three) tokens the concept fires on most often among its top rows."""
    if not top:
        return "(never active)"
    counts = Counter(_piece(tokenizer, data.tokens[r]).strip() or "␣" for r, _ in top)
    words = [w for w, _ in counts.most_common(3)]
    return " / ".join(f"'{w}'" for w in words)


def probe_correlations(
    data: ActivationSet,
    ids: npt.NDArray[np.int32],
    values: npt.NDArray[np.float32],
    m: int,
) -> dict[str, npt.NDArray[np.float64]]:
    """Per probe concept, ``[m]`` Pearson correlations of each concept's mean activation
    on a probe-data record's read tokens with the record's label."""
    by_concept: dict[str, list[int]] = {}
    for i, meta in enumerate(data.meta):
        if meta["source"] == "probe_data":
            by_concept.setdefault(meta["concept"], []).append(i)
    out: dict[str, npt.NDArray[np.float64]] = {}
    for concept, seqs in sorted(by_concept.items()):
        features = np.zeros((len(seqs), m))
        labels = np.array([data.meta[i]["label"] for i in seqs], np.float64)
        for j, i in enumerate(seqs):
            a = int(data.offsets[i]) + max(int(data.meta[i].get("read_start", 0)), 1)
            b = int(data.offsets[i + 1])
            if b <= a:
                continue
            np.add.at(features[j], ids[a:b].reshape(-1), values[a:b].reshape(-1))
            features[j] /= b - a
        out[concept] = _pearson(features, labels)
    return out


def _pearson(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    xc = x - x.mean(axis=0)
    yc = y - y.mean()
    den = np.sqrt((xc**2).sum(axis=0) * (yc**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (xc * yc[:, None]).sum(axis=0) / den
    return np.nan_to_num(r)


def build_concepts(
    tokenizer: Any,
    data: ActivationSet,
    ids: npt.NDArray[np.int32],
    values: npt.NDArray[np.float32],
    m: int,
) -> tuple[list[dict[str, Any]], dict[str, npt.NDArray[np.float64]]]:
    """Every concept's label, examples, frequency and probe correlations."""
    top = [distinct(data, t, LABEL_FROM) for t in top_rows(ids, values, m, CANDIDATES)]
    counts = np.bincount(ids[values > 0].reshape(-1), minlength=m)
    correlations = probe_correlations(data, ids, values, m)
    concepts = []
    for c in range(m):
        concepts.append(
            {
                "id": c,
                "label": short_label(tokenizer, data, top[c][:LABEL_FROM]),
                "frequency": float(counts[c] / max(len(ids), 1)),
                "examples": [
                    {"context": context(tokenizer, data, r), "value": round(v, 4)}
                    for r, v in top[c][:EXAMPLES]
                ],
                "probe_correlation": {
                    name: round(float(r[c]), 4) for name, r in correlations.items()
                },
            }
        )
    return concepts, correlations


def most_associated(
    concepts: Sequence[dict[str, Any]],
    correlations: dict[str, npt.NDArray[np.float64]],
    n: int = 10,
) -> dict[str, list[dict[str, Any]]]:
    """Per probe concept, the ``n`` concepts with the largest positive correlation."""
    return {
        name: [
            {"id": int(c), "label": concepts[int(c)]["label"], "r": round(float(r[c]), 4)}
            for c in np.argsort(-r)[:n]
        ]
        for name, r in correlations.items()
    }
