"""Records through the serving path: each one's activations per layer, its chat segments
and sentence ends (``Collection``), and the examples a probe learns from and is judged on."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from monitor.artifacts.segments import Segmenter, scope_mask
from probes.collect import ActivationCollector, Span, response_span
from probes.data.records import Record
from probes.examples import Example
from probes.reads import Read

log = logging.getLogger("llm_monitor.probes")


def _spans(records: Sequence[Record], tokenizer: Any) -> list[Span]:
    return [
        response_span(tokenizer, [m.model_dump() for m in r.messages], r.response) for r in records
    ]


@dataclass(frozen=True)
class Collection:
    """One record as the sidecar sees it served: every computed token (prompt, then the
    model's own reply when it generated one), per layer, with each token's segment."""

    record: Record
    served: dict[int, np.ndarray]  # layer -> [n, d]
    segments: np.ndarray  # [n] int8, monitor.artifacts.segments.Segment
    sentence_end: np.ndarray  # [n] bool
    prompt_len: int  # tokens sent as the prompt (a teacher-forced response is part of it)
    reply: str | None = None  # the model's own reply, when it generated one


def collect_records(
    collector: ActivationCollector,
    records: Sequence[Record],
    segmenter: Segmenter,
    *,
    desc: str,
    reply_tokens: int = 0,
) -> list[Collection]:
    """Activations of every record through the serving path, in record order.

    Records with a ``response`` are teacher-forced (the response closes the prompt as an
    open assistant turn: the ``reply`` segment). Records without one are served as a
    request; with ``reply_tokens`` > 0 the model also writes a greedy reply of up to that
    many tokens (on-policy), which the probes read as ``reply``.
    """
    from tqdm import tqdm

    spans = _spans(records, collector.tokenizer)
    out: list[Collection | None] = [None] * len(records)
    forced = [i for i, r in enumerate(records) if r.response is not None]
    asked = [i for i, r in enumerate(records) if r.response is None]
    chunk = 256
    with tqdm(total=len(records), desc=desc, unit="rec") as bar:
        for group, new_tokens in ((forced, 0), (asked, reply_tokens)):
            for k in range(0, len(group), chunk):
                part = group[k : k + chunk]
                got_all = collector.collect([spans[i] for i in part], max_new_tokens=new_tokens)
                for i, got in zip(part, got_all, strict=True):
                    ids = np.asarray(got.token_ids, dtype=np.int64)
                    out[i] = Collection(
                        record=records[i],
                        served=got.served,
                        segments=segmenter.request_segments(
                            got.token_ids[: got.prompt_len], len(got.token_ids)
                        ),
                        sentence_end=segmenter.is_sentence_end(ids),
                        prompt_len=got.prompt_len,
                        reply=got.generated_text,
                    )
                bar.update(len(part))
    return [c for c in out if c is not None]


def check_on_policy(items: Sequence[Collection]) -> tuple[list[Collection], dict[str, int]]:
    """Keep on-policy items whose reply agrees with the label taken from the instruction.

    Items with a ``check`` (questions with a known answer) are kept when the honest
    reply states the true answer, or the deceptive reply does not; others are kept as
    labelled. Returns the kept items and counts of what was kept and dropped.
    """
    kept: list[Collection] = []
    counts = {"checked": 0, "kept": 0, "dropped_honest_not_true": 0, "dropped_lie_told_truth": 0}
    for item in items:
        check = item.record.check
        if check is None or item.reply is None:
            kept.append(item)
            continue
        counts["checked"] += 1
        verdict = check.verdict(item.reply)
        if item.record.label == 0 and verdict != "truthful":
            counts["dropped_honest_not_true"] += 1
        elif item.record.label == 1 and verdict != "false":
            counts["dropped_lie_told_truth"] += 1
        else:
            counts["kept"] += 1
            kept.append(item)
    return kept, counts


def served_example(item: Collection, layer: int, label: int | None = None) -> Example:
    """The whole served request at one layer, with its segments (what is judged)."""
    return Example(
        activations=item.served[layer],
        label=item.record.label if label is None else label,
        family=item.record.family or "",
        split=item.record.split or "",
        id=item.record.id,
        segments=item.segments,
        sentence_end=item.sentence_end,
        prompt_len=item.prompt_len,
    )


def read_example(item: Collection, layer: int, read: Read) -> Example | None:
    """Only the tokens a head reads (what it learns from); None when it reads none."""
    mask = scope_mask(read.scope)[item.segments]
    if read.positions == "sentence_end":
        mask &= item.sentence_end
    if not mask.any():
        return None
    return Example(
        activations=item.served[layer][mask],
        label=item.record.label,
        family=item.record.family or "",
        split=item.record.split or "",
        id=item.record.id,
    )


def limit_records(records: list[Record], limit: int | None) -> list[Record]:
    """At most ``limit`` records per split, half of them positive where possible (all
    records when ``limit`` is None)."""
    if limit is None:
        return records
    by_split: dict[str | None, list[Record]] = {}
    for r in records:
        by_split.setdefault(r.split, []).append(r)
    kept: list[Record] = []
    for rs in by_split.values():
        pos = [r for r in rs if r.label == 1][: limit // 2]
        neg = [r for r in rs if r.label == 0][: limit - len(pos)]
        kept += pos + neg
    return kept
