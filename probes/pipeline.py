"""``llm-monitor train`` and ``llm-monitor eval``: from labelled JSONL to shipped probes.

Activations come through the serving path (:mod:`probes.collect`). Training sweeps
layers and picks layer, regularisation and aggregation on the validation split,
calibrates the alert threshold at 1% false positives on a benign control set (ordinary
requests with the model's own replies, read as the sidecar reads a served request),
and writes ``<concept>.probe.json``. Evaluation scores any labelled file with a probe
and reports it next to a TF-IDF text baseline trained on the same training data.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from monitor.sidecar.probes import Probe, load_probe, save_probe
from probes.baseline import TextBaseline, fit_baseline, record_text
from probes.collect import ActivationCollector, Span, response_span
from probes.data.records import Record, load_records
from probes.fit import Example, calibrate_probe, layer_sweep, score_examples
from probes.metrics import evaluate
from probes.report import markdown_report, roc_plot

log = logging.getLogger("llm_monitor.probes")

DATA_DIR = Path(__file__).resolve().parent / "data"
CONCEPTS = ("deception", "eval_awareness", "misuse")
#: Tokens of the model's own reply generated for records without a response (and for the
#: benign control set), so that they are read as a served request.
REPLY_TOKENS = 48
#: Concepts whose on-policy records teach the probe from the model's reply (a lie is
#: told in the reply); the others learn from the prompt.
READS_REPLY = frozenset({"deception"})
MAX_TRAIN_TOKENS_PER_EXAMPLE = 32


@dataclass(frozen=True)
class TrainSettings:
    """What ``llm-monitor train`` does."""

    model_dir: Path
    model_name: str
    out_dir: Path
    concepts: tuple[str, ...] = CONCEPTS
    data_dir: Path = DATA_DIR
    layers: tuple[int, ...] = (6, 10, 15, 20, 24)
    C_grid: tuple[float, ...] = (0.01, 0.1, 1.0)
    limit: int | None = None  # records per concept and split (small runs, tests)
    dev_sets: dict[str, tuple[Path, ...]] = field(default_factory=dict)  # concept -> files
    reply_tokens: int = REPLY_TOKENS  # own-reply length for records without a response


def _spans(records: Sequence[Record], tokenizer: Any) -> list[Span]:
    return [
        response_span(tokenizer, [m.model_dump() for m in r.messages], r.response) for r in records
    ]


@dataclass(frozen=True)
class Collection:
    """One record's activations per layer: what the probe learns from, and what it is
    judged on (the whole request as the sidecar sees it)."""

    record: Record
    span: dict[int, np.ndarray]  # layer -> [n, d]: response, reply or prompt tokens
    served: dict[int, np.ndarray]  # layer -> [n, d]: template, prompt and response / reply
    reply: str | None = None  # the model's own reply, when it generated one


def collect_records(
    collector: ActivationCollector,
    records: Sequence[Record],
    *,
    desc: str,
    reply_tokens: int = REPLY_TOKENS,
    reads_reply: bool = False,
) -> list[Collection]:
    """Activations of every record through the serving path, in record order.

    Records with a ``response`` are teacher-forced: the span is the response. Records
    without one are served as a request: the model writes a greedy reply of up to
    ``reply_tokens`` tokens (on-policy), and the span is that reply when ``reads_reply``,
    else the prompt. ``served`` is always the whole request.
    """
    from tqdm import tqdm

    spans = _spans(records, collector.tokenizer)
    out: list[Collection | None] = [None] * len(records)
    forced = [i for i, r in enumerate(records) if r.response is not None]
    asked = [i for i, r in enumerate(records) if r.response is None]
    chunk = 128
    with tqdm(total=len(records), desc=desc, unit="rec") as bar:
        for group, new_tokens in ((forced, 0), (asked, reply_tokens)):
            for k in range(0, len(group), chunk):
                part = group[k : k + chunk]
                got_all = collector.collect([spans[i] for i in part], max_new_tokens=new_tokens)
                for i, got in zip(part, got_all, strict=True):
                    span = spans[i]
                    if new_tokens > 0 and not reads_reply:
                        read = {
                            layer: acts[span.start : span.end] for layer, acts in got.served.items()
                        }
                    else:
                        read = got.activations
                    out[i] = Collection(records[i], read, got.served, got.generated_text)
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


def examples(items: Sequence[Collection], layer: int, *, served: bool) -> list[Example]:
    """One layer's examples: the served request (judging) or the span (learning)."""
    return [
        Example(
            activations=(it.served if served else it.span)[layer],
            label=it.record.label,
            family=it.record.family or "",
            split=it.record.split or "",
            id=it.record.id,
        )
        for it in items
    ]


