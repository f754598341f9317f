"""What ``llm-monitor train`` does, as a frozen dataclass light enough for ``--help``.

The command line reads its flag defaults from here; :mod:`probes.pipeline` (numpy,
scikit-learn, vLLM at run time) does the work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
CONCEPTS = ("deception", "eval_awareness", "misuse")
#: Tokens of the model's own reply generated for records without a response (and for the
#: benign control set) when a probe reads replies.
REPLY_TOKENS = 48


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


@dataclass(frozen=True)
class EvalSettings:
    """What ``llm-monitor eval`` does: score one labelled file with one probe."""

    model_dir: Path
    probe: Path
    data: Path
    concept: str
    out_json: Path | None = None
    reply_tokens: int = REPLY_TOKENS  # as the probe's threshold was calibrated
    compile: bool = False  # eager: the same layers and capture, minutes faster to start
