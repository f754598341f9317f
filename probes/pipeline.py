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
CONTROL_REPLY_TOKENS = 48
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


def _spans(records: Sequence[Record], tokenizer: Any) -> list[Span]:
    return [
        response_span(tokenizer, [m.model_dump() for m in r.messages], r.response) for r in records
    ]


def collect_examples(
    collector: ActivationCollector, records: Sequence[Record], desc: str
) -> dict[int, list[Example]]:
    """Activations of each record's read span, per layer, with a progress bar."""
    from tqdm import tqdm

    spans = _spans(records, collector.tokenizer)
    out: dict[int, list[Example]] = {layer: [] for layer in collector.layers}
    chunk = 128
    with tqdm(total=len(records), desc=desc, unit="rec") as bar:
        for i in range(0, len(records), chunk):
            part = records[i : i + chunk]
            for record, got in zip(part, collector.collect(spans[i : i + chunk]), strict=True):
                for layer, acts in got.activations.items():
                    out[layer].append(
                        Example(
                            activations=acts,
                            label=record.label,
                            family=record.family or "",
                            split=record.split or "",
                            id=record.id,
                        )
                    )
            bar.update(len(part))
    return out


def control_examples(
    collector: ActivationCollector, records: Sequence[Record]
) -> dict[int, list[Example]]:
    """Benign requests with the model's own replies, read whole (prompt + reply)."""
    from tqdm import tqdm

    spans = _spans(records, collector.tokenizer)
    out: dict[int, list[Example]] = {layer: [] for layer in collector.layers}
    with tqdm(total=len(records), desc="control set (on-policy)", unit="rec") as bar:
        for i in range(0, len(records), 128):
            for got in collector.collect(
                spans[i : i + 128], max_new_tokens=CONTROL_REPLY_TOKENS, reply_only=False
            ):
                for layer in collector.layers:
                    out[layer].append(
                        Example(activations=got.activations[layer], label=0, split="control")
                    )
            bar.update(min(128, len(records) - i))
    return out


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
        control = control_examples(collector, benign)
        for concept, records in data.items():
            # Records without a response ask for an on-policy reply; reading their
            # prompt would read the instruction itself, so they are left out here.
            readable = [
                r
                for r in records
                if r.split in ("train", "validation", "test")
                and (concept != "deception" or r.response is not None)
            ]
            by_layer = collect_examples(collector, readable, desc=f"{concept}: activations")
            sweep = layer_sweep(
                {
                    layer: [
                        *_subsample(
                            [e for e in exs if e.split == "train"], MAX_TRAIN_TOKENS_PER_EXAMPLE
                        ),
                        *[e for e in exs if e.split == "validation"],
                    ]
                    for layer, exs in by_layer.items()
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
            test_records = [r for r in readable if r.split == "test"]
            test = [e for e in by_layer[probe.layer] if e.split == "test"]
            baseline = train_baseline(concept, settings.data_dir)
            evals = {"held-out test split": _side_by_side(probe, baseline, test, test_records)}
            for dev in settings.dev_sets.get(concept, ()):
                dev_records = [r for r in load_records(dev) if r.concept == concept]
                dev_examples = collect_examples(collector, dev_records, desc=f"{dev.name}")
                evals[dev.name] = _side_by_side(
                    probe, baseline, dev_examples[probe.layer], dev_records
                )
            summary[concept] = {
                "probe": path.name,
                "layer": probe.layer,
                "aggregation": probe.aggregation.model_dump(),
                "threshold": probe.threshold,
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
        "token scores aggregated per request as the sidecar does; baseline = TF-IDF + logistic",
        "regression on the text of the same training data. Thresholds are calibrated at 1%",
        "false positives on a benign control set (ordinary requests with the model's own",
        f"{CONTROL_REPLY_TOKENS}-token replies, read whole as a served request).",
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
) -> dict[str, Any]:
    """Score a labelled JSONL file with a probe and the text baseline; write JSON, PNG, md."""
    probe: Probe = load_probe(probe_path)
    records = [r for r in load_records(data) if r.concept == concept]
    if not records:
        raise ValueError(f"{data}: no records with concept {concept!r}")
    with ActivationCollector(model_dir, [probe.layer]) as collector:
        examples = collect_examples(collector, records, desc=f"{data.name}: activations")
    scores = score_examples(probe, examples[probe.layer])
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
