"""The model in transformers with its residual stream after one decoder layer replaced.

The residual the sidecar reads (vLLM's ``hidden + residual`` after decoder layer L) is
the output hidden state of transformers' decoder layer L; a forward hook on that
layer swaps it for a reconstruction (or zeros), so the rest of the model runs on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

Replace = Callable[[Tensor], Tensor]  # [rows, d_model] -> [rows, d_model]


def load_model(model_dir: Path) -> Any:
    """The causal LM in fp32, eval mode, parameters frozen."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(
        model_dir, dtype=torch.float32, local_files_only=True
    ).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def decoder_layer(model: Any, layer: int) -> torch.nn.Module:
    layers = model.model.layers
    if not 0 <= layer < len(layers):
        raise ValueError(f"layer {layer} is outside 0..{len(layers) - 1}")
    return layers[layer]


@contextmanager
def residual_hook(
    model: Any, layer: int, replace: Replace | None = None, keep: list[Tensor] | None = None
) -> Iterator[None]:
    """While active, layer ``layer``'s output hidden state is appended to ``keep`` (if
    given) and replaced by ``replace(hidden)`` (if given)."""

    def hook(module: torch.nn.Module, inputs: Any, output: Any) -> Any:
        hidden = output[0] if isinstance(output, tuple) else output
        if keep is not None:
            keep.append(hidden)
        if replace is None:
            return None
        shape = hidden.shape
        new = replace(hidden.reshape(-1, shape[-1])).reshape(shape).to(hidden.dtype)
        return (new, *output[1:]) if isinstance(output, tuple) else new

    handle = decoder_layer(model, layer).register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()


def logits(
    model: Any,
    input_ids: Tensor,
    attention_mask: Tensor,
    layer: int,
    replace: Replace | None = None,
    keep: list[Tensor] | None = None,
) -> Tensor:
    """``[batch, seq, vocab]`` logits with the residual after ``layer`` replaced."""
    with residual_hook(model, layer, replace, keep):
        out = model(input_ids=input_ids, attention_mask=attention_mask, use_cache=False)
    return out.logits


def patch_mask(attention_mask: Tensor, skip: int = 1) -> Tensor:
    """Bool ``[batch, seq]``: real tokens past each sequence's first ``skip`` positions."""
    keep = attention_mask.bool().clone()
    keep[:, :skip] = False
    return keep


def pad_batch(sequences: list[list[int]], pad_id: int) -> tuple[Tensor, Tensor]:
    """Right-padded ``input_ids`` and ``attention_mask`` ``[batch, max_len]``."""
    n = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), n), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), n), dtype=torch.long)
    for i, s in enumerate(sequences):
        ids[i, : len(s)] = torch.tensor(s, dtype=torch.long)
        mask[i, : len(s)] = 1
    return ids, mask
