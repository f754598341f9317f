"""Concept labels, probe correlations, the activation set and the prompt corpus."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from probes.encoder.corpus import generate_prompts
from probes.encoder.dataset import ActivationSet
from probes.encoder.labels import distinct, probe_correlations, short_label, top_rows


class PieceTokenizer:
    """Token id -> text piece."""

    def __init__(self, pieces: dict[int, str]) -> None:
        self.pieces = pieces

    def decode(self, ids: list[int]) -> str:
        return "".join(self.pieces[i] for i in ids)


def small_set(tokens: list[list[int]], meta: list[dict[str, object]]) -> ActivationSet:
    flat = np.concatenate([np.asarray(t, np.int32) for t in tokens])
    offsets = np.concatenate([[0], np.cumsum([len(t) for t in tokens])]).astype(np.int64)
    return ActivationSet(
        layer=1,
        tokens=flat,
        activations=np.arange(len(flat) * 2, dtype=np.float16).reshape(-1, 2),
        offsets=offsets,
        meta=meta,
    )


def test_top_rows_orders_each_concepts_activations() -> None:
    ids = np.array([[0, 1], [1, 2], [0, 1]], np.int32)
    values = np.array([[1.0, 5.0], [2.0, 0.0], [3.0, 1.0]], np.float32)
    top = top_rows(ids, values, m=4, n=2)
    assert top[0] == [(2, 3.0), (0, 1.0)]
    assert top[1] == [(0, 5.0), (1, 2.0)]
    assert top[2] == [] and top[3] == []  # concept 2 only had a zero value


def test_repeated_contexts_count_once_in_examples_and_labels() -> None:
    data = small_set([[5, 6, 7], [5, 6, 7], [8, 6, 9]], [{}, {}, {}])
    top = [(1, 3.0), (4, 2.9), (7, 1.0)]  # rows 1 and 4: token 6 in identical windows
    kept = distinct(data, top, 5)
    assert kept == [(1, 3.0), (7, 1.0)]
    tokenizer = PieceTokenizer({5: "a", 6: " cat", 7: "b", 8: "c", 9: "d"})
    assert short_label(tokenizer, data, kept) == "'cat'"
    assert short_label(tokenizer, data, []) == "(never active)"


def test_probe_correlation_finds_the_concept_that_follows_the_label() -> None:
    tokens = [[1, 2, 3]] * 4
    meta = [
        {"source": "probe_data", "concept": "misuse", "label": label, "read_start": 0}
        for label in (1, 0, 1, 0)
    ]
    data = small_set(tokens, meta)
    # concept 0 fires (value 2) on records with label 1, concept 1 on every record
    ids = np.tile(np.array([[0, 1]], np.int32), (12, 1))
    values = np.zeros((12, 2), np.float32)
    values[:, 1] = 1.0
    for seq in (0, 2):
        values[seq * 3 : seq * 3 + 3, 0] = 2.0
    r = probe_correlations(data, ids, values, m=3)["misuse"]
    assert r[0] == pytest.approx(1.0)
    assert r[1] == 0.0 and r[2] == 0.0  # constant or never active: no correlation


def test_activation_set_round_trip_and_rows(tmp_path: Path) -> None:
    data = small_set(
        [[1, 2, 3], [4, 5]],
        [{"source": "corpus", "split": "train"}, {"source": "probe_data", "split": "heldout"}],
    )
    data.save(tmp_path / "a.npz")
    back = ActivationSet.load(tmp_path / "a.npz")
    assert back.meta == data.meta and back.layer == 1 and back.d_model == 2
    np.testing.assert_array_equal(back.activations, data.activations)
    assert back.select("train") == [0] and back.select("heldout", "corpus") == []
    assert back.rows([0, 1]).tolist() == [0, 1, 2, 3, 4]
    assert back.rows([0, 1], skip=1).tolist() == [1, 2, 4]


def test_corpus_is_seeded_and_varied() -> None:
    a, b = generate_prompts(300, seed=3), generate_prompts(300, seed=3)
    assert a == b
    assert generate_prompts(300, seed=4) != a
    texts = {p.messages[-1]["content"] for p in a}
    assert len(texts) > 250 and len({p.template for p in a}) > 30
    assert all(p.messages[-1]["role"] == "user" for p in a)
    with pytest.raises(ValueError, match="positive"):
        generate_prompts(0)
