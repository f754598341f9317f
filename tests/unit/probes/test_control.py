"""The ordinary requests each concept's threshold is calibrated on."""

from __future__ import annotations

from probes.comparison import benign_control_records, control_for
from probes.data.generate import build_all


def test_control_sets_are_ordinary_and_never_the_probes_own_training_data() -> None:
    data = build_all(seed=0)
    pool = benign_control_records()
    assert pool and all(r.response is None for r in pool)
    assert all(r.split in ("train", "validation") for r in pool)
    misuse = control_for("misuse", pool)
    assert misuse and {r.concept for r in misuse} == {"eval_awareness"}
    aware = control_for("eval_awareness", pool)
    own = [r for r in aware if r.concept == "eval_awareness"]
    assert own and all(r.label == 0 and r.split == "validation" for r in own)
    assert all(r.label == 0 for r in aware if r.concept == "misuse")
    deception = control_for("deception", pool)
    assert len(deception) == len(pool)
    # the pool holds no harmful request
    assert all(r.label == 0 for r in pool if r.concept == "misuse")
    assert len(pool) < sum(len(v) for v in data.values())
