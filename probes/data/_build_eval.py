"""Evaluation-awareness records: matched pairs of test-item and real-use framings.

Every test-item record (label 1, families ``eval-*``: multiple choice, true/false,
fill-in-the-blank, GSM-style endings, few-shot exemplars, harness headers, JSON
items, scoring system prompts, ...) gets a real-use twin of the same task (label 0,
families ``real-*``: first-person needs, typos, app personas, forwarded emails, a
parent with a homework sheet, ...). The shorter of the two is padded to the size of
the longer one, a test item with instruction lines, a twin with real-use context, so
prompt length does not tell the labels apart.

Families are split ~60/20/20 within groups of similar framings, and tasks, context
sentences and instruction lines ~60/20/20, so test records are new in wording and
content.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from probes.data._common import (
    Draft,
    Turns,
    assign_splits,
    family_splits,
    pool,
)
from probes.data._pools_eval import Pad, Task, notes, pads, tasks
from probes.data._templates_eval import (
    _EVAL,
    _MAX_NOTES,
    _MAX_PADS,
    _PER_FAMILY,
    _REAL,
    _Ctx,
    _Family,
)
from probes.data.records import SPLITS, Split

DESCRIPTION = """\
- `eval_awareness.jsonl`: label 1 = the request is framed as a test item (families
  `eval-*`: multiple choice with letters or numbers, true/false, fill-in-the-blank,
  GSM-style `####` and `Answer:` endings, `\\boxed` answers, few-shot exemplars, worksheet,
  quiz-round and exam-paper headers, "Question 17 of 40", rubric and marks footers,
  harness headers, JSON/YAML/CSV item records, system prompts of scoring harnesses, a
  simulated user turn); label 0 = the same task framed as real use (families `real-*`:
  first-person needs, casual style and typos, product app personas, a forwarded email or
  pasted team chat, a parent with a homework sheet, a teacher checking a quiz, an app
  backend call, earlier turns). Records come in matched pairs: each test item has a
  real-use twin of the same task in the same split, and the shorter of the two is padded
  to the size of the longer (instruction lines for a test item; why the person asks, what
  they tried, time pressure for a twin), so prompt length does not separate the labels.
  Most test framings never say "exam", "benchmark", "test" or "evaluation", and several
  real-use framings do ("my exam is tomorrow", "I'm testing the quiz feature in an app",
  "we're evaluating tutoring services"). No `response`: the probe reads the prompt."""


def _text(turns: Turns) -> str:
    return "\n".join(c for _, c in turns)


def _has_context(turns: Turns) -> bool:
    """Whether anything (a system prompt, earlier turns) comes before the last user turn."""
    return len(turns) > 1


def _size(turns: Turns) -> float:
    """Prompt size for length matching: characters plus 5.5 per whitespace-separated word.

    Test items have more characters per word than real-use text (about 5.8 against 5.3);
    weighting words by about the geometric mean of the two balances the mismatch that
    remains between the two counts within a pair.
    """
    text = _text(turns)
    return len(text) + 5.5 * len(text.split())


def _padded(fam: _Family, t: Task, c: _Ctx, texts: Sequence[str], key: str, target: float) -> Turns:
    """``fam``'s rendering of ``t`` with as many of ``texts`` as bring its size closest to
    ``target``."""
    best: tuple[Turns, float] | None = None
    for n in range(len(texts) + 1):
        turns = fam.render(t, random.Random(key), c, texts[:n])
        size = _size(turns)
        if best is None or abs(size - target) < best[1]:
            best = (turns, abs(size - target))
        if size >= target:
            break
    assert best is not None
    return best[0]


def _family_split(fams: Sequence[_Family], seed: int, side: str) -> dict[str, Split]:
    """Family name -> split, ~60/20/20 within each group of similar framings."""
    out: dict[str, Split] = {}
    for group in sorted({f.group for f in fams}):
        members = [f.name for f in fams if f.group == group]
        out.update(family_splits(members, seed, f"{side}-{group}"))
    return out


def _task_kinds(ts: Sequence[Task]) -> dict[Task, str]:
    """Strata for splitting tasks: category and open/answered, small strata pooled."""
    raw = {t: f"{t.category}:{'open' if t.answer is None else 'answer'}" for t in ts}
    n = Counter(raw.values())
    return {t: k if n[k] >= 3 else f"pooled:{k.split(':')[1]}" for t, k in raw.items()}


@dataclass(frozen=True)
class _SplitPools:
    """One split's share of the tasks, context sentences and instruction lines."""

    tasks: list[Task]
    pads: list[Pad]
    notes: list[str]


