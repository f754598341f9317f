"""The one-pass check on raw activation bits agrees with ``check_values`` on the decoded
floats, for every wire dtype, any bit pattern (NaN, infinities, subnormals, negative zero)
and any bound."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.artifacts.wire import CARRIERS, decode_activations
from monitor.artifacts.wire_checks import BadBatch, check_values, magnitude_limit, values_in_bounds
from monitor.v1 import ingest_pb2

DTYPES = [ingest_pb2.DTYPE_FLOAT32, ingest_pb2.DTYPE_FLOAT16, ingest_pb2.DTYPE_BFLOAT16]
BOUNDS = st.one_of(
    st.none(),
    st.floats(min_value=0.0, max_value=1e30),
    st.sampled_from([1.0, 1e4, 1e6, 65504.0, 65505.0, 3.3895e38, 1e30]),
)


def _accepted(data: bytes, dtype: int, max_abs: float | None) -> bool:
    size = len(data) // CARRIERS[dtype].itemsize
    try:
        check_values(decode_activations(data, dtype, 1, size), max_abs)
    except BadBatch:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(
    dtype=st.sampled_from(DTYPES),
    words=st.lists(st.integers(min_value=0, max_value=2**32 - 1), min_size=1, max_size=16),
    max_abs=BOUNDS,
)
def test_raw_bits_check_agrees_with_the_float_check(
    dtype: int, words: list[int], max_abs: float | None
) -> None:
    carrier = CARRIERS[dtype]
    bits = np.array(words, dtype=np.uint64) & (2 ** (8 * carrier.itemsize) - 1)
    data = bits.astype(carrier.newbyteorder("<").str.replace("f", "u")).tobytes()
    assert values_in_bounds(data, dtype, max_abs) == _accepted(data, dtype, max_abs)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("max_abs", [1.0, 1e4, 1e6, 3e38])
def test_the_bound_itself_passes_and_the_next_value_up_does_not(dtype: int, max_abs: float) -> None:
    limit = magnitude_limit(dtype, max_abs)
    kind = np.uint32 if dtype == ingest_pb2.DTYPE_FLOAT32 else np.uint16
    for sign in (0, 1 << (8 * np.dtype(kind).itemsize - 1)):
        at, above = (np.array([limit | sign], kind), np.array([(limit + 1) | sign], kind))
        assert values_in_bounds(at.tobytes(), dtype, max_abs)
        assert values_in_bounds(above.tobytes(), dtype, max_abs) == _accepted(
            above.tobytes(), dtype, max_abs
        )
        assert not values_in_bounds(above.tobytes(), dtype, max_abs)
