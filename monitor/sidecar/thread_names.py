"""The sidecar's threads named for the OS, so that ``top -H``, ``ps -L`` and /proc tell them
apart.

Python names its threads for itself only; the kernel shows each as the interpreter
(``python3``). :func:`name_threads` writes the name of every live thread called
``llm-monitor-<what>`` (``<what>``: ``pipeline``, ``grpc``, ``ingest_0``, ``watchdog``, ...,
at most 15 bytes, the kernel's limit) to ``/proc/self/task/<tid>/comm``. The sidecar calls
it once started, when its long-lived threads exist. Best effort: where /proc is absent, or
a thread ended meanwhile, the name stays as it was.
"""

from __future__ import annotations

import threading
from pathlib import Path

PREFIX = "llm-monitor-"
#: The kernel keeps 15 bytes of a thread's name.
MAX_NAME = 15


def os_name(thread_name: str) -> str | None:
    """The OS name of a thread called ``thread_name`` (None: not one of the sidecar's)."""
    if not thread_name.startswith(PREFIX):
        return None
    return thread_name[len(PREFIX) :].encode()[:MAX_NAME].decode(errors="ignore") or None


def name_threads() -> int:
    """Give the sidecar's live threads their names in the OS; how many were named."""
    named = 0
    for thread in threading.enumerate():
        name = os_name(thread.name)
        if name is None or thread.native_id is None:
            continue
        try:
            Path(f"/proc/self/task/{thread.native_id}/comm").write_text(name)
        except OSError:
            continue
        named += 1
    return named
