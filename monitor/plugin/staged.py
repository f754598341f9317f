"""One engine step in flight: its rows in host buffers, what labels them, what it carries.

The step thread builds a :class:`StagedStep` from host-side facts only (the scheduler's
view of the step and the runner's batch order) plus the rows it queued for copying; it
reads no captured value, so it never waits for the device. The shipper (a thread, or a
process that rebuilds the step from the shared pool) calls ``batches()``: that waits for
the copy, checks that every layer's capture fired, labels the rows against the
scheduler's view (:func:`monitor.plugin.labels.label_rows`), and returns one
:class:`~monitor.plugin.batch.CapturedBatch` per layer whose rows are views of the host
buffers. ``release()`` hands the buffers back once those are encoded.

Rows of requests that opted out of capture (``opted_out``, the step thread's snapshot) are
left out there, off the step path. Each layer's batch carries how many it left out, and
claims the end of its row range: the shipper adds them to the ``opted_out`` drop counter
just before sending it, so the sidecar sees the gap and the counter that explains it in
the same message. A step with no row left is counted whole (``opted_out_rows``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import torch

from monitor.plugin.batch import CapturedBatch, Unshippable
from monitor.plugin.capture import UNWRITTEN, StagedRows
from monitor.plugin.host_pool import Lease
from monitor.plugin.labels import LabelMismatch, StepLabels, label_rows
from monitor.plugin.request_control import StartedRequest
from monitor.plugin.ring import REASON_CAPTURE_MISSED, REASON_LABEL_MISMATCH

#: Host bytes counted per request id, uncaptured entry and prompt token beyond the buffers.
ID_BYTES = 96
TOKEN_BYTES = 32


@dataclass
class StagedStep:
    """A step's captured rows (``staged``, in ``lease``) and the facts that label them."""

    model_name: str
    row_offset: int  # of the first layer's first row; layer i starts at row_offset + i*n
    staged: StagedRows
    lease: Lease
    order: list[str]  # the runner's batch order
    num_scheduled: Mapping[str, int]
    num_computed: Mapping[str, int]
    uncaptured: list[tuple[str, int, str]] = field(default_factory=list)
    finished_request_ids: list[str] = field(default_factory=list)
    started: list[StartedRequest] = field(default_factory=list)
    opted_out: frozenset[str] = frozenset()  # requests whose rows are not shipped
    opted_out_rows: int = 0  # rows (all layers) of a step ``batches()`` left out whole
    step_end_unix_ns: int = 0  # when the engine step returned (wall clock)
    step_start_unix_ns: int = 0  # when it started

    @property
    def tokens(self) -> int:
        """Rows per layer."""
        return int(self.staged.token_ids.shape[0])

    @property
    def rows(self) -> int:
        """Rows of all layers together."""
        return self.tokens * len(self.staged.layers)

    @property
    def nbytes(self) -> int:
        """Approximate host bytes held: the lease plus the labels and prompts."""
        ids = len(self.order) + len(self.uncaptured) + len(self.finished_request_ids)
        prompts = sum(TOKEN_BYTES * len(entry[1]) + ID_BYTES for entry in self.started)
        return self.lease.nbytes + ID_BYTES * ids + prompts

    def batches(self) -> list[CapturedBatch]:
        """Wait for the copy, check and label the rows; raise Unshippable if they are bad."""
        self.staged.wait()
        n = self.tokens
        for layer, positions in zip(self.staged.layers, self.staged.positions, strict=True):
            if bool((positions.numpy() == UNWRITTEN).any()):
                raise Unshippable(
                    REASON_CAPTURE_MISSED,
                    self.rows,
                    f"capture did not fire at layer {layer} for a {n}-token step",
                )
        try:
            labels = label_rows(
                self.order, self.num_scheduled, self.num_computed, self.staged.positions[0].numpy()
            )
        except LabelMismatch as exc:
            raise Unshippable(
                REASON_LABEL_MISMATCH, self.rows, f"rows of a {n}-token step dropped: {exc}"
            ) from exc
        ids = self.staged.token_ids.numpy()
        token_ids = np.where(ids == UNWRITTEN, -1, ids).astype(np.int32)
        keep, labels = self._captured(labels)
        if keep is not None:
            token_ids = token_ids[keep]
            if keep.shape[0] == 0:
                self.opted_out_rows = self.rows
                return []  # the outbox counts them and carries the finishes and prompts
        last = len(self.staged.layers) - 1
        skipped = n - int(token_ids.shape[0])
        return [
            CapturedBatch(
                model_name=self.model_name,
                layer=layer,
                activations=self.staged.activations[i]
                if keep is None
                else self.staged.activations[i][torch.from_numpy(keep)],
                row_offset=self.row_offset + i * n + skipped,
                request_ids=labels.request_ids,
                row_request=labels.row_request,
                positions=labels.positions,
                token_ids=token_ids,
                # the sidecar finishes a request only after all of its rows
                finished_request_ids=self.finished_request_ids if i == last else [],
                uncaptured=self.uncaptured if i == last else [],
                started=self.started,  # with every layer: any one that arrives will do
                opted_out_rows=skipped,
                step_end_unix_ns=self.step_end_unix_ns,
                step_start_unix_ns=self.step_start_unix_ns,
            )
            for i, layer in enumerate(self.staged.layers)
        ]

    def _captured(self, labels: StepLabels) -> tuple[np.ndarray | None, StepLabels]:
        """The rows to ship (None: all) and their labels, without opted-out requests."""
        if not self.opted_out or not any(r in self.opted_out for r in labels.request_ids):
            return None, labels
        shipped = [i for i, r in enumerate(labels.request_ids) if r not in self.opted_out]
        remap = np.full(len(labels.request_ids), -1, dtype=np.int64)
        remap[shipped] = np.arange(len(shipped))
        new_index = remap[labels.row_request.astype(np.int64)]
        keep = np.flatnonzero(new_index >= 0)
        return keep, StepLabels(
            request_ids=[labels.request_ids[i] for i in shipped],
            row_request=new_index[keep].astype(np.uint32),
            positions=labels.positions[keep],
        )

    def release(self) -> None:
        """Hand the host buffers back to the pool."""
        self.lease.release()
