"""What the per-concept builders share: drafts, seeded family and content splits."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from probes.data.records import ReplyCheck, Role, Split

T = TypeVar("T")


Turns = tuple[tuple[Role, str], ...]


@dataclass(frozen=True)
class Draft:
    """A record before its id is assigned."""

    family: str
    split: Split
    label: int
    messages: Turns
    response: str | None = None
    check: ReplyCheck | None = None


# ---------------------------------------------------------------------------
# splitting


def split_sizes(n: int) -> tuple[int, int, int]:
    """(train, validation, test) counts for n units: ~60/20/20, each >= 1 when n >= 3."""
    if n < 3:
        raise ValueError(f"need at least 3 units to split three ways, got {n}")
    n_val = max(1, round(0.2 * n))
    n_test = max(1, round(0.2 * n))
    return n - n_val - n_test, n_val, n_test


def assign_splits(
    units: Sequence[T], key: Callable[[T], str], seed: int, tag: str
) -> dict[T, Split]:
    """Assign each unit a split, stratified by ``key``, shuffled with a seeded RNG."""
    groups: dict[str, list[T]] = {}
    for u in units:
        groups.setdefault(key(u), []).append(u)
    out: dict[T, Split] = {}
    for g in sorted(groups):
        members = list(groups[g])
        random.Random(f"{seed}:{tag}:{g}").shuffle(members)
        n_train, n_val, _ = split_sizes(len(members))
        for i, u in enumerate(members):
            out[u] = "train" if i < n_train else "validation" if i < n_train + n_val else "test"
    return out


def pool(split_of: dict[T, Split], split: Split) -> list[T]:
    return [u for u, s in split_of.items() if s == split]


def sample(pool: Sequence[T], k: int, rng: random.Random) -> list[T]:
    return rng.sample(list(pool), min(k, len(pool)))


def cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def lower_first(s: str) -> str:
    # Keep "I", acronyms and code-ish starts as they are.
    first = s.split(" ", 1)[0]
    if first == "I" or first.startswith("I'") or (len(first) > 1 and first[:2].isupper()):
        return s
    return s[:1].lower() + s[1:]


def msgs(system: str | None, user: str) -> Turns:
    return ((("system", system),) if system else ()) + (("user", user),)


def family_splits(names: Sequence[str], seed: int, tag: str) -> dict[str, Split]:
    return assign_splits(sorted(names), key=lambda _n: tag, seed=seed, tag=f"families:{tag}")
