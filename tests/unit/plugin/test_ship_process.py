"""The shipper in a child process: what the worker hands over, and what it loses when the
child goes (a real child process, a real in-process sidecar)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from monitor.plugin.ring import REASON_HOST_POOL_FULL, REASON_PLUGIN_ERROR, REASON_RING_FULL
from monitor.plugin.settings import PluginSettings
from monitor.plugin.ship_child import IDLE_AFTER_S, IDLE_WAIT_S
from monitor.plugin.ship_process import ChildConfig, ProcessShipper, place_child
from monitor.plugin.worker import WorkerMonitor
from monitor.plugin.worker_patch import wrap_step

from .rigs import SidecarFactory, unused_port, wait_for
from .tiny import FakeWorker, make_model, scheduler_output

MAX_TOKENS = 32


def started_monitor(worker: FakeWorker, address: str, **fields: Any) -> WorkerMonitor:
    settings = PluginSettings(
        enabled=True,
        sidecar_address=address,
        layers=[1],
        shipper_mode="process",
        reconnect_initial_s=0.05,
        reconnect_max_s=0.2,
        **fields,
    )
    mon = WorkerMonitor(settings)
    mon.attach(worker)
    mon.self_test(worker)
    assert isinstance(mon.shipper, ProcessShipper)
    return mon


def shipper_of(mon: WorkerMonitor) -> ProcessShipper:
    assert isinstance(mon.shipper, ProcessShipper)
    return mon.shipper


def polled(shipper: ProcessShipper) -> ProcessShipper:
    """The shipper after reading what its child said (as the next step would)."""
    shipper.poll()
    return shipper


def run_steps(mon: WorkerMonitor, worker: FakeWorker, first: int, count: int) -> None:
    for i in range(first, first + count):
        req = f"r{i}"
        worker.model_runner.input_batch.req_ids = [req]
        wrap_step(mon, worker, worker.execute_model)(
            scheduler_output({req: 3}, new=[(req, 0)], finished=[f"r{i - 1}"] if i else [])
        )


@pytest.fixture
def worker() -> Iterator[FakeWorker]:
    yield FakeWorker(make_model(), max_num_tokens=MAX_TOKENS)


def test_the_worker_keeps_no_thread_and_its_drops_reach_the_sidecar(
    sidecar_factory: SidecarFactory, worker: FakeWorker
) -> None:
    sidecar = sidecar_factory()
    mon = started_monitor(worker, sidecar.target, host_pool_bytes=1 << 20)
    shipper = shipper_of(mon)
    try:
        assert shipper.connected.wait(15)
        threads = {t.name for t in threading.enumerate()}
        assert "llm-monitor-shipper" not in threads  # it runs in the child
        assert shipper.pid is not None
        assert os.getpriority(os.PRIO_PROCESS, shipper.pid) == 19  # vLLM's processes first
        run_steps(mon, worker, 0, 2)
        assert wait_for(lambda: sidecar.activations.rows() == 6)
        assert wait_for(lambda: shipper.in_flight() == 0)
        assert mon.pool is not None
        hog = mon.pool.acquire(mon.pool.capacity - 256)  # no room for the next step
        assert hog is not None
        run_steps(mon, worker, 2, 1)
        assert mon.drops.snapshot() == {REASON_HOST_POOL_FULL: 3}
        hog.release()
        run_steps(mon, worker, 3, 1)  # carries the drop to the child, then to the sidecar
        assert wait_for(lambda: sidecar.activations.rows() == 9)
        assert wait_for(
            lambda: (
                sidecar.metric(
                    "llm_monitor_activations_dropped_total",
                    model_name="tiny-llama",
                    reason=REASON_HOST_POOL_FULL,
                )
                == 3
            )
        )
        assert wait_for(lambda: shipper.in_flight() == 0)
        assert mon.pool.used_bytes == 0
    finally:
        shipper.stop(timeout=5)


def test_a_stopped_child_fills_to_capacity_then_drops_and_counts(worker: FakeWorker) -> None:
    mon = started_monitor(worker, f"127.0.0.1:{unused_port()}", buffer_batches=3)
    shipper = shipper_of(mon)
    try:
        assert shipper.pid is not None
        time.sleep(1.0)  # the child is up and reading
        os.kill(shipper.pid, signal.SIGSTOP)
        t0 = time.perf_counter()
        run_steps(mon, worker, 0, 5)
        assert time.perf_counter() - t0 < 2.0  # the step never waits for the child
        assert len(shipper) == 3
        assert mon.drops.snapshot() == {REASON_RING_FULL: 2 * 3}
        os.kill(shipper.pid, signal.SIGCONT)
        assert wait_for(lambda: shipper.in_flight() == 0)  # every lease comes back
    finally:
        if shipper.pid is not None:
            os.kill(shipper.pid, signal.SIGCONT)
        shipper.stop(timeout=5)


def test_a_killed_child_loses_what_it_held_and_another_takes_over(
    sidecar_factory: SidecarFactory, worker: FakeWorker
) -> None:
    sidecar = sidecar_factory()
    mon = started_monitor(worker, sidecar.target)
    shipper = shipper_of(mon)
    try:
        assert shipper.connected.wait(15)
        first = shipper.pid
        assert first is not None
        os.kill(first, signal.SIGSTOP)
        run_steps(mon, worker, 0, 2)  # held by the stopped child
        os.kill(first, signal.SIGKILL)
        assert wait_for(lambda: polled(shipper).children_started == 2 and shipper.pid != first)
        assert mon.drops.snapshot().get(REASON_PLUGIN_ERROR) == 2 * 3
        assert mon.pool is not None and mon.pool.used_bytes == 0
        assert shipper.connected.wait(15)
        run_steps(mon, worker, 2, 1)
        assert wait_for(lambda: sidecar.activations.rows() == 3)
    finally:
        shipper.stop(timeout=5)


def test_the_child_exits_when_the_worker_goes(worker: FakeWorker) -> None:
    mon = started_monitor(worker, f"127.0.0.1:{unused_port()}")
    shipper = shipper_of(mon)
    pid = shipper.pid
    assert pid is not None
    sock = shipper._sock  # what closes when the worker process ends
    assert sock is not None
    sock.close()
    assert wait_for(lambda: shipper._proc is not None and shipper._proc.poll() is not None, 10)
    assert shipper._proc is not None and shipper._proc.returncode == 0
    shipper.stop(timeout=5)


def test_the_worker_places_the_child_before_its_imports_run(
    sidecar_factory: SidecarFactory, worker: FakeWorker
) -> None:
    cpu = min(os.sched_getaffinity(0))
    own = os.getpriority(os.PRIO_PROCESS, 0)
    sidecar = sidecar_factory()
    mon = started_monitor(worker, sidecar.target, shipper_nice=5, shipper_cpus=str(cpu))
    shipper = shipper_of(mon)
    try:
        pid = shipper.pid
        assert pid is not None
        # read at once: the child is still importing, so these are the worker's doing
        assert os.sched_getaffinity(pid) == {cpu}
        assert os.getpriority(os.PRIO_PROCESS, pid) == min(19, own + 5)
        assert shipper.connected.wait(15)  # the child has placed itself too: the same, not 5 more
        assert os.getpriority(os.PRIO_PROCESS, pid) == min(19, own + 5)
        assert os.sched_getaffinity(pid) == {cpu}
        for tid in map(int, os.listdir(f"/proc/{pid}/task")):  # its gRPC threads too
            assert os.sched_getaffinity(tid) == {cpu}
            assert os.getpriority(os.PRIO_PROCESS, tid) == min(19, own + 5)
    finally:
        shipper.stop(timeout=5)


def test_placing_a_process_places_the_threads_it_already_has() -> None:
    """Cores and nice are per thread on Linux: a thread made before the placement is placed too."""
    usable = os.sched_getaffinity(0)
    if len(usable) < 2:
        pytest.skip("one CPU: no other cores to leave out")
    cpu = min(usable)
    code = (
        "import threading, time; threading.Thread(target=time.sleep, args=(30,)).start();"
        " print(flush=True); time.sleep(30)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline()  # its thread is running
        tids = list(map(int, os.listdir(f"/proc/{proc.pid}/task")))
        assert len(tids) == 2
        nice = min(19, os.getpriority(os.PRIO_PROCESS, 0) + 3)
        config = ChildConfig(
            PluginSettings(), "p", {}, [1], 8, "float32", 0, frozenset({cpu}), nice=nice
        )
        place_child(proc.pid, config)
        for tid in tids:
            assert os.sched_getaffinity(tid) == {cpu}
            assert os.getpriority(os.PRIO_PROCESS, tid) == nice
    finally:
        proc.kill()
        proc.wait()


def test_after_a_pause_the_next_step_wakes_the_child(
    sidecar_factory: SidecarFactory, worker: FakeWorker
) -> None:
    sidecar = sidecar_factory()
    mon = started_monitor(worker, sidecar.target, ship_delay_fraction=0.0)
    shipper = shipper_of(mon)
    try:
        assert shipper.connected.wait(15)
        waits = []
        for i in range(3):
            time.sleep(IDLE_AFTER_S + IDLE_WAIT_S / 3)  # idle: the child waits on its socket
            t0 = time.monotonic()
            run_steps(mon, worker, i, 1)
            rows = 3 * (i + 1)
            assert wait_for(lambda n=rows: sidecar.activations.rows() == n, interval=0.002)
            waits.append(time.monotonic() - t0)
        # woken by the step, not by a timer (which would leave it up to IDLE_WAIT_S waiting)
        assert sorted(waits)[1] < IDLE_WAIT_S / 5, waits
    finally:
        shipper.stop(timeout=5)
