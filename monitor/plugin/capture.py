"""Hooks that copy the residual stream of chosen decoder layers into sink tensors.

Install them after the weights are loaded and before the first forward pass, so the
compiler traces them into the graph. Before each step the caller ``arm``s the sinks
(positions set to -1); after it, rows whose positions were written are fresh. A step
whose positions stay -1 means the capture did not fire, which is detected, not
silently mislabelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from monitor.plugin import ops
from monitor.plugin.vllm_compat import find_decoder_layers, find_token_embedding

UNWRITTEN = -1


@dataclass
class StepRows:
    """What one step captured at one layer: fresh copies, detached from the sinks."""

    layer: int
    activations: torch.Tensor  # [n, d_model], model dtype
    positions: np.ndarray  # [n] int64; -1 where the capture did not write


class LayerCapture:
    """Owns the sinks and hooks for a set of layers of one model."""

    def __init__(
        self,
        model: nn.Module,
        layers: Sequence[int],
        max_rows: int,
        d_model: int,
        dtype: torch.dtype,
        device: torch.device,
    ) -> None:
        self.layers = list(layers)
        self.max_rows = max_rows
        decoder_layers = find_decoder_layers(model)
        for layer in self.layers:
            if not 0 <= layer < len(decoder_layers):
                raise ValueError(
                    f"layer {layer} is out of range: the model has {len(decoder_layers)} layers"
                )
        self._decoder_layers = decoder_layers
        self._embedding = find_token_embedding(model)
        self.act_sinks = {
            layer: torch.zeros(max_rows, d_model, dtype=dtype, device=device)
            for layer in self.layers
        }
        self.pos_sinks = {
            layer: torch.full((max_rows,), UNWRITTEN, dtype=torch.int64, device=device)
            for layer in self.layers
        }
        self.token_sink = torch.full((max_rows,), UNWRITTEN, dtype=torch.int64, device=device)
        self._written = torch.zeros(len(self.layers) + 1, dtype=torch.int64, device=device)
        self._slots = {}
        for layer in self.layers:
            slot = ops.new_slot()
            ops.register_residual_sink(slot, self.act_sinks[layer], self.pos_sinks[layer])
            self._slots[layer] = slot
        self._id_slot = ops.new_slot()
        ops.register_id_sink(self._id_slot, self.token_sink)
        self._handles: list[torch.utils.hooks.RemovableHandle] = []

    def install(self) -> None:
        """Register the forward hooks (idempotent)."""
        if self._handles:
            return
        for i, layer in enumerate(self.layers):
            module = self._decoder_layers[layer]
            self._handles.append(
                module.register_forward_hook(
                    _residual_hook(self._written[i : i + 1], self._slots[layer]),
                    with_kwargs=True,
                )
            )
        if self._embedding is not None:
            self._handles.append(
                self._embedding.register_forward_pre_hook(
                    _ids_hook(self._written[-1:], self._id_slot)
                )
            )

    def remove(self) -> None:
        """Remove the hooks (the compiled graph keeps whatever it traced)."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def arm(self, n: int) -> None:
        """Mark the first n rows as unwritten before a step."""
        n = min(n, self.max_rows)
        for sink in self.pos_sinks.values():
            sink[:n].fill_(UNWRITTEN)
        self.token_sink[:n].fill_(UNWRITTEN)

    def arm_all(self) -> None:
        """Mark every row as unwritten (before a self-test)."""
        self.arm(self.max_rows)

    def rows_written(self) -> int:
        """How many leading rows of the first layer's sink hold a position now."""
        positions = self.pos_sinks[self.layers[0]]
        written = (positions != UNWRITTEN).nonzero()
        return 0 if written.numel() == 0 else int(written.max().item()) + 1

    def collect(self, n: int) -> tuple[list[StepRows], np.ndarray]:
        """Copy out the first n rows of every layer's sinks and the token ids."""
        n = min(n, self.max_rows)
        rows = [
            StepRows(
                layer=layer,
                activations=self.act_sinks[layer][:n].clone(),
                positions=self.pos_sinks[layer][:n].cpu().numpy().copy(),
            )
            for layer in self.layers
        ]
        token_ids = self.token_sink[:n].cpu().numpy().copy()
        return rows, token_ids


def _residual_hook(written: torch.Tensor, slot: int):  # type: ignore[no-untyped-def]
    def hook(module: nn.Module, args: tuple, kwargs: dict, output: object) -> None:
        positions = kwargs.get("positions", args[0] if args else None)
        if isinstance(output, tuple) and len(output) == 2 and output[1] is not None:
            hidden, residual = output
        else:
            hidden = output[0] if isinstance(output, tuple) else output
            assert isinstance(hidden, torch.Tensor)
            residual = torch.zeros_like(hidden)
        if positions is None:
            positions = torch.full((hidden.shape[0],), UNWRITTEN - 1, device=hidden.device)
        ops.capture_residual(hidden, residual, positions, written, slot)

    return hook


def _ids_hook(written: torch.Tensor, slot: int):  # type: ignore[no-untyped-def]
    def hook(module: nn.Module, args: tuple) -> None:
        if args and isinstance(args[0], torch.Tensor) and not args[0].is_floating_point():
            ops.capture_ids(args[0], written, slot)

    return hook
