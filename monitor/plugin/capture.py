"""Hooks that copy the residual stream of chosen decoder layers into sink tensors.

Install them after the weights are loaded and before the first forward pass, so the
compiler traces them into the graph. Before each step the caller ``arm``s the sinks
(positions set to -1); after it, rows whose positions were written are fresh. A step
whose positions stay -1 means the capture did not fire, which is detected, not
silently mislabelled.

After a step, ``stage`` copies the rows into host buffers of a
:class:`~monitor.plugin.host_pool.HostBufferPool` without a host-device sync: the step
thread never reads a captured value, and no device memory outlives the step. The
checks that need the values (did the capture fire, do the positions match the
scheduler) run where the copy is awaited, on the shipper thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from monitor.plugin import ops
from monitor.plugin.host_pool import Lease, align
from monitor.plugin.vllm_compat import find_decoder_layers, find_token_embedding

UNWRITTEN = -1


@dataclass
class StagedRows:
    """One step's rows copied out of the sinks into host buffers, possibly still in flight.

    Read nothing before ``wait()``: on CUDA the copies are asynchronous and ``event``
    marks their completion; elsewhere they were done when ``stage`` returned.
    """

    layers: list[int]
    activations: list[torch.Tensor]  # per layer: [n, d_model], model dtype, host
    positions: list[torch.Tensor]  # per layer: [n] int64, host; -1 where not written
    token_ids: torch.Tensor  # [n] int64, host; -1 where not written
    event: torch.cuda.Event | None = None

    def wait(self) -> None:
        """Block until the copies have landed (call off the step path)."""
        if self.event is not None:
            self.event.synchronize()


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
        self.dtype = dtype
        self.device = torch.device(device)
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

    def staged_bytes(self, n: int) -> int:
        """Host bytes ``stage(n, ...)`` needs: every layer's rows and positions, the ids."""
        n = min(n, self.max_rows)
        d_model = self.act_sinks[self.layers[0]].shape[1]
        per_layer = align(n * d_model * self.dtype.itemsize) + align(n * 8)
        return len(self.layers) * per_layer + align(n * 8)

    def stage(self, n: int, lease: Lease) -> StagedRows:
        """Copy the first n rows of every sink into ``lease`` without waiting for them.

        On CUDA the copies are queued on the current stream, after the step's forward
        pass and before the next step's writes to the sinks, and an event is recorded
        after them; nothing here makes the host wait for the device. The lease must hold
        ``staged_bytes(n)`` bytes and must not be reused before ``wait()`` returns.
        """
        n = min(n, self.max_rows)
        asynchronous = self.device.type == "cuda" and lease.pool.pinned
        activations, positions, token_ids = staged_views(
            lease, self.layers, n, self.act_sinks[self.layers[0]].shape[1], self.dtype
        )
        for layer, rows, pos in zip(self.layers, activations, positions, strict=True):
            rows.copy_(self.act_sinks[layer][:n], non_blocking=asynchronous)
            pos.copy_(self.pos_sinks[layer][:n], non_blocking=asynchronous)
        token_ids.copy_(self.token_sink[:n], non_blocking=asynchronous)
        event = None
        if self.device.type == "cuda":
            event = torch.cuda.Event(blocking=True)
            event.record()
        return StagedRows(list(self.layers), activations, positions, token_ids, event)


def staged_views(
    lease: Lease, layers: list[int], n: int, d_model: int, dtype: torch.dtype
) -> tuple[list[torch.Tensor], list[torch.Tensor], torch.Tensor]:
    """Where ``stage`` puts a step's rows in its lease: every layer's activations, every
    layer's positions, the token ids. A process that maps the same memory finds them
    with the same call."""
    activations = [lease.take((n, d_model), dtype) for _ in layers]
    positions = [lease.take((n,), torch.int64) for _ in layers]
    return activations, positions, lease.take((n,), torch.int64)


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
