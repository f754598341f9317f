"""The benchmarks' chats and the engines' CPU by thread."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from monitor.bench import workload
from monitor.bench.cpu_time import ProcessTree, thread_delta


def test_ordinary_chats_are_distinct_everyday_requests_from_the_test_split() -> None:
    chats = workload.chats("ordinary", 64)
    texts = [c[-1]["content"] for c in chats]
    assert len(set(texts)) == 64  # no prefix-cache hits between a round's requests
    assert all(c[-1]["role"] == "user" for c in chats)
    assert workload.chat("ordinary", 0) == workload.chat("ordinary", len(workload._ordinary()))
    # the same records as the toolkit reads: real-use requests of the test split
    from probes.data.records import load_records
    from probes.settings import DATA_DIR

    ordinary = [
        r
        for r in load_records(DATA_DIR / "eval_awareness.jsonl")
        if r.split == "test" and r.label == 0
    ]
    assert texts[:3] == [r.messages[-1].content for r in ordinary[:3]]
    assert len(workload._ordinary()) == len(ordinary)


def test_story_chats_carry_their_index() -> None:
    assert workload.chat("stories", 3) == [
        {"role": "user", "content": "Write a long story about trains #3."}
    ]


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs /proc")
def test_thread_cpu_is_grouped_by_process_and_thread() -> None:
    tree = ProcessTree([os.getpid()])
    before = tree.thread_cpu_s()
    spun, stop = threading.Event(), threading.Event()

    def spin() -> None:  # 0.2 CPU-seconds of its own, then wait to be read
        while time.thread_time() < 0.2:
            pass
        spun.set()
        stop.wait(30)

    thread = threading.Thread(target=spin)
    thread.start()
    try:
        assert spun.wait(60)
        after = tree.thread_cpu_s()  # while the thread lives: its time is still its own
        own = Path(f"/proc/self/task/{thread.native_id}/comm").read_text().strip()
    finally:
        stop.set()
        thread.join()
    name = Path("/proc/self/comm").read_text().strip()
    assert f"{name}/main" in before
    delta = thread_delta(after, before)
    # the spinning thread, apart from the main one (named like the process, or by its own name)
    assert delta[f"{name}/{'python' if own == name else own}"] >= 0.15
    assert all(v > 0 for v in delta.values())
