"""``llm-monitor serve`` as a subprocess of a benchmark: start, wait until it serves, stop.

Every bench that measures a real sidecar starts it the same way: the current interpreter
runs ``monitor.cli serve`` on a temporary configuration, its output goes to a log file,
and it counts as started once its metrics endpoint answers. A start that fails raises the
caller's error type with the end of the log; stopping is SIGTERM, then SIGKILL after a
minute.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: Characters of the log's end quoted in a start error.
LOG_TAIL = 2000
#: Seconds a stopped sidecar has to exit after SIGTERM before it is killed.
STOP_TIMEOUT_S = 60.0


def log_tail(log_path: Path, chars: int = LOG_TAIL) -> str:
    """The end of a log file (empty if there is none)."""
    try:
        return log_path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def start_serve(config: Path, log_path: Path, nice: int = 0) -> subprocess.Popen[bytes]:
    """``llm-monitor serve --config config``, logging to ``log_path``; with ``nice`` > 0 at
    that lower CPU priority (every thread of it)."""
    niced = ["nice", "-n", str(nice)] if nice else []
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [*niced, sys.executable, "-m", "monitor.cli", "serve", "--config", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def wait_serving(
    proc: subprocess.Popen[bytes],
    log_path: Path,
    metrics_port: int,
    timeout_s: float,
    error: type[Exception] = RuntimeError,
) -> None:
    """Return once ``proc``'s /metrics on ``metrics_port`` answers; raise ``error`` (with
    the log's end) if it exits first or does not answer within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    while True:
        if proc.poll() is not None:
            raise error(f"serve exited with {proc.returncode}: {log_tail(log_path)}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                resp.read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise error(
                    f"serve did not start within {timeout_s:.0f} s: {log_tail(log_path)}"
                ) from None
            time.sleep(0.2)


def stop_serve(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``STOP_TIMEOUT_S``."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def serving(
    config: Path,
    log_path: Path,
    metrics_port: int,
    timeout_s: float = 120.0,
    error: type[Exception] = RuntimeError,
    nice: int = 0,
) -> Iterator[subprocess.Popen[bytes]]:
    """``llm-monitor serve`` from the moment its /metrics answers until the block ends."""
    proc = start_serve(config, log_path, nice)
    try:
        wait_serving(proc, log_path, metrics_port, timeout_s, error)
        yield proc
    finally:
        stop_serve(proc)
