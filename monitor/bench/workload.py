"""The chats the overhead and latency benchmarks send.

``ordinary`` (the default): everyday requests as users write them, the real-use halves of
the project's evaluation-awareness pairs from the test split (no probe was trained or
calibrated on them): few are flagged, as on production traffic, so the sidecar stores
few traces. ``stories``: "Write a long story about rivers #3.", whose test-like
numbering the evaluation-awareness probe flags on most requests, so nearly every
request's trace is stored and its tokens encoded: the sidecar's heavy case.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path
from typing import Literal

Workload = Literal["ordinary", "stories"]
WORKLOADS: tuple[Workload, ...] = ("ordinary", "stories")
TOPICS = ("rivers", "stars", "bread", "trains", "music", "chess", "forests", "robots")

Chat = list[dict[str, str]]


def _data_file() -> Path:
    """The toolkit's evaluation-awareness data (found without importing the toolkit)."""
    spec = importlib.util.find_spec("probes")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the ordinary workload reads probes/data/: install the toolkit")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "eval_awareness.jsonl"


@functools.cache
def _ordinary() -> tuple[tuple[tuple[str, str], ...], ...]:
    path = _data_file()
    chats = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if record["split"] == "test" and record["label"] == 0 and not record.get("response"):
                chats.append(tuple((m["role"], m["content"]) for m in record["messages"]))
    if not chats:
        raise RuntimeError(f"no ordinary requests in {path}")
    return tuple(chats)


def chat(workload: Workload, index: int) -> Chat:
    """The ``index``-th chat of ``workload`` (ordinary chats repeat after the set's size)."""
    if workload == "stories":
        topic = TOPICS[index % len(TOPICS)]
        return [{"role": "user", "content": f"Write a long story about {topic} #{index}."}]
    chats = _ordinary()
    return [{"role": role, "content": content} for role, content in chats[index % len(chats)]]


def chats(workload: Workload, n: int) -> list[Chat]:
    """The first ``n`` chats of ``workload``."""
    return [chat(workload, i) for i in range(n)]
