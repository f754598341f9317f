"""Reading a sidecar's /metrics in the benchmarks: totals by name, and waiting for it to
catch up before a measured window opens."""

from __future__ import annotations

import time

from monitor.bench.soak_metrics import samples

#: Scored batches, counted by the histogram of each one's lag from its step's end.
SCORED = "llm_monitor_capture_to_score_seconds_count"


def scrape(port: int) -> dict[str, float]:
    """Sum every sample of /metrics by name (labels folded), and alerts also by concept
    (``llm_monitor_alerts_total:<concept>``)."""
    totals: dict[str, float] = {}
    for name, labels, value in samples(port):
        totals[name] = totals.get(name, 0.0) + value
        if name.endswith("_bucket"):  # by bound, for quantiles (lag_between)
            key = f"{name}:le={labels.get('le', '')}"
            totals[key] = totals.get(key, 0.0) + value
        if name == "llm_monitor_alerts_total":
            key = f"{name}:{labels.get('concept', '')}"
            totals[key] = totals.get(key, 0.0) + value
    return totals


def settle(
    port: int, name: str = SCORED, quiet_s: float = 2.0, timeout_s: float = 60.0
) -> dict[str, float]:
    """Scrape until ``name`` has not moved for ``quiet_s`` (at most ``timeout_s``); the last
    scrape. Before a measured window: what an earlier phase (a warm-up) sent is then
    scored, not counted in the window with the time it waited."""
    last = scrape(port)
    still_since = time.monotonic()
    deadline = still_since + timeout_s
    while time.monotonic() < deadline:
        time.sleep(min(0.25, quiet_s / 4))
        now = scrape(port)
        if now.get(name, 0.0) != last.get(name, 0.0):
            still_since = time.monotonic()
        elif time.monotonic() - still_since >= quiet_s:
            return now
        last = now
    return last
