"""``run_until_signalled``: the foreground loop of ``serve`` and ``up``.

SIGINT and SIGTERM stop, SIGHUP re-reads the alert rules; the previous handlers are
restored on the way out. A companion process (vLLM under ``up``) starts after the
sidecar listens and stops before it, so nothing ships to a closed socket.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import signal
import threading
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from monitor.cli.exit_codes import ExitCode
from monitor.heap import freeze_startup_heap

log = logging.getLogger("llm_monitor.run")

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
RELOAD_SIGNAL = signal.SIGHUP


class Service(Protocol):
    """What the loop needs of the sidecar."""

    def start(self) -> None: ...

    def stop(self, grace: float = ...) -> None: ...

    def reload_rules(self, path: Path | None = None) -> int: ...


class Companion(Protocol):
    """A process that lives and dies with the sidecar (vLLM under ``up``)."""

    name: str
    """What to call it in log lines."""

    def start(self) -> None:
        """Start it; called once the sidecar listens."""

    def poll(self) -> int | None:
        """None while it runs; its exit status once it has ended by itself."""

    def stop(self) -> None:
        """Stop it if it still runs; called before the sidecar stops."""


@contextlib.contextmanager
def _signal_events() -> Iterator[tuple[threading.Event, threading.Event]]:
    """(stop, reload) events set by the signal handlers installed for the block."""
    stop, reload = threading.Event(), threading.Event()

    def on_stop(signum: int, frame: types.FrameType | None) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    def on_reload(signum: int, frame: types.FrameType | None) -> None:
        reload.set()

    previous = {sig: signal.signal(sig, on_stop) for sig in STOP_SIGNALS}
    previous[RELOAD_SIGNAL] = signal.signal(RELOAD_SIGNAL, on_reload)
    try:
        yield stop, reload
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _reload(service: Service) -> None:
    """Re-read the rules; a refused file is logged and counted by the sidecar itself."""
    from monitor.sidecar.alerts.compile import RuleError
    from monitor.sidecar.config import ConfigError

    with contextlib.suppress(ConfigError, RuleError):
        service.reload_rules()


@contextlib.contextmanager
def frozen_startup_heap() -> Iterator[int]:
    """What start-up made, frozen for the garbage collector until the block ends
    (:func:`monitor.heap.freeze_startup_heap`); yields how many objects were frozen."""
    try:
        yield freeze_startup_heap()
    finally:
        gc.unfreeze()


def run_until_signalled(
    service: Service,
    companion: Companion | None = None,
    *,
    grace: float = 5.0,
    interval: float = 0.2,
    name: str = "sidecar",
) -> ExitCode:
    """Start ``service`` (then ``companion``) and run until SIGINT/SIGTERM or until the
    companion ends; stop both (``grace`` seconds for the sidecar's open streams).

    Returns OK after a signal, FAILED when either cannot start or the companion ended by
    itself. Must run on the main thread (signal handlers). While it runs, what start-up
    made is frozen for the garbage collector (:func:`frozen_startup_heap`).
    """
    with _signal_events() as (stop, reload):
        try:
            service.start()
        except (OSError, RuntimeError) as exc:
            log.error("cannot start the %s: %s", name, exc)
            return ExitCode.FAILED
        try:
            if companion is not None:
                try:
                    companion.start()
                except OSError as exc:
                    log.error("cannot start %s: %s", companion.name, exc)
                    return ExitCode.FAILED
            with frozen_startup_heap() as frozen:
                log.debug("%d start-up objects frozen for the garbage collector", frozen)
                while not stop.wait(interval):
                    if reload.is_set():
                        reload.clear()
                        _reload(service)
                    if companion is not None and (status := companion.poll()) is not None:
                        log.error("%s exited with status %s", companion.name, status)
                        return ExitCode.FAILED
                return ExitCode.OK
        finally:
            if companion is not None:
                companion.stop()
            service.stop(grace)
            log.info("%s stopped", name)
