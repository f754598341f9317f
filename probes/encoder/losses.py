"""Training losses of the concept encoder.

- ``normalized_mse``: reconstruction error over the variance of the batch (1 - FVE).
- ``aux_k_loss``: the dead-concept revival loss of TopK sparse autoencoders: the
  ``k_aux`` largest pre-activations among *dead* concepts must reconstruct what the
  live ones missed, so dead concepts get gradient and come back.
- ``next_token_kl``: KL(p_model || p_patched) of the next-token distributions, the
  predictive objective (the model is the teacher, the patched model the student).
"""

from __future__ import annotations

import torch
from torch import Tensor


def normalized_mse(target: Tensor, reconstruction: Tensor) -> Tensor:
    """``sum ||x - x_hat||^2 / sum ||x - mean(x)||^2`` over a batch ``[rows, d]``."""
    centred = target - target.mean(dim=0, keepdim=True)
    return (target - reconstruction).pow(2).sum() / centred.pow(2).sum().clamp_min(1e-12)


def aux_k_loss(
    pre_activations: Tensor,
    residual: Tensor,
    W_dec: Tensor,
    dead: Tensor,
    k_aux: int,
    scale: Tensor | float = 1.0,
) -> Tensor:
    """Normalized error of reconstructing ``residual`` (``x - x_hat``, ``[rows, d]``)
    from the top ``k_aux`` dead concepts (``dead``: bool ``[m]``); 0 when none is dead."""
    n_dead = int(dead.sum())
    if n_dead == 0:
        return pre_activations.new_zeros(())
    masked = pre_activations.masked_fill(~dead, float("-inf"))
    values, ids = torch.topk(masked, min(k_aux, n_dead), dim=-1)
    z = torch.zeros_like(pre_activations).scatter(-1, ids, torch.relu(values))
    estimate = (z @ W_dec) / scale
    return normalized_mse(residual, estimate)


def next_token_kl(teacher_logits: Tensor, student_logits: Tensor, mask: Tensor) -> Tensor:
    """Mean over tokens where ``mask`` is true of KL(softmax(teacher) || softmax(student)).

    Logits are ``[..., vocab]``, ``mask`` is ``[...]``; result in nats per token.
    """
    log_p = torch.log_softmax(teacher_logits.float(), dim=-1)
    log_q = torch.log_softmax(student_logits.float(), dim=-1)
    per_token = (log_p.exp() * (log_p - log_q)).sum(dim=-1)
    weights = mask.to(per_token.dtype)
    return (per_token * weights).sum() / weights.sum().clamp_min(1.0)
