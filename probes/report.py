"""Evaluation reports: a ROC plot (PNG) and a short markdown summary.

The plot needs matplotlib (drawn with the Agg canvas, no display, no global backend
switch); everything else only needs the standard library, numpy and scikit-learn.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy.typing as npt
from sklearn.metrics import roc_curve

from monitor.artifacts.probe_format import Probe
from probes.aggregation import describe
from probes.metrics import as_labels, as_scores, auroc

MATPLOTLIB_MISSING = (
    "roc_plot needs matplotlib, which is not installed in this environment;"
    " install it (e.g. `pip install matplotlib`) to write ROC plots"
    " (metrics and markdown reports work without it)"
)

#: Columns of the metrics table: (metrics key, header).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("n", "n"),
    ("n_pos", "pos"),
    ("n_neg", "neg"),
    ("auroc", "AUROC"),
    ("recall_at_1pct_fpr", "recall @1% FPR (own negatives)"),
    ("recall_at_calibrated_threshold", "recall @ calibrated thr."),
    ("fpr_at_calibrated_threshold", "FPR @ calibrated thr."),
)


def matplotlib_available() -> bool:
    """Whether :func:`roc_plot` can draw."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def roc_plot(
    curves: Mapping[str, tuple[npt.ArrayLike, npt.ArrayLike]],
    path: str | Path,
    *,
    title: str | None = None,
) -> Path:
    """Write a PNG with one ROC curve per entry of ``curves`` (``{name: (scores, labels)}``),
    e.g. ``{"probe": ..., "baseline": ...}``; the legend shows each curve's AUROC.

    Raises ``ImportError`` with an explanation when matplotlib is not installed.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(MATPLOTLIB_MISSING) from exc
    if not curves:
        raise ValueError("roc_plot needs at least one curve")
    fig = Figure(figsize=(5.0, 5.0), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for name, (scores, labels) in curves.items():
        s = as_scores(scores, f"{name} scores")
        y = as_labels(labels, s.size)
        area = auroc(s, y)
        fpr, tpr, _ = roc_curve(y, s)
        ax.plot(fpr, tpr, linewidth=1.5, label=f"{name} (AUROC {area:.3f})")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=0.8, label="chance")
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    if title:
        ax.set_title(title)
    ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format="png")
    return out


def _cell(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key.startswith("n"):
        return str(int(value))
    if isinstance(value, float) and not math.isfinite(value):
        return "-"
    return f"{float(value):.3f}"


def metrics_table(results: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> str:
    """Markdown table: one row per (evaluation set, classifier).

    ``results[set_name][classifier] = evaluate(...)`` output, e.g.
    ``{"test": {"probe": {...}, "baseline": {...}}}``.
    """
    header = ["eval set", "classifier", *(h for _, h in COLUMNS)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for set_name, by_classifier in results.items():
        for classifier, metrics in by_classifier.items():
            cells = [set_name, classifier, *(_cell(k, metrics.get(k)) for k, _ in COLUMNS)]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown_report(
    probe: Probe,
    results: Mapping[str, Mapping[str, Mapping[str, Any]]],
    *,
    plot_path: str | Path | None = None,
    baseline_threshold: float | None = None,
    notes: str | None = None,
) -> str:
    """A short markdown report of one probe: what it is, its threshold, and a metrics
    table probe vs baseline per evaluation set (``results`` as for :func:`metrics_table`),
    with a link to the ROC plot when ``plot_path`` is given (written relative to the
    report's directory by the caller's choice of path)."""
    training = probe.training
    lines = [
        f"# Probe report: {probe.concept}",
        "",
        f"- concept: `{probe.concept}`",
        f"- model: `{probe.model_name}`",
        f"- layer: {probe.layer} (d_model {probe.d_model})",
        f"- aggregation: `{describe(probe.aggregation)}`",
        f"- threshold: {probe.threshold:.6g} (alert when score > threshold"
        + _calibration_note(training)
        + ")",
    ]
    if "C" in training:
        lines.append(f"- regularisation: C = {training['C']:g}")
    if "val_auroc" in training:
        lines.append(f"- validation AUROC at fit time: {float(training['val_auroc']):.3f}")
    if baseline_threshold is not None:
        lines.append(
            f"- baseline (TF-IDF + logistic regression) threshold: {baseline_threshold:.6g}"
        )
    lines += ["", "## Metrics", "", metrics_table(results), ""]
    lines.append(
        "recall @1% FPR uses a threshold taken from each set's own negatives;"
        " the calibrated columns use the threshold shipped with the classifier."
    )
    if plot_path is not None:
        lines += ["", "## ROC", "", f"![ROC curves]({Path(plot_path).as_posix()})"]
    if notes:
        lines += ["", notes]
    return "\n".join(lines) + "\n"


def _calibration_note(training: Mapping[str, Any]) -> str:
    calibration = training.get("calibration")
    if isinstance(calibration, Mapping) and "target_fpr" in calibration:
        return (
            f"; calibrated at {100 * float(calibration['target_fpr']):g}% FPR on"
            f" {int(calibration.get('n_benign', 0))} benign requests"
        )
    if training.get("calibrated") is False:
        return "; NOT calibrated, placeholder"
    return ""


__all__ = [
    "MATPLOTLIB_MISSING",
    "markdown_report",
    "matplotlib_available",
    "metrics_table",
    "roc_plot",
]
