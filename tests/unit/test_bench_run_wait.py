"""The run-queue wait sampler of ``bench latency``: real schedstat counters of processes
made to compete for one CPU, and its arithmetic on given windows."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.bench.alert_watch import AlertTiming
from monitor.bench.run_wait import (
    Counters,
    RunWaitSampler,
    Window,
    process_name,
    run_waits,
    slow_alert_waits,
    stolen_s,
)

BURN = "import time\nend = time.monotonic() + 30\nwhile time.monotonic() < end: pass\n"


@pytest.fixture
def burners() -> Iterator[list[int]]:
    """Three busy processes sharing one CPU: each waits for it about two thirds of the time."""
    if not Path("/proc/self/schedstat").exists() or not hasattr(os, "sched_setaffinity"):
        pytest.skip("needs Linux schedstat")
    cpu = min(os.sched_getaffinity(0))
    procs = [subprocess.Popen([sys.executable, "-c", BURN]) for _ in range(3)]
    try:
        for proc in procs:
            os.sched_setaffinity(proc.pid, {cpu})
        yield [proc.pid for proc in procs]
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def test_processes_sharing_one_cpu_are_seen_waiting_for_it(burners: list[int]) -> None:
    with RunWaitSampler({"burn": burners, "idle": [os.getpid()]}, interval_s=0.2) as sampler:
        time.sleep(1.5)
    summary = sampler.summary()
    burn = [figures for group, figures in summary.items() if group.startswith("burn:")]
    assert len(burn) == 1, summary  # one group: each burner's main thread
    assert burn[0]["waited_share"] > 1.0  # three runnable on one CPU: ~2 s waited a second
    assert burn[0]["windows_over_100ms"] >= 5 and burn[0]["worst_window_ms"] > 100.0
    assert 0.6 < burn[0]["cpu_share"] < 1.05  # the three share one CPU
    first, last = sampler.windows[0].start, sampler.windows[-1].end
    assert sampler.during(first, last, "burn") > 1.0
    assert 0.5 < sampler.during(first, last, "burn", ran=True) <= last - first + 0.05
    assert sampler.during(0.0, 1.0, "burn") == 0.0  # long before the first window
    counters = run_waits("x", burners[0])[burners[0]]
    assert counters.group.startswith("x:") and counters.group.endswith("/main")
    assert counters.waited_s > 0.1 and counters.ran_s > 0.1
    assert all(w.end - w.start < 1.0 for w in sampler.windows)
    # no thread waits longer than the window it waited in, so a group of three cannot either
    assert all(
        w.waited_s.get(g, 0.0) <= 3 * (w.end - w.start) + 0.05
        for w in sampler.windows
        for g in w.waited_s
    )


def test_a_process_that_has_gone_reads_as_nothing() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert run_waits("gone", proc.pid) == {}


def test_the_summary_and_the_slowest_alerts_come_from_the_windows() -> None:
    sampler = RunWaitSampler({})
    sampler.windows = [
        Window(0.0, 1.0, {"sidecar:s/main": 0.02}, {"sidecar:s/main": 0.1}),
        Window(1.0, 2.0, {"sidecar:s/main": 0.6, "monitored:e/main": 0.05}, {"x:y/main": 0.9}),
        Window(2.0, 3.0, {}, {"sidecar:s/main": 0.05}, 0.3),
    ]
    assert sampler.stolen_share() == pytest.approx(0.1)
    summary = sampler.summary()
    assert summary["x:y/main"]["cpu_share"] == pytest.approx(0.3)
    assert summary["sidecar:s/main"] == {
        "cpu_share": pytest.approx(0.05),
        "waited_share": pytest.approx(0.2067, abs=1e-4),
        "worst_window_ms": 600.0,
        "windows_over_100ms": 1,
    }
    assert summary["monitored:e/main"]["windows_over_100ms"] == 0
    fast, slow = AlertTiming(20.0, 5.0, 0.2, 0.22), AlertTiming(700.0, 650.0, 1.1, 1.8)
    report = slow_alert_waits([fast, slow], sampler, ["sidecar", "monitored"], limit=1)
    waited, ran = {"sidecar": 600.0, "monitored": 50.0}, {"sidecar": 0.0, "monitored": 0.0}
    busiest = {"window_s": 1.0, "stolen_s": 0.0, "x:y/main": 0.9}
    assert report["slowest"] == [
        {
            "total_ms": 700.0,
            "after_firing_ms": 650.0,
            "waited_ms": waited,
            "ran_ms": ran,
            "busiest_s": busiest,
        }
    ]
    assert sampler.busiest(0.5, 2.5, top=1) == {"window_s": 3.0, "stolen_s": 0.3, "x:y/main": 0.9}
    assert RunWaitSampler({}).stolen_share() is None
    assert report["median_alert_waited_ms"] == {"sidecar": 310.0, "monitored": 25.0}
    assert report["median_alert_ran_ms"] == {"sidecar": 50.0, "monitored": 0.0}


class _Ticks:
    """A stop event that lets ``n`` intervals pass, then stops."""

    def __init__(self, n: int) -> None:
        self.n = n

    def wait(self, timeout: float) -> bool:
        self.n -= 1
        return self.n < 0


def test_a_window_counts_each_thread_s_growth_and_new_threads_but_not_a_missed_read() -> None:
    main, pipe = "a:x/main", "a:x/pipeline"
    reads = iter(
        [
            {1: Counters(main, 2.0, 1.0)},
            {},  # thread 1 not read this time
            {1: Counters(main, 3.0, 5.0), 2: Counters(pipe, 0.5, 0.3)},  # 1: unknown; 2: new
            {1: Counters(main, 3.5, 5.2), 2: Counters(pipe, 0.5, 0.4)},
        ]
    )
    sampler = RunWaitSampler({})
    sampler._read = lambda: next(reads)  # type: ignore[method-assign]
    sampler._stop = _Ticks(3)  # type: ignore[assignment]
    sampler._run()
    assert [w.waited_s for w in sampler.windows] == [
        {},
        {pipe: 0.3},
        {main: pytest.approx(0.2), pipe: pytest.approx(0.1)},
    ]
    assert [w.ran_s for w in sampler.windows] == [{}, {pipe: 0.5}, {main: 0.5}]


def test_stolen_time_is_the_steal_column_of_proc_stat(tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    ticks = os.sysconf("SC_CLK_TCK")
    stat.write_text(f"cpu  10 0 5 900 1 0 2 {3 * ticks} 0 0\ncpu0 5 0 2 450 0 0 1 0 0 0\n")
    assert stolen_s(stat) == pytest.approx(3.0)
    stat.write_text("cpu  10 0 5\n")  # an old kernel: no steal column
    assert stolen_s(stat) == 0.0
    assert stolen_s(tmp_path / "absent") == 0.0


def test_a_python_process_is_named_by_the_module_it_runs(tmp_path: Path) -> None:
    (tmp_path / "sleeper.py").write_text("import time\ntime.sleep(30)\n")
    procs = [
        subprocess.Popen([sys.executable, "-m", "sleeper"], cwd=tmp_path),
        subprocess.Popen(["sleep", "30"]),
    ]
    try:
        time.sleep(0.3)
        names = [process_name(proc.pid) for proc in procs]
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
    assert names == ["sleeper", "sleep"]
