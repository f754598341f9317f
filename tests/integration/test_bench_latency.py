"""``llm-monitor bench latency --smoke``: two real OpenAI servers, a real sidecar, vLLM
confined to one CPU and the sidecar placed on the others."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor import placement


def test_latency_bench_confines_vllm_and_gives_the_sidecar_the_other_cpus(
    model_dir: Path, tmp_path: Path
) -> None:
    usable = placement.usable_cpus()
    if len(usable) < 2:
        pytest.skip("one CPU: nothing to keep apart")
    engine = min(usable)
    out = tmp_path / "latency.json"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor.cli",
            "bench",
            "latency",
            "--smoke",
            "--alert-every-request",
            "--model",
            str(model_dir),
            "--engine-cpus",
            str(engine),
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=1500,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(out.read_text())
    spare = placement.format_cpu_list(usable - {engine})
    assert result["server_cpus"] == {"unmonitored": str(engine), "monitored": str(engine)}
    assert result["sidecar_bound_to"] == spare
    (point,) = result["points"]
    for arm in ("unmonitored", "monitored"):
        assert point["arms"][arm]["completed"] == point["arms"][arm]["requests"] > 0
        assert point["arms"][arm]["errors"] == []
    # one alert per request (the timing rule fires on each one's first scored token)
    assert result["alert_latency_ms"]["alerts_timed"] == point["arms"]["monitored"]["requests"]
    assert set(point["ratios"]) == {"ttft_p50", "ttft_p99", "itl_p50", "itl_p99"}
    assert point["run_queue_wait"]["by_thread"]
