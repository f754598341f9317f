"""End to end in hub mode: vLLM with the plugin -> ``llm-monitor serve`` in hub mode (with
the shipped concept encoder) -> ``llm-monitor hub`` on chDB -> the trace and its labelled
concepts through the hub's TraceQuery."""

from __future__ import annotations

from pathlib import Path

from monitor.launch import shipped_encoder_dir
from monitor.v1 import query_pb2, query_pb2_grpc
from tests.integration.fleet_sidecar import FleetSidecar, hub_traces
from tests.integration.helpers import chat, expected_rows
from tests.integration.hub_process import HubProcess
from tests.integration.stack import LAYER, SERVED_NAME, Stack, wait_until

PROMPT = "Name three rivers in Europe and say where each one ends."


def test_a_vllm_request_is_stored_at_the_hub(stack: Stack, tmp_path: Path) -> None:
    encoder_dir = shipped_encoder_dir(SERVED_NAME)
    assert encoder_dir is not None, "no shipped encoder for the default model"
    hub = HubProcess(tmp_path / "hub")
    hub.start()
    sidecar = FleetSidecar(
        tmp_path / "sidecar",
        "vllm-pod-0",
        stack.probe_dir,
        hub.address,
        model_name=SERVED_NAME,
        port=stack.grpc_port,  # where the plugin ships
        extra={"encoder_dir": str(encoder_dir)},
    )
    try:
        sidecar.start()
        assert wait_until(
            lambda: sidecar.sample("llm_monitor_capture_up", layer=str(LAYER)) == 1.0, 60
        ), sidecar.log()[-3000:]
        done = chat(stack, PROMPT, max_tokens=16)
        assert wait_until(lambda: sidecar.spooled() >= 1 and sidecar.spool_rows() == 0, 60), (
            sidecar.log()[-3000:]
        )
        with hub.channel() as channel:
            listed = hub_traces(channel, source="vllm-pod-0")
            assert len(listed) == 1, hub.log()[-3000:]
            summary = listed[0]
            assert summary.model_name == SERVED_NAME and summary.alerts
            assert {a.source for a in summary.alerts} == {"vllm-pod-0"}
            trace = query_pb2_grpc.TraceQueryStub(channel).GetTrace(
                query_pb2.GetTraceRequest(
                    request_id=summary.request_id, source="vllm-pod-0", max_tokens=1000
                ),
                timeout=30,
            )
        assert trace.total_tokens == expected_rows(done)
        assert [t.position for t in trace.tokens] == list(range(expected_rows(done)))
        labelled = [c.label for t in trace.tokens for c in t.concepts if c.label]
        assert len(labelled) == sum(len(t.concepts) for t in trace.tokens) > 0
    finally:
        sidecar.stop()
        hub.stop()
