"""What ``llm-monitor encoder train`` does, as frozen dataclasses light enough for ``--help``.

The command line reads its flag defaults from here; :mod:`probes.encoder.pipeline` and
:mod:`probes.encoder.train` (torch) do the work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[1] / "data"  # the probe data sets


@dataclass(frozen=True)
class TrainSettings:
    """Hyper-parameters of both phases."""

    m: int = 4096
    k: int = 32
    k_aux: int = 512
    aux_coef: float = 1 / 32
    dead_after_tokens: int = 100_000
    batch_tokens: int = 2048
    recon_epochs: float = 8.0
    lr: float = 4e-4
    kl_seconds: float = 900.0  # wall-clock budget of phase 2
    kl_max_steps: int = 2000
    kl_batch_sequences: int = 8
    kl_lr: float = 1e-4
    kl_mse_coef: float = 1.0
    seed: int = 0


@dataclass(frozen=True)
class EncoderTrainSettings:
    """Everything ``llm-monitor encoder train`` needs."""

    model_dir: Path
    model_name: str
    out_dir: Path
    cache_dir: Path
    layer: int = 15
    prompts: int = 2400
    reply_tokens: int = 96
    data_dir: Path | None = None
    recollect: bool = False
    ce_sequences: int = 240  # held-out corpus sequences for the CE figures
    train: TrainSettings = field(default_factory=TrainSettings)


def encoder_cache_dir(path: Path | None, model_name: str) -> Path:
    """``path``, else where the encoder toolkit caches captured activations for
    ``model_name`` (the cache root's ``encoder/MODEL``)."""
    from monitor import model

    return path or model.default_cache_dir() / "encoder" / model_name
