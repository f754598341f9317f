"""The copy ops the capture hooks call.

They are ``torch.library`` custom ops that mutate preallocated sink tensors, so
torch.compile keeps them in the compiled graph (a Python side effect in a hook would
be traced away) and CUDA graphs replay the copies on every step. Their bodies are
plain tensor ops: nothing here runs Python per step once compiled.
"""

from __future__ import annotations

import torch


@torch.library.custom_op(
    "llm_monitor::capture_residual", mutates_args=("act_sink", "pos_sink")
)
def capture_residual(
    hidden: torch.Tensor,
    residual: torch.Tensor,
    positions: torch.Tensor,
    act_sink: torch.Tensor,
    pos_sink: torch.Tensor,
) -> None:
    """Write hidden + residual ([n, d]) and positions ([n]) into the first n sink rows."""
    n = min(hidden.shape[0], act_sink.shape[0])
    torch.add(hidden[:n], residual[:n], out=act_sink[:n])
    pos_sink[:n].copy_(positions.reshape(-1)[:n])


@capture_residual.register_fake
def _capture_residual_fake(
    hidden: torch.Tensor,
    residual: torch.Tensor,
    positions: torch.Tensor,
    act_sink: torch.Tensor,
    pos_sink: torch.Tensor,
) -> None:
    return None


@torch.library.custom_op("llm_monitor::capture_ids", mutates_args=("sink",))
def capture_ids(ids: torch.Tensor, sink: torch.Tensor) -> None:
    """Write token ids ([n]) into the first n rows of the sink."""
    n = min(ids.shape[0], sink.shape[0])
    sink[:n].copy_(ids.reshape(-1)[:n])


@capture_ids.register_fake
def _capture_ids_fake(ids: torch.Tensor, sink: torch.Tensor) -> None:
    return None
