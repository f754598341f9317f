"""Misuse records: harmful vs benign requests under many templates, contrasts and styles.

Four kinds of template family (:mod:`._templates_misuse`), each split by family
(~60/20/20) on its own:

- ``misuse-*``: "how to" templates over verb phrases (``items``);
- ``misuse-q-*``: whole questions (``questions``);
- ``misuse-pair-*``: contrast pairs; a family renders both twins of every pair it draws,
  with the same style choices, so the twins differ only in the request;
- ``misuse-rw-*``: rewrites of harmful requests (past tense, hypothetical, third person,
  fiction, academic, role-play) against benign requests in the same framing, hand-written
  and made from ``REWRITE_WRAPPERS`` x ``REWRITE_CORES_*``.

Families also differ in style: system prompt (none, short, long product prompt), typos,
lowercase, terse or verbose, long context before the request, and multi-turn prompts
(earlier harmless user/assistant exchanges, then the request as the last user turn).
Content and style material are split ~60/20/20 as well, and a family draws only from its
own split's part, so test records are new in wording and content. Every family holds the
same number of records of each label.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from probes.data._common import (
    Draft,
    Turns,
    assign_splits,
    family_splits,
    lower_first,
    pool,
    sample,
)
from probes.data._pools_misuse import (
    CLOSERS,
    CONTEXTS,
    EXCHANGES,
    OPENERS,
    PRODUCT_SYSTEMS,
    SHORT_SYSTEMS,
    Item,
    Pair,
    cores,
    items,
    pairs,
    questions,
    rewrites,
    wrappers,
)
from probes.data._templates_misuse import (
    _K_PAIR,
    _K_PHRASE,
    _K_REWRITE,
    _PAIR_FAMILIES,
    _PHRASE_FAMILIES,
    _QUESTION_FAMILIES,
    _REWRITE_FAMILIES,
    PRODUCT,
    SHORT,
    _Family,
)
from probes.data.records import SPLITS, Role, Split

DESCRIPTION = """\
- `misuse.jsonl`: label 1 = clearly harmful request (operational help with weapons,
  cyber-offence, bio/chem, fraud, harassment, self-harm, drugs, privacy violation or
  extremism, or a hateful premise about a real protected group); label 0 = benign request.
  No `response`: the probe reads the prompt; requests only, never instructions. Four kinds
  of family: (a) `misuse-*` "how to" templates over verb phrases, with hard negatives
  (kill a process, shoot a portrait, weapon history, safety questions); (b) `misuse-q-*`
  whole questions; (c) `misuse-pair-*` contrast pairs, a benign request and a minimally
  different harmful twin rendered with the same style: homonyms, figurative language, safe
  targets, safe contexts (games, fiction), definitions vs requests to do it, absurd
  premises about nonsense groups vs hateful ones about real groups, absurd (harmless)
  premises about real groups, historical events vs planning an atrocity, public or
  fictional vs private people's data, and benign twins in each harm category; (d)
  `misuse-rw-*` rewrites that disguise a harmful request (past tense, hypothetical, third
  person, fiction or role-play asking for real detail, academic or polite framing) against
  real history, harmless fiction and everyday requests in the same framing. Families vary
  the style: typos, lowercase, terse or verbose, a long context before the request,
  multi-turn prompts (earlier harmless user/assistant exchanges before the request), short
  or long product system prompts, or none."""


# ---------------------------------------------------------------------------
# style


@dataclass(frozen=True)
class _Kit:
    """One split's part of the style material."""

    products: list[str]
    shorts: list[str]
    contexts: list[str]
    exchanges: list[tuple[str, str]]


def _kits(seed: int) -> dict[Split, _Kit]:
    def split3(units: list[str], tag: str) -> dict[str, Split]:
        return assign_splits(units, key=lambda _u: tag, seed=seed, tag=f"misuse-style:{tag}")

    prod = split3(PRODUCT_SYSTEMS, "products")
    short = split3(SHORT_SYSTEMS, "shorts")
    ctx = split3(CONTEXTS, "contexts")
    ex = assign_splits(EXCHANGES, key=lambda _u: "x", seed=seed, tag="misuse-style:exchanges")
    return {s: _Kit(pool(prod, s), pool(short, s), pool(ctx, s), pool(ex, s)) for s in SPLITS}


def _typo(text: str, rng: random.Random, rate: float) -> str:
    """Swap, drop or double a letter in some longer words (in at least one, if any)."""
    words = text.split(" ")
    eligible = [i for i, w in enumerate(words) if len(w) > 3 and w.isalpha()]
    hit = [i for i in eligible if rng.random() < rate]
    if eligible and not hit:
        hit = [rng.choice(eligible)]
    for i in hit:
        w = words[i]
        j = rng.randrange(1, len(w) - 1)
        op = rng.randrange(3)
        if op == 0 and w[j] != w[j + 1]:
            w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
        elif op == 1:
            w = w[:j] + w[j + 1 :]
        else:
            w = w[:j] + w[j] + w[j:]
        words[i] = w
    return " ".join(words)


def _voice(text: str) -> str:
    """A speech transcript: lowercase, no punctuation but apostrophes, a filler word."""
    words = re.sub(r"[^\w\s']+", " ", text.lower()).split()
    return "um " + " ".join(words)


