"""``run_until_signalled`` with fake services: signals, reload, companions, exit codes."""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from monitor.cli.exit_codes import ExitCode
from monitor.cli.signals import run_until_signalled
from monitor.sidecar.config import ConfigError


class FakeService:
    """Records what the loop does to it."""

    def __init__(self, fail_start: bool = False, fail_reload: bool = False) -> None:
        self.events: list[str] = []
        self.fail_start = fail_start
        self.fail_reload = fail_reload
        self.grace: float | None = None

    def start(self) -> None:
        if self.fail_start:
            raise OSError("address in use")
        self.events.append("start")

    def stop(self, grace: float = 5.0) -> None:
        self.grace = grace
        self.events.append("stop")

    def reload_rules(self, path: Path | None = None) -> int:
        self.events.append("reload")
        if self.fail_reload:
            raise ConfigError("bad rules")
        return 1


class FakeCompanion:
    name = "fake"

    def __init__(self, service: FakeService, exits_after: int | None = None) -> None:
        self.service = service
        self.exits_after = exits_after
        self.polls = 0

    def start(self) -> None:
        self.service.events.append("companion start")

    def poll(self) -> int | None:
        self.polls += 1
        return 3 if self.exits_after is not None and self.polls >= self.exits_after else None

    def stop(self) -> None:
        self.service.events.append("companion stop")


def send_when(ready: Callable[[], bool], sig: signal.Signals, timeout: float = 60.0) -> None:
    """Send ``sig`` to this process once ``ready()`` holds (checked every 10 ms)."""

    def wait_and_send() -> None:
        deadline = time.monotonic() + timeout
        while not ready() and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(os.getpid(), sig)

    threading.Thread(target=wait_and_send, daemon=True).start()


def send_later(*signals: signal.Signals, every: float = 0.15) -> None:
    for i, sig in enumerate(signals, start=1):
        threading.Timer(every * i, os.kill, (os.getpid(), sig)).start()


def test_sigterm_stops_with_grace_and_restores_the_handlers() -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    service = FakeService()
    send_later(signal.SIGTERM)
    assert run_until_signalled(service, grace=1.5, interval=0.02) == ExitCode.OK
    assert service.events == ["start", "stop"] and service.grace == 1.5
    assert {s: signal.getsignal(s) for s in before} == before


@pytest.mark.parametrize("fail_reload", [False, True])
def test_sighup_reloads_the_rules_and_survives_a_refused_file(fail_reload: bool) -> None:
    service = FakeService(fail_reload=fail_reload)
    # once the loop runs (start-up's heap frozen: the freeze may take a while in a big process)
    send_when(lambda: gc.get_freeze_count() > 0, signal.SIGHUP)
    send_when(lambda: "reload" in service.events, signal.SIGINT)
    assert run_until_signalled(service, interval=0.02) == ExitCode.OK
    assert service.events == ["start", "reload", "stop"]


def test_a_service_that_cannot_start_fails() -> None:
    service = FakeService(fail_start=True)
    assert run_until_signalled(service, interval=0.02) == ExitCode.FAILED
    assert service.events == []


def test_the_companion_starts_after_and_stops_before_the_service() -> None:
    service = FakeService()
    send_later(signal.SIGTERM)
    assert run_until_signalled(service, FakeCompanion(service), interval=0.02) == ExitCode.OK
    assert service.events == ["start", "companion start", "companion stop", "stop"]


def test_a_companion_that_exits_by_itself_fails_the_command() -> None:
    service = FakeService()
    companion = FakeCompanion(service, exits_after=2)
    assert run_until_signalled(service, companion, interval=0.02) == ExitCode.FAILED
    assert service.events == ["start", "companion start", "companion stop", "stop"]


def test_while_serving_the_startup_heap_is_out_of_the_collectors_sight() -> None:
    frozen: list[int] = []

    class Watching(FakeCompanion):
        def poll(self) -> int | None:  # called by the loop
            frozen.append(gc.get_freeze_count())
            return super().poll()

    service = FakeService()
    send_when(lambda: bool(frozen), signal.SIGTERM)
    assert run_until_signalled(service, Watching(service), interval=0.02) == ExitCode.OK
    assert frozen[0] > 1000  # every object of this test process
    assert gc.get_freeze_count() == 0  # thawed once the loop ended
