"""Placement of the monitor's threads beside an engine that binds its compute threads."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from monitor import placement
from monitor.cli.flags import cpu_setting
from monitor.plugin.settings import PluginSettings

pytestmark = pytest.mark.skipif(not placement.supported(), reason="Linux thread affinity")


@pytest.mark.parametrize(
    ("text", "cpus"),
    [("0", {0}), ("1,3", {1, 3}), ("0-2", {0, 1, 2}), ("0,2-3, 5", {0, 2, 3, 5})],
)
def test_cpu_lists_parse_and_format_back(text: str, cpus: set[int]) -> None:
    parsed = placement.parse_cpu_list(text)
    assert parsed == cpus
    assert placement.parse_cpu_list(placement.format_cpu_list(parsed)) == parsed
    assert placement.format_cpu_list({0, 1, 2, 5, 7, 8}) == "0-2,5,7-8"


@pytest.mark.parametrize("text", ["", "a", "1-", "3-1", "1,,x", "-2"])
def test_a_bad_cpu_list_is_refused_with_its_text(text: str) -> None:
    with pytest.raises(ValueError, match="CPU"):
        placement.parse_cpu_list(text)


def test_spare_cpus_are_the_usable_ones_outside_the_binding() -> None:
    usable = frozenset({0, 1, 2, 3})
    assert placement.spare_cpus(frozenset({0, 1}), usable) == {2, 3}
    assert placement.spare_cpus(usable, usable) is None  # bound everywhere: nowhere to go
    assert placement.spare_cpus(frozenset(), usable) is None  # nothing bound


def test_bound_cpus_reads_only_processes_bound_to_fewer_than_all() -> None:
    usable = placement.usable_cpus()
    if len(usable) < 2:
        pytest.skip("needs two CPUs")
    first = min(usable)
    bound = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    os.sched_setaffinity(bound.pid, {first})  # as vLLM binds a worker's compute thread
    free = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert placement.bound_cpus([free.pid], usable) == frozenset()
        assert placement.bound_cpus([bound.pid, free.pid], usable) == {first}
        assert placement.place_beside([free.pid], bound.pid) is None  # nothing bound: no move
        assert placement.place_beside([bound.pid], free.pid, "inherit") is None
        assert placement.affinity(free.pid) == usable
        spare = placement.place_beside([bound.pid, free.pid], free.pid)
        assert spare == usable - {first}
        assert placement.affinity(free.pid) == spare
    finally:
        for proc in (bound, free):
            proc.kill()
            proc.wait()


def test_the_shippers_own_binding_does_not_hide_the_spare_cpus() -> None:
    usable = placement.usable_cpus()
    if len(usable) < 2:
        pytest.skip("needs two CPUs")
    first, last = min(usable), max(usable)
    sleep = [sys.executable, "-c", "import time; time.sleep(30)"]
    worker = subprocess.Popen(sleep)
    os.sched_setaffinity(worker.pid, {first})
    # the plugin moves its shipper process off the worker's CPU, as here
    shipper = subprocess.Popen([*sleep, placement.SHIPPER_MODULE])
    os.sched_setaffinity(shipper.pid, {last})
    deadline = time.monotonic() + 10  # the new program's arguments show once it has started
    while not Path(f"/proc/{shipper.pid}/cmdline").read_bytes() and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        assert placement.is_shipper(shipper.pid) and not placement.is_shipper(worker.pid)
        assert placement.bound_cpus([worker.pid, shipper.pid], usable) == {first}
        assert placement.cpus_of([worker.pid, shipper.pid]) == {first}
        assert placement.spare_cpus(frozenset({first}), usable) == usable - {first}
    finally:
        for proc in (worker, shipper):
            proc.kill()
            proc.wait()


def test_a_pinned_thread_passes_its_cpus_to_the_threads_it_starts() -> None:
    target = frozenset({min(placement.affinity())})
    seen: dict[str, frozenset[int]] = {}

    def child() -> None:
        seen["child"] = placement.affinity()

    def helper() -> None:
        assert placement.pin_current_thread(target)
        seen["helper"] = placement.affinity()
        inner = threading.Thread(target=child)
        inner.start()
        inner.join()

    before = placement.affinity()
    thread = threading.Thread(target=helper)
    thread.start()
    thread.join()
    assert seen == {"helper": target, "child": target}
    assert placement.affinity() == before  # the calling thread is not moved


def test_helper_cpus_follow_the_setting() -> None:
    assert placement.helper_cpus("inherit") is None
    assert placement.helper_cpus("0") == {0}
    own = placement.affinity()
    auto = placement.helper_cpus("auto")
    # auto: only what the calling thread is not bound to, and nothing if it is unbound
    assert auto is None or (auto and not auto & own)


def test_helper_cpus_auto_moves_off_a_bound_thread() -> None:
    usable = placement.usable_cpus([os.getppid()])
    if len(usable) < 2:
        pytest.skip("needs two CPUs")
    result: dict[str, object] = {}

    def bound_thread() -> None:
        placement.pin_current_thread(frozenset({min(usable)}))
        result["cpus"] = placement.helper_cpus("auto")

    thread = threading.Thread(target=bound_thread)
    thread.start()
    thread.join()
    assert result["cpus"] == usable - {min(usable)}


def test_the_plugin_setting_and_the_flag_refuse_a_bad_cpu_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LLM_MONITOR_PLUGIN_SHIPPER_CPUS", "2-1")
    with pytest.raises(ValueError, match="shipper_cpus"):
        PluginSettings()
    monkeypatch.setenv("LLM_MONITOR_PLUGIN_SHIPPER_CPUS", "1,3")
    assert PluginSettings().shipper_cpus == "1,3"
    assert cpu_setting("auto") == "auto"
    with pytest.raises(Exception, match="CPU list"):
        cpu_setting("cores")


def test_a_process_started_on_cpus_runs_there_and_the_caller_is_restored() -> None:
    before = placement.affinity()
    target = frozenset({max(before)})
    with placement.started_on(target):
        child = subprocess.Popen(
            [sys.executable, "-c", "import os; print(sorted(os.sched_getaffinity(0)))"],
            stdout=subprocess.PIPE,
            text=True,
        )
    out, _ = child.communicate(timeout=30)
    assert out.strip() == str(sorted(target))
    assert placement.affinity() == before
    with placement.started_on(None):  # None: nothing moves
        assert placement.affinity() == before


def test_cpus_not_usable_here_are_refused_by_name() -> None:
    beyond = max(placement.usable_cpus()) + 1
    with pytest.raises(ValueError, match=f"CPU\\(s\\) {beyond} of '0,{beyond}' are not available"):
        placement.usable_cpu_list(f"0,{beyond}")
    assert placement.usable_cpu_list(str(min(placement.affinity()))) == {min(placement.affinity())}
    before = placement.affinity()
    refused = pytest.raises(ValueError, match=f"cannot run on CPU\\(s\\) {beyond}")
    with refused, placement.started_on(frozenset({beyond})):
        pass
    assert placement.affinity() == before


def test_vllm_starts_on_its_cpus_and_the_shipper_gets_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from monitor import launch

    usable = placement.usable_cpus()
    if len(usable) < 2 or placement.affinity() != usable:
        pytest.skip("needs two CPUs this process may use")
    seen: list[tuple[dict[str, str], frozenset[int]]] = []

    def fake_popen(cmd: list[str], env: dict[str, str], **kwargs: object) -> object:
        seen.append((env, placement.affinity()))  # a child inherits the caller's binding
        return object()

    monkeypatch.setattr(launch.subprocess, "Popen", fake_popen)
    first = min(usable)
    server = launch.VllmServerSettings(
        model_dir=Path("/m"), served_model_name="m", dtype="float32", engine_cpus=str(first)
    )
    free = launch.VllmServerSettings(Path("/m"), "m", dtype="float32")
    for settings, base in (
        (server, {"A": "1"}),
        (server, {launch.SHIPPER_CPUS_ENV: "inherit"}),  # the user's choice wins
        (free, {}),
    ):
        launch.start_vllm(settings, launch.plugin_environment(settings, "", base=base))
    rest = placement.format_cpu_list(usable - {first})
    assert (seen[0][0]["A"], seen[0][0][launch.SHIPPER_CPUS_ENV]) == ("1", rest)
    assert seen[0][1] == frozenset({first})
    assert seen[1][1] == frozenset({first})
    assert seen[1][0][launch.SHIPPER_CPUS_ENV] == "inherit"
    assert launch.SHIPPER_CPUS_ENV not in seen[2][0] and seen[2][1] == usable
    assert placement.affinity() == usable