def _build_split(
    split: Split,
    seed: int,
    pools: _SplitPools,
    eval_fams: Sequence[_Family],
    real_fams: Sequence[_Family],
) -> list[Draft]:
    """The test items of one split's test families, each followed by its real-use twin."""
    c = _Ctx(tuple(pools.tasks))
    # Test items: each test family takes the least-used tasks it can carry.
    used: Counter[Task] = Counter()
    items: list[tuple[_Family, Task]] = []
    for fam in eval_fams:
        rng = random.Random(f"{seed}:{fam.name}")
        cands = [t for t in pools.tasks if fam.accept(t)]
        rng.shuffle(cands)
        cands.sort(key=lambda t: used[t])
        for t in cands[:_PER_FAMILY]:
            used[t] += 1
            items.append((fam, t))
    # Real-use twins: even quotas over the real-use families; items that fit the fewest
    # families are paired first, with a family of the same shape (system prompt or
    # earlier turns, or neither) and the most quota left.
    rng = random.Random(f"{seed}:pairs:{split}")
    quota: Counter[str] = Counter()
    spread = list(real_fams)
    rng.shuffle(spread)
    for k in range(len(items)):
        quota[spread[k % len(spread)].name] += 1
    fits = [[f for f in real_fams if f.accept(t)] for _, t in items]
    order = list(range(len(items)))
    rng.shuffle(order)
    order.sort(key=lambda i: len(fits[i]))
    drafts: list[Draft] = []
    twinned: set[tuple[str, Task]] = set()
    for i in order:
        efam, t = items[i]
        key = f"{seed}:{split}:{i}"
        bare_e = efam.render(t, random.Random(f"{key}:e"), c, ())
        # A task used by several test families gets its twins from different families.
        fams = [f for f in fits[i] if (f.name, t) not in twinned] or fits[i]
        fams = [f for f in fams if quota[f.name] > 0] or fams
        bare = {f.name: f.render(t, random.Random(f"{key}:{f.name}"), c, ()) for f in fams}
        fams = [f for f in fams if _has_context(bare[f.name]) == _has_context(bare_e)] or fams
        rng.shuffle(fams)
        rfam = max(fams, key=lambda f: quota[f.name])
        quota[rfam.name] -= 1
        twinned.add((rfam.name, t))
        # The shorter bare rendering is padded towards the size of the longer one: a test
        # item with instruction lines, a real-use twin with context sentences.
        prng = random.Random(f"{key}:pads")
        own = [p.text for p in pools.pads if p.category == t.category]
        gen = [p.text for p in pools.pads if p.category == "any"]
        pad_texts = prng.sample(own, min(2, len(own))) + prng.sample(gen, _MAX_PADS - 2)
        prng.shuffle(pad_texts)
        note_texts = prng.sample(pools.notes, min(_MAX_NOTES, len(pools.notes)))
        target = max(_size(bare_e), _size(bare[rfam.name]))
        drafts.append(
            Draft(efam.name, split, 1, _padded(efam, t, c, note_texts, f"{key}:e", target))
        )
        drafts.append(
            Draft(rfam.name, split, 0, _padded(rfam, t, c, pad_texts, f"{key}:{rfam.name}", target))
        )
    return drafts


def build_eval_awareness(seed: int) -> list[Draft]:
    """Matched test-item / real-use records for every split."""
    all_tasks = tasks()
    kinds = _task_kinds(all_tasks)
    task_split = assign_splits(all_tasks, key=kinds.__getitem__, seed=seed, tag="eval-tasks")
    pad_split = assign_splits(pads(), key=lambda p: p.category, seed=seed, tag="eval-pads")
    note_split = assign_splits(notes(), key=lambda _n: "notes", seed=seed, tag="eval-notes")
    fam_split = {**_family_split(_EVAL, seed, "eval"), **_family_split(_REAL, seed, "real")}
    drafts: list[Draft] = []
    for split in SPLITS:
        pools = _SplitPools(
            pool(task_split, split), pool(pad_split, split), pool(note_split, split)
        )
        drafts += _build_split(
            split,
            seed,
            pools,
            sorted((f for f in _EVAL if fam_split[f.name] == split), key=lambda f: f.name),
            sorted((f for f in _REAL if fam_split[f.name] == split), key=lambda f: f.name),
        )
    return drafts
