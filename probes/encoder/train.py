"""Training of the TopK concept encoder, in two phases.

1. Reconstruction: normalized MSE plus the auxiliary dead-concept loss, on the
   captured activations (cheap; most of the steps).
2. Predictive fine-tuning: the reconstruction is patched into the model at the
   serving layer and the encoder learns to keep the model's next-token distribution:
   KL(p_model || p_patched) + normalized MSE + auxiliary loss. The model (frozen) is
   the teacher; the patched model with the encoder's bottleneck is the student.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch import Tensor

from probes.encoder.dataset import SINK_POSITIONS, ActivationSet
from probes.encoder.losses import aux_k_loss, next_token_kl, normalized_mse
from probes.encoder.patching import load_model, logits, pad_batch, patch_mask
from probes.encoder.settings import TrainSettings
from probes.encoder.topk import EncoderConfig, TopKEncoder

log = logging.getLogger("llm_monitor.encoder")


@dataclass
class DeadTracker:
    """Tokens seen since each concept last fired."""

    since: Tensor  # [m] int64
    threshold: int

    @classmethod
    def new(cls, m: int, threshold: int) -> DeadTracker:
        return cls(torch.zeros(m, dtype=torch.long), threshold)

    def update(self, ids: Tensor, values: Tensor, rows: int) -> None:
        fired = torch.zeros_like(self.since, dtype=torch.bool)
        fired[ids[values > 0]] = True
        self.since += rows
        self.since[fired] = 0

    @property
    def dead(self) -> Tensor:
        return self.since >= self.threshold


def initial_encoder(config: EncoderConfig, sample: npt.NDArray[np.floating[Any]]) -> TopKEncoder:
    """Encoder with ``b_pre`` at the data mean and the input scale set so that scaled,
    centred activations have unit mean squared entry."""
    encoder = TopKEncoder(config)
    x = torch.from_numpy(np.asarray(sample, np.float32))
    mean = x.mean(dim=0)
    with torch.no_grad():
        encoder.b_pre.copy_(mean)
        encoder.scale.fill_(float(1.0 / (x - mean).pow(2).mean().sqrt()))
    return encoder


def _sparse_decode(encoder: TopKEncoder, values: Tensor, ids: Tensor) -> Tensor:
    """Reconstruction from the top-k only (gathered rows, no dense ``[rows, m]`` matmul)."""
    out = torch.nn.functional.embedding_bag(
        ids, encoder.W_dec, per_sample_weights=values, mode="sum"
    )
    return out / encoder.scale + encoder.b_pre


def step_losses(
    encoder: TopKEncoder, x: Tensor, tracker: DeadTracker, settings: TrainSettings
) -> tuple[Tensor, Tensor, Tensor]:
    """(reconstruction, normalized MSE, auxiliary loss) of one batch; updates ``tracker``.

    The dense ``[rows, m]`` matmul only selects the top k (no gradient); the selected
    pre-activations are recomputed from gathered encoder columns, so the backward pass
    costs ``rows * k * d`` instead of ``rows * m * d``.
    """
    scaled = (x - encoder.b_pre) * encoder.scale
    with torch.no_grad():
        ids = torch.topk(scaled @ encoder.W_enc + encoder.b_enc, encoder.k, dim=-1).indices
    columns = torch.nn.functional.embedding(ids, encoder.W_enc.T.contiguous())  # [rows, k, d]
    values = torch.relu(torch.einsum("rd,rkd->rk", scaled, columns) + encoder.b_enc[ids])
    recon = _sparse_decode(encoder, values, ids)
    mse = normalized_mse(x, recon)
    tracker.update(ids.detach(), values.detach(), x.shape[0])
    dead = tracker.dead
    aux = x.new_zeros(())
    if bool(dead.any()):
        pre_dead = scaled @ encoder.W_enc[:, dead] + encoder.b_enc[dead]
        aux = aux_k_loss(
            pre_dead,
            (x - recon.detach()) * encoder.scale,
            encoder.W_dec[dead],
            torch.ones(int(dead.sum()), dtype=torch.bool),
            settings.k_aux,
        )
    return recon, mse, aux


def _batches(
    rows: npt.NDArray[np.int64], size: int, rng: np.random.Generator
) -> Iterator[npt.NDArray[np.int64]]:
    while True:
        order = rng.permutation(rows)
        for i in range(0, len(order) - size + 1, size):
            yield np.sort(order[i : i + size])


def train_reconstruction(
    data: ActivationSet,
    train_sequences: Sequence[int],
    config: EncoderConfig,
    settings: TrainSettings,
) -> tuple[TopKEncoder, list[dict[str, float]]]:
    """Phase 1 on captured activations; returns the encoder and a loss history."""
    from tqdm import tqdm

    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    rows = data.rows(train_sequences, skip=SINK_POSITIONS)
    sample = data.activations[rng.choice(rows, size=min(len(rows), 50_000), replace=False)]
    encoder = initial_encoder(config, sample).train()
    tracker = DeadTracker.new(config.m, settings.dead_after_tokens)
    optimizer = torch.optim.Adam(encoder.parameters(), lr=settings.lr, betas=(0.9, 0.999))
    steps = int(settings.recon_epochs * len(rows) / settings.batch_tokens)
    history: list[dict[str, float]] = []
    batches = _batches(rows, settings.batch_tokens, rng)
    with tqdm(total=steps, desc="encoder: reconstruction", unit="step") as bar:
        for step in range(steps):
            lr = settings.lr * min(1.0, (steps - step) / (0.2 * steps))  # linear decay, last 20%
            for group in optimizer.param_groups:
                group["lr"] = lr
            x = torch.from_numpy(data.activations[next(batches)].astype(np.float32))
            _, mse, aux = step_losses(encoder, x, tracker, settings)
            loss = mse + settings.aux_coef * aux
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            encoder.normalize_decoder()
            if step % 50 == 0 or step == steps - 1:
                dead = float(tracker.dead.float().mean())
                history.append(
                    {
                        "step": step,
                        "nmse": float(mse.detach()),
                        "aux": float(aux.detach()),
                        "dead": dead,
                    }
                )
                bar.set_postfix(nmse=f"{float(mse.detach()):.3f}", dead=f"{dead:.3f}")
            bar.update(1)
    return encoder.eval(), history


def train_predictive(
    encoder: TopKEncoder,
    model_dir: Path,
    sequences: Sequence[Sequence[int]],
    settings: TrainSettings,
    pad_id: int,
) -> list[dict[str, float]]:
    """Phase 2: fine-tune ``encoder`` so the patched model keeps its next-token
    distribution. Runs until ``kl_seconds`` or ``kl_max_steps``."""
    from tqdm import tqdm

    model = load_model(model_dir)
    layer = encoder.config.layer
    rng = np.random.default_rng(settings.seed + 1)
    tracker = DeadTracker.new(encoder.config.m, settings.dead_after_tokens)
    optimizer = torch.optim.Adam(encoder.parameters(), lr=settings.kl_lr)
    encoder.train()
    history: list[dict[str, float]] = []
    deadline = time.monotonic() + settings.kl_seconds
    order = rng.permutation(len(sequences))
    with tqdm(total=settings.kl_max_steps, desc="encoder: predictive", unit="step") as bar:
        for step in range(settings.kl_max_steps):
            if time.monotonic() > deadline:
                break
            pick = [
                order[(step * settings.kl_batch_sequences + j) % len(order)]
                for j in range(settings.kl_batch_sequences)
            ]
            ids, mask = pad_batch([list(sequences[i]) for i in pick], pad_id)
            kept: list[Tensor] = []
            with torch.no_grad():
                teacher = logits(model, ids, mask, layer, keep=kept)
            clean = kept[0].reshape(-1, encoder.config.d_model)
            flat_mask = patch_mask(mask).reshape(-1)
            x = clean[flat_mask]
            recon, mse, aux = step_losses(encoder, x, tracker, settings)
            patched_rows = clean.clone()
            patched_rows[flat_mask] = recon

            def patched(_hidden: Tensor, rows: Tensor = patched_rows) -> Tensor:
                return rows

            student = logits(model, ids, mask, layer, replace=patched)
            kl = next_token_kl(teacher, student, mask.bool())
            loss = kl + settings.kl_mse_coef * mse + settings.aux_coef * aux
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            encoder.normalize_decoder()
            history.append(
                {
                    "step": step,
                    "kl": float(kl.detach()),
                    "nmse": float(mse.detach()),
                    "aux": float(aux.detach()),
                }
            )
            bar.set_postfix(kl=f"{float(kl.detach()):.3f}", nmse=f"{float(mse.detach()):.3f}")
            bar.update(1)
    return history
