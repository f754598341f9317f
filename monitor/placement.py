"""Which CPUs the monitor's own threads run on, beside an engine that binds its cores.

vLLM's CPU backend binds each worker's OpenMP compute threads to cores
(``VLLM_CPU_OMP_THREADS_BIND``, ``auto`` by default) and leaves the others ("reserved")
to its scheduler and front end. A thread inherits the binding of the thread that starts
it, so the plugin's shipper thread and gRPC's threads, started from the worker's main
thread, would otherwise share the model's only cores while a reserved core has room.
The plugin moves them to the CPUs the compute threads are not bound to (``auto``), and
``up`` and the benchmarks put the sidecar there too. Where nothing is bound (a GPU
worker, or a binding over every CPU) nothing moves.

Linux only (``os.sched_setaffinity``); elsewhere every function here is a no-op.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

log = logging.getLogger("llm_monitor.placement")

ONLINE_CPUS = Path("/sys/devices/system/cpu/online")
#: The module the plugin's shipper process runs: the monitor's own helper, which the plugin
#: moves off the engine's cores, so its binding says nothing about where the engine computes.
SHIPPER_MODULE = "monitor.plugin.ship_child"


def parse_cpu_list(text: str) -> frozenset[int]:
    """CPUs written as Linux does (``0,2-3``); ValueError naming what is wrong."""
    cpus: set[int] = set()
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        low, sep, high = part.partition("-")
        if not low.isdigit() or (sep and not high.isdigit()):
            raise ValueError(f"not a CPU list (e.g. '1' or '0,2-3'): {text!r}")
        first, last = int(low), int(high) if sep else int(low)
        if last < first:
            raise ValueError(f"descending CPU range {part!r} in {text!r}")
        cpus.update(range(first, last + 1))
    if not cpus:
        raise ValueError(f"empty CPU list: {text!r}")
    return frozenset(cpus)


def format_cpu_list(cpus: Iterable[int]) -> str:
    """``[0, 2, 3]`` as ``0,2-3``."""
    ordered = sorted(set(cpus))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(parts)


def check_setting(text: str) -> str:
    """``text`` if it is a placement setting (``auto``, ``inherit`` or a CPU list), else
    ValueError naming what is wrong."""
    if text not in ("auto", "inherit"):
        parse_cpu_list(text)
    return text


def cpus_for(setting: str, bound: frozenset[int], usable: frozenset[int]) -> frozenset[int] | None:
    """Where a setting puts the monitor's threads: ``inherit``, None (leave them); a CPU
    list, those CPUs; ``auto``, the ``usable`` CPUs outside ``bound`` (None when
    ``bound`` is empty or covers them all)."""
    if setting == "inherit":
        return None
    if setting != "auto":
        return parse_cpu_list(setting)
    return spare_cpus(bound, usable)


def supported() -> bool:
    """Whether this platform can read and set thread affinities."""
    return hasattr(os, "sched_getaffinity") and hasattr(os, "sched_setaffinity")


def affinity(tid: int = 0) -> frozenset[int]:
    """The CPUs a thread (0: the calling one; else a process's main thread or any thread
    id) may run on."""
    return frozenset(os.sched_getaffinity(tid))


def usable_cpus(pids: Iterable[int] = ()) -> frozenset[int]:
    """The CPUs this machine lets us use: the calling thread's and ``pids``' main threads'
    together (an unbound parent has them all), else the online CPUs."""
    cpus: set[int] = set(affinity())
    for pid in pids:
        try:
            cpus |= affinity(pid)
        except OSError:
            continue
    if len(cpus) <= 1 and ONLINE_CPUS.exists():
        with contextlib.suppress(OSError, ValueError):
            cpus |= parse_cpu_list(ONLINE_CPUS.read_text().strip())
    return frozenset(cpus)


def usable_cpu_list(text: str) -> frozenset[int]:
    """A CPU list this process may run on (a subset of :func:`usable_cpus`); ValueError
    naming what is wrong."""
    cpus = parse_cpu_list(text)
    usable = usable_cpus() if supported() else cpus
    if not cpus <= usable:
        raise ValueError(
            f"CPU(s) {format_cpu_list(cpus - usable)} of {text!r} are not available here "
            f"(usable: {format_cpu_list(usable)})"
        )
    return cpus


def spare_cpus(bound: frozenset[int], usable: frozenset[int]) -> frozenset[int] | None:
    """The usable CPUs outside ``bound``; None when ``bound`` covers them all (nothing
    is bound, or everything is: then moving would gain nothing)."""
    spare = usable - bound
    return frozenset(spare) if spare and bound else None


def pin_current_thread(cpus: frozenset[int]) -> bool:
    """Bind the calling thread (and so the threads it starts later) to ``cpus``."""
    if not supported():
        return False
    try:
        os.sched_setaffinity(0, cpus)
    except OSError as exc:
        log.warning("cannot bind a thread to CPUs %s: %s", format_cpu_list(cpus), exc)
        return False
    return True


@contextlib.contextmanager
def started_on(cpus: frozenset[int] | None) -> Iterator[None]:
    """Processes started in the block run on ``cpus`` (None: where the caller may): a
    child inherits the binding of the thread that starts it, so the calling thread is
    bound to ``cpus`` for the block and restored after. ValueError when this process may
    not run on them."""
    if cpus is None or not supported():
        yield
        return
    before = affinity()
    try:
        os.sched_setaffinity(0, cpus)
    except OSError as exc:
        raise ValueError(
            f"cannot run on CPU(s) {format_cpu_list(cpus)} (this process may use "
            f"{format_cpu_list(before)}): {exc.strerror}"
        ) from None
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def pin_process(pid: int, cpus: frozenset[int]) -> int:
    """Bind every thread of process ``pid`` to ``cpus`` (threads it starts later inherit
    it from theirs); the number of threads bound."""
    if not supported():
        return 0
    bound = 0
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            os.sched_setaffinity(int(task.name), cpus)
            bound += 1
        except (OSError, ValueError):
            continue  # a thread that ended meanwhile
    return bound


def is_shipper(pid: int) -> bool:
    """Whether ``pid`` is the plugin's shipper process (:data:`SHIPPER_MODULE`)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return SHIPPER_MODULE.encode() in argv


