"""Calibrating a fitted probe: its alert threshold at a target false-positive rate on
ordinary requests it was not trained on."""

from __future__ import annotations

import datetime as _dt

import numpy as np
import numpy.typing as npt

from monitor.artifacts.probe_format import Probe
from probes.metrics import ONE_PERCENT, alert_rate, calibrate_threshold


def calibrate_probe(
    probe: Probe,
    benign_scores: npt.ArrayLike,
    target_fpr: float = ONE_PERCENT,
) -> Probe:
    """A copy of ``probe`` with ``threshold`` set by :func:`calibrate_threshold`.

    ``benign_scores`` are request scores of benign control traffic computed with this
    probe (:func:`score_examples`); alerts fire on ``score > threshold``. The calibration
    (target rate, set size, observed rate) is recorded in ``training["calibration"]``.
    """
    # The calibrated threshold is a benign score, and rules fire when the score reaches
    # the threshold: the next float above it keeps that benign request quiet too.
    threshold = float(np.nextafter(calibrate_threshold(benign_scores, target_fpr), np.inf))
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"calibrated threshold {threshold} is not a probability")
    training = dict(probe.training)
    training["calibrated"] = True
    training["calibration"] = {
        "target_fpr": target_fpr,
        "n_benign": int(np.asarray(benign_scores).size),
        "observed_fpr": alert_rate(benign_scores, threshold),
        "rule": "alert when score > threshold",
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    return probe.model_copy(update={"threshold": threshold, "training": training})
