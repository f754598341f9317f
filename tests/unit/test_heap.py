"""Freezing start-up's objects for the garbage collector."""

from __future__ import annotations

import gc

from monitor.heap import freeze_startup_heap


def test_a_frozen_heap_is_skipped_by_full_collections_until_thawed() -> None:
    keep = [[i] for i in range(200_000)]  # start-up's long-lived objects
    try:
        assert freeze_startup_heap() >= len(keep)
        gc.collect()
        seen = {id(obj) for generation in range(3) for obj in gc.get_objects(generation)}
        assert id(keep) not in seen and id(keep[0]) not in seen  # the collector skips them
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0
    assert id(keep) in {id(obj) for obj in gc.get_objects()}  # back in sight
