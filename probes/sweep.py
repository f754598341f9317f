"""Choosing a probe's layer: ``fit_probe`` on every layer, the best by validation AUROC."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.artifacts.probe_format import Aggregation, Probe
from probes.aggregation import DEFAULT_CANDIDATES, describe
from probes.examples import ActivationExample
from probes.fit import DEFAULT_C_GRID, FitReport, fit_probe


@dataclass(frozen=True)
class LayerSweep:
    """Per-layer fits and the layer with the best validation AUROC."""

    best_layer: int
    fits: dict[int, tuple[Probe, FitReport]]

    @property
    def best(self) -> tuple[Probe, FitReport]:
        return self.fits[self.best_layer]

    def table(self) -> list[dict[str, Any]]:
        """One row per layer (ascending): layer, C, aggregation, val/train AUROC, best flag."""
        rows = []
        for layer in sorted(self.fits):
            report = self.fits[layer][1]
            rows.append(
                {
                    "layer": layer,
                    "C": report.C,
                    "aggregation": describe(report.aggregation),
                    "val_auroc": report.val_auroc,
                    "train_auroc": report.train_auroc,
                    "best": layer == self.best_layer,
                }
            )
        return rows


def split_examples(
    examples: Iterable[ActivationExample], train_split: str = "train", val_split: str = "validation"
) -> tuple[list[ActivationExample], list[ActivationExample]]:
    """Training and validation examples by their ``split`` attribute (others are ignored)."""
    train: list[ActivationExample] = []
    val: list[ActivationExample] = []
    for ex in examples:
        split = getattr(ex, "split", "")
        if split == train_split:
            train.append(ex)
        elif split == val_split:
            val.append(ex)
    return train, val


def layer_sweep(
    examples_by_layer: Mapping[int, Sequence[ActivationExample]],
    *,
    concept: str,
    model_name: str,
    train_split: str = "train",
    val_split: str = "validation",
    C_grid: Sequence[float] = DEFAULT_C_GRID,
    aggregation_candidates: Sequence[Aggregation] = DEFAULT_CANDIDATES,
    max_iter: int = 2000,
    random_state: int = 0,
) -> LayerSweep:
    """``fit_probe`` on every layer; the best layer has the highest validation AUROC.

    ``examples_by_layer[layer]`` holds that layer's examples, split into training and
    validation by their ``split`` attribute (``"train"`` and ``"validation"``, as in the
    labelled JSONL records; other splits are left out). Ties go to the lower layer.
    """
    if not examples_by_layer:
        raise ValueError("examples_by_layer is empty")
    fits: dict[int, tuple[Probe, FitReport]] = {}
    for layer in sorted(examples_by_layer):
        train, val = split_examples(examples_by_layer[layer], train_split, val_split)
        fits[layer] = fit_probe(
            train,
            val,
            concept=concept,
            model_name=model_name,
            layer=layer,
            C_grid=C_grid,
            aggregation_candidates=aggregation_candidates,
            max_iter=max_iter,
            random_state=random_state,
        )
    best_layer = min(fits)
    for layer in sorted(fits):
        if fits[layer][1].val_auroc > fits[best_layer][1].val_auroc:
            best_layer = layer
    return LayerSweep(best_layer=best_layer, fits=fits)
