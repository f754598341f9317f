"""The monitor's own host time in the engine's steps, next to the steps' wall time.

The step thread adds to it after every step (two clock reads around the monitor's work
before and after the model runs); readers take ``snapshot()`` from any thread. The capture
hooks inside the forward pass are not included: they run as part of the model.
"""

from __future__ import annotations

import threading


class StepTiming:
    """Cumulative steps, monitor host time and step wall time (nanoseconds)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.steps = 0
        self.monitor_ns = 0
        self.step_ns = 0

    def add(self, monitor_ns: int, step_ns: int) -> None:
        with self._lock:
            self.steps += 1
            self.monitor_ns += monitor_ns
            self.step_ns += step_ns

    def snapshot(self) -> dict[str, float]:
        """``steps``, ``monitor_s``, ``step_s`` so far (differences of two snapshots give a
        period's share)."""
        with self._lock:
            return {
                "steps": float(self.steps),
                "monitor_s": self.monitor_ns / 1e9,
                "step_s": self.step_ns / 1e9,
            }
