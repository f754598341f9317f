"""When the shipper sends a step: part-way through the next one, not between them.

On vLLM's CPU backend the model's compute threads own some cores and everything else
shares the rest: vLLM's scheduler process and API server, the shipper and gRPC's threads,
often the sidecar. Sent as soon as a step ends, its rows woke all of the monitor at the
moment the scheduler turns the step's output into the next step and the API server
streams its tokens, and those waited: ``llm-monitor bench latency`` on a 2-core host,
inter-token latency p50 1.38 and 1.44 times the unmonitored server's at 1.9 and 3.8
requests/s. Sent 6 ms after the step's end it was 1.05 and 1.10, but 1.32 at 5.6 requests/s
(longer steps, more to hand on), where 12 ms gave 1.16. So the wait scales with the step:
a ``fraction`` of the step's own duration (the next is usually as long), at most ``max_s``
(a long prefill step does not hold its alerts back for long).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ShipDelay:
    """Send a step ``fraction`` of its duration after it ended, at most ``max_s`` later."""

    fraction: float
    max_s: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.fraction <= 1.0:
            raise ValueError(f"fraction must be within [0, 1], got {self.fraction}")
        if self.max_s < 0:
            raise ValueError(f"max_s must be >= 0, got {self.max_s}")

    def after_end_s(self, start_unix_ns: int, end_unix_ns: int) -> float:
        """Seconds after the step's end to send it (0.0 when its times are unknown)."""
        if start_unix_ns <= 0 or end_unix_ns <= start_unix_ns:
            return 0.0
        return min(self.max_s, self.fraction * (end_unix_ns - start_unix_ns) / 1e9)

    def remaining_s(self, start_unix_ns: int, end_unix_ns: int, now_unix_s: float) -> float:
        """Seconds still to wait at ``now_unix_s`` (0.0 once due; never more than
        ``max_s``, whatever the clock did)."""
        delay = self.after_end_s(start_unix_ns, end_unix_ns)
        if delay <= 0.0:
            return 0.0
        return max(0.0, min(delay, end_unix_ns / 1e9 + delay - now_unix_s))
