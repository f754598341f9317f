"""A child process a test starts, stops and reads the log of (hub, fleet sidecars)."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path


class ChildProcess:
    """``process`` and ``log_path`` are set by the subclass; ``stop_timeout_s`` bounds a
    SIGTERM before kill -9."""

    stop_timeout_s = 30.0
    process: subprocess.Popen[bytes] | None
    log_path: Path

    def kill(self) -> None:
        """kill -9, and wait for it to be gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(30)

    def stop(self, timeout: float | None = None) -> int | None:
        """SIGTERM (kill -9 after ``timeout``, default ``stop_timeout_s``); the exit status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(self.stop_timeout_s if timeout is None else timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode

    def log(self) -> str:
        """Its output so far (every start)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
