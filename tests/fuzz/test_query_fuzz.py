"""Property: QueryTraces, GetTrace and WatchAlerts answer OK, INVALID_ARGUMENT or
NOT_FOUND (a watch may also reach its deadline) to any request, never UNKNOWN or
INTERNAL. ``LLM_MONITOR_FUZZ_EXAMPLES`` / 10 requests per method, derandomized."""

from __future__ import annotations

import grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.sidecar.app import Sidecar
from monitor.v1 import query_pb2, query_pb2_grpc

from .conftest import FUZZ_MESSAGES
from .wire_client import SERVING, health

ANSWERS = {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND}
EXAMPLES = max(50, FUZZ_MESSAGES // 10)
SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
texts = st.one_of(
    st.sampled_from(["", "deception", "misuse", "test-model", "warning", "critical", "info"]),
    st.text(max_size=300),
    st.text(alphabet="ABCDEFGHabcdefgh0123456789+/=_-", min_size=1, max_size=2000),
)
stamps = st.builds(
    lambda s, n: {"seconds": s, "nanos": n},
    st.integers(-(2**62), 2**62),
    st.integers(-(2**31), 2**31 - 1),
)


def _call(fn: object) -> grpc.StatusCode:
    try:
        fn()  # type: ignore[operator]
    except grpc.RpcError as exc:
        return exc.code()  # type: ignore[no-any-return]
    return grpc.StatusCode.OK


def test_query_methods_answer_every_request(fuzz_sidecar: Sidecar) -> None:
    channel = grpc.insecure_channel(fuzz_sidecar.grpc_target)
    stub = query_pb2_grpc.TraceQueryStub(channel)
    codes: dict[str, set[grpc.StatusCode]] = {}

    @SETTINGS
    @given(
        texts,
        st.floats(allow_nan=True, allow_infinity=True),
        texts,
        texts,
        st.integers(0, 2**32 - 1),
        texts,
        st.one_of(st.none(), stamps),
        st.one_of(st.none(), stamps),
    )
    def query(concept, min_score, model, severity, page_size, token, start, end) -> None:  # type: ignore[no-untyped-def]
        request = query_pb2.QueryTracesRequest(
            concept=concept,
            min_score=min_score,
            model_name=model,
            min_severity=severity,
            page_size=page_size,
            page_token=token,
        )
        if start is not None:
            request.start_time.seconds, request.start_time.nanos = start["seconds"], start["nanos"]
        if end is not None:
            request.end_time.seconds, request.end_time.nanos = end["seconds"], end["nanos"]
        code = _call(lambda: stub.QueryTraces(request, timeout=10))
        codes.setdefault("QueryTraces", set()).add(code)
        assert code in ANSWERS, (request, code)

    @SETTINGS
    @given(texts, texts, st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
    def get(request_id: str, model: str, offset: int, limit: int) -> None:
        request = query_pb2.GetTraceRequest(
            request_id=request_id, model_name=model, token_offset=offset, max_tokens=limit
        )
        code = _call(lambda: stub.GetTrace(request, timeout=10))
        codes.setdefault("GetTrace", set()).add(code)
        assert code in ANSWERS, (request, code)

    @settings(SETTINGS, max_examples=max(20, EXAMPLES // 10))
    @given(texts, texts, texts)
    def watch(concept: str, model: str, severity: str) -> None:
        request = query_pb2.WatchAlertsRequest(
            concept=concept, model_name=model, min_severity=severity
        )
        code = _call(lambda: list(stub.WatchAlerts(request, timeout=0.05)))
        codes.setdefault("WatchAlerts", set()).add(code)
        assert code in ANSWERS | {grpc.StatusCode.DEADLINE_EXCEEDED}, (request, code)

    try:
        query()
        get()
        watch()
        assert health(channel) == SERVING
    finally:
        channel.close()
    print(f"query fuzz: {EXAMPLES} requests per method, codes {codes}")
    assert grpc.StatusCode.INVALID_ARGUMENT in codes["QueryTraces"]
