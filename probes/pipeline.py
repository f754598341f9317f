"""``llm-monitor train`` and ``llm-monitor eval``: from labelled JSONL to shipped probes.

Activations come through the serving path (:mod:`probes.collect`), and every token is
labelled with its segment of the chat by the sidecar's own segmenter. Each head of a
concept's probe (:mod:`probes.reads`) learns from the tokens it reads; the layer, the
regularisation, the aggregation and whether to combine heads are chosen on the
validation split (whole served requests, scored as alert rules see them). The alert
threshold is calibrated at 1% false positives on ordinary requests the probe was not
trained on (:func:`probes.comparison.control_for`; with the model's own replies where a probe reads
replies), and the probe is
written as ``<concept>.probe.json``. Evaluation scores any labelled file with a probe
and reports it next to a TF-IDF text baseline and a length-only baseline.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from monitor.artifacts.probe_format import Combine, Head, Probe, load_probe, save_probe
from monitor.artifacts.segments import segmenter_from_tokenizer
from probes.aggregation import describe
from probes.baseline import record_text
from probes.collect import ActivationCollector
from probes.collection import (
    Collection,
    check_on_policy,
    collect_records,
    limit_records,
    read_example,
    served_example,
)
from probes.comparison import (
    LengthBaseline,
    benign_control_records,
    by_kind,
    control_for,
    in_set_ceiling,
    side_by_side,
    train_baseline,
)
from probes.data.records import load_records
from probes.examples import Example
from probes.fit import FitReport, calibrate_probe, fit_probe, score_examples
from probes.metrics import auroc, evaluate
from probes.reads import Read, reads_for, reads_reply
from probes.report import markdown_report, roc_plot
from probes.settings import DATA_DIR, REPLY_TOKENS, TrainSettings
from probes.training_card import card, describe_reads

log = logging.getLogger("llm_monitor.probes")

MAX_TRAIN_TOKENS_PER_EXAMPLE = 32


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
        c: limit_records(load_records(settings.data_dir / f"{c}.jsonl"), settings.limit)
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
            evals = {"held-out test split": side_by_side(probe, baseline, lengths, test_items)}
            for kind, group in by_kind(concept, test_items).items():
                evals[f"held-out test split: {kind}"] = side_by_side(
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
                evals[dev.name] = side_by_side(probe, baseline, lengths, dev_items)
                evals[dev.name]["ceiling"] = in_set_ceiling(probe, dev_items)
            summary[concept] = {
                "probe": path.name,
                "layer": probe.layer,
                "reads": describe_reads(probe),
                "threshold": probe.threshold,
                "on_policy_check": on_policy,
                "search": search,
                "evaluations": evals,
            }
            log.info("%s: layer %d, %s", concept, probe.layer, evals)
    (settings.out_dir / "training-summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (settings.out_dir / "REPORT.md").write_text(card(settings, summary))
    return summary


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
        "reads": describe_reads(probe),
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
