"""The monitor's own host time per step (``StepTiming``), as ``wrap_step`` records it."""

from __future__ import annotations

import time
from typing import Any, cast

from monitor.plugin.step_timing import StepTiming
from monitor.plugin.worker import WorkerMonitor
from monitor.plugin.worker_patch import wrap_step


class SlowMonitor:
    """Spends a known time before and after each step."""

    def __init__(self, before_s: float, after_s: float) -> None:
        self.before_s, self.after_s = before_s, after_s
        self.timing = StepTiming()

    def before_step(self, scheduler_output: Any) -> int:
        time.sleep(self.before_s)
        return 1

    def after_step(self, worker: Any, scheduler_output: Any, n: int) -> None:
        time.sleep(self.after_s)

    def step_error(self, n: int) -> None:
        raise AssertionError("no error expected")


def test_monitor_time_excludes_the_model_and_step_time_includes_everything() -> None:
    monitor = SlowMonitor(0.01, 0.02)

    def model(scheduler_output: Any) -> str:
        time.sleep(0.05)
        return "out"

    step = wrap_step(cast(WorkerMonitor, monitor), cast(Any, None), model)
    assert [step(None) for _ in range(3)] == ["out"] * 3
    figures = monitor.timing.snapshot()
    assert figures["steps"] == 3
    assert 0.09 <= figures["monitor_s"] < 0.15
    assert 0.24 <= figures["step_s"] < 0.4
    assert figures["monitor_s"] < figures["step_s"] - 0.15


def test_a_fresh_timing_reads_zero() -> None:
    assert StepTiming().snapshot() == {"steps": 0.0, "monitor_s": 0.0, "step_s": 0.0}