def cpus_of(pids: Iterable[int]) -> frozenset[int]:
    """Every CPU the main threads of ``pids`` may run on, the plugin's shipper process
    aside (where a server's own processes run)."""
    cpus: set[int] = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            if not is_shipper(pid):
                cpus |= affinity(pid)
    return frozenset(cpus)


def bound_cpus(pids: Iterable[int], usable: frozenset[int]) -> frozenset[int]:
    """The CPUs the main threads of ``pids`` are bound to, where bound to fewer than
    ``usable`` (an engine's compute workers); empty when none is. The plugin's shipper
    process, which the plugin has already moved off those CPUs, does not count."""
    cpus: set[int] = set()
    for pid in pids:
        try:
            own = affinity(pid)
        except OSError:
            continue
        if own < usable and not is_shipper(pid):
            cpus |= own
    return frozenset(cpus)


def helper_cpus(setting: str) -> frozenset[int] | None:
    """The CPUs for helper threads started from the calling thread, per a setting:
    ``inherit`` (None: leave them), a CPU list, or ``auto``: the usable CPUs the calling
    thread is not bound to, when it is bound to fewer than all (None otherwise)."""
    if not supported():
        return None
    try:
        return cpus_for(setting, affinity(), usable_cpus([os.getppid()]))
    except OSError:
        return None


def place_beside(
    engine_pids: Iterable[int], pid: int, setting: str = "auto"
) -> frozenset[int] | None:
    """Bind every thread of process ``pid`` per ``setting``: ``auto``, the usable CPUs the
    engine processes' compute threads are not bound to (nothing when none is bound);
    ``inherit``, nothing; or a CPU list. Returns the CPUs it was bound to, or None."""
    if not supported():
        return None
    pids = list(engine_pids)
    usable = usable_cpus(pids)
    cpus = cpus_for(setting, bound_cpus(pids, usable), usable)
    if cpus is None or pin_process(pid, cpus) == 0:
        return None
    return cpus
