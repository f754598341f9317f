"""Group commit: concurrent pushes share writes, each caller returns after its own commit."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import numpy as np
import pytest

from monitor.hub.group_commit import GroupCommit
from monitor.sidecar.scoring.sinks import RequestTokens
from monitor.sidecar.traces.writer import TraceUpdate


def update(request_id: str, tokens: int = 1) -> TraceUpdate:
    chunk = RequestTokens(
        model_name="m",
        request_id=request_id,
        layer=0,
        positions=np.arange(tokens, dtype=np.int64),
        token_ids=np.zeros(tokens, dtype=np.int64),
        scores={},
        aggregates={},
        thresholds={},
    )
    return TraceUpdate(
        model_name="m", request_id=request_id, first_seen=0.0, last_seen=0.0, tokens=[chunk]
    )


class SlowStore:
    """Records each write; the first write blocks until released."""

    def __init__(self, fail_on: str = "") -> None:
        self.writes: list[list[str]] = []
        self.committed: set[str] = set()
        self.release = threading.Event()
        self.first_started = threading.Event()
        self._fail_on = fail_on

    def apply(self, updates: Sequence[TraceUpdate]) -> None:
        ids = [u.request_id for u in updates]
        if not self.writes:
            self.first_started.set()
            self.release.wait(5)
        self.writes.append(ids)
        if self._fail_on in ids:
            raise RuntimeError(f"database down while writing {self._fail_on}")
        self.committed.update(ids)


def run_concurrently(commit: GroupCommit, names: list[str]) -> dict[str, BaseException | None]:
    results: dict[str, BaseException | None] = {}

    def push(name: str) -> None:
        try:
            commit.apply([update(name)])
        except BaseException as exc:
            results[name] = exc
        else:
            results[name] = None

    threads = [threading.Thread(target=push, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
        time.sleep(0.02)
    return_when_done(threads)
    return results


def return_when_done(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(10)
        assert not thread.is_alive()


def test_pushes_arriving_during_a_write_are_written_together() -> None:
    store = SlowStore()
    commit = GroupCommit(store.apply)
    first = threading.Thread(target=commit.apply, args=([update("a")],))
    first.start()
    assert store.first_started.wait(5)
    waiting = [
        threading.Thread(target=commit.apply, args=([update(name)],)) for name in ("b", "c", "d")
    ]
    for thread in waiting:
        thread.start()
    time.sleep(0.2)  # b, c and d queue behind a's write
    assert store.writes == []  # a's write is still blocked: nobody returned early
    store.release.set()
    return_when_done([first, *waiting])
    assert store.writes[0] == ["a"]
    assert sorted(store.writes[1]) == ["b", "c", "d"]  # one write for the three
    assert commit.writes == 2


def test_a_failed_write_fails_every_push_it_held_and_only_those() -> None:
    store = SlowStore(fail_on="c")
    store.release.set()
    commit = GroupCommit(store.apply)
    results = run_concurrently(commit, ["a", "b", "c"])
    failed = {name for name, error in results.items() if error is not None}
    assert "c" in failed
    for name, error in results.items():
        in_failed_write = any(name in ids and "c" in ids for ids in store.writes)
        assert (error is not None) == in_failed_write, (name, store.writes)
        assert (name in store.committed) == (error is None)


def test_a_full_group_leaves_the_rest_for_the_next_write() -> None:
    store = SlowStore()
    commit = GroupCommit(store.apply, max_group_rows=10)
    first = threading.Thread(target=commit.apply, args=([update("a", 1)],))
    first.start()
    assert store.first_started.wait(5)
    big = [threading.Thread(target=commit.apply, args=([update(name, 6)],)) for name in ("b", "c")]
    for thread in big:
        thread.start()
    time.sleep(0.2)
    store.release.set()
    return_when_done([first, *big])
    assert [len(ids) for ids in store.writes] == [1, 1, 1]  # 6 + 6 rows exceed 10
    assert store.committed == {"a", "b", "c"}


def test_the_group_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_group_rows"):
        GroupCommit(lambda updates: None, max_group_rows=0)
