"""Faithfulness figures of a trained encoder, on held-out text.

- fraction of variance explained (FVE) of the captured activations;
- CE loss recovered = (CE_zero - CE_patched) / (CE_zero - CE_clean), where the residual
  after the serving layer is replaced by zeros (zero ablation) or by the encoder's
  reconstruction (patched), at every token but the first (the attention sink, see
  ``SINK_POSITIONS``), which is left as it is in both;
- KL(p_model || p_patched) per token;
- dead fraction: concepts that fire on none of the evaluated tokens;
- agreement of transformers' layer output with the activations vLLM's capture gave.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch import Tensor

from probes.encoder.dataset import ActivationSet
from probes.encoder.losses import next_token_kl
from probes.encoder.patching import load_model, logits, pad_batch, patch_mask
from probes.encoder.topk import TopKEncoder


def encode_rows(
    encoder: TopKEncoder, activations: npt.NDArray[Any], chunk: int = 8192
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32], float, float]:
    """Top-k ids and values of every row, with the squared reconstruction error and the
    squared deviation from the mean (for FVE)."""
    ids_out, values_out = [], []
    err = 0.0
    mean = activations.astype(np.float64).mean(axis=0)
    var = 0.0
    with torch.no_grad():
        for i in range(0, len(activations), chunk):
            x = torch.from_numpy(np.asarray(activations[i : i + chunk], np.float32))
            values, ids = encoder.top_k(x)
            z = torch.zeros(x.shape[0], encoder.config.m).scatter(-1, ids, values)
            err += float((x - encoder.decode(z)).double().pow(2).sum())
            var += float((x.double() - torch.from_numpy(mean)).pow(2).sum())
            ids_out.append(ids.numpy().astype(np.int32))
            values_out.append(values.numpy())
    return np.concatenate(ids_out), np.concatenate(values_out), err, var


def _ce(all_logits: Tensor, ids: Tensor, mask: Tensor) -> tuple[float, int]:
    """Summed next-token cross-entropy and the number of predicted tokens."""
    pred = all_logits[:, :-1].float()
    target = ids[:, 1:]
    valid = (mask[:, 1:] * mask[:, :-1]).bool()
    ce = torch.nn.functional.cross_entropy(
        pred.reshape(-1, pred.shape[-1]), target.reshape(-1), reduction="none"
    ).reshape(target.shape)
    return float(ce[valid].sum()), int(valid.sum())


def ce_figures(
    encoder: TopKEncoder,
    model_dir: Path,
    sequences: Sequence[Sequence[int]],
    pad_id: int,
    batch: int = 8,
) -> dict[str, float]:
    """CE clean / patched / zero-ablated, CE loss recovered and KL on ``sequences``."""
    from tqdm import tqdm

    model = load_model(model_dir)
    layer = encoder.config.layer
    sums = {"clean": 0.0, "patched": 0.0, "zero": 0.0}
    kl_sum, kl_tokens, n = 0.0, 0, 0

    with torch.no_grad():
        for i in tqdm(range(0, len(sequences), batch), desc="encoder: CE figures", unit="batch"):
            ids, mask = pad_batch([list(s) for s in sequences[i : i + batch]], pad_id)
            where = patch_mask(mask).reshape(-1)

            def patch(h: Tensor, where: Tensor = where) -> Tensor:
                out = h.clone()
                out[where] = encoder(h[where])
                return out

            def zero(h: Tensor, where: Tensor = where) -> Tensor:
                out = h.clone()
                out[where] = 0.0
                return out

            clean = logits(model, ids, mask, layer)
            patched = logits(model, ids, mask, layer, replace=patch)
            zeroed = logits(model, ids, mask, layer, replace=zero)
            for name, lg in (("clean", clean), ("patched", patched), ("zero", zeroed)):
                total, count = _ce(lg, ids, mask)
                sums[name] += total
            n += count
            tokens = int(mask.sum())
            kl_sum += float(next_token_kl(clean, patched, mask.bool())) * tokens
            kl_tokens += tokens
    ce = {name: total / max(n, 1) for name, total in sums.items()}
    return {
        "ce_clean": ce["clean"],
        "ce_patched": ce["patched"],
        "ce_zero_ablation": ce["zero"],
        "ce_loss_recovered": (ce["zero"] - ce["patched"]) / (ce["zero"] - ce["clean"]),
        "kl_patched": kl_sum / max(kl_tokens, 1),
        "ce_tokens": float(n),
    }


def capture_agreement(
    model_dir: Path, data: ActivationSet, indices: Sequence[int]
) -> dict[str, float]:
    """How closely transformers' decoder-layer output matches vLLM's captured rows."""
    model = load_model(model_dir)
    cosines, rel = [], []
    with torch.no_grad():
        for i in indices:
            tokens, captured = data.sequence(i)
            ids = torch.from_numpy(tokens.astype(np.int64))[None]
            kept: list[Tensor] = []
            logits(model, ids, torch.ones_like(ids), data.layer, keep=kept)
            hf = kept[0][0].numpy()
            cap = captured.astype(np.float32)
            cosines.append(
                (hf * cap).sum(1) / (np.linalg.norm(hf, axis=1) * np.linalg.norm(cap, axis=1))
            )
            rel.append(np.linalg.norm(hf - cap, axis=1) / np.linalg.norm(hf, axis=1))
    c, r = np.concatenate(cosines), np.concatenate(rel)
    return {
        "sequences": float(len(indices)),
        "tokens": float(len(c)),
        "min_cosine": float(c.min()),
        "mean_cosine": float(c.mean()),
        "mean_relative_error": float(r.mean()),
        "max_relative_error": float(r.max()),
    }