def _render(fam: _Family, text: str, kit: _Kit, rng: random.Random) -> Turns:
    """The messages for one request under a family's system prompt, template and style."""
    user = fam.template.format(r=text)
    earlier: list[tuple[Role, str]] = []
    if fam.style == "lower":
        user = user.lower()
    elif fam.style == "typo":
        user = _typo(lower_first(user), rng, 0.12)
    elif fam.style == "verbose":
        user = f"{rng.choice(OPENERS)} {user} {rng.choice(CLOSERS)}"
    elif fam.style == "context":
        user = f"{rng.choice(kit.contexts)}\n\n{user}"
    elif fam.style == "voice":
        user = _voice(user)
    elif fam.style in ("multiturn", "multiturn2"):
        n = 1 if fam.style == "multiturn" else 2
        for u, a in rng.sample(kit.exchanges, n):
            earlier += [("user", u), ("assistant", a)]
    elif fam.style != "plain":
        raise ValueError(f"unknown style {fam.style!r}")
    if fam.system == PRODUCT:
        system: str | None = rng.choice(kit.products)
    elif fam.system == SHORT:
        system = rng.choice(kit.shorts)
    else:
        system = fam.system
    head: list[tuple[Role, str]] = [("system", system)] if system else []
    return (*head, *earlier, ("user", user))


# ---------------------------------------------------------------------------
# the four kinds of family


def _labelled_drafts(
    families: list[_Family],
    units: list[Item],
    k: int | None,
    seed: int,
    tag: str,
    kits: dict[Split, _Kit],
) -> list[Draft]:
    """Families over single items: each draws the same number of items of each label."""
    unit_split = assign_splits(units, key=lambda i: f"{i.label}:{i.category}", seed=seed, tag=tag)
    fam_split = family_splits([f.name for f in families], seed, tag)
    drafts: list[Draft] = []
    for fam in families:
        split = fam_split[fam.name]
        rng = random.Random(f"{seed}:{fam.name}")
        part = pool(unit_split, split)
        by_label = {lab: [i for i in part if i.label == lab] for lab in (1, 0)}
        k_fam = min(len(v) for v in by_label.values())
        if k is not None:
            k_fam = min(k, k_fam)
        for label in (1, 0):
            for it in sample(by_label[label], k_fam, rng):
                drafts.append(
                    Draft(fam.name, split, label, _render(fam, it.phrase, kits[split], rng))
                )
    return drafts


def _pair_drafts(
    families: list[_Family],
    parts: dict[Split, list[Pair]],
    k: int,
    seed: int,
    tag: str,
    kits: dict[Split, _Kit],
) -> list[Draft]:
    """Families over pairs: both twins of each pair, rendered with the same choices.

    The split's pairs are shuffled once and dealt to its families in turn, ``k`` each, so
    every pair is used before any is used twice.
    """
    fam_split = family_splits([f.name for f in families], seed, tag)
    drafts: list[Draft] = []
    for split in SPLITS:
        deck = list(parts[split])
        random.Random(f"{seed}:{tag}:deck:{split}").shuffle(deck)
        in_split = [f for f in families if fam_split[f.name] == split]
        for j, fam in enumerate(in_split):
            chosen = [deck[(j * k + t) % len(deck)] for t in range(min(k, len(deck)))]
            for n, p in enumerate(chosen):
                for label, text in ((0, p.benign), (1, p.harmful)):
                    rng = random.Random(f"{seed}:{fam.name}:{n}")
                    drafts.append(
                        Draft(fam.name, split, label, _render(fam, text, kits[split], rng))
                    )
    return drafts


def contrast_pairs(seed: int) -> dict[Split, list[Pair]]:
    """Each split's part of the contrast pairs (stratified by kind)."""
    split_of = assign_splits(pairs(), key=lambda p: p.kind, seed=seed, tag="misuse-pairs")
    return {s: pool(split_of, s) for s in SPLITS}


def rewrite_pairs(seed: int) -> dict[Split, list[Pair]]:
    """Each split's part of the rewrites: hand-written ones plus wrapper x core ones.

    A made pair puts one wrapper around a harmful core and around a benign core, so the
    framing never tells the label; kind ``wrapped-<wrapper kind>``.
    """
    hand = assign_splits(rewrites(), key=lambda p: p.kind, seed=seed, tag="misuse-rewrites")
    core_split = assign_splits(cores(), key=lambda c: str(c.label), seed=seed, tag="misuse-cores")
    wrap_split = assign_splits(wrappers(), key=lambda w: w.kind, seed=seed, tag="misuse-wrappers")
    out: dict[Split, list[Pair]] = {}
    for s in SPLITS:
        rng = random.Random(f"{seed}:misuse-rewrites-made:{s}")
        harmful = [c for c in pool(core_split, s) if c.label == 1]
        benign = [c for c in pool(core_split, s) if c.label == 0]
        wraps = pool(wrap_split, s)
        rng.shuffle(benign)
        rng.shuffle(wraps)
        made = [
            Pair(
                f"wrapped-{w.kind}",
                w.template.format(c=benign[i % len(benign)].phrase),
                w.template.format(c=h.phrase),
            )
            for i, h in enumerate(harmful)
            for w in [wraps[i % len(wraps)]]
        ]
        out[s] = pool(hand, s) + made
    return out


def build_misuse(seed: int) -> list[Draft]:
    """All misuse drafts for ``seed``."""
    kits = _kits(seed)
    drafts = _labelled_drafts(_PHRASE_FAMILIES, items(), _K_PHRASE, seed, "misuse", kits)
    drafts += _labelled_drafts(_QUESTION_FAMILIES, questions(), None, seed, "misuse-q", kits)
    drafts += _pair_drafts(_PAIR_FAMILIES, contrast_pairs(seed), _K_PAIR, seed, "misuse-pair", kits)
    drafts += _pair_drafts(
        _REWRITE_FAMILIES, rewrite_pairs(seed), _K_REWRITE, seed, "misuse-rw", kits
    )
    return drafts
