"""``bench overhead``'s pieces that need no engine: CPU time of process trees, the plugin's
timing read through ``collective_rpc``, and the summary of paired rounds."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import pytest

from monitor.bench.cpu_time import (
    ProcessTree,
    descendants,
    plugin_timing,
    timing_delta,
    worker_step_timing,
)
from monitor.bench.overhead_summary import lag_between, paired, scaling_row, summarize
from monitor.cli.main import build_parser
from monitor.plugin.step_timing import StepTiming
from monitor.plugin.worker_patch import MONITOR_ATTR


def test_a_busy_child_process_shows_cpu_time_and_a_gone_one_reads_zero() -> None:
    before = descendants()
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\nt = time.process_time()\n"
            "while time.process_time() - t < 0.3: pass\ntime.sleep(30)",
        ]
    )
    try:
        tree = ProcessTree(descendants() - before)
        assert tree.pids == [child.pid]
        deadline = time.monotonic() + 30
        while tree.cpu_s() < 0.25 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert 0.25 <= tree.cpu_s() < 5.0
    finally:
        child.kill()
        child.wait()
    assert ProcessTree([child.pid]).cpu_s() == 0.0


class Monitor:
    def __init__(self, steps: int, monitor_ns: int, step_ns: int) -> None:
        self.timing = StepTiming()
        for _ in range(steps):
            self.timing.add(monitor_ns, step_ns)


class FakeLLM:
    """Runs ``collective_rpc``'s function on local worker objects, as vLLM's workers do."""

    def __init__(self, *workers: Any) -> None:
        self.workers = workers

    def collective_rpc(self, method: Any) -> list[Any]:
        return [method(w) for w in self.workers]


def _worker(monitor: Monitor | None) -> Any:
    worker = type("Worker", (), {})()
    if monitor is not None:
        setattr(worker, MONITOR_ATTR, monitor)
    return worker


def test_the_plugins_timing_is_summed_over_workers_and_absent_without_the_plugin() -> None:
    assert worker_step_timing(_worker(None)) is None
    llm = FakeLLM(_worker(Monitor(2, 1_000_000, 100_000_000)), _worker(Monitor(3, 0, 10**9)))
    assert plugin_timing(llm) == pytest.approx({"steps": 5, "monitor_s": 0.002, "step_s": 3.2})
    assert plugin_timing(FakeLLM(_worker(None))) is None


def test_a_periods_timing_is_the_difference_with_the_monitors_share() -> None:
    before = {"steps": 10.0, "monitor_s": 0.01, "step_s": 1.0}
    after = {"steps": 30.0, "monitor_s": 0.03, "step_s": 3.0}
    delta = timing_delta(after, before)
    assert delta == pytest.approx(
        {"steps": 20, "monitor_s": 0.02, "step_s": 2.0, "monitor_fraction": 0.01}
    )
    assert timing_delta(before, before)["monitor_fraction"] is None


def _rounds(ratios: list[float], fraction: float | None) -> dict[str, list[dict[str, Any]]]:
    unmonitored = [{"tokens_per_s": 100.0, "cpu_s_per_token": 0.02} for _ in ratios]
    monitored = [
        {"tokens_per_s": 100.0 * r, "cpu_s_per_token": 0.02 / r, "plugin_fraction": fraction}
        for r in ratios
    ]
    return {"monitored": monitored, "unmonitored": unmonitored}


def test_a_small_steady_overhead_meets_the_goals() -> None:
    ratios = [0.995, 0.992, 0.998, 0.99, 0.996, 0.994, 0.993, 0.997, 0.991, 0.995]
    out = summarize(_rounds(ratios, 0.004))
    assert out["throughput_ratio"]["low"] <= out["throughput_ratio"]["median"] == 0.9945
    assert out["cpu_per_token_ratio"]["median"] > 1.0
    assert {name: g["met"] for name, g in out["goals"].items()} == {
        "throughput_ratio_median": True,
        "throughput_ratio_low": True,
        "plugin_host_fraction_median": True,
    }
    assert summarize(_rounds(ratios, 0.004)) == out  # deterministic


def test_noisy_rounds_fail_the_lower_bound_and_missing_figures_are_not_judged() -> None:
    ratios = [0.93, 1.05, 0.95, 1.04, 0.94, 1.03, 0.96, 1.02, 0.99, 1.0]
    out = summarize(_rounds(ratios, None))
    assert out["goals"]["throughput_ratio_low"]["met"] is False
    assert out["goals"]["plugin_host_fraction_median"] == {
        "value": None,
        "goal": "<= 0.01",
        "met": None,
    }
    assert "plugin_host_fraction" not in out


def test_pairs_with_a_missing_or_zero_figure_are_left_out() -> None:
    monitored = [{"x": 1.0}, {"x": 0.0}, {"x": None}, {"x": 3.0}]
    unmonitored = [{"x": 2.0}, {"x": 1.0}, {"x": 1.0}, {"x": 3.0}]
    assert paired(monitored, unmonitored, "x") == [0.5, 1.0]


def test_a_scaling_row_holds_the_medians_of_its_rounds() -> None:
    row = scaling_row(8, _rounds([0.9, 1.0, 0.95], 0.002))
    assert row == {
        "requests": 8,
        "rounds": 3,
        "tokens_per_s_unmonitored": 100.0,
        "throughput_ratio": 0.95,
        "cpu_per_token_ratio": pytest.approx(1 / 0.95, rel=1e-5),
        "plugin_host_fraction": 0.002,
    }
    assert scaling_row(1, _rounds([1.0], None))["plugin_host_fraction"] is None


def test_overhead_flags_fill_the_settings() -> None:
    args = build_parser().parse_args(
        ["bench", "overhead", "--extra-layers", "3", "9", "--sweep-requests", "--dtype", "float32"]
    )
    assert args.extra_layers == [3, 9] and args.sweep_requests == [] and args.dtype == "float32"
    assert build_parser().parse_args(["bench", "overhead"]).rounds >= 10


def test_the_sidecar_nice_value_is_bounded(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    assert parser.parse_args(["bench", "overhead"]).sidecar_nice == 0
    assert parser.parse_args(["bench", "overhead", "--sidecar-nice", "10"]).sidecar_nice == 10
    with pytest.raises(SystemExit):
        parser.parse_args(["bench", "overhead", "--sidecar-nice", "20"])
    assert "--sidecar-nice" in capsys.readouterr().err


def test_placement_and_workload_flags(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    args = parser.parse_args(["bench", "overhead"])
    assert (args.sidecar_cpus, args.workload) == ("auto", "ordinary")
    args = parser.parse_args(["bench", "latency", "--sidecar-cpus", "1", "--workload", "stories"])
    assert (args.sidecar_cpus, args.workload) == ("1", "stories")
    with pytest.raises(SystemExit):
        parser.parse_args(["bench", "overhead", "--sidecar-cpus", "cores"])
    assert "not a CPU list" in capsys.readouterr().err
    assert parser.parse_args(["bench", "latency"]).engine_cpus is None
    assert parser.parse_args(["bench", "latency", "--engine-cpus", "0-2"]).engine_cpus == "0-2"
    assert parser.parse_args(["up", "--engine-cpus", "0"]).engine_cpus == "0"
    args = parser.parse_args(["bench", "latency", "--control-cpus", "1"])
    assert (args.engine_cpus, args.control_cpus) == (None, "1")
    with pytest.raises(SystemExit):
        parser.parse_args(["up", "--engine-cpus", "auto"])
    assert "not a CPU list" in capsys.readouterr().err


def test_step_to_score_lag_is_summarised_from_the_scrapes_difference() -> None:
    name = "llm_monitor_capture_to_score_seconds"

    def scrape(counts: list[float], total_s: float) -> dict[str, float]:
        bounds = ["0.005", "0.01", "0.025", "0.05", "+Inf"]
        out = {f"{name}_bucket:le={b}": c for b, c in zip(bounds, counts, strict=True)}
        return {**out, f"{name}_count": counts[-1], f"{name}_sum": total_s}

    before = scrape([5, 5, 5, 5, 5], 0.02)  # start-up's observations, left out
    after = scrape([5, 15, 95, 105, 105], 2.02)  # 100 more: 10 in (5, 10] ms, 80 in (10, 25]
    lag = lag_between(before, after, name)
    assert lag["capture_to_score_mean_s"] == pytest.approx(0.02)
    assert lag["capture_to_score_p50_ms"] == pytest.approx(10 + 15 * 40 / 80, abs=0.05)
    assert lag["capture_to_score_p99_ms"] == pytest.approx(25 + 25 * 9 / 10, abs=0.05)
    assert lag_between(before, before, name) == {
        "capture_to_score_mean_s": None,
        "capture_to_score_p50_ms": None,
        "capture_to_score_p99_ms": None,
    }