def control_examples(
    collector: ActivationCollector, records: Sequence[Record], reply_tokens: int = REPLY_TOKENS
) -> dict[int, list[Example]]:
    """Benign requests with the model's own replies, read whole as served."""
    items = collect_records(
        collector, records, desc="control set (on-policy)", reply_tokens=reply_tokens
    )
    return {
        layer: [Example(activations=it.served[layer], label=0, split="control") for it in items]
        for layer in collector.layers
    }


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


def train(settings: TrainSettings) -> dict[str, Any]:
    """Collect, fit, calibrate and write one probe per concept; return a summary."""
    settings.out_dir.mkdir(parents=True, exist_ok=True)
    data = {
        c: _limit(load_records(settings.data_dir / f"{c}.jsonl"), settings.limit)
        for c in settings.concepts
    }
    benign = benign_control_records(settings.data_dir, settings.limit)
    summary: dict[str, Any] = {}
    with ActivationCollector(settings.model_dir, list(settings.layers)) as collector:
        control = control_examples(collector, benign, settings.reply_tokens)
        for concept, records in data.items():
            readable = [r for r in records if r.split in ("train", "validation", "test")]
            items = collect_records(
                collector,
                readable,
                desc=f"{concept}: activations",
                reply_tokens=settings.reply_tokens,
                reads_reply=concept in READS_REPLY,
            )
            items, on_policy = check_on_policy(items)
            sweep = layer_sweep(
                {
                    layer: [
                        *_subsample(
                            examples(
                                [it for it in items if it.record.split == "train"],
                                layer,
                                served=False,
                            ),
                            MAX_TRAIN_TOKENS_PER_EXAMPLE,
                        ),
                        *examples(
                            [it for it in items if it.record.split == "validation"],
                            layer,
                            served=True,
                        ),
                    ]
                    for layer in settings.layers
                },
                concept=concept,
                model_name=settings.model_name,
                C_grid=settings.C_grid,
            )
            probe = sweep.best[0]
            control_scores = score_examples(probe, control[probe.layer])
            probe = calibrate_probe(probe, control_scores)
            path = settings.out_dir / f"{concept}.probe.json"
            save_probe(path, probe)
            test_items = [it for it in items if it.record.split == "test"]
            baseline = train_baseline(concept, settings.data_dir)
            evals = {
                "held-out test split": _side_by_side(
                    probe,
                    baseline,
                    examples(test_items, probe.layer, served=True),
                    [it.record for it in test_items],
                )
            }
            for dev in settings.dev_sets.get(concept, ()):
                dev_records = [r for r in load_records(dev) if r.concept == concept]
                dev_items = collect_records(
                    collector, dev_records, desc=dev.name, reply_tokens=settings.reply_tokens
                )
                evals[dev.name] = _side_by_side(
                    probe, baseline, examples(dev_items, probe.layer, served=True), dev_records
                )
            summary[concept] = {
                "probe": path.name,
                "layer": probe.layer,
                "aggregation": probe.aggregation.model_dump(),
                "threshold": probe.threshold,
                "on_policy_check": on_policy,
                "layer_sweep": sweep.table(),
                "evaluations": evals,
            }
            log.info("%s: layer %d, %s", concept, probe.layer, evals)
    (settings.out_dir / "training-summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (settings.out_dir / "REPORT.md").write_text(card(settings, summary))
    return summary


def _side_by_side(
    probe: Probe, baseline: TextBaseline, examples: Sequence[Example], records: Sequence[Record]
) -> dict[str, Any]:
    """Probe and text-baseline metrics on the same labelled examples."""
    labels = [r.label for r in records]
    return {
        "probe": evaluate(score_examples(probe, examples), labels, probe.threshold),
        "baseline": baseline.evaluate([record_text(r) for r in records], labels),
    }


def card(settings: TrainSettings, summary: dict[str, Any]) -> str:
    """The markdown card of the shipped probes."""
    lines = [
        f"# Probes for {settings.model_name}",
        "",
        "Generated by `llm-monitor train`; every figure below is computed on data the probe",
        "was not trained on. Probe = logistic regression on one layer's residual stream,",
        "fitted on the tokens that carry the concept (the response of teacher-forced records;",
        "the model's own reply for on-policy deception records; the prompt otherwise).",
        "Every score below is the sidecar's score of a whole served request: chat template,",
        "prompt and response, or the model's own reply of up to",
        f"{settings.reply_tokens} tokens when a record has no response, aggregated over all its",
        "tokens as the sidecar aggregates them. The threshold is calibrated at 1% false",
        "positives on a benign control set read the same way (ordinary requests from the",
        "project's training and validation splits, with the model's own replies), so the",
        "recall and false-positive rate at the threshold are what a deployment would see.",
        "Baseline = TF-IDF + logistic regression on the text of the same training data.",
        "",
        "Training data: `probes/data/` (generated by `python -m probes.data.generate`; splits",
        "by template family, so the test split shares no template with training).",
        "",
    ]
    for concept, info in summary.items():
        agg = info["aggregation"]
        lines += [
            f"## {concept}",
            "",
            f"- artifact: `{info['probe']}`; layer {info['layer']} (sweep below), aggregation "
            f"`{agg['method']}` (alpha {agg['alpha']}, window {agg['window']}), "
            f"threshold {info['threshold']:.4f}",
            *_on_policy_line(info.get("on_policy_check")),
            "",
            "| set | n | model | AUROC | recall @1% FPR (set's negatives) | recall @ threshold "
            "| FPR @ threshold |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, res in info["evaluations"].items():
            for who in ("probe", "baseline"):
                m = res[who]
                lines.append(
                    f"| {name} | {m['n']} | {who} | {m['auroc']:.3f} | "
                    f"{m['recall_at_1pct_fpr']:.3f} | {m['recall_at_calibrated_threshold']:.3f} "
                    f"| {m['fpr_at_calibrated_threshold']:.3f} |"
                )
        lines += ["", "Layer sweep (validation AUROC):", ""]
        lines += [
            f"- layer {row['layer']}: {row.get('val_auroc', float('nan')):.3f}"
            + (" (chosen)" if row.get("best") else "")
            for row in info["layer_sweep"]
        ]
        lines.append("")
    return "\n".join(lines)


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
    """Ordinary requests (label 0, no response) of the training and validation splits."""
    return [
        r
        for c in ("misuse", "eval_awareness")
        for r in _limit(load_records(data_dir / f"{c}.jsonl"), limit)
        if r.label == 0 and r.response is None and r.split in ("train", "validation")
    ]


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
    baseline.calibrate([record_text(r) for r in benign_control_records(data_dir)])
    return baseline


def evaluate_file(
    model_dir: Path,
    probe_path: Path,
    data: Path,
    out_json: Path | None,
    concept: str,
    reply_tokens: int = REPLY_TOKENS,
) -> dict[str, Any]:
    """Score a labelled JSONL file with a probe and the text baseline; write JSON, PNG, md.

    Each record is read as the sidecar reads a served request: the whole chat with the
    response (teacher-forced), or with the model's own reply of up to ``reply_tokens``
    tokens when the record has none; the threshold shipped with the probe was
    calibrated on requests read the same way."""
    probe: Probe = load_probe(probe_path)
    records = [r for r in load_records(data) if r.concept == concept]
    if not records:
        raise ValueError(f"{data}: no records with concept {concept!r}")
    with ActivationCollector(model_dir, [probe.layer]) as collector:
        items = collect_records(
            collector, records, desc=f"{data.name}: activations", reply_tokens=reply_tokens
        )
    scores = score_examples(probe, examples(items, probe.layer, served=True))
    labels = [r.label for r in records]
    result = {"probe": evaluate(scores, labels, probe.threshold)}
    baseline = train_baseline(concept)
    texts = [record_text(r) for r in records]
    base_scores = baseline.predict_proba(texts)
    result["baseline"] = baseline.evaluate(texts, labels)
    out: dict[str, Any] = {
        **result["probe"],
        "baseline": result["baseline"],
        "data": str(data),
        "concept": concept,
        "probe_path": str(probe_path),
        "reply_tokens": reply_tokens,
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
