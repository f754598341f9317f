"""What a probe is compared with: the ordinary requests it is calibrated on (controls),
a TF-IDF text baseline, a length-only baseline and the in-set ceiling."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from monitor.artifacts.probe_format import Probe
from probes.baseline import TextBaseline, fit_baseline, record_text
from probes.collection import Collection, limit_records, read_example, served_example
from probes.data.records import Record, load_records
from probes.fit import score_examples
from probes.metrics import auroc, evaluate
from probes.reads import Read
from probes.settings import DATA_DIR

log = logging.getLogger("llm_monitor.probes")


def by_kind(concept: str, items: Sequence[Collection]) -> dict[str, list[Collection]]:
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


def side_by_side(
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


def benign_control_records(data_dir: Path = DATA_DIR, limit: int | None = None) -> list[Record]:
    """The pool of ordinary requests (no response) of the training and validation splits:
    every evaluation-awareness record (everyday tasks, in natural and in test-like
    framing) and the benign misuse records."""
    return [
        r
        for c in ("misuse", "eval_awareness")
        if (data_dir / f"{c}.jsonl").is_file()
        for r in limit_records(load_records(data_dir / f"{c}.jsonl"), limit)
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
