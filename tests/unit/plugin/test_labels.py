from __future__ import annotations

import numpy as np
import pytest

from monitor.plugin.labels import LabelMismatch, label_rows


def test_prefill_chunks_and_decodes_are_labelled_in_batch_order() -> None:
    # "dec" decodes its 11th token, "chunk" prefills tokens 8..11 (a chunk starting
    # mid-sequence), "fresh" prefills from 0, "idle" is in the batch but not scheduled.
    order = ["dec", "idle", "chunk", "fresh"]
    scheduled = {"dec": 1, "chunk": 4, "fresh": 3, "idle": 0}
    computed = {"dec": 10, "chunk": 8, "fresh": 0, "idle": 5}
    captured = np.array([10, 8, 9, 10, 11, 0, 1, 2])

    labels = label_rows(order, scheduled, computed, captured)

    assert labels.request_ids == ["dec", "chunk", "fresh"]
    assert labels.row_request.dtype == np.uint32
    assert labels.positions.dtype == np.uint32
    np.testing.assert_array_equal(labels.row_request, [0, 1, 1, 1, 1, 2, 2, 2])
    np.testing.assert_array_equal(labels.positions, captured)


def test_order_decides_the_mapping_not_the_dict_order() -> None:
    scheduled = {"a": 2, "b": 1}
    computed = {"a": 0, "b": 6}
    labels = label_rows(["b", "a"], scheduled, computed, np.array([6, 0, 1]))
    assert labels.request_ids == ["b", "a"]
    np.testing.assert_array_equal(labels.row_request, [0, 1, 1])
    np.testing.assert_array_equal(labels.positions, [6, 0, 1])


def test_empty_step() -> None:
    labels = label_rows([], {}, {}, np.zeros(0, dtype=np.int64))
    assert labels.request_ids == []
    assert labels.row_request.shape == (0,)
    assert labels.positions.shape == (0,)


def test_wrong_total_raises() -> None:
    with pytest.raises(LabelMismatch, match=r"scheduler has 3 tokens.*capture has 4"):
        label_rows(["a", "b"], {"a": 2, "b": 1}, {"a": 0, "b": 0}, np.array([0, 1, 0, 1]))


def test_request_missing_from_the_order_is_a_wrong_total() -> None:
    with pytest.raises(LabelMismatch):
        label_rows(["a"], {"a": 2, "b": 1}, {"a": 0, "b": 0}, np.array([0, 1, 0]))


def test_wrong_order_raises() -> None:
    # The model ran b before a, the runner reports a before b.
    captured = np.array([7, 0, 1])
    with pytest.raises(LabelMismatch, match="row 0: scheduler expects position 0"):
        label_rows(["a", "b"], {"a": 2, "b": 1}, {"a": 0, "b": 7}, captured)


def test_stale_positions_raise() -> None:
    captured = np.array([0, 1, -1])
    with pytest.raises(LabelMismatch, match=r"row 2: .*expects position 2, capture recorded -1"):
        label_rows(["a"], {"a": 3}, {"a": 0}, captured)


def test_missing_computed_count_raises() -> None:
    with pytest.raises(LabelMismatch, match="no computed-token count for request 'b'"):
        label_rows(["a", "b"], {"a": 1, "b": 1}, {"a": 4}, np.array([4, 0]))
