"""``llm-monitor train`` and ``llm-monitor eval``: from labelled JSONL to shipped probes.

Activations come through the serving path (:mod:`probes.collect`), and every token is
labelled with its segment of the chat by the sidecar's own segmenter. Each head of a
concept's probe (:mod:`probes.reads`) learns from the tokens it reads; the layer, the
regularisation, the aggregation and whether to combine heads are chosen on the
validation split (whole served requests, scored as alert rules see them). The alert
threshold is calibrated at 1% false positives on ordinary requests the probe was not
trained on (:func:`control_for`; with the model's own replies where a probe reads
replies), and the probe is
written as ``<concept>.probe.json``. Evaluation scores any labelled file with a probe
and reports it next to a TF-IDF text baseline and a length-only baseline.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from monitor.artifacts.probe_format import Combine, Head, Probe, load_probe, save_probe
from monitor.artifacts.segments import Segmenter, scope_mask, segmenter_from_tokenizer
from probes.aggregation import describe
from probes.baseline import TextBaseline, fit_baseline, record_text
from probes.collect import ActivationCollector, Span, response_span
from probes.data.records import Record, load_records
from probes.fit import Example, FitReport, calibrate_probe, fit_probe, score_examples
from probes.metrics import auroc, evaluate
from probes.reads import Read, reads_for, reads_reply
from probes.report import markdown_report, roc_plot

log = logging.getLogger("llm_monitor.probes")

DATA_DIR = Path(__file__).resolve().parent / "data"
CONCEPTS = ("deception", "eval_awareness", "misuse")
#: Tokens of the model's own reply generated for records without a response (and for the
#: benign control set) when a probe reads replies.
REPLY_TOKENS = 48
MAX_TRAIN_TOKENS_PER_EXAMPLE = 32


@dataclass(frozen=True)
class TrainSettings:
    """What ``llm-monitor train`` does."""

    model_dir: Path
    model_name: str
    out_dir: Path
    concepts: tuple[str, ...] = CONCEPTS
    data_dir: Path = DATA_DIR
    layers: tuple[int, ...] = (15, 18)
    C_grid: tuple[float, ...] = (0.01, 0.1, 1.0)
    limit: int | None = None  # records per concept and split (small runs, tests)
    dev_sets: dict[str, tuple[Path, ...]] = field(default_factory=dict)  # concept -> files
    reply_tokens: int = REPLY_TOKENS  # own-reply length for records without a response
    compile: bool = True  # vLLM compiled as served; False: eager, a faster start


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


def _subsample(examples: Sequence[Example], k: int) -> list[Example]:
    """Training examples with at most ``k`` evenly spaced tokens each (fit speed)."""
    out = []
    for ex in examples:
        n = ex.activations.shape[0]
        if n > k:
            idx = np.linspace(0, n - 1, k).round().astype(int)
            ex = Example(
                activations=ex.activations[idx],
                label=ex.label,
                family=ex.family,
                split=ex.split,
                id=ex.id,
            )
        out.append(ex)
    return out


def _limit(records: list[Record], limit: int | None) -> list[Record]:
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


def _fit_read(
    items: Sequence[Collection],
    layer: int,
    read: Read,
    *,
    concept: str,
    model_name: str,
    C_grid: Sequence[float],
) -> tuple[Probe, FitReport] | None:
    """One head fitted on its own records' read tokens (train split) and chosen on their
    whole served requests (validation split); None when its data cannot train it."""
    train_ex = [
        ex
        for it in items
        if it.record.split == "train" and read.trains_on(it.record.family)
        if (ex := read_example(it, layer, read)) is not None
    ]
    val_ex = [
        served_example(it, layer)
        for it in items
        if it.record.split == "validation" and read.trains_on(it.record.family)
    ]
    try:
        return fit_probe(
            _subsample(train_ex, MAX_TRAIN_TOKENS_PER_EXAMPLE),
            val_ex,
            concept=concept,
            model_name=model_name,
            layer=layer,
            C_grid=C_grid,
            aggregation_candidates=read.candidates,
            scope=read.scope,
            positions=read.positions,
        )
    except ValueError as exc:  # a head without both classes in its data
        log.warning("%s: head %r at layer %d not fitted: %s", concept, read.name, layer, exc)
        return None


def combine_heads(primary: Probe, others: Sequence[tuple[str, Probe]], combine: Combine) -> Probe:
    """One probe whose request score combines the primary's and the others' heads."""
    heads = [
        Head(
            name=name,
            normalization=p.normalization,
            weights=p.weights,
            bias=p.bias,
            scope=p.scope,
            positions=p.positions,
            aggregation=p.aggregation,
        )
        for name, p in others
    ]
    return primary.model_copy(update={"heads": heads, "combine": combine})


def fit_concept(
    items: Sequence[Collection],
    layers: Sequence[int],
    *,
    concept: str,
    model_name: str,
    C_grid: Sequence[float],
) -> tuple[Probe, list[dict[str, Any]]]:
    """Per layer, fit each head of the concept (:data:`probes.reads.READS`), then try the
    primary head alone and combined with the others (mean, max); keep the probe with the
    best validation AUROC of whole served requests. Returns it and the search table."""
    val_items = [it for it in items if it.record.split == "validation"]
    val_labels = [it.record.label for it in val_items]
    reads = reads_for(concept)
    table: list[dict[str, Any]] = []
    best: tuple[float, Probe, int] | None = None  # AUROC, probe, row of the table
    for layer in layers:
        fitted = [
            (read, got)
            for read in reads
            if (
                got := _fit_read(
                    items, layer, read, concept=concept, model_name=model_name, C_grid=C_grid
                )
            )
            is not None
        ]
        if not fitted or fitted[0][0] is not reads[0]:
            continue
        primary = fitted[0][1][0]
        variants: dict[str, Probe] = {reads[0].name: primary}
        others = [(read.name, got[0]) for read, got in fitted[1:]]
        if others:
            combines: tuple[Combine, ...] = ("mean", "max")
            for combine in combines:
                variants[f"{combine}({', '.join(r.name for r, _ in fitted)})"] = combine_heads(
                    primary,
                    others,
                    combine,
                )
        val = [served_example(it, layer) for it in val_items]
        for name, probe in variants.items():
            value = auroc(score_examples(probe, val), val_labels)
            table.append(
                {
                    "layer": layer,
                    "variant": name,
                    "val_auroc": value,
                    "heads": {
                        read.name: {
                            "C": got[1].C,
                            "aggregation": describe(got[1].aggregation),
                            "val_auroc_own_records": got[1].val_auroc,
                        }
                        for read, got in fitted
                    },
                }
            )
            if best is None or value > best[0]:
                best = (value, probe, len(table) - 1)
    if best is None:
        raise ValueError(f"{concept}: no head could be fitted on any layer")
    for i, row in enumerate(table):
        row["best"] = i == best[2]
    return best[1], table


def train(settings: TrainSettings) -> dict[str, Any]:
    """Collect, fit, calibrate and write one probe per concept; return a summary."""
    settings.out_dir.mkdir(parents=True, exist_ok=True)
    data = {
        c: _limit(load_records(settings.data_dir / f"{c}.jsonl"), settings.limit)
        for c in settings.concepts
    }
    benign = benign_control_records(settings.data_dir, settings.limit)
    summary: dict[str, Any] = {}
    with ActivationCollector(
        settings.model_dir, list(settings.layers), enforce_eager=not settings.compile
    ) as collector:
        segmenter = segmenter_from_tokenizer(collector.tokenizer)
        any_reply = any(reads_reply(c) for c in settings.concepts)
        control = collect_records(
            collector,
            benign,
            segmenter,
            desc="control set (ordinary requests)",
            reply_tokens=settings.reply_tokens if any_reply else 0,
        )
        for concept, records in data.items():
            readable = [r for r in records if r.split in ("train", "validation", "test")]
            items = collect_records(
                collector,
                readable,
                segmenter,
                desc=f"{concept}: activations",
                reply_tokens=settings.reply_tokens if reads_reply(concept) else 0,
            )
            items, on_policy = check_on_policy(items)
            probe, search = fit_concept(
                items,
                settings.layers,
                concept=concept,
                model_name=settings.model_name,
                C_grid=settings.C_grid,
            )
            own = {id(r) for r in control_for(concept, benign)}
            control_scores = score_examples(
                probe,
                [
                    served_example(it, probe.layer, label=0)
                    for it in control
                    if id(it.record) in own
                ],
            )
            probe = calibrate_probe(probe, control_scores)
            path = settings.out_dir / f"{concept}.probe.json"
            save_probe(path, probe)
            baseline = train_baseline(concept, settings.data_dir)
            lengths = LengthBaseline.fit([r for r in records if r.split == "train"], concept)
            test_items = [it for it in items if it.record.split == "test"]
            evals = {"held-out test split": _side_by_side(probe, baseline, lengths, test_items)}
            for kind, group in _by_kind(concept, test_items).items():
                evals[f"held-out test split: {kind}"] = _side_by_side(
                    probe, baseline, lengths, group
                )
            for dev in settings.dev_sets.get(concept, ()):
                dev_records = [r for r in load_records(dev) if r.concept == concept]
                dev_items = collect_records(
                    collector,
                    dev_records,
                    segmenter,
                    desc=dev.name,
                    reply_tokens=settings.reply_tokens if reads_reply(concept) else 0,
                )
                evals[dev.name] = _side_by_side(probe, baseline, lengths, dev_items)
                evals[dev.name]["ceiling"] = in_set_ceiling(probe, dev_items)
            summary[concept] = {
                "probe": path.name,
                "layer": probe.layer,
                "reads": _describe_reads(probe),
                "threshold": probe.threshold,
                "on_policy_check": on_policy,
                "search": search,
                "evaluations": evals,
            }
            log.info("%s: layer %d, %s", concept, probe.layer, evals)
    (settings.out_dir / "training-summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (settings.out_dir / "REPORT.md").write_text(card(settings, summary))
    return summary


def _by_kind(concept: str, items: Sequence[Collection]) -> dict[str, list[Collection]]:
    """Deception's test split per kind of record (family prefix), each with both labels;
    deception figures are never only pooled over kinds."""
    if concept != "deception":
        return {}
    kinds: dict[str, list[Collection]] = {}
    for it in items:
        family = it.record.family or ""
        kind = (
            family.split("-")[0]
            if not family.startswith("onpolicy-")
            else ("-".join(family.split("-")[:2]))
        )
        kinds.setdefault(kind, []).append(it)
    return {k: v for k, v in sorted(kinds.items()) if len({it.record.label for it in v}) == 2}


def _describe_reads(probe: Probe) -> list[dict[str, Any]]:
    return [
        {
            "head": h.name,
            "scope": h.scope,
            "positions": h.positions,
            "aggregation": describe(h.aggregation),
        }
        for h in probe.all_heads()
    ] + [{"combine": probe.combine}]


class LengthBaseline:
    """Character length of the record's text as the only feature (its sign fitted on the
    training split): what a length confound alone would score."""

    def __init__(self, sign: float) -> None:
        self.sign = sign

    @classmethod
    def fit(cls, records: Sequence[Record], concept: str) -> LengthBaseline:
        labels = [r.label for r in records]
        if len(set(labels)) < 2:
            return cls(1.0)
        lengths = [len(record_text(r)) for r in records]
        return cls(1.0 if auroc(lengths, labels) >= 0.5 else -1.0)

    def auroc(self, records: Sequence[Record]) -> float:
        return auroc([self.sign * len(record_text(r)) for r in records], [r.label for r in records])


def in_set_ceiling(probe: Probe, items: Sequence[Collection], folds: int = 5) -> float | None:
    """Diagnostic: AUROC of a logistic regression fitted *inside* the set (k-fold, the
    primary head's read pooled per record): how well this model's residual stream
    separates the set at all. Never used to choose or calibrate anything."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    primary = probe.all_heads()[0]
    read = Read(primary.name, tuple(primary.scope or ()), primary.positions)
    rows, labels = [], []
    for it in items:
        ex = read_example(it, probe.layer, read) if primary.scope else None
        acts = ex.activations if ex is not None else it.served[probe.layer]
        rows.append(np.asarray(acts, dtype=np.float64).mean(axis=0))
        labels.append(it.record.label)
    y = np.asarray(labels)
    if min(int(y.sum()), int(len(y) - y.sum())) < folds:
        return None
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    scores = cross_val_predict(model, np.stack(rows), y, cv=cv, method="predict_proba")[:, 1]
    return auroc(scores, y)


def _side_by_side(
    probe: Probe, baseline: TextBaseline, lengths: LengthBaseline, items: Sequence[Collection]
) -> dict[str, Any]:
    """Probe, text-baseline and length-only metrics on the same labelled items."""
    records = [it.record for it in items]
    labels = [r.label for r in records]
    return {
        "probe": evaluate(
            score_examples(probe, [served_example(it, probe.layer) for it in items]),
            labels,
            probe.threshold,
        ),
        "baseline": baseline.evaluate([record_text(r) for r in records], labels),
        "length_auroc": lengths.auroc(records),
    }


#: Goals on the development sets and the project's own data (AUROC unless said).
GOALS: dict[tuple[str, str], float] = {
    ("misuse", "misuse_xstest.jsonl"): 0.90,
    ("misuse", "held-out test split"): 0.97,
    ("deception", "deception_repe_facts.jsonl"): 0.78,
    ("deception", "deception_cities.jsonl"): 0.85,
    ("eval_awareness", "held-out test split"): 0.90,
}


#: Misuse at the shipped threshold (FPR on the set's own benign records).
RECALL_GOAL = 0.60
FPR_GOAL = 0.02
WHY_SHORT = """\
Where a goal is not met, what the measurements say about why:

- Recall at the shipped thresholds is low because the threshold holds false positives
  to 1% of ordinary traffic, and the top 1% of ordinary requests (misuse: everyday
  tasks) and of this model's own replies (deception; presumably its mistakes, which
  are false statements too) score as high as most positives. The AUROCs rank well; the
  low-FPR end is the limit.
- Deception: the in-set ceiling of RepE facts shows how little of mixed-topic truth this
  135M model represents; cities is better represented than the probe transfers to. A
  probe on layer 18 read both better in an earlier run on the same data (RepE 0.731,
  cities 0.782, aggregation searched) but would need a second captured layer.
- Misuse on XSTest: its categories are written for this project too (contrast pairs,
  rewrites), yet a probe fitted inside XSTest still does better (in-set ceiling): the
  remaining gap is coverage of kinds of request, not the probe type.
- Evaluation awareness: benchmark items are worded differently from real use, so the
  TF-IDF baseline separates them as well as the probe; the probe's margin over the
  length-only baseline is large."""


def card(settings: TrainSettings, summary: dict[str, Any]) -> str:
    """The markdown card of the shipped probes."""
    lines = [
        f"# Probes for {settings.model_name}",
        "",
        "Generated by `llm-monitor train`; every figure is computed on data the probe was",
        "not trained on (the project's held-out test split, whose template families and",
        "contents appear in no other split, and third-party development sets). A probe has",
        "one or more heads, each a logistic regression on one layer's residual stream that",
        "reads only its own segments of the chat (user turn, post-instruction template",
        "tokens, the reply, sentence ends of the reply); the request score is what an alert",
        "rule sees as the tokens stream in (a head that reads the prompt counts once the",
        "prompt is complete). Training, calibration, evaluation and serving read the same",
        "tokens through the same code (`monitor/sidecar/scoring/reading.py`). The threshold is",
        "calibrated at 1% false positives on ordinary requests the probe was not trained on",
        "(misuse: everyday tasks; evaluation awareness: benign requests of the misuse data",
        "and its own validation split; deception: both, with the model's own replies).",
        "Benign records built to look harmful (misuse's hard negatives) are not ordinary",
        "traffic: the held-out test split's FPR shows how often they alert.",
        "",
        "Columns: AUROC with its bootstrap 95% interval; recall at 1% FPR (threshold from",
        "the set's own negatives); recall and FPR at the shipped threshold; the TF-IDF text",
        "baseline (trained on the same training split); the AUROC of the text's length",
        "alone; and, for development sets, the in-set ceiling (5-fold cross-validation",
        "of a probe fitted inside the set: what this model's residual stream separates at",
        "all; diagnostic only).",
        "",
        "Training data: `probes/data/` (generated by `python -m probes.data.generate`).",
        "",
    ]
    lines += _goals(summary)
    for concept, info in summary.items():
        reads = "; ".join(
            f"`{r['head']}`: {', '.join(r['scope'] or ['all'])} ({r['positions']}, "
            f"{r['aggregation']})"
            for r in info["reads"]
            if "head" in r
        )
        lines += [
            f"## {concept}",
            "",
            f"- artifact: `{info['probe']}`; layer {info['layer']}; heads: {reads}; "
            f"combined by {info['reads'][-1]['combine']}; threshold {info['threshold']:.4f}",
            *_on_policy_line(info.get("on_policy_check")),
            "",
            "| set | n | AUROC [95% CI] | recall @1% FPR | recall @ thr | FPR @ thr "
            "| TF-IDF AUROC | length AUROC | in-set ceiling |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for name, res in info["evaluations"].items():
            m, b = res["probe"], res["baseline"]
            low, high = m["auroc_ci95"]
            ceiling = res.get("ceiling")
            lines.append(
                f"| {name} | {m['n']} | {m['auroc']:.3f} [{low:.3f}, {high:.3f}] | "
                f"{m['recall_at_1pct_fpr']:.3f} | {m['recall_at_calibrated_threshold']:.3f} | "
                f"{m['fpr_at_calibrated_threshold']:.3f} | {b['auroc']:.3f} | "
                f"{res['length_auroc']:.3f} | "
                + (f"{ceiling:.3f}" if ceiling is not None else "-")
                + " |"
            )
        lines += ["", "Search (validation AUROC of whole served requests):", ""]
        lines += [
            f"- layer {row['layer']}, {row['variant']}: {row['val_auroc']:.3f}"
            + (" (chosen)" if row.get("best") else "")
            for row in info["search"]
        ]
        lines.append("")
    return "\n".join(lines)


def _goals(summary: dict[str, Any]) -> list[str]:
    rows = []
    for (concept, name), goal in GOALS.items():
        res = summary.get(concept, {}).get("evaluations", {}).get(name)
        if res is None:
            continue
        got = res["probe"]["auroc"]
        verdict = "met" if got >= goal else f"short by {goal - got:.3f}"
        rows.append(f"| {concept} | {name} | {goal:.2f} | {got:.3f} | {verdict} |")
    recall = [
        f"| {concept} | {name} | recall >= {RECALL_GOAL:.2f} at the shipped threshold, "
        f"FPR <= {FPR_GOAL:.2f} | recall {m['recall_at_calibrated_threshold']:.3f}, FPR "
        f"{m['fpr_at_calibrated_threshold']:.3f} (the set's benign records) | "
        + (
            "met"
            if m["recall_at_calibrated_threshold"] >= RECALL_GOAL
            and m["fpr_at_calibrated_threshold"] <= FPR_GOAL
            else "not met"
        )
        + " |"
        for concept in ("misuse",)
        for name, res in summary.get(concept, {}).get("evaluations", {}).items()
        for m in (res["probe"],)
    ]
    if not rows:
        return []
    return [
        "## Goals",
        "",
        "| concept | set | goal | measured | |",
        "|---|---|---|---|---|",
        *rows,
        *recall,
        "",
        WHY_SHORT,
        "",
    ]


def _on_policy_line(counts: dict[str, int] | None) -> list[str]:
    if not counts or not counts.get("checked"):
        return []
    return [
        f"- on-policy replies checked against the known answer: {counts['checked']}; kept "
        f"{counts['kept']}, dropped {counts['dropped_honest_not_true']} honest replies that "
        f"did not state the truth and {counts['dropped_lie_told_truth']} deceptive replies "
        "that told it"
    ]


def benign_control_records(data_dir: Path = DATA_DIR, limit: int | None = None) -> list[Record]:
    """The pool of ordinary requests (no response) of the training and validation splits:
    every evaluation-awareness record (everyday tasks, in natural and in test-like
    framing) and the benign misuse records."""
    return [
        r
        for c in ("misuse", "eval_awareness")
        if (data_dir / f"{c}.jsonl").is_file()
        for r in _limit(load_records(data_dir / f"{c}.jsonl"), limit)
        if r.response is None
        and r.split in ("train", "validation")
        and (c == "eval_awareness" or r.label == 0)
    ]


def control_for(concept: str, records: Sequence[Record]) -> list[Record]:
    """The ordinary requests a concept's threshold is calibrated on: benign for the
    concept, and never records its probe was trained on (their scores would be too low):
    misuse on everyday tasks (the evaluation-awareness records; misuse's own benign
    records are hard negatives built to look harmful, reported as such, not ordinary
    traffic); evaluation awareness on benign requests from the misuse data and its own
    validation split's real-use requests; deception on the whole pool, with the model's
    own replies."""
    if concept == "misuse":
        return [r for r in records if r.concept == "eval_awareness"]
    if concept == "eval_awareness":
        return [
            r
            for r in records
            if r.concept != "eval_awareness" or (r.label == 0 and r.split == "validation")
        ]
    return list(records)


def train_baseline(concept: str, data_dir: Path = DATA_DIR) -> TextBaseline:
    """The text baseline for a concept, fitted on the project's training split and
    calibrated at 1% FPR on the same benign control requests as the probes."""
    records = load_records(data_dir / f"{concept}.jsonl")
    if concept == "deception":
        records = [r for r in records if r.response is not None]
    train_r = [r for r in records if r.split == "train"]
    val_r = [r for r in records if r.split == "validation"]
    baseline = fit_baseline(
        [record_text(r) for r in train_r],
        [r.label for r in train_r],
        [record_text(r) for r in val_r],
        [r.label for r in val_r],
    )
    baseline.calibrate(
        [record_text(r) for r in control_for(concept, benign_control_records(data_dir))]
    )
    return baseline


def evaluate_file(
    model_dir: Path,
    probe_path: Path,
    data: Path,
    out_json: Path | None,
    concept: str,
    reply_tokens: int = REPLY_TOKENS,
    *,
    compile: bool = False,
) -> dict[str, Any]:
    """Score a labelled JSONL file with a probe and the text baseline; write JSON, PNG, md.

    Each record is read as the sidecar reads a served request, each head on its own
    segments: the chat with the response (teacher-forced), or, for a probe that reads
    the reply, with the model's own reply of up to ``reply_tokens`` tokens when the
    record has none; the shipped threshold was calibrated on requests read the same way.
    """
    probe: Probe = load_probe(probe_path)
    records = [r for r in load_records(data) if r.concept == concept]
    if not records:
        raise ValueError(f"{data}: no records with concept {concept!r}")
    reads_reply_ = any("reply" in (h.scope or ("reply",)) for h in probe.all_heads())
    with ActivationCollector(model_dir, [probe.layer], enforce_eager=not compile) as collector:
        segmenter = segmenter_from_tokenizer(collector.tokenizer)
        items = collect_records(
            collector,
            records,
            segmenter,
            desc=f"{data.name}: activations",
            reply_tokens=reply_tokens if reads_reply_ else 0,
        )
    scores = score_examples(probe, [served_example(it, probe.layer) for it in items])
    labels = [r.label for r in records]
    result: dict[str, Any] = {"probe": evaluate(scores, labels, probe.threshold)}
    baseline = train_baseline(concept)
    texts = [record_text(r) for r in records]
    base_scores = baseline.predict_proba(texts)
    result["baseline"] = baseline.evaluate(texts, labels)
    lengths = (
        LengthBaseline.fit(
            [r for r in load_records(DATA_DIR / f"{concept}.jsonl") if r.split == "train"], concept
        )
        if (DATA_DIR / f"{concept}.jsonl").is_file()
        else LengthBaseline(1.0)
    )
    out: dict[str, Any] = {
        **result["probe"],
        "baseline": result["baseline"],
        "length_auroc": lengths.auroc(records),
        "data": str(data),
        "concept": concept,
        "probe_path": str(probe_path),
        "reads": _describe_reads(probe),
        "reply_tokens": reply_tokens if reads_reply_ else 0,
    }
    if out_json is not None:
        out_json.parent.mkdir(parents=True, exist_ok=True)
        out_json.write_text(json.dumps(out, indent=2) + "\n")
        png = out_json.with_suffix(".roc.png")
        roc_plot({"probe": (scores, labels), "text baseline": (base_scores, labels)}, png)
        out_json.with_suffix(".md").write_text(
            markdown_report(probe, {data.name: result}, plot_path=png.name)
        )
    return out
