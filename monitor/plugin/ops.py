"""The copy ops the capture hooks call.

They are ``torch.library`` custom ops, so torch.compile keeps them in the compiled
graph (a Python side effect in a hook would be traced away) and CUDA graphs replay
their copies on every step. Each op declares that it mutates one tiny ``written``
tensor (the number of rows it wrote), which is what keeps it in the graph; the large
sink buffers are registered here by slot and are invisible to the compiler, so
functionalization never clones them. Op bodies are plain tensor ops.
"""

from __future__ import annotations

import torch

# slot -> (activation sink [rows, d], position sink [rows]); token-id sinks by slot.
_RESIDUAL_SINKS: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
_ID_SINKS: dict[int, torch.Tensor] = {}


def register_residual_sink(slot: int, act_sink: torch.Tensor, pos_sink: torch.Tensor) -> None:
    """Make ``capture_residual(..., slot)`` write into these buffers."""
    _RESIDUAL_SINKS[slot] = (act_sink, pos_sink)


def register_id_sink(slot: int, sink: torch.Tensor) -> None:
    """Make ``capture_ids(..., slot)`` write into this buffer."""
    _ID_SINKS[slot] = sink


def new_slot() -> int:
    """A slot number not used yet in this process."""
    return max([*_RESIDUAL_SINKS, *_ID_SINKS, -1]) + 1


@torch.library.custom_op("llm_monitor::capture_residual", mutates_args=("written",))
def capture_residual(
    hidden: torch.Tensor,
    residual: torch.Tensor,
    positions: torch.Tensor,
    written: torch.Tensor,
    slot: int,
) -> None:
    """Write hidden + residual ([n, d]) and positions ([n]) into the slot's sinks."""
    act_sink, pos_sink = _RESIDUAL_SINKS[slot]
    n = min(hidden.shape[0], act_sink.shape[0])
    torch.add(hidden[:n], residual[:n], out=act_sink[:n])
    pos_sink[:n].copy_(positions.reshape(-1)[:n])
    written.fill_(n)


@capture_residual.register_fake
def _capture_residual_fake(
    hidden: torch.Tensor,
    residual: torch.Tensor,
    positions: torch.Tensor,
    written: torch.Tensor,
    slot: int,
) -> None:
    return None


@torch.library.custom_op("llm_monitor::capture_ids", mutates_args=("written",))
def capture_ids(ids: torch.Tensor, written: torch.Tensor, slot: int) -> None:
    """Write token ids ([n]) into the slot's sink."""
    sink = _ID_SINKS[slot]
    n = min(ids.shape[0], sink.shape[0])
    sink[:n].copy_(ids.reshape(-1)[:n])
    written.fill_(n)


@capture_ids.register_fake
def _capture_ids_fake(ids: torch.Tensor, written: torch.Tensor, slot: int) -> None:
    return None
